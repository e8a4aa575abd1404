#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkimage.sh - builds what one boot of the Xen machine needs, from the host's
# Debian packages and the project's build tree.
#
#   mkimage.sh KVER OUT
#
# Environment:
#   XT_BUILD   the project's build directory (test programs in
#              $XT_BUILD/xt/{dom0,domu,bin32,post,harness})
#   XT_GNTDEV  path of the xen-gntdev.ko to load in dom0, or "stock"
#   XT_EXTRA   optional directory of extra tests (see docs/testing.md)
#   XT_KMODS   optional extra test-only modules (.ko paths) for dom0
#   XT_CONFIG  the run's configuration (shell variables), becomes /xt/config
#
# Writes OUT/xen, OUT/vmlinux (dom0 kernel, uncompressed ELF: decompressing
# under TCG is slow) and OUT/dom0.cpio.  The dom0 initramfs is a
# concatenation of cpio archives; the kernel unpacks them in order:
#   base.cpio       busybox + the Xen toolstack at its Debian paths (cached)
#   kernel.cpio     KVER's modules, domU kernel (gzip -1 ELF) (cached)
#   payload.cpio    tests, our module, domU initramfs, config (every run)
# Caches live in $XT_BUILD/machine and are rebuilt when their inputs change;
# they are replaced atomically (rename), so concurrent boots may share them.
set -euo pipefail

KVER=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=$XT_BUILD/machine
XENVER=4.17
XENBIN=/usr/lib/xen-$XENVER/bin
mkdir -p "$OUT" "$CACHE"

die() { echo "mkimage: $*" >&2; exit 1; }

# Copy files into a root at their own absolute paths, with their shared
# library closure (ldd) and the loader.
copy_with_libs() {
	local root=$1; shift
	local f lib
	for f in "$@"; do
		install -D -m 0755 "$f" "$root$f"
		for lib in $(ldd "$f" 2>/dev/null | awk '/=>/ {print $3} /^\t\// {print $1}'); do
			[ -e "$root$lib" ] || install -D -m 0755 "$lib" "$root$lib"
		done
	done
}

cpio_of() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$2"; }

# ---- Xen ----
if [ ! -s "$CACHE/xen" ] || [ /boot/xen-$XENVER-amd64.gz -nt "$CACHE/xen" ]; then
	zcat /boot/xen-$XENVER-amd64.gz > "$CACHE/xen.tmp.$$" && mv "$CACHE/xen.tmp.$$" "$CACHE/xen"
fi

# ---- base: busybox + toolstack (kernel independent) ----
BASE=$CACHE/base.cpio
if [ ! -s "$BASE" ] || [ "$HERE/mkimage.sh" -nt "$BASE" ]; then
	root=$(mktemp -d)
	install -D -m 0755 /bin/busybox "$root/bin/busybox"
	for app in $(/bin/busybox --list); do
		[ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"
	done
	copy_with_libs "$root" $XENBIN/xl $XENBIN/xenstored $XENBIN/oxenstored \
		$XENBIN/xenconsoled \
		$XENBIN/xen-init-dom0 $XENBIN/libxl-save-helper \
		/usr/bin/xenstore /usr/bin/xenstore-read /usr/bin/xenstore-write \
		/usr/bin/xenstore-exists /usr/bin/xenstore-list /usr/bin/xenstore-ls \
		/usr/bin/xenstore-rm
	# glibc dlopen()s libgcc_s for pthread_cancel; ldd does not list it.
	install -D -m 0644 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1 \
		"$root/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"
	# oxenstored, Debian's default xenstored, with Debian's configuration.
	install -D -m 0644 /etc/xen/oxenstored.conf "$root/etc/xen/oxenstored.conf"
	mkdir -p "$root"/{proc,sys,dev,run,tmp,etc/xen,var/lib/xen,var/log/xen/console,var/run/xen,var/run/xenstored,lib/modules}
	ln -s /usr/lib/xen-$XENVER/bin/xl "$root/bin/xl.real" 2>/dev/null || true
	cpio_of "$root" "$BASE.tmp.$$" && mv "$BASE.tmp.$$" "$BASE"
	rm -rf "$root"
fi

# ---- per kernel: vmlinux, modules, domU kernel ----
KDIR=$CACHE/$KVER
mkdir -p "$KDIR"
VMLINUZ=/boot/vmlinuz-$KVER
[ -r "$VMLINUZ" ] || die "no $VMLINUZ (run 'make deps')"
if [ ! -s "$KDIR/vmlinux" ] || [ "$VMLINUZ" -nt "$KDIR/vmlinux" ]; then
	"$HERE/extract-vmlinux.sh" "$VMLINUZ" > "$KDIR/vmlinux.tmp.$$"
	mv "$KDIR/vmlinux.tmp.$$" "$KDIR/vmlinux"
fi

# Modules (with dependencies, decompressed) in load order, one list per role.
mod_closure() {
	local m
	for m in "$@"; do
		modprobe --show-depends -S "$KVER" "$m" | awk '$1 == "insmod" {print $2}'
	done | awk '!seen[$0]++'
}
stage_modules() {	# root listfile modules...
	local root=$1 list=$2 f base; shift 2
	mkdir -p "$root/xt/modules"
	: > "$list"
	for f in $(mod_closure "$@"); do
		base=$(basename "$f"); base=${base%.xz}; base=${base%.zst}
		case $f in
		*.xz) xz -dc "$f" > "$root/xt/modules/$base" ;;
		*.zst) zstd -qdc "$f" > "$root/xt/modules/$base" ;;
		*) cp "$f" "$root/xt/modules/$base" ;;
		esac
		echo "$base" >> "$list"
	done
}

