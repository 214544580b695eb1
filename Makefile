# Thin entry points. Everything real lives in meson and tools/.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
MESON_TEST_ARGS ?=
# The directory of make deb's packages, for the QEMU system test to install instead of the build.
override NTMS_VM_DEBS := $(if $(NTMS_VM_DEBS),$(abspath $(NTMS_VM_DEBS)))
export NTMS_VM_DEBS

.PHONY: all deps build build-asan build-asan-unit check check-tsan unit demo soak fuzz check-fresh deb bench clean

all: build

deps:
	@tools/deps.sh

# Debian's layout (/usr), so that the system test installs the build into its guest as a package would.
$(BUILD)/build.ninja:
	meson setup --prefix=/usr $(BUILD)

# The sanitized trees keep line tables only (-g1): their reports still name file and line, and
# their compiles take an eighth less time than with full debug information. Their libraries are
# unity builds (a few sources compiled as one): a quarter less time for the daemon's, sgio's and the
# bus's libraries. So two sources of a library cannot both define one name in an anonymous
# namespace; such a name belongs in a header the two share.
SANITIZER_SETUP = -Db_lundef=false -Dbuildtype=debug -Dcpp_args=-g1 -Dc_args=-g1 -Dunity=on

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined $(SANITIZER_SETUP)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

build-asan: deps $(ASAN_BUILD)/build.ninja
	meson compile -C $(ASAN_BUILD)

# Only what the unit suite runs, in the ASan tree, and what is installed: the bus and peer tests
# are not compiled a second time for make check (a quarter of the sanitized build's time). The
# installed programs and libraries are, once: the tree's unity build is where a name defined by two
# sources of one of them fails to compile (see SANITIZER_SETUP), and check-tsan builds them all.
build-asan-unit: deps $(ASAN_BUILD)/build.ninja
	@ninja -C $(ASAN_BUILD) build.ninja >/dev/null # meson must know a test added since setup
	ninja -C $(ASAN_BUILD) $$(tools/suite-targets.py --installed $(ASAN_BUILD) unit)

# Runs every test (unit, peer, integration) and the unit suite again under ASan+UBSan,
# then prints one line "N passed, N failed".
check: build build-asan-unit
	@rc=0; \
	meson test -C $(BUILD) --print-errorlogs $(MESON_TEST_ARGS) || rc=1; \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  meson test -C $(ASAN_BUILD) --suite unit --no-rebuild --print-errorlogs || rc=1; \
	tools/test-summary.py $(BUILD)/meson-logs/testlog.junit.xml \
	  asan=$(ASAN_BUILD)/meson-logs/testlog.junit.xml || rc=1; \
	exit $$rc

# The unit and D-Bus suites under ThreadSanitizer (the job engine's races among them; the daemon
# on the private bus is the TSan build too). Not part of make check:
# a third full build.
$(TSAN_BUILD)/build.ninja:
	meson setup $(TSAN_BUILD) -Db_sanitize=thread $(SANITIZER_SETUP)

check-tsan: deps $(TSAN_BUILD)/build.ninja
	meson compile -C $(TSAN_BUILD)
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tools/tsan.supp" \
	  meson test -C $(TSAN_BUILD) --suite unit --suite dbus --print-errorlogs

# Every parser's libFuzzer target (tests/fuzz/README.md), built with clang and ASan+UBSan in
# $(FUZZ_BUILD), each run for FUZZ_SECONDS (60) one after the other, with executions and exec/s
# per target. make check runs the same targets briefly without clang. Not part of make check.
FUZZ_TARGETS = $(patsubst tests/fuzz/%.cpp,%,$(wildcard tests/fuzz/fuzz_*.cpp))
$(FUZZ_BUILD)/build.ninja:
	CC=clang-14 CXX=clang++-14 meson setup $(FUZZ_BUILD) -Dfuzzing=true \
	  -Db_sanitize=address,undefined -Db_lundef=false

fuzz:
	@tools/deps.sh --fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BUILD)/build.ninja
	@ninja -C $(FUZZ_BUILD) build.ninja >/dev/null # meson must know a target added since setup
	meson compile -C $(FUZZ_BUILD) $(FUZZ_TARGETS)
	@tools/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

# One inject on a simulated library on a private system bus, start to finish (tools/demo.sh).
# Only what the demo runs is compiled: the daemon, ntmsctl (with libntms) and the simulator.
DEMO_TARGETS = ntmsd ntmsctl ntms-sim
demo: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD) $(DEMO_TARGETS)
	@tools/demo.sh $(BUILD)

# The long soaks of tests/soak, each printing its figures: 1,000 kill -9 rounds during an inject on
# tgt, and 10,000 inject operations under 5 % injected SCSI faults on the virtual changer. make
# check runs the same tests, short. Only the two soak programs are compiled.
SOAK_ROUNDS ?= 1000
SOAK_OPERATIONS ?= 10000
soak: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD) test_kill_soak test_fault_soak
	@rc=0; NTMS_SOAK_ROUNDS=$(SOAK_ROUNDS) NTMS_SOAK_OPERATIONS=$(SOAK_OPERATIONS) \
	  meson test -C $(BUILD) --suite soak --no-rebuild --timeout-multiplier 0 --print-errorlogs || rc=1; \
	awk '/^(kill|fault) soak:/ { on = 1; print; next } on && /^  / { print; next } { on = 0 }' \
	  $(BUILD)/meson-logs/testlog.txt; \
	exit $$rc

# The benchmarks of tests/bench, each measuring its baseline in the same run, then the lines
# `name: ratio x (value / baseline)` of them all. Not part of make check (which runs their short
# forms, suite bench-smoke, as tests).
bench: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)
	@rc=0; meson test -C $(BUILD) --benchmark --suite bench --timeout-multiplier 0 \
	  --print-errorlogs -v >$(BUILD)/meson-logs/bench.txt 2>&1 || rc=1; \
	grep -E '^[A-Za-z0-9_][A-Za-z0-9_ ]*: [0-9.]+ x \(' $(BUILD)/meson-logs/bench.txt || true; \
	exit $$rc

# README's commands, exactly as written, in a fresh minimal Debian 12 root (debootstrap, cached
# in /var/tmp/ntms-fresh); ends with make check's line. Long (an hour); not part of make check.
check-fresh:
	@tools/check-fresh.sh

# The Debian packages (ntmsd, libntms1, libntms-dev, ntms-tools) in build-deb/, checked by
# lintian. Not part of make check.
deb:
	@tools/deps.sh --packaging
	@tools/make-deb.sh build-deb

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD) build-deb
