/*
 * test_pages.c -- simulated physical memory and the Mm routines (rt_pages.c):
 * determinism, scattered vs contiguous PFNs, address translation, and one
 * finding per violation.  Only the use-after-free tests touch freed pages
 * (ASan-poisoned; canaries in every build).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rt_internal.h"

static const PHYSICAL_ADDRESS pa_zero = {.QuadPart = 0};
static const PHYSICAL_ADDRESS pa_max = {.QuadPart = -1};

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

static uint8_t *contig(SIZE_T n, uint64_t boundary, ULONG protect, NODE_REQUIREMENT node)
{
    PHYSICAL_ADDRESS b = {.QuadPart = (LONGLONG)boundary};
    return MmAllocateContiguousNodeMemory(n, pa_zero, pa_max, b, protect, node);
}

static uint8_t *contig_rw(SIZE_T n)
{
    return contig(n, 0, PAGE_READWRITE, MM_ANY_NODE_OK);
}

static PMDL mdl_alloc(SIZE_T n, ULONG flags)
{
    return MmAllocatePagesForMdlEx(pa_zero, pa_max, pa_zero, n, MmCached, flags);
}

static uint64_t phys(const void *va)
{
    return (uint64_t)MmGetPhysicalAddress((PVOID)va).QuadPart;
}

static void mdl_release(PMDL mdl)
{
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
}

/* === Contiguous memory === */

static void test_contig_alloc_free_clean(void **state)
{
    (void)state;
    uint8_t *va = contig_rw(3 * PAGE_SIZE);
    assert_non_null(va);
    assert_int_equal((uintptr_t)va % PAGE_SIZE, 0);
    memset(va, 0x5a, 3 * PAGE_SIZE);
    uint64_t la = phys(va);
    assert_true(la >= 0x100000000ull);
    assert_int_equal(la % PAGE_SIZE, 0);
    assert_int_equal(phys(va + 123), la + 123);
    assert_int_equal(phys(va + PAGE_SIZE + 7), la + PAGE_SIZE + 7);
    assert_int_equal(phys(va + 3 * PAGE_SIZE - 1), la + 3 * PAGE_SIZE - 1);
    assert_ptr_equal(shmf__logical_to_host(la + PAGE_SIZE + 9), va + PAGE_SIZE + 9);
    assert_true(shmf__logical_range_allocated(la, 3 * PAGE_SIZE));
    assert_int_equal(shmf__pages_live_count(), 1);
    MmFreeContiguousMemory(va);
    assert_int_equal(shmf__pages_live_count(), 0);
    shmf__pages_check_leaks();
    expect_clean();
}

static void test_freed_pages_state(void **state)
{
    (void)state;
    uint8_t *va = contig_rw(2 * PAGE_SIZE);
    uint64_t la = phys(va);
    MmFreeContiguousMemory(va);
    assert_int_equal(shmf__page_state(la), SHMF_PAGE_FREED);
    assert_int_equal(shmf__page_state(la + PAGE_SIZE), SHMF_PAGE_FREED);
    assert_null(shmf__logical_to_host(la));
    assert_false(shmf__logical_range_allocated(la, 1));
    assert_int_equal(phys(va), 0);
    assert_int_equal(shmf__page_state(0x1000), SHMF_PAGE_UNUSED);
    expect_clean();
}

/* A freed run is not handed out again while it is quarantined. */
static void test_quarantine_delays_reuse(void **state)
{
    (void)state;
    uint8_t *first = contig_rw(PAGE_SIZE);
    MmFreeContiguousMemory(first);
    for (int i = 0; i < 32; i++) {
        uint8_t *va = contig_rw(PAGE_SIZE);
        assert_ptr_not_equal(va, first);
        MmFreeContiguousMemory(va);
    }
    for (int i = 0; i < 200; i++)
        MmFreeContiguousMemory(contig_rw(PAGE_SIZE));
    expect_clean();
}

static void test_contig_boundary_respected(void **state)
{
    (void)state;
    uint8_t *pad = contig_rw(PAGE_SIZE);
    uint8_t *va = contig(0x3000, 0x4000, PAGE_READWRITE, MM_ANY_NODE_OK);
    assert_non_null(va);
    uint64_t la = phys(va);
    assert_int_equal(la / 0x4000, (la + 0x3000 - 1) / 0x4000);
    MmFreeContiguousMemory(va);
    MmFreeContiguousMemory(pad);
    expect_clean();
}

