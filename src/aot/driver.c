/* driver.c - targets and the C compiler driver: emitted units to a shared
 * object, compiled in parallel by the system (or a Debian cross) compiler.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The compiler is an external program started through src/platform/
 * (posix_spawn); its output goes to a private temporary directory that is
 * removed afterwards. Flags matter for correctness, not only speed:
 * -ffp-contract=off (Wasm forbids fusing a*b+c), -fsignaling-nans (x*1.0
 * must quiet a signalling NaN, not fold to x), no -ffast-math, and
 * -fno-math-errno so sqrt stays one instruction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot.h"
#include "mantle.h"
#include "platform/os.h"

/* armv7 has no room for guard regions. riscv64 has, but gcc (tuned for
 * cores where unaligned accesses are slow) lowers a store it cannot prove
 * aligned to byte stores: one straddling the end of memory would write its
 * first bytes before the guard fault, and Wasm requires all or nothing.
 * Probing the last byte first fixed that but made gcc take a minute on
 * large functions, so riscv64 checks explicitly. */
static const aot_target targets[] = {
    {"x86_64", "x86_64-linux-gnu", true, 62},       /* EM_X86_64 */
    {"aarch64", "aarch64-linux-gnu", true, 183},    /* EM_AARCH64 */
    {"armv7", "arm-linux-gnueabihf", false, 40},    /* EM_ARM */
    {"riscv64", "riscv64-linux-gnu", false, 243},   /* EM_RISCV */
};

const aot_target *aot_target_host(void)
{
#if defined(__x86_64__)
    return &targets[0];
#elif defined(__aarch64__)
    return &targets[1];
#elif defined(__arm__)
    return &targets[2];
#elif defined(__riscv) && __riscv_xlen == 64
    return &targets[3];
#else
    return NULL;
#endif
}

const aot_target *aot_target_find(const char *name)
{
    if (!name || !*name)
        return aot_target_host();
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (!strcmp(targets[i].name, name))
            return &targets[i];
    return NULL;
}

const char *aot_cc_for(const aot_options *o)
{
    static _Thread_local char buf[96];
    if (o->cc && *o->cc)
        return o->cc;
    const char *env = getenv("MANTLE_CC");
    if (env && *env && o->target == aot_target_host())
        return env;
    if (o->target == aot_target_host())
        return "cc";
    snprintf(buf, sizeof buf, "%s-gcc", o->target->triple);
    return buf;
}

/* Flags every unit is compiled with (besides -O, -DAOT_GUARD, -DAOT_FUEL).
 * -fno-optimize-sibling-calls: stack exhaustion is detected by the stack
 * pointer alone (aot_rt.h AOT_ENTER), so a call must take stack; gcc would
 * otherwise turn `f(x) = f(x+1) + 1` into a loop that never traps.
 * -falign-loops=32: where small poll-free loops start matters (AMD EPYC:
 * matmul 0.74 s at gcc's default, 0.49 s at 32; simd_matmul 0.22 s and
 * 0.28 s; docs/aot.md, Measured). */
#define BASE_FLAGS                                                            \
    "-std=gnu11", "-fPIC", "-w", "-ffp-contract=off", "-fno-math-errno",     \
        "-fsignaling-nans", "-fvisibility=hidden", "-fno-plt",               \
        "-fno-optimize-sibling-calls", "-falign-loops=32"

/* Recorded in artifacts and part of the cache key; `gen` names the
 * emitter's output version (bump AOT_GEN_VERSION when the generated code
 * changes without an ABI change). */
void aot_flags_string(const aot_options *o, char *out, size_t outlen)
{
    static const char *const base[] = {BASE_FLAGS};
    size_t n = 0;
    int k = snprintf(out, outlen, "gen%u -O%d -DAOT_GUARD=%d -DAOT_FUEL=%d",
                     AOT_GEN_VERSION, o->opt_level, o->guard ? 1 : 0,
                     o->fuel ? 1 : 0);
    if (k < 0 || (size_t)k >= outlen)
        return;
    n = (size_t)k;
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        k = snprintf(out + n, outlen - n, " %s", base[i]);
        if (k < 0 || (size_t)k >= outlen - n)
            return;
        n += (size_t)k;
    }
}

