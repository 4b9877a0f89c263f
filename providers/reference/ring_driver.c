/*
 * ring_driver.c -- the reference driver side of an Rx queue's rings, as a
 * NetAdapterCx client writes it (compare the Realtek and netvmini samples'
 * RxIndicateReceives / RxPostBuffers / RxCancel).  Sees only ndis.h and
 * net/ring.h.  Contract in ring_driver.h.  Part of the reference provider, which
 * exports it through the plug-in ABI (end of this file).
 */
#include <ndis.h>
#include <net/ring.h>

#include "ring_driver.h"

/* === Drain: return completed fragments and bind packets === */

/* Bind the packet at PacketIndex to the one fragment at FragmentIndex.  The OS
   posts packets with FragmentIndex, FragmentCount and Layout poisoned, and a
   returned packet must have written all three (Layout's reserved bits stay the
   OS's); this NIC does not parse headers, so every layer is Unspecified. */
static VOID BindPacket(NET_RING *PacketRing, UINT32 PacketIndex, UINT32 FragmentIndex)
{
    NET_PACKET *packet = NetRingGetPacketAtIndex(PacketRing, PacketIndex);

    packet->FragmentIndex = FragmentIndex;
    packet->FragmentCount = 1;
    NET_PACKET_LAYOUT layout = {0};
    layout.Reserved0 = packet->Layout.Reserved0;
    packet->Layout = layout;
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
    UINT32 const end = FragmentRing->EndIndex;

    while (index != end) {
        SHMF_NET_FRAGMENT_SHM *rxd = ShmfNetRingGetFragmentShmAtIndex(FragmentRing, index);

        rxd->HardwareLength = 0;
        rxd->HardwareStatus = SHMF_HW_POSTED;
        index = NetRingIncrementIndex(FragmentRing, index);
    }
    FragmentRing->NextIndex = index;
}

_Use_decl_annotations_ VOID ShmfReferenceRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing,
                                                     ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    RxIndicateReceives(FragmentRing, PacketRing);
    RxPostBuffers(FragmentRing);
}

/* === Cancel: return everything ===
   The packet ring's NextIndex is left alone: this driver never uses it. */

_Use_decl_annotations_ VOID ShmfReferenceRingCancel(NET_RING *FragmentRing, NET_RING *PacketRing,
                                                    ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    while (PacketRing->BeginIndex != PacketRing->EndIndex) {
        NET_PACKET *packet = NetRingGetPacketAtIndex(PacketRing, PacketRing->BeginIndex);

        packet->Ignore = 1;
        PacketRing->BeginIndex = NetRingIncrementIndex(PacketRing, PacketRing->BeginIndex);
    }
    FragmentRing->BeginIndex = FragmentRing->EndIndex;
    FragmentRing->NextIndex = FragmentRing->EndIndex;
}

/* === Provider ABI exports (docs/rings.md) ===
   The reference provider's ShmfProviderRingAdvance / ShmfProviderRingCancel are
   the routines above.  Weak aliases: a provider that links this file and defines
   its own ShmfProviderRing* keeps its own; the harness tells the two apart by
   comparing an export with ShmfReferenceRing* of the same module. */
#if defined(__GNUC__) || defined(__clang__)
VOID ShmfProviderRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId)
    __attribute__((weak, alias("ShmfReferenceRingAdvance")));
VOID ShmfProviderRingCancel(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId)
    __attribute__((weak, alias("ShmfReferenceRingCancel")));
#endif
