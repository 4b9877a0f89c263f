/*
 * test_ring_rules.c -- NetAdapterCx's ring rules in the ring verifier: for each
 * rule a tiny driver that breaks exactly that rule (rule_drivers.c) runs under
 * the NIC model with the reference provider, and exactly one finding comes
 * out, of the rule's kind, naming the rule; the reference ring driver and the
 * rule-keeping drivers stay clean.  The transmit rule runs on the verifier
 * alone (the NIC model has no transmit rings).
 */
#include <ndis.h>
#include <errno.h>
#include <string.h>

#include "nic.h"
#include "ring_rules/rule_drivers.h"
#include "ring_driver.h"
#include "ring_verify.h"
#include "shmf_test.h"

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
    shmf_nic_note_reference_ring(ShmfReferenceRingAdvance, ShmfReferenceRingCancel);
    shmf_nic_set_ring_advance(nic, ShmfReferenceRingAdvance);
    shmf_nic_set_ring_cancel(nic, ShmfReferenceRingCancel);
    RuleResetCancel();
    return shmf_nic_reset(nic, shmf_rt_driver_handle());
}

/* Halt as a correct miniport, with the reference driver, and unload. */
static int teardown(void **state)
{
    (void)state;
    shmf_nic_set_ring_advance(nic, ShmfReferenceRingAdvance);
    shmf_nic_set_ring_cancel(nic, ShmfReferenceRingCancel);
    shmf_rt_clear_findings();
    shmf_nic_halt(nic);
    shmf_rt_provider_unload();
    EXPECT_NO_FINDING();
    return 0;
}

/* Exactly one finding: kind, from the driver's advance, naming `rule`. */
static void expect_only(enum shmf_kind kind, const char *rule, const char *function)
{
    if (shmf_rt_finding_count() != 1)
        shmf_test_dump_findings();
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_string_equal(shmf_kind_name(shmf_rt_finding(0)->kind), shmf_kind_name(kind));
    assert_string_equal(shmf_rt_finding(0)->function, function);
    if (strstr(shmf_rt_finding(0)->rule, rule) == NULL)
        fail_msg("rule \"%s\" does not name %s", shmf_rt_finding(0)->rule, rule);
}

/* Queue 0 with 8 fragments posted, handed to hardware, 3 of them received. */
static void three_received(void)
{
    assert_int_equal(shmf_nic_post(nic, 0, 8), 8);
    assert_int_equal(shmf_nic_advance(nic, 0), 0);
    assert_int_equal(shmf_nic_rx(nic, 0, 3, 100), 3);
    EXPECT_NO_FINDING();
}

/* === One rule, one driver, one finding === */

struct rule_case {
    const char *name;
    shmf_ring_advance_fn advance;
    enum shmf_kind kind;
    const char *rule; /* a NetAdapterCx failure code (or ours) the rule names */
};

