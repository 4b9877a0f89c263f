/*
 * The comparison-operand table (cmp.h): plain data, no global state.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmp.h"

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

/* The newest table with entries (of input input_hash unless any_input), or
   NULL.  Newest first: the same input may have run more than once. */
static const struct shmf_cmp_table *ring_newest(const struct shmf_cmp_ring *r, int any_input,
                                                uint64_t input_hash)
{
    for (uint32_t k = 1; k <= SHMF_CMP_RING; k++) {
        const struct shmf_cmp_table *t = &r->t[(r->next + SHMF_CMP_RING - k) % SHMF_CMP_RING];
        if (t->gen != 0 && t->count != 0 && (any_input || t->input_hash == input_hash))
            return t;
    }
    return NULL;
}

const struct shmf_cmp_table *shmf_cmp_ring_find(const struct shmf_cmp_ring *r, uint64_t input_hash)
{
    return ring_newest(r, 0, input_hash);
}

const struct shmf_cmp_table *shmf_cmp_ring_latest(const struct shmf_cmp_ring *r)
{
    return ring_newest(r, 1, 0);
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
            "tables: %s\nown_table: %llu\nother_table: %llu\nno_table: %llu\ncmp_applied: %llu\n",
            source ? source : "none", st->own, st->other, st->none, st->applied);
    fclose(f);
}
