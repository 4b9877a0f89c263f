/*
 * test_ring.c -- NET_RING semantics, the reference driver's advance and cancel,
 * and the ring verifier (each finding kind fires for a deliberately bad driver,
 * none for the reference one).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ring_driver.h"
#include "ring_verify.h"
#include "shmfuzz/runtime.h"

#define N 8u

struct rings {
    NET_RING *fr;
    NET_RING *pr;
    struct shmf_ring_snapshot fs, ps;
};

static int setup(void **state)
{
    static struct rings r;

    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    r.fr = shmf_ring_create(N, sizeof(SHMF_NET_FRAGMENT_SHM));
    r.pr = shmf_ring_create(N, sizeof(NET_PACKET));
    shmf_ring_snapshot_init(&r.fs);
    shmf_ring_snapshot_init(&r.ps);
    *state = &r;
    return r.fr && r.pr ? 0 : -1;
}

static int teardown(void **state)
{
    struct rings *r = *state;

    shmf_ring_destroy(r->fr);
    shmf_ring_destroy(r->pr);
    shmf_ring_snapshot_fini(&r->fs);
    shmf_ring_snapshot_fini(&r->ps);
    return 0;
}

/* OS side: post n fragments (capacity 100 + index) and fill the packet ring. */
static void os_post(struct rings *r, unsigned n)
{
    for (unsigned i = 0; i < n && shmf_ring_post_space(r->fr) > 0; i++) {
        SHMF_NET_FRAGMENT_SHM *e = ShmfNetRingGetFragmentShmAtIndex(r->fr, r->fr->EndIndex);
        memset(e, 0, sizeof(*e));
        e->Fragment.Capacity = 100 + r->fr->EndIndex;
        e->LogicalAddress = 0x1000u * (r->fr->EndIndex + 1);
        r->fr->EndIndex = NetRingIncrementIndex(r->fr, r->fr->EndIndex);
    }
    while (shmf_ring_post_space(r->pr) > 0) {
        memset(NetRingGetPacketAtIndex(r->pr, r->pr->EndIndex), 0, sizeof(NET_PACKET));
        r->pr->EndIndex = NetRingIncrementIndex(r->pr, r->pr->EndIndex);
    }
}

/* NIC side: complete up to n fragments handed to hardware. */
static unsigned hw_complete(struct rings *r, unsigned n)
{
    unsigned done = 0;

    for (UINT32 i = r->fr->BeginIndex; i != r->fr->NextIndex && done < n;
         i = NetRingIncrementIndex(r->fr, i)) {
        SHMF_NET_FRAGMENT_SHM *e = ShmfNetRingGetFragmentShmAtIndex(r->fr, i);
        if (e->HardwareStatus == SHMF_HW_POSTED) {
            e->HardwareLength = 60 + i;
            e->HardwareStatus = SHMF_HW_DONE;
            done++;
        }
    }
    return done;
}

/* Run fn on both rings under the verifier; return the violated bits. */
static unsigned verified(struct rings *r, shmf_ring_advance_fn fn)
{
    assert_int_equal(shmf_ring_snapshot_take(&r->fs, r->fr), 0);
    assert_int_equal(shmf_ring_snapshot_take(&r->ps, r->pr), 0);
    fn(r->fr, r->pr, 1);
    return shmf_ring_verify(&r->fs, r->fr, "test") | shmf_ring_verify(&r->ps, r->pr, "test");
}

static void expect_one_finding(enum shmf_kind kind)
{
    assert_int_equal(shmf_rt_finding_count(), 1);
    assert_int_equal(shmf_rt_finding(0)->kind, kind);
    assert_string_equal(shmf_rt_finding(0)->function, "test");
}

/* === Pure ring semantics === */

static void test_range_count(void **state)
{
    struct rings *r = *state;

    assert_int_equal(NetRingGetRangeCount(r->fr, 1, 4), 3);
    assert_int_equal(NetRingGetRangeCount(r->fr, 4, 1), 5);
    assert_int_equal(NetRingGetRangeCount(r->fr, 7, 7), 0);
    assert_int_equal(NetRingAdvanceIndex(r->fr, 6, 3), 1);
    assert_int_equal(NetRingIncrementIndex(r->fr, 7), 0);
    assert_int_equal(r->fr->ElementIndexMask, N - 1);
    assert_true(shmf_ring_is_valid(r->fr));
    assert_int_equal(shmf_ring_post_space(r->fr), N - 1);
}

