/* metrics.c - /metrics in Prometheus text format, and /v1/node facts.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Text format 0.0.4: one "# TYPE" line per family, label values escaped
 * (workload names are plain names, so they need none). API latency is the
 * handler's time, from request to reply, as a histogram.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../config.h" /* MANTLE_ENABLE_AOT */
#include "agent.h"

static const double buckets[12] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                   0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

void metrics_observe(struct api_stats *s, int status, double seconds)
{
    int cls = status / 100;

    s->requests[cls >= 1 && cls <= 5 ? cls : 0]++;
    for (int i = 0; i < 12; i++)
        if (seconds <= buckets[i])
            s->lat_buckets[i]++;
    s->lat_sum += seconds;
    s->lat_count++;
}

/* Resident set of a running process (/proc/PID/statm, in pages). */
static long long rss_bytes(pid_t pid)
{
    char path[64];
    long long size = 0, resident = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    if (fscanf(f, "%lld %lld", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

char *metrics_render(const struct agent *ag, size_t *out_len)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    size_t by_state[6] = {0};

    if (f == NULL)
        abort();
    for (const struct workload *w = ag->workloads; w; w = w->next)
        by_state[w->state]++;
    fprintf(f, "# HELP mantled_up 1 while mantled serves.\n"
               "# TYPE mantled_up gauge\nmantled_up 1\n");
    fprintf(f, "# HELP mantled_uptime_seconds Time since mantled started.\n"
               "# TYPE mantled_uptime_seconds gauge\n"
               "mantled_uptime_seconds %.3f\n",
            (double)(agent_now_ms() - ag->start_ms) / 1000.0);
    fprintf(f, "# HELP mantled_workloads Workloads by state.\n"
               "# TYPE mantled_workloads gauge\n");
    for (int s = 0; s < 6; s++)
        fprintf(f, "mantled_workloads{state=\"%s\"} %zu\n",
                wl_state_name((enum wl_state)s), by_state[s]);
    fprintf(f, "# HELP mantled_workload_running 1 if the workload's process "
               "runs.\n# TYPE mantled_workload_running gauge\n");
    for (const struct workload *w = ag->workloads; w; w = w->next)
        fprintf(f, "mantled_workload_running{workload=\"%s\"} %d\n",
                w->spec.name, w->pid > 0);
    fprintf(f, "# HELP mantled_workload_restarts_total Restarts after the "
               "process ended.\n# TYPE mantled_workload_restarts_total "
               "counter\n");
    for (const struct workload *w = ag->workloads; w; w = w->next)
        fprintf(f, "mantled_workload_restarts_total{workload=\"%s\"} %llu\n",
                w->spec.name, (unsigned long long)w->restarts);
    fprintf(f, "# HELP mantled_workload_cpu_seconds_total CPU time of ended "
               "runs.\n# TYPE mantled_workload_cpu_seconds_total counter\n");
    for (const struct workload *w = ag->workloads; w; w = w->next)
        fprintf(f, "mantled_workload_cpu_seconds_total{workload=\"%s\"} %.6f\n",
                w->spec.name, w->cpu_seconds);
    fprintf(f, "# HELP mantled_workload_fuel_used_total Fuel (about one "
               "unit a Wasm instruction) used by runs that ended and "
               "reported it.\n# TYPE mantled_workload_fuel_used_total "
               "counter\n");
    for (const struct workload *w = ag->workloads; w; w = w->next)
        fprintf(f, "mantled_workload_fuel_used_total{workload=\"%s\"} %llu\n",
                w->spec.name, (unsigned long long)w->fuel_used);
    fprintf(f, "# HELP mantled_workload_max_rss_bytes Peak resident memory of "
               "the largest ended run.\n"
               "# TYPE mantled_workload_max_rss_bytes gauge\n");
    for (const struct workload *w = ag->workloads; w; w = w->next)
        fprintf(f, "mantled_workload_max_rss_bytes{workload=\"%s\"} %lld\n",
                w->spec.name, (long long)w->max_rss);
    fprintf(f, "# HELP mantled_workload_rss_bytes Resident memory of the "
               "running process.\n# TYPE mantled_workload_rss_bytes gauge\n");
    for (const struct workload *w = ag->workloads; w; w = w->next)
        if (w->pid > 0)
            fprintf(f, "mantled_workload_rss_bytes{workload=\"%s\"} %lld\n",
                    w->spec.name, rss_bytes(w->pid));
    fprintf(f, "# HELP mantled_workload_http_inflight Requests forwarded to "
               "the workload's route, in flight.\n"
               "# TYPE mantled_workload_http_inflight gauge\n");
    for (const struct workload *w = ag->workloads; w; w = w->next)
        if (w->spec.http_route)
            fprintf(f, "mantled_workload_http_inflight{workload=\"%s\"} %u\n",
                    w->spec.name, w->inflight);
    fprintf(f, "# HELP mantled_api_requests_total API requests by status "
               "class.\n# TYPE mantled_api_requests_total counter\n");
    for (int c = 1; c <= 5; c++)
        fprintf(f, "mantled_api_requests_total{code=\"%dxx\"} %llu\n", c,
                (unsigned long long)ag->stats.requests[c]);
    fprintf(f, "# HELP mantled_api_auth_refused_total Requests refused "
               "as unauthenticated.\n"
               "# TYPE mantled_api_auth_refused_total counter\n"
               "mantled_api_auth_refused_total %llu\n",
            (unsigned long long)ag->stats.auth_refused);
    fprintf(f, "# HELP mantled_api_request_duration_seconds Handler time.\n"
               "# TYPE mantled_api_request_duration_seconds histogram\n");
    for (int i = 0; i < 12; i++)
        fprintf(f,
                "mantled_api_request_duration_seconds_bucket{le=\"%g\"} "
                "%llu\n",
                buckets[i], (unsigned long long)ag->stats.lat_buckets[i]);
    fprintf(f,
            "mantled_api_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
            "mantled_api_request_duration_seconds_sum %.6f\n"
            "mantled_api_request_duration_seconds_count %llu\n",
            (unsigned long long)ag->stats.lat_count, ag->stats.lat_sum,
            (unsigned long long)ag->stats.lat_count);
    fclose(f);
    *out_len = len;
    return buf;
}

/* TEE kinds this node could offer, judged by device presence (opening a
 * backend may need privileges or change state; `mantle attest` does that). */
static json_t *tee_kinds(void)
{
    json_t *a = json_array();

    if (access("/sys/kernel/config/tsm/report", F_OK) == 0)
        json_array_append_new(a, json_string("tsm"));
    if (access("/dev/tpmrm0", F_OK) == 0 || access("/dev/tpm0", F_OK) == 0)
        json_array_append_new(a, json_string("tpm"));
    json_array_append_new(a, json_string("soft"));
    return a;
}

json_t *node_facts(const struct agent *ag)
{
    struct utsname u;
    struct sysinfo si;
    double load[3] = {0, 0, 0};
    char host[256] = "";
    json_t *o = json_object(), *tiers = json_array();

    uname(&u);
    sysinfo(&si);
    getloadavg(load, 3);
    gethostname(host, sizeof host - 1);
#if MANTLE_ENABLE_AOT
    static int aot = -1; /* probing runs the C compiler: once */

    if (aot < 0)
        aot = mantle_aot_available(NULL) == MANTLE_OK;
#else
    const int aot = 0;  /* built without the AOT tier */
#endif
    json_array_append_new(tiers, json_string("interp"));
    if (aot)
        json_array_append_new(tiers, json_string("aot"));
    json_object_set_new(o, "hostname", json_string(host));
    json_object_set_new(o, "arch", json_string(u.machine));
    json_object_set_new(o, "kernel", json_string(u.release));
    json_object_set_new(o, "mantle_version", json_string(MANTLE_VERSION));
    json_object_set_new(o, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(o, "memory_total_bytes",
                        json_integer((json_int_t)si.totalram * si.mem_unit));
    json_object_set_new(o, "memory_free_bytes",
                        json_integer((json_int_t)si.freeram * si.mem_unit));
    json_object_set_new(o, "load", json_pack("[f,f,f]", load[0], load[1],
                                             load[2]));
    json_object_set_new(o, "uptime_seconds", json_integer(si.uptime));
    json_object_set_new(o, "tee", tee_kinds());
    json_object_set_new(o, "tiers", tiers);
    json_object_set_new(o, "cgroup", json_string(wl_cgroup_status(ag)));
    json_object_set_new(o, "workloads", json_integer((json_int_t)agent_count(ag)));
    json_object_set_new(o, "draining", json_boolean(ag->draining));
    return o;
}
