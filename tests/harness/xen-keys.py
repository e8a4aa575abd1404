#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""xen-keys.py SERIAL_SOCKET KEYS - types Xen debug keys on the machine's
serial console: CTRL-a three times switches the console input from dom0
to Xen, then each character of KEYS is one debug key (e.g. "0dq": dom0's
vCPU registers and stacks, every CPU's registers, domain info).  Used by
boot.sh before it stops a stalled machine, so the log says where it hung."""
import socket
import sys
import time

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(5)
sock.connect(sys.argv[1])
sock.sendall(b"\x01\x01\x01")
for key in sys.argv[2]:
    time.sleep(0.5)
    sock.sendall(key.encode())
time.sleep(2)
sock.close()