static void test_contig_nodes_and_sizes(void **state)
{
    (void)state;
    uint8_t *va = contig(PAGE_SIZE, 0, PAGE_READWRITE | PAGE_NOCACHE, 1);
    assert_non_null(va);
    MmFreeContiguousMemory(va);
    assert_null(contig(PAGE_SIZE, 0, PAGE_READWRITE, 2)); /* no node 2 */
    assert_null(contig_rw(0));
    assert_null(contig(0x3000, 0x2000, PAGE_READWRITE, MM_ANY_NODE_OK)); /* can't fit */
    expect_clean();
}

static void test_contig_low_memory_unavailable(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS below4g = {.QuadPart = 0xffffffffll};
    assert_null(MmAllocateContiguousNodeMemory(PAGE_SIZE, pa_zero, below4g, pa_zero, PAGE_READWRITE,
                                               MM_ANY_NODE_OK));
    expect_clean();
}

static void test_free_contig_at_dispatch(void **state)
{
    (void)state;
    uint8_t *va = contig_rw(PAGE_SIZE);
    shmf_rt_irql_set(DISPATCH_LEVEL);
    MmFreeContiguousMemory(va);
    shmf_rt_irql_set(PASSIVE_LEVEL);
    expect_clean();
}

/* === Determinism === */

struct trace {
    void *va[4];
    uint64_t la[4];
    PFN_NUMBER pfn[4];
};

static void run_sequence(struct trace *t)
{
    uint8_t *a = contig_rw(PAGE_SIZE);
    PMDL m = mdl_alloc(4 * PAGE_SIZE, 0);
    MmFreeContiguousMemory(a);
    uint8_t *b = contig_rw(2 * PAGE_SIZE);
    t->va[0] = a;
    t->va[1] = b;
    t->va[2] = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
    t->la[0] = phys(b);
    t->la[1] = phys(t->va[2]);
    memcpy(t->pfn, MmGetMdlPfnArray(m), sizeof(t->pfn));
}

static void test_determinism_across_resets(void **state)
{
    (void)state;
    struct trace t1, t2;
    memset(&t1, 0, sizeof(t1));
    memset(&t2, 0, sizeof(t2));
    run_sequence(&t1);
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    run_sequence(&t2);
    assert_memory_equal(&t1, &t2, sizeof(t1));
    expect_clean();
}

/* === MDLs === */

static void test_mdl_scattered(void **state)
{
    (void)state;
    PMDL mdl = mdl_alloc(8 * PAGE_SIZE + 100, 0);
    assert_non_null(mdl);
    assert_int_equal(MmGetMdlByteCount(mdl), 8 * PAGE_SIZE + 100);
    assert_null(mdl->StartVa);
    assert_int_equal(mdl->ByteOffset, 0);
    assert_int_equal(mdl->MdlFlags, MDL_PAGES_LOCKED);
    PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
    for (int i = 0; i + 1 < 9; i++) {
        assert_true(pfn[i] >= 0x100000);
        assert_true(pfn[i + 1] != pfn[i] + 1 && pfn[i + 1] + 1 != pfn[i]);
    }
    mdl_release(mdl);
    expect_clean();
}

static void test_mdl_contiguous_chunks(void **state)
{
    (void)state;
    PMDL mdl = mdl_alloc(4 * PAGE_SIZE, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
    assert_non_null(mdl);
    PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
    for (int i = 0; i + 1 < 4; i++)
        assert_int_equal(pfn[i + 1], pfn[i] + 1);
    mdl_release(mdl);
    expect_clean();
}

static void test_mdl_map_zeroed_and_translate(void **state)
{
    (void)state;
    PMDL mdl = mdl_alloc(3 * PAGE_SIZE, 0);
    uint8_t *va =
        MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    assert_non_null(va);
    assert_ptr_equal(mdl->MappedSystemVa, va);
    assert_true(mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    for (size_t i = 0; i < 3 * PAGE_SIZE; i++)
        assert_int_equal(va[i], 0);
    PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
    assert_int_equal(phys(va + PAGE_SIZE + 5), (pfn[1] << PAGE_SHIFT) + 5);
    assert_int_equal(phys(va + 2 * PAGE_SIZE), pfn[2] << PAGE_SHIFT);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), va);
    MmUnmapLockedPages(va, mdl);
    assert_int_equal(phys(va), 0); /* no longer mapped */
    assert_true(shmf__logical_range_allocated(pfn[0] << PAGE_SHIFT, PAGE_SIZE));
    mdl_release(mdl);
    assert_int_equal(shmf__pages_live_count(), 0);
    assert_int_equal(shmf__pool_live_count(), 0);
    expect_clean();
}

