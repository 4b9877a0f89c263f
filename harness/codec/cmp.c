/*
 * The comparison-operand table (cmp.h): plain data, no global state.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmp.h"

#define STORE_SLOTS 16384u /* power of two */

struct stored {
    uint64_t hash;
    uint32_t n; /* entries; 0: the slot is free */
    struct shmf_cmp_entry *e;
};

struct shmf_cmp_store {
    size_t max_bytes, bytes;
    uint32_t used;
    struct stored slot[STORE_SLOTS];
};

void shmf_cmp_reset(struct shmf_cmp_table *t, uint64_t input_hash)
{
    if (++t->gen == 0) { /* wrapped: entries of generation 1 could look valid */
        for (uint32_t i = 0; i < SHMF_CMP_SLOTS; i++)
            t->e[i].gen = 0;
        t->gen = 1;
    }
    t->count = 0;
    t->input_hash = input_hash;
}

void shmf_cmp_add(struct shmf_cmp_table *t, uint64_t a, uint64_t b, int32_t op)
{
    struct shmf_cmp_entry *e;
    uint64_t h;

    if (a == b || (a | b) > 0xFFFFFFFFull || t->gen == 0)
        return;
    h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full) ^ (uint64_t)(uint32_t)op;
    h ^= h >> 29;
    e = &t->e[h & (SHMF_CMP_SLOTS - 1)];
    if (e->gen != t->gen)
        t->count++;
    else if (e->a == (uint32_t)a && e->b == (uint32_t)b && e->op == op)
        return;
    e->a = (uint32_t)a;
    e->b = (uint32_t)b;
    e->op = op;
    e->gen = t->gen;
}

struct shmf_cmp_table *shmf_cmp_ring_begin(struct shmf_cmp_ring *r, uint64_t input_hash)
{
    struct shmf_cmp_table *t = &r->t[r->next % SHMF_CMP_RING];

    r->next = (r->next + 1) % SHMF_CMP_RING;
    shmf_cmp_reset(t, input_hash);
    return t;
}

const struct shmf_cmp_table *shmf_cmp_ring_find(const struct shmf_cmp_ring *r, uint64_t input_hash)
{
    /* Newest first: the same input may have run more than once. */
    for (uint32_t k = 1; k <= SHMF_CMP_RING; k++) {
        const struct shmf_cmp_table *t = &r->t[(r->next + SHMF_CMP_RING - k) % SHMF_CMP_RING];
        if (t->gen != 0 && t->count != 0 && t->input_hash == input_hash)
            return t;
    }
    return NULL;
}

const struct shmf_cmp_table *shmf_cmp_ring_latest(const struct shmf_cmp_ring *r)
{
    for (uint32_t k = 1; k <= SHMF_CMP_RING; k++) {
        const struct shmf_cmp_table *t = &r->t[(r->next + SHMF_CMP_RING - k) % SHMF_CMP_RING];
        if (t->gen != 0 && t->count != 0)
            return t;
    }
    return NULL;
}

void shmf_cmp_stats_note(struct shmf_cmp_stats *st, const struct shmf_cmp_table *t, int exact)
{
    if (!t || t->count == 0)
        st->none++;
    else if (exact)
        st->own++;
    else
        st->other++;
}

void shmf_cmp_stats_write(const struct shmf_cmp_stats *st, const char *source)
{
    const char *path = getenv("SHMFUZZ_MUTATOR_STATS");
    FILE *f;

    if (!path || !*path || !(f = fopen(path, "w")))
        return;
    fprintf(f,
            "tables: %s\nown_table: %llu\nother_table: %llu\nno_table: %llu\ncmp_applied: %llu\n"
            "kept: %llu\nmissed: %llu\n",
            source ? source : "none", st->own, st->other, st->none, st->applied, st->kept,
            st->missed);
    fclose(f);
}

struct shmf_cmp_store *shmf_cmp_store_new(size_t max_bytes)
{
    struct shmf_cmp_store *st = calloc(1, sizeof(*st));

    if (st)
        st->max_bytes = max_bytes;
    return st;
}

void shmf_cmp_store_free(struct shmf_cmp_store *st)
{
    if (!st)
        return;
    for (uint32_t i = 0; i < STORE_SLOTS; i++)
        free(st->slot[i].e);
    free(st);
}

/* The slot of hash h, or the free slot where it would go (linear probing; the
   store never fills past three quarters, so a free slot is always reached). */
static struct stored *store_slot(const struct shmf_cmp_store *st, uint64_t h)
{
    uint32_t i = (uint32_t)(h ^ (h >> 32)) & (STORE_SLOTS - 1);

    while (st->slot[i].n && st->slot[i].hash != h)
        i = (i + 1) & (STORE_SLOTS - 1);
    return (struct stored *)&st->slot[i];
}

int shmf_cmp_store_put(struct shmf_cmp_store *st, const struct shmf_cmp_table *t)
{
    struct stored *s = store_slot(st, t->input_hash);
    size_t size = (size_t)t->count * sizeof(*s->e);
    struct shmf_cmp_entry *e;
    uint32_t n = 0;

    if (t->count == 0 || t->count > SHMF_CMP_SLOTS) /* the ring is shared memory */
        return -1;
    if (!s->n && (st->used >= STORE_SLOTS / 4 * 3 || st->bytes + size > st->max_bytes))
        return -1;
    e = malloc(size);
    if (!e)
        return -1;
    for (uint32_t k = shmf_cmp_next(t, 0); k < SHMF_CMP_SLOTS && n < t->count;
         k = shmf_cmp_next(t, k + 1))
        e[n++] = t->e[k];
    if (n == 0) {
        free(e);
        return -1;
    }
    if (s->n) {
        st->bytes -= (size_t)s->n * sizeof(*s->e);
        free(s->e);
    } else {
        st->used++;
    }
    s->hash = t->input_hash;
    s->n = n;
    s->e = e;
    st->bytes += (size_t)s->n * sizeof(*s->e);
    return 0;
}

int shmf_cmp_store_get(const struct shmf_cmp_store *st, uint64_t input_hash,
                       struct shmf_cmp_table *out)
{
    const struct stored *s = store_slot(st, input_hash);

    if (!s->n)
        return -1;
    shmf_cmp_reset(out, input_hash);
    for (uint32_t i = 0; i < s->n; i++)
        shmf_cmp_add(out, s->e[i].a, s->e[i].b, s->e[i].op);
    return 0;
}
