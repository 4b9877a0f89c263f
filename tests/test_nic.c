/*
 * test_nic.c -- the NIC model and queue life cycle against a small, correct
 * test provider: alloc / post / rx / advance / return / free cycles with zero
 * findings, netvmini's retry-with-half-size under fault injection, the Xmit
 * block, a bad driver seen through the model, DMA into a stopped queue, and the
 * model without a ring driver.  The driver side of the rings is the reference
 * provider's ring driver, linked into this test (tests/CMakeLists.txt) and
 * passed explicitly, as target.c passes what it obtains through the ABI.
 *
 * The test provider takes contiguous memory (MmAllocateContiguousNodeMemory) and
 * describes it with one SG element, or (tp_split_pages) one per page, so that
 * buffers that would straddle a page are really moved to the next element.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nic.h"
#include "ring_driver.h"
#include "ring_verify.h"
#include "shmfuzz/runtime.h"

/* === A small correct provider === */

#define TP_TAG 'tPsT'

struct tp_block {
    PVOID va;
    ULONG length;
};

static NDIS_HANDLE tp_ndis;
static bool tp_split_pages; /* one SG element per page, or one for the block */

static PHYSICAL_ADDRESS tp_addr(LONGLONG v)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = v;
    return a;
}

/* One element per page of the (physically contiguous) block, or one in all. */
static bool tp_fill_sg(struct tp_block *b, PSCATTER_GATHER_LIST sg, ULONG sg_len)
{
    ULONG chunk = tp_split_pages ? PAGE_SIZE : b->length;
    ULONG n = (b->length + chunk - 1) / chunk;
    if (sg_len < sizeof(*sg) + n * sizeof(SCATTER_GATHER_ELEMENT))
        return false;
    for (ULONG i = 0; i < n; i++) {
        ULONG off = i * chunk;
        sg->Elements[i].Address = MmGetPhysicalAddress((PUCHAR)b->va + off);
        sg->Elements[i].Length = b->length - off < chunk ? b->length - off : chunk;
        sg->Elements[i].Reserved = 0;
    }
    sg->NumberOfElements = n;
    sg->Reserved = 0;
    return true;
}

static NDIS_STATUS tp_alloc(NDIS_HANDLE ctx, PNDIS_SHARED_MEMORY_PARAMETERS p, PNDIS_HANDLE out)
{
    (void)ctx;
    if (p->Length == 0 || p->SGListBuffer == NULL)
        return NDIS_STATUS_INVALID_PARAMETER;
    struct tp_block *b =
        NdisAllocateMemoryWithTagPriority(tp_ndis, sizeof(*b), TP_TAG, NormalPoolPriority);
    if (b == NULL)
        return NDIS_STATUS_RESOURCES;
    b->length = p->Length;
    b->va = MmAllocateContiguousNodeMemory(ROUND_TO_PAGES(p->Length), tp_addr(0), tp_addr(-1),
                                           tp_addr(0), PAGE_READWRITE, p->PreferredNode);
    if (b->va == NULL || !tp_fill_sg(b, p->SGListBuffer, p->SGListBufferLength)) {
        if (b->va != NULL)
            MmFreeContiguousMemory(b->va);
        NdisFreeMemoryWithTagPriority(tp_ndis, b, TP_TAG);
        return NDIS_STATUS_RESOURCES;
    }
    p->VirtualAddress = b->va;
    p->SharedMemoryHandle = b;
    *out = b;
    return NDIS_STATUS_SUCCESS;
}

