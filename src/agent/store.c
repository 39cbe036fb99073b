/* store.c - mantled's state: SQLite (WAL) and content-addressed modules.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Layout under state_dir (docs/agent.md):
 *   mantled.db             modules, workloads, runs, audit (WAL mode)
 *   modules/sha256/<hex>   module bytes, named by their SHA-256
 *   secrets/<name>         secret values (0600), for workloads' TEE services
 * A module file is written to a temporary name, fsynced and renamed, then
 * recorded; loading re-hashes the bytes and refuses a mismatch, so a
 * corrupted or substituted file never runs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "agent.h"

#define fail agent_fail

struct store {
    sqlite3 *db;
    char modules_dir[512];
    char secrets_dir[512];
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    "CREATE TABLE IF NOT EXISTS modules("
    "  digest TEXT PRIMARY KEY, size INTEGER NOT NULL, name TEXT,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS workloads("
    "  name TEXT PRIMARY KEY, spec TEXT NOT NULL, running INTEGER NOT NULL,"
    "  restarts INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs("
    "  id INTEGER PRIMARY KEY, workload TEXT NOT NULL, pid INTEGER,"
    "  started INTEGER NOT NULL, ended INTEGER, exit_code INTEGER,"
    "  signal INTEGER, reason TEXT);"
    "CREATE INDEX IF NOT EXISTS runs_workload ON runs(workload, id);"
    "CREATE TABLE IF NOT EXISTS audit("
    "  id INTEGER PRIMARY KEY, time INTEGER NOT NULL, principal TEXT,"
    "  method TEXT, path TEXT, status INTEGER, detail TEXT);"
    "PRAGMA user_version=1;";

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static int mkdir_p(const char *path)
{
    char buf[512];
    size_t n = strlen(path);

    if (n >= sizeof buf)
        return -1;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int store_open(const char *state_dir, struct store **out, char *err,
               size_t errlen)
{
    struct store *st = calloc(1, sizeof *st);
    char path[600];
    char *msg = NULL;

    *out = NULL;
    if (st == NULL)
        return fail(err, errlen, "store: out of memory");
    snprintf(st->modules_dir, sizeof st->modules_dir, "%s/modules/sha256",
             state_dir);
    if (mkdir_p(st->modules_dir) != 0) {
        fail(err, errlen, "%s: mkdir: %s", st->modules_dir, strerror(errno));
        free(st);
        return -1;
    }
    snprintf(st->secrets_dir, sizeof st->secrets_dir, "%s/secrets", state_dir);
    if (mkdir_p(st->secrets_dir) != 0) {
        fail(err, errlen, "%s: mkdir: %s", st->secrets_dir, strerror(errno));
        free(st);
        return -1;
    }
    snprintf(path, sizeof path, "%s/mantled.db", state_dir);
    if (sqlite3_open_v2(path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(st->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        fail(err, errlen, "%s: %s", path,
             msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        store_close(st);
        return -1;
    }
    sqlite3_busy_timeout(st->db, 2000);
    *out = st;
    return 0;
}

void store_close(struct store *st)
{
    if (st == NULL)
        return;
    sqlite3_close(st->db);
    free(st);
}

/* Prepare, bind "s"/"i" arguments, and step once; the statement is the
 * caller's when out_stmt is given. SQLITE_ROW/DONE or an error code. */
static int exec(struct store *st, sqlite3_stmt **out_stmt, const char *sql,
                const char *types, ...)
{
    sqlite3_stmt *stmt;
    va_list ap;
    int rc;

    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        fprintf(stderr, "mantled: sqlite: %s: %s\n", sql,
                sqlite3_errmsg(st->db));
        return SQLITE_ERROR;
    }
    va_start(ap, types);
    for (int i = 0; types[i]; i++) {
        if (types[i] == 's') {
            const char *s = va_arg(ap, const char *);
            sqlite3_bind_text(stmt, i + 1, s, -1, SQLITE_TRANSIENT);
        } else {
            sqlite3_bind_int64(stmt, i + 1, va_arg(ap, int64_t));
        }
    }
    va_end(ap);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        fprintf(stderr, "mantled: sqlite: %s: %s\n", sql,
                sqlite3_errmsg(st->db));
    if (out_stmt)
        *out_stmt = stmt;
    else
        sqlite3_finalize(stmt);
    return rc;
}

