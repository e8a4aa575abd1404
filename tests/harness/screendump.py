#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""screendump.py QMP_SOCKET OUT.ppm - asks QEMU (QMP) for a screenshot of
the emulated display, written by QEMU as a binary PPM."""
import json
import socket
import sys


def main():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(20)
    sock.connect(sys.argv[1])
    stream = sock.makefile("rw")

    def reply():
        while True:
            msg = json.loads(stream.readline())
            if "return" in msg or "error" in msg:
                return msg

    json.loads(stream.readline())  # greeting
    for cmd in ({"execute": "qmp_capabilities"},
                {"execute": "screendump",
                 "arguments": {"filename": sys.argv[2]}}):
        stream.write(json.dumps(cmd) + "\n")
        stream.flush()
        msg = reply()
        if "error" in msg:
            print("qmp:", msg["error"].get("desc"), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
