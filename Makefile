# Makefile - the README's commands: a thin wrapper over CMake + CTest.
# SPDX-License-Identifier: Apache-2.0
#
#   make          configure and build build/ (release, gcc)
#   make demo     install deps, build, run the demo workload
#   make test     install deps; build and test build/ (gcc), build-asan/
#                 (clang, ASan+UBSan), build-switch/ (gcc, switch dispatch);
#                 fuzz build-fuzz/ for FUZZ_SECONDS; run the spec suite
#   make fuzz-merge  shrink tests/fuzz/corpus/ before committing it
#   make bench    build, then run bench/ natively, under V8 and under Mantle
#   make clean    remove the build trees
#
# SHARED is the shared conformance data (the spec tests live there).

SHARED       ?= $(CURDIR)/../shared
JOBS         ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
CMAKE_FLAGS  ?=

CMAKE_COMMON = -DMANTLE_SHARED_DIR=$(SHARED) $(CMAKE_FLAGS)
CTEST        = ctest --output-on-failure -j2
# Sanitized trees: -O1 as ASan recommends, and assert() left on.
SANITIZE_TYPE = -DCMAKE_BUILD_TYPE=RelWithDebInfo \
                -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g"

# Every recipe line is one shell; any failure stops make (fail first).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

header = @printf '\n==== %s ====\n' $(1)

.PHONY: all build deps demo test test-release test-asan test-switch fuzz \
        fuzz-merge spec bench clean

all: build

deps:
	@bash scripts/deps.sh

build:
	cmake -S . -B build -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release \
	    $(CMAKE_COMMON)
	cmake --build build -j$(JOBS)

demo: deps
	$(call header,"build: release with gcc")
	@$(MAKE) --no-print-directory build
	$(call header,"demo: wordfreq over examples/wordfreq/data (WASI, --dir)")
	time ./build/mantle run --dir examples/wordfreq/data::/data build/examples/wordfreq.wasm /data 10
	diff <(./build/examples/wordfreq-native examples/wordfreq/data 10) \
	     <(./build/mantle run --dir examples/wordfreq/data::/data build/examples/wordfreq.wasm /data 10) \
	    && echo "wordfreq: wasm output identical to the native build"

test: deps
	@$(MAKE) --no-print-directory test-release
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-switch
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory spec
	$(call header,"make test: every phase passed")

test-release:
	$(call header,"1/5 build/: release build (gcc) and ctest")
	@$(MAKE) --no-print-directory build
	cd build && $(CTEST)

test-asan:
	$(call header,"2/5 build-asan/: ASan+UBSan build (clang) and ctest")
	cmake -S . -B build-asan -DCMAKE_C_COMPILER=clang $(SANITIZE_TYPE) \
	    -DMANTLE_SANITIZE=ON $(CMAKE_COMMON)
	cmake --build build-asan -j$(JOBS)
	cd build-asan && $(CTEST)

test-switch:
	$(call header,"3/5 build-switch/: switch dispatch (gcc) and ctest")
	cmake -S . -B build-switch -DCMAKE_C_COMPILER=gcc \
	    -DCMAKE_BUILD_TYPE=Release -DMANTLE_COMPUTED_GOTO=OFF $(CMAKE_COMMON)
	cmake --build build-switch -j$(JOBS)
	cd build-switch && $(CTEST)

# New interesting inputs are written into tests/fuzz/corpus/ (the first
# corpus directory); crash reproducers go to build-fuzz/.
fuzz:
	$(call header,"4/5 build-fuzz/: fuzz_module for $(FUZZ_SECONDS) s (clang)")
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang $(SANITIZE_TYPE) \
	    -DMANTLE_SANITIZE=ON \
	    -DMANTLE_FUZZ=ON $(CMAKE_COMMON)
	cmake --build build-fuzz -j$(JOBS) --target fuzz_module
	./build-fuzz/tests/fuzz/fuzz_module -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build-fuzz/ \
	    -print_final_stats=1 tests/fuzz/corpus

# Shrink tests/fuzz/corpus/ to the inputs that add coverage (libFuzzer's
# -merge), keeping the seeds; run before committing corpus changes.
fuzz-merge:
	test -x build-fuzz/tests/fuzz/fuzz_module || $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=1
	rm -rf build-fuzz/corpus-merged && mkdir -p build-fuzz/corpus-merged
	./build-fuzz/tests/fuzz/fuzz_module -merge=1 -timeout=10 \
	    -rss_limit_mb=2048 build-fuzz/corpus-merged tests/fuzz/corpus
	find tests/fuzz/corpus -type f ! -name '*.wasm' -delete
	cp build-fuzz/corpus-merged/* tests/fuzz/corpus/
	@du -sh tests/fuzz/corpus

spec:
	$(call header,"5/5 spec suite: release build without simd")
	./build/tests/spec/mantle-spec --skip-group simd $(SHARED)/wasm-spec

# BENCH_RUNS, BENCH_TIERS, BENCH_QUICK, ...: see bench/run.sh and bench/README.md.
bench: deps
	$(call header,"bench: build/ (release gcc) then bench/run.sh")
	@$(MAKE) --no-print-directory build
	bash bench/run.sh

clean:
	rm -rf build build-asan build-switch build-fuzz
