/*
 * test_wdk_rteth.c -- the RtEthSample-shaped C++ receive queue (rteth_rx.cpp)
 * as the ring driver under the NIC model, with the reference provider and the
 * ring verifier on: queues allocated, posted, received into and drained at
 * both IRQLs the verifier alternates, packets returned, queues freed through
 * its cancel; every payload indicated intact, every packet Ethernet, zero
 * findings.  (wdk_rteth_cxx_replay runs it through `shmfuzz replay` too.)
 */
#include <ndis.h>
#include <string.h>

#include "nic.h"
#include "shmf_test.h"

/* rteth_rx.cpp's ring driver exports (the provider ABI, docs/rings.md). */
VOID ShmfProviderRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);
VOID ShmfProviderRingCancel(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);

static const struct shmf_provider reference = {"reference", ShmfProviderSetOptions,
                                               ShmfProviderUnload, NULL};
static struct shmf_nic *nic;

static int setup(void **state)
{
    (void)state;
    if (nic == NULL && (nic = shmf_nic_create()) == NULL)
        return -1;
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    if (shmf_rt_provider_load(&reference) != 0)
        return -1;
    shmf_nic_set_verify(nic, true);
    shmf_nic_set_ring_advance(nic, ShmfProviderRingAdvance);
    shmf_nic_set_ring_cancel(nic, ShmfProviderRingCancel);
    return shmf_nic_reset(nic, shmf_rt_driver_handle());
}

static int teardown(void **state)
{
    (void)state;
    shmf_nic_halt(nic);
    shmf_rt_provider_unload();
    EXPECT_NO_FINDING();
    return 0;
}

/* The packets the last advance returned on slot, [from, Begin): each bound
   to one fragment, an Ethernet frame. */
static void check_layouts(unsigned slot, UINT32 from)
{
    struct shmf_nic_queue_info qi;

    assert_int_equal(shmf_nic_queue_info(nic, slot, &qi), 0);
    const NET_RING *pr = qi.packet_ring;
    for (UINT32 i = from; i != pr->BeginIndex; i = NetRingIncrementIndex(pr, i)) {
        const NET_PACKET *p = NetRingGetPacketAtIndex(pr, i);
        assert_int_equal(p->FragmentCount, 1);
        assert_int_equal(p->Layout.Layer2Type, NetPacketLayer2TypeEthernet);
        assert_int_equal(p->Ignore, 0);
    }
}

static UINT32 packet_begin(unsigned slot)
{
    struct shmf_nic_queue_info qi;
    assert_int_equal(shmf_nic_queue_info(nic, slot, &qi), 0);
    return qi.packet_ring->BeginIndex;
}

static void test_receive_path(void **state)
{
    struct shmf_nic_stats st;
    ULONG qid;
    KIRQL old;

    (void)state;
    for (unsigned round = 0; round < 40; round++) {
        unsigned slot = round % 3;
        if (slot != 0 && shmf_nic_queue_count(nic) <= slot)
            assert_int_equal(shmf_nic_queue_alloc(nic, 2 + round % 5, 200 + round * 211, &qid), 0);
        shmf_nic_post(nic, slot, 2 + round % 11);
        KeRaiseIrql(DISPATCH_LEVEL, &old); /* the dpc op's IRQL */
        shmf_nic_advance(nic, slot);
        KeLowerIrql(old);
        shmf_nic_rx(nic, slot, 1 + round % 6, 20 + round * 37);
        UINT32 from = packet_begin(slot);
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        shmf_nic_advance(nic, slot);
        KeLowerIrql(old);
        check_layouts(slot, from);
        shmf_nic_return(nic, slot, 1 + round % 4);
        if (slot != 0 && round % 8 == 7)
            assert_int_equal(shmf_nic_queue_free(nic, slot), 0);
        EXPECT_NO_FINDING();
    }
    shmf_nic_get_stats(nic, &st);
    assert_true(st.rx_packets > 40);
    assert_int_equal(st.data_errors, 0);
    print_message("  %llu packets received, %llu indicated, %llu advances\n",
                  (unsigned long long)st.rx_packets, (unsigned long long)st.indicated,
                  (unsigned long long)st.advances);
}

/* Freed with packets received and not drained: its cancel indicates nothing
   (the queue is stopped), returns everything, and the free completes. */
static void test_cancel_in_flight(void **state)
{
    ULONG qid;

    (void)state;
    assert_int_equal(shmf_nic_queue_alloc(nic, 4, 1514, &qid), 0);
    assert_int_equal(shmf_nic_post(nic, 1, 16), 15);
    shmf_nic_advance(nic, 1);
    assert_int_equal(shmf_nic_rx(nic, 1, 5, 1000), 5);
    assert_int_equal(shmf_nic_queue_free(nic, 1), 0);
    EXPECT_NO_FINDING();
    assert_int_equal(shmf_nic_queue_count(nic), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_receive_path),
        T(test_cancel_in_flight),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    shmf_nic_destroy(nic);
    return rc;
}
