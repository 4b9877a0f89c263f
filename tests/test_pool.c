/*
 * test_pool.c -- the pool verifier (rt_pool.c): each finding kind it emits is
 * provoked by exactly one violation, and clean use stays clean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rt_internal.h"

#define TAG4(a, b, c, d) ((ULONG)(a) | (ULONG)(b) << 8 | (ULONG)(c) << 16 | (ULONG)(d) << 24)
#define TAG_TEST TAG4('T', 'e', 's', 't')
#define TAG_OTHER TAG4('O', 't', 'h', 'r')

static int setup(void **state)
{
    (void)state;
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    return 0;
}

static void expect_one(enum shmf_kind kind)
{
    const struct shmf_finding *f = shmf_rt_finding(0);
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_non_null(f);
    assert_string_equal(shmf_kind_name(f->kind), shmf_kind_name(kind));
}

static void expect_clean(void)
{
    const struct shmf_finding *f = shmf_rt_finding(0);
    if (f)
        print_error("unexpected finding %s: %s\n", shmf_kind_name(f->kind), f->message);
    assert_int_equal(shmf_rt_finding_count(), 0);
}

static uint8_t *alloc(UINT n)
{
    return NdisAllocateMemoryWithTagPriority(shmf_rt_driver_handle(), n, TAG_TEST,
                                             NormalPoolPriority);
}

static void free_tagged(void *p)
{
    NdisFreeMemoryWithTagPriority(shmf_rt_driver_handle(), p, TAG_TEST);
}

/* === Clean use === */

static void test_alloc_free_clean(void **state)
{
    (void)state;
    uint8_t *p = alloc(100);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    memset(p, 0x11, 100);
    assert_true(shmf__pool_contains(p, 100));
    assert_true(shmf__pool_contains(p + 50, 50));
    assert_false(shmf__pool_contains(p + 50, 51));
    assert_int_equal(shmf__pool_live_count(), 1);
    free_tagged(p);
    assert_int_equal(shmf__pool_live_count(), 0);
    assert_false(shmf__pool_contains(p, 1));
    shmf__pool_check_all();
    shmf__pool_check_leaks();
    expect_clean();
}

static void test_large_block_page_aligned(void **state)
{
    (void)state;
    uint8_t *p = alloc(3 * PAGE_SIZE + 5);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % PAGE_SIZE, 0);
    memset(p, 0, 3 * PAGE_SIZE + 5);
    ExFreePool(p);
    expect_clean();
}

static void test_free_routines_clean(void **state)
{
    (void)state;
    uint8_t *a = alloc(8), *b = alloc(8), *c = alloc(8), *d = alloc(8);
    NdisFreeMemory(a, 8, 0);
    ExFreePool(b);
    ExFreePoolWithTag(c, TAG_TEST);
    ExFreePoolWithTag(d, 0);
    expect_clean();
}

/* Many more frees than the quarantine holds: evictions find intact poison. */
static void test_quarantine_cycles_clean(void **state)
{
    (void)state;
    for (int i = 0; i < 500; i++) {
        uint8_t *p = alloc((UINT)(1 + i % 300));
        assert_non_null(p);
        memset(p, i, (size_t)(1 + i % 300));
        free_tagged(p);
    }
    shmf__pool_check_all();
    expect_clean();
}

static void test_allowed_at_dispatch(void **state)
{
    (void)state;
    shmf_rt_irql_set(DISPATCH_LEVEL);
    uint8_t *p = alloc(16);
    assert_non_null(p);
    free_tagged(p);
    shmf_rt_irql_set(PASSIVE_LEVEL);
    expect_clean();
}

static void test_reset_releases_everything(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++)
        assert_non_null(alloc(64));
    free_tagged(alloc(64));
    assert_int_equal(shmf__pool_live_count(), 10);
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    assert_int_equal(shmf__pool_live_count(), 0);
    shmf__pool_check_leaks();
    expect_clean();
}

static void test_fault_injection_first(void **state)
{
    (void)state;
    struct shmf_fault_plan plan = {.fail_nth = 1};
    shmf_rt_set_fault_plan(&plan);
    assert_null(alloc(32));
    uint8_t *p = alloc(32);
    assert_non_null(p);
    free_tagged(p);
    assert_int_equal(shmf_rt_faults_injected(), 1);
    expect_clean();
}

static void test_copy_and_zero_clean(void **state)
{
    (void)state;
    uint8_t *p = alloc(64);
    RtlZeroMemory(p, 64);
    RtlCopyMemory(p + 32, p, 32);
    NdisMoveMemory(p, p + 32, 32);
    NdisZeroMemory(p, 0);
    assert_int_equal(p[0], 0);
    free_tagged(p);
    expect_clean();
}