static VOID tp_free(NDIS_HANDLE ctx, NDIS_HANDLE h)
{
    struct tp_block *b = h;
    (void)ctx;
    MmFreeContiguousMemory(b->va);
    NdisFreeMemoryWithTagPriority(tp_ndis, b, TP_TAG);
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

static const struct shmf_provider tp = {"test-provider", tp_set_options, NULL, NULL};

/* === Fixture === */

static void dump_findings(void)
{
    for (unsigned i = 0; i < shmf_rt_finding_count() && i < SHMF_MAX_FINDINGS; i++)
        fprintf(stderr, "finding %s: %s\n", shmf_kind_name(shmf_rt_finding(i)->kind),
                shmf_rt_finding(i)->message);
}

static void assert_no_findings(void)
{
    if (shmf_rt_finding_count() != 0) {
        dump_findings();
        fail_msg("%u findings", shmf_rt_finding_count());
    }
}

static int setup(void **state)
{
    static struct shmf_nic *nic;

    if (nic == NULL && (nic = shmf_nic_create()) == NULL)
        return -1;
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    if (shmf_rt_provider_load(&tp) != 0)
        return -1;
    shmf_nic_note_reference_ring(ShmfReferenceRingAdvance, ShmfReferenceRingCancel);
    shmf_nic_set_ring_advance(nic, ShmfReferenceRingAdvance);
    shmf_nic_set_ring_cancel(nic, ShmfReferenceRingCancel);
    if (shmf_nic_reset(nic, shmf_rt_driver_handle()) != 0)
        return -1;
    *state = nic;
    return 0;
}

/* Halt as a correct miniport, unload, and require a clean world. */
static int teardown(void **state)
{
    shmf_nic_halt(*state);
    assert_int_equal(shmf_nic_queue_count(*state), 0);
    assert_int_equal(shmf_rt_block_count(), 0);
    shmf_rt_provider_unload();
    return 0;
}

static struct shmf_nic_queue_info info(struct shmf_nic *nic, unsigned slot)
{
    struct shmf_nic_queue_info qi;
    assert_int_equal(shmf_nic_queue_info(nic, slot, &qi), 0);
    return qi;
}

/* === Tests === */

static void test_default_queue(void **state)
{
    struct shmf_nic *nic = *state;
    struct shmf_nic_queue_info qi = info(nic, 0);

    assert_int_equal(shmf_nic_queue_count(nic), 1);
    assert_int_equal(qi.qid, 0);
    assert_int_equal(qi.state, SHMF_NIC_Q_RUNNING);
    /* Lazy: no memory until the first op that needs it. */
    assert_int_equal(qi.buffers, 0);
    assert_int_equal(shmf_rt_block_count(), 0);
    assert_int_equal(shmf_nic_post(nic, 0, 1), 1);
    qi = info(nic, 0);
    assert_int_equal(qi.buffers, 1u << SHMF_NIC_DEFAULT_ORDER);
    assert_int_equal(qi.ring_size, 1u << SHMF_NIC_DEFAULT_ORDER);
    assert_int_equal(shmf_nic_queue_free(nic, 0), 0); /* no-op for queue 0 */
    assert_int_equal(shmf_nic_queue_count(nic), 1);
    assert_no_findings();
}

/* First use of queue 0 at DISPATCH_LEVEL: its memory is allocated as the
   deferred initialization (at PASSIVE_LEVEL), and the IRQL is restored. */
static void test_default_queue_lazy_at_dispatch(void **state)
{
    struct shmf_nic *nic = *state;
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_true(shmf_nic_advance(nic, 0) >= 0);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(old);
    assert_int_equal(info(nic, 0).buffers, 1u << SHMF_NIC_DEFAULT_ORDER);
    assert_no_findings();
}

/* One full receive cycle on queue slot; returns packets indicated. */
static int rx_cycle(struct shmf_nic *nic, unsigned slot, unsigned n, unsigned pktlen)
{
    int posted = shmf_nic_post(nic, slot, 1000);
    assert_true(posted >= 0);
    assert_int_equal(shmf_nic_advance(nic, slot), 0); /* hands fragments to hardware */
    int rx = shmf_nic_rx(nic, slot, n, pktlen);
    assert_true(rx >= 0);
    int ind = shmf_nic_advance(nic, slot);
    assert_int_equal(ind, rx);
    assert_int_equal(shmf_nic_return(nic, slot, (unsigned)ind), ind);
    return ind;
}

static void test_queue_cycle(void **state)
{
    struct shmf_nic *nic = *state;
    struct shmf_nic_stats st;
    ULONG qid = 0;

    tp_split_pages = true;
    assert_int_equal(shmf_nic_queue_alloc(nic, 3, 1500, &qid), 0);
    tp_split_pages = false;
    assert_int_equal(qid, 1);
    struct shmf_nic_queue_info qi = info(nic, 1);
    assert_int_equal(qi.buffers, 8);
    assert_int_equal(qi.ring_size, 8);
    assert_int_equal(qi.blocks, 2); /* 2 buffers per page: 6 in 3 pages, then 2 more */
    assert_int_equal(shmf_nic_post(nic, 1, 100), 7); /* one element stays with the OS */
    for (unsigned round = 0; round < 50; round++)
        assert_int_equal(rx_cycle(nic, 1 + round * 2, 1 + round % 7, 60 + round * 29),
                         1 + round % 7);
    shmf_nic_get_stats(nic, &st);
    assert_int_equal(st.data_errors, 0);
    assert_true(st.indicated > 100);
    assert_int_equal(shmf_nic_queue_free(nic, 1), 0);
    assert_int_equal(shmf_nic_queue_count(nic), 1);
    assert_no_findings();
}

static void test_free_with_outstanding_indications(void **state)
{
    struct shmf_nic *nic = *state;

    assert_int_equal(shmf_nic_queue_alloc(nic, 4, 2048, NULL), 0);
    shmf_nic_post(nic, 1, 16);
    shmf_nic_advance(nic, 1);
    assert_int_equal(shmf_nic_rx(nic, 1, 5, 100), 5);
    assert_int_equal(shmf_nic_advance(nic, 1), 5);
    assert_int_equal(shmf_nic_rx(nic, 1, 3, 100), 3); /* completed, not drained */
    assert_int_equal(info(nic, 1).indicated, 5);
    assert_int_equal(shmf_nic_queue_free(nic, 1), 0);
    assert_no_findings();
}

static void test_owns_and_many_queues(void **state)
{
    struct shmf_nic *nic = *state;
    struct shmf_block_info bi;
    int dummy;

    for (unsigned i = 1; i < SHMF_NIC_MAX_QUEUES; i++)
        assert_int_equal(shmf_nic_queue_alloc(nic, i, 64u << i, NULL), 0);
    assert_int_equal(shmf_nic_queue_alloc(nic, 1, 64, NULL), -ENOSPC);
    for (unsigned i = 0; i < shmf_rt_block_count(); i++) {
        assert_true(shmf_rt_block_get(i, &bi));
        assert_true(shmf_nic_owns(nic, bi.allocation_handle));
    }
    assert_false(shmf_nic_owns(nic, &dummy));
    assert_false(shmf_nic_owns(nic, NULL));
    assert_int_equal(shmf_nic_queue_free(nic, 3), 0);
    ULONG qid = 0;
    assert_int_equal(shmf_nic_queue_alloc(nic, 2, 4096, &qid), 0);
    assert_int_equal(qid, 3); /* lowest free id is reused */
    assert_no_findings();
}

static void test_big_buffers_and_tx(void **state)
{
    struct shmf_nic *nic = *state;
    struct shmf_nic_stats st;

    assert_int_equal(shmf_nic_queue_alloc(nic, 2, 100000, NULL), 0);
    assert_int_equal(info(nic, 1).bufsize, SHMF_NIC_MAX_BUFSIZE);
    assert_int_equal(rx_cycle(nic, 1, 3, 20000), 3);
    assert_int_equal(shmf_nic_tx(nic, 1, 9000), 1);
    assert_int_equal(shmf_nic_tx(nic, 0, 1), 1);
    assert_true(info(nic, 1).has_xmit);
    shmf_nic_get_stats(nic, &st);
    assert_int_equal(st.tx_packets, 2);
    assert_int_equal(st.data_errors, 0);
    assert_int_equal(shmf_nic_queue_free(nic, 1), 0);
    assert_no_findings();
}

static void test_pause(void **state)
{
    struct shmf_nic *nic = *state;

    shmf_nic_post(nic, 0, 4);
    assert_int_equal(shmf_nic_queue_pause(nic, 0, true), 0);
    assert_int_equal(shmf_nic_rx(nic, 0, 1, 64), -EAGAIN);
    assert_int_equal(shmf_nic_advance(nic, 0), -EAGAIN);
    assert_int_equal(shmf_nic_queue_pause(nic, 0, false), 0);
    assert_int_equal(rx_cycle(nic, 0, 2, 64), 2);
    assert_no_findings();
}

/* Fail the first allocation attempt: the model retries with half the size and
   then allocates the rest, as netvmini does. */
static void test_fault_retry_half(void **state)
{
    struct shmf_nic *nic = *state;
    struct shmf_fault_plan plan = {.fail_nth = (uint32_t)shmf_rt_alloc_attempts() + 1};

    shmf_rt_set_fault_plan(&plan);
    assert_int_equal(shmf_nic_queue_alloc(nic, 4, 2048, NULL), 0);
    assert_true(shmf_rt_faults_injected() >= 1);
    struct shmf_nic_queue_info qi = info(nic, 1);
    assert_int_equal(qi.buffers, 16);
    assert_true(qi.blocks >= 2);
    assert_int_equal(rx_cycle(nic, 1, 4, 64), 4);
    assert_no_findings();
}

/* Every allocation fails: the queue fails cleanly, nothing is left behind. */
static void test_fault_all_fail(void **state)
{
    struct shmf_nic *nic = *state;
    struct shmf_fault_plan plan = {.fail_nth = (uint32_t)shmf_rt_alloc_attempts() + 1,
                                   .fail_every = 1};
    unsigned blocks = shmf_rt_block_count();

    shmf_rt_set_fault_plan(&plan);
    assert_int_equal(shmf_nic_queue_alloc(nic, 3, 2048, NULL), -ENOMEM);
    assert_int_equal(shmf_nic_queue_count(nic), 1);
    assert_int_equal(shmf_rt_block_count(), blocks);
    shmf_rt_set_fault_plan(NULL);
    assert_no_findings();
}

static VOID BadAdvance(NET_RING *Fr, NET_RING *Pr, ULONG Q)
{
    ShmfReferenceRingAdvance(Fr, Pr, Q);
    Fr->BeginIndex = NetRingIncrementIndex(Fr, Fr->EndIndex);
}

static void test_bad_driver(void **state)
{
    struct shmf_nic *nic = *state;

    shmf_nic_post(nic, 0, 4);
    shmf_nic_set_ring_advance(nic, BadAdvance);
    assert_int_equal(shmf_nic_advance(nic, 0), -EPROTO);
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_RING_INDEX_OUT_OF_RANGE);
    assert_string_equal(shmf_rt_finding(0)->function, "ShmfProviderRingAdvance");
    assert_int_equal(info(nic, 0).fragment_ring->BeginIndex, 0); /* restored */
    shmf_nic_set_ring_advance(nic, ShmfReferenceRingAdvance);
    shmf_rt_clear_findings();
}

