// report.mjs - turns bench/run.sh's raw rows into the tables and bench/results.json.
// SPDX-License-Identifier: Apache-2.0
//
//   node bench/report.mjs RAW.tsv OUT.json      (run.sh passes its settings in the environment)
//
// Every run's stdout is compared with native's: a runtime that printed
// anything else is a MISMATCH, the loudest failure there is. Medians are
// over the runs that succeeded; a runtime is ranked (ratio, geometric mean)
// on a program only if all its runs there succeeded with native's output.
// Exit: 0 clean; 1 mismatch, failed self-check, a native or V8 failure, a
// program that did not build, or (BENCH_STRICT=1) any Mantle failure.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import process from 'node:process';

const [rawPath, outPath] = process.argv.slice(2);
if (!rawPath || !outPath) {
    process.stderr.write('usage: report.mjs RAW.tsv OUT.json\n');
    process.exit(2);
}
const env = process.env;
const tiers = (env.BENCH_TIERS || 'interp').split(/\s+/).filter(Boolean);
const runtimes = ['native', 'v8', ...tiers.map((t) => `mantle-${t}`)];
const strict = env.BENCH_STRICT === '1';

const lines = readFileSync(rawPath, 'utf8').split('\n').filter(Boolean);
const head = lines.shift().split('\t');
const rows = lines.map((l) => {
    const f = l.split('\t');
    const r = Object.fromEntries(head.map((h, i) => [h, f[i] ?? '']));
    for (const k of ['wall_s', 'inner_s', 'rss_kib']) r[k] = r[k] === '' ? null : Number(r[k]);
    return r;
});

const median = (xs) => {
    const v = xs.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
    if (v.length === 0) return null;
    const m = v.length >> 1;
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const geomean = (xs) => (xs.length ? Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length) : null);

// ---- per program, per runtime ----
const programs = [...new Set(rows.filter((r) => r.program !== '_startup').map((r) => r.program))];
const results = {};
const problems = [];
for (const p of programs) {
    results[p] = {};
    const native = rows.filter((r) => r.program === p && r.runtime === 'native');
    const ref = native.find((r) => r.status === 'ok' || r.status === 'selfcheck');
    for (const rt of runtimes) {
        const rs = rows.filter((r) => r.program === p && r.runtime === rt);
        let status = 'ok';
        for (const r of rs) {
            let st = r.status;
            if (st === 'ok' && ref && r.stdout_md5 !== ref.stdout_md5) st = 'MISMATCH';
            r.final = st;
            if (st !== 'ok' && status === 'ok') status = st;
        }
        if (rs.length === 0) status = 'n/a';
        const good = rs.filter((r) => r.final === 'ok');
        const entry = {
            status,
            runs: rs.map((r) => ({ status: r.final, wall_s: r.wall_s, inner_s: r.inner_s, rss_kib: r.rss_kib })),
            median_s: median(good.map((r) => r.wall_s)),
            inner_median_s: median(good.map((r) => r.inner_s)),
            rss_median_kib: median(good.map((r) => r.rss_kib)),
            output: (rs.find((r) => r.line) || {}).line || null,
        };
        results[p][rt] = entry;
        if (status === 'MISMATCH') {
            const bad = rs.find((r) => r.final === 'MISMATCH');
            problems.push(`!!! MISMATCH ${p} under ${rt}: printed "${bad.line}", native printed "${ref.line}"`);
        } else if (status === 'selfcheck') {
            problems.push(`!!! SELF-CHECK FAILED ${p} under ${rt}`);
        } else if (status === 'nobuild') {
            problems.push(`!!! ${p}: no ${rt === 'native' ? 'native binary' : '.wasm'} (build-bench/logs/build.log)`);
        } else if (status !== 'ok' && status !== 'n/a') {
            problems.push(`${rt.startsWith('mantle') ? '' : '!!! '}${p} under ${rt}: ${status}` +
                ` (see build-bench/logs/${p}.${rt}.stderr)`);
        }
    }
    const nat = results[p].native;
    for (const rt of runtimes) {
        const e = results[p][rt];
        const ranked = e.status === 'ok' && nat.status === 'ok';
        e.ratio = ranked && nat.median_s ? e.median_s / nat.median_s : null;
        e.inner_ratio = ranked && nat.inner_median_s && e.inner_median_s !== null
            ? e.inner_median_s / nat.inner_median_s : null;
    }
}

