/*
 * test_layers.c -- the runtime's invariant checkers (shmf__<sub>_is_valid, run
 * together by shmf_rt_check_invariants): they hold after every kind of op,
 * clean or buggy, and the base checker sees a runtime lock held between ops.
 * Also the one SG-fits answer, shmf_rt_sg_list_fits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rt_shm.h"

#define TAG 0x74736554u /* 'Test' */

static const PHYSICAL_ADDRESS pa_zero = {.QuadPart = 0};
static const PHYSICAL_ADDRESS pa_max = {.QuadPart = -1};

/* Every checker, one by one (a failure names the table), then all together. */
static void assert_all_valid(void)
{
    assert_true(shmf__base_is_valid());
    assert_true(shmf__fault_is_valid());
    assert_true(shmf__pages_is_valid());
    assert_true(shmf__mdl_is_valid());
    assert_true(shmf__pool_is_valid());
    assert_true(shmf__queue_is_valid());
    assert_true(shmf__ovl_is_valid());
    assert_true(shmf__shm_is_valid());
    assert_true(shmf__guard_is_valid());
    assert_true(shmf_rt_check_invariants());
    shmf_rt_set_op_index(0); /* debug builds: runs them too (and aborts if bad) */
}

/* === A one-element provider: contiguous memory, one SG element === */

static NDIS_HANDLE tp_ndis;

static NDIS_STATUS tp_alloc(NDIS_HANDLE ctx, PNDIS_SHARED_MEMORY_PARAMETERS p, PNDIS_HANDLE out)
{
    (void)ctx;
    PSCATTER_GATHER_LIST sg = p->SGListBuffer;
    if (!sg || p->SGListBufferLength < sizeof(*sg) + sizeof(sg->Elements[0]))
        return NDIS_STATUS_RESOURCES;
    PVOID va = MmAllocateContiguousNodeMemory(ROUND_TO_PAGES(p->Length), pa_zero, pa_max, pa_zero,
                                              PAGE_READWRITE, MM_ANY_NODE_OK);
    if (!va)
        return NDIS_STATUS_RESOURCES;
    sg->NumberOfElements = 1;
    sg->Elements[0].Address = MmGetPhysicalAddress(va);
    sg->Elements[0].Length = p->Length;
    p->VirtualAddress = va;
    p->SharedMemoryHandle = va;
    *out = va;
    return NDIS_STATUS_SUCCESS;
}

static VOID tp_free(NDIS_HANDLE ctx, NDIS_HANDLE h)
{
    (void)ctx;
    MmFreeContiguousMemory(h);
}

static NDIS_STATUS tp_set_options(NDIS_HANDLE h, NDIS_HANDLE ctx)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS c;
    (void)ctx;
    tp_ndis = h;
    memset(&c, 0, sizeof(c));
    c.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    c.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.AllocateSharedMemoryHandler = tp_alloc;
    c.FreeSharedMemoryHandler = tp_free;
    return NdisSetOptionalHandlers(h, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&c);
}

static const struct shmf_provider tp = {"layers", tp_set_options, NULL, NULL};

static int setup(void **state)
{
    (void)state;
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    return 0;
}

/* An allocation through NdisAllocateSharedMemory with an SG buffer of sglen
   bytes; the handle, or NULL. */
static NDIS_HANDLE shm_alloc(ULONG queue, ULONG length, ULONG sglen)
{
    static unsigned char sgbuf[256];
    NDIS_SHARED_MEMORY_PARAMETERS p;
    NDIS_HANDLE h = NULL;
    memset(&p, 0, sizeof(p));
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NDIS_SHARED_MEMORY_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1;
    p.Usage = NdisSharedMemoryUsageReceive;
    p.Length = length;
    p.QueueId = queue;
    p.SGListBuffer = (PSCATTER_GATHER_LIST)sgbuf;
    p.SGListBufferLength = sglen;
    NdisAllocateSharedMemory(tp_ndis, &p, &h);
    return h;
}

/* === Tests === */

static void fresh_world_is_valid(void **state)
{
    (void)state;
    assert_all_valid();
    shmf_rt_release();
    assert_all_valid();
}

static void pool_ops_keep_invariants(void **state)
{
    (void)state;
    void *p[40];
    for (int i = 0; i < 40; i++) {
        p[i] = NdisAllocateMemoryWithTagPriority(NULL, 16u + 40u * (unsigned)i, TAG,
                                                 NormalPoolPriority);
        assert_non_null(p[i]);
    }
    assert_all_valid();
    for (int i = 0; i < 40; i += 2)
        NdisFreeMemoryWithTagPriority(NULL, p[i], TAG);
    assert_all_valid();
    NdisFreeMemoryWithTagPriority(NULL, p[0], TAG); /* double free: a finding */
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_all_valid();
    for (int i = 1; i < 40; i += 2)
        ExFreePool(p[i]);
    assert_all_valid();
}

