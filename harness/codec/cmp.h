/*
 * Comparison operands a provider made while running one input: the table the
 * record-level mutator's "cmp" mutation reads (mutator.h), the op-level analogue
 * of AFL++'s RedQueen / libFuzzer's table of recent compares.
 *
 * The provider's code is compiled with comparison tracing (libFuzzer's
 * -fsanitize=fuzzer-no-link gives __sanitizer_cov_trace_cmp*): in the libFuzzer
 * targets every such call goes first through cmp_hooks.c (the link wraps the
 * hooks), which adds the operands and the index of the op being run to the live
 * table, then on to libFuzzer.  The mutator then sets a field that equals one
 * operand (or whose page count / SG capacity does) to the other operand.
 *
 * The table itself is plain data: filling and reading it is deterministic, and
 * it is cleared (a new generation) before each input.
 */
#ifndef SHMF_CMP_H
#define SHMF_CMP_H

#include <stddef.h>
#include <stdint.h>

#define SHMF_CMP_SLOTS 1024u /* power of two; a full table overwrites by hash */

struct shmf_cmp_entry {
    uint32_t a, b; /* operands (comparisons of wider values are not kept) */
    int32_t op;    /* index of the op the provider was running, or -1 */
    uint32_t gen;  /* the entry is valid when gen == its table's gen */
};

struct shmf_cmp_table {
    uint32_t gen;        /* current generation, never 0 once reset */
    uint32_t count;      /* valid entries */
    uint64_t input_hash; /* shmf_cmp_hash() of the input the entries came from */
    struct shmf_cmp_entry e[SHMF_CMP_SLOTS];
};

/** FNV-1a (64 bits) of an input: says whether a table belongs to it. */
static inline uint64_t shmf_cmp_hash(const uint8_t *data, size_t size)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 0x100000001b3ull;
    return h;
}

/** Forget every entry (O(1)) and note the input they will come from. */
void shmf_cmp_reset(struct shmf_cmp_table *t, uint64_t input_hash);
/** Add one comparison of a with b made during op `op`.  Equal operands and
 *  operands wider than 32 bits (pointers) are not kept; the same triple is kept
 *  once; a colliding entry is replaced. */
void shmf_cmp_add(struct shmf_cmp_table *t, uint64_t a, uint64_t b, int32_t op);
/** Index of the valid entry at or after slot `from`, or SHMF_CMP_SLOTS. */
static inline uint32_t shmf_cmp_next(const struct shmf_cmp_table *t, uint32_t from)
{
    while (from < SHMF_CMP_SLOTS && (t->gen == 0 || t->e[from].gen != t->gen))
        from++;
    return from;
}

/* The engine's live table (cmp_hooks.c, libFuzzer targets only): cleared by
   shmf_cmp_begin() before each input and filled while it runs. */
struct shmf_cmp_table *shmf_cmp_live(void);
void shmf_cmp_begin(const uint8_t *data, size_t size);

#endif /* SHMF_CMP_H */
