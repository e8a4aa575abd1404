# SPDX-License-Identifier: GPL-2.0-only
#
# xen-gntdev-dmabuf: top-level build.
#
#   make [all]          module (for KVER) + userspace library + test programs
#   make module         the xen-gntdev module, out of tree, for KVER/KDIR
#   make module-arm64   the module cross-built for Debian's arm64 kernels
#                       (KVER_ARM64; make deps-arm64 fetches headers and
#                       compiler)
#   make install        installs it as /lib/modules/KVER/updates/xen-gntdev.ko
#                       (KVER: the running kernel unless given)
#   make uninstall      removes it again
#   make dkms           hands the module to DKMS (dkms.conf): rebuilt for
#                       every kernel; make dkms-remove undoes it
#   make lib            libgnttab-ext (shared, static, host tests)
#   make lib-arm64      libgnttab-ext, its tool and example, cross-built
#   make tests          host tools, host unit tests, in-machine test programs
#   make dist           the release tarball build/xen-gntdev-dmabuf-VERSION.tar.gz
#   make deps           installs every Debian package needed (idempotent)
#   make deps-arm64     unpacks the arm64 headers and cross compiler under
#                       build/arm64 (installs nothing)
#   make lint           sparse + W=1 on both kernels (amd64 and arm64),
#                       checkpatch --strict
#                       (module and C tests), shellcheck (shell scripts)
#   make check          host unit tests, then the Xen machine (see below)
#   make check-harness  proves the harness reports failing/hanging tests
#   make deb            Debian packages (debian/) into build/deb
#   make check-dkms     installs the module with DKMS for both kernels,
#                       boots the machine on it, removes it again
#   make run            boots the Xen machine and shows the cross-domain path
#   make bench          benchmarks (tests/bench): report, CSV, plots (BENCH_MATRIX=all)
#   make fuzz           the long ioctl fuzz campaign (FUZZ_OPS, FUZZ_SEED)
#   make clean
#
# Variables:
#   KVER         kernel release to build the module for (default: the
#                newest installed 6.1 kernel, the harness's default)
#   KDIR         its build tree (default /lib/modules/$(KVER)/build)
#   KVER_ARM64   arm64 kernel releases to cross-build for (default: the
#                newest fetched 6.1 and 6.12, tools/arm64-cross.sh)
#   MATRIX       default (6.1, PV dom0) or all (PV/PVH x 6.1/6.12)
#   TESTS        fnmatch patterns (comma-separated) selecting in-machine
#                tests (default *)
#   EXTRA_TESTS  a directory of extra tests to run in the machine
#   GNTDEV       ours (the module built here) or stock (Debian's)

KVER ?= $(shell tools/kver.sh)
KDIR ?= /lib/modules/$(KVER)/build
B := build
MATRIX ?= default
TESTS ?= *
EXTRA_TESTS ?=
GNTDEV ?= ours

CFLAGS_XT := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude/uapi \
	     -Itests/lib -Itests/harness -I/usr/include/libdrm
LIBS_XT := -lxengnttab -lxenstore -lxentoollog -lxentoolcore -lpthread

