/*
 * libfuzzer_target.c -- the libFuzzer entry points: the target, and record-level
 * custom mutation and crossover (with libFuzzer's own byte mutations mixed in).
 *
 * SHMFUZZ_MUTATIONS (mutator.h, shmf_mutations_parse) chooses the record-level
 * mutation kinds, e.g. "none" for the mutator without the guided kinds.  When
 * the target wraps the provider's comparison hooks (cmp_hooks.c: the targets
 * built by shmfuzz_add_provider in this tree), each input's comparisons feed the
 * "cmp" mutation; so do those of a provider .so that the generic target loads
 * when the .so's link wrapped its hooks (scripts/campaign.sh builds it so).
 * SHMFUZZ_MUTATOR_STATS=path: at exit, how "cmp" was fed (cmp.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmp.h"
#include "fuzz_common.h"
#include "mutator.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* Linked only where the comparison hooks are wrapped (weak: NULL elsewhere). */
struct shmf_cmp_table *shmf_cmp_live(void) __attribute__((weak));
void shmf_cmp_begin(const uint8_t *data, size_t size) __attribute__((weak));

static struct shmf_mut_ctx mut_ctx;
static struct shmf_cmp_stats cmp_stats; /* SHMFUZZ_MUTATOR_STATS (cmp.h) */

/* Only a process that mutated writes: a merge or a replay run leaves the file
   of the fuzzing run that preceded it. */
static void write_cmp_stats(void)
{
    if (cmp_stats.own + cmp_stats.other + cmp_stats.none)
        shmf_cmp_stats_write(&cmp_stats, shmf_cmp_live ? "live" : NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[160];
    (void)argc;
    (void)argv;
    /* libFuzzer ignores the return value: exit with the documented code for an
       environment error rather than turning the first input into a "crash". */
    if (shmf_fuzz_init() != 0)
        exit(2);
    if (shmf_mutations_parse(getenv("SHMFUZZ_MUTATIONS"), &mut_ctx.kinds, err, sizeof(err)) != 0) {
        fprintf(stderr, "shmfuzz: SHMFUZZ_MUTATIONS: %s\n", err);
        exit(2);
    }
    mut_ctx.cmp_applied = &cmp_stats.applied;
    if (getenv("SHMFUZZ_MUTATOR_STATS"))
        atexit(write_cmp_stats);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (shmf_cmp_begin)
        shmf_cmp_begin(data, size);
    shmf_fuzz_one(data, size);
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    struct shmf_mut_ctx ctx = mut_ctx;

    /* One in four mutations is libFuzzer's byte-level one (it also uses the
       dictionary and CMP traces); the rest keep whole records intact. */
    if (seed % 4 == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    if (ctx.kinds == 0) /* LLVMFuzzerInitialize not run (a custom driver) */
        ctx.kinds = shmf_mutations_default();
    if (!shmf_cmp_live)
        cmp_stats.none++;
    else if (ctx.kinds & (1u << SHMF_MUT_CMP)) {
        /* libFuzzer mutates the input it has just run (stacked mutations), so
           the table is usually this input's own and its op indices hold. */
        ctx.cmp = shmf_cmp_live();
        ctx.cmp_exact = ctx.cmp->input_hash == shmf_cmp_hash(data, size);
        shmf_cmp_stats_note(&cmp_stats, ctx.cmp, ctx.cmp_exact);
    }
    return shmf_mutate_ctx(data, size, max_size, seed, &ctx);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
                                 size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed)
{
    return shmf_crossover(data1, size1, data2, size2, out, max_out_size, seed);
}