static VOID LazyCancel(NET_RING *Fr, NET_RING *Pr, ULONG Q)
{
    (void)Fr, (void)Pr, (void)Q;
}

/* A cancel that keeps fragments would hang the free; the model reports it and
   still frees every block. */
static void test_cancel_keeps_fragments(void **state)
{
    struct shmf_nic *nic = *state;

    assert_int_equal(shmf_nic_queue_alloc(nic, 2, 512, NULL), 0);
    assert_int_equal(shmf_nic_post(nic, 1, 4), 3);
    shmf_nic_set_ring_cancel(nic, LazyCancel);
    assert_int_equal(shmf_nic_queue_free(nic, 1), 0);
    shmf_nic_set_ring_cancel(nic, ShmfReferenceRingCancel);
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_HANG);
    assert_string_equal(shmf_rt_finding(0)->function, "ShmfProviderRingCancel");
    assert_int_equal(shmf_nic_queue_count(nic), 1);
    shmf_rt_clear_findings();
}

static VOID DoubleBind(NET_RING *Fr, NET_RING *Pr, ULONG Q)
{
    ShmfReferenceRingAdvance(Fr, Pr, Q);
    if (Pr->BeginIndex != Pr->EndIndex) {
        NET_PACKET *p = NetRingGetPacketAtIndex(Pr, Pr->BeginIndex);
        p->FragmentIndex = Fr->BeginIndex;
        p->FragmentCount = 1;
        p->Layout.Layer2Type = p->Layout.Layer3Type = p->Layout.Layer4Type = 0;
        Pr->BeginIndex = NetRingIncrementIndex(Pr, Pr->BeginIndex);
    }
}

