/*
 * fuzz_common.h -- what the libFuzzer and AFL++ targets share: pick the provider
 * (linked in, or SHMFUZZ_PROVIDER=path.so), run one input, turn a finding into a
 * crash the engine records.
 */
#ifndef SHMF_FUZZ_COMMON_H
#define SHMF_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Set up once; returns 0, or prints a one-line reason and returns -1. */
int shmf_fuzz_init(void);
/* Run one input in a fresh world; on a finding print it and abort(). */
void shmf_fuzz_one(const uint8_t *data, size_t size);

#endif