/* === One violation, one finding === */

static void test_zero_length(void **state)
{
    (void)state;
    assert_null(alloc(0));
    expect_one(SHMF_KIND_ROUTINE_MISUSE);
}

static void test_irql_too_high(void **state)
{
    (void)state;
    shmf_rt_irql_set(CLOCK_LEVEL);
    uint8_t *p = alloc(16);
    shmf_rt_irql_set(PASSIVE_LEVEL);
    expect_one(SHMF_KIND_IRQL_TOO_HIGH);
    assert_string_equal(shmf_rt_finding(0)->rule, "IrqlExAllocatePool");
    free_tagged(p);
}

static void test_wrong_tag(void **state)
{
    (void)state;
    uint8_t *p = alloc(16);
    NdisFreeMemoryWithTagPriority(shmf_rt_driver_handle(), p, TAG_OTHER);
    expect_one(SHMF_KIND_POOL_FREE_UNKNOWN);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "'Test'"));
    assert_non_null(strstr(shmf_rt_finding(0)->message, "'Othr'"));
    assert_int_equal(shmf__pool_live_count(), 1); /* the bad free was ignored */
}

static void test_ex_wrong_tag(void **state)
{
    (void)state;
    ExFreePoolWithTag(alloc(16), TAG_OTHER);
    expect_one(SHMF_KIND_POOL_FREE_UNKNOWN);
}

static void test_double_free(void **state)
{
    (void)state;
    uint8_t *p = alloc(16);
    free_tagged(p);
    free_tagged(p);
    expect_one(SHMF_KIND_POOL_DOUBLE_FREE);
}

static void test_free_unknown(void **state)
{
    (void)state;
    uint8_t local[16];
    ExFreePool(local);
    expect_one(SHMF_KIND_POOL_FREE_UNKNOWN);
}

static void test_free_interior(void **state)
{
    (void)state;
    uint8_t *p = alloc(64);
    ExFreePool(p + 8);
    expect_one(SHMF_KIND_POOL_FREE_UNKNOWN);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "not its base"));
}

static void test_free_null(void **state)
{
    (void)state;
    ExFreePool(NULL);
    expect_one(SHMF_KIND_POOL_FREE_UNKNOWN);
}

static void test_ndis_free_memory_flags(void **state)
{
    (void)state;
    NdisFreeMemory(alloc(16), 16, NDIS_MEMORY_NONCACHED);
    expect_one(SHMF_KIND_ROUTINE_MISUSE);
}

static void test_copy_overlap(void **state)
{
    (void)state;
    uint8_t *p = alloc(64);
    RtlCopyMemory(p + 8, p, 32);
    expect_one(SHMF_KIND_ROUTINE_MISUSE);
}

/* The tests below write into redzones or freed memory.  They unpoison the bytes
   first, standing in for a non-ASan build, so the canary path itself is tested. */

static void test_overrun_at_free(void **state)
{
    (void)state;
    uint8_t *p = alloc(13);
    SHMF_UNPOISON(p + 13, 1);
    p[13] ^= 0xff;
    free_tagged(p);
    expect_one(SHMF_KIND_POOL_OVERRUN);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "'Test'"));
    assert_non_null(strstr(shmf_rt_finding(0)->message, "13 bytes"));
}

static void test_underrun_at_check_all(void **state)
{
    (void)state;
    uint8_t *p = alloc(40);
    SHMF_UNPOISON(p - 1, 1);
    p[-1] ^= 0xff;
    shmf__pool_check_all();
    expect_one(SHMF_KIND_POOL_OVERRUN);
}

static void test_use_after_free_at_eviction(void **state)
{
    (void)state;
    uint8_t *p = alloc(32);
    free_tagged(p);
    SHMF_UNPOISON(p, 32);
    p[3] = 1;
    for (int i = 0; i < 100 && shmf_rt_finding_count() == 0; i++)
        free_tagged(alloc(32));
    expect_one(SHMF_KIND_USE_AFTER_FREE);
}

static void test_use_after_free_at_check_all(void **state)
{
    (void)state;
    uint8_t *p = alloc(32);
    free_tagged(p);
    SHMF_UNPOISON(p, 32);
    p[31] = 0;
    shmf__pool_check_all();
    expect_one(SHMF_KIND_USE_AFTER_FREE);
}

static void test_leak(void **state)
{
    (void)state;
    assert_non_null(alloc(24));
    shmf__pool_check_leaks();
    expect_one(SHMF_KIND_LEAK_POOL);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "'Test'"));
    assert_non_null(strstr(shmf_rt_finding(0)->message, "allocated at 0x"));
}

/* === Per-processor homes: a block belongs to the home of the processor that
   allocated it; every check must still see it from any other processor. === */

