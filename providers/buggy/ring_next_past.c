/*
 * buggy/ring_next_past.c -- planted bug: the receive ring's NextIndex is moved
 * past EndIndex.
 *
 * This provider is the reference provider (providers/reference/reference.c,
 * built in unchanged) plus its own driver side of the receive rings, exported
 * as ShmfProviderRingAdvance (docs/rings.md).  It is the reference ring driver
 * (providers/reference/ring_driver.c) except for RxPostBuffers.
 *
 * Bug:     RxPostBuffers counts the fragments the OS gave it, [Next, End), and
 *          posts them with `for (i = 0; i <= count; i++)`: one too many.  It
 *          hands the OS-owned element at EndIndex to hardware and leaves
 *          NextIndex one past EndIndex.
 * Reached: `post queue=0 count=4` then `dpc queue=0`: four elements to post,
 *          five posted, NextIndex 5 with EndIndex 4.
 * Expect:  ring-index-out-of-range (the ring verifier checks the indices
 *          before element ownership, so the write to the OS-owned element is
 *          not the finding reported).
 * Also:    ring-ownership-violated: the same off-by-one writes the element
 *          past the driver's range, and the verifier reports that write when
 *          the index check does not fire first.
 */
#include <ndis.h>
#include <net/ring.h>

VOID ShmfProviderRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);

/* === Drain: return completed fragments and bind packets === */

/* Bind the packet at PacketIndex to the one fragment at FragmentIndex. */
static VOID BindPacket(NET_RING *PacketRing, UINT32 PacketIndex, UINT32 FragmentIndex)
{
    NET_PACKET *packet = NetRingGetPacketAtIndex(PacketRing, PacketIndex);

    packet->FragmentIndex = FragmentIndex;
    packet->FragmentCount = 1;
    packet->Ignore = 0;
}

/* Walk [Begin, Next) of the fragment ring while hardware has completed the
   fragment and the packet ring still has an owned packet to bind. */
static VOID RxIndicateReceives(NET_RING *FragmentRing, NET_RING *PacketRing)
{
    UINT32 fragmentIndex = FragmentRing->BeginIndex;
    UINT32 const fragmentEnd = FragmentRing->NextIndex;
    UINT32 packetIndex = PacketRing->BeginIndex;
    UINT32 const packetEnd = PacketRing->EndIndex;

    while (fragmentIndex != fragmentEnd && packetIndex != packetEnd) {
        SHMF_NET_FRAGMENT_SHM *rxd = ShmfNetRingGetFragmentShmAtIndex(FragmentRing, fragmentIndex);

        if (rxd->HardwareStatus != SHMF_HW_DONE)
            break;
        rxd->Fragment.ValidLength = rxd->HardwareLength;
        rxd->Fragment.Offset = 0;
        rxd->HardwareStatus = SHMF_HW_IDLE;
        BindPacket(PacketRing, packetIndex, fragmentIndex);
        packetIndex = NetRingIncrementIndex(PacketRing, packetIndex);
        fragmentIndex = NetRingIncrementIndex(FragmentRing, fragmentIndex);
    }
    FragmentRing->BeginIndex = fragmentIndex;
    PacketRing->BeginIndex = packetIndex;
}

/* === Post: hand new fragments to hardware === */

static VOID RxPostBuffers(NET_RING *FragmentRing)
{
    UINT32 index = FragmentRing->NextIndex;
    UINT32 const count =
        NetRingGetRangeCount(FragmentRing, FragmentRing->NextIndex, FragmentRing->EndIndex);

    for (UINT32 i = 0; i <= count; i++) {
        SHMF_NET_FRAGMENT_SHM *rxd = ShmfNetRingGetFragmentShmAtIndex(FragmentRing, index);

        rxd->HardwareLength = 0;
        rxd->HardwareStatus = SHMF_HW_POSTED;
        index = NetRingIncrementIndex(FragmentRing, index);
    }
    FragmentRing->NextIndex = index;
}

_Use_decl_annotations_ VOID ShmfProviderRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing,
                                                    ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    RxIndicateReceives(FragmentRing, PacketRing);
    RxPostBuffers(FragmentRing);
}
