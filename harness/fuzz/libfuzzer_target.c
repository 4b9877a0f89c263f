/*
 * libfuzzer_target.c -- the libFuzzer entry points: the target, and record-level
 * custom mutation and crossover (with libFuzzer's own byte mutations mixed in).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "mutator.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* libFuzzer ignores the return value: exit with the documented code for an
       environment error rather than turning the first input into a "crash". */
    if (shmf_fuzz_init() != 0)
        exit(2);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    shmf_fuzz_one(data, size);
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    /* One in four mutations is libFuzzer's byte-level one (it also uses the
       dictionary and CMP traces); the rest keep whole records intact. */
    if (seed % 4 == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    return shmf_mutate(data, size, max_size, seed);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
                                 size_t size2, uint8_t *out, size_t max_out_size,
                                 unsigned int seed)
{
    return shmf_crossover(data1, size1, data2, size2, out, max_out_size, seed);
}