static void pages_and_mdls_keep_invariants(void **state)
{
    (void)state;
    PVOID c = MmAllocateContiguousNodeMemory(3 * PAGE_SIZE, pa_zero, pa_max, pa_zero,
                                             PAGE_READWRITE, MM_ANY_NODE_OK);
    PMDL mdl = MmAllocatePagesForMdlEx(pa_zero, pa_max, pa_zero, 5 * PAGE_SIZE, MmCached, 0);
    assert_non_null(c);
    assert_non_null(mdl);
    assert_all_valid();
    assert_non_null(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority));
    assert_all_valid();
    ExFreePool(mdl); /* before its pages: a finding, refused */
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_all_valid();
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
    MmFreeContiguousMemory(c);
    assert_all_valid();
    MmFreeContiguousMemory(c); /* double free */
    assert_int_equal(shmf_rt_finding_count(), 2);
    assert_all_valid();
}

static void shared_memory_keeps_invariants(void **state)
{
    (void)state;
    NDIS_HANDLE h[6];
    ULONG sg1 = (ULONG)(sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT));
    assert_int_equal(shmf_rt_provider_load(&tp), 0);
    shmf_rt_queue_allocated(3);
    for (int i = 0; i < 6; i++) {
        h[i] = shm_alloc(i % 2 ? 3 : 0, 1000u + 3000u * (unsigned)i, sg1);
        assert_non_null(h[i]);
    }
    assert_int_equal(shmf_rt_block_count(), 6);
    assert_all_valid();
    for (int i = 0; i < 6; i += 2)
        NdisFreeSharedMemory(tp_ndis, h[i]);
    assert_all_valid();
    shmf_rt_queue_freed(3); /* blocks of queue 3 live: a finding */
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_all_valid();
    for (int i = 1; i < 6; i += 2)
        NdisFreeSharedMemory(tp_ndis, h[i]);
    assert_int_equal(shmf_rt_block_count(), 0);
    assert_all_valid();
    shmf_rt_provider_unload();
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_all_valid();
}

static void guarded_buffers_keep_invariants(void **state)
{
    (void)state;
    void *a = shmf_rt_guarded_alloc(100), *b = shmf_rt_guarded_alloc(5000);
    assert_non_null(a);
    assert_non_null(b);
    assert_all_valid();
    shmf_rt_guarded_free(a);
    shmf_rt_guarded_free(b);
    assert_all_valid();
}

static void base_sees_a_lock_held(void **state)
{
    (void)state;
    shmf__lock(SHMF_LK_GUARD);
    assert_false(shmf__base_is_valid());
    shmf__unlock(SHMF_LK_GUARD);
    assert_true(shmf__base_is_valid());
}

static void sg_list_fits_answers(void **state)
{
    (void)state;
    union {
        SCATTER_GATHER_LIST l;
        unsigned char b[sizeof(SCATTER_GATHER_LIST) + 4 * sizeof(SCATTER_GATHER_ELEMENT)];
    } u;
    ULONG count = 99, hdr = (ULONG)sizeof(SCATTER_GATHER_LIST);
    ULONG elem = (ULONG)sizeof(SCATTER_GATHER_ELEMENT);
    uint64_t need = 0;
    memset(&u, 0, sizeof(u));
    u.l.NumberOfElements = 3;
    assert_false(shmf_rt_sg_list_fits(&u.l, hdr - 1, &count, &need)); /* no header */
    assert_int_equal(count, 0);
    assert_int_equal(need, hdr);
    assert_false(shmf_rt_sg_list_fits(&u.l, hdr + 2 * elem, &count, &need));
    assert_int_equal(count, 3);
    assert_int_equal(need, hdr + 3 * elem);
    assert_true(shmf_rt_sg_list_fits(&u.l, hdr + 3 * elem, &count, NULL));
    u.l.NumberOfElements = 0xffffffffu; /* no overflow of the size computation */
    assert_false(shmf_rt_sg_list_fits(&u.l, (ULONG)sizeof(u), NULL, &need));
    assert_true(need > 0xffffffffull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(fresh_world_is_valid, setup),
        cmocka_unit_test_setup(pool_ops_keep_invariants, setup),
        cmocka_unit_test_setup(pages_and_mdls_keep_invariants, setup),
        cmocka_unit_test_setup(shared_memory_keeps_invariants, setup),
        cmocka_unit_test_setup(guarded_buffers_keep_invariants, setup),
        cmocka_unit_test_setup(base_sees_a_lock_held, setup),
        cmocka_unit_test(sg_list_fits_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
