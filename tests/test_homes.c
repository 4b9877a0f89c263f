/*
 * test_homes.c -- per-processor homes of the page allocator, the block table
 * and the overlap index (docs/stress.md, "Homes"): a block belongs to the
 * home of the processor that allocated it, and every check must still see it
 * from any other processor -- a free on another processor (clean, then a
 * double free), a leak, an overlap between blocks of different homes (one
 * after the other, and from threads racing to record the same memory), a
 * use after free of pages freed on another processor, and allocations that
 * need the pages other processors keep in their quarantines.  The invariant
 * checkers hold after each.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rt_shm.h"

static const PHYSICAL_ADDRESS pa_zero = {.QuadPart = 0};
static const PHYSICAL_ADDRESS pa_max = {.QuadPart = -1};

static void assert_all_valid(void)
{
    assert_true(shmf__pages_is_valid());
    assert_true(shmf__mdl_is_valid());
    assert_true(shmf__ovl_is_valid());
    assert_true(shmf__shm_is_valid());
    assert_true(shmf_rt_check_invariants());
}

static unsigned count_kind(enum shmf_kind k)
{
    unsigned n = 0;
    for (unsigned i = 0; i < shmf_rt_finding_count(); i++)
        n += shmf_rt_finding(i)->kind == k;
    return n;
}

/* === A provider: one contiguous SG element per block; or, with hp_reuse
   set, the memory at hp_reuse again (an overlapping block) under an odd
   context of its own; with hp_leak, a free handler that keeps the pages. === */

static NDIS_HANDLE hp_ndis;
static PVOID hp_reuse;
static bool hp_leak;
static _Thread_local uintptr_t hp_ctx_tag; /* per thread: distinct contexts */

static NDIS_STATUS hp_alloc(NDIS_HANDLE ctx, PNDIS_SHARED_MEMORY_PARAMETERS p, PNDIS_HANDLE out)
{
    (void)ctx;
    PSCATTER_GATHER_LIST sg = p->SGListBuffer;
    PVOID va = hp_reuse;
    if (!sg || p->SGListBufferLength < sizeof(*sg) + sizeof(sg->Elements[0]))
        return NDIS_STATUS_RESOURCES;
    if (!va)
        va = MmAllocateContiguousNodeMemory(ROUND_TO_PAGES(p->Length), pa_zero, pa_max, pa_zero,
                                            PAGE_READWRITE, MM_ANY_NODE_OK);
    if (!va)
        return NDIS_STATUS_RESOURCES;
    sg->NumberOfElements = 1;
    sg->Elements[0].Address = MmGetPhysicalAddress(va);
    sg->Elements[0].Length = p->Length;
    p->VirtualAddress = va;
    p->SharedMemoryHandle = va;
    *out = hp_reuse ? (NDIS_HANDLE)((uintptr_t)va + 1 + 2 * hp_ctx_tag) : va;
    return NDIS_STATUS_SUCCESS;
}

static VOID hp_free(NDIS_HANDLE ctx, NDIS_HANDLE h)
{
    (void)ctx;
    if (!hp_leak && !((uintptr_t)h & 1)) /* odd: the memory of another block */
        MmFreeContiguousMemory(h);
}

static NDIS_STATUS hp_set_options(NDIS_HANDLE h, NDIS_HANDLE ctx)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS c;
    (void)ctx;
    hp_ndis = h;
    memset(&c, 0, sizeof(c));
    c.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    c.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.AllocateSharedMemoryHandler = hp_alloc;
    c.FreeSharedMemoryHandler = hp_free;
    return NdisSetOptionalHandlers(h, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&c);
}

static const struct shmf_provider hp = {"homes", hp_set_options, NULL, NULL};

static NDIS_HANDLE shm_alloc(ULONG length)
{
    unsigned char sgbuf[sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT)];
    NDIS_SHARED_MEMORY_PARAMETERS p;
    NDIS_HANDLE h = NULL;
    memset(&p, 0, sizeof(p));
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NDIS_SHARED_MEMORY_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1;
    p.Usage = NdisSharedMemoryUsageReceive;
    p.Length = length;
    p.SGListBuffer = (PSCATTER_GATHER_LIST)sgbuf;
    p.SGListBufferLength = sizeof(sgbuf);
    NdisAllocateSharedMemory(hp_ndis, &p, &h);
    return h;
}

