/*
 * shmf_test.h -- test helpers: a fresh world per test, and typed checks that a
 * run recorded exactly one expected finding kind (or none).
 */
#ifndef SHMF_TEST_H
#define SHMF_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "shmfuzz/runtime.h"

static inline int shmf_test_setup(void **state)
{
    (void)state;
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    return 0;
}

static inline void shmf_test_dump_findings(void)
{
    for (unsigned i = 0; i < shmf_rt_finding_count() && i < SHMF_MAX_FINDINGS; i++) {
        const struct shmf_finding *f = shmf_rt_finding(i);
        print_message("  finding %u: %s in %s: %s\n", i, shmf_kind_name(f->kind), f->function,
                      f->message);
    }
}

/* The first finding is `kind` (the run stops at the first in the harness). */
#define EXPECT_FINDING(want_)                                                                      \
    do {                                                                                           \
        if (shmf_rt_finding_count() == 0 || shmf_rt_finding(0)->kind != (want_))                   \
            shmf_test_dump_findings();                                                             \
        assert_true(shmf_rt_finding_count() >= 1);                                                 \
        assert_string_equal(shmf_kind_name(shmf_rt_finding(0)->kind), shmf_kind_name(want_));      \
    } while (0)

#define EXPECT_NO_FINDING()                                                                        \
    do {                                                                                           \
        if (shmf_rt_finding_count() != 0)                                                          \
            shmf_test_dump_findings();                                                             \
        assert_int_equal(shmf_rt_finding_count(), 0);                                              \
    } while (0)

#endif
