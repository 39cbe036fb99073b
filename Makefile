# Makefile - the README's commands: a thin wrapper over CMake + CTest.
# SPDX-License-Identifier: Apache-2.0
#
#   make          configure and build build/ (release, gcc)
#   make demo     install deps, build, run the demo workload
#   make test     install deps; build and test build/ (gcc), build-asan/
#                 (clang, ASan+UBSan, with the libFuzzer targets),
#                 build-switch/ (gcc, switch dispatch); fuzz with build-asan/
#                 for FUZZ_SECONDS; run the spec suite
#   make fuzz-merge  shrink tests/fuzz/corpus/ before committing it
#   make cross    build build-cross-{aarch64,armv7,riscv64}/ (and the minimal
#                 armv7 build, and the aarch64 fleet node); make test-cross
#                 also runs them under qemu-user
#   make bench    build, then run bench/ natively, under V8 and under Mantle
#   make clean    remove the build trees
#
# SHARED is the shared conformance data (the spec tests live there).

SHARED       ?= $(CURDIR)/../shared
JOBS         ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 30
FUZZ_MULT    ?= 1
CMAKE_FLAGS  ?=

CMAKE_COMMON = -DMANTLE_SHARED_DIR=$(SHARED) \
               -DMANTLE_TEST_AOT_CACHE=$(CURDIR)/build-aot-cache $(CMAKE_FLAGS)
CTEST        = ctest --output-on-failure -j2
# Sanitized trees: -O1 as ASan recommends, and assert() left on.
SANITIZE_TYPE = -DCMAKE_BUILD_TYPE=RelWithDebInfo \
                -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g"

# Every recipe line is one shell; any failure stops make (fail first).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

header = @printf '\n==== %s ====\n' $(1)

.PHONY: all build deps demo test test-release asan-tree test-asan test-switch fuzz \
        fuzz-merge spec bench clean cross test-cross

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
	$(call header,"demo: a guest that attests and seals (--tee=soft)")
	rm -rf build/tee-demo && mkdir -p build/tee-demo/data
	./build/mantle run --tee=soft --state-dir build/tee-demo/state --dir build/tee-demo/data::/data build/examples/tee_demo.wasm "make demo nonce"
	./build/mantle run --tee=soft --state-dir build/tee-demo/state --dir build/tee-demo/data::/data build/examples/tee_demo.wasm "make demo nonce"
	./build/mantle evidence show build/tee-demo/data/evidence.cbor
	./build/mantle run --tee=soft --state-dir build/tee-demo/other-node --dir build/tee-demo/data::/data build/examples/tee_demo.wasm \
	    || echo "(refused under another node's device secret, as it must be)"

test: deps
	@$(MAKE) --no-print-directory test-release
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-switch
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory spec
	@$(MAKE) --no-print-directory test-cross
	$(call header,"make test: every phase passed")

test-release:
	$(call header,"1/5 build/: release build (gcc) and ctest")
	@$(MAKE) --no-print-directory build
	cd build && $(CTEST)

# One sanitized tree serves both ctest and the fuzz targets: the library
# is compiled once with ASan+UBSan and libFuzzer's coverage hooks (which
# cost the tests little), instead of twice.
asan-tree:
	cmake -S . -B build-asan -DCMAKE_C_COMPILER=clang $(SANITIZE_TYPE) \
	    -DMANTLE_SANITIZE=ON -DMANTLE_FUZZ=ON $(CMAKE_COMMON)
	cmake --build build-asan -j$(JOBS)

test-asan:
	$(call header,"2/5 build-asan/: ASan+UBSan build (clang) and ctest")
	@$(MAKE) --no-print-directory asan-tree
	cd build-asan && $(CTEST)

# The switch tree checks the other dispatch of the interpreter: everything
# that runs guests, but not the fleet/agent/attestation service tests, which
# exercise no interpreter path the engine and WASI tests do not, and run in
# the two other trees.
SWITCH_EXCLUDE = ^(lattice|agent|fleet_|attest)|^sealfs[.]crash
test-switch:
	$(call header,"3/5 build-switch/: switch dispatch (gcc) and ctest")
	cmake -S . -B build-switch -DCMAKE_C_COMPILER=gcc \
	    -DCMAKE_BUILD_TYPE=Release -DMANTLE_COMPUTED_GOTO=OFF \
	    -DMANTLE_TEST_AOT=OFF $(CMAKE_COMMON)
	cmake --build build-switch -j$(JOBS)
	cd build-switch && $(CTEST) -E '$(SWITCH_EXCLUDE)'