/* A returned packet bound to a fragment the driver did not return: with the
   model's checks on, the ring verifier's fragment-range rule (the advance is
   undone); with them off, the OS side's binding check when it takes the
   packets (the two good packets are still indicated). */
static void test_packet_binding(void **state)
{
    struct shmf_nic *nic = *state;

    for (int verify = 1; verify >= 0; verify--) {
        shmf_nic_set_verify(nic, verify);
        shmf_nic_post(nic, 0, 8);
        shmf_nic_advance(nic, 0);
        assert_int_equal(shmf_nic_rx(nic, 0, 2, 64), 2);
        shmf_nic_set_ring_advance(nic, DoubleBind);
        assert_int_equal(shmf_nic_advance(nic, 0), verify ? -EPROTO : 2);
        shmf_nic_set_ring_advance(nic, ShmfReferenceRingAdvance);
        assert_int_equal(shmf_rt_finding_count(), 1);
        assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_RING_INDEX_OUT_OF_RANGE);
        shmf_rt_clear_findings();
        shmf_nic_advance(nic, 0);
        shmf_nic_return(nic, 0, 16);
    }
    shmf_nic_set_verify(nic, true);
}

static void test_dma_after_stop(void **state)
{
    struct shmf_nic *nic = *state;
    ULONG qid = 0;

    assert_int_equal(shmf_nic_queue_alloc(nic, 2, 512, &qid), 0);
    shmf_nic_post(nic, 1, 4);
    shmf_nic_advance(nic, 1);
    shmf_rt_queue_dma_stop(qid, true);
    assert_int_equal(shmf_nic_rx(nic, 1, 1, 64), -EFAULT);
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_DMA_AFTER_STOP);
    shmf_rt_queue_dma_stop(qid, false);
    shmf_rt_clear_findings();
}

