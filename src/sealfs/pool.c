/* pool.c - opening (and sealing) runs of sealed nodes on all cores: a
 * mount's small pool of crypto threads (fork-join, and one run in the
 * background for write-behind).
 * SPDX-License-Identifier: Apache-2.0
 *
 * A sequential read fetches many nodes with one pread; verifying and
 * decrypting them (AES-256-GCM; a key schedule per batch of nodes sealed
 * together, kept by each thread's context) is most of its time,
 * and each node is independent. sfs_pool_open hands a run to the pool's
 * threads and works on it itself; it returns once every node of the run
 * is done, so the run's buffers (the read buffer, the guest's memory,
 * cache pages) are used only during the call, and the rest of sealfs
 * stays single-threaded.
 *
 * Sealing a run (write-behind, eviction, commit: sfs_open with pt set) is
 * the same fork-join over nodes that are just as independent: each node
 * has its own key and nonce pair, never used before, drawn by the caller
 * before the run, so which thread seals which node changes nothing.
 *
 * The one exception to fork-join: a run written behind (sealfs.c,
 * write_behind) is handed over with sfs_pool_submit and the caller goes
 * back to the guest, which fills the next run while the threads seal and
 * write this one; sfs_pool_wait, before any other use of the pool or of
 * the run's pages (the next run written behind, a read, an eviction, a
 * commit), takes what is left of it and waits for the rest; the thread
 * that seals its last node writes it (write_some), so a run the threads
 * finish alone is written while the guest works too. At most one run is
 * in the pool at a time either way, and the same back-off (below) applies.
 *
 * Memory is bounded by the caller's run (SFS_RUN nodes); each thread holds
 * one reusable GCM context. Errors are per node and reported in run order,
 * the same whichever thread opened what.
 *
 * Shared state is guarded by `mu`: a run is published (run, n, next = 0,
 * gen + 1), nodes are claimed under the mutex a share at a time (the
 * run divided by the number of threads, caller included: claiming
 * fewer made the mutex's cache line the bottleneck), and the
 * caller waits until every node is claimed and no thread is still working
 * (busy == 0) before it takes the run back, so that a thread waking late
 * finds nothing left to claim and never touches a finished run. A run of a
 * 64 KiB read is about 15 us of work: sleeping on a condition variable
 * between runs (a futex call and a wakeup each way) would cost as much as
 * it saves, so a thread first polls gen (and the caller busy) for fifty
 * microseconds, and sleeps only when no run comes. A caller that finds the
 * threads asleep (the cores were busy with other work, or the reader is
 * slow) or waits long for one opens the next runs alone (BACKOFF), then
 * wakes them for one run to try again: on a loaded machine the pool costs
 * about one wakeup per BACKOFF runs, never a system call per run. gen,
 * busy and stop are also read without the mutex (atomics), written only
 * with it.
 */
#include <stdlib.h>

#include "platform/os.h"
#include "sealfs/sealfs_int.h"
#include "tee/tee.h"

#define POOL_MAX 3        /* threads besides the caller */
#define SPIN_NS 50000u    /* polling before sleeping */
/* A caller that waited longer than this for the others after its own
 * share (they were not running: the cores are busy with other work) opens
 * the next BACKOFF runs alone: waiting for a thread the scheduler has set
 * aside costs more than the thread saves. */
#define LATE_NS 200000u
#define BACKOFF 16u

/* One thread and what only it uses. */
typedef struct {
    struct sfs_pool *p;
    os_thread *t;
    tee_gcm *gcm;       /* NULL: a context per node (slower, still right) */
    bool asleep;        /* waits on `work` and no one woke it yet (mu) */
} pool_thread;

struct sfs_pool {
    os_mutex *mu;
    os_cond *work, *done;
    pool_thread thr[POOL_MAX];
    unsigned nthr;
    uint32_t stop;
    uint32_t gen;       /* runs published */
    /* the run being opened, or NULL */
    sfs_open *run;
    const uint8_t *id;
    size_t n, next;
    size_t chunk;       /* nodes claimed at a time: a share each */
    uint32_t busy;      /* threads opening claimed nodes of the run */
    unsigned sleepers;  /* threads asleep */
    bool waiting;       /* the caller waits on `done` */
    unsigned alone;     /* runs left to open without the others (caller) */
    bool probe;         /* wake sleeping threads for the next run */
    bool unwritten;     /* a run submitted: write it once all is sealed */
    bool eager;         /* never back off (tests: every run is threaded) */
};