static int read_small(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(out, 1, outlen - 1, f);
    fclose(f);
    out[n] = '\0';
    return 0;
}

int aot_cc_identity(const char *cc, char *out, size_t outlen)
{
    char dir[4096], path[4200];
    if (os_temp_dir_new(dir, sizeof dir) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/version", dir);
    const char *argv[] = {cc, "--version", NULL};
    long pid;
    int status = -1;
    int rc = -1;
    if (os_spawn(argv, path, "/dev/null", &pid) == 0 &&
        os_spawn_wait(pid, &status) == 0 && status == 0 &&
        read_small(path, out, outlen) == 0) {
        char *nl = strchr(out, '\n');
        if (nl)
            *nl = '\0';
        rc = out[0] ? 0 : -1;
    }
    os_temp_dir_remove(dir);
    return rc;
}

/* Last lines of a compiler's error output, for the diagnostic. */
static void tail_of(const char *path, char *out, size_t outlen)
{
    char buf[2048];
    if (read_small(path, buf, sizeof buf) != 0) {
        out[0] = '\0';
        return;
    }
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = ' ';
    snprintf(out, outlen, "%.300s", buf);
}

typedef struct job {
    long pid;
    const char *argv[28];
    char src[4200], obj[4200], log[4200];
} job;

int aot_compile_module(const wasm_module *w, const aot_options *o,
                       uint8_t **out_so, size_t *out_size, double *out_secs,
                       char *err, size_t errlen)
{
    uint64_t t0 = os_clock_monotonic_ns();
    aot_emit_out em;
    uint32_t jobs = o->jobs ? o->jobs : 2;
    if (aot_emit(w, jobs * 4, &em, err, errlen) != 0)
        return MANTLE_ENOMEM;
    char dir[4096], path[4200], so[4200], opt[8], guard[24], fuel[24];
    int st = MANTLE_OK;
    job *js = NULL;
    if (os_temp_dir_new(dir, sizeof dir) != 0) {
        snprintf(err, errlen, "cannot create a temporary directory: %s",
                 strerror(errno));
        aot_emit_free(&em);
        return MANTLE_EIO;
    }
    snprintf(path, sizeof path, "%s/aot_rt.h", dir);
    int wr = os_file_write_all(path, aot_rt_h_text, strlen(aot_rt_h_text));
    snprintf(path, sizeof path, "%s/module.h", dir);
    wr |= os_file_write_all(path, em.header.p, em.header.n);
    js = calloc(em.nunits, sizeof *js);
    if (wr != 0 || !js) {
        snprintf(err, errlen, "cannot write C sources to %s", dir);
        st = MANTLE_EIO;
        goto out;
    }
    const char *cc = aot_cc_for(o);
    snprintf(opt, sizeof opt, "-O%d", o->opt_level);
    snprintf(guard, sizeof guard, "-DAOT_GUARD=%d", o->guard ? 1 : 0);
    snprintf(fuel, sizeof fuel, "-DAOT_FUEL=%d", o->fuel ? 1 : 0);
    for (uint32_t u = 0; u < em.nunits; u++) {
        job *j = &js[u];
        snprintf(j->src, sizeof j->src, "%s/u%u.c", dir, u);
        snprintf(j->obj, sizeof j->obj, "%s/u%u.o", dir, u);
        snprintf(j->log, sizeof j->log, "%s/u%u.log", dir, u);
        if (os_file_write_all(j->src, em.units[u].text.p,
                              em.units[u].text.n) != 0) {
            snprintf(err, errlen, "cannot write %s", j->src);
            st = MANTLE_EIO;
            goto out;
        }
        const char *argv[] = {cc, opt, BASE_FLAGS, guard, fuel,
                              "-c", j->src, "-o", j->obj, NULL};
        memcpy(j->argv, argv, sizeof argv);
    }
    /* One unit (most small modules): compile and link in one compiler
     * run, one process fewer to start (under qemu-user each start is a
     * fork of the whole emulator). */
    snprintf(so, sizeof so, "%s/module.so", dir);
    if (em.nunits == 1) {
        const char *argv[] = {cc, opt, BASE_FLAGS, guard, fuel, "-shared",
                              "-Wl,-z,now", "-o", so, js[0].src, "-lm", NULL};
        _Static_assert(sizeof argv <= sizeof js[0].argv, "job argv size");
        memcpy(js[0].argv, argv, sizeof argv);
    }
    /* Run up to `jobs` compilers at once. */
    uint32_t next = 0, done = 0, running = 0;
    uint32_t *order = calloc(em.nunits, sizeof *order);
    if (!order) {
        st = MANTLE_ENOMEM;
        goto out;
    }
    while (done < em.nunits) {
        while (running < jobs && next < em.nunits) {
            job *j = &js[next];
            if (os_spawn(j->argv, NULL, j->log, &j->pid) != 0) {
                snprintf(err, errlen, "cannot run the C compiler \"%s\": %s",
                         cc, strerror(errno));
                st = MANTLE_EIO;
                break;
            }
            order[running++] = next++;
        }
        if (running == 0)
            break;
        /* Reap the oldest (compilation times are similar). */
        job *j = &js[order[0]];
        memmove(order, order + 1, (running - 1) * sizeof *order);
        running--;
        int status = -1;
        if (os_spawn_wait(j->pid, &status) != 0 || status != 0) {
            if (st == MANTLE_OK) {
                char tail[400];
                tail_of(j->log, tail, sizeof tail);
                snprintf(err, errlen, "C compiler \"%s\" failed on %s: %s",
                         cc, j->src, tail);
                st = MANTLE_EIO;
            }
        }
        done++;
        if (st != MANTLE_OK && running == 0)
            break;
    }
    free(order);
    if (st != MANTLE_OK)
        goto out;
    /* Link. */
    if (em.nunits > 1) {
        const char **argv = calloc(em.nunits + 12, sizeof *argv);
        if (!argv) {
            st = MANTLE_ENOMEM;
            goto out;
        }
        size_t k = 0;
        char log[4200];
        snprintf(log, sizeof log, "%s/link.log", dir);
        argv[k++] = cc;
        argv[k++] = "-shared";
        argv[k++] = "-Wl,-z,now";
        argv[k++] = "-o";
        argv[k++] = so;
        for (uint32_t u = 0; u < em.nunits; u++)
            argv[k++] = js[u].obj;
        argv[k++] = "-lm";
        argv[k] = NULL;
        long pid;
        int status = -1;
        if (os_spawn(argv, NULL, log, &pid) != 0 ||
            os_spawn_wait(pid, &status) != 0 || status != 0) {
            char tail[400];
            tail_of(log, tail, sizeof tail);
            snprintf(err, errlen, "linking with \"%s\" failed: %s", cc, tail);
            st = MANTLE_EIO;
        }
        free(argv);
        if (st != MANTLE_OK)
            goto out;
    }
    if (os_file_read_all(so, out_so, out_size) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", so, strerror(errno));
        st = MANTLE_EIO;
    }
out:
    free(js);
    aot_emit_free(&em);
    if (!getenv("MANTLE_AOT_KEEP"))
        os_temp_dir_remove(dir);
    else
        fprintf(stderr, "mantle: AOT sources kept in %s\n", dir);
    if (out_secs)
        *out_secs = (double)(os_clock_monotonic_ns() - t0) / 1e9;
    return st;
}
