# bench/build.mk - builds every benchmark natively (gcc -O2) and to wasm32-wasi (clang -O2).
# SPDX-License-Identifier: Apache-2.0
#
# Called by bench/run.sh from the repository root:
#   make -f bench/build.mk OUT=build-bench -j2
# Outputs: $(OUT)/native/NAME, $(OUT)/wasm/NAME.wasm, and hello (native,
# wasm) for the start-up measurement. SQLite's amalgamation is fetched with
# `npm pack better-sqlite3@12` into $(OUT)/sqlite/ (never into the tree).

OUT        ?= build-bench
NATIVE_CC  ?= gcc
WASM_CC    ?= clang
SQLITE_PKG ?= better-sqlite3@12

SRC   := bench/programs
PROGS := $(sort $(basename $(notdir $(wildcard $(SRC)/*.c))))
WARN  := -Wall -Wextra

NATIVE_CFLAGS := -O2 $(WARN) -I$(SRC)
NATIVE_LIBS   := -lm
# Emulated process clocks cover clock()/times(); the 1 MiB shadow stack
# covers programs with large arrays on the C stack.
WASM_CFLAGS   := --target=wasm32-wasi -O2 $(WARN) -I$(SRC) -D_WASI_EMULATED_PROCESS_CLOCKS
WASM_LIBS     := -lwasi-emulated-process-clocks -Wl,-z,stack-size=1048576

# SQLite: the same configuration on both sides; wasi-libc needs the
# emulated mman/getpid/clocks/signal pieces (its __wasi__ block disables WAL).
SQLITE_DEFS      := -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION
SQLITE_WASM_DEFS := $(SQLITE_DEFS) -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID \
                    -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_SIGNAL
SQLITE_WASM_LIBS := -lwasi-emulated-mman -lwasi-emulated-getpid \
                    -lwasi-emulated-process-clocks -lwasi-emulated-signal
SQLITE_DIR := $(OUT)/sqlite

NATIVE := $(addprefix $(OUT)/native/,$(PROGS) hello)
WASM   := $(addsuffix .wasm,$(addprefix $(OUT)/wasm/,$(PROGS) hello))

.PHONY: all
all: $(NATIVE) $(WASM)

$(OUT)/native $(OUT)/wasm $(SQLITE_DIR):
	mkdir -p $@

$(OUT)/native/%: $(SRC)/%.c $(SRC)/bench.h | $(OUT)/native
	$(NATIVE_CC) $(NATIVE_CFLAGS) -o $@ $< $(NATIVE_LIBS)

$(OUT)/wasm/%.wasm: $(SRC)/%.c $(SRC)/bench.h | $(OUT)/wasm
	$(WASM_CC) $(WASM_CFLAGS) -o $@ $< $(WASM_LIBS)

# The SIMD programs (simd_*.c) use wasm_simd128.h on the Wasm side.
$(OUT)/wasm/simd_%.wasm: $(SRC)/simd_%.c $(SRC)/bench.h | $(OUT)/wasm
	$(WASM_CC) $(WASM_CFLAGS) -msimd128 -o $@ $< $(WASM_LIBS)

$(OUT)/native/hello: bench/hello.c | $(OUT)/native
	$(NATIVE_CC) -O2 $(WARN) -o $@ $<

$(OUT)/wasm/hello.wasm: bench/hello.c | $(OUT)/wasm
	$(WASM_CC) --target=wasm32-wasi -O2 $(WARN) -o $@ $<

# ---- SQLite ----
$(SQLITE_DIR)/sqlite3.c: | $(SQLITE_DIR)
	rm -f $(SQLITE_DIR)/*.tgz
	cd $(SQLITE_DIR) && npm pack --silent $(SQLITE_PKG) >/dev/null
	tar -xzf $(SQLITE_DIR)/*.tgz -C $(SQLITE_DIR) --strip-components=3 \
	    package/deps/sqlite3/sqlite3.c package/deps/sqlite3/sqlite3.h
	touch $@

$(SQLITE_DIR)/sqlite3.h: $(SQLITE_DIR)/sqlite3.c

$(SQLITE_DIR)/sqlite3-native.o: $(SQLITE_DIR)/sqlite3.c
	$(NATIVE_CC) -O2 $(SQLITE_DEFS) -c -o $@ $<

$(SQLITE_DIR)/sqlite3-wasm.o: $(SQLITE_DIR)/sqlite3.c
	$(WASM_CC) --target=wasm32-wasi -O2 $(SQLITE_WASM_DEFS) -c -o $@ $<

$(OUT)/native/sqlite: $(SRC)/sqlite.c $(SRC)/bench.h $(SQLITE_DIR)/sqlite3-native.o | $(OUT)/native
	$(NATIVE_CC) $(NATIVE_CFLAGS) -I$(SQLITE_DIR) -o $@ $< $(SQLITE_DIR)/sqlite3-native.o $(NATIVE_LIBS)

$(OUT)/wasm/sqlite.wasm: $(SRC)/sqlite.c $(SRC)/bench.h $(SQLITE_DIR)/sqlite3-wasm.o | $(OUT)/wasm
	$(WASM_CC) $(WASM_CFLAGS) $(SQLITE_WASM_DEFS) -I$(SQLITE_DIR) -o $@ $< \
	    $(SQLITE_DIR)/sqlite3-wasm.o $(SQLITE_WASM_LIBS) -Wl,-z,stack-size=1048576