static void test_element_addresses(void **state)
{
    struct rings *r = *state;
    unsigned char *base = (unsigned char *)r->fr + SYSTEM_CACHE_ALIGNMENT_SIZE;

    assert_int_equal((uintptr_t)r->fr % SYSTEM_CACHE_ALIGNMENT_SIZE, 0);
    assert_ptr_equal(NetRingGetElementAtIndex(r->fr, 0), base);
    assert_ptr_equal(NetRingGetFragmentAtIndex(r->fr, 3), base + 3 * sizeof(SHMF_NET_FRAGMENT_SHM));
    assert_ptr_equal((void *)NetRingGetPacketAtIndex(r->pr, 2),
                     (unsigned char *)r->pr + 64 + 2 * sizeof(NET_PACKET));
    assert_null(shmf_ring_create(6, 8));
    assert_null(shmf_ring_create(512, 8));
    assert_null(shmf_ring_create(8, 0));
}

/* === Reference driver === */

static void test_reference_drain_and_post(void **state)
{
    struct rings *r = *state;

    os_post(r, 5);
    assert_int_equal(verified(r, ShmfReferenceRingAdvance), 0);
    assert_int_equal(r->fr->NextIndex, 5);
    assert_int_equal(r->fr->BeginIndex, 0);
    assert_int_equal(hw_complete(r, 3), 3);
    assert_int_equal(verified(r, ShmfReferenceRingAdvance), 0);
    assert_int_equal(r->fr->BeginIndex, 3);
    assert_int_equal(r->pr->BeginIndex, 3);
    for (UINT32 i = 0; i < 3; i++) {
        assert_int_equal(NetRingGetPacketAtIndex(r->pr, i)->FragmentIndex, i);
        assert_int_equal(NetRingGetPacketAtIndex(r->pr, i)->FragmentCount, 1);
        assert_int_equal(NetRingGetFragmentAtIndex(r->fr, i)->ValidLength, 60 + i);
    }
    assert_int_equal(shmf_rt_finding_count(), 0);
}

/* Many deterministic rounds with wrap-around; invariants hold after each. */
static void test_reference_keeps_invariants(void **state)
{
    struct rings *r = *state;
    uint32_t x = 12345;

    for (unsigned round = 0; round < 2000; round++) {
        x = x * 1103515245u + 12345u;
        os_post(r, (x >> 16) % N);
        hw_complete(r, (x >> 20) % N);
        /* The OS consumes drained packets at once: give them back. */
        assert_int_equal(verified(r, ShmfReferenceRingAdvance), 0);
        if (!shmf_ring_is_valid(r->fr) || !shmf_ring_is_valid(r->pr)) {
            shmf_ring_dump(stderr, r->fr);
            shmf_ring_dump(stderr, r->pr);
            fail_msg("ring invalid after round %u", round);
        }
        assert_int_equal(r->fr->NextIndex, r->fr->EndIndex);
    }
    assert_int_equal(shmf_rt_finding_count(), 0);
}

static void test_reference_cancel_returns_all(void **state)
{
    struct rings *r = *state;

    os_post(r, 6);
    verified(r, ShmfReferenceRingAdvance);
    hw_complete(r, 2);
    assert_int_equal(verified(r, ShmfReferenceRingCancel), 0);
    assert_int_equal(shmf_ring_driver_count(r->fr), 0);
    assert_int_equal(shmf_ring_driver_count(r->pr), 0);
    assert_int_equal(r->fr->NextIndex, r->fr->EndIndex);
    for (UINT32 i = 0; i < N - 1; i++)
        assert_int_equal(NetRingGetPacketAtIndex(r->pr, i)->Ignore, 1);
    assert_int_equal(shmf_rt_finding_count(), 0);
}

/* === Verifier: deliberately bad drivers === */

