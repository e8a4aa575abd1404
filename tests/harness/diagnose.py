#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# diagnose.py - names why a boot of the Xen machine did not end well.
#
#   diagnose.py LOG [--watch WHAT] [--qemu-exit N] [--qemu-out FILE]
#               [--dom0-map MAP] [--xen-map MAP] [--cpu-state FILE]
#
# LOG is the boot's console log (Xen, dom0's kernel, the harness's own
# lines, the domU console dumped at the end).  --watch is what boot.sh's
# watcher saw ("end", "crash", "stall SECONDS", "timeout SECONDS" or
# "exit": QEMU left by itself); --qemu-exit is QEMU's exit status when it
# left by itself, and --qemu-out what QEMU printed.  The maps are "nm"-style symbol tables (System.map) used
# to name the RIP of a register dump.  --cpu-state is what
# qemu-state.py printed of a machine the watcher stopped: one "emulator:"
# line per CPU and dump (where it was, halted or not, interrupts on or
# off) and one for its local APIC's timer and pending vectors.
#
# Prints the cause on the first line, one of
#   dom0 triple fault | Xen panic | dom0 panic or oops | dom0 crash |
#   domU crash | QEMU died | stall | timeout | empty console log |
#   run incomplete | none
# then "key: value" lines (stage, test, rip, detail, emulator) and, after a line
# "last lines:", the last 20 lines of the log.  The first cause that the
# log proves wins: what the machine itself said beats what the watcher
# saw (a stall after a panic is a panic).  Exit status 0.
import argparse
import bisect
import re
import sys

TAIL = 20

XEN_LINE = re.compile(r'^\(XEN\) ')
D0_TRIPLE = re.compile(r'^\(XEN\) .*\bd0v\d+ Triple fault')
DU_TRIPLE = re.compile(r'^\(XEN\) .*\bd([1-9]\d*)v\d+ Triple fault')
XEN_PANIC = re.compile(r'^\(XEN\) (Panic on CPU \d+|\*\*\*\* Panic)')
D0_CRASHED = re.compile(r'^\(XEN\) (Hardware Dom0 crashed|Domain 0 crashed|'
                        r'domain_crash called from .*\bd0\b)')
D0_HALTED = re.compile(r'^\(XEN\) Hardware Dom0 (halted|shutdown)')
DU_CRASHED = re.compile(r'^\(XEN\) (Domain ([1-9]\d*) .*crashed|'
                        r'domain_crash called from .*\bd[1-9]\d*\b)')
KERNEL_FATAL = re.compile(r'Kernel panic - not syncing|\bOops: |\bBUG: |'
                          r'general protection fault|'
                          r'\bdouble fault\b|Kernel stack is corrupted')
XEN_RIP = re.compile(r'^\(XEN\) RIP:\s+([0-9a-f]{4}):\[<([0-9a-f]+)>\]')
KERNEL_RIP = re.compile(r'\bRIP: ([0-9a-f]{4}:\S+)')
STAGE = re.compile(r'\bxt-init: (.*)')
RUN_START = re.compile(r'^xt-run: start (\S+)')
RUN_END = re.compile(r'^xt-run: end (\S+)')
DOMU_BEGIN = re.compile(r'^=== xt: domU console .* begin ===')
DOMU_END = re.compile(r'^=== xt: domU console end ===')
STAMP = re.compile(r'^\[\s*\d+\.\d+\] ')


class SymbolMap:
    """Addresses to "symbol+0xoff" from an nm-style table."""

    def __init__(self, path):
        self.addrs, self.names = [], []
        if not path:
            return
        try:
            with open(path, errors='replace') as f:
                rows = []
                for line in f:
                    parts = line.split()
                    if len(parts) >= 3 and parts[1] in 'tTwW':
                        rows.append((int(parts[0], 16), parts[2]))
        except (OSError, ValueError):
            return
        rows.sort()
        self.addrs = [a for a, _ in rows]
        self.names = [n for _, n in rows]

    def name(self, addr):
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0 or addr - self.addrs[i] > 0x100000:
            return None
        return '%s+0x%x' % (self.names[i], addr - self.addrs[i])