static const struct rule_case cases[] = {
    {"header", RuleHeaderWrite, SHMF_KIND_RING_IMMUTABLE_MODIFIED, "InvalidRingImmutable"},
    {"begin-backwards", RuleBeginBackwards, SHMF_KIND_RING_INDEX_OUT_OF_RANGE,
     "InvalidRingBeginIndex"},
    {"os-element", RuleOsElementWrite, SHMF_KIND_RING_OWNERSHIP_VIOLATED,
     "InvalidRingImmutableFrameworkElement"},
    {"layout-unwritten", RuleLayoutUnwritten, SHMF_KIND_RING_RX_PACKET_UNWRITTEN,
     "InvalidRingUnmodifiedRxPacket"},
    {"count-zero", RuleFragmentCountZero, SHMF_KIND_RING_RX_PACKET_UNWRITTEN,
     "InvalidRingUnmodifiedRxPacket"},
    {"valid-length-unwritten", RuleValidLengthUnwritten, SHMF_KIND_RING_RX_PACKET_UNWRITTEN,
     "InvalidRingModifiedRxFragment"},
    {"fragment-not-returned", RuleFragmentNotReturned, SHMF_KIND_RING_INDEX_OUT_OF_RANGE,
     "InvalidRingRxPacketFragment*Range"},
    {"fragment-os-owned", RuleFragmentOsOwned, SHMF_KIND_RING_INDEX_OUT_OF_RANGE,
     "InvalidRingRxPacketFragment*Range"},
    {"fragments-descending", RuleFragmentsDescending, SHMF_KIND_RING_INDEX_OUT_OF_RANGE,
     "InvalidRingRxPacketFragment*Overlap"},
    {"ethernet-short", RuleEthernetShort, SHMF_KIND_RING_RX_PACKET_INVALID,
     "InvalidRingRxPacketLayer*"},
    {"ipv4-short", RuleIpv4Short, SHMF_KIND_RING_RX_PACKET_INVALID, "InvalidRingRxPacketLayer*"},
    {"ipv6-short", RuleIpv6Short, SHMF_KIND_RING_RX_PACKET_INVALID, "InvalidRingRxPacketLayer*"},
    {"tcp-unaligned", RuleTcpUnaligned, SHMF_KIND_RING_RX_PACKET_INVALID,
     "InvalidRingRxPacketLayer*"},
    {"tcp-long", RuleTcpLong, SHMF_KIND_RING_RX_PACKET_INVALID, "InvalidRingRxPacketLayer*"},
    {"udp-short", RuleUdpShort, SHMF_KIND_RING_RX_PACKET_INVALID, "InvalidRingRxPacketLayer*"},
    {"layer3-type", RuleLayer3TypeOutOfRange, SHMF_KIND_RING_RX_PACKET_INVALID,
     "InvalidRingRxPacketLayer*"},
    {"past-capacity", RuleDataPastCapacity, SHMF_KIND_RING_RX_PACKET_INVALID,
     "InvalidRingRxPacketFragmentLengthInvalid"},
    {"ignore-modified", RuleIgnoreModified, SHMF_KIND_RING_ELEMENT_IMMUTABLE_MODIFIED,
     "InvalidRingImmutableDriverRxPacketIgnore"},
    {"reserved", RuleReservedWrite, SHMF_KIND_RING_ELEMENT_IMMUTABLE_MODIFIED,
     "InvalidRingModifiedRxPacket"},
    {"capacity", RuleCapacityWrite, SHMF_KIND_RING_ELEMENT_IMMUTABLE_MODIFIED,
     "InvalidRingUnmodifiedRxFragment"},
};

/* The driver breaks its rule on the 3 received packets: the advance is undone
   (-EPROTO, rings as before), one finding; the reference driver then drains
   the same packets cleanly. */
static void run_case(const struct rule_case *c)
{
    struct shmf_nic_queue_info qi;

    print_message("  rule %s:\n", c->name);
    assert_int_equal(setup(NULL), 0);
    three_received();
    shmf_nic_set_ring_advance(nic, c->advance);
    assert_int_equal(shmf_nic_advance(nic, 0), -EPROTO);
    expect_only(c->kind, c->rule, "ShmfProviderRingAdvance");
    print_message("    %s\n", shmf_rt_finding(0)->message);
    assert_int_equal(shmf_nic_queue_info(nic, 0, &qi), 0);
    assert_int_equal(qi.fragment_ring->BeginIndex, 0);
    assert_int_equal(qi.packet_ring->BeginIndex, 0);
    shmf_rt_clear_findings();
    shmf_nic_set_ring_advance(nic, ShmfReferenceRingAdvance);
    assert_int_equal(shmf_nic_advance(nic, 0), 3);
    EXPECT_NO_FINDING();
    teardown(NULL);
}

static void test_each_rule(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
}

/* === IRQL: every other advance at PASSIVE_LEVEL === */