/* The model's checks off on a runtime without checks (the fast DMA path): the
   same data path, and every byte intact (the full payload check, back on for
   half the rounds, reads all of them); a bad driver is still caught by the
   O(1) index check and the header restored. */
static void test_verify_off(void **state)
{
    struct shmf_nic *nic = *state;
    struct shmf_nic_stats st;

    shmf_nic_halt(nic);
    shmf_rt_provider_unload();
    shmf_rt_reset(0, NULL);
    assert_int_equal(shmf_rt_provider_load(&tp), 0);
    shmf_nic_set_verify(nic, false);
    assert_int_equal(shmf_nic_reset(nic, shmf_rt_driver_handle()), 0);
    assert_int_equal(shmf_nic_queue_alloc(nic, 3, 1500, NULL), 0);
    assert_int_equal(shmf_nic_queue_alloc(nic, 2, 100000, NULL), 0); /* 16 KiB, contiguous */
    for (unsigned round = 0; round < 40; round++) {
        shmf_nic_set_verify(nic, round % 2 == 0);
        assert_int_equal(rx_cycle(nic, 1, 1 + round % 7, 60 + round * 29), 1 + round % 7);
        assert_int_equal(rx_cycle(nic, 2, 3, 20000 - round * 97), 3);
    }
    shmf_nic_get_stats(nic, &st);
    assert_int_equal(st.data_errors, 0);
    assert_int_equal(st.indicated, st.rx_packets);
    assert_no_findings();
    shmf_nic_set_verify(nic, false);
    shmf_nic_set_ring_advance(nic, BadAdvance);
    assert_int_equal(shmf_nic_advance(nic, 1), -EPROTO);
    shmf_nic_set_ring_advance(nic, ShmfReferenceRingAdvance);
    shmf_nic_set_verify(nic, true);
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_RING_INDEX_OUT_OF_RANGE);
    assert_true(shmf_ring_is_valid(info(nic, 1).fragment_ring));
    shmf_rt_clear_findings();
}

