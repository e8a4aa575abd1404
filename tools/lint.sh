#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# lint.sh - 'make lint': the module and the test modules through sparse
# (C=2) and W=1 on every installed 6.1/6.12 kernel and, cross-built, on
# Debian's arm64 6.1/6.12 kernels where fetched, then checkpatch.pl
# --strict over drivers/xen and tests/modules, checkpatch.pl --strict over
# the userspace C tests (tests/dom0, dom0-32, domu, host, lib, bench) and
# libgnttab-ext,
# and every shell script git tracks (found by its #! line) through shellcheck.
# checkpatch comes from Debian's linux-source-6.1 (scripts/ only is
# unpacked into build/).  Prints every finding; exits 1 if there is any.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
B=${XT_BUILD:-build}
bad=0
for series in 6.1 6.12; do
	kver=$(tools/kver.sh $series)
	[ -n "$kver" ] || continue
	dir=$B/lint/$kver
	rm -rf "$dir" && mkdir -p "$dir" && cp -a drivers include tests "$dir/"
	for m in "$dir/drivers/xen" "$dir"/tests/modules/*/; do
		out=$(make -C "/lib/modules/$kver/build" M="$TOP/$m" C=2 W=1 modules 2>&1 |
		      grep -E 'warning|error' | grep -v '^make')
		if [ -n "$out" ]; then echo "$out"; bad=1; fi
	done
	echo "lint: sparse + W=1 on $kver: $([ $bad = 0 ] && echo clean || echo findings)"
done

# The same, cross-built, on Debian's arm64 kernels (tools/arm64-cross.sh:
# headers and compiler unpacked by 'make deps-arm64').  modpost's reports count
# too: a symbol the arm64 kernel does not export is "undefined!".
arm64_bin=$(XT_BUILD=$B tools/arm64-cross.sh bin)
for series in 6.1 6.12; do
	kver=$(XT_BUILD=$B tools/arm64-cross.sh kver $series)
	if [ -z "$kver" ] || [ -z "$arm64_bin" ]; then
		echo "lint: sparse + W=1 on arm64 $series: skipped (not fetched: run 'make deps-arm64')"
		continue
	fi
	kdir=$(XT_BUILD=$B tools/arm64-cross.sh kdir "$kver")
	dir=$B/lint/$kver
	rm -rf "$dir" && mkdir -p "$dir" && cp -a drivers include tests "$dir/"
	kbad=0
	for m in "$dir/drivers/xen" "$dir"/tests/modules/*/; do
		out=$(XT_BUILD=$B tools/arm64-cross.sh run make -C "$kdir" \
		      M="$TOP/$m" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
		      C=2 W=1 modules 2>&1 |
		      grep -E 'warning|error|WARNING|ERROR' | grep -v '^make')
		if [ -n "$out" ]; then echo "$out"; kbad=1; bad=1; fi
	done
	echo "lint: sparse + W=1 on $kver: $([ $kbad = 0 ] && echo clean || echo findings)"
done

cp=$B/lint/checkpatch/scripts/checkpatch.pl
if [ ! -x "$cp" ] && ! ls /usr/src/linux-source-6.1.tar.* > /dev/null 2>&1; then
	echo "lint: installing linux-source-6.1 for checkpatch.pl"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		linux-source-6.1 > /dev/null || true
fi
if [ ! -x "$cp" ] && ls /usr/src/linux-source-6.1.tar.* > /dev/null 2>&1; then
	mkdir -p "$B/lint/checkpatch"
	tar -xaf /usr/src/linux-source-6.1.tar.* -C "$B/lint/checkpatch" \
		--strip-components=1 --wildcards '*/scripts/checkpatch.pl' \
		'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