/* Advances alternate DISPATCH_LEVEL, PASSIVE_LEVEL, ... whatever the caller's
   IRQL, as NetAdapterCx's verifier runs them; the caller's IRQL comes back. */
static void test_advance_irql_alternates(void **state)
{
    KIRQL old;

    (void)state;
    shmf_nic_set_ring_advance(nic, RuleIrqlRecorder);
    for (int i = 0; i < 4; i++) {
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        shmf_nic_advance(nic, 0);
        assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
        KeLowerIrql(old);
    }
    assert_int_equal(RuleIrqlCalls, 4);
    assert_int_equal(RuleIrqlSeen[0], DISPATCH_LEVEL);
    assert_int_equal(RuleIrqlSeen[1], PASSIVE_LEVEL);
    assert_int_equal(RuleIrqlSeen[2], DISPATCH_LEVEL);
    assert_int_equal(RuleIrqlSeen[3], PASSIVE_LEVEL);
    EXPECT_NO_FINDING();
}

/* A driver that takes its lock as a DPC would: clean at DISPATCH_LEVEL, caught
   on the second advance, at PASSIVE_LEVEL. */
static void test_advance_at_passive(void **state)
{
    (void)state;
    shmf_nic_post(nic, 0, 4);
    shmf_nic_set_ring_advance(nic, RuleDprLock);
    shmf_nic_advance(nic, 0);
    EXPECT_NO_FINDING();
    shmf_nic_advance(nic, 0);
    EXPECT_FINDING(SHMF_KIND_SPINLOCK_DPR_BELOW_DISPATCH);
    assert_string_equal(shmf_rt_finding(0)->function, "NdisDprAcquireSpinLock");
}

/* With the model's checks off, every advance runs at DISPATCH_LEVEL. */
static void test_advance_irql_verify_off(void **state)
{
    KIRQL old;

    (void)state;
    shmf_nic_set_verify(nic, false);
    shmf_nic_set_ring_advance(nic, RuleIrqlRecorder);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    for (int i = 0; i < 3; i++)
        shmf_nic_advance(nic, 0);
    KeLowerIrql(old);
    shmf_nic_set_verify(nic, true);
    for (int i = 0; i < 3; i++)
        assert_int_equal(RuleIrqlSeen[i], DISPATCH_LEVEL);
}

/* === Cancel: advances go on until both rings are empty === */

static void posted_queue(ULONG *qid)
{
    assert_int_equal(shmf_nic_queue_alloc(nic, 3, 512, qid), 0);
    assert_int_equal(shmf_nic_post(nic, 1, 8), 7);
    shmf_nic_advance(nic, 1);
    assert_int_equal(shmf_nic_rx(nic, 1, 2, 64), 2);
}

/* A cancel that returns nothing, then an advance that returns everything once
   cancelled: the free completes, clean. */
static void test_cancel_then_advances(void **state)
{
    ULONG qid;

    (void)state;
    shmf_nic_set_ring_advance(nic, RuleDeferredAdvance);
    posted_queue(&qid);
    shmf_nic_set_ring_cancel(nic, RuleLazyCancel);
    assert_int_equal(shmf_nic_queue_free(nic, 1), 0);
    EXPECT_NO_FINDING();
    assert_int_equal(shmf_nic_queue_count(nic), 1);
}

/* The same cancel with the reference advance, which only returns what
   hardware completed: after the advances that return nothing, a hang. */
static void test_cancel_never_empties(void **state)
{
    ULONG qid;

    (void)state;
    posted_queue(&qid);
    shmf_nic_set_ring_cancel(nic, RuleLazyCancel);
    assert_int_equal(shmf_nic_queue_free(nic, 1), 0);
    expect_only(SHMF_KIND_HANG, "advances after it", "ShmfProviderRingCancel");
    assert_int_equal(shmf_nic_queue_count(nic), 1);
    shmf_rt_clear_findings();
}

/* === Transmit: only Scratch changes === */

struct tx_rings {
    NET_RING *fr, *pr;
    struct shmf_ring_snapshot fs, ps;
};

