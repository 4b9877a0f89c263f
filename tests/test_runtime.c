/*
 * test_runtime.c -- IRQL, spin-lock and list rules of the runtime: for each
 * finding kind, a negative test that commits exactly that violation.
 */
#include <ndis.h>

#include "shmf_test.h"

/* === IRQL === */

static void irql_raise_lower_clean(void **state)
{
    (void)state;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    KIRQL old2 = KeRaiseIrqlToDpcLevel();
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(old2);
    KeLowerIrql(old);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_NO_FINDING();
}

static void irql_raise_to_lower_level(void **state)
{
    (void)state;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KIRQL bad;
    KeRaiseIrql(APC_LEVEL, &bad);
    EXPECT_FINDING(SHMF_KIND_IRQL_NOT_RESTORED);
}

static void irql_lower_above_current(void **state)
{
    (void)state;
    KeLowerIrql(DISPATCH_LEVEL);
    EXPECT_FINDING(SHMF_KIND_IRQL_NOT_RESTORED);
}

static void irql_lower_wrong_value(void **state)
{
    (void)state;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeLowerIrql(APC_LEVEL);
    EXPECT_FINDING(SHMF_KIND_IRQL_NOT_RESTORED);
}

static void irql_too_high_for_routine(void **state)
{
    (void)state;
    shmf_rt_irql_set(HIGH_LEVEL);
    (void)NdisGetSharedDataAlignment();
    EXPECT_FINDING(SHMF_KIND_IRQL_TOO_HIGH);
    assert_string_equal(shmf_rt_finding(0)->function, "NdisGetSharedDataAlignment");
}

/* === Spin locks === */

static void spinlock_clean(void **state)
{
    (void)state;
    NDIS_SPIN_LOCK l;
    NdisAllocateSpinLock(&l);
    NdisAcquireSpinLock(&l);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    NdisReleaseSpinLock(&l);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KIRQL old = KeRaiseIrqlToDpcLevel();
    NdisDprAcquireSpinLock(&l);
    NdisDprReleaseSpinLock(&l);
    KeLowerIrql(old);
    NdisFreeSpinLock(&l);
    EXPECT_NO_FINDING();
}

static void spinlock_recursive(void **state)
{
    (void)state;
    NDIS_SPIN_LOCK l;
    NdisAllocateSpinLock(&l);
    NdisAcquireSpinLock(&l);
    NdisAcquireSpinLock(&l);
    EXPECT_FINDING(SHMF_KIND_SPINLOCK_RECURSIVE_ACQUIRE);
}

static void spinlock_release_unheld(void **state)
{
    (void)state;
    NDIS_SPIN_LOCK l;
    NdisAllocateSpinLock(&l);
    NdisReleaseSpinLock(&l);
    EXPECT_FINDING(SHMF_KIND_SPINLOCK_RELEASE_NOT_OWNER);
}

static void spinlock_release_wrong_pair(void **state)
{
    (void)state;
    NDIS_SPIN_LOCK l;
    NdisAllocateSpinLock(&l);
    NdisAcquireSpinLock(&l);
    NdisDprReleaseSpinLock(&l);
    EXPECT_FINDING(SHMF_KIND_SPINLOCK_RELEASE_NOT_OWNER);
}

static void spinlock_dpr_at_passive(void **state)
{
    (void)state;
    NDIS_SPIN_LOCK l;
    NdisAllocateSpinLock(&l);
    NdisDprAcquireSpinLock(&l);
    EXPECT_FINDING(SHMF_KIND_SPINLOCK_DPR_BELOW_DISPATCH);
}

static void spinlock_acquire_above_dispatch(void **state)
{
    (void)state;
    NDIS_SPIN_LOCK l;
    NdisAllocateSpinLock(&l);
    shmf_rt_irql_set(CLOCK_LEVEL);
    NdisAcquireSpinLock(&l);
    EXPECT_FINDING(SHMF_KIND_IRQL_TOO_HIGH);
}

/* === Lists === */

