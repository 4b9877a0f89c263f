/*
 * Structure-aware mutators for op-stream inputs (see docs/opstream.md).
 *
 * All mutations work on whole records through the codec, so their output always
 * decodes to a meaningful program: insert a random record, delete, duplicate or swap
 * records, tweak one field, tweak the fault plan in the header, and splice two
 * programs. Everything is deterministic given the seed: there is no global state and
 * no rand(); randomness comes from a local splitmix64 generator.
 *
 * Guided mutations (docs/planted-bugs.md, "Guidance"), which aim at the state a
 * provider builds over several ops and at the values it compares fields with:
 *   cmp     set a field to the value the provider compared it with (input-to-state
 *           at the record level), from a comparison-operand table (cmp.h);
 *   repeat  repeat one op, or a short run of ops, 1 to 65 times;
 *   clone   copy an alloc later with one amount changed (same queue, node, VPort,
 *           usage), or give one alloc another's queue / node / VPort / usage / flags;
 *   fault   put a `fault` op (fail the 1st-4th allocation from there) before an
 *           alloc or qalloc;
 *   refill  free every block, then run a range of earlier ops again.
 * Which kinds run is a mask (struct shmf_mut_ctx.kinds; the engines read
 * SHMFUZZ_MUTATIONS, see shmf_mutations_parse); the output stays a pure function
 * of the input, the seed, the mask and the table.
 *
 * Contract: pointer arguments are non-NULL; sizes are in bytes. The byte-level entry
 * points never fail: when out of memory they return their input unchanged (clipped
 * to the maximum size).
 */
#ifndef SHMF_MUTATOR_H
#define SHMF_MUTATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opstream.h"

/** Mutation kinds as X(NAME, name, weight); weight is the relative pick frequency
 *  in shmf_prog_mutate (0 = never picked there). */
#define SHMF_MUTATION_LIST(X)                                                                      \
    X(INSERT, insert, 4)                                                                           \
    X(DELETE, delete, 2)                                                                           \
    X(DUPLICATE, duplicate, 1)                                                                     \
    X(SWAP, swap, 1)                                                                               \
    X(TWEAK, tweak, 5)                                                                             \
    X(HEADER, header, 1)                                                                           \
    X(CROSSOVER, crossover, 0)                                                                     \
    X(CMP, cmp, 3)                                                                                 \
    X(REPEAT, repeat, 1)                                                                           \
    X(CLONE, clone, 2)                                                                             \
    X(FAULT, fault, 1)                                                                             \
    X(REFILL, refill, 1)

#define SHMF__MUT_ENUM(U, l, w) SHMF_MUT_##U,
enum shmf_mutation { SHMF_MUTATION_LIST(SHMF__MUT_ENUM) SHMF_MUT_COUNT };

/** The guided kinds (cmp .. refill): off in the mask "none", the mutator as it
 *  was before them. */
#define SHMF_MUT_GUIDED_MASK                                                                       \
    ((1u << SHMF_MUT_CMP) | (1u << SHMF_MUT_REPEAT) | (1u << SHMF_MUT_CLONE) |                     \
     (1u << SHMF_MUT_FAULT) | (1u << SHMF_MUT_REFILL))
#define SHMF_MUT_BASE_MASK (((1u << SHMF_MUT_COUNT) - 1) & ~SHMF_MUT_GUIDED_MASK)

struct shmf_cmp_table;

/** What the mutator may use besides its seed. */
struct shmf_mut_ctx {
    uint32_t kinds;                   /* 1u << kind for each kind that may be picked */
    const struct shmf_cmp_table *cmp; /* comparison operands, or NULL */
    int cmp_exact; /* nonzero: the table came from running this very program, so an
                      entry's op index names the op that made the comparison */
    unsigned long long *cmp_applied; /* when set, counts the "cmp" mutations applied */
};