static void test_mdl_dont_zero_pattern(void **state)
{
    (void)state;
    PMDL mdl = mdl_alloc(PAGE_SIZE, MM_DONT_ZERO_ALLOCATION);
    uint8_t *va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
    assert_non_null(va);
    assert_int_not_equal(va[0], 0);
    assert_int_not_equal(va[63], 0); /* the pattern covers each page's head */
    mdl_release(mdl);
    expect_clean();
}

/* MmFreePagesFromMdl also releases a system mapping. */
static void test_mdl_free_releases_mapping(void **state)
{
    (void)state;
    PMDL mdl = mdl_alloc(PAGE_SIZE, 0);
    assert_non_null(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority));
    MmFreePagesFromMdl(mdl);
    assert_false(mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    ExFreePool(mdl);
    expect_clean();
}

struct chunks {
    uint64_t la[8];
    size_t n[8];
    int count;
};

static void collect(uint64_t la, size_t n, void *ud)
{
    struct chunks *c = ud;
    c->la[c->count] = la;
    c->n[c->count++] = n;
}

static void test_va_range_walk(void **state)
{
    (void)state;
    struct chunks c = {.count = 0};
    PMDL mdl = mdl_alloc(3 * PAGE_SIZE, 0);
    uint8_t *va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
    PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
    assert_true(shmf__va_range_for_each_page(va + 100, 2 * PAGE_SIZE, collect, &c));
    assert_int_equal(c.count, 3);
    assert_int_equal(c.la[0], (pfn[0] << PAGE_SHIFT) + 100);
    assert_int_equal(c.n[0], PAGE_SIZE - 100);
    assert_int_equal(c.la[1], pfn[1] << PAGE_SHIFT);
    assert_int_equal(c.n[1], PAGE_SIZE);
    assert_int_equal(c.la[2], pfn[2] << PAGE_SHIFT);
    assert_int_equal(c.n[2], 100);
    assert_false(shmf__va_range_for_each_page(va, 3 * PAGE_SIZE + 1, collect, &c));
    assert_int_equal(c.count, 3);
    mdl_release(mdl);
    expect_clean();
}

static void test_mdl_fault_injection(void **state)
{
    (void)state;
    struct shmf_fault_plan plan = {.fail_nth = 1};
    shmf_rt_set_fault_plan(&plan);
    assert_null(mdl_alloc(PAGE_SIZE, 0));
    PMDL mdl = mdl_alloc(PAGE_SIZE, 0);
    assert_non_null(mdl);
    mdl_release(mdl);
    expect_clean();
}

static void test_map_fault_injection(void **state)
{
    (void)state;
    struct shmf_fault_plan plan = {.fail_nth = 2};
    shmf_rt_set_fault_plan(&plan);
    PMDL mdl = mdl_alloc(PAGE_SIZE, 0);
    assert_non_null(mdl);
    assert_null(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority));
    assert_non_null(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority));
    mdl_release(mdl);
    expect_clean();
}

static void test_contig_fault_injection(void **state)
{
    (void)state;
    struct shmf_fault_plan plan = {.fail_nth = 1};
    shmf_rt_set_fault_plan(&plan);
    assert_null(contig_rw(PAGE_SIZE));
    assert_non_null(contig_rw(PAGE_SIZE));
    expect_clean();
}

/* === One violation, one finding === */