fi
if [ -x "$cp" ]; then
	out=$("$cp" --strict --no-tree --terse --show-types \
	      --ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES \
	      -f drivers/xen/*.[ch] tests/modules/*/*.[ch] 2>&1 |
	      grep -E 'ERROR|WARNING|CHECK' |
	      # Version tests are the whole point of the one kernel-version header.
	      grep -vE '^[^:]*-kver\.h:[0-9]+: WARNING:(LINUX_VERSION_CODE|CONSTANT_COMPARISON):')
	if [ -n "$out" ]; then echo "$out"; bad=1; fi
	echo "lint: checkpatch --strict: $([ -z "$out" ] && echo clean || echo findings)"

	# The C tests are userspace programs; three kernel-only rules do not
	# apply to them:
	#  PREFER_KERNEL_TYPES  u8/u32... exist only in the kernel; userspace
	#                       has <stdint.h>'s uint8_t/uint32_t;
	#  PREFER_DEFINED_ATTRIBUTE_MACRO  __printf/__noreturn are macros of
	#                       the kernel's compiler headers, not of libc;
	#  VOLATILE             the tests read and write foreign (granted)
	#                       memory through volatile pointers on purpose,
	#                       so that every access really reaches it.
	out=$("$cp" --strict --no-tree --terse --show-types \
	      --ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES \
	      --ignore PREFER_KERNEL_TYPES,PREFER_DEFINED_ATTRIBUTE_MACRO,VOLATILE \
	      -f tests/dom0/*.[ch] tests/dom0-32/*.c tests/domu/*.c \
	      tests/host/*.c tests/lib/*.[ch] tests/bench/*.[ch] 2>&1 |
	      grep -E 'ERROR|WARNING|CHECK')
	if [ -n "$out" ]; then echo "$out"; bad=1; fi
	echo "lint: checkpatch --strict (C tests): $([ -z "$out" ] && echo clean || echo findings)"
	# libgnttab-ext, its tool, tests and example: userspace, the same
	# rules, and two more that do not apply: BIT_MACRO (BIT() is the
	# kernel's) and CAMELCASE (libdrm's API is drmModeAddFB2 & co.).
	out=$("$cp" --strict --no-tree --terse --show-types \
	      --ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES,BIT_MACRO,CAMELCASE \
	      --ignore PREFER_KERNEL_TYPES,PREFER_DEFINED_ATTRIBUTE_MACRO,VOLATILE \
	      -f libgnttab-ext/include/*.h libgnttab-ext/src/*.[ch] \
	      libgnttab-ext/tests/*.[ch] libgnttab-ext/tools/*.c \
	      libgnttab-ext/examples/*.c 2>&1 |
	      grep -E 'ERROR|WARNING|CHECK')
	if [ -n "$out" ]; then echo "$out"; bad=1; fi
	echo "lint: checkpatch --strict (libgnttab-ext): $([ -z "$out" ] && echo clean || echo findings)"
	# One version: VERSION, the module's MODULE_VERSION, dkms.conf.
	v=$(cat VERSION)
	if grep -q "MODULE_VERSION(\"xgd-$v\")" drivers/xen/gntdev-main.c &&
	   grep -q "^PACKAGE_VERSION=\"$v\"" dkms.conf; then
		echo "lint: version $v: the module and dkms.conf agree"
	else
		echo "lint: version $v: drivers/xen/gntdev-main.c or dkms.conf disagrees"
		bad=1
	fi
else
	echo "lint: checkpatch.pl not available (apt-get install linux-source-6.1)"
fi

# Every tracked shell script: the harness, the tools, .ci/run, dom0's and
# the domU's init, the post-suite checks and the examples.
mapfile -t scripts < <(git ls-files | while read -r f; do
	[ -f "$f" ] && head -n 1 "$f" | grep -qE '^#!.*/(env )?(ba|da)?sh( |$)' &&
		echo "$f"
done)
if ! command -v shellcheck > /dev/null; then
	echo "lint: shellcheck not available (apt-get install shellcheck)"
	bad=1
elif [ ${#scripts[@]} -eq 0 ]; then
	echo "lint: no shell script found (not a git checkout?)"
	bad=1
else
	out=$(shellcheck -f gcc "${scripts[@]}" 2>&1)
	if [ -n "$out" ]; then echo "$out"; bad=1; fi
	echo "lint: shellcheck (${#scripts[@]} scripts): $([ -z "$out" ] && echo clean || echo findings)"
fi
exit $bad
