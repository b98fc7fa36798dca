# grantd: GNU make build.  `make` builds, `make run` starts a development
# daemon, `make check` runs every test under ASan and UBSan.

PKGS      = libuv sqlite3 libmicrohttpd jansson inih libsodium libsystemd libutf8proc gnutls \
            libcurl
TEST_PKGS = check libcurl

BUILD    ?= build
SAN      ?= 0
WERROR   ?=
PREFIX   ?= /usr/local
CC       ?= cc

WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral $(WERROR)
HARDEN   = -fstack-protector-strong -fPIE
ifeq ($(SAN),1)
OPT      = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
SANLD    = -fsanitize=address,undefined
else
OPT      = -O2 -g -D_FORTIFY_SOURCE=2
SANLD    =
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_CFLAGS := $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

CPPFLAGS += -D_GNU_SOURCE -Ilib -Idaemon
CFLAGS   += -std=c11 $(OPT) $(WARN) $(HARDEN) -MMD -MP
LDFLAGS  += -pie -Wl,-z,relro,-z,now $(SANLD)

LIB_SRC    := $(wildcard lib/*.c)
DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
UNIT_SRC   := $(wildcard test/unit/test_*.c)
ROUTE_SRC  := $(wildcard test/routes/test_*.c)
INTEG_SRC  := $(wildcard test/integration/test_*.c)
TESTLIB_SRC := $(wildcard test/common/*.c)

LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o) $(BUILD)/schema.o
SCHEMA_SQL := $(sort $(wildcard schema/[0-9][0-9][0-9]_*.sql))
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/%.o)
CORE_A     := $(BUILD)/libgrantd-core.a
DAEMON_A   := $(BUILD)/libgrantd-daemon.a
GRANTD     := $(BUILD)/grantd
UNIT_BIN   := $(UNIT_SRC:%.c=$(BUILD)/%)
ROUTE_BIN  := $(ROUTE_SRC:%.c=$(BUILD)/%)
INTEG_BIN  := $(INTEG_SRC:%.c=$(BUILD)/%)
TEST_BIN   := $(UNIT_BIN) $(ROUTE_BIN) $(INTEG_BIN)

.PHONY: all run check test asan deps clean install
.SECONDARY:
.DEFAULT_GOAL := all

all: $(GRANTD)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/schema.c: $(SCHEMA_SQL) scripts/embed-schema
	@mkdir -p $(@D)
	scripts/embed-schema $(SCHEMA_SQL) > $@

$(BUILD)/schema.o: $(BUILD)/schema.c
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/test/%.o: test/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) -Itest/common $(PKG_CFLAGS) $(TEST_CFLAGS) $(CFLAGS) -c -o $@ $<

$(CORE_A): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(DAEMON_A): $(DAEMON_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(GRANTD): $(BUILD)/daemon/main.o $(DAEMON_A) $(CORE_A)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/test/unit/%: $(BUILD)/test/unit/%.o $(TESTLIB_OBJ) $(CORE_A)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) -lm

$(BUILD)/test/routes/%: $(BUILD)/test/routes/%.o $(TESTLIB_OBJ) $(DAEMON_A) $(CORE_A)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) -lm

$(BUILD)/test/integration/%: $(BUILD)/test/integration/%.o $(TESTLIB_OBJ) $(CORE_A)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) -lm

# Tests run from the source root so they find schema/ and config/.
# scripts/run-tests prints one line per test program and a total line; each
# program's output (grantd's stderr included) goes to $(BUILD)/test-logs/,
# kept and shown when it fails.  V=1 shows everything as it comes.
# A new suite is a Check program test/{unit,routes,integration}/test_*.c, or
# an executable script test/DIR/test_* (TEST_SCRIPTS, e.g. test/quickstart/
# test_quickstart; see scripts/run-tests).
V ?= 0
TEST_SCRIPTS := $(shell find test -mindepth 2 -maxdepth 2 -type f -name 'test_*' \
                  ! -name '*.[ch]' -perm -u+x 2>/dev/null | sort)
test: $(GRANTD) $(TEST_BIN)
	@GRANTD_BIN=$(abspath $(GRANTD)) TEST_BUILD=$(abspath $(BUILD)) \
	    TEST_LOG_DIR=$(BUILD)/test-logs V=$(V) scripts/run-tests $(TEST_BIN) $(TEST_SCRIPTS)

deps:
	@scripts/install-deps

# The unit and layer checks first, so that the tests' total is the last line.
# make check's dependencies include the test tools (axe-core from npm).
check:
	@scripts/install-deps --tests
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 WERROR=$(WERROR) check-unit
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 WERROR=$(WERROR) check-layers
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 WERROR=$(WERROR) test

# The layering, on the objects (scripts/check-layers says the rules): lib/
# calls only libc, libm, jansson, inih, libsodium, libutf8proc and GnuTLS; routes_*.c call no
# store_* and include no sqlite3.h; only store_*.c and db.c call sqlite3_*.
# The exceptions still excused are in scripts/layers-allow.
.PHONY: check-layers
check-layers: $(LIB_OBJ) $(DAEMON_OBJ) $(BUILD)/daemon/main.o
	@echo "  LAYERS  $(BUILD)"
	@CC="$(CC)" scripts/check-layers $(BUILD)

asan:
	$(MAKE) BUILD=build/san SAN=1

run: deps
	$(MAKE) all
	@scripts/dev-run $(GRANTD)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(BUILD)/daemon/main.d \
	$(TESTLIB_OBJ:.o=.d) $(TEST_BIN:=.d)

# ------------------------------------------------------------------
# grantctl, the command-line client: libcurl, jansson, inih, libsodium,
# and civil/money from the core library.

CTL_PKGS   = libcurl jansson inih libsodium gnutls
CTL_SRC   := $(wildcard grantctl/*.c)
# Objects in $(BUILD)/ctl/: $(BUILD)/grantctl is the program itself.
CTL_OBJ   := $(CTL_SRC:grantctl/%.c=$(BUILD)/ctl/%.o)
GRANTCTL  := $(BUILD)/grantctl
CTL_CFLAGS := $(shell pkg-config --cflags $(CTL_PKGS) 2>/dev/null)
CTL_LIBS   := $(shell pkg-config --libs $(CTL_PKGS) 2>/dev/null)

all: $(GRANTCTL)

$(BUILD)/ctl/%.o: grantctl/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CTL_CFLAGS) $(CFLAGS) -c -o $@ $<

$(GRANTCTL): $(CTL_OBJ) $(CORE_A)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(CTL_LIBS) -lm

# test_grantctl finds the client through GRANTCTL_BIN.
test: $(GRANTCTL)
test: export GRANTCTL_BIN = $(abspath $(GRANTCTL))

-include $(CTL_OBJ:.o=.d)

# ------------------------------------------------------------------
# Installation.  `make install PREFIX=/usr DESTDIR=/tmp/stage` stages a
# tree; the configuration always goes to /etc (the unit and grantd's
# default -c name /etc/grantd/grantd.conf) and is never overwritten.
#
# The unit: Debian 12 packages put units in /lib/systemd/system (what
# pkg-config's systemdsystemunitdir says there, and where debhelper puts
# them); a local install under /usr/local uses /usr/local/lib/systemd/system,
# which systemd also reads, so nothing lands outside PREFIX but /etc.

DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),$(or $(shell pkg-config \
              --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system),$(PREFIX)/lib/systemd/system)
# The grantd user (packaging/sysusers/grantd.conf): Debian 12's systemd-sysusers
# reads /usr/lib/sysusers.d and /etc/sysusers.d, not /usr/local/lib/sysusers.d.
SYSUSERSDIR ?= $(if $(filter /usr,$(PREFIX)),$(or $(shell pkg-config \
              --variable=sysusersdir systemd 2>/dev/null),/usr/lib/sysusers.d),$(SYSCONFDIR)/sysusers.d)
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
# Debian's zsh reads vendor-completions; other systems' site-functions.
ZSHCOMPDIR  ?= $(DATADIR)/zsh/vendor-completions

.PHONY: deb check-unit pkg-deps

install: all
	install -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/grantd $(DESTDIR)$(DATADIR)/grantd/schema \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(GRANTD) $(DESTDIR)$(SBINDIR)/grantd
	install -m 0755 $(GRANTCTL) $(DESTDIR)$(BINDIR)/grantctl
	sed 's#/usr/sbin/grantd#$(SBINDIR)/grantd#g' packaging/systemd/grantd.service \
	    > $(DESTDIR)$(UNITDIR)/grantd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/grantd.service
	install -m 0644 packaging/sysusers/grantd.conf $(DESTDIR)$(SYSUSERSDIR)/grantd.conf
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/grantd/grantd.conf ]; then \
	    echo "keeping $(DESTDIR)$(SYSCONFDIR)/grantd/grantd.conf"; \
	else \
	    echo "install -m 0644 config/grantd.conf $(DESTDIR)$(SYSCONFDIR)/grantd/grantd.conf"; \
	    install -m 0644 config/grantd.conf $(DESTDIR)$(SYSCONFDIR)/grantd/grantd.conf; \
	fi
	install -m 0644 $(SCHEMA_SQL) $(DESTDIR)$(DATADIR)/grantd/schema/
	install -m 0644 packaging/man/grantctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 packaging/man/grantd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 packaging/man/grantd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 packaging/bash-completion/grantctl $(DESTDIR)$(BASHCOMPDIR)/grantctl
	install -m 0644 packaging/zsh-completion/_grantctl $(DESTDIR)$(ZSHCOMPDIR)/_grantctl
	@# The dashboard's pages, served from [ui] root (default $(DATADIR)/grantd/ui).
	cd ui && find . -type d -exec install -d -m 0755 $(DESTDIR)$(DATADIR)/grantd/ui/{} \; && \
	    find . -type f -exec install -m 0644 {} $(DESTDIR)$(DATADIR)/grantd/ui/{} \;

# ------------------------------------------------------------------
# The Debian package: an optimised build installed with PREFIX=/usr into a
# staging tree, then packaging/debian/build-deb (dpkg-deb).  lintian, when
# installed (make pkg-deps), must report no errors.

VERSION  := $(shell sed -n 's/.*GRANTD_VERSION "\(.*\)"/\1/p' daemon/version.h)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_WORK := build/debian-pkg
DEB      := build/grantd_$(VERSION)_$(DEB_ARCH).deb

deb:
	$(MAKE) BUILD=build/deb-bin SAN=0 all
	rm -rf $(DEB_WORK)
	$(MAKE) BUILD=build/deb-bin SAN=0 PREFIX=/usr INSTALL_AGENT=0 \
	    DESTDIR=$(abspath $(DEB_WORK))/debian/grantd install
	packaging/debian/build-deb $(DEB_WORK) $(VERSION) $(DEB_ARCH) $(DEB)
	@if command -v lintian >/dev/null 2>&1; then \
	    echo "lintian $(DEB)"; lintian --fail-on error $(DEB); \
	else \
	    echo "make deb: lintian is not installed, so $(DEB) is unchecked;" \
	        "make pkg-deps installs it"; \
	fi

# Tools for `make deb` and `make check-unit`, kept out of `make deps`:
# lintian alone pulls in some 60 MB of Perl.
PKG_TOOLS = dpkg-dev binutils lintian systemd man-db groff-base

pkg-deps:
	@missing=""; for p in $(PKG_TOOLS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || \
	        missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "pkg-deps: installing$$missing"; \
	    if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	        --no-install-recommends $$missing; \
	fi

# ------------------------------------------------------------------
# The systemd unit, as installed but with ExecStart= on the binary built
# here: `systemd-analyze verify` must print nothing at all (its man page
# check finds grantd(8) through MANPATH), and the offline security
# exposure must be 2.0 or lower (--threshold counts tenths).

UNIT_CHECK := $(BUILD)/unit-check

check-unit: $(GRANTD)
	@command -v systemd-analyze >/dev/null 2>&1 || \
	    { echo "check-unit: systemd-analyze is missing (make pkg-deps)"; exit 1; }
	@rm -rf $(UNIT_CHECK) && mkdir -p $(UNIT_CHECK)/man/man8
	@sed 's#/usr/sbin/grantd#$(abspath $(GRANTD))#g' packaging/systemd/grantd.service \
	    > $(UNIT_CHECK)/grantd.service
	@cp packaging/man/grantd.8 $(UNIT_CHECK)/man/man8/
	@echo "  VERIFY  $(UNIT_CHECK)/grantd.service"
	@MANPATH=$(abspath $(UNIT_CHECK))/man systemd-analyze verify \
	    $(UNIT_CHECK)/grantd.service > $(UNIT_CHECK)/verify.out 2>&1; rc=$$?; \
	if [ $$rc -ne 0 ] || [ -s $(UNIT_CHECK)/verify.out ]; then \
	    cat $(UNIT_CHECK)/verify.out; \
	    echo "check-unit: systemd-analyze verify failed or was not silent"; exit 1; \
	fi
	@echo "  SECURITY $(UNIT_CHECK)/grantd.service"
	@systemd-analyze security --offline=yes --threshold=20 \
	    $(UNIT_CHECK)/grantd.service > $(UNIT_CHECK)/security.out 2>&1 || \
	    { cat $(UNIT_CHECK)/security.out; \
	      echo "check-unit: exposure above 2.0"; exit 1; }
	@grep 'Overall exposure level' $(UNIT_CHECK)/security.out

# ------------------------------------------------------------------
# Fuzzing (test/fuzz/, see its README.md): libFuzzer targets built with
# clang into build/fuzz/, from their own clang objects of lib/ and daemon/
# (never the gcc ones).  `make fuzz` runs each target FUZZ_SECONDS (default
# 600), `make fuzz-short` 30 s; each starts from its committed seeds in
# test/fuzz/corpus/NAME and keeps what it learns in build/fuzz/corpus/NAME.
# A crash leaves build/fuzz/artifacts/NAME/crash-* and fails the rule.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_OUT     := build/fuzz
FUZZ_NAMES   := jsonv router config civil ledger placement
FUZZ_BIN     := $(FUZZ_NAMES:%=$(FUZZ_OUT)/fuzz_%)
# A known bug is excused until its fix lands (test/fuzz/README.md says which).
FUZZ_KNOWN   ?= -DFUZZ_KNOWN_BUG_DETAIL_UTF8
FUZZ_CFLAGS  := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=undefined -Wall -Wextra -Wno-unused-parameter $(FUZZ_KNOWN)
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_OUT)/%.o)
FUZZ_DMN_OBJ := $(DAEMON_SRC:%.c=$(FUZZ_OUT)/%.o) $(FUZZ_OUT)/schema.o

.PHONY: fuzz fuzz-short fuzz-check fuzz-build fuzz-tools

# Order-only: checked before any fuzz object is built, never a reason to rebuild one.
fuzz-tools:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || \
	    { echo "fuzz: $(FUZZ_CC) is missing (apt-get install clang-14 libclang-rt-14-dev)"; \
	      exit 1; }

$(FUZZ_OUT)/lib/%.o: lib/%.c | fuzz-tools
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_OUT)/daemon/%.o: daemon/%.c | fuzz-tools
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_OUT)/schema.c: $(SCHEMA_SQL) scripts/embed-schema
	@mkdir -p $(@D)
	@scripts/embed-schema $(SCHEMA_SQL) > $@

$(FUZZ_OUT)/schema.o: $(FUZZ_OUT)/schema.c | fuzz-tools
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_OUT)/test/fuzz/%.o: test/fuzz/%.c | fuzz-tools
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

# The router target links the daemon's objects (the route tables name every handler).
$(FUZZ_OUT)/fuzz_router: $(FUZZ_OUT)/test/fuzz/fuzz_router.o $(FUZZ_DMN_OBJ) $(FUZZ_LIB_OBJ)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/test/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

fuzz-build: $(FUZZ_BIN)

# One target after another; -print_final_stats gives the executions reached.
fuzz: fuzz-build
	@for n in $(FUZZ_NAMES); do \
	    mkdir -p $(FUZZ_OUT)/corpus/$$n $(FUZZ_OUT)/artifacts/$$n; \
	    dict=; [ -f test/fuzz/$$n.dict ] && dict=-dict=test/fuzz/$$n.dict; \
	    echo "  FUZZ    $$n for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_OUT)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -timeout=20 -rss_limit_mb=2048 -max_len=8192 $$dict \
	        -artifact_prefix=$(FUZZ_OUT)/artifacts/$$n/ \
	        $(FUZZ_OUT)/corpus/$$n test/fuzz/corpus/$$n \
	        > $(FUZZ_OUT)/$$n.log 2>&1 || \
	        { tail -60 $(FUZZ_OUT)/$$n.log; echo "fuzz: $$n failed, see $(FUZZ_OUT)/$$n.log"; \
	          exit 1; }; \
	    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' $(FUZZ_OUT)/$$n.log | \
	        sed "s/^/          $$n /"; \
	done

fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30

# For `make check`: every committed input replayed, then 10 s of search per target.
fuzz-check:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_DMN_OBJ:.o=.d) \
	$(FUZZ_NAMES:%=$(FUZZ_OUT)/test/fuzz/fuzz_%.d)

# ------------------------------------------------------------------
# Benchmarks (bench/*.c): built optimised, run by hand; results and the
# commands that made them go in bench/RESULTS.md.

# bench/common.[ch] is the harness every benchmark links: grantd started on
# a fresh database, and the epoll HTTP client.  BENCH_OUT: where they go.

BENCH_OUT    ?= build/bench
BENCH_COMMON := bench/common.c
BENCH_SRC    := $(filter-out $(BENCH_COMMON),$(wildcard bench/*.c))
BENCH_BIN    := $(BENCH_SRC:bench/%.c=$(BENCH_OUT)/%)

$(BENCH_OUT)/%: bench/%.c $(BENCH_COMMON) bench/common.h
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Ilib -Ibench -o $@ $< \
	    $(BENCH_COMMON) $(shell pkg-config --cflags --libs sqlite3 libcurl jansson) \
	    -lpthread -lm

.PHONY: bench bench-holds
bench: $(BENCH_BIN)

bench-holds: $(BENCH_OUT)/holds
	$(MAKE) BUILD=build all
	$(BENCH_OUT)/holds -b build/grantd -D build/bench-tmp -c 32 -d 10 -w 2

# The national shape (bench/scale.c, issue 20): 1,000 pools of 50 B200 filled
# through the API until BENCH_GRANTS grants stand, then what-if, quota,
# fairness, /metrics, RSS and restart.  BENCH_BASE: another grantd binary
# (today's tree, say) measured first on the same seeded workload.  BENCH_NAMED:
# pools named in each enrollment of the fill (254 for binaries from before
# placement searched every pool; 0, the default, names none).
BENCH_GRANTS ?= 100000
BENCH_SEED   ?= 20
BENCH_BASE   ?=
BENCH_NAMED  ?= 0

.PHONY: bench-scale
bench-scale: $(BENCH_OUT)/scale
	$(MAKE) BUILD=$(BUILD) SAN=0 all
	$(if $(BENCH_BASE),$(BENCH_OUT)/scale -b $(BENCH_BASE) -D build/bench-tmp \
	    -n $(BENCH_GRANTS) -s $(BENCH_SEED) -P $(BENCH_NAMED) &&) \
	$(BENCH_OUT)/scale -b $(BUILD)/grantd -D build/bench-tmp -n $(BENCH_GRANTS) \
	    -s $(BENCH_SEED) -P $(BENCH_NAMED)

# ------------------------------------------------------------------
# Crash test (test/crash/crash.c): grantd is SIGKILLed at seeded random
# moments under concurrent writes, CRASH_KILLS times, and every change it
# acknowledged must be there after each restart.  CRASH_SEED empty: a seed
# from the clock (printed; rerun with CRASH_SEED=N).  `make test` runs a
# 5-kill version through test/integration/test_crash_short.c, which finds
# the driver through CRASH_BIN.

CRASH_KILLS ?= 50
CRASH_SEED  ?=
CRASH       := $(BUILD)/test/crash/crash

$(CRASH): $(BUILD)/test/crash/crash.o
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) -lm

.PHONY: crash-test
crash-test: $(GRANTD) $(CRASH)
	$(CRASH) -b $(GRANTD) -k $(CRASH_KILLS) $(if $(CRASH_SEED),-s $(CRASH_SEED))

test: $(CRASH)
test: export CRASH_BIN = $(abspath $(CRASH))

-include $(BUILD)/test/crash/crash.d

# ------------------------------------------------------------------
# Soak (bench/soak.c): a bounded mixed load on loopback for SOAK_SECONDS
# against an optimised grantd; throughput, p50/p99 latency and grantd's
# VmRSS after the warm-up and at the end (fails on 5 % growth or more).

SOAK_SECONDS ?= 600

.PHONY: soak
soak: $(BENCH_OUT)/soak
	$(MAKE) BUILD=build all
	$(BENCH_OUT)/soak -b build/grantd -D build/bench-tmp -d $(SOAK_SECONDS)

# ------------------------------------------------------------------
# Valgrind, once in CI: the optimised build (no sanitizers) under memcheck,
# the core's randomised unit tests and the daemon through integration
# tests (scripts/valgrind-grantd makes an error or a leak exit 99).

VG_BUILD := build/vg
VG_UNIT  := test_ledger test_timeline test_placement test_config test_report
VG_INTEG := test_smoke test_metrics test_vouchers

.PHONY: valgrind
valgrind: deps
	$(MAKE) BUILD=$(VG_BUILD) SAN=0 all $(VG_UNIT:%=$(VG_BUILD)/test/unit/%) \
	    $(VG_INTEG:%=$(VG_BUILD)/test/integration/%)
	@for t in $(VG_UNIT); do \
	    echo "  VALGRIND $$t"; \
	    CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full \
	        --errors-for-leak-kinds=definite $(VG_BUILD)/test/unit/$$t || exit 1; \
	done
	@for t in $(VG_INTEG); do \
	    echo "  VALGRIND grantd in $$t"; \
	    CK_DEFAULT_TIMEOUT=300 GRANTD_BIN=$(abspath scripts/valgrind-grantd) \
	        GRANTD_REAL_BIN=$(abspath $(VG_BUILD)/grantd) $(VG_BUILD)/test/integration/$$t \
	        || exit 1; \
	done

# ------------------------------------------------------------------
# grantd-agent (agent/, issue 18): the GPU node's reporter.  libuv, libcurl,
# jansson and inih; NVML through dlopen (-ldl), so it builds without CUDA.
# Its log is grantd's (daemon/log.c), its instants the core's (lib/civil.c).
# The tests: test/agent/ (its arithmetic and spool, linked with its objects),
# test/integration/test_agent.c (a real grantd, the agent, and
# test/fakenvml/, a scripted libnvidia-ml.so.1 built here).

AGENT_PKGS    = libuv libcurl jansson inih
AGENT_SRC    := $(wildcard agent/*.c)
AGENT_OBJ    := $(AGENT_SRC:agent/%.c=$(BUILD)/agent/%.o)
AGENT_LIBOBJ := $(filter-out $(BUILD)/agent/main.o,$(AGENT_OBJ)) $(BUILD)/daemon/log.o \
                $(BUILD)/daemon/curluv.o
AGENT        := $(BUILD)/grantd-agent
AGENT_CFLAGS := $(shell pkg-config --cflags $(AGENT_PKGS) 2>/dev/null)
AGENT_LIBS   := $(shell pkg-config --libs $(AGENT_PKGS) 2>/dev/null) -ldl -lm
AGENT_TEST_SRC := $(wildcard test/agent/test_*.c)
AGENT_TEST_BIN := $(AGENT_TEST_SRC:%.c=$(BUILD)/%)
FAKENVML     := $(BUILD)/test/fakenvml/libnvidia-ml.so.1

all: $(AGENT)

$(BUILD)/agent/%.o: agent/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) -Iagent $(AGENT_CFLAGS) $(CFLAGS) -c -o $@ $<

$(AGENT): $(AGENT_OBJ) $(BUILD)/daemon/log.o $(BUILD)/daemon/curluv.o $(CORE_A)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(AGENT_LIBS)

$(AGENT_TEST_SRC:%.c=$(BUILD)/%.o): CPPFLAGS += -Iagent

$(BUILD)/test/agent/%: $(BUILD)/test/agent/%.o $(AGENT_LIBOBJ) $(BUILD)/test/common/brute.o $(CORE_A)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(AGENT_LIBS) $(TEST_LIBS)

# Never sanitized: it is loaded into the agent as the real library would be.
$(FAKENVML): test/fakenvml/fakenvml.c agent/nvml_api.h
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -Iagent -shared -fPIC \
	    -Wl,-soname,libnvidia-ml.so.1 -o $@ $<

TEST_BIN += $(AGENT_TEST_BIN)
test: $(AGENT) $(FAKENVML) $(AGENT_TEST_BIN)
test: export GRANTD_AGENT_BIN = $(abspath $(AGENT))
test: export FAKE_NVML_LIB = $(abspath $(FAKENVML))

-include $(AGENT_OBJ:.o=.d) $(AGENT_TEST_BIN:=.d)

# Installed by `make install` with the rest, into its own package by `make deb`
# (grantd-agent, a second binary package of the grantd source: build-deb-agent).
# The configuration goes to /etc/grantd-agent and is never overwritten.
INSTALL_AGENT ?= 1
AGENT_DEB_WORK := build/debian-agent
AGENT_DEB      := build/grantd-agent_$(VERSION)_$(DEB_ARCH).deb

.PHONY: install-agent deb-agent check-unit-agent
install: $(if $(filter 1,$(INSTALL_AGENT)),install-agent)

install-agent: $(AGENT)
	install -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/grantd-agent $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(AGENT) $(DESTDIR)$(SBINDIR)/grantd-agent
	sed 's#/usr/sbin/grantd-agent#$(SBINDIR)/grantd-agent#g' \
	    packaging/systemd/grantd-agent.service > $(DESTDIR)$(UNITDIR)/grantd-agent.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/grantd-agent.service
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/grantd-agent/grantd-agent.conf ]; then \
	    echo "keeping $(DESTDIR)$(SYSCONFDIR)/grantd-agent/grantd-agent.conf"; \
	else \
	    echo "install -m 0644 config/grantd-agent.conf $(DESTDIR)$(SYSCONFDIR)/grantd-agent/"; \
	    install -m 0644 config/grantd-agent.conf $(DESTDIR)$(SYSCONFDIR)/grantd-agent/; \
	fi
	install -m 0644 packaging/man/grantd-agent.8 $(DESTDIR)$(MANDIR)/man8/

deb: deb-agent

deb-agent:
	$(MAKE) BUILD=build/deb-bin SAN=0 all
	rm -rf $(AGENT_DEB_WORK)
	$(MAKE) BUILD=build/deb-bin SAN=0 PREFIX=/usr \
	    DESTDIR=$(abspath $(AGENT_DEB_WORK))/debian/grantd-agent install-agent
	packaging/debian/build-deb-agent $(AGENT_DEB_WORK) $(VERSION) $(DEB_ARCH) $(AGENT_DEB)
	@if command -v lintian >/dev/null 2>&1; then \
	    echo "lintian $(AGENT_DEB)"; lintian --fail-on error $(AGENT_DEB); \
	else \
	    echo "make deb: lintian is not installed, so $(AGENT_DEB) is unchecked;" \
	        "make pkg-deps installs it"; \
	fi

# The agent's unit as check-unit checks grantd's: verify says nothing, exposure 2.0 at most.
AGENT_UNIT_CHECK := $(BUILD)/unit-check-agent

check-unit: check-unit-agent

check-unit-agent: $(AGENT)
	@command -v systemd-analyze >/dev/null 2>&1 || \
	    { echo "check-unit: systemd-analyze is missing (make pkg-deps)"; exit 1; }
	@rm -rf $(AGENT_UNIT_CHECK) && mkdir -p $(AGENT_UNIT_CHECK)/man/man8
	@sed 's#/usr/sbin/grantd-agent#$(abspath $(AGENT))#g' \
	    packaging/systemd/grantd-agent.service > $(AGENT_UNIT_CHECK)/grantd-agent.service
	@cp packaging/man/grantd-agent.8 $(AGENT_UNIT_CHECK)/man/man8/
	@echo "  VERIFY  $(AGENT_UNIT_CHECK)/grantd-agent.service"
	@MANPATH=$(abspath $(AGENT_UNIT_CHECK))/man systemd-analyze verify \
	    $(AGENT_UNIT_CHECK)/grantd-agent.service > $(AGENT_UNIT_CHECK)/verify.out 2>&1; \
	rc=$$?; if [ $$rc -ne 0 ] || [ -s $(AGENT_UNIT_CHECK)/verify.out ]; then \
	    cat $(AGENT_UNIT_CHECK)/verify.out; \
	    echo "check-unit: systemd-analyze verify failed or was not silent"; exit 1; \
	fi
	@echo "  SECURITY $(AGENT_UNIT_CHECK)/grantd-agent.service"
	@systemd-analyze security --offline=yes --threshold=20 \
	    $(AGENT_UNIT_CHECK)/grantd-agent.service > $(AGENT_UNIT_CHECK)/security.out 2>&1 || \
	    { cat $(AGENT_UNIT_CHECK)/security.out; \
	      echo "check-unit: exposure above 2.0"; exit 1; }
	@grep 'Overall exposure level' $(AGENT_UNIT_CHECK)/security.out
