/*
 * test_verifier.c -- negative tests for the shared-memory contract: a test
 * provider that misbehaves in exactly one way per test, and the finding kind
 * the runtime must report for it (KFENCE-style expect_report, STYLE.md item 20).
 */
#include <ndis.h>
#include <string.h>

#include "crash.h"
#include "exec.h"
#include "shmf_test.h"

/* === A provider with one switchable misbehaviour === */

enum misbehave {
    MB_NONE,
    MB_STATUS_PENDING,
    MB_NO_VA,
    MB_WRITE_ON_FAIL,
    MB_SG_TAIL_ON_FAIL,
    MB_FAIL_CLEAN,
    MB_DUP_CONTEXT,
    MB_SG_COUNT_BIG,
    MB_SG_SHORT,
    MB_SG_OUTSIDE,
    MB_SG_OVERLAP,
    MB_NOT_CONTIG,
    MB_SAME_VA,
    MB_KEEP_PAGES,
    MB_LOCK_HELD,
    MB_IRQL_RAISED,
    MB_BAD_HEADER,
    MB_NO_FREE_HANDLER,
    MB_NO_REGISTER,
};

static enum misbehave mode;
static NDIS_SPIN_LOCK tp_lock;
static PVOID last_va;

typedef struct {
    PVOID va;
    ULONG length;
} TP_BLOCK;

static TP_BLOCK tp_blocks[8];
static unsigned tp_next;

static PHYSICAL_ADDRESS pa(LONGLONG v)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = v;
    return a;
}

static void tp_fill_sg(PNDIS_SHARED_MEMORY_PARAMETERS P, PVOID va)
{
    PSCATTER_GATHER_LIST sg = P->SGListBuffer;
    ULONG pages = (ULONG)BYTES_TO_PAGES(P->Length);
    sg->NumberOfElements = pages;
    for (ULONG i = 0; i < pages; i++) {
        sg->Elements[i].Address = MmGetPhysicalAddress((PUCHAR)va + i * PAGE_SIZE);
        sg->Elements[i].Length = i + 1 < pages ? PAGE_SIZE : P->Length - i * PAGE_SIZE;
        sg->Elements[i].Reserved = 0;
    }
}

/* Misbehaviours that change the SG list after a correct fill. */
static void tp_break_sg(PNDIS_SHARED_MEMORY_PARAMETERS P)
{
    PSCATTER_GATHER_LIST sg = P->SGListBuffer;
    SCATTER_GATHER_ELEMENT e0 = sg->Elements[0];
    switch (mode) {
    case MB_SG_COUNT_BIG: sg->NumberOfElements = 100000; break;
    case MB_SG_SHORT: sg->Elements[sg->NumberOfElements - 1].Length -= 1; break;
    case MB_SG_OUTSIDE: sg->Elements[0].Address.QuadPart += 64 * PAGE_SIZE; break;
    case MB_SG_OVERLAP: sg->Elements[1].Address = e0.Address; break;
    case MB_NOT_CONTIG:
        sg->Elements[0] = sg->Elements[1];
        sg->Elements[1] = e0;
        break;
    default: break;
    }
}

static NDIS_STATUS tp_allocate(NDIS_HANDLE Ctx, PNDIS_SHARED_MEMORY_PARAMETERS P, PNDIS_HANDLE pCtx)
{
    (void)Ctx;
    if (mode == MB_STATUS_PENDING)
        return NDIS_STATUS_PENDING;
    if (mode == MB_WRITE_ON_FAIL) {
        P->VirtualAddress = (PVOID)0x1000;
        return NDIS_STATUS_RESOURCES;
    }
    if (mode == MB_SG_TAIL_ON_FAIL) /* the SG buffer's last byte: past every whole word */
        ((UCHAR *)P->SGListBuffer)[P->SGListBufferLength - 1] = 0;
    if (mode == MB_SG_TAIL_ON_FAIL || mode == MB_FAIL_CLEAN)
        return NDIS_STATUS_RESOURCES;
    PVOID va = MmAllocateContiguousNodeMemory(ROUND_TO_PAGES(P->Length), pa(0), pa(-1), pa(0),
                                              PAGE_READWRITE, MM_ANY_NODE_OK);
    if (!va)
        return NDIS_STATUS_RESOURCES;
    TP_BLOCK *b = &tp_blocks[tp_next++ % 8];
    b->va = va;
    b->length = P->Length;
    if (mode == MB_SAME_VA && last_va) {
        MmFreeContiguousMemory(va);
        b->va = va = last_va;
    }
    tp_fill_sg(P, va);
    tp_break_sg(P);
    P->VirtualAddress = mode == MB_NO_VA ? NULL : va;
    P->SharedMemoryHandle = b;
    *pCtx = mode == MB_DUP_CONTEXT ? (NDIS_HANDLE)&tp_blocks[0] : b;
    last_va = va;
    if (mode == MB_LOCK_HELD)
        NdisAcquireSpinLock(&tp_lock);
    if (mode == MB_IRQL_RAISED) {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
    }
    return NDIS_STATUS_SUCCESS;
}

