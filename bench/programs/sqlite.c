/* sqlite.c - SQLite (the amalgamation, fetched at bench time) driven by an in-memory workload.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Phases: bulk inserts in transactions through prepared statements, index
 * creation, point and range queries on indexes, a join with aggregation,
 * updates, deletes, and an ORDER BY with LIMIT. All values are integers or
 * generated text, so every runtime must print the same checksum. Self-check:
 * SQL's totals (row counts, SUM of amounts before and after the updates and
 * deletes, per-customer join totals) equal totals the program keeps in C.
 */
#include "bench.h"
#include "sqlite3.h"

static sqlite3 *db;

static void die(const char *what)
{
    fprintf(stderr, "sqlite: %s: %s\n", what, sqlite3_errmsg(db));
    exit(2);
}

static void exec(const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s: %s\n", sql, err ? err : "?");
        exit(2);
    }
}

static sqlite3_stmt *prep(const char *sql)
{
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die(sql);
    return st;
}

/* Runs a one-row, one-integer query. */
static int64_t scalar(const char *sql)
{
    sqlite3_stmt *st = prep(sql);
    int64_t v = 0;

    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static const char *cities[] = {"Lisbon", "Oslo", "Quito", "Hanoi", "Accra", "Lima", "Riga", "Perth"};

int main(int argc, char **argv)
{
    long ncust = bench_size(argc, argv, 45000), norders = ncust * 5, i, q;
    double t0 = bench_now();
    uint64_t rng = 31, sum = BENCH_MIX_INIT;
    int64_t *cust_total = calloc((size_t)ncust, sizeof(int64_t));
    int64_t *amount = malloc(sizeof(int64_t) * norders);
    int32_t *owner = malloc(sizeof(int32_t) * norders);
    int64_t total = 0, t;
    sqlite3_stmt *st;
    char name[32];
    int ok = 1;

    if (!cust_total || !amount || !owner)
        return 2;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        die("open");
    exec("PRAGMA cache_size = -16384");
    exec("CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, city TEXT, score INTEGER)");
    exec("CREATE TABLE orders(id INTEGER PRIMARY KEY, cust INTEGER, amount INTEGER, item TEXT)");

    /* 1. inserts, in batches of 1000 per transaction */
    st = prep("INSERT INTO customer VALUES(?1, ?2, ?3, ?4)");
    for (i = 0; i < ncust; i++) {
        if (i % 1000 == 0)
            exec("BEGIN");
        snprintf(name, sizeof name, "cust%08lx", (unsigned long)(bench_rand(&rng) & 0xffffffff));
        sqlite3_bind_int64(st, 1, i);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, cities[bench_rand(&rng) % 8], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t)(bench_rand(&rng) % 1000));
        if (sqlite3_step(st) != SQLITE_DONE)
            die("insert customer");
        sqlite3_reset(st);
        if (i % 1000 == 999 || i == ncust - 1)
            exec("COMMIT");
    }
    sqlite3_finalize(st);
    st = prep("INSERT INTO orders VALUES(?1, ?2, ?3, ?4)");
    for (i = 0; i < norders; i++) {
        if (i % 1000 == 0)
            exec("BEGIN");
        owner[i] = (int32_t)(bench_rand(&rng) % (uint64_t)ncust);
        amount[i] = (int64_t)(bench_rand(&rng) % 100000);
        snprintf(name, sizeof name, "item-%ld", i % 977);
        sqlite3_bind_int64(st, 1, i);
        sqlite3_bind_int64(st, 2, owner[i]);
        sqlite3_bind_int64(st, 3, amount[i]);
        sqlite3_bind_text(st, 4, name, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            die("insert order");
        sqlite3_reset(st);
        cust_total[owner[i]] += amount[i];
        total += amount[i];
        if (i % 1000 == 999 || i == norders - 1)
            exec("COMMIT");
    }
    sqlite3_finalize(st);
    if (scalar("SELECT SUM(amount) FROM orders") != total ||
        scalar("SELECT COUNT(*) FROM customer") != ncust)
        ok = 0;

    /* 2. indexes */
    exec("CREATE INDEX orders_cust ON orders(cust)");
    exec("CREATE INDEX customer_city_score ON customer(city, score)");
    exec("CREATE INDEX orders_item ON orders(item)");

    /* 3. point queries through the index, checked against C's totals */
    st = prep("SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM orders WHERE cust = ?1");
    for (q = 0; q < ncust; q++) {
        long c = (long)(bench_rand(&rng) % (uint64_t)ncust);
        sqlite3_bind_int64(st, 1, c);
        if (sqlite3_step(st) != SQLITE_ROW)
            die("point query");
        if (sqlite3_column_int64(st, 0) != cust_total[c])
            ok = 0;
        sum = bench_mix(sum, (uint64_t)sqlite3_column_int64(st, 1));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);

    /* 4. range queries on the composite index */
    st = prep("SELECT COUNT(*), COALESCE(SUM(score), 0) FROM customer WHERE city = ?1 AND score BETWEEN ?2 AND ?3");
    for (q = 0; q < 2000; q++) {
        int lo = (int)(bench_rand(&rng) % 900);
        sqlite3_bind_text(st, 1, cities[q % 8], -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, lo);
        sqlite3_bind_int(st, 3, lo + 100);
        if (sqlite3_step(st) != SQLITE_ROW)
            die("range query");
        sum = bench_mix(sum, (uint64_t)sqlite3_column_int64(st, 0));
        sum = bench_mix(sum, (uint64_t)sqlite3_column_int64(st, 1));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);

    /* 5. join with aggregation, grouped by city */
    st = prep("SELECT c.city, COUNT(*), SUM(o.amount) FROM orders o JOIN customer c ON c.id = o.cust "
              "GROUP BY c.city ORDER BY c.city");
    t = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *city = sqlite3_column_text(st, 0);
        for (; *city; city++)
            sum = bench_mix(sum, *city);
        sum = bench_mix(sum, (uint64_t)sqlite3_column_int64(st, 1));
        t += sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (t != total)
        ok = 0;

    /* 6. updates: raise amounts of one item class, mirrored in C */
    exec("BEGIN");
    st = prep("UPDATE orders SET amount = amount + 7 WHERE item = ?1");
    for (q = 0; q < 977; q += 3) {
        snprintf(name, sizeof name, "item-%ld", q);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            die("update");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec("UPDATE customer SET score = score / 2 WHERE score > 900");
    exec("COMMIT");
    for (i = 0; i < norders; i++)
        if ((i % 977) % 3 == 0) {
            amount[i] += 7;
            total += 7;
        }

    /* 7. deletes of the orders of every tenth customer */
    exec("DELETE FROM orders WHERE cust % 10 = 3");
    for (i = 0; i < norders; i++)
        if (owner[i] % 10 == 3)
            total -= amount[i];
    if (scalar("SELECT SUM(amount) FROM orders") != total)
        ok = 0;

    /* 8. top customers by spend */
    st = prep("SELECT c.name, SUM(o.amount) AS s FROM customer c JOIN orders o ON o.cust = c.id "
              "GROUP BY c.id ORDER BY s DESC, c.id LIMIT 50");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *nm = sqlite3_column_text(st, 0);
        for (; *nm; nm++)
            sum = bench_mix(sum, *nm);
        sum = bench_mix(sum, (uint64_t)sqlite3_column_int64(st, 1));
    }
    sqlite3_finalize(st);
    sum = bench_mix(sum, (uint64_t)total);
    sum = bench_mix(sum, (uint64_t)scalar("SELECT COUNT(*) FROM orders"));
    sqlite3_close(db);
    return bench_finish("sqlite", sum, ok, t0);
}
