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

/*
 * AFL++: the target and the custom mutator are different processes (the
 * mutator runs inside afl-fuzz), so the tables live in shared memory: a ring of
 * the last SHMF_CMP_RING inputs' tables in a memfd that the mutator creates and
 * names in SHMF_CMP_FD_ENV before afl-fuzz starts its fork servers.  The AFL++
 * target fills one table per input (cmplog_hooks.c); the mutator reads the
 * table of the input it mutates, when the ring still has it, or the latest.
 * Single writer, single reader, never at the same time: afl-fuzz mutates only
 * while no target runs.
 */
#define SHMF_CMP_RING 4u
#define SHMF_CMP_RING_MAGIC 0x53484d46434d5031ull /* "SHMFCMP1" */
#define SHMF_CMP_FD_ENV "SHMFUZZ_CMP_FD"

struct shmf_cmp_ring {
    uint64_t magic;
    uint32_t next; /* the slot the next input's table goes to */
    uint32_t reserved;
    struct shmf_cmp_table t[SHMF_CMP_RING];
};

/** The next slot of the ring, reset for an input (writer side). */
struct shmf_cmp_table *shmf_cmp_ring_begin(struct shmf_cmp_ring *r, uint64_t input_hash);
/** The table of the input with this hash, if the ring still holds one with
 *  entries; else NULL. */
const struct shmf_cmp_table *shmf_cmp_ring_find(const struct shmf_cmp_ring *r, uint64_t input_hash);
/** The most recent table with entries, or NULL. */
const struct shmf_cmp_table *shmf_cmp_ring_latest(const struct shmf_cmp_ring *r);

/*
 * How the "cmp" kind was fed, per mutation call of an engine's mutator: with the
 * input's own table, another input's, or none; and how many "cmp" mutations
 * applied.  SHMFUZZ_MUTATOR_STATS=path makes the mutators write them when the
 * engine ends (key: value lines), for tests and benchmarks.
 */
struct shmf_cmp_stats {
    unsigned long long own, other, none, applied;
};

/** Count one mutation call fed with table t (NULL: none). */
void shmf_cmp_stats_note(struct shmf_cmp_stats *st, const struct shmf_cmp_table *t, int exact);
/** Write the counts to SHMFUZZ_MUTATOR_STATS, when set; `source` names where
 *  tables come from ("ring", "live") or is NULL when there are none. */
void shmf_cmp_stats_write(const struct shmf_cmp_stats *st, const char *source);

/* The engine's live table (cmp_hooks.c in the libFuzzer targets, cmplog_hooks.c
   in the AFL++ targets, where it is the ring's current slot): cleared by
   shmf_cmp_begin() before each input and filled while it runs. */
struct shmf_cmp_table *shmf_cmp_live(void);
void shmf_cmp_begin(const uint8_t *data, size_t size);

#endif /* SHMF_CMP_H */