/** The kinds the engines use unless SHMFUZZ_MUTATIONS says otherwise. */
uint32_t shmf_mutations_default(void);
/** Parse a kind list: "none" (the base kinds only), "all", "default", NAME or
 *  +NAME (add), -NAME (remove), separated by ',' or ' ' or written together
 *  ("none+cmp-fault"), applied left to right from the default set.
 *  @return 0, or -1 (with the bad token in err) on an unknown name. */
int shmf_mutations_parse(const char *spec, uint32_t *kinds, char *err, size_t errlen);

/** Small deterministic PRNG (splitmix64). */
struct shmf_rng {
    uint64_t s;
};

/** Seed a generator; equal seeds give equal sequences. */
void shmf_rng_seed(struct shmf_rng *r, uint64_t seed);
/** Next 64 random bits. */
uint64_t shmf_rng_next(struct shmf_rng *r);
/** Uniform-ish value in [0, n); returns 0 when n == 0. */
uint64_t shmf_rng_below(struct shmf_rng *r, uint64_t n);

/** Name of a mutation kind ("insert"), or NULL when out of range. */
const char *shmf_mutation_name(enum shmf_mutation m);

/** Apply one record-level mutation to `p`, half the time followed by up to three
 *  more (stacked, as AFL's havoc does). A mutation that grows the program is only
 *  chosen when the result still encodes within `max_size` bytes.
 *  @return the kind of the first mutation applied. */
enum shmf_mutation shmf_prog_mutate(struct shmf_prog *p, size_t max_size, struct shmf_rng *r);
/** shmf_prog_mutate with the kinds and operand table of `ctx` (shmf_prog_mutate
 *  itself: the default kinds, no table).  A kind that does not apply (no table,
 *  no alloc, no room) gives way to another. */
enum shmf_mutation shmf_prog_mutate_ctx(struct shmf_prog *p, size_t max_size, struct shmf_rng *r,
                                        const struct shmf_mut_ctx *ctx);
/** Splice `a` and `b` into `out`: a prefix of `a` followed by a suffix of `b`, or a
 *  range of `b` inserted into `a`. The header comes from either. pre: out differs
 *  from a and b. */
void shmf_prog_crossover(struct shmf_prog *out, const struct shmf_prog *a,
                         const struct shmf_prog *b, struct shmf_rng *r);
/** Drop trailing ops of `p` until it encodes within `max` bytes, then encode it into
 *  buf[0..max). When max < SHMF_HEADER_SIZE only the first `max` header bytes fit.
 *  @return the number of bytes written (<= max). */
size_t shmf_prog_encode_fit(struct shmf_prog *p, uint8_t *buf, size_t max);

/* A random record as the "insert" mutation makes one: an opcode biased toward
   alloc/free/touch, then fields from boundary values (allocs mostly valid). */
unsigned shmf_random_op_code(struct shmf_rng *r);
void shmf_random_op(struct shmf_op *op, unsigned code, struct shmf_rng *r);

/** Apply exactly one mutation of kind `m` (any kind but crossover), whatever the
 *  mask.  @return false when it does not apply (no table, no alloc, no room),
 *  leaving `p` unchanged. */
bool shmf_prog_apply(struct shmf_prog *p, enum shmf_mutation m, size_t max_size, struct shmf_rng *r,
                     const struct shmf_mut_ctx *ctx);

/** libFuzzer-style mutator: mutate data[0..size) in place, deterministically for
 *  `seed`. pre: data has room for max_size bytes.
 *  @return the new size, <= max_size. */
size_t shmf_mutate(uint8_t *data, size_t size, size_t max_size, unsigned seed);
/** shmf_mutate with `ctx` (NULL: the defaults, no table). */
size_t shmf_mutate_ctx(uint8_t *data, size_t size, size_t max_size, unsigned seed,
                       const struct shmf_mut_ctx *ctx);
/** libFuzzer-style crossover of d1 and d2 into out[0..max_out), deterministic for
 *  `seed`. pre: d1/d2 may be NULL only when their size is 0.
 *  @return the output size, <= max_out. */
size_t shmf_crossover(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, uint8_t *out,
                      size_t max_out, unsigned seed);

#endif /* SHMF_MUTATOR_H */