static void open_some(tee_gcm *g, const uint8_t *id, sfs_open *o, size_t k)
{
    for (size_t i = 0, m; i < k; i += m) {
        int rc = 0;

        m = 1;
        if (o[i].fd >= 0) {
            while (i + m < k && o[i + m].fd == o[i].fd &&
                   o[i + m].off == o[i].off + m * SEALFS_BLOB &&
                   o[i + m].blob == o[i].blob + m * SEALFS_BLOB)
                m++;
            if (!o[i].pt)   /* sealed ones are written by write_some */
                rc = sfs_read_full(o[i].fd, o[i].blob, m * SEALFS_BLOB,
                                   o[i].off);
        }
        for (size_t j = i; j < i + m; j++)
            o[j].rc = o[j].pt ? sealfs_node_seal(g, id, o[j].level,
                                                 o[j].index, o[j].pt,
                                                 o[j].key, o[j].blob)
                      : rc < 0 ? -OS_EIO
                               : sealfs_node_open(g, o[j].key, id, o[j].level,
                                                  o[j].index, o[j].blob,
                                                  o[j].out);
    }
}

/* Write the sealed nodes of a run written behind to their places (free
 * slots: nothing committed refers to them), one write per group in
 * consecutive slots and buffers; a failed write is every node's error
 * (ENOSPC, EIO). Nothing is written if a node failed to seal. */
static void write_some(sfs_open *o, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (o[i].rc < 0)
            return;
    for (size_t i = 0, m; i < k; i += m) {
        int rc;

        for (m = 1; i + m < k && o[i + m].fd == o[i].fd &&
                    o[i + m].off == o[i].off + m * SEALFS_BLOB &&
                    o[i + m].blob == o[i].blob + m * SEALFS_BLOB;
             m++)
            ;
        if ((rc = sfs_write_all(o[i].fd, o[i].blob, m * SEALFS_BLOB,
                                o[i].off)) < 0)
            for (size_t j = 0; j < k; j++)
                o[j].rc = rc;
    }
}

/* Claim the next few nodes of the current run (mu held); 0 if none. */
static size_t claim(sfs_pool *p, size_t *first)
{
    size_t k;

    if (!p->run || p->next >= p->n)
        return 0;
    k = p->n - p->next < p->chunk ? p->n - p->next : p->chunk;
    *first = p->next;
    p->next += k;
    os_atomic_store_u32(&p->busy, p->busy + 1);
    return k;
}

/* Open claimed nodes until the run has none left (mu held on entry and
 * exit); the last one out wakes a waiting caller. */
static void drain(sfs_pool *p, tee_gcm *g)
{
    size_t first, k;

    while ((k = claim(p, &first))) {
        sfs_open *run = p->run;
        const uint8_t *id = p->id;

        os_mutex_unlock(p->mu);
        open_some(g, id, run + first, k);
        os_mutex_lock(p->mu);
        if (p->busy == 1 && p->next >= p->n && p->unwritten) {
            /* The last node of a run submitted in the background is
             * sealed: whoever sealed it writes the run, a thread when the
             * caller has not come back yet (the write overlaps the guest
             * too), with the caller waiting (busy) if it has. */
            size_t n = p->n;

            p->unwritten = false;
            os_mutex_unlock(p->mu);
            write_some(run, n);
            os_mutex_lock(p->mu);
        }
        os_atomic_store_u32(&p->busy, p->busy - 1);
        if (p->busy == 0 && p->waiting)
            os_cond_signal(p->done);
    }
}

/* Poll *v until it differs from `was` (or, with stop, the pool stops), for
 * at most SPIN_NS; whether it did. */
static bool spin_change(sfs_pool *p, const uint32_t *v, uint32_t was)
{
    uint64_t t0 = os_clock_monotonic_ns();

    for (unsigned i = 1;; i++) {
        if (os_atomic_load_u32(v) != was || os_atomic_load_u32(&p->stop))
            return true;
        os_cpu_relax();
        if (i % 64 == 0 && os_clock_monotonic_ns() - t0 > SPIN_NS)
            return false;
    }
}

static void *worker(void *arg)
{
    pool_thread *me = arg;
    sfs_pool *p = me->p;

    os_mutex_lock(p->mu);
    while (!p->stop) {
        uint32_t seen;

        drain(p, me->gcm);
        seen = p->gen;
        os_mutex_unlock(p->mu);
        spin_change(p, &p->gen, seen);
        os_mutex_lock(p->mu);
        while (!p->stop && p->gen == seen) {
            if (!me->asleep) {
                me->asleep = true;
                p->sleepers++;
            }
            os_cond_wait(p->work, p->mu);
        }
        if (me->asleep) {   /* woken by stop, or saw gen move on its own */
            me->asleep = false;
            p->sleepers--;
        }
    }
    os_mutex_unlock(p->mu);
    return NULL;
}