# Each target fuzzes for its seconds times FUZZ_MULT, reading the committed
# corpus in tests/fuzz/ and writing what it finds into build-asan/new-*/
# (the tree stays clean); `make fuzz-merge` folds those finds into
# tests/fuzz/. The budgets below are CI's: a regression pass over each
# corpus plus a short search (about 2.5 minutes in all); a longer campaign
# is `make fuzz FUZZ_MULT=20`.
# name:seed-folder:seconds. Seeds under tests/fuzz/ are ours (make
# fuzz-merge grows them); the evidence parsers start from the recorded
# vectors in shared/ and keep their finds in build-asan/ only.
FUZZ_TARGETS = fuzz_module:tests/fuzz/corpus:$(FUZZ_SECONDS) \
               fuzz_wasi_path:tests/fuzz/corpus-wasi-path:10 \
               fuzz_wat:tests/fuzz/corpus-wat:15 \
               fuzz_aot_emit:tests/fuzz/corpus-aot:10 \
               fuzz_mantle:tests/fuzz/corpus-mantle:8 \
               fuzz_broker:tests/fuzz/corpus-broker:8 \
               fuzz_trustee:tests/fuzz/corpus-trustee:8 \
               fuzz_agent_spec:tests/fuzz/corpus-agent-spec:8 \
               fuzz_sealfs:tests/fuzz/corpus-sealfs:10 \
               fuzz_fleet_manifest:tests/fuzz/corpus-fleet-manifest:8 \
               fuzz_lattice_meta:tests/fuzz/corpus-lattice-meta:8 \
               $(foreach f,snp tdx sgx cca tpm policy,fuzz_$(f):$(SHARED)/testvectors/$(f):8)
fuzz:
	$(call header,"4/5 build-asan/: libFuzzer targets (clang, ASan+UBSan)")
	@$(MAKE) --no-print-directory asan-tree
	for t in $(FUZZ_TARGETS); do \
	    IFS=: read -r name corpus secs <<< "$$t"; mkdir -p build-asan/new-$$name; \
	    [ -d "$$corpus" ] || corpus=; \
	    secs=$$((secs * $(FUZZ_MULT))); echo "fuzzing $$name for $$secs s"; \
	    ./build-asan/tests/fuzz/$$name -max_total_time=$$secs \
	        -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build-asan/$$name- \
	        -print_final_stats=1 build-asan/new-$$name $$corpus; \
	done

fuzz-merge:
	test -x build-asan/tests/fuzz/fuzz_module || $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=1
	for t in $(FUZZ_TARGETS); do \
	    IFS=: read -r name corpus secs <<< "$$t"; \
	    case "$$corpus" in tests/fuzz/*) ;; *) continue ;; esac; \
	    rm -rf build-asan/merged; mkdir -p build-asan/merged; \
	    ./build-asan/tests/fuzz/$$name -merge=1 -timeout=10 -rss_limit_mb=2048 -max_len=2048 \
	        build-asan/merged $$corpus build-asan/new-$$name; \
	    find $$corpus -type f ! -name '*.wasm' -delete; \
	    cp build-asan/merged/* $$corpus/; \
	done
	@du -sh tests/fuzz/corpus*

spec:
	$(call header,"5/5 spec suite: release build")
	./build/tests/spec/mantle-spec $(SHARED)/wasm-spec

# BENCH_RUNS, BENCH_TIERS, BENCH_QUICK, ...: see bench/run.sh and bench/README.md.
bench: deps
	$(call header,"bench: build/ (release gcc) then bench/run.sh")
	@$(MAKE) --no-print-directory build
	bash bench/run.sh
	$(call header,"bench: sealed versus plain directories (bench/sealfs.sh)")
	bash bench/sealfs.sh
	$(call header,"bench: binary sizes per target and the minimal armv7 build")
	bash bench/sizes.sh

# Cross builds (cmake/toolchains/), tested under qemu-user: scripts/cross.sh.
CROSS_ARCHS ?= aarch64 armv7 riscv64

cross:
	$(call header,"cross: build-cross-ARCH/ for $(CROSS_ARCHS); build-cross-armv7-min/; build-cross-aarch64-node/")
	SHARED=$(SHARED) JOBS=$(JOBS) bash scripts/cross.sh build $(CROSS_ARCHS)
	SHARED=$(SHARED) JOBS=$(JOBS) bash scripts/cross.sh min armv7
	SHARED=$(SHARED) JOBS=$(JOBS) bash scripts/cross.sh node aarch64

# build/: the host mantle compiles the bench programs with --target ARCH.
test-cross:
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory cross
	$(call header,"cross: spec suite (interpreter, AOT) + WASI + bench + cross.*/aot.* tests under qemu-user")
	time SHARED=$(SHARED) JOBS=$(JOBS) bash scripts/cross.sh test $(CROSS_ARCHS)

clean:
	rm -rf build build-asan build-switch build-fuzz build-aot-cache build-cross-*
