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

/* Differential mode (docs/differential.md; harness/diff/diff_fuzz.c): with
   SHMFUZZ_AGAINST set, init opens that provider and the SHMFUZZ_ALLOW rules
   (0, or -1 after a one-line reason), and run compares each input on both
   providers, its distinct differences counting as coverage features; run
   returns false (nothing done) when the mode is off. */
struct shmf_target;
struct shmf_prog;
struct shmf_exec_opts;
struct shmf_exec_result;
int shmf_fuzz_diff_init(void);
int shmf_fuzz_diff_run(const struct shmf_target *t, const struct shmf_prog *prog,
                       const struct shmf_exec_opts *opts, struct shmf_exec_result *res);

#endif