static void test_mdl_irql_dispatch(void **state)
{
    (void)state;
    shmf_rt_irql_set(DISPATCH_LEVEL);
    PMDL mdl = mdl_alloc(PAGE_SIZE, 0);
    shmf_rt_irql_set(PASSIVE_LEVEL);
    expect_one(SHMF_KIND_IRQL_TOO_HIGH);
    assert_non_null(strstr(shmf_rt_finding(0)->rule, "IrqlMmApcLte"));
    mdl_release(mdl);
}

static void test_mdl_free_irql_dispatch(void **state)
{
    (void)state;
    PMDL mdl = mdl_alloc(PAGE_SIZE, 0);
    shmf_rt_irql_set(DISPATCH_LEVEL);
    MmFreePagesFromMdl(mdl);
    shmf_rt_irql_set(PASSIVE_LEVEL);
    expect_one(SHMF_KIND_IRQL_TOO_HIGH);
    assert_non_null(strstr(shmf_rt_finding(0)->rule, "IrqlMmApcLte"));
}

static void test_contig_irql_too_high(void **state)
{
    (void)state;
    shmf_rt_irql_set(CLOCK_LEVEL);
    uint8_t *va = contig_rw(PAGE_SIZE);
    shmf_rt_irql_set(PASSIVE_LEVEL);
    expect_one(SHMF_KIND_IRQL_TOO_HIGH);
    MmFreeContiguousMemory(va);
}

static void test_contig_bad_protect(void **state)
{
    (void)state;
    assert_null(contig(PAGE_SIZE, 0, PAGE_READONLY, MM_ANY_NODE_OK));
    expect_one(SHMF_KIND_ROUTINE_MISUSE);
}

static void test_contig_bad_boundary(void **state)
{
    (void)state;
    assert_null(contig(PAGE_SIZE, 0x3000, PAGE_READWRITE, MM_ANY_NODE_OK));
    expect_one(SHMF_KIND_ROUTINE_MISUSE);
}

static void test_contig_double_free(void **state)
{
    (void)state;
    uint8_t *va = contig_rw(PAGE_SIZE);
    MmFreeContiguousMemory(va);
    MmFreeContiguousMemory(va);
    expect_one(SHMF_KIND_POOL_DOUBLE_FREE);
}

static void test_contig_free_unknown(void **state)
{
    (void)state;
    uint8_t local[8];
    MmFreeContiguousMemory(local);
    expect_one(SHMF_KIND_POOL_FREE_UNKNOWN);
}

static void test_contig_free_interior(void **state)
{
    (void)state;
    uint8_t *va = contig_rw(2 * PAGE_SIZE);
    MmFreeContiguousMemory(va + PAGE_SIZE);
    expect_one(SHMF_KIND_POOL_FREE_UNKNOWN);
}

static void test_mdl_bad_flags(void **state)
{
    (void)state;
    assert_null(mdl_alloc(PAGE_SIZE, 0x1000));
    expect_one(SHMF_KIND_ROUTINE_MISUSE);
}

static void test_mdl_pages_double_free(void **state)
{
    (void)state;
    PMDL mdl = mdl_alloc(PAGE_SIZE, 0);
    MmFreePagesFromMdl(mdl);
    MmFreePagesFromMdl(mdl);
    expect_one(SHMF_KIND_POOL_DOUBLE_FREE);
}

static void test_mdl_free_unknown(void **state)
{
    (void)state;
    struct {
        MDL mdl;
        PFN_NUMBER pfn[1];
    } fake;
    memset(&fake, 0, sizeof(fake));
    MmFreePagesFromMdl(&fake.mdl);
    expect_one(SHMF_KIND_POOL_FREE_UNKNOWN);
}

static void test_mdl_freed_before_pages(void **state)
{
    (void)state;
    PMDL mdl = mdl_alloc(PAGE_SIZE, 0);
    ExFreePool(mdl);
    expect_one(SHMF_KIND_ROUTINE_MISUSE);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "before its pages"));
}

static void test_mdl_second_mapping(void **state)
{
    (void)state;
    PMDL mdl = mdl_alloc(PAGE_SIZE, 0);
    PVOID a =
        MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    PVOID b =
        MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    assert_ptr_equal(a, b);
    expect_one(SHMF_KIND_ROUTINE_MISUSE);
}

static void test_map_bugcheck_on_failure(void **state)
{
    (void)state;
    PMDL mdl = mdl_alloc(PAGE_SIZE, 0);
    assert_non_null(
        MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, TRUE, NormalPagePriority));
    expect_one(SHMF_KIND_ROUTINE_MISUSE);
}