static int teardown_cpu0(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(0);
    return 0;
}

static void test_home_cross_free_clean(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(5);
    uint8_t *p = alloc(100), *big = alloc(2u << 20); /* big: the overflow home */
    assert_non_null(p);
    assert_non_null(big);
    assert_true(shmf__pool_contains(p + 10, 90));
    shmf_rt_cpu_attach(0);
    assert_true(shmf__pool_contains(p + 10, 90));
    assert_false(shmf__pool_contains(p + 10, 91));
    assert_int_equal(shmf__pool_live_count(), 2);
    free_tagged(p);
    shmf_rt_cpu_attach(63);
    free_tagged(big);
    assert_int_equal(shmf__pool_live_count(), 0);
    shmf__pool_check_all();
    shmf__pool_check_leaks();
    expect_clean();
}

static void test_home_cross_double_free(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(63);
    uint8_t *p = alloc(16);
    shmf_rt_cpu_attach(1);
    free_tagged(p);
    shmf_rt_cpu_attach(2);
    free_tagged(p);
    expect_one(SHMF_KIND_POOL_DOUBLE_FREE);
}

static void test_home_cross_double_free_overflow(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(3);
    uint8_t *p = alloc(3u << 20);
    shmf_rt_cpu_attach(4);
    free_tagged(p);
    free_tagged(p);
    expect_one(SHMF_KIND_POOL_DOUBLE_FREE);
}

static void test_home_cross_interior_free(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(3);
    uint8_t *p = alloc(64);
    shmf_rt_cpu_attach(0);
    ExFreePool(p + 8);
    expect_one(SHMF_KIND_POOL_FREE_UNKNOWN);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "not its base"));
}

static void test_home_leak_in_other_homes(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(7);
    assert_non_null(alloc(24));
    shmf_rt_cpu_attach(0);
    shmf__pool_check_leaks();
    expect_one(SHMF_KIND_LEAK_POOL);
    shmf_rt_clear_findings();
    shmf_rt_cpu_attach(40);
    assert_non_null(alloc(24));
    shmf__pool_check_leaks();
    assert_int_equal(shmf_rt_finding_count(), 2);
}

static void test_home_use_after_cross_free(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(4);
    uint8_t *p = alloc(32);
    shmf_rt_cpu_attach(9);
    free_tagged(p); /* into home 4's quarantine */
    SHMF_UNPOISON(p, 32);
    p[0] = 1;
    shmf_rt_cpu_attach(0);
    shmf__pool_check_all();
    expect_one(SHMF_KIND_USE_AFTER_FREE);
}

/* Blocks freed on another processor cycle through their own home's quarantine
   and cache: many rounds, every home, clean and nothing live at the end. */
static void test_home_cycles_clean(void **state)
{
    (void)state;
    uint8_t *p[64];
    for (int round = 0; round < 20; round++) {
        for (unsigned i = 0; i < 64; i++) {
            shmf_rt_cpu_attach(i);
            p[i] = alloc(16u + 97u * i);
            assert_non_null(p[i]);
        }
        for (unsigned i = 0; i < 64; i++) {
            shmf_rt_cpu_attach((i + 1 + (unsigned)round) % 64);
            free_tagged(p[i]);
        }
    }
    assert_int_equal(shmf__pool_live_count(), 0);
    shmf__pool_check_all();
    shmf__pool_check_leaks();
    expect_clean();
}

#define T(f) cmocka_unit_test_setup(f, setup)
#define TH(f) cmocka_unit_test_setup_teardown(f, setup, teardown_cpu0)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_alloc_free_clean),
        T(test_large_block_page_aligned),
        T(test_free_routines_clean),
        T(test_quarantine_cycles_clean),
        T(test_allowed_at_dispatch),
        T(test_reset_releases_everything),
        T(test_fault_injection_first),
        T(test_copy_and_zero_clean),
        T(test_zero_length),
        T(test_irql_too_high),
        T(test_wrong_tag),
        T(test_ex_wrong_tag),
        T(test_double_free),
        T(test_free_unknown),
        T(test_free_interior),
        T(test_free_null),
        T(test_ndis_free_memory_flags),
        T(test_copy_overlap),
        T(test_overrun_at_free),
        T(test_underrun_at_check_all),
        T(test_use_after_free_at_eviction),
        T(test_use_after_free_at_check_all),
        T(test_leak),
        TH(test_home_cross_free_clean),
        TH(test_home_cross_double_free),
        TH(test_home_cross_double_free_overflow),
        TH(test_home_cross_interior_free),
        TH(test_home_leak_in_other_homes),
        TH(test_home_use_after_cross_free),
        TH(test_home_cycles_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
