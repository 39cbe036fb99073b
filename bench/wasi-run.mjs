// wasi-run.mjs - runs a WASI command module under Node's V8 (node:wasi, preview1), for bench/run.sh.
// SPDX-License-Identifier: Apache-2.0
//
//   node --no-turbo-fast-api-calls --no-warnings bench/wasi-run.mjs PROG.wasm [ARGS...]
//
// Exits with the program's exit code. --no-turbo-fast-api-calls avoids a
// Node 20 crash at exit after WASI programs and does not change timings.
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
if (!file) {
    process.stderr.write('usage: wasi-run.mjs PROG.wasm [ARGS...]\n');
    process.exit(2);
}
const wasi = new WASI({
    version: 'preview1',
    args: [file, ...args],
    env: {},
    preopens: {},
    returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