static void test_unmap_not_mapped(void **state)
{
    (void)state;
    PMDL mdl = mdl_alloc(PAGE_SIZE, 0);
    MmUnmapLockedPages((PVOID)0x1000, mdl);
    expect_one(SHMF_KIND_ROUTINE_MISUSE);
}

static void test_leak_contig(void **state)
{
    (void)state;
    assert_non_null(contig_rw(PAGE_SIZE));
    shmf__pages_check_leaks();
    expect_one(SHMF_KIND_LEAK_PAGES);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "allocated at 0x"));
}

static void test_leak_mdl_pages(void **state)
{
    (void)state;
    assert_non_null(mdl_alloc(PAGE_SIZE, 0));
    shmf__pages_check_leaks();
    expect_one(SHMF_KIND_LEAK_PAGES);
}

/* A write into a freed run's canary (under ASan: one that bypassed ASan,
   simulated by unpoisoning first) is found when the run leaves the quarantine. */
static void test_page_use_after_free_at_release(void **state)
{
    (void)state;
    uint8_t *va = contig_rw(PAGE_SIZE);
    MmFreeContiguousMemory(va);
    SHMF_UNPOISON(va, PAGE_SIZE);
    va[10] = 0; /* inside the per-page canary */
    SHMF_POISON(va, PAGE_SIZE);
    for (int i = 0; i < 100 && shmf_rt_finding_count() == 0; i++)
        MmFreeContiguousMemory(contig_rw(PAGE_SIZE));
    expect_one(SHMF_KIND_USE_AFTER_FREE);
}

/* A stale write into the head of a freed page (without ASan: anywhere in a
   run's first page) is found at unload even while the run is quarantined. */
static void test_page_use_after_free_at_unload(void **state)
{
    (void)state;
    uint8_t *va = contig_rw(3 * PAGE_SIZE);
    MmFreeContiguousMemory(va);
    SHMF_UNPOISON(va, 3 * PAGE_SIZE);
    va[PAGE_SIZE + 8] = 1; /* head of the second page */
    SHMF_POISON(va, 3 * PAGE_SIZE);
    shmf__pages_check_freed();
    expect_one(SHMF_KIND_USE_AFTER_FREE);
}

/* Unchanged canaries: no finding, and freed pages can be handed out again. */
static void test_page_freed_clean_at_unload(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++)
        MmFreeContiguousMemory(contig_rw((SIZE_T)(i % 5 + 1) * PAGE_SIZE));
    shmf__pages_check_freed();
    assert_int_equal(shmf_rt_finding_count(), 0);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_contig_alloc_free_clean),
        T(test_freed_pages_state),
        T(test_quarantine_delays_reuse),
        T(test_contig_boundary_respected),
        T(test_contig_nodes_and_sizes),
        T(test_contig_low_memory_unavailable),
        T(test_free_contig_at_dispatch),
        T(test_determinism_across_resets),
        T(test_mdl_scattered),
        T(test_mdl_contiguous_chunks),
        T(test_mdl_map_zeroed_and_translate),
        T(test_mdl_dont_zero_pattern),
        T(test_mdl_free_releases_mapping),
        T(test_va_range_walk),
        T(test_mdl_fault_injection),
        T(test_map_fault_injection),
        T(test_contig_fault_injection),
        T(test_mdl_irql_dispatch),
        T(test_mdl_free_irql_dispatch),
        T(test_contig_irql_too_high),
        T(test_contig_bad_protect),
        T(test_contig_bad_boundary),
        T(test_contig_double_free),
        T(test_contig_free_unknown),
        T(test_contig_free_interior),
        T(test_mdl_bad_flags),
        T(test_mdl_pages_double_free),
        T(test_mdl_free_unknown),
        T(test_mdl_freed_before_pages),
        T(test_mdl_second_mapping),
        T(test_map_bugcheck_on_failure),
        T(test_unmap_not_mapped),
        T(test_leak_contig),
        T(test_leak_mdl_pages),
        T(test_page_use_after_free_at_release),
        T(test_page_use_after_free_at_unload),
        T(test_page_freed_clean_at_unload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
