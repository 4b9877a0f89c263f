/*
 * libfuzzer_target.c -- the libFuzzer entry points: the target, and record-level
 * custom mutation and crossover (with libFuzzer's own byte mutations mixed in).
 *
 * SHMFUZZ_MUTATIONS (mutator.h, shmf_mutations_parse) chooses the record-level
 * mutation kinds, e.g. "none" for the mutator without the guided kinds.  When
 * the target wraps the provider's comparison hooks (cmp_hooks.c: the targets
 * built by shmfuzz_add_provider in this tree), each input's comparisons feed the
 * "cmp" mutation; the generic target, which loads a provider .so, has no table.
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
    if (shmf_cmp_live && (ctx.kinds & (1u << SHMF_MUT_CMP))) {
        /* libFuzzer mutates the input it has just run (stacked mutations), so
           the table is usually this input's own and its op indices hold. */
        ctx.cmp = shmf_cmp_live();
        ctx.cmp_exact = ctx.cmp->input_hash == shmf_cmp_hash(data, size);
    }
    return shmf_mutate_ctx(data, size, max_size, seed, &ctx);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
                                 size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed)
{
    return shmf_crossover(data1, size1, data2, size2, out, max_out_size, seed);
}
