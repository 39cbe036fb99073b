/* proxy.c - HTTP-triggered workloads: /w/NAME/... to the workload's socket.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A workload whose spec says "http_route": true and that listens on
 * listen[0] (`mantle run --listen`, served by the guest with sock_accept)
 * gets the agent route /w/NAME/...: each request is forwarded over
 * loopback HTTP/1.1 with its method, path, query, body and Content-Type,
 * and the answer copied back. At most http_concurrency requests are in
 * flight per workload; beyond that the agent answers 503 at once rather
 * than queueing without bound. The caller must be authenticated as for
 * the rest of the API.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "agent.h"

struct call {
    struct agent *ag;
    char name[AGENT_NAME_MAX + 1];
    struct evhttp_request *down;
    struct evhttp_connection *down_conn; /* NULL once the client has gone */
    double t0;
};

static double now_s(void)
{
    return (double)agent_now_ms() / 1000.0;
}

/* The client went away first. libevent then detaches (does not free) the
 * unanswered request; replying to it later frees it. */
static void down_closed(struct evhttp_connection *c, void *arg)
{
    struct call *pc = arg;

    pc->down_conn = NULL;
}

static void on_answer(struct evhttp_request *up, void *arg)
{
    struct call *pc = arg;
    struct workload *w = agent_find(pc->ag, pc->name);
    struct evkeyvalq *out = evhttp_request_get_output_headers(pc->down);
    int code = up ? evhttp_request_get_response_code(up) : 0;
    const char *ct;

    if (w != NULL && w->inflight > 0)
        w->inflight--;
    if (pc->down_conn != NULL)
        evhttp_connection_set_closecb(pc->down_conn, NULL, NULL);
    if (code < 100 || code > 599) {
        struct evbuffer *b = evbuffer_new();

        evhttp_add_header(out, "Content-Type", "application/json");
        evbuffer_add_printf(b, "{\"error\": \"workload %s did not answer "
                               "(connection refused, reset or timed out)\", "
                               "\"status\": 502}\n", pc->name);
        evhttp_send_reply(pc->down, 502, "Bad Gateway", b);
        evbuffer_free(b);
        code = 502;
    } else {
        ct = evhttp_find_header(evhttp_request_get_input_headers(up),
                                "Content-Type");
        if (ct)
            evhttp_add_header(out, "Content-Type", ct);
        evhttp_send_reply(pc->down, code,
                          evhttp_request_get_response_code_line(up),
                          evhttp_request_get_input_buffer(up));
    }
    metrics_observe(&pc->ag->stats, code, now_s() - pc->t0);
    free(pc);
}

int proxy_forward(struct agent *ag, struct workload *w,
                  struct evhttp_request *down, const char *path, char *why,
                  size_t whylen)
{
    char host[128];
    const char *addr, *colon, *ct;
    long port;
    struct evhttp_connection *up;
    struct evhttp_request *req;
    struct call *pc;

    if (!w->spec.http_route || w->spec.nlisten == 0) {
        snprintf(why, whylen, "workload %s has no HTTP route (spec: "
                              "\"http_route\": true and a listen address)",
                 w->spec.name);
        return 404;
    }
    if (w->pid <= 0 || w->state != WL_RUNNING) {
        snprintf(why, whylen, "workload %s is %s", w->spec.name,
                 wl_state_name(w->state));
        return 503;
    }
    if (w->inflight >= w->spec.http_concurrency) {
        snprintf(why, whylen, "workload %s: concurrency limit %u reached",
                 w->spec.name, w->spec.http_concurrency);
        evhttp_add_header(evhttp_request_get_output_headers(down),
                          "Retry-After", "1");
        return 503;
    }
    addr = w->spec.listen[0];
    colon = strrchr(addr, ':');
    port = strtol(colon + 1, NULL, 10);
    snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
    if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
        strcpy(host, "127.0.0.1");
    if (port <= 0 || port > 65535) {
        snprintf(why, whylen, "workload %s: listen[0] \"%s\" has no fixed "
                              "port", w->spec.name, addr);
        return 502;
    }
    if ((up = evhttp_connection_base_new(ag->base, NULL, host,
                                         (unsigned short)port)) == NULL) {
        snprintf(why, whylen, "workload %s: cannot connect", w->spec.name);
        return 502;
    }
    evhttp_connection_set_timeout(up, 30);
    evhttp_connection_free_on_completion(up);
    if ((pc = calloc(1, sizeof *pc)) == NULL)
        abort();
    pc->ag = ag;
    snprintf(pc->name, sizeof pc->name, "%s", w->spec.name);
    pc->down = down;
    pc->down_conn = evhttp_request_get_connection(down);
    pc->t0 = now_s();
    req = evhttp_request_new(on_answer, pc);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Host", host);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Connection",
                      "close");
    ct = evhttp_find_header(evhttp_request_get_input_headers(down),
                            "Content-Type");
    if (ct)
        evhttp_add_header(evhttp_request_get_output_headers(req),
                          "Content-Type", ct);
    evbuffer_add_buffer(evhttp_request_get_output_buffer(req),
                        evhttp_request_get_input_buffer(down));
    if (evhttp_make_request(up, req, evhttp_request_get_command(down), path) !=
        0) {
        /* libevent freed req and, with free_on_completion, up. */
        free(pc);
        snprintf(why, whylen, "workload %s: request failed", w->spec.name);
        return 502;
    }
    evhttp_connection_set_closecb(pc->down_conn, down_closed, pc);
    w->inflight++;
    return 0;
}
