# tegami — build, test, run.
#
#   make            build bin/tegamid, bin/tegamictl and the compatibility links
#   make run        build and start a demo instance on loopback
#   make check      every test: unit, config, fuzz (brief), end-to-end, end-to-end under ASan+UBSan,
#                   after deps-check (what the tests run comes from scripts/packages.txt)
#   make bench      benchmarks beside Postfix; writes docs/BENCHMARKS.md (BENCH="dkim": one family)
#
# Variants: `make SAN=1` builds into build/san with ASan+UBSan and crash points
# (the test build of docs/queue.md); the normal build lives in build/ and bin/.

CC	?= cc
PREFIX	?= /usr/local
DESTDIR	?=
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
ACCOUNTS ?= auto
PYTHON	?= /usr/bin/python3

PKGS	:= libevent libevent_openssl libevent_pthreads openssl libunbound sqlite3 libxcrypt libpsl libidn2

CSTD	:= -std=c17 -D_GNU_SOURCE
WARN	:= -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wpointer-arith \
	   -Wmissing-prototypes -Wstrict-prototypes -Wformat=2
OPT	?= -O2 -g

ifeq ($(SAN),1)
BUILD	:= build/san
BINDIR	:= build/san/bin
OPT	:= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
XDEFS	:= -DTEGAMI_CRASHPOINTS
else
BUILD	:= build
BINDIR	:= bin
XDEFS	:=
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CPPFLAGS += -Isrc $(XDEFS)
CFLAGS	 += $(CSTD) $(WARN) $(OPT) $(PKG_CFLAGS)
LDFLAGS	 += $(OPT)
LDLIBS	 += $(PKG_LIBS) -lpthread

# Every .c under src/ is in the library except the programs' mains (*_main.c).
SRCS	:= $(sort $(wildcard src/*/*.c))
MAINS	:= $(filter %_main.c,$(SRCS))
LIBSRCS	:= $(filter-out %_main.c,$(SRCS))
LIBOBJS	:= $(LIBSRCS:%.c=$(BUILD)/%.o)
LIB	:= $(BUILD)/libtegami.a

UNITSRCS := $(sort $(wildcard tests/unit/test_*.c))
UNITBINS := $(UNITSRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZSRCS := $(sort $(wildcard fuzz/fuzz_*.c))

COMPAT	:= sendmail mailq newaliases vadddomain vadduser vdeluser vpasswd vuserinfo valias

.PHONY: all deps deps-check run check unit e2e e2e-san fuzz conf-check doc-check san bench install clean

all: $(BINDIR)/tegamid $(BINDIR)/tegamictl
	@for n in $(COMPAT); do ln -sf tegamictl $(BINDIR)/$$n; done

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIBOBJS)
	@rm -f $@
	ar rcs $@ $^

$(BINDIR)/tegamid: $(BUILD)/src/parent/tegamid_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BINDIR)/tegamictl: $(BUILD)/src/ctl/tegamictl_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/harness.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -MMD -MP -c $< -o $@

deps:
	@sh scripts/install-deps.sh

# Every program and module that tests, bench/ and make run use must come from a
# package of scripts/packages.txt (scripts/test-needs.txt says what they need).
deps-check:
	@$(PYTHON) scripts/deps-check.py
	@$(PYTHON) tests/deps/test_deps_check.py

unit: $(UNITBINS)
	@sh scripts/run-unit.sh $(UNITBINS)

san:
	$(MAKE) SAN=1 all

conf-check: all
	@sh scripts/conf-check.sh

doc-check:
	@sh scripts/doc-check.sh

fuzz:
	@sh scripts/fuzz.sh $(FUZZSRCS)

e2e: all
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e

e2e-san: san
	TEGAMI_BIN=$(CURDIR)/build/san/bin $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e

check: deps
	$(MAKE) deps-check
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) SAN=1 unit
	$(MAKE) conf-check
	$(MAKE) doc-check
	FUZZ_SECONDS=$${FUZZ_SECONDS:-15} $(MAKE) fuzz
	$(MAKE) e2e
	$(MAKE) e2e-san

run: deps all
	@sh scripts/run-demo.sh

# make bench BENCH="dkim": only those families (bench/run.sh, BENCH_SCENARIOS).
bench: deps all
	@$(if $(BENCH),BENCH_SCENARIOS="$(BENCH)" )sh bench/run.sh

# The programs, links, man pages and the systemd unit; as root without DESTDIR
# also the _tegami and vmail accounts (ACCOUNTS=yes|no|auto).
install: all
	@DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SBINDIR="$(SBINDIR)" MANDIR="$(MANDIR)" \
	    UNITDIR="$(UNITDIR)" SYSCONFDIR="$(SYSCONFDIR)" ACCOUNTS="$(ACCOUNTS)" \
	    COMPAT="$(COMPAT)" sh scripts/install.sh

clean:
	rm -rf build bin

-include $(LIBOBJS:.o=.d) $(BUILD)/src/parent/tegamid_main.d $(BUILD)/src/ctl/tegamictl_main.d \
	$(UNITSRCS:tests/unit/%.c=$(BUILD)/tests/unit/%.d) $(BUILD)/tests/unit/harness.d