const geo = {};
for (const rt of runtimes) {
    const r = programs.map((p) => results[p][rt].ratio).filter((x) => x !== null);
    const ri = programs.map((p) => results[p][rt].inner_ratio).filter((x) => x !== null);
    const worst = programs.filter((p) => results[p][rt].ratio !== null)
        .sort((a, b) => results[b][rt].ratio - results[a][rt].ratio)[0];
    geo[rt] = {
        ratio: geomean(r), inner_ratio: geomean(ri), programs: r.length,
        worst: worst ? { program: worst, ratio: results[worst][rt].ratio } : null,
    };
}

// ---- start-up ----
const startup = {};
for (const rt of runtimes) {
    const rs = rows.filter((r) => r.program === '_startup' && r.runtime === rt);
    const ok = rs.filter((r) => r.status === 'ok');
    const status = rs.length === 0 ? 'n/a' : rs.some((r) => r.status !== 'ok')
        ? rs.find((r) => r.status !== 'ok').status : 'ok';
    startup[rt] = { status, runs: ok.length, median_ms: ok.length ? median(ok.map((r) => r.wall_s)) * 1000 : null };
    if (status !== 'ok' && status !== 'n/a')
        problems.push(`${rt.startsWith('mantle') ? '' : '!!! '}hello.wasm start-up under ${rt}: ${status}` +
            ` (see build-bench/logs/hello.${rt}.stderr)`);
}

// ---- tables ----
const f = (x, d) => (x === null || x === undefined ? '' : x.toFixed(d));
const pad = (s, n) => String(s).padStart(n);
const cell = (e, w, d) => (e.status === 'ok' ? pad(f(e.median_s, d), w) : pad(e.status, w));
const out = [];
const colw = 24;
let hdr = `${'program'.padEnd(10)} | ${pad('native s', 9)}`;
let sub = `${''.padEnd(10)} | ${pad('', 9)}`;
for (const rt of runtimes.slice(1)) {
    hdr += ` | ${rt.padStart(colw)}`;
    sub += ` | ${pad('s', 8)} ${pad('x', 7)} ${pad('in-x', 7)}`;
}
out.push(hdr, sub, '-'.repeat(hdr.length));
for (const p of programs) {
    const nat = results[p].native;
    let line = `${p.padEnd(10)} | ${cell(nat, 9, 3)}`;
    for (const rt of runtimes.slice(1)) {
        const e = results[p][rt];
        line += ` | ${cell(e, 8, 3)} ${pad(f(e.ratio, 2), 7)} ${pad(f(e.inner_ratio, 2), 7)}`;
    }
    out.push(line);
}
out.push('-'.repeat(hdr.length));
let gl = `${'geo-mean'.padEnd(10)} | ${pad('1.00', 9)}`;
for (const rt of runtimes.slice(1)) {
    const g = geo[rt];
    gl += ` | ${pad(`n=${g.programs}`, 8)} ${pad(f(g.ratio, 2), 7)} ${pad(f(g.inner_ratio, 2), 7)}`;
}
out.push(gl);
let wl = `${'worst'.padEnd(10)} | ${pad('', 9)}`;
for (const rt of runtimes.slice(1)) {
    const w = geo[rt].worst;
    wl += ` | ${pad(w ? w.program : '', 8)} ${pad(w ? f(w.ratio, 2) : '', 7)} ${pad('', 7)}`;
}
out.push(wl);

out.push('', 'peak RSS, MiB (median)');
out.push(`${'program'.padEnd(10)} |${runtimes.map((rt) => pad(rt, 15)).join(' |')}`);
for (const p of programs)
    out.push(`${p.padEnd(10)} |${runtimes.map((rt) => {
        const e = results[p][rt];
        return pad(e.rss_median_kib !== null ? f(e.rss_median_kib / 1024, 1) : e.status === 'ok' ? '' : e.status, 15);
    }).join(' |')}`);