static void list_double_remove(void **state)
{
    (void)state;
    LIST_ENTRY head, a, b;
    InitializeListHead(&head);
    InsertTailList(&head, &a);
    InsertTailList(&head, &b);
    RemoveEntryList(&a);
    EXPECT_NO_FINDING();
    a.Flink = &b; /* stale links: a is no longer on the list */
    RemoveEntryList(&a);
    EXPECT_FINDING(SHMF_KIND_LIST_CORRUPT);
}

/* A zeroed entry (never linked, or cleared after removal): each list routine
   reports it as list-corrupt instead of dereferencing the NULL link. */
static void list_null_links(void **state)
{
    (void)state;
    LIST_ENTRY head, zero = {0}, a;
    RemoveEntryList(&zero);
    EXPECT_FINDING(SHMF_KIND_LIST_CORRUPT);
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    head.Flink = head.Blink = NULL;
    assert_ptr_equal(RemoveHeadList(&head), &head);
    EXPECT_FINDING(SHMF_KIND_LIST_CORRUPT);
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    assert_ptr_equal(RemoveTailList(&head), &head);
    EXPECT_FINDING(SHMF_KIND_LIST_CORRUPT);
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    InsertTailList(&head, &a);
    EXPECT_FINDING(SHMF_KIND_LIST_CORRUPT);
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    InsertHeadList(&head, &a);
    EXPECT_FINDING(SHMF_KIND_LIST_CORRUPT);
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    InitializeListHead(&head);
    head.Flink = &zero; /* a neighbour whose links are NULL */
    assert_ptr_equal(RemoveHeadList(&head), &head);
    EXPECT_FINDING(SHMF_KIND_LIST_CORRUPT);
}

/* === Catalogue === */

static void catalogue_names_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < SHMF_KIND_COUNT; k++)
        assert_int_equal(shmf_kind_from_name(shmf_kind_name((enum shmf_kind)k)), k);
    assert_int_equal(shmf_kind_from_name("crash-heap-buffer-overflow"), SHMF_KIND_CRASH);
    assert_int_equal(shmf_kind_from_name("no-such-kind"), -1);
    assert_string_equal(shmf_kind_name(SHMF_KIND_SG_OVERLAP), "sg-overlap");
}

/* === Fault injection === */

static void fault_nth_is_deterministic(void **state)
{
    (void)state;
    struct shmf_fault_plan plan = {.fail_nth = 2};
    shmf_rt_set_fault_plan(&plan);
    void *a = NdisAllocateMemoryWithTagPriority(NULL, 16, 'tseT', NormalPoolPriority);
    void *b = NdisAllocateMemoryWithTagPriority(NULL, 16, 'tseT', NormalPoolPriority);
    void *c = NdisAllocateMemoryWithTagPriority(NULL, 16, 'tseT', NormalPoolPriority);
    assert_non_null(a);
    assert_null(b);
    assert_non_null(c);
    assert_int_equal(shmf_rt_faults_injected(), 1);
    NdisFreeMemoryWithTagPriority(NULL, a, 'tseT');
    NdisFreeMemoryWithTagPriority(NULL, c, 'tseT');
    EXPECT_NO_FINDING();
}

/* Fault-plan homes: attempts counted on several processors while the plan is
   idle still number the attempts of a plan set later, and a site one processor
   already used is not fresh for first_per_site on another. */
static __attribute__((noinline)) void *pool16(void) /* one call site */
{
    return NdisAllocateMemoryWithTagPriority(NULL, 16, 'tseT', NormalPoolPriority);
}

static void count_site(const struct shmf_fault_site *s, void *ud)
{
    (*(unsigned *)ud) += s->attempts;
}

static void count_sites(const struct shmf_fault_site *s, void *ud)
{
    (void)s;
    (*(unsigned *)ud)++;
}

/* A helper whose allocation call an optimizing build copies into every caller:
   one place in the source, two return addresses. */
static inline __attribute__((always_inline)) void *take16(void)
{
    return NdisAllocateMemoryWithTagPriority(NULL, 16, 'tseT', NormalPoolPriority);
}
static __attribute__((noinline)) void *take16_via_a(void)
{
    return take16();
}
static __attribute__((noinline)) void *take16_via_b(void)
{
    return take16();
}

