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
CORE_SRC = $(filter-out $(TOOLS:%=src/%.c),$(wildcard src/*.c))
CORE_OBJ = $(CORE_SRC:src/%.c=$(BUILD)/%.o)
BINS = $(TOOLS:%=bin/%)
MAN1 = $(TOOLS:%=man/%.1)
MAN5 = man/iforest.5

all: $(BINS)

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(IFT_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libiftools.a: $(CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $(CORE_OBJ)

bin/%: $(BUILD)/%.o $(BUILD)/libiftools.a | bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libiftools.a $(LDLIBS)

$(BUILD) bin:
	mkdir -p $@

# The README's main job: train on the shipped data, score a live stream,
# report.  Its files go to a temporary folder, removed at the end.
demo: all
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; PATH="$$PWD/bin:$$PATH"; \
	echo '$$ iftrain -v -c 0.05 -o sensor.if data/sensor_data.tsv'; \
	iftrain -v -c 0.05 -o "$$tmp/sensor.if" data/sensor_data.tsv; \
	echo; echo '$$ sensorgen -r 20 -n 200 -k burst,spike,stuck | ifscore -m sensor.if | tee scored.tsv | grep --line-buffered anomaly'; \
	sensorgen -r 20 -n 200 -k burst,spike,stuck | ifscore -m "$$tmp/sensor.if" | \
	  tee "$$tmp/scored.tsv" | grep --line-buffered anomaly || true; \
	echo; echo '$$ ifstat scored.tsv'; \
	ifstat "$$tmp/scored.tsv"

test: all
	@command -v bats >/dev/null 2>&1 || { \
	  echo "make test: bats is not installed; install it with 'apt-get install bats'"; \
	  exit 2; }
	bats $(BATS_FLAGS) tests

# Benchmarks print figures; they are run on purpose, never by the tests.
bench: all
	tests/bench/speed

bench-quality: all
	tests/bench/quality

lint-man:
	mandoc -Tlint -Wwarning $(MAN1) $(MAN5)

check: test lint-man

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	cp $(BINS) $(DESTDIR)$(BINDIR)/
	cp $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	cp $(MAN5) $(DESTDIR)$(MANDIR)/man5/

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(TOOLS:%=$(DESTDIR)$(MANDIR)/man1/%.1)
	rm -f $(DESTDIR)$(MANDIR)/man5/iforest.5

clean:
	rm -rf $(BUILD) bin

.PHONY: all demo test bench bench-quality lint-man check install uninstall clean
.PRECIOUS: $(BUILD)/%.o
-include $(wildcard $(BUILD)/*.d)
