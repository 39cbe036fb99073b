/* wat_encode.c - binary encoding for the text parser: buffers, LEB128, name maps, sections.
 * SPDX-License-Identifier: Apache-2.0
 *
 *   wat_buf_*       growable byte buffers with sticky out-of-memory
 *   wat_names_*     identifier -> index hash maps
 *   wat_type_*      the type index space with first-match lookup
 *   wat_assemble    sections -> a binary module (spec 5.5)
 */
#include <string.h>

#include "wat.h"

/* ---- Buffers ------------------------------------------------------------ */

void wat_buf_init(wat_buf *b, const mantle_allocator *a)
{
    memset(b, 0, sizeof *b);
    b->a = a;
}

void wat_buf_free(wat_buf *b)
{
    mt_free(b->a, b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void wat_buf_put(wat_buf *b, const void *p, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (n > UINT32_MAX - b->len) {
        b->oom = true; /* no module may exceed 4 GiB */
        return;
    }
    if (b->len + n > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 64;
        while (ncap < b->len + n)
            ncap *= 2;
        uint8_t *np = mt_realloc(b->a, b->p, ncap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void wat_buf_byte(wat_buf *b, uint8_t v)
{
    wat_buf_put(b, &v, 1);
}

void wat_buf_u32(wat_buf *b, uint32_t v)
{
    uint8_t t[5];
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        t[n++] = byte | (v ? 0x80 : 0);
    } while (v);
    wat_buf_put(b, t, n);
}

void wat_buf_s64(wat_buf *b, int64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    for (;;) {
        uint8_t byte = (uint8_t)(v & 0x7F);
        /* arithmetic shift, spelled portably */
        v = v < 0 ? ~(~v >> 7) : v >> 7;
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        t[n++] = byte | (done ? 0 : 0x80);
        if (done)
            break;
    }
    wat_buf_put(b, t, n);
}

void wat_buf_s32(wat_buf *b, int32_t v)
{
    wat_buf_s64(b, v);
}

void wat_buf_name(wat_buf *b, const uint8_t *p, size_t n)
{
    wat_buf_u32(b, (uint32_t)n);
    wat_buf_put(b, p, n);
}

void wat_buf_opcode(wat_buf *b, uint32_t code)
{
    if (code <= 0xFF) {
        wat_buf_byte(b, (uint8_t)code);
    } else if (code <= 0xFFFF) {
        wat_buf_byte(b, (uint8_t)(code >> 8));
        wat_buf_u32(b, code & 0xFF);
    } else {
        wat_buf_byte(b, (uint8_t)(code >> 16));
        wat_buf_u32(b, code & 0xFFFF);
    }
}

/* ---- Name maps ---------------------------------------------------------- */

static uint32_t hash_bytes(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

void wat_names_init(wat_names *m, const char *src)
{
    memset(m, 0, sizeof *m);
    m->src = src;
    m->gen = 1;
}

void wat_names_free(const mantle_allocator *a, wat_names *m)
{
    mt_free(a, m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}

void wat_names_clear(wat_names *m)
{
    m->gen++;
    m->count = 0;
}

static struct wat_name_slot *names_find(const wat_names *m, uint32_t off,
                                        uint32_t len)
{
    if (!m->cap)
        return NULL;
    uint32_t i = hash_bytes((const uint8_t *)m->src + off, len) & (m->cap - 1);
    for (;;) {
        struct wat_name_slot *s = &m->slots[i];
        if (s->gen != m->gen)
            return s;
        if (s->len == len && memcmp(m->src + s->off, m->src + off, len) == 0)
            return s;
        i = (i + 1) & (m->cap - 1);
    }
}

uint32_t wat_names_get(const wat_names *m, uint32_t off, uint32_t len)
{
    const struct wat_name_slot *s = names_find(m, off, len);
    return s && s->gen == m->gen ? s->val : WASM_NO_INDEX;
}

int wat_names_set(const mantle_allocator *a, wat_names *m, uint32_t off,
                  uint32_t len, uint32_t val, uint32_t *out_old)
{
    if ((m->count + 1) * 2 > m->cap) {
        /* Rehash into twice the space; live entries carry the generation. */
        uint32_t ncap = m->cap ? m->cap * 2 : 16;
        if (ncap < m->cap)
            return -1;
        struct wat_name_slot *ns = mt_calloc(a, ncap, sizeof *ns);
        if (!ns)
            return -1;
        wat_names old = *m;
        m->slots = ns;
        m->cap = ncap;
        m->count = 0;
        m->gen = 1;
        for (uint32_t i = 0; i < old.cap; i++) {
            struct wat_name_slot *s = &old.slots[i];
            if (s->gen != old.gen)
                continue;
            struct wat_name_slot *d = names_find(m, s->off, s->len);
            *d = *s;
            d->gen = m->gen;
            m->count++;
        }
        mt_free(a, old.slots);
    }
    struct wat_name_slot *s = names_find(m, off, len);
    if (s->gen == m->gen) {
        *out_old = s->val;
    } else {
        *out_old = WASM_NO_INDEX;
        s->off = off;
        s->len = len;
        s->gen = m->gen;
        m->count++;
    }
    s->val = val;
    return 0;
}

/* ---- Types -------------------------------------------------------------- */

static uint32_t type_hash(const uint8_t *params, uint32_t np,
                          const uint8_t *results, uint32_t nr)
{
    return (hash_bytes(params, np) * 31u + hash_bytes(results, nr)) ^ np;
}

static bool type_eq(const wat_parser *P, uint32_t idx, const uint8_t *params,
                    uint32_t np, const uint8_t *results, uint32_t nr)
{
    const wat_type *t = &P->types[idx];
    const uint8_t *b = wat_type_sig(P, t);
    return t->nparams == np && t->nresults == nr &&
           (np == 0 || memcmp(b, params, np) == 0) &&
           (nr == 0 || memcmp(b + np, results, nr) == 0);
}

/* Slot of the first type with this signature, or of the empty slot. */
static uint32_t *typemap_slot(wat_parser *P, const uint8_t *params, uint32_t np,
                              const uint8_t *results, uint32_t nr)
{
    uint32_t i = type_hash(params, np, results, nr) & (P->typemap_cap - 1);
    while (P->typemap[i] &&
           !type_eq(P, P->typemap[i] - 1, params, np, results, nr))
        i = (i + 1) & (P->typemap_cap - 1);
    return &P->typemap[i];
}

int wat_type_add(wat_parser *P, const uint8_t *params, uint32_t np,
                 const uint8_t *results, uint32_t nr, uint32_t *out_index)
{
    if (P->types_bytes.oom)
        return -1;
    if ((P->ntypes + 1) * 2 > P->typemap_cap) {
        uint32_t ncap = P->typemap_cap ? P->typemap_cap * 2 : 64;
        uint32_t *nm = mt_calloc(P->a, ncap, sizeof *nm);
        if (!nm)
            return -1;
        mt_free(P->a, P->typemap);
        P->typemap = nm;
        P->typemap_cap = ncap;
        for (uint32_t i = 0; i < P->ntypes; i++) {
            const wat_type *t = &P->types[i];
            const uint8_t *b = wat_type_sig(P, t);
            uint32_t *s = typemap_slot(P, b, t->nparams, b + t->nparams,
                                       t->nresults);
            if (!*s)
                *s = i + 1;
        }
    }
    if (mt_grow(P->a, (void **)&P->types, &P->types_cap, P->ntypes + 1,
                sizeof *P->types))
        return -1;
    wat_type *t = &P->types[P->ntypes];
    t->off = (uint32_t)P->types_bytes.len;
    t->nparams = np;
    t->nresults = nr;
    wat_buf_put(&P->types_bytes, params, np);
    wat_buf_put(&P->types_bytes, results, nr);
    if (P->types_bytes.oom)
        return -1;
    uint32_t *s = typemap_slot(P, params, np, results, nr);
    if (!*s)
        *s = P->ntypes + 1;
    *out_index = P->ntypes++;
    return 0;
}

int wat_type_use_sig(wat_parser *P, const uint8_t *params, uint32_t np,
                     const uint8_t *results, uint32_t nr, uint32_t *out)
{
    if (P->typemap_cap) {
        uint32_t *s = typemap_slot(P, params, np, results, nr);
        if (*s) {
            *out = *s - 1;
            return 0;
        }
    }
    return wat_type_add(P, params, np, results, nr, out);
}

/* ---- Sections ----------------------------------------------------------- */

int wat_assemble(wat_parser *P, uint8_t **out_bytes, size_t *out_size)
{
    wat_buf out, body;
    static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    /* Binary order: the data count section sits between import-free
     * element and code sections (spec 5.5.2). */
    static const uint8_t order[] = {SEC_TYPE,   SEC_IMPORT,    SEC_FUNCTION,
                                    SEC_TABLE,  SEC_MEMORY,    SEC_GLOBAL,
                                    SEC_EXPORT, SEC_START,     SEC_ELEM,
                                    SEC_DATACOUNT, SEC_CODE,   SEC_DATA};

    wat_buf_init(&out, P->a);
    wat_buf_init(&body, P->a);
    wat_buf_put(&out, header, sizeof header);

    /* Types come from the type table. */
    for (uint32_t i = 0; i < P->ntypes; i++) {
        const wat_type *t = &P->types[i];
        const uint8_t *b = wat_type_sig(P, t);
        wat_buf_byte(&P->sec[SEC_TYPE], 0x60);
        wat_buf_name(&P->sec[SEC_TYPE], b, t->nparams);
        wat_buf_name(&P->sec[SEC_TYPE], b + t->nparams, t->nresults);
    }
    P->nsec[SEC_TYPE] = P->ntypes;
    /* As wabt does: a data count section only when code needs it and there
     * is data to count. */
    bool datacount = P->uses_data_count && P->nsec[SEC_DATA] > 0;

    for (size_t k = 0; k < sizeof order; k++) {
        int s = order[k];
        body.len = 0;
        if (s == SEC_START) {
            if (!P->has_start)
                continue;
            wat_buf_put(&body, P->sec[s].p, P->sec[s].len);
        } else if (s == SEC_DATACOUNT) {
            if (!datacount)
                continue;
            wat_buf_u32(&body, P->nsec[SEC_DATA]);
        } else {
            if (P->nsec[s] == 0)
                continue;
            wat_buf_u32(&body, P->nsec[s]);
            wat_buf_put(&body, P->sec[s].p, P->sec[s].len);
        }
        wat_buf_byte(&out, (uint8_t)s);
        wat_buf_u32(&out, (uint32_t)body.len);
        wat_buf_put(&out, body.p, body.len);
    }
    bool oom = out.oom || body.oom;
    for (int s = 0; s < SEC__COUNT; s++)
        oom |= P->sec[s].oom;
    wat_buf_free(&body);
    if (oom) {
        wat_buf_free(&out);
        return -1;
    }
    *out_bytes = out.p;
    *out_size = out.len;
    return 0;
}
