/* fuzz_agent_spec.c - libFuzzer target: mantled's workload spec parser.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The bytes are a POST /v1/workloads body. A spec that parses must
 * round-trip (to JSON and back to an equal spec), give a `mantle run`
 * argv whose volume paths stay under the volumes directory, and a name
 * that is safe as a file name. The first byte also drives the name and
 * digest checkers on the rest.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wl_spec s, again;
    char err[512], *text, digest[AGENT_DIGEST_HEX + 1];
    char **argv;
    json_t *j;

    if (size > 0 && size < 256 && data[0] == '!') {
        char buf[256];

        memcpy(buf, data + 1, size - 1);
        buf[size - 1] = '\0';
        if (spec_name_ok(buf))
            assert(strstr(buf, "/") == NULL && strcmp(buf, "..") != 0);
        if (spec_digest_parse(buf, digest))
            assert(strlen(digest) == AGENT_DIGEST_HEX);
        return 0;
    }
    if (spec_parse((const char *)data, size, &s, err, sizeof err) != 0) {
        assert(err[0] != '\0'); /* every refusal says why */
        return 0;
    }
    assert(spec_name_ok(s.name));
    j = spec_to_json(&s);
    text = json_dumps(j, JSON_COMPACT);
    assert(text != NULL);
    if (spec_parse(text, strlen(text), &again, err, sizeof err) != 0)
        abort(); /* our own output must parse */
    assert(strcmp(again.name, s.name) == 0 && again.nargs == s.nargs &&
           again.ndirs == s.ndirs && again.fuel == s.fuel &&
           again.restart == s.restart);
    for (size_t i = 0; i < s.ndirs; i++)
        assert(again.dirs[i].sealed == s.dirs[i].sealed &&
               again.dirs[i].readonly == s.dirs[i].readonly &&
               !(s.dirs[i].sealed && s.dirs[i].readonly));
    argv = spec_argv(&s, "/bin/mantle", "/vol", "/sec", "/dev/fd/3",
                     "/runs/x.json");
    /* Up to "--": mantle's own options; the guest's ARGs follow it. */
    for (size_t i = 0; argv[i] && strcmp(argv[i], "--") != 0; i++)
        if (strncmp(argv[i], "--dir", 5) == 0) {
            /* HOST::GUEST; only HOST is a path on this machine. */
            const char *host = strchr(argv[i], '=') + 1;
            size_t n = (size_t)(strstr(host, "::") - host);
            char h[8192];

            assert(n < sizeof h);
            memcpy(h, host, n);
            h[n] = '\0';
            assert(strncmp(h, "/vol/", 5) == 0 && !strstr(h, "/../") &&
                   strcmp(h + n - 3, "/..") != 0);
        }
    spec_argv_free(argv);
    spec_free(&again);
    free(text);
    json_decref(j);
    spec_free(&s);
    return 0;
}