EMU_SECTION = re.compile(r'^=== xt: emulator state (.*) ===')
EMU_CPU = re.compile(r'^CPU#(\d+)')
EMU_RIP = re.compile(r'^[RE]IP=([0-9a-f]+) [RE]FL=([0-9a-f]+) .*HLT=(\d)')
EMU_CS = re.compile(r'^CS =([0-9a-f]{4}) ')
EMU_LVTT = re.compile(r'^LVTT\s+(0x[0-9a-f]+)\s+(.*?)\s+Fixed')
EMU_TIMER = re.compile(r'^Timer\s+.*initial_count = (\d+) current_count = (\d+)')
EMU_PENDING = re.compile(r'^(ISR|IRR)\s+(.*)')


def emulator_lines(path, dom0, xen):
    """One line per CPU and per local APIC of each qemu-state.py dump."""
    try:
        with open(path, errors='replace') as f:
            text = [clean(l) for l in f]
    except OSError:
        return []
    out, when, cpu, regs, apic = [], None, None, None, {}

    def flush_apic():
        if apic:
            out.append('%s: local APIC timer %s, count %s of %s, ISR %s, '
                       'IRR %s' % (when, apic.get('lvtt', '?'),
                                   apic.get('cur', '?'), apic.get('init', '?'),
                                   apic.get('ISR', '?'), apic.get('IRR', '?')))
            apic.clear()

    for line in text:
        m = EMU_SECTION.match(line)
        if m:
            flush_apic()
            when = m.group(1)
            continue
        m = EMU_CPU.match(line)
        if m:
            cpu = m.group(1)
            continue
        m = EMU_RIP.match(line)
        if m:
            regs = (int(m.group(1), 16), int(m.group(2), 16), m.group(3))
            continue
        m = EMU_CS.match(line)
        if m and regs:
            addr, flags, hlt = regs
            regs = None
            cs = m.group(1)
            table = xen if cs in ('e008', 'e010') else dom0
            where = table.name(addr)
            out.append('%s: CPU#%s at %s:%016x%s, %s, interrupts %s' % (
                when, cpu, cs, addr,
                ' %s%s' % (where, ' [Xen]' if table is xen else '')
                if where else '',
                'halted' if hlt == '1' else 'running',
                'on' if flags & 0x200 else 'off'))
            continue
        m = EMU_LVTT.match(line)
        if m:
            apic['lvtt'] = '%s %s' % (m.group(1), ' '.join(m.group(2).split()))
            continue
        m = EMU_TIMER.match(line)
        if m:
            apic['init'], apic['cur'] = m.group(1), m.group(2)
            continue
        m = EMU_PENDING.match(line)
        if m:
            apic[m.group(1)] = m.group(2).strip()
    flush_apic()
    return out