/* first_per_site counts places in the source, not return addresses: the
   helper's call fails once, from whichever caller comes first, so an input
   fails the same allocations however the provider was compiled; another line
   is another site. */
static void fault_site_is_a_source_location(void **state)
{
    (void)state;
    unsigned nsites = 0;
    struct shmf_fault_plan plan = {.first_per_site = true};
    shmf_rt_set_fault_plan(&plan);
    void *a = take16_via_a();
    void *b = take16_via_b();
    void *c = pool16();
    assert_null(a);
    assert_non_null(b);
    assert_null(c);
    assert_int_equal(shmf_rt_faults_injected(), 2);
    shmf_rt_fault_sites(count_sites, &nsites);
    assert_int_equal(nsites, 2);
    shmf_rt_set_fault_plan(NULL);
    NdisFreeMemoryWithTagPriority(NULL, b, 'tseT');
    EXPECT_NO_FINDING();
}

static void fault_homes_count_across_processors(void **state)
{
    (void)state;
    void *p[8];
    unsigned site_attempts = 0;
    for (unsigned i = 0; i < 4; i++) {
        shmf_rt_cpu_attach(i * 20); /* homes 0, 20, 40, 60 */
        p[i] = pool16();
        assert_non_null(p[i]);
    }
    assert_int_equal(shmf_rt_alloc_attempts(), 4);
    shmf_rt_fault_sites(count_site, &site_attempts);
    assert_int_equal(site_attempts, 4);
    struct shmf_fault_plan plan = {.fail_nth = 6};
    shmf_rt_set_fault_plan(&plan);
    shmf_rt_cpu_attach(33);
    p[4] = pool16(); /* attempt 5 */
    p[5] = pool16(); /* attempt 6: fails */
    assert_non_null(p[4]);
    assert_null(p[5]);
    assert_int_equal(shmf_rt_alloc_attempts(), 6);
    assert_int_equal(shmf_rt_faults_injected(), 1);
    /* pool16's call site was seen by the homes: not fresh. */
    plan = (struct shmf_fault_plan){.first_per_site = true};
    shmf_rt_set_fault_plan(&plan);
    p[6] = pool16();
    assert_non_null(p[6]);
    shmf_rt_set_fault_plan(NULL);
    site_attempts = 0;
    shmf_rt_fault_sites(count_site, &site_attempts);
    assert_int_equal(site_attempts, 7);
    for (unsigned i = 0; i < 7; i++)
        if (p[i])
            NdisFreeMemoryWithTagPriority(NULL, p[i], 'tseT');
    shmf_rt_cpu_attach(0);
    EXPECT_NO_FINDING();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(irql_raise_lower_clean, shmf_test_setup),
        cmocka_unit_test_setup(irql_raise_to_lower_level, shmf_test_setup),
        cmocka_unit_test_setup(irql_lower_above_current, shmf_test_setup),
        cmocka_unit_test_setup(irql_lower_wrong_value, shmf_test_setup),
        cmocka_unit_test_setup(irql_too_high_for_routine, shmf_test_setup),
        cmocka_unit_test_setup(spinlock_clean, shmf_test_setup),
        cmocka_unit_test_setup(spinlock_recursive, shmf_test_setup),
        cmocka_unit_test_setup(spinlock_release_unheld, shmf_test_setup),
        cmocka_unit_test_setup(spinlock_release_wrong_pair, shmf_test_setup),
        cmocka_unit_test_setup(spinlock_dpr_at_passive, shmf_test_setup),
        cmocka_unit_test_setup(spinlock_acquire_above_dispatch, shmf_test_setup),
        cmocka_unit_test_setup(list_double_remove, shmf_test_setup),
        cmocka_unit_test_setup(list_null_links, shmf_test_setup),
        cmocka_unit_test_setup(catalogue_names_round_trip, shmf_test_setup),
        cmocka_unit_test_setup(fault_nth_is_deterministic, shmf_test_setup),
        cmocka_unit_test_setup(fault_homes_count_across_processors, shmf_test_setup),
        cmocka_unit_test_setup(fault_site_is_a_source_location, shmf_test_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
