/*
 * cmp_hooks.c -- the provider's comparisons into the live operand table
 * (cmp.h), in the libFuzzer targets.
 *
 * The targets link with -Wl,--wrap=__sanitizer_cov_trace_<x> for each hook
 * below (cmake/ShmfuzzAddProvider.cmake), so the provider's calls land here
 * first; each records its operands with the index of the op being run and
 * tail-calls libFuzzer's hook (musttail: libFuzzer reads the caller's PC for
 * its value profile and table of recent compares, which must stay the
 * provider's).  Only the provider's code calls these: the harness and the
 * runtime are not compiled with comparison tracing.
 *
 * Built only in the libFuzzer preset (harness/CMakeLists.txt): elsewhere there
 * is no __real_ hook to call.
 */
#include <stdint.h>

#include "cmp.h"
#include "exec.h"

static struct shmf_cmp_table live;

struct shmf_cmp_table *shmf_cmp_live(void)
{
    return &live;
}

void shmf_cmp_begin(const uint8_t *data, size_t size)
{
    shmf_cmp_reset(&live, shmf_cmp_hash(data, size));
}

static inline void record(uint64_t a, uint64_t b)
{
    if (a != b)
        shmf_cmp_add(&live, a, b, shmf_exec_op_index());
}

/* `return f(...)` in a void function is a C extension; musttail needs it. */
#pragma clang diagnostic ignored "-Wpedantic"

#define SHMF_CMP_WRAP(name, T)                                                                     \
    void __real_##name(T a, T b);                                                                  \
    void __wrap_##name(T a, T b);                                                                  \
    void __wrap_##name(T a, T b)                                                                   \
    {                                                                                              \
        record(a, b);                                                                              \
        __attribute__((musttail)) return __real_##name(a, b);                                      \
    }

SHMF_CMP_WRAP(__sanitizer_cov_trace_cmp1, uint8_t)
SHMF_CMP_WRAP(__sanitizer_cov_trace_cmp2, uint16_t)
SHMF_CMP_WRAP(__sanitizer_cov_trace_cmp4, uint32_t)
SHMF_CMP_WRAP(__sanitizer_cov_trace_cmp8, uint64_t)
SHMF_CMP_WRAP(__sanitizer_cov_trace_const_cmp1, uint8_t)
SHMF_CMP_WRAP(__sanitizer_cov_trace_const_cmp2, uint16_t)
SHMF_CMP_WRAP(__sanitizer_cov_trace_const_cmp4, uint32_t)
SHMF_CMP_WRAP(__sanitizer_cov_trace_const_cmp8, uint64_t)

void __real___sanitizer_cov_trace_switch(uint64_t val, uint64_t *cases);
void __wrap___sanitizer_cov_trace_switch(uint64_t val, uint64_t *cases);
void __wrap___sanitizer_cov_trace_switch(uint64_t val, uint64_t *cases)
{
    /* cases[0]: count, cases[1]: width in bits, then the case values. */
    for (uint64_t i = 0; i < cases[0] && i < 16; i++)
        record(val, cases[2 + i]);
    __attribute__((musttail)) return __real___sanitizer_cov_trace_switch(val, cases);
}