void store_digest(const uint8_t *bytes, size_t size,
                       char out[AGENT_DIGEST_HEX + 1])
{
    unsigned char md[32];
    unsigned int mdlen = 0;

    EVP_Digest(bytes, size, md, &mdlen, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

/* Write bytes to dir/name through a temporary file: all or nothing. */
static int write_atomic(const char *dir, const char *name, const uint8_t *bytes,
                        size_t size, mode_t mode, char *err, size_t errlen)
{
    char path[700], tmp[720];
    size_t off = 0;
    int fd;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0)
        return fail(err, errlen, "%s: open: %s", tmp, strerror(errno));
    while (off < size) {
        ssize_t w = write(fd, bytes + off, size - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fail(err, errlen, "%s: write: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        fail(err, errlen, "%s: store: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int store_module_put(struct store *st, const uint8_t *bytes, size_t size,
                     const char *name, char digest[AGENT_DIGEST_HEX + 1],
                     bool *out_existed, char *err, size_t errlen)
{
    store_digest(bytes, size, digest);
    *out_existed = store_module_exists(st, digest);
    if (write_atomic(st->modules_dir, digest, bytes, size, 0600, err, errlen))
        return -1;
    if (exec(st, NULL,
             "INSERT INTO modules(digest,size,name,created) VALUES(?,?,?,?)"
             " ON CONFLICT(digest) DO UPDATE SET"
             " name=coalesce(excluded.name, name)",
             "sisi", digest, (int64_t)size, name, now_s()) != SQLITE_DONE)
        return fail(err, errlen, "database: %s", sqlite3_errmsg(st->db));
    return 0;
}

int store_secret_put(struct store *st, const char *name, const uint8_t *bytes,
                     size_t size, char *err, size_t errlen)
{
    return write_atomic(st->secrets_dir, name, bytes, size, 0600, err, errlen);
}

bool store_secret_exists(struct store *st, const char *name)
{
    char path[700];

    snprintf(path, sizeof path, "%s/%s", st->secrets_dir, name);
    return access(path, R_OK) == 0;
}

int store_secret_delete(struct store *st, const char *name)
{
    char path[700];

    snprintf(path, sizeof path, "%s/%s", st->secrets_dir, name);
    return unlink(path);
}

/* Names and sizes only: values never leave the node through the API. */
json_t *store_secret_list(struct store *st)
{
    json_t *a = json_array();
    DIR *d = opendir(st->secrets_dir);
    struct dirent *e;

    while (d && (e = readdir(d)) != NULL) {
        char path[1000];
        struct stat sb;

        if (!spec_name_ok(e->d_name) || strstr(e->d_name, ".tmp."))
            continue;
        snprintf(path, sizeof path, "%s/%s", st->secrets_dir, e->d_name);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
            json_array_append_new(a, json_pack("{s:s,s:I}", "name", e->d_name,
                                               "size", (json_int_t)sb.st_size));
    }
    if (d)
        closedir(d);
    return a;
}

int store_module_load(struct store *st, const char *digest, uint8_t **out,
                      size_t *out_size, char *err, size_t errlen)
{
    char path[700], got[AGENT_DIGEST_HEX + 1];
    struct stat sb;
    uint8_t *buf = NULL;
    size_t off = 0;
    int fd;

    *out = NULL;
    if (!store_module_exists(st, digest))
        return fail(err, errlen, "module sha256:%s is not stored", digest);
    snprintf(path, sizeof path, "%s/%s", st->modules_dir, digest);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return fail(err, errlen, "%s: open: %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0 || (buf = malloc((size_t)sb.st_size + 1)) == NULL) {
        close(fd);
        return fail(err, errlen, "%s: read: %s", path, strerror(errno));
    }
    while (off < (size_t)sb.st_size) {
        ssize_t r = read(fd, buf + off, (size_t)sb.st_size - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(fd);
    store_digest(buf, off, got);
    if (strcmp(got, digest) != 0) {
        free(buf);
        return fail(err, errlen, "%s: corrupted: its SHA-256 is %s", path,
                    got);
    }
    *out = buf;
    *out_size = off;
    return 0;
}

bool store_module_exists(struct store *st, const char *digest)
{
    return exec(st, NULL, "SELECT 1 FROM modules WHERE digest=?", "s",
                digest) == SQLITE_ROW;
}

bool store_module_in_use(struct store *st, const char *digest)
{
    char like[80];

    snprintf(like, sizeof like, "%%\"sha256:%s\"%%", digest);
    return exec(st, NULL, "SELECT 1 FROM workloads WHERE spec LIKE ?", "s",
                like) == SQLITE_ROW;
}

int store_module_delete(struct store *st, const char *digest)
{
    char path[700];

    if (exec(st, NULL, "DELETE FROM modules WHERE digest=?", "s", digest) !=
        SQLITE_DONE)
        return -1;
    snprintf(path, sizeof path, "%s/%s", st->modules_dir, digest);
    unlink(path);
    return 0;
}

static json_t *module_row(sqlite3_stmt *s)
{
    char digest[80];
    const unsigned char *name = sqlite3_column_text(s, 2);

    snprintf(digest, sizeof digest, "sha256:%s", sqlite3_column_text(s, 0));
    return json_pack("{s:s,s:I,s:s?,s:I}", "digest", digest, "size",
                     (json_int_t)sqlite3_column_int64(s, 1), "name",
                     (const char *)name, "created",
                     (json_int_t)sqlite3_column_int64(s, 3));
}

json_t *store_module_list(struct store *st)
{
    json_t *a = json_array();
    sqlite3_stmt *s;
    int rc = exec(st, &s,
                  "SELECT digest,size,name,created FROM modules ORDER BY "
                  "created, digest", "");

    for (; rc == SQLITE_ROW; rc = sqlite3_step(s))
        json_array_append_new(a, module_row(s));
    sqlite3_finalize(s);
    return a;
}

json_t *store_module_get(struct store *st, const char *digest)
{
    sqlite3_stmt *s;
    json_t *o = NULL;

    if (exec(st, &s,
             "SELECT digest,size,name,created FROM modules WHERE digest=?",
             "s", digest) == SQLITE_ROW)
        o = module_row(s);
    sqlite3_finalize(s);
    return o;
}

int store_workload_put(struct store *st, const char *name, const json_t *spec,
                       bool running)
{
    char *text = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
    int rc;

    if (text == NULL)
        return -1;
    rc = exec(st, NULL,
              "INSERT INTO workloads(name,spec,running,created) "
              "VALUES(?,?,?,?)",
              "ssii", name, text, (int64_t)running, now_s());
    free(text);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_workload_set_running(struct store *st, const char *name,
                               bool running)
{
    return exec(st, NULL, "UPDATE workloads SET running=? WHERE name=?", "is",
                (int64_t)running, name) == SQLITE_DONE ? 0 : -1;
}

int store_workload_set_restarts(struct store *st, const char *name,
                                uint64_t restarts)
{
    return exec(st, NULL, "UPDATE workloads SET restarts=? WHERE name=?", "is",
                (int64_t)restarts, name) == SQLITE_DONE ? 0 : -1;
}

int store_workload_delete(struct store *st, const char *name)
{
    return exec(st, NULL, "DELETE FROM workloads WHERE name=?", "s", name) ==
                   SQLITE_DONE ? 0 : -1;
}

int store_workload_each(struct store *st,
                        void (*fn)(void *ctx, const char *name,
                                   const char *spec, bool running,
                                   uint64_t restarts),
                        void *ctx)
{
    sqlite3_stmt *s;
    int rc = exec(st, &s,
                  "SELECT name,spec,running,restarts FROM workloads "
                  "ORDER BY name", "");

    for (; rc == SQLITE_ROW; rc = sqlite3_step(s))
        fn(ctx, (const char *)sqlite3_column_text(s, 0),
           (const char *)sqlite3_column_text(s, 1),
           sqlite3_column_int(s, 2) != 0,
           (uint64_t)sqlite3_column_int64(s, 3));
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The audit log and run history keep their last HISTORY_ROWS rows, so a
 * crash-looping workload or a client hammering the API cannot fill the
 * disk; pruned every 1000th insert. */
#define HISTORY_ROWS 100000

static void prune(struct store *st, const char *table)
{
    int64_t id = sqlite3_last_insert_rowid(st->db);
    char sql[128];

    if (id % 1000 != 0)
        return;
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id <= ?", table);
    exec(st, NULL, sql, "i", id - HISTORY_ROWS);
}

int64_t store_run_begin(struct store *st, const char *name, pid_t pid)
{
    int64_t id;

    if (exec(st, NULL, "INSERT INTO runs(workload,pid,started) VALUES(?,?,?)",
             "sii", name, (int64_t)pid, now_s()) != SQLITE_DONE)
        return 0;
    id = sqlite3_last_insert_rowid(st->db);
    prune(st, "runs");
    return id;
}

void store_run_end(struct store *st, int64_t id, int exit_code, int sig,
                   const char *reason)
{
    exec(st, NULL,
         "UPDATE runs SET ended=?, exit_code=?, signal=?, reason=? "
         "WHERE id=?",
         "iiisi", now_s(), (int64_t)exit_code, (int64_t)sig, reason, id);
}

void store_runs_orphaned(struct store *st)
{
    exec(st, NULL,
         "UPDATE runs SET ended=?, reason='mantled ended while it ran' "
         "WHERE ended IS NULL",
         "i", now_s());
}

json_t *store_runs(struct store *st, const char *name, int limit)
{
    json_t *a = json_array();
    sqlite3_stmt *s;
    int rc = exec(st, &s,
                  "SELECT id,pid,started,ended,exit_code,signal,reason FROM "
                  "runs WHERE workload=? ORDER BY id DESC LIMIT ?",
                  "si", name, (int64_t)limit);

    for (; rc == SQLITE_ROW; rc = sqlite3_step(s)) {
        json_t *o = json_pack("{s:I,s:I,s:I}", "id",
                              (json_int_t)sqlite3_column_int64(s, 0), "pid",
                              (json_int_t)sqlite3_column_int64(s, 1),
                              "started",
                              (json_int_t)sqlite3_column_int64(s, 2));
        if (sqlite3_column_type(s, 3) != SQLITE_NULL) {
            json_object_set_new(o, "ended",
                                json_integer(sqlite3_column_int64(s, 3)));
            json_object_set_new(o, "exit_code",
                                json_integer(sqlite3_column_int64(s, 4)));
            json_object_set_new(o, "signal",
                                json_integer(sqlite3_column_int64(s, 5)));
            json_object_set_new(
                o, "reason",
                json_string((const char *)sqlite3_column_text(s, 6)));
        }
        json_array_append_new(a, o);
    }
    sqlite3_finalize(s);
    return a;
}

void store_audit(struct store *st, const char *principal, const char *method,
                 const char *path, int status, const char *detail)
{
    if (exec(st, NULL,
             "INSERT INTO audit(time,principal,method,path,status,detail) "
             "VALUES(?,?,?,?,?,?)",
             "isssis", now_s(), principal, method, path, (int64_t)status,
             detail) == SQLITE_DONE)
        prune(st, "audit");
}

json_t *store_audit_list(struct store *st, int limit)
{
    json_t *a = json_array();
    sqlite3_stmt *s;
    int rc = exec(st, &s,
                  "SELECT id,time,principal,method,path,status,detail FROM "
                  "audit ORDER BY id DESC LIMIT ?",
                  "i", (int64_t)limit);

    for (; rc == SQLITE_ROW; rc = sqlite3_step(s))
        json_array_append_new(
            a, json_pack("{s:I,s:I,s:s?,s:s?,s:s?,s:i,s:s?}", "id",
                         (json_int_t)sqlite3_column_int64(s, 0), "time",
                         (json_int_t)sqlite3_column_int64(s, 1), "principal",
                         (const char *)sqlite3_column_text(s, 2), "method",
                         (const char *)sqlite3_column_text(s, 3), "path",
                         (const char *)sqlite3_column_text(s, 4), "status",
                         sqlite3_column_int(s, 5), "detail",
                         (const char *)sqlite3_column_text(s, 6)));
    sqlite3_finalize(s);
    return a;
}