static int setup(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(0);
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    hp_reuse = NULL;
    hp_leak = false;
    assert_int_equal(shmf_rt_provider_load(&hp), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(0);
    hp_reuse = NULL;
    hp_leak = false;
    shmf_rt_release();
    return 0;
}

/* === Block table === */

static void shm_free_on_other_processor_is_clean(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(3);
    NDIS_HANDLE a = shm_alloc(5000), b = shm_alloc(300);
    assert_non_null(a);
    assert_non_null(b);
    shmf_rt_cpu_attach(0);
    NDIS_HANDLE c = shm_alloc(100);
    assert_non_null(c);
    assert_int_equal(shmf_rt_block_count(), 3);
    assert_all_valid();
    shmf_rt_cpu_attach(9); /* frees blocks of homes 3 and 0 */
    NdisFreeSharedMemory(hp_ndis, a);
    NdisFreeSharedMemory(hp_ndis, c);
    shmf_rt_cpu_attach(63);
    NdisFreeSharedMemory(hp_ndis, b);
    assert_int_equal(shmf_rt_block_count(), 0);
    assert_all_valid();
    shmf_rt_cpu_attach(0);
    shmf_rt_provider_unload();
    assert_int_equal(shmf_rt_finding_count(), 0);
    assert_all_valid();
}

static void shm_double_free_from_two_other_processors(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(3);
    NDIS_HANDLE a = shm_alloc(5000);
    assert_non_null(a);
    shmf_rt_cpu_attach(9);
    NdisFreeSharedMemory(hp_ndis, a);
    assert_int_equal(shmf_rt_finding_count(), 0);
    shmf_rt_cpu_attach(12);
    NdisFreeSharedMemory(hp_ndis, a);
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_POOL_FREE_UNKNOWN);
    assert_int_equal(shmf_rt_finding(0)->object, (uint64_t)(uintptr_t)a);
    assert_all_valid();
}

static void shm_leak_of_a_block_freed_on_another_processor(void **state)
{
    (void)state;
    hp_leak = true; /* the free handler keeps the pages */
    shmf_rt_cpu_attach(5);
    NDIS_HANDLE a = shm_alloc(5000);
    assert_non_null(a);
    shmf_rt_cpu_attach(6);
    NdisFreeSharedMemory(hp_ndis, a);
    shmf_rt_cpu_attach(0);
    shmf_rt_provider_unload();
    assert_true(shmf_rt_finding_count() >= 1);
    assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_LEAK_SHARED_MEMORY);
    assert_int_equal(shmf_rt_finding(0)->object, (uint64_t)(uintptr_t)a);
    assert_int_equal(count_kind(SHMF_KIND_LEAK_PAGES), 1); /* and the pages of home 5 */
}

static void shm_overlap_across_homes(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(1);
    NDIS_HANDLE a = shm_alloc(3 * PAGE_SIZE);
    struct shmf_block_info ai;
    assert_non_null(a);
    assert_true(shmf_rt_block_find(a, &ai));
    shmf_rt_cpu_attach(2);
    hp_reuse = (uint8_t *)ai.virtual_address + PAGE_SIZE; /* inside block a */
    assert_null(shm_alloc(100));
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_BLOCK_OVERLAP);
    assert_int_equal(shmf_rt_block_count(), 1); /* the refused block is not recorded */
    assert_all_valid();
    hp_reuse = NULL;
    NDIS_HANDLE b = shm_alloc(100); /* a fresh block on processor 2 is fine */
    assert_non_null(b);
    assert_int_equal(shmf_rt_finding_count(), 1);
    shmf_rt_cpu_attach(40);
    NdisFreeSharedMemory(hp_ndis, a);
    NdisFreeSharedMemory(hp_ndis, b);
    assert_all_valid();
}

/* Threads on processors 1..T record blocks over the same memory at once:
   whatever the interleaving, at most one is recorded and every other is a
   block-overlap finding (the later of two to count a page sees the other). */
#define RACE_THREADS 4
#define RACE_ROUNDS 40

static pthread_barrier_t race_barrier;
static NDIS_HANDLE race_handle[RACE_THREADS];

static void *race_thread(void *arg)
{
    unsigned i = (unsigned)(uintptr_t)arg;
    shmf_rt_cpu_attach(1 + i);
    hp_ctx_tag = i;
    pthread_barrier_wait(&race_barrier);
    race_handle[i] = shm_alloc(2 * PAGE_SIZE);
    return NULL;
}

static void shm_overlap_race_between_homes(void **state)
{
    (void)state;
    pthread_t t[RACE_THREADS];
    unsigned overlaps = 0;
    for (unsigned r = 0; r < RACE_ROUNDS; r++) {
        PVOID mem = MmAllocateContiguousNodeMemory(2 * PAGE_SIZE, pa_zero, pa_max, pa_zero,
                                                   PAGE_READWRITE, MM_ANY_NODE_OK);
        assert_non_null(mem);
        hp_reuse = mem;
        pthread_barrier_init(&race_barrier, NULL, RACE_THREADS);
        for (unsigned i = 0; i < RACE_THREADS; i++)
            assert_int_equal(pthread_create(&t[i], NULL, race_thread, (void *)(uintptr_t)i), 0);
        for (unsigned i = 0; i < RACE_THREADS; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&race_barrier);
        unsigned recorded = 0;
        for (unsigned i = 0; i < RACE_THREADS; i++)
            recorded += race_handle[i] != NULL;
        assert_true(recorded <= 1);
        overlaps += RACE_THREADS - recorded;
        assert_int_equal(count_kind(SHMF_KIND_BLOCK_OVERLAP), overlaps);
        assert_int_equal(shmf_rt_block_count(), recorded);
        assert_all_valid();
        for (unsigned i = 0; i < RACE_THREADS; i++)
            if (race_handle[i])
                NdisFreeSharedMemory(hp_ndis, race_handle[i]);
        MmFreeContiguousMemory(mem);
        shmf_rt_clear_findings();
        overlaps = 0;
        assert_all_valid();
    }
}