static VOID BadEndIndex(NET_RING *Fr, NET_RING *Pr, ULONG Q)
{
    (void)Pr, (void)Q;
    Fr->EndIndex = NetRingIncrementIndex(Fr, Fr->EndIndex);
}

static VOID BadStride(NET_RING *Fr, NET_RING *Pr, ULONG Q)
{
    (void)Fr, (void)Q;
    Pr->ElementStride = 16;
}

static VOID BadBeginBackwards(NET_RING *Fr, NET_RING *Pr, ULONG Q)
{
    (void)Pr, (void)Q;
    Fr->BeginIndex = NetRingAdvanceIndex(Fr, Fr->BeginIndex, (UINT32)-1);
}

static VOID BadBeginPastEnd(NET_RING *Fr, NET_RING *Pr, ULONG Q)
{
    (void)Pr, (void)Q;
    Fr->BeginIndex = NetRingIncrementIndex(Fr, Fr->EndIndex);
}

static VOID BadNextOutsideMask(NET_RING *Fr, NET_RING *Pr, ULONG Q)
{
    (void)Pr, (void)Q;
    Fr->NextIndex = Fr->ElementIndexMask + 1;
}

static VOID BadNextPastEnd(NET_RING *Fr, NET_RING *Pr, ULONG Q)
{
    (void)Pr, (void)Q;
    Fr->NextIndex = NetRingIncrementIndex(Fr, Fr->EndIndex);
}

static VOID BadWritesOsElement(NET_RING *Fr, NET_RING *Pr, ULONG Q)
{
    (void)Pr, (void)Q;
    NetRingGetFragmentAtIndex(Fr, Fr->EndIndex)->ValidLength = 1;
}

static VOID BadPacketOwnership(NET_RING *Fr, NET_RING *Pr, ULONG Q)
{
    (void)Fr, (void)Q;
    /* The element just before Begin was returned earlier: it is the OS's. */
    NetRingGetPacketAtIndex(Pr, NetRingAdvanceIndex(Pr, Pr->BeginIndex, (UINT32)-1))->Scratch = 1;
}

static void run_bad(void **state, shmf_ring_advance_fn fn, unsigned bit, enum shmf_kind kind)
{
    struct rings *r = *state;

    os_post(r, 4);
    verified(r, ShmfReferenceRingAdvance);
    hw_complete(r, 2);
    verified(r, ShmfReferenceRingAdvance);
    assert_int_equal(shmf_rt_finding_count(), 0);
    assert_int_equal(verified(r, fn), bit);
    expect_one_finding(kind);
    /* Restoring the snapshot brings the rings back to a valid state. */
    shmf_ring_restore(&r->fs, r->fr);
    shmf_ring_restore(&r->ps, r->pr);
    assert_true(shmf_ring_is_valid(r->fr) && shmf_ring_is_valid(r->pr));
    assert_int_equal(verified(r, ShmfReferenceRingAdvance), 0);
}

static void test_immutable_end(void **s)
{
    run_bad(s, BadEndIndex, SHMF_RING_V_IMMUTABLE, SHMF_KIND_RING_IMMUTABLE_MODIFIED);
}

static void test_immutable_stride(void **s)
{
    run_bad(s, BadStride, SHMF_RING_V_IMMUTABLE, SHMF_KIND_RING_IMMUTABLE_MODIFIED);
}

static void test_index_backwards(void **s)
{
    run_bad(s, BadBeginBackwards, SHMF_RING_V_INDEX, SHMF_KIND_RING_INDEX_OUT_OF_RANGE);
}

static void test_index_past_end(void **s)
{
    run_bad(s, BadBeginPastEnd, SHMF_RING_V_INDEX, SHMF_KIND_RING_INDEX_OUT_OF_RANGE);
}

static void test_index_next_mask(void **s)
{
    run_bad(s, BadNextOutsideMask, SHMF_RING_V_INDEX, SHMF_KIND_RING_INDEX_OUT_OF_RANGE);
}

static void test_index_next_past_end(void **s)
{
    run_bad(s, BadNextPastEnd, SHMF_RING_V_INDEX, SHMF_KIND_RING_INDEX_OUT_OF_RANGE);
}

static void test_ownership_fragment(void **s)
{
    run_bad(s, BadWritesOsElement, SHMF_RING_V_OWNERSHIP, SHMF_KIND_RING_OWNERSHIP_VIOLATED);
}