static VOID tp_free(NDIS_HANDLE Ctx, NDIS_HANDLE BlockCtx)
{
    (void)Ctx;
    TP_BLOCK *b = BlockCtx;
    if (mode != MB_KEEP_PAGES && mode != MB_SAME_VA)
        MmFreeContiguousMemory(b->va);
}

static NDIS_STATUS tp_set_options(NDIS_HANDLE h, NDIS_HANDLE dc)
{
    (void)dc;
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS c;
    memset(&c, 0, sizeof(c));
    c.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    c.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.AllocateSharedMemoryHandler = tp_allocate;
    c.FreeSharedMemoryHandler = mode == MB_NO_FREE_HANDLER ? NULL : tp_free;
    if (mode == MB_BAD_HEADER)
        c.Header.Size = 0x10;
    NdisAllocateSpinLock(&tp_lock);
    if (mode == MB_NO_REGISTER)
        return NDIS_STATUS_SUCCESS;
    return NdisSetOptionalHandlers(h, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&c);
}

static const struct shmf_provider tp = {"test", tp_set_options, NULL, NULL};

/* === Miniport side === */

static NDIS_STATUS miniport_alloc(ULONG length, ULONG flags, ULONG queue, NDIS_HANDLE *h)
{
    NDIS_SHARED_MEMORY_PARAMETERS p;
    memset(&p, 0, sizeof(p));
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2;
    p.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2;
    p.Flags = flags;
    p.QueueId = queue;
    p.PreferredNode = MM_ANY_NODE_OK;
    p.Usage = NdisSharedMemoryUsageReceive;
    p.Length = length;
    p.SGListBufferLength = sizeof(SCATTER_GATHER_LIST) + 8 * sizeof(SCATTER_GATHER_ELEMENT);
    p.SGListBuffer = shmf_rt_guarded_alloc(p.SGListBufferLength);
    PNDIS_SHARED_MEMORY_PARAMETERS g = shmf_rt_guarded_alloc(p.Header.Size);
    memcpy(g, &p, p.Header.Size);
    NDIS_STATUS st = NdisAllocateSharedMemory(shmf_rt_driver_handle(), g, h);
    shmf_rt_guarded_free(p.SGListBuffer);
    shmf_rt_guarded_free(g);
    return st;
}

static int setup_mode(enum misbehave m)
{
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    mode = m;
    last_va = NULL;
    tp_next = 0;
    return shmf_rt_provider_load(&tp);
}

static void alloc_twice_expect(enum misbehave m, ULONG flags, enum shmf_kind want)
{
    NDIS_HANDLE h1 = NULL, h2 = NULL;
    assert_int_equal(setup_mode(m), 0);
    miniport_alloc(2 * PAGE_SIZE, flags, 0, &h1);
    if (shmf_rt_finding_count() == 0)
        miniport_alloc(2 * PAGE_SIZE, flags, 0, &h2);
    EXPECT_FINDING(want);
}

/* === Tests === */