out.push('', `start-up, hello.wasm, wall ms (median of ${Math.max(...Object.values(startup).map((s) => s.runs), 0)})`);
out.push(runtimes.map((rt) => `${rt} ${startup[rt].status === 'ok' ? f(startup[rt].median_ms, 1) : startup[rt].status}`).join('   '));

const binary = env.MANTLE_STRIPPED
    ? { path: env.MANTLE_PATH, bytes: Number(env.MANTLE_SIZE), stripped_bytes: Number(env.MANTLE_STRIPPED) }
    : { path: env.MANTLE_PATH, bytes: null, stripped_bytes: null };
out.push('', binary.stripped_bytes
    ? `mantle binary: ${binary.stripped_bytes} bytes stripped (${(binary.stripped_bytes / 1024).toFixed(0)} KiB; ${binary.bytes} unstripped)`
    : `mantle binary: n/a (${env.MANTLE_PATH} not built, or strip failed)`);

// AOT compile time per program, as run.sh measured it (mantle compile -O2).
let aotCompile = null;
if (env.BENCH_AOT_COMPILE) {
    try {
        aotCompile = readFileSync(env.BENCH_AOT_COMPILE, 'utf8').split('\n').slice(1)
            .map((l) => l.trim().split(/\s+/)).filter((c) => c.length === 4 && programs.includes(c[0]))
            .map(([program, bytes, secs, sPerMB]) => ({ program, wasm_bytes: Number(bytes), seconds: Number(secs), s_per_mb: Number(sPerMB) }));
    } catch { aotCompile = null; }
}
if (aotCompile && aotCompile.length) {
    const tb = aotCompile.reduce((s, c) => s + c.wasm_bytes, 0), ts = aotCompile.reduce((s, c) => s + c.seconds, 0);
    out.push('', 'AOT compile (mantle compile -O2), wall seconds and seconds per MB of Wasm');
    for (const c of aotCompile) out.push(`${String(c.program).padEnd(10)} ${pad(String(c.wasm_bytes), 9)} B ${pad(f(c.seconds, 2), 8)} s ${pad(f(c.s_per_mb, 1), 7)} s/MB`);
    out.push(`${'total'.padEnd(10)} ${pad(String(tb), 9)} B ${pad(f(ts, 2), 8)} s ${pad(f(ts / (tb / 1e6), 1), 7)} s/MB`);
}

out.push('', 'x = median wall time / native median (whole process, start-up included);',
    'in-x = the same for the program\'s own timed region (bench-time on stderr), without start-up.');
if (env.BENCH_QUICK === '1') out.push('BENCH_QUICK=1: tiny sizes; these numbers mean nothing.');
if (env.BENCH_BUILD_OK === '0') problems.push('!!! some programs did not build (build-bench/logs/build.log)');
if (problems.length) out.push('', 'PROBLEMS:', ...problems.map((s) => `  ${s}`));
process.stdout.write(`\n${out.join('\n')}\n`);

// ---- JSON ----
const sh = (cmd, args) => {
    try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim(); } catch { return null; }
};
const json = {
    meta: {
        date: new Date().toISOString(),
        host: os.hostname(), cpu: os.cpus()[0]?.model ?? null, cores: os.cpus().length,
        runs: Number(env.BENCH_RUNS || 3), tiers, quick: env.BENCH_QUICK === '1',
        native_cc: sh('gcc', ['--version']), wasm_cc: sh('clang', ['--version']), node: process.version,
        mantle: env.MANTLE_PATH, mantle_tier_flag: env.MANTLE_TIER_FLAG === '1',
        git: sh('git', ['rev-parse', '--short', 'HEAD']),
    },
    runtimes, programs: results, geomean: geo, startup, binary, aot_compile: aotCompile, problems,
};
writeFileSync(outPath, `${JSON.stringify(json, null, 2)}\n`);
process.stdout.write(`\nwrote ${outPath}\n`);

const fatal = problems.some((s) => s.startsWith('!!!')) ||
    (strict && runtimes.some((rt) => rt.startsWith('mantle') &&
        (programs.some((p) => results[p][rt].status !== 'ok') || startup[rt].status !== 'ok')));
process.exit(fatal ? 1 : 0);
