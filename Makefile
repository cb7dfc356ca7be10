# zipscale: the two set-up commands (`make demo`, `make test`) and friends.
# Every target that builds first makes sure the system packages are there (scripts/deps.sh).

JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_NAMES ?=

.PHONY: all deps deps-build build-only build build-asan build-fuzz fuzz fuzz-ci demo test test-release test-asan bench format format-check check-layers check-error-docs clean

all: build

deps:
	@scripts/deps.sh

deps-build:
	@scripts/deps.sh --build

build-only:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DZS_TESTS=ON -DZS_BENCH=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build: deps
	@$(MAKE) --no-print-directory build-only

# The demo needs only the build packages (not the test-time references such as torch).
demo-build: deps-build
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DZS_TESTS=OFF -DZS_BENCH=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target zipscale_cli

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DZS_SANITIZE=ON -DZS_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# The libFuzzer harnesses (tests/fuzz/), built with clang + ASan + UBSan (docs/testing.md).
build-fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Release -DZS_FUZZ=ON -DZS_TESTS=OFF \
		-DZS_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all

# Each harness for FUZZ_SECONDS (default 60) on its corpus; FUZZ_NAMES=pcfg picks some.
fuzz: build-fuzz
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

# What CI runs after make test: each harness for 30 s.
fuzz-ci: build-fuzz
	@FUZZ_SEED=1 scripts/fuzz.sh $(FUZZ_BUILD) 30 $(FUZZ_NAMES)

demo: demo-build
	@$(BUILD)/zipscale demo

# Every test, then again under ASan+UBSan; then the count of skipped checks, with reasons
# (scripts/test-skips.sh). A missing cross-check reference fails unless ZS_ALLOW_SKIP=1
# (docs/testing.md).
test:
	@$(MAKE) --no-print-directory test-release test-asan SKIP_SUMMARY=no
	@scripts/test-skips.sh $(BUILD) $(ASAN_BUILD)

test-release: build
	@cd $(BUILD) && ctest --output-on-failure
	@[ "$(SKIP_SUMMARY)" = no ] || scripts/test-skips.sh $(BUILD)

test-asan: build-asan
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ZS_SANITIZED=1 ctest --output-on-failure
	@[ "$(SKIP_SUMMARY)" = no ] || scripts/test-skips.sh $(ASAN_BUILD)

bench: build
	@for b in $(BUILD)/bench_*; do echo "== $$b"; $$b || exit 1; done

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

# Every module includes only its own and lower layers' headers (the table is in the script).
check-layers:
	@scripts/check-layers.sh

# Every zs_status function's header comment lists its error codes (core.h, rule 1).
check-error-docs:
	@scripts/check-error-docs.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