DOM0_SRCS := $(wildcard tests/dom0/*.c)
DOMU_SRCS := $(wildcard tests/domu/*.c)
BIN32_SRCS := $(wildcard tests/dom0-32/*.c)
POST_SRCS := $(wildcard tests/post/*)
HOST_SRCS := $(wildcard tests/host/*.c)
BENCH_SRCS := $(wildcard tests/bench/*.c)

DOM0_BINS := $(DOM0_SRCS:tests/dom0/%.c=$(B)/xt/dom0/%)
DOMU_BINS := $(DOMU_SRCS:tests/domu/%.c=$(B)/xt/domu/%)
BIN32_BINS := $(BIN32_SRCS:tests/dom0-32/%.c=$(B)/xt/bin32/%)
POST_BINS := $(POST_SRCS:tests/post/%=$(B)/xt/post/%)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(B)/xt/bench/bench-%)
HOST_BINS := $(HOST_SRCS:tests/host/%.c=$(B)/host/test-%) \
	     $(HOST_SRCS:tests/host/%.c=$(B)/host/test32-%)
HARNESS_BINS := $(B)/xt/harness/xt-run $(B)/xt/harness/xt-agent \
		$(B)/host/xt-report $(B)/host/xt-picture

XT_HDRS := tests/lib/xt.h tests/harness/xt-frame.h include/uapi/xen/gntdev.h
# The dom0 gntdev test library and the headers of its areas.
GT_HDRS := tests/lib/gntdev-test.h $(wildcard tests/dom0/*.h)

.PHONY: bench dist all deps-arm64 module module-arm64 lib-arm64 testmods install uninstall dkms dkms-remove lint lib stage tests deps check check-harness check-dkms deb fuzz run clean
all: module lib tests

module:
	@test -d "$(KDIR)" || { echo "no kernel build tree $(KDIR): install linux-headers-$(KVER) (or run 'make deps' on a development machine)"; exit 1; }
	@mkdir -p $(B)/module/$(KVER)
	@cp -a drivers include $(B)/module/$(KVER)/
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(B)/module/$(KVER)/drivers/xen W=1 modules

# The module cross-built for arm64 (tools/arm64-cross.sh: Debian's arm64
# headers and cross compiler, unpacked under $(B)/arm64 by make
# deps-arm64), one copy per kernel like the amd64 build.
ARM64 := XT_BUILD=$(B) tools/arm64-cross.sh
KVER_ARM64 ?= $(shell $(ARM64) kver 6.1) $(shell $(ARM64) kver 6.12)
ARM64_BIN = $(shell $(ARM64) bin)
ARM64_CC = $(shell $(ARM64) cc)
ARM64_SYSROOT = $(shell $(ARM64) sysroot)
ARM64_MISSING = echo "no arm64 cross-build environment in $(B)/arm64: run 'make deps-arm64'"

deps-arm64:
	@$(ARM64) fetch

module-arm64:
	@test -n "$(strip $(KVER_ARM64))" && test -n "$(ARM64_BIN)" || \
		{ $(ARM64_MISSING); exit 1; }
	@for k in $(KVER_ARM64); do \
		h=$$($(ARM64) kdir $$k); o=$(B)/module-arm64/$$k; \
		test -d "$$h" || { echo "no arm64 build tree $$h"; exit 1; }; \
		mkdir -p $$o && cp -a drivers include $$o/ && \
		$(ARM64) run $(MAKE) -C $$h \
			M=$(CURDIR)/$$o/drivers/xen ARCH=arm64 \
			CROSS_COMPILE=aarch64-linux-gnu- W=1 modules || exit 1; \
	done

# Test-only kernel modules (tests/modules/*), built per kernel like ours.
testmods:
	@test -d "$(KDIR)" || { echo "no kernel build tree $(KDIR): run 'make deps'"; exit 1; }
	@for d in tests/modules/*/; do \
		m=$$(basename $$d); o=$(B)/testmods/$(KVER)/$$m; \
		mkdir -p $$o && cp -a $$d/. $$o/ && \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/$$o W=1 modules || exit 1; \
	done

# install, uninstall and dkms act on the running kernel unless KVER is
# given (the build and test targets default to tools/kver.sh's kernel).
IKVER := $(if $(filter command line environment,$(origin KVER)),$(KVER),$(shell uname -r))
VERSION := $(shell cat VERSION)
DKMS_SRC := /usr/src/xen-gntdev-dmabuf-$(VERSION)

install:
	@$(MAKE) --no-print-directory module KVER=$(IKVER)
	install -D -m 0644 $(B)/module/$(IKVER)/drivers/xen/xen-gntdev.ko \
		$(DESTDIR)/lib/modules/$(IKVER)/updates/xen-gntdev.ko
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(IKVER); fi

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(IKVER)/updates/xen-gntdev.ko
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(IKVER); fi

# DKMS: the module source in $(DKMS_SRC), built and installed for the
# running kernel (and, AUTOINSTALL, every kernel installed later).
dkms:
	@command -v dkms >/dev/null || apt-get install -y dkms
	rm -rf $(DKMS_SRC) && mkdir -p $(DKMS_SRC)
	cp -a drivers include dkms.conf VERSION COPYING $(DKMS_SRC)/
	dkms add xen-gntdev-dmabuf/$(VERSION) || true
	dkms install xen-gntdev-dmabuf/$(VERSION) -k $(IKVER)

# Debian packages (debian/): xen-gntdev-dmabuf-dkms, libgnttab-ext0,
# libgnttab-ext-dev, xen-gntdev-info, into $(B)/deb.
deb:
	@command -v dpkg-buildpackage >/dev/null && dpkg -s dh-dkms >/dev/null 2>&1 || \
		apt-get install -y --no-install-recommends debhelper dh-dkms fakeroot
	dpkg-buildpackage -us -uc -b
	@rm -rf $(B)/deb && mkdir -p $(B)/deb
	mv ../xen-gntdev-dmabuf*_$(VERSION)_* ../libgnttab-ext*_$(VERSION)_* \
		../xen-gntdev-info*_$(VERSION)_* $(B)/deb/
	@ls $(B)/deb

dkms-remove:
	dkms remove xen-gntdev-dmabuf/$(VERSION) --all || true
	rm -rf $(DKMS_SRC)

# libgnttab-ext: built in $(LIB_O); installed into $(STAGE) as a user
# would (make install DESTDIR=...); the tutorial's program is built from
# that install with pkg-config alone, and runs in dom0 with the tool.
LIB_O := $(B)/libgnttab-ext
LIB_A := $(LIB_O)/libgnttab-ext.a
STAGE := $(B)/stage
STAGE_PC := $(CURDIR)/$(STAGE)/usr/local/lib/pkgconfig

lib:
	@$(MAKE) --no-print-directory -C libgnttab-ext O=$(CURDIR)/$(LIB_O) \
		all tests

# libgnttab-ext cross-built for arm64 against the sysroot make deps
# unpacked (arm64 C library and libdrm): the libraries, the .pc, the
# tool and the example; the host unit tests only run on the host.
LIB_ARM64_O := $(B)/libgnttab-ext-arm64
lib-arm64:
	@test -n "$(ARM64_BIN)" || { $(ARM64_MISSING); exit 1; }
	@PKG_CONFIG_SYSROOT_DIR=$(ARM64_SYSROOT) \
	 PKG_CONFIG_LIBDIR=$(ARM64_SYSROOT)/usr/lib/aarch64-linux-gnu/pkgconfig \
	 $(ARM64) run $(MAKE) --no-print-directory -C libgnttab-ext \
		O=$(CURDIR)/$(LIB_ARM64_O) \
		CC="$(ARM64_CC) --sysroot=$(ARM64_SYSROOT)" \
		AR=aarch64-linux-gnu-ar all examples check-symbols

stage: lib
	@$(MAKE) --no-print-directory -C libgnttab-ext O=$(CURDIR)/$(LIB_O) \
		install DESTDIR=$(CURDIR)/$(STAGE) PREFIX=/usr/local >/dev/null

$(B)/xt/lib/show-guest-fb: libgnttab-ext/examples/show-guest-fb.c stage
	@mkdir -p $(@D)
	$(CC) $< $$(PKG_CONFIG_PATH=$(STAGE_PC) pkg-config --cflags --libs \
		libgnttab-ext) -o $@

$(B)/xt/lib/xen-gntdev-info: stage
	@mkdir -p $(@D)
	install -m 0755 $(STAGE)/usr/local/bin/xen-gntdev-info $@

tests: $(HARNESS_BINS) $(DOM0_BINS) $(DOMU_BINS) $(BIN32_BINS) $(POST_BINS) \
       $(HOST_BINS) $(BENCH_BINS) $(B)/xt/lib/show-guest-fb \
       $(B)/xt/lib/xen-gntdev-info
	@# Programs whose source is gone must not keep running in the machine.
	@for f in $(filter-out $(DOM0_BINS) $(DOMU_BINS) $(BIN32_BINS) $(POST_BINS) $(BENCH_BINS), \
		$(wildcard $(B)/xt/dom0/* $(B)/xt/domu/* $(B)/xt/bin32/* $(B)/xt/post/* \
			   $(B)/xt/bench/*)); do \
		echo "removing stale $$f"; rm -f $$f; done

$(B)/xt/xt.o: tests/lib/xt.c $(XT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_XT) -c -o $@ $<

$(B)/xt/gntdev-test.o: tests/lib/gntdev-test.c $(GT_HDRS) $(XT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_XT) -c -o $@ $<

$(B)/xt/dom0/%: tests/dom0/%.c $(B)/xt/gntdev-test.o $(B)/xt/xt.o $(XT_HDRS) $(GT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_XT) -static -o $@ $< $(B)/xt/gntdev-test.o $(B)/xt/xt.o \
		$(LIBS_XT)

# dom0 tests of libgnttab-ext (lib-*.c): linked with it, statically.
$(B)/xt/dom0/lib-%: tests/dom0/lib-%.c $(B)/xt/gntdev-test.o $(B)/xt/xt.o \
		    $(XT_HDRS) $(GT_HDRS) lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_XT) -Ilibgnttab-ext/include -static -o $@ $< \
		$(B)/xt/gntdev-test.o $(B)/xt/xt.o $(LIB_A) -ldrm $(LIBS_XT)

$(B)/xt/bench/bench-%: tests/bench/%.c $(wildcard tests/bench/*.h) $(B)/xt/gntdev-test.o \
		       $(B)/xt/xt.o $(XT_HDRS) $(GT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_XT) -Itests/dom0 -static -o $@ $< $(B)/xt/gntdev-test.o \
		$(B)/xt/xt.o $(LIBS_XT)

$(B)/xt/domu/%: tests/domu/%.c $(B)/xt/xt.o $(XT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_XT) -static -o $@ $< $(B)/xt/xt.o $(LIBS_XT)

# 32-bit dom0 programs: raw ioctls only (no 32-bit Xen libraries exist).
$(B)/xt/bin32/%: tests/dom0-32/%.c include/uapi/xen/gntdev.h
	@mkdir -p $(@D)
	$(CC) -m32 $(CFLAGS_XT) -static -o $@ $<

$(B)/xt/post/%: tests/post/%
	@mkdir -p $(@D)
	install -m 0755 $< $@

$(B)/xt/harness/%: tests/harness/%.c $(B)/xt/xt.o $(XT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_XT) -static -o $@ $< $(B)/xt/xt.o $(LIBS_XT)

$(B)/host/xt-report: tests/harness/xt-report.c tests/harness/xt-frame.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_XT) -o $@ $<

$(B)/host/xt-picture: tests/harness/xt-picture.c $(XT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_XT) -o $@ $<

$(B)/host/test-%: tests/host/%.c $(XT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_XT) -fsanitize=address,undefined -o $@ $<

$(B)/host/test32-%: tests/host/%.c $(XT_HDRS)
	@mkdir -p $(@D)
	$(CC) -m32 $(CFLAGS_XT) -o $@ $<

lint:
	@XT_BUILD=$(B) tools/lint.sh

deps:
	@tools/deps.sh

check: deps
	@$(MAKE) --no-print-directory tests
	@MATRIX='$(MATRIX)' TESTS='$(TESTS)' EXTRA_TESTS='$(EXTRA_TESTS)' \
	 GNTDEV='$(GNTDEV)' XT_BUILD=$(B) tests/harness/check.sh

# docs/install.md's DKMS steps on this machine, the Xen machine booted on
# the DKMS-installed module, then removed again (tools/dkms-check.sh).
check-dkms: deps
	@tools/dkms-check.sh

check-harness: deps
	@$(MAKE) --no-print-directory tests
	@GNTDEV='$(GNTDEV)' XT_BUILD=$(B) tests/harness/check-harness.sh

# Benchmarks (tests/bench/*.c, tools/bench.sh): one boot per point with
# our module and one with Debian's, running only them; the report, its
# CSV and plots go to build/bench/DATE-MATRIX (docs/performance.md).
BENCH_MATRIX ?= 6.1-pv,6.1-pvh
BENCH_STOCK ?= 1
BENCH_RUNS ?= 1
bench: deps
	@$(MAKE) --no-print-directory tests
	@BENCH_MATRIX='$(BENCH_MATRIX)' BENCH_STOCK='$(BENCH_STOCK)' \
	 BENCH_RUNS='$(BENCH_RUNS)' XT_BUILD=$(B) tools/bench.sh

# The long fuzz campaign (tests/dom0/fuzz-gntdev.c, docs/fuzzing.md) on
# every point, dom0 booted with allocator debugging; the short run is
# part of make check.
FUZZ_MATRIX ?= 6.1-pv,6.12-pv,6.1-pvh,6.12-pvh
FUZZ_OPS ?= 100000
fuzz: deps
	@$(MAKE) --no-print-directory tests
	@MATRIX='$(FUZZ_MATRIX)' TESTS='fuzz-gntdev' GNTDEV='$(GNTDEV)' \
	 XT_BUILD=$(B) FUZZ_OPS='$(FUZZ_OPS)' FUZZ_SEED='$(FUZZ_SEED)' \
	 XT_HOST_TESTS=0 XT_DOM0_EXTRA='slub_debug=FZPU init_on_free=1 page_poison=1' \
	 tests/harness/check.sh

run: deps
	@$(MAKE) --no-print-directory tests
	@GNTDEV='$(GNTDEV)' XT_BUILD=$(B) tools/demo.sh

# The release tarball: the committed tree (git archive of HEAD, so
# nothing uncommitted or built slips in), named after VERSION.
DIST := $(B)/xen-gntdev-dmabuf-$(VERSION).tar.gz
dist:
	@mkdir -p $(B)
	@git diff --quiet HEAD || echo "dist: uncommitted changes are not in the tarball"
	@git archive --format=tar.gz --prefix=xen-gntdev-dmabuf-$(VERSION)/ \
		-o $(DIST) HEAD
	@echo "dist: $(DIST) ($$(tar -tzf $(DIST) | wc -l) entries, $$(git rev-parse --short HEAD))"

clean:
	rm -rf $(B)