def clean(raw):
    line = raw.rstrip('\r\n').replace('\r', '')
    return ''.join(c if c.isprintable() or c == '\t' else '?' for c in line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('log')
    ap.add_argument('--watch', default='exit')
    ap.add_argument('--qemu-exit', type=int, default=None)
    ap.add_argument('--qemu-out')
    ap.add_argument('--dom0-map')
    ap.add_argument('--xen-map')
    ap.add_argument('--cpu-state')
    args = ap.parse_args()

    try:
        with open(args.log, 'rb') as f:
            lines = [clean(l.decode('utf-8', 'replace')) for l in f]
    except OSError:
        lines = []

    stage = test = None
    cause = detail = None
    rip_from = None			# index of the line a register dump follows
    running = None
    done_frames = False
    in_domu = False
    for i, line in enumerate(lines):
        if DOMU_BEGIN.match(line):
            in_domu = True
            continue
        if DOMU_END.match(line):
            in_domu = False
            continue
        if ' D *' in line and line.startswith('XT1 '):
            done_frames = True
        m = STAGE.search(line)
        if m and not in_domu:
            stage = m.group(1)
        m = RUN_START.match(line)
        if m:
            running = m.group(1)
        m = RUN_END.match(line)
        if m and running == m.group(1):
            test, running = m.group(1), None
        if cause:
            continue
        if D0_TRIPLE.match(line):
            cause, detail, rip_from = 'dom0 triple fault', line, i
        elif XEN_PANIC.match(line):
            cause, detail, rip_from = 'Xen panic', line, max(i - 30, 0)
        elif in_domu and KERNEL_FATAL.search(line):
            cause, detail, rip_from = 'domU crash', line, i
        elif DU_TRIPLE.match(line) or DU_CRASHED.match(line):
            cause, detail, rip_from = 'domU crash', line, i
        elif not XEN_LINE.match(line) and KERNEL_FATAL.search(line) and \
                not line.startswith('XT1 ') and \
                (STAMP.match(line) or 'Kernel panic' in line):
            cause, detail, rip_from = 'dom0 panic or oops', line, i
        elif D0_CRASHED.match(line):
            cause, detail, rip_from = 'dom0 crash', line, i
        elif D0_HALTED.match(line) and not done_frames:
            cause, detail = 'dom0 crash', line + ' (before the end of the run)'

    watch = args.watch.split()
    if not cause:
        if not lines:
            cause = 'empty console log'
            detail = 'the machine printed nothing'
            if args.qemu_exit is not None:
                detail += ' (QEMU exit status %d)' % args.qemu_exit
            elif watch[0] in ('stall', 'timeout'):
                detail += ' (stopped after %s s)' % watch[1]
        elif watch[0] == 'stall':
            cause = 'stall'
            detail = 'no console output for %s s' % watch[1]
        elif watch[0] == 'timeout':
            cause = 'timeout'
            detail = 'the boot outlived %s s' % watch[1]
        elif watch[0] == 'exit' and not done_frames:
            cause = 'QEMU died'
            detail = 'QEMU exited with status %s before the end of the run' \
                % ('?' if args.qemu_exit is None else args.qemu_exit)
        elif watch[0] == 'end':
            cause = 'none'
        else:
            cause = 'run incomplete'

    print(cause)
    if detail:
        print('detail: %s' % detail[:200])
    print('stage: %s' % (stage or 'before the first xt-init stage'))
    if running:
        print('test: %s (running)' % running)
    elif test:
        print('test: none running (last finished: %s)' % test)
    else:
        print('test: none started')

    if rip_from is not None:
        dom0 = SymbolMap(args.dom0_map)
        xen = SymbolMap(args.xen_map)
        for line in lines[rip_from:rip_from + 200]:
            m = XEN_RIP.match(line)
            if m:
                cs, addr = m.group(1), int(m.group(2), 16)
                table = xen if cs in ('e008', 'e010') else dom0
                where = table.name(addr)
                print('rip: %s:%016x%s%s' % (
                    cs, addr, ' ' + where if where else '',
                    ' [Xen]' if cs in ('e008', 'e010') else ''))
                break
            m = KERNEL_RIP.search(line)
            if m and not XEN_LINE.match(line):
                print('rip: %s' % m.group(1))
                break

    if args.cpu_state:
        for line in emulator_lines(args.cpu_state, SymbolMap(args.dom0_map),
                                   SymbolMap(args.xen_map)):
            print('emulator: %s' % line)

    qemu = []
    if args.qemu_out:
        try:
            with open(args.qemu_out, errors='replace') as f:
                qemu = [clean(l) for l in f if 'terminating on signal' not in l]
        except OSError:
            pass
    for line in qemu[-3:]:
        print('qemu: %s' % line[:200])

    print('last lines:')
    for line in lines[-TAIL:]:
        print('    ' + line[:200])
    return 0


if __name__ == '__main__':
    sys.exit(main())
