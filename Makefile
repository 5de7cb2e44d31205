# homesetup: GNU make build. Respects CC CFLAGS CPPFLAGS LDFLAGS PREFIX LIBDIR DESTDIR (Gentoo QA rules).
#   make                  library + CLI, in tree (libhomesetup/libhomesetup.so.0, bin/homesetup)
#   make check            unit (cmocka), CLI (bats) and conformance tests; ends with "N passed, N failed"
#   make check SANITIZE=1 the same, built with ASan+UBSan into build-san/
#   make fuzz / fuzz-smoke   libFuzzer targets (clang), built into build-fuzz/
#   make bench            throughput figures with same-run baselines
#   make install / uninstall

VERSION    := 0.1.0
SOVERSION  := 0

CC        ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS    ?= -O2 -g
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
LIBDIR    ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR   ?= $(PREFIX)/share
MANDIR    ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR   ?=

ifeq ($(SANITIZE),1)
B := build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
B := .
SAN_FLAGS :=
endif
O := $(B)/.obj

# Libraries the library links against (pkg-config names), and iniparser, which has no .pc everywhere.
LIB_PKGS := json-c libsystemd zlib libxxhash libcrypt
# Libraries only `image inspect` (libcryptsetup, libblkid) and `doctor` (libpcre2-8) use: libhomesetup/dl.c loads
# them with dlopen() by soname on first use, so every other command starts without them (libcryptsetup alone brings
# libcrypto, libdevmapper, libselinux, libudev and libm: ~2.5 MB of RSS and ~3 ms of start-up). Their headers are
# used at build time; their sonames are read from the libraries found through pkg-config (dl.c has defaults); the
# unit tests that call them directly link them.
DL_PKGS := libcryptsetup blkid libpcre2-8
READELF ?= readelf
dl_soname = $(shell $(READELF) -d "$$($(PKG_CONFIG) --variable=libdir $(1))/lib$(2).so" 2>/dev/null | \
	sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
SONAME_CRYPTSETUP := $(call dl_soname,libcryptsetup,cryptsetup)
SONAME_BLKID := $(call dl_soname,blkid,blkid)
SONAME_PCRE2 := $(call dl_soname,libpcre2-8,pcre2-8)
DL_CPPFLAGS := $(if $(SONAME_CRYPTSETUP),-DHS_SONAME_CRYPTSETUP='"$(SONAME_CRYPTSETUP)"') \
	$(if $(SONAME_BLKID),-DHS_SONAME_BLKID='"$(SONAME_BLKID)"') $(if $(SONAME_PCRE2),-DHS_SONAME_PCRE2='"$(SONAME_PCRE2)"')
CLI_PKGS := json-c
INIPARSER_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags iniparser 2>/dev/null || \
	{ test -d /usr/include/iniparser && echo -I/usr/include/iniparser; })
INIPARSER_LIBS ?= $(shell $(PKG_CONFIG) --libs iniparser 2>/dev/null || echo -liniparser)
PKG_CFLAGS  = $(shell $(PKG_CONFIG) --cflags $(LIB_PKGS) $(DL_PKGS) $(CLI_PKGS)) $(INIPARSER_CFLAGS) $(DL_CPPFLAGS)
LIB_LIBS    = $(shell $(PKG_CONFIG) --libs $(LIB_PKGS)) $(INIPARSER_LIBS) -ldl
DL_LIBS     = $(shell $(PKG_CONFIG) --libs $(DL_PKGS))
CLI_LIBS    = $(shell $(PKG_CONFIG) --libs $(CLI_PKGS))
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka)
CMOCKA_LIBS   = $(shell $(PKG_CONFIG) --libs cmocka)

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith \
        -Wundef -Wvla -Wno-unused-parameter -Werror=implicit-function-declaration
HS_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -Ilibhomesetup $(SAN_FLAGS)
LIB_CFLAGS := $(HS_CFLAGS) -fPIC -fvisibility=hidden
HS_LDFLAGS := $(SAN_FLAGS) -Wl,--as-needed

