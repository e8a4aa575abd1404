#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""qemu-state.py QMP_SOCKET - prints what the emulator itself says of its
CPUs: "info registers -a" (every CPU's registers, its HLT flag: halted
waiting for an interrupt or running) and "info lapic" (the local APIC's
timer mode, count and pending interrupts), each under a line
"=== xt: qemu CMD ===".  boot.sh runs it on a machine that has stopped
talking, before and after it types Xen's debug keys: unlike the keys, it
needs nothing from Xen, so it also says where a machine is that no longer
takes interrupts.  Exit status 0 if QEMU answered."""
import json
import socket
import sys

COMMANDS = ("info registers -a", "info lapic")


def main():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(sys.argv[1])
    stream = sock.makefile("rw")

    def call(cmd):
        stream.write(json.dumps(cmd) + "\n")
        stream.flush()
        while True:
            msg = json.loads(stream.readline())
            if "return" in msg or "error" in msg:
                return msg

    json.loads(stream.readline())  # greeting
    call({"execute": "qmp_capabilities"})
    for hmp in COMMANDS:
        msg = call({"execute": "human-monitor-command",
                    "arguments": {"command-line": hmp}})
        print("=== xt: qemu %s ===" % hmp)
        if "error" in msg:
            print("error: %s" % msg["error"].get("desc"))
        else:
            sys.stdout.write(msg["return"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
