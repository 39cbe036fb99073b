/* logs.c - a workload's stdout and stderr as size-bounded, rotating files.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each stream is <state>/logs/<workload>.<stdout|stderr>; past max bytes
 * it is renamed to .1 (replacing the previous .1) and a new file begun,
 * so a chatty or hostile guest can use at most twice max per stream.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

int log_open(struct logfile *lf, const char *path, int64_t max)
{
    struct stat sb;

    snprintf(lf->path, sizeof lf->path, "%s", path);
    lf->max = max;
    lf->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (lf->fd < 0)
        return -1;
    lf->size = fstat(lf->fd, &sb) == 0 ? (int64_t)sb.st_size : 0;
    return 0;
}

static void rotate(struct logfile *lf)
{
    char old[600];

    snprintf(old, sizeof old, "%s.1", lf->path);
    close(lf->fd);
    if (rename(lf->path, old) != 0)
        unlink(lf->path);
    lf->fd = open(lf->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
                  0600);
    lf->size = 0;
}

void log_write(struct logfile *lf, const char *data, size_t len)
{
    while (len > 0 && lf->fd >= 0) {
        size_t room = lf->size >= lf->max ? 0 : (size_t)(lf->max - lf->size);
        size_t n = len < room ? len : room;
        ssize_t w;

        if (room == 0) {
            rotate(lf);
            continue;
        }
        w = write(lf->fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* disk full: drop, never block the loop */
        lf->size += w;
        data += w;
        len -= (size_t)w;
    }
}

void log_close(struct logfile *lf)
{
    if (lf->fd >= 0)
        close(lf->fd);
    lf->fd = -1;
}

/* Append up to `want` final bytes of `path` to buf. */
static size_t tail_one(const char *path, int64_t want, char *buf, size_t at)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    off_t from;
    ssize_t r;

    if (fd < 0)
        return at;
    if (fstat(fd, &sb) == 0 && want > 0) {
        from = sb.st_size > want ? sb.st_size - want : 0;
        while ((r = pread(fd, buf + at, (size_t)(sb.st_size - from), from)) >
               0) {
            at += (size_t)r;
            from += r;
            if (from >= sb.st_size)
                break;
        }
    }
    close(fd);
    return at;
}

char *log_tail(const char *path, int64_t tail, size_t *out_len)
{
    char old[600];
    struct stat sa, sb;
    int64_t cur = 0, prev = 0;
    char *buf;
    size_t at = 0;

    snprintf(old, sizeof old, "%s.1", path);
    if (stat(path, &sa) == 0)
        cur = sa.st_size;
    if (stat(old, &sb) == 0)
        prev = sb.st_size;
    if (cur > tail)
        cur = tail;
    prev = tail - cur < prev ? tail - cur : prev;
    if ((buf = malloc((size_t)(cur + prev) + 1)) == NULL)
        return NULL;
    at = tail_one(old, prev, buf, at);
    /* The file may have grown since stat: take no more than planned. */
    if (at > (size_t)prev)
        at = (size_t)prev;
    size_t mark = at;
    at = tail_one(path, cur, buf, at);
    if (at > mark + (size_t)cur)
        at = mark + (size_t)cur;
    buf[at] = '\0';
    *out_len = at;
    return buf;
}
