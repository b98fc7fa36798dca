# grantd: GNU make build.  `make` builds, `make run` starts a development
# daemon, `make check` runs every test under ASan and UBSan.

PKGS      = libuv sqlite3 libmicrohttpd jansson inih libsodium libsystemd
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
	$(AR) rcs $@ $^

$(DAEMON_A): $(DAEMON_OBJ)
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
test: $(GRANTD) $(TEST_BIN)
	@GRANTD_BIN=$(abspath $(GRANTD)) scripts/run-tests $(TEST_BIN)

deps:
	@scripts/install-deps

check: deps
	$(MAKE) BUILD=build/san SAN=1 WERROR=$(WERROR) test

asan:
	$(MAKE) BUILD=build/san SAN=1

run: deps
	$(MAKE) all
	@scripts/dev-run $(GRANTD)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(BUILD)/daemon/main.d \
	$(TESTLIB_OBJ:.o=.d) $(TEST_BIN:=.d)
