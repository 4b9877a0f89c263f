/*
 * The comparison-operand table (cmp.h): plain data, no global state.
 */
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