static void clean_provider_has_no_findings(void **state)
{
    (void)state;
    NDIS_HANDLE h1, h2;
    assert_int_equal(setup_mode(MB_NONE), 0);
    assert_int_equal(miniport_alloc(3 * PAGE_SIZE, 0, 0, &h1), NDIS_STATUS_SUCCESS);
    assert_int_equal(miniport_alloc(100, NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS, 0, &h2),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(shmf_rt_block_count(), 2);
    NdisFreeSharedMemory(shmf_rt_driver_handle(), h1);
    NdisFreeSharedMemory(shmf_rt_driver_handle(), h2);
    shmf_rt_provider_unload();
    EXPECT_NO_FINDING();
}

static void bad_queue_is_rejected_by_ndis(void **state)
{
    (void)state;
    NDIS_HANDLE h;
    assert_int_equal(setup_mode(MB_NONE), 0);
    assert_int_equal(miniport_alloc(PAGE_SIZE, 0, 5, &h), NDIS_STATUS_INVALID_PARAMETER);
    assert_null(h);
    EXPECT_NO_FINDING();
}

static void status_invalid(void **s)
{
    (void)s;
    alloc_twice_expect(MB_STATUS_PENDING, 0, SHMF_KIND_ALLOC_STATUS_INVALID);
}
static void output_missing(void **s)
{
    (void)s;
    alloc_twice_expect(MB_NO_VA, 0, SHMF_KIND_ALLOC_OUTPUT_MISSING);
}
static void wrote_on_failure(void **s)
{
    (void)s;
    alloc_twice_expect(MB_WRITE_ON_FAIL, 0, SHMF_KIND_ALLOC_WROTE_ON_FAILURE);
}
static void wrote_sg_buffer_tail_on_failure(void **s)
{
    (void)s;
    alloc_twice_expect(MB_SG_TAIL_ON_FAIL, 0, SHMF_KIND_ALLOC_WROTE_ON_FAILURE);
}
static void failure_without_writes_is_clean(void **s)
{
    (void)s;
    NDIS_HANDLE h;
    assert_int_equal(setup_mode(MB_FAIL_CLEAN), 0);
    assert_int_equal(miniport_alloc(2 * PAGE_SIZE, 0, 0, &h), NDIS_STATUS_RESOURCES);
    assert_null(h);
    EXPECT_NO_FINDING();
}
static void context_duplicate(void **s)
{
    (void)s;
    alloc_twice_expect(MB_DUP_CONTEXT, 0, SHMF_KIND_ALLOC_CONTEXT_DUPLICATE);
}
static void sg_buffer_overflow(void **s)
{
    (void)s;
    alloc_twice_expect(MB_SG_COUNT_BIG, 0, SHMF_KIND_SG_BUFFER_OVERFLOW);
}
static void sg_length_mismatch(void **s)
{
    (void)s;
    alloc_twice_expect(MB_SG_SHORT, 0, SHMF_KIND_SG_LENGTH_MISMATCH);
}
static void sg_out_of_block(void **s)
{
    (void)s;
    alloc_twice_expect(MB_SG_OUTSIDE, 0, SHMF_KIND_SG_ELEMENT_OUT_OF_BLOCK);
}
static void sg_overlap(void **s)
{
    (void)s;
    alloc_twice_expect(MB_SG_OVERLAP, 0, SHMF_KIND_SG_OVERLAP);
}
static void contiguous_violated(void **s)
{
    (void)s;
    alloc_twice_expect(MB_NOT_CONTIG, NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS,
                       SHMF_KIND_CONTIGUOUS_VIOLATED);
}
static void block_overlap(void **s)
{
    (void)s;
    alloc_twice_expect(MB_SAME_VA, 0, SHMF_KIND_BLOCK_OVERLAP);
}
static void spinlock_held_on_return(void **s)
{
    (void)s;
    alloc_twice_expect(MB_LOCK_HELD, 0, SHMF_KIND_SPINLOCK_HELD_ON_RETURN);
}
static void handler_irql_not_restored(void **s)
{
    (void)s;
    alloc_twice_expect(MB_IRQL_RAISED, 0, SHMF_KIND_IRQL_NOT_RESTORED);
}

static void register_invalid_header(void **state)
{
    (void)state;
    assert_int_not_equal(setup_mode(MB_BAD_HEADER), 0);
    EXPECT_FINDING(SHMF_KIND_REGISTER_INVALID_HEADER);
}

static void register_missing_handler(void **state)
{
    (void)state;
    assert_int_not_equal(setup_mode(MB_NO_FREE_HANDLER), 0);
    EXPECT_FINDING(SHMF_KIND_REGISTER_MISSING_HANDLER);
    assert_int_not_equal(setup_mode(MB_NO_REGISTER), 0);
    EXPECT_FINDING(SHMF_KIND_REGISTER_MISSING_HANDLER);
}

static void leak_shared_memory(void **state)
{
    (void)state;
    NDIS_HANDLE h;
    assert_int_equal(setup_mode(MB_KEEP_PAGES), 0);
    assert_int_equal(miniport_alloc(PAGE_SIZE, 0, 0, &h), NDIS_STATUS_SUCCESS);
    NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
    EXPECT_NO_FINDING();
    shmf_rt_provider_unload();
    EXPECT_FINDING(SHMF_KIND_LEAK_SHARED_MEMORY);
}

/* === DMA and queues === */

static uint64_t block_la(NDIS_HANDLE h)
{
    struct shmf_block_info b;
    assert_true(shmf_rt_block_find(h, &b));
    return (uint64_t)b.sg[0].Address.QuadPart;
}

static void dma_clean_and_out_of_block(void **state)
{
    (void)state;
    NDIS_HANDLE h;
    char buf[64] = {1};
    assert_int_equal(setup_mode(MB_NONE), 0);
    assert_int_equal(miniport_alloc(PAGE_SIZE, 0, 0, &h), NDIS_STATUS_SUCCESS);
    assert_int_equal(shmf_rt_dma_write(0, block_la(h) + 100, buf, sizeof(buf)), 0);
    assert_int_equal(shmf_rt_dma_read(0, block_la(h) + 100, buf, sizeof(buf)), 0);
    EXPECT_NO_FINDING();
    assert_int_not_equal(shmf_rt_dma_write(0, block_la(h) + PAGE_SIZE - 8, buf, 64), 0);
    EXPECT_FINDING(SHMF_KIND_DMA_OUT_OF_BLOCK);
}

static void dma_into_other_queue(void **state)
{
    (void)state;
    NDIS_HANDLE h;
    char buf[8] = {0};
    assert_int_equal(setup_mode(MB_NONE), 0);
    shmf_rt_queue_allocated(1);
    assert_int_equal(miniport_alloc(PAGE_SIZE, 0, 0, &h), NDIS_STATUS_SUCCESS);
    assert_int_not_equal(shmf_rt_dma_write(1, block_la(h), buf, sizeof(buf)), 0);
    EXPECT_FINDING(SHMF_KIND_DMA_OUT_OF_BLOCK);
}

static void dma_to_freed_memory(void **state)
{
    (void)state;
    NDIS_HANDLE h;
    char buf[8] = {0};
    assert_int_equal(setup_mode(MB_NONE), 0);
    assert_int_equal(miniport_alloc(PAGE_SIZE, 0, 0, &h), NDIS_STATUS_SUCCESS);
    uint64_t la = block_la(h);
    NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
    assert_int_not_equal(shmf_rt_dma_write(0, la, buf, sizeof(buf)), 0);
    EXPECT_FINDING(SHMF_KIND_DMA_TO_FREED_MEMORY);
}

static void dma_after_stop(void **state)
{
    (void)state;
    NDIS_HANDLE h;
    char buf[8] = {0};
    assert_int_equal(setup_mode(MB_NONE), 0);
    assert_int_equal(miniport_alloc(PAGE_SIZE, 0, 0, &h), NDIS_STATUS_SUCCESS);
    shmf_rt_queue_dma_stop(0, true);
    assert_int_not_equal(shmf_rt_dma_write(0, block_la(h), buf, sizeof(buf)), 0);
    EXPECT_FINDING(SHMF_KIND_DMA_AFTER_STOP);
}

/* A burst checks each transfer (the second lands past the block: refused,
   dma-out-of-block, the burst stops there and reports one done), writes each
   transfer's two segments back to back, and the fast path (checks off) moves
   the same bytes. */
static void dma_in_burst(void **state)
{
    (void)state;
    NDIS_HANDLE h;
    char head[5], body[59], back[64] = {0}, want[64], mark = 0x11;
    memset(head, 0x5a, sizeof(head));
    memset(body, 0xa5, sizeof(body));
    memcpy(want, head, sizeof(head));
    memcpy(want + sizeof(head), body, sizeof(body));
    assert_int_equal(setup_mode(MB_NONE), 0);
    assert_int_equal(miniport_alloc(PAGE_SIZE, 0, 0, &h), NDIS_STATUS_SUCCESS);
    struct shmf_dma_xfer x[3] = {
        {block_la(h) + 100, {{head, sizeof(head)}, {body, sizeof(body)}}},
        {block_la(h) + PAGE_SIZE - 8, {{head, sizeof(head)}, {body, sizeof(body)}}},
        {block_la(h) + 300, {{head, sizeof(head)}, {body, sizeof(body)}}},
    };
    assert_int_equal(shmf_rt_dma_write(0, block_la(h) + 300, &mark, 1), 0);
    assert_int_equal(shmf_rt_dma_write_burst(0, x, 3), 1);
    assert_int_equal(shmf_rt_dma_read(0, block_la(h) + 100, back, sizeof(back)), 0);
    assert_memory_equal(back, want, sizeof(want));
    assert_int_equal(shmf_rt_dma_read(0, block_la(h) + 300, back, 1), 0);
    assert_int_equal(back[0], mark); /* the burst stopped at the refused transfer */
    EXPECT_FINDING(SHMF_KIND_DMA_OUT_OF_BLOCK);
    shmf_rt_reset(0, NULL); /* checks off: the fast path */
    tp_next = 0;
    assert_int_equal(shmf_rt_provider_load(&tp), 0);
    assert_int_equal(miniport_alloc(PAGE_SIZE, 0, 0, &h), NDIS_STATUS_SUCCESS);
    memset(back, 0, sizeof(back));
    x[0].la = block_la(h) + 200;
    assert_int_equal(shmf_rt_dma_write_burst(0, x, 1), 1);
    assert_int_equal(shmf_rt_dma_read(0, block_la(h) + 200, back, sizeof(back)), 0);
    assert_memory_equal(back, want, sizeof(want));
    EXPECT_NO_FINDING();
}

static void queue_freed_with_memory(void **state)
{
    (void)state;
    NDIS_HANDLE h;
    assert_int_equal(setup_mode(MB_NONE), 0);
    shmf_rt_queue_allocated(3);
    assert_int_equal(miniport_alloc(PAGE_SIZE, 0, 3, &h), NDIS_STATUS_SUCCESS);
    shmf_rt_queue_freed(3);
    EXPECT_FINDING(SHMF_KIND_QUEUE_FREED_WITH_MEMORY);
}

/* === Crash classification === */

static void crash_in_params_block_is_params_out_of_bounds(void **state)
{
    (void)state;
    struct shmf_finding f;
    shmf_crash_classify(0x1234, "SEGV", &f);
    assert_int_equal(f.kind, SHMF_KIND_CRASH);
    assert_string_equal(f.detail, "SEGV");
    shmf_crash_classify(0x1234, "heap-use-after-free", &f);
    assert_int_equal(f.kind, SHMF_KIND_USE_AFTER_FREE);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(clean_provider_has_no_findings),
        T(bad_queue_is_rejected_by_ndis),
        T(status_invalid),
        T(output_missing),
        T(wrote_on_failure),
        T(wrote_sg_buffer_tail_on_failure),
        T(failure_without_writes_is_clean),
        T(context_duplicate),
        T(sg_buffer_overflow),
        T(sg_length_mismatch),
        T(sg_out_of_block),
        T(sg_overlap),
        T(contiguous_violated),
        T(block_overlap),
        T(spinlock_held_on_return),
        T(handler_irql_not_restored),
        T(register_invalid_header),
        T(register_missing_handler),
        T(leak_shared_memory),
        T(dma_clean_and_out_of_block),
        T(dma_into_other_queue),
        T(dma_to_freed_memory),
        T(dma_after_stop),
        T(dma_in_burst),
        T(queue_freed_with_memory),
        T(crash_in_params_block_is_params_out_of_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