sfs_pool *sfs_pool_new(unsigned threads, bool eager)
{
    sfs_pool *p = calloc(1, sizeof *p);

    if (threads > POOL_MAX)
        threads = POOL_MAX;
    if (!p || !(p->mu = os_mutex_new()) || !(p->work = os_cond_new()) ||
        !(p->done = os_cond_new())) {
        sfs_pool_free(p);
        return NULL;
    }
    p->eager = eager;
    for (unsigned i = 0; i < threads; i++) {
        pool_thread *t = &p->thr[i];

        t->p = p;
        t->gcm = tee_gcm_new();
        if (os_thread_start(&t->t, worker, t) < 0) {
            tee_gcm_free(t->gcm);
            t->gcm = NULL;
            break;   /* fewer threads: slower, still right */
        }
        p->nthr++;
    }
    return p;
}

void sfs_pool_free(sfs_pool *p)
{
    if (!p)
        return;
    if (p->mu) {
        os_mutex_lock(p->mu);
        os_atomic_store_u32(&p->stop, 1);
        if (p->work)
            os_cond_broadcast(p->work);
        os_mutex_unlock(p->mu);
    }
    for (unsigned i = 0; i < p->nthr; i++) {
        os_thread_join(p->thr[i].t);
        tee_gcm_free(p->thr[i].gcm);   /* wipes its last key schedule */
    }
    os_cond_free(p->work);
    os_cond_free(p->done);
    os_mutex_free(p->mu);
    free(p);
}

/* Hand run[0..n) to the threads (bg: in the background, written by
 * whoever seals its last node), or open it here and now when there are
 * none, when backing off, or when they slept through the gap since the
 * last run (the cores are busy with other work, or the reader is slow:
 * waking them costs the caller a system call per run and they come late,
 * so this run and the next BACKOFF go alone, then they are tried again).
 * Returns whether the threads have it (finish takes it back). */
static bool publish(sfs_pool *p, tee_gcm *g, const uint8_t *id,
                    sfs_open *run, size_t n, bool bg)
{
    bool alone = !p || p->nthr == 0 || n < 2 || (p->alone && !p->eager);

    if (!alone) {
        os_mutex_lock(p->mu);
        if (p->sleepers && !p->probe && !p->eager) {
            p->alone = BACKOFF;
            p->probe = true;
            alone = true;
            os_mutex_unlock(p->mu);
        }
    } else if (p && p->alone) {
        p->alone--;
    }
    if (alone) {
        open_some(g, id, run, n);
        if (bg)
            write_some(run, n);
        return false;
    }
    p->probe = false;
    p->unwritten = bg;
    p->run = run;
    p->id = id;
    p->n = n;
    p->next = 0;
    /* A share each, the caller's included; smaller ones in the
     * background, where the caller comes late (it goes back to its own
     * work first) and takes what is left then. */
    p->chunk = bg ? (n + 2 * (p->nthr + 1) - 1) / (2 * (p->nthr + 1))
                  : (n + p->nthr) / (p->nthr + 1);
    os_atomic_store_u32(&p->gen, p->gen + 1);
    if (p->sleepers) {
        /* awake from now on: the next run must not take them for
         * sleepers before they got to run */
        for (unsigned t = 0; t < p->nthr; t++)
            p->thr[t].asleep = false;
        p->sleepers = 0;
        os_cond_broadcast(p->work);
    }
    os_mutex_unlock(p->mu);
    return true;
}

/* Open what the threads have not claimed of the published run, wait for
 * the rest, and take the run back. A thread that holds part of it and is
 * not running (its core went to other work) holds the caller up for a
 * time slice: after such a wait the next BACKOFF runs go alone. */
static void finish(sfs_pool *p, tee_gcm *g)
{
    uint64_t t0;

    os_mutex_lock(p->mu);
    drain(p, g);
    t0 = os_clock_monotonic_ns();
    while (p->busy) {
        /* the others finish their share: a few us */
        os_mutex_unlock(p->mu);
        spin_change(p, &p->busy, os_atomic_load_u32(&p->busy));
        os_mutex_lock(p->mu);
        p->waiting = true;
        while (p->busy)
            os_cond_wait(p->done, p->mu);
        p->waiting = false;
        if (os_clock_monotonic_ns() - t0 > LATE_NS)
            p->alone = BACKOFF;
    }
    p->run = NULL;
    os_mutex_unlock(p->mu);
}

static size_t first_failure(const sfs_open *run, size_t n)
{
    size_t i;

    for (i = 0; i < n && run[i].rc == 0; i++)
        ;
    return i;
}

size_t sfs_pool_open(sfs_pool *p, tee_gcm *g, const uint8_t id[SEALFS_ID],
                     sfs_open *run, size_t n)
{
    if (publish(p, g, id, run, n, false))
        finish(p, g);
    return first_failure(run, n);
}

void sfs_pool_submit(sfs_pool *p, tee_gcm *g, const uint8_t id[SEALFS_ID],
                     sfs_open *run, size_t n)
{
    publish(p, g, id, run, n, true);
}

size_t sfs_pool_wait(sfs_pool *p, tee_gcm *g, sfs_open *run, size_t n)
{
    if (p && p->run == run)   /* not done alone at the submit */
        finish(p, g);
    return first_failure(run, n);
}