LIB_SRCS  := $(sort $(wildcard libhomesetup/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(O)/%.o)
CLI_SRCS  := $(sort $(wildcard bin/*.c))
CLI_OBJS  := $(CLI_SRCS:%.c=$(O)/%.o)
TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(O)/tests/%)
TEST_HELPER_SRCS := $(sort $(wildcard tests/unit/helpers/*.c))

SONAME   := libhomesetup.so.$(SOVERSION)
LIB_REAL := $(B)/libhomesetup/libhomesetup.so.$(VERSION)
LIB_SO0  := $(B)/libhomesetup/$(SONAME)
LIB_SO   := $(B)/libhomesetup/libhomesetup.so
LIB_INT  := $(O)/libhomesetup-internal.a
CLI_BIN  := $(B)/bin/homesetup
PC_FILE  := $(B)/libhomesetup/homesetup.pc

.PHONY: all check check-unit check-vm install uninstall clean bench fuzz fuzz-smoke
.DEFAULT_GOAL := all

all: $(LIB_SO) $(CLI_BIN) $(PC_FILE)

$(O)/libhomesetup/%.o: libhomesetup/%.c libhomesetup/homesetup.h $(wildcard libhomesetup/*.h) | $(O)/libhomesetup
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LIB_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(O)/bin/%.o: bin/%.c libhomesetup/homesetup.h $(wildcard bin/*.h) | $(O)/bin
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HS_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(O)/libhomesetup $(O)/bin $(O)/tests $(B)/libhomesetup $(B)/bin:
	mkdir -p $@

$(LIB_REAL): $(LIB_OBJS) libhomesetup/libhomesetup.sym | $(B)/libhomesetup
	$(CC) $(CFLAGS) $(LDFLAGS) $(HS_LDFLAGS) -shared -Wl,-soname,$(SONAME) \
		-Wl,--version-script=libhomesetup/libhomesetup.sym -o $@ $(LIB_OBJS) $(LIB_LIBS)

$(LIB_SO0): $(LIB_REAL)
	ln -sf $(notdir $<) $@
$(LIB_SO): $(LIB_SO0)
	ln -sf $(notdir $<) $@

# All library objects (hidden symbols included) for unit tests of internal functions.
$(LIB_INT): $(LIB_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

# In the build tree the CLI finds the library through $ORIGIN; `make install` relinks it without a RUNPATH.
$(CLI_BIN): $(CLI_OBJS) $(LIB_SO) | $(B)/bin
	$(CC) $(CFLAGS) $(LDFLAGS) $(HS_LDFLAGS) -o $@ $(CLI_OBJS) -L$(B)/libhomesetup -lhomesetup \
		-Wl,-rpath,'$$ORIGIN/../libhomesetup' $(CLI_LIBS)

$(PC_FILE): libhomesetup/homesetup.pc.in Makefile | $(B)/libhomesetup
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' $< > $@

$(O)/tests/%: tests/unit/%.c $(TEST_HELPER_SRCS) $(LIB_INT) libhomesetup/homesetup.h | $(O)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HS_CFLAGS) $(PKG_CFLAGS) $(CMOCKA_CFLAGS) -Itests/unit -o $@ $< \
		$(TEST_HELPER_SRCS) $(LIB_INT) $(HS_LDFLAGS) $(LDFLAGS) $(LIB_LIBS) $(DL_LIBS) $(CMOCKA_LIBS)

# The D-Bus test peer of tests/bus/ (sd-bus only; run by tests/bus/*.bats, not as a unit test).
$(O)/tests/fake-systemd: tests/bus/fake-systemd.c | $(O)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HS_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(HS_LDFLAGS) $(LDFLAGS) \
		$(shell $(PKG_CONFIG) --libs libsystemd)

check-unit: $(TEST_BINS) $(O)/tests/fake-systemd

check: all check-unit
	B=$(B) SHARED=$(abspath ../shared) bash tests/run-tests.sh

# The VM test (tests/vm/README.md): a Debian guest with the real systemd-homed, built and cached by
# tests/vm/build-image.sh (root, debootstrap, qemu), in which the built homesetup migrates users.
check-vm: all
	B=$(B) bash tests/vm/run.sh

# ---- install -----------------------------------------------------------------------------------------
# Besides the library and the CLI: the eselect module, the Portage hook files (their path to homed-check.bash is
# rewritten for HOOKDIR), the man pages and the bash and zsh completions. homesetup.pc is written for the PREFIX
# and LIBDIR of the install, whatever the build used.
ESELECTDIR  ?= $(DATADIR)/eselect/modules
HOOKDIR     ?= $(DATADIR)/homesetup/portage-hooks
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/site-functions
HOOK_FILES  := homed-check.bash README.md package.bashrc bashrc/homed-check env/sys-apps/systemd env/sys-auth/pambase

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -d $(DESTDIR)$(ESELECTDIR) $(DESTDIR)$(HOOKDIR)/bashrc $(DESTDIR)$(HOOKDIR)/env/sys-apps \
		$(DESTDIR)$(HOOKDIR)/env/sys-auth $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HS_LDFLAGS) -o $(O)/homesetup.install $(CLI_OBJS) \
		-L$(B)/libhomesetup -lhomesetup $(CLI_LIBS)
	install -m 0755 $(O)/homesetup.install $(DESTDIR)$(BINDIR)/homesetup
	install -m 0755 $(LIB_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIB_REAL)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libhomesetup.so
	install -m 0644 libhomesetup/homesetup.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' libhomesetup/homesetup.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/homesetup.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/homesetup.pc
	install -m 0644 eselect/homed.eselect $(DESTDIR)$(ESELECTDIR)/homed.eselect
	set -e; for f in $(HOOK_FILES); do \
		sed 's|/usr/share/homesetup/portage-hooks|$(HOOKDIR)|g' portage-hooks/$$f > $(DESTDIR)$(HOOKDIR)/$$f; \
		chmod 0644 $(DESTDIR)$(HOOKDIR)/$$f; \
	done
	install -m 0644 doc/homesetup.8 $(DESTDIR)$(MANDIR)/man8/homesetup.8
	install -m 0644 doc/libhomesetup.3 $(DESTDIR)$(MANDIR)/man3/libhomesetup.3
	install -m 0644 completions/homesetup.bash $(DESTDIR)$(BASHCOMPDIR)/homesetup
	install -m 0644 completions/_homesetup $(DESTDIR)$(ZSHCOMPDIR)/_homesetup

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/homesetup $(DESTDIR)$(LIBDIR)/$(notdir $(LIB_REAL)) \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libhomesetup.so \
		$(DESTDIR)$(INCLUDEDIR)/homesetup.h $(DESTDIR)$(PKGCONFIGDIR)/homesetup.pc
	rm -f $(DESTDIR)$(ESELECTDIR)/homed.eselect $(addprefix $(DESTDIR)$(HOOKDIR)/,$(HOOK_FILES)) \
		$(DESTDIR)$(MANDIR)/man8/homesetup.8 $(DESTDIR)$(MANDIR)/man3/libhomesetup.3 \
		$(DESTDIR)$(BASHCOMPDIR)/homesetup $(DESTDIR)$(ZSHCOMPDIR)/_homesetup
	rmdir $(DESTDIR)$(HOOKDIR)/env/sys-apps $(DESTDIR)$(HOOKDIR)/env/sys-auth $(DESTDIR)$(HOOKDIR)/env \
		$(DESTDIR)$(HOOKDIR)/bashrc $(DESTDIR)$(HOOKDIR) $(DESTDIR)$(patsubst %/,%,$(dir $(HOOKDIR))) \
		2> /dev/null || true

# ---- fuzzing (clang + libFuzzer; library sources compiled into each target) --------------------------
FUZZ_CC      ?= clang
FUZZ_B       := build-fuzz
FUZZ_SECONDS ?= 30
FUZZ_FLAGS   := -g -O1 -std=gnu11 -D_GNU_SOURCE -Ilibhomesetup -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRCS    := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_SRCS:fuzz/%.c=$(FUZZ_B)/%)

$(FUZZ_B)/%: fuzz/%.c $(LIB_SRCS) $(wildcard libhomesetup/*.h)
	@mkdir -p $(FUZZ_B)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $< $(LIB_SRCS) $(LIB_LIBS)

fuzz: $(FUZZ_BINS)

fuzz-smoke: fuzz
	FUZZ_B=$(FUZZ_B) FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/smoke.sh $(FUZZ_BINS)

# ---- benchmarks ----------------------------------------------------------------------------------------
BENCH_SRCS := $(sort $(wildcard bench/bench_*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(O)/bench/%)

$(O)/bench/%: bench/%.c $(wildcard bench/gen_*.c) $(LIB_INT) | $(O)/tests
	@mkdir -p $(O)/bench
	$(CC) $(CPPFLAGS) -O2 -g $(HS_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(LIB_INT) $(HS_LDFLAGS) $(LDFLAGS) $(LIB_LIBS)

# fake-systemd: bench_check.sh times `check` against it on a private bus too.
bench: all $(BENCH_BINS) $(O)/tests/fake-systemd
	B=$(B) bash bench/run.sh $(BENCH_BINS)

clean:
	rm -rf .obj build-san build-fuzz libhomesetup/libhomesetup.so* libhomesetup/homesetup.pc bin/homesetup