/* Tx rings of 8 with 5 packets of one fragment each posted, then fn under the
   transmit rules.  @return the violated bits. */
static unsigned tx_run(shmf_ring_advance_fn fn)
{
    struct tx_rings t;
    unsigned bad;

    t.fr = shmf_ring_create(8, sizeof(NET_FRAGMENT));
    t.pr = shmf_ring_create(8, sizeof(NET_PACKET));
    assert_non_null(t.fr);
    assert_non_null(t.pr);
    for (UINT32 i = 0; i < 5; i++) {
        NET_PACKET *p = NetRingGetPacketAtIndex(t.pr, i);
        NET_FRAGMENT *f = NetRingGetFragmentAtIndex(t.fr, i);
        p->FragmentIndex = i;
        p->FragmentCount = 1;
        f->Capacity = 1514;
        f->ValidLength = 60 + i;
    }
    t.fr->EndIndex = t.pr->EndIndex = 5;
    shmf_ring_snapshot_init(&t.fs);
    shmf_ring_snapshot_init(&t.ps);
    assert_int_equal(shmf_ring_snapshot_take(&t.fs, t.fr), 0);
    assert_int_equal(shmf_ring_snapshot_take(&t.ps, t.pr), 0);
    fn(t.fr, t.pr, 1);
    bad = shmf_ring_verify_queue(&t.ps, t.pr, &t.fs, t.fr, false, "EvtTxQueueAdvance");
    shmf_ring_snapshot_fini(&t.fs);
    shmf_ring_snapshot_fini(&t.ps);
    shmf_ring_destroy(t.fr);
    shmf_ring_destroy(t.pr);
    return bad;
}

static void test_tx_scratch_only(void **state)
{
    (void)state;
    assert_int_equal(tx_run(RuleTxScratchOnly), 0);
    EXPECT_NO_FINDING();
    assert_int_equal(tx_run(RuleTxFragmentWrite), SHMF_RING_V_ELEMENT);
    expect_only(SHMF_KIND_RING_ELEMENT_IMMUTABLE_MODIFIED, "InvalidRingImmutableDriverTx",
                "EvtTxQueueAdvance");
    shmf_rt_clear_findings();
    assert_int_equal(tx_run(RuleTxPacketWrite), SHMF_RING_V_ELEMENT);
    expect_only(SHMF_KIND_RING_ELEMENT_IMMUTABLE_MODIFIED, "InvalidRingImmutableDriverTx",
                "EvtTxQueueAdvance");
    shmf_rt_clear_findings();
}

/* === The reference ring driver keeps every rule === */

/* Queues allocated, posted, received into, drained (at both IRQLs), returned
   and freed (cancel with packets in flight), with every check on: clean. */
static void test_reference_clean(void **state)
{
    ULONG qid;

    (void)state;
    for (unsigned round = 0; round < 24; round++) {
        unsigned slot = 1 + round % 2;
        if (shmf_nic_queue_count(nic) <= slot)
            assert_int_equal(shmf_nic_queue_alloc(nic, 2 + round % 5, 256 + round * 97, &qid), 0);
        shmf_nic_post(nic, slot, 1 + round % 9);
        shmf_nic_advance(nic, slot);
        shmf_nic_rx(nic, slot, 1 + round % 4, 16 + round * 13);
        shmf_nic_advance(nic, slot);
        shmf_nic_return(nic, slot, round % 3);
        if (round % 7 == 6)
            assert_int_equal(shmf_nic_queue_free(nic, slot), 0);
        EXPECT_NO_FINDING();
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_rule), T(test_advance_irql_alternates),
        T(test_advance_at_passive),       T(test_advance_irql_verify_off),
        T(test_cancel_then_advances),     T(test_cancel_never_empties),
        T(test_tx_scratch_only),          T(test_reference_clean),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    shmf_nic_destroy(nic);
    return rc;
}