static void test_ownership_packet(void **s)
{
    run_bad(s, BadPacketOwnership, SHMF_RING_V_OWNERSHIP, SHMF_KIND_RING_OWNERSHIP_VIOLATED);
}

/* Flip a bit of fragment element i and verify against a full snapshot taken
   before; returns the violated bits (the ring is restored afterwards). */
static unsigned touch_and_verify(struct rings *r, UINT32 i, UINT32 j)
{
    assert_int_equal(shmf_ring_snapshot_take(&r->fs, r->fr), 0);
    NetRingGetFragmentAtIndex(r->fr, i)->Scratch ^= 1;
    if (j != i)
        NetRingGetFragmentAtIndex(r->fr, j)->Scratch ^= 1;
    unsigned bad = shmf_ring_verify(&r->fs, r->fr, "test");
    shmf_ring_restore(&r->fs, r->fr);
    return bad;
}

/* Wherever [End, Begin) wraps, every OS-owned element is compared: a change to
   one is reported at that element, two changes at the first from End, and a
   change to a driver-owned element is no finding. */
static void test_ownership_every_element(void **state)
{
    struct rings *r = *state;
    const UINT32 owned = 3;

    for (UINT32 begin = 0; begin < N; begin++) {
        r->fr->BeginIndex = r->fr->NextIndex = begin;
        r->fr->EndIndex = NetRingAdvanceIndex(r->fr, begin, owned);
        UINT32 end = r->fr->EndIndex;
        for (UINT32 i = 0; i < N; i++) {
            bool os = NetRingGetRangeCount(r->fr, begin, i) >= owned;
            shmf_rt_clear_findings();
            assert_int_equal(touch_and_verify(r, i, i), os ? SHMF_RING_V_OWNERSHIP : 0);
            if (os)
                assert_int_equal(shmf_rt_finding(0)->object,
                                 (uintptr_t)NetRingGetElementAtIndex(r->fr, i));
        }
        for (UINT32 k = 1; k < N - owned; k++) {
            UINT32 first = NetRingAdvanceIndex(r->fr, end, k - 1);
            shmf_rt_clear_findings();
            assert_int_equal(touch_and_verify(r, NetRingAdvanceIndex(r->fr, end, k), first),
                             SHMF_RING_V_OWNERSHIP);
            assert_int_equal(shmf_rt_finding_count(), 1);
            assert_int_equal(shmf_rt_finding(0)->object,
                             (uintptr_t)NetRingGetElementAtIndex(r->fr, first));
        }
    }
    shmf_rt_clear_findings();
}

/* A header-only snapshot checks the header and the indices, not ownership, and
   restores the header only. */
static void test_header_snapshot(void **state)
{
    struct rings *r = *state;

    os_post(r, 4);
    assert_int_equal(shmf_ring_snapshot_take_header(&r->fs, r->fr), 0);
    BadWritesOsElement(r->fr, r->pr, 0);
    assert_int_equal(shmf_ring_verify(&r->fs, r->fr, "test"), 0);
    BadBeginPastEnd(r->fr, r->pr, 0);
    assert_int_equal(shmf_ring_verify(&r->fs, r->fr, "test"), SHMF_RING_V_INDEX);
    expect_one_finding(SHMF_KIND_RING_INDEX_OUT_OF_RANGE);
    shmf_ring_restore(&r->fs, r->fr);
    assert_int_equal(r->fr->BeginIndex, 0);
    assert_int_equal(NetRingGetFragmentAtIndex(r->fr, r->fr->EndIndex)->ValidLength, 1);
    shmf_rt_clear_findings();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_range_count),
        T(test_element_addresses),
        T(test_reference_drain_and_post),
        T(test_reference_keeps_invariants),
        T(test_reference_cancel_returns_all),
        T(test_immutable_end),
        T(test_immutable_stride),
        T(test_index_backwards),
        T(test_index_past_end),
        T(test_index_next_mask),
        T(test_index_next_past_end),
        T(test_ownership_fragment),
        T(test_ownership_packet),
        T(test_ownership_every_element),
        T(test_header_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
