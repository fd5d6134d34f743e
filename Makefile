# iftools: Isolation Forest anomaly detection as Unix filters.
# Every src/*.c that is not a tool's main belongs to the shared core.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CC ?= cc
CFLAGS ?= -O3 -g
# Required flags, kept apart from the user's CFLAGS.
IFT_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic \
	-MMD -MP
LDLIBS = -lm -lpthread

TOOLS = sensorgen iftrain ifscore ifstat
BUILD = build
BIN = bin
CORE_SRC = $(filter-out $(TOOLS:%=src/%.c),$(wildcard src/*.c))
CORE_OBJ = $(CORE_SRC:src/%.c=$(BUILD)/%.o)
BINS = $(TOOLS:%=$(BIN)/%)
MAN1 = $(TOOLS:%=man/%.1)
MAN5 = man/iforest.5

all: $(BINS)

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(IFT_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libiftools.a: $(CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $(CORE_OBJ)

$(BIN)/%: $(BUILD)/%.o $(BUILD)/libiftools.a | $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libiftools.a $(LDLIBS)

$(BUILD) $(BIN):
	mkdir -p $@

# The README's main job: train on the shipped data, score a live stream,
# report.  Its files go to a temporary folder, removed at the end.
demo: all
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; PATH="$$PWD/bin:$$PATH"; \
	echo '$$ iftrain -v -c 0.05 -o sensor.if data/sensor_data.tsv'; \
	iftrain -v -c 0.05 -o "$$tmp/sensor.if" data/sensor_data.tsv; \
	echo; echo '$$ sensorgen -r 50 -n 500 -k burst,spike | ifscore -m sensor.if | tee scored.tsv | awk '"'"'NR == 1 || /anomaly$$/ { print; fflush() }'"'"; \
	sensorgen -r 50 -n 500 -k burst,spike | ifscore -m "$$tmp/sensor.if" | \
	  tee "$$tmp/scored.tsv" | awk 'NR == 1 || /anomaly$$/ { print; fflush() }'; \
	echo; echo '$$ ifstat scored.tsv'; \
	ifstat "$$tmp/scored.tsv"

need-bats:
	@command -v bats >/dev/null 2>&1 || { \
	  echo "make: bats is not installed; install it with 'apt-get install bats'"; \
	  exit 2; }

test: all need-bats
	bats $(BATS_FLAGS) tests

# The whole suite against a build with AddressSanitizer and UBSan: any
# report aborts the tool, and the test that ran it fails.  Each compiler
# gets its own build (make sanitize CC=clang), since their sanitizers
# catch different things.
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
SAN_BUILD = build/san-$(notdir $(firstword $(CC)))
sanitize: need-bats
	$(MAKE) BUILD=$(SAN_BUILD) BIN=$(SAN_BUILD)/bin CFLAGS="$(SAN_FLAGS)" \
	  LDFLAGS="-fsanitize=address,undefined" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  IFTOOLS_BIN=$(CURDIR)/$(SAN_BUILD)/bin bats $(BATS_FLAGS) tests

# The whole suite with every tool run under valgrind memcheck: an error or
# a definite or indirect leak makes the tool exit 99.
valgrind: all need-bats
	rm -rf build/vg && mkdir -p build/vg
	for t in $(TOOLS); do \
	  printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect "%s" "$$@"\n' \
	    "$(CURDIR)/bin/$$t" > build/vg/$$t && chmod +x build/vg/$$t; done
	IFTOOLS_BIN=$(CURDIR)/build/vg IFTOOLS_SLOW=1 bats $(BATS_FLAGS) tests

# libFuzzer (clang) on the TSV reader, the model loader and ifstat,
# FUZZ_SECONDS each (FUZZ_TARGETS=ifstat for one); new inputs land in
# build/fuzz, crashes in build/fuzz/crash-*.
FUZZ_SECONDS = 600
FUZZ_TARGETS = tsv model ifstat
FUZZ_CC = clang
FUZZ_FLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g \
	-fsanitize=fuzzer,address,undefined -Isrc -DMODEL_WINDOW_BYTES=64
fuzz:
	for h in $(FUZZ_TARGETS); do mkdir -p build/fuzz/$$h; \
	  $(FUZZ_CC) $(FUZZ_FLAGS) -o build/fuzz/fuzz_$$h tests/fuzz/fuzz_$$h.c \
	    $(CORE_SRC) -lm -lpthread || exit 2; done
	for h in $(FUZZ_TARGETS); do \
	  build/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -close_fd_mask=2 -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/ build/fuzz/$$h tests/fuzz/corpus/$$h \
	    || exit 2; done

# Benchmarks print figures; they are run on purpose, never by the tests.
bench: all
	tests/bench/speed

bench-quality: all
	tests/bench/quality
	tests/bench/context

# ifscore --explain against the truth of planted faults (issue 13).
bench-explain: all
	tests/bench/explain

bench-cluster: all
	tests/bench/cluster

# Scoring across hosts: GNU parallel over a real sshd on loopback.  Not part
# of make test, as it needs sshd, ssh and parallel; skipped (with the
# reason) when they are missing or sshd cannot start.
check-cluster: all need-bats
	bats $(BATS_FLAGS) tests/cluster

lint-man:
	mandoc -Tlint -Wwarning $(MAN1) $(MAN5)

check: test lint-man

install: all
	install -d -m 755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(TOOLS:%=$(DESTDIR)$(MANDIR)/man1/%.1)
	rm -f $(DESTDIR)$(MANDIR)/man5/iforest.5

clean:
	rm -rf $(BUILD) build bin

.PHONY: all demo need-bats test check-cluster sanitize valgrind fuzz bench bench-quality \
	bench-explain bench-cluster lint-man check \
	install uninstall clean
.PRECIOUS: $(BUILD)/%.o
-include $(wildcard $(BUILD)/*.d)