/* === Page allocator === */

static PVOID contig(uint32_t pages)
{
    return MmAllocateContiguousNodeMemory((SIZE_T)pages * PAGE_SIZE, pa_zero, pa_max, pa_zero,
                                          PAGE_READWRITE, MM_ANY_NODE_OK);
}

static void pages_free_on_other_processor(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(7);
    PVOID c = contig(3);
    PMDL mdl = MmAllocatePagesForMdlEx(pa_zero, pa_max, pa_zero, 5 * PAGE_SIZE, MmCached, 0);
    assert_non_null(c);
    assert_non_null(mdl);
    assert_int_equal(shmf__pages_live_count(), 2);
    shmf_rt_cpu_attach(8);
    MmFreeContiguousMemory(c);
    MmFreePagesFromMdl(mdl);
    shmf_rt_cpu_attach(9);
    ExFreePool(mdl);
    assert_int_equal(shmf__pages_live_count(), 0);
    assert_int_equal(shmf_rt_finding_count(), 0);
    assert_all_valid();
    shmf_rt_cpu_attach(10);
    MmFreeContiguousMemory(c); /* again, from a third processor */
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_POOL_DOUBLE_FREE);
    MmFreePagesFromMdl(mdl); /* the MDL is gone too */
    assert_int_equal(shmf_rt_finding_count(), 2);
    assert_int_equal(shmf_rt_finding(1)->kind, SHMF_KIND_POOL_DOUBLE_FREE);
    assert_all_valid();
}

static void pages_leak_in_other_homes(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(40);
    PVOID c = contig(2);
    assert_non_null(c);
    shmf_rt_cpu_attach(63);
    PMDL mdl = MmAllocatePagesForMdlEx(pa_zero, pa_max, pa_zero, PAGE_SIZE, MmCached, 0);
    assert_non_null(mdl);
    shmf_rt_cpu_attach(0);
    shmf__pages_check_leaks();
    assert_int_equal(shmf_rt_finding_count(), 2);
    assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_LEAK_PAGES);
    assert_int_equal(shmf_rt_finding(0)->object, (uint64_t)(uintptr_t)c);
    assert_int_equal(shmf_rt_finding(1)->kind, SHMF_KIND_LEAK_PAGES);
    assert_int_equal(shmf_rt_finding(1)->object, (uint64_t)(uintptr_t)mdl);
    assert_all_valid();
}

__attribute__((no_sanitize("address"))) static void stale_write(volatile uint8_t *p)
{
    *p = 0x11;
}

static void pages_use_after_free_in_another_quarantine(void **state)
{
    (void)state;
    shmf_rt_cpu_attach(1);
    uint8_t *c = contig(2);
    assert_non_null(c);
    shmf_rt_cpu_attach(2);
    MmFreeContiguousMemory(c); /* into processor 2's quarantine */
    stale_write(c + 8);
    shmf_rt_cpu_attach(0);
    shmf__pages_check_freed();
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_USE_AFTER_FREE);
    assert_int_equal(shmf_rt_finding(0)->object, (uint64_t)(uintptr_t)(c + 8));
}

/* Each home may quarantine up to 2048 pages; eight processors freeing 2048
   pages each hold more than the contiguous zone (8192): an allocation that
   finds no run releases the others' quarantines instead of failing. */
static void pages_other_quarantines_released_when_full(void **state)
{
    (void)state;
    for (unsigned cpu = 1; cpu <= 8; cpu++) {
        shmf_rt_cpu_attach(cpu);
        PVOID c = contig(2048);
        assert_non_null(c);
        MmFreeContiguousMemory(c);
        assert_all_valid();
    }
    assert_int_equal(shmf_rt_finding_count(), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(shm_free_on_other_processor_is_clean),
        T(shm_double_free_from_two_other_processors),
        T(shm_leak_of_a_block_freed_on_another_processor),
        T(shm_overlap_across_homes),
        T(shm_overlap_race_between_homes),
        T(pages_free_on_other_processor),
        T(pages_leak_in_other_homes),
        T(pages_use_after_free_in_another_quarantine),
        T(pages_other_quarantines_released_when_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