KCPIO=$KDIR/kernel.cpio
if [ ! -s "$KCPIO" ] || [ "$HERE/mkimage.sh" -nt "$KCPIO" ] || [ "$VMLINUZ" -nt "$KCPIO" ]; then
	root=$(mktemp -d)
	stage_modules "$root" "$root/xt/modules.dom0" xen-evtchn xen-gntalloc \
		xen-privcmd xenfs vgem cirrus
	# The stock gntdev, for XT_GNTDEV=stock runs.
	mkdir -p "$root/xt/stock"
	stage_modules "$root/xt/stock" "$root/xt/stock/list" xen-gntdev
	mkdir -p "$root/xt/domu"
	gzip -1 -c "$KDIR/vmlinux" > "$root/xt/domu/vmlinux.gz"
	cpio_of "$root" "$KCPIO.tmp.$$" && mv "$KCPIO.tmp.$$" "$KCPIO"
	rm -rf "$root"
fi

# ---- payload: tests, module under test, domU initramfs, config ----
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m 0755 "$HERE/dom0-init.sh" "$root/init"
mkdir -p "$root/xt"
for d in dom0 bin32 post; do
	if [ -d "$XT_BUILD/xt/$d" ]; then
		cp -r "$XT_BUILD/xt/$d" "$root/xt/$d"
	else
		mkdir -p "$root/xt/$d"
	fi
done
install -m 0755 "$XT_BUILD/xt/harness/xt-run" "$root/xt/xt-run"
# Dynamic programs built against libgnttab-ext as installed in
# $XT_BUILD/stage (the tutorial's, xen-gntdev-info): in /xt/lib, their
# libraries where dom0's loader looks without a cache.
stage_lib=$XT_BUILD/stage/usr/local/lib
for f in "$XT_BUILD"/xt/lib/*; do
	[ -x "$f" ] || continue
	install -D -m 0755 "$f" "$root/xt/lib/${f##*/}"
	for lib in $(LD_LIBRARY_PATH=$stage_lib ldd "$f" 2>/dev/null |
		     awk '/=>/ {print $3} /^\t\// {print $1}'); do
		case $lib in
		"$stage_lib"/*) dest=/usr/lib/x86_64-linux-gnu/${lib##*/} ;;
		*) dest=$lib ;;
		esac
		[ -e "$root$dest" ] || install -D -m 0755 "$lib" "$root$dest"
	done
done
install -m 0644 "$XT_CONFIG" "$root/xt/config"
if [ "$XT_GNTDEV" != stock ]; then
	install -D -m 0644 "$XT_GNTDEV" "$root/xt/modules/xen-gntdev.ko"
fi
for ko in ${XT_KMODS:-}; do
	install -D -m 0644 "$ko" "$root/xt/testmods/$(basename "$ko")"
done
mkdir -p "$root/xt/extra"
if [ -n "${XT_EXTRA:-}" ]; then
	cp -rL "$XT_EXTRA"/. "$root/xt/extra/"
fi

# domU initramfs: busybox, agent, peers, domU-side extra tests, modules.
droot=$(mktemp -d)
install -D -m 0755 /bin/busybox "$droot/bin/busybox"
for app in $(/bin/busybox --list); do
	[ -e "$droot/bin/$app" ] || ln -s busybox "$droot/bin/$app"
done
install -D -m 0755 "$HERE/domu-init.sh" "$droot/init"
install -D -m 0755 "$XT_BUILD/xt/harness/xt-agent" "$droot/xt/xt-agent"
mkdir -p "$droot/xt/domu" "$droot"/{proc,sys,dev,tmp}
cp -r "$XT_BUILD/xt/domu/." "$droot/xt/domu/"
if [ -n "${XT_EXTRA:-}" ]; then
	for f in "$XT_EXTRA"/domu-*; do
		[ -e "$f" ] && install -m 0755 "$f" "$droot/xt/domu/"
	done
fi
stage_modules "$droot" "$droot/xt/modules.domu" xen-evtchn xen-gntalloc xen-gntdev
mkdir -p "$root/xt/domu"
cpio_of "$droot" "$root/xt/domu/initrd.cpio"
rm -rf "$droot"
cpio_of "$root" "$OUT/payload.cpio"

cat "$BASE" "$KCPIO" "$OUT/payload.cpio" > "$OUT/dom0.cpio"
ln -sf "$CACHE/xen" "$OUT/xen"
ln -sf "$KDIR/vmlinux" "$OUT/vmlinux"