/* A payload changed between the DMA and the drain: the full check sees any
   byte, the check with the model's checks off the header and the last byte. */
static void test_payload_check(void **state)
{
    static const unsigned at[] = {100, 2, 199}; /* middle, sentinel, last of 200 bytes */
    struct shmf_nic *nic = *state;
    struct shmf_nic_stats st;
    uint64_t want = 0;

    assert_int_equal(shmf_nic_queue_alloc(nic, 2, 512, NULL), 0);
    for (unsigned k = 0; k < 6; k++) {
        shmf_nic_set_verify(nic, k < 3);
        assert_int_equal(shmf_nic_post(nic, 1, 1), 1);
        assert_int_equal(shmf_nic_advance(nic, 1), 0);
        assert_int_equal(shmf_nic_rx(nic, 1, 1, 200), 1);
        const NET_RING *fr = info(nic, 1).fragment_ring;
        unsigned char *va = ShmfNetRingGetFragmentShmAtIndex(fr, fr->BeginIndex)->VirtualAddress;
        va[at[k % 3]] ^= 0x40;
        assert_int_equal(shmf_nic_advance(nic, 1), 1);
        assert_int_equal(shmf_nic_return(nic, 1, 1), 1);
        want += k < 3 || at[k % 3] != 100;
        shmf_nic_get_stats(nic, &st);
        assert_int_equal(st.data_errors, want);
    }
    shmf_nic_set_verify(nic, true);
    assert_no_findings();
}

/* Routines noted as the reference's are named ShmfReferenceRing* in findings,
   others ShmfProviderRing*: a cancel that returns nothing, then the reference
   advances, hangs the free. */
static void test_driver_names(void **state)
{
    struct shmf_nic *nic = *state;

    assert_int_equal(shmf_nic_queue_alloc(nic, 2, 512, NULL), 0);
    assert_int_equal(shmf_nic_post(nic, 1, 4), 3);
    shmf_nic_set_ring_cancel(nic, LazyCancel);
    assert_int_equal(shmf_nic_queue_free(nic, 1), 0);
    shmf_nic_set_ring_cancel(nic, ShmfReferenceRingCancel);
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_int_equal(shmf_rt_finding(0)->kind, SHMF_KIND_HANG);
    assert_string_equal(shmf_rt_finding(0)->function, "ShmfProviderRingCancel");
    assert_non_null(strstr(shmf_rt_finding(0)->message, " ShmfReferenceRingAdvance calls"));
    shmf_rt_clear_findings();
}

/* No driver (NULL routines): advances move nothing, and a queue is freed with
   its rings as they are, without a finding. */
static void test_no_driver(void **state)
{
    struct shmf_nic *nic = *state;

    shmf_nic_set_ring_advance(nic, NULL);
    shmf_nic_set_ring_cancel(nic, NULL);
    assert_int_equal(shmf_nic_queue_alloc(nic, 2, 512, NULL), 0);
    assert_int_equal(shmf_nic_post(nic, 1, 4), 3);
    assert_int_equal(shmf_nic_advance(nic, 1), 0);
    assert_int_equal(shmf_nic_rx(nic, 1, 1, 64), 0);
    assert_int_equal(shmf_nic_queue_free(nic, 1), 0);
    assert_int_equal(shmf_nic_queue_count(nic), 1);
    shmf_nic_set_ring_advance(nic, ShmfReferenceRingAdvance);
    shmf_nic_set_ring_cancel(nic, ShmfReferenceRingCancel);
    assert_no_findings();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_default_queue),
        T(test_queue_cycle),
        T(test_free_with_outstanding_indications),
        T(test_owns_and_many_queues),
        T(test_big_buffers_and_tx),
        T(test_default_queue_lazy_at_dispatch),
        T(test_pause),
        T(test_fault_retry_half),
        T(test_fault_all_fail),
        T(test_bad_driver),
        T(test_cancel_keeps_fragments),
        T(test_packet_binding),
        T(test_dma_after_stop),
        T(test_verify_off),
        T(test_payload_check),
        T(test_driver_names),
        T(test_no_driver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
