/* fuzz_fleet_manifest.c - libFuzzer target: fleet manifests (JSON and YAML),
 * node facts and assignments JSON, and placement over what parses.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A manifest that parses must round-trip exactly: its canonical JSON parses
 * to an equal deployment whose JSON is the same text. Every refusal says
 * why. A parsed deployment is then placed on a small fixed fleet: each
 * replica gets an entry, placed ones on a node that exists, pending ones
 * with a reason, and placing again from that result changes nothing; a
 * deployment a node refused (a key broker said no) is never placed there.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fleet_json[] = {
    "{\"id\":\"x1\",\"arch\":\"x86_64\",\"tee\":\"snp\",\"tee_verified\":true,"
    "\"labels\":{\"tier\":\"edge\",\"site\":\"a\"},\"mem_bytes\":1073741824,"
    "\"cpu_milli\":2000,\"last_seen_ms\":100}",
    "{\"id\":\"a1\",\"arch\":\"aarch64\",\"tee\":\"cca\",\"tee_verified\":true,"
    "\"debug\":true,\"labels\":{\"site\":\"b\"},\"mem_bytes\":268435456,"
    "\"cpu_milli\":1000,\"last_seen_ms\":100}",
    /* s1 refused a "vault" (its broker said no): the seeds' digest */
    "{\"id\":\"s1\",\"arch\":\"x86_64\",\"tee\":\"soft\",\"tee_verified\":true,"
    "\"debug\":true,\"mem_bytes\":134217728,\"cpu_milli\":500,"
    "\"last_seen_ms\":100,\"refused\":[{\"deploy\":\"vault\",\"replica\":0,"
    "\"digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
    "0123456789abcdef\",\"why\":\"secret k refused by broker\"}]}",
    ("{\"id\":\"r1\",\"arch\":\"riscv64\",\"mem_bytes\":67108864,"
     "\"cpu_milli\":1000,\"last_seen_ms\":0}"),
};

static void place(const struct fleet_deploy *d)
{
    struct fleet_node n[4];
    struct fleet_assign *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    char err[256];

    for (size_t i = 0; i < 4; i++)
        if (fleet_node_from_json(fleet_json[i], strlen(fleet_json[i]), &n[i],
                                 err, sizeof err) != MANTLE_OK)
            abort();
    if (fleet_place(d, 1, n, 4, NULL, 0, 100, 50, &a, &na) != MANTLE_OK)
        abort();
    assert(na == d->replicas);
    for (size_t i = 0; i < na; i++) {
        assert(a[i].replica == i && a[i].why && a[i].why[0]);
        assert(a[i].node == NULL || strcmp(a[i].node, "r1") != 0); /* dead */
        assert(a[i].node == NULL || strcmp(a[i].node, "s1") != 0 ||
               strcmp(d->name, "vault") != 0 ||
               strcmp(d->digest, n[2].refused[0].digest) != 0);
        if (a[i].node == NULL)
            assert(strncmp(a[i].why, "pending: ", 9) == 0);
    }
    if (fleet_place(d, 1, n, 4, a, na, 100, 50, &b, &nb) != MANTLE_OK)
        abort();
    assert(nb == na);
    for (size_t i = 0; i < na; i++)
        assert((a[i].node == NULL) == (b[i].node == NULL) &&
               (a[i].node == NULL || !strcmp(a[i].node, b[i].node)));
    fleet_assign_free(a, na);
    fleet_assign_free(b, nb);
    for (size_t i = 0; i < 4; i++)
        fleet_node_free(&n[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fleet_deploy d, again;
    struct fleet_node node;
    struct fleet_assign *as = NULL;
    size_t nas = 0;
    char err[512], *text, *text2;

    err[0] = '\0';
    if (fleet_manifest_parse((const char *)data, size, "fuzz", &d, err,
                             sizeof err) != MANTLE_OK) {
        assert(err[0] != '\0');
    } else {
        text = fleet_deploy_to_json(&d);
        assert(text != NULL);
        if (fleet_manifest_parse(text, strlen(text), "canonical", &again, err,
                                 sizeof err) != MANTLE_OK)
            abort(); /* our own output must parse */
        assert(fleet_deploy_equal(&d, &again));
        text2 = fleet_deploy_to_json(&again);
        assert(text2 && strcmp(text, text2) == 0);
        if (d.replicas <= 64)
            place(&d);
        free(text);
        free(text2);
        fleet_deploy_free(&again);
        fleet_deploy_free(&d);
    }
    err[0] = '\0';
    if (fleet_node_from_json((const char *)data, size, &node, err,
                             sizeof err) == MANTLE_OK) {
        struct fleet_node back;
        text = fleet_node_to_json(&node);
        assert(text != NULL);
        if (fleet_node_from_json(text, strlen(text), &back, err, sizeof err))
            abort();
        text2 = fleet_node_to_json(&back);
        assert(text2 && strcmp(text, text2) == 0);
        free(text);
        free(text2);
        fleet_node_free(&back);
        fleet_node_free(&node);
    } else {
        assert(err[0] != '\0');
    }
    if (fleet_assigns_from_json((const char *)data, size, &as, &nas, err,
                                sizeof err) == MANTLE_OK) {
        text = fleet_assigns_to_json(as, nas);
        assert(text != NULL);
        free(text);
        fleet_assign_free(as, nas);
    }
    return 0;
}
