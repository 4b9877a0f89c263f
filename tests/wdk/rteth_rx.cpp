/*
 * rteth_rx.cpp -- a NetAdapterCx receive queue in the shape of the RtEthSample
 * driver's rxqueue.cpp (EvtRxQueueAdvance = RxIndicateReceives then
 * RxPostBuffers, EvtRxQueueCancel), our own C++ code, run by the NIC model as
 * the provider's ring driver (exports ShmfProviderRingAdvance and
 * ShmfProviderRingCancel).
 *
 * What it takes from NetAdapterCx: the queue's NET_RING_COLLECTION, the
 * fragments' logical addresses through the ms_fragment_logicaladdress
 * extension (queried once per queue, ShmfNetRingGetExtension standing in for
 * NetRxQueueGetExtension), the checksum packet extension (disabled here, as
 * when checksum offload is off), and the packet layout it reports.
 *
 * What stands for the hardware: the NIC model's receive descriptor lives in
 * each fragment element (SHMF_NET_FRAGMENT_SHM's HardwareStatus and
 * HardwareLength, net/ring.h); the driver keeps its own RT_RX_DESC per
 * fragment as a real driver keeps its descriptor ring, and "rings the
 * doorbell" by handing the element to the NIC model.
 *
 * One difference from RtEthSample on purpose: it does not set a received
 * fragment's Capacity.  RtEthSample attaches its own data buffers
 * (NetRxFragmentBufferAttachmentModeDriver) and owns Capacity; here the OS
 * attached them, Capacity is the OS's and the ring verifier holds the driver
 * to that (ring-element-immutable-modified).
 */
#include <ndis.h>
#include <net/checksum.h>
#include <net/logicaladdress.h>
#include <net/ringcollection.h>

#include "rteth_ring_range.h"

extern "C" {
VOID ShmfProviderRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);
VOID ShmfProviderRingCancel(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);
}

namespace {

constexpr UINT16 RXS_OWN = 0x8000; /* hardware owns the descriptor */
constexpr UINT32 RT_MAX_DESCRIPTORS = 256;
constexpr ULONG RT_MAX_QUEUES = 64;

/* The driver's receive descriptor for one fragment element. */
struct RT_RX_DESC {
    UINT64 BufferAddress;
    UINT32 Length; /* capacity when posted, bytes received when completed */
    UINT16 Status;
};

struct RT_RXQUEUE {
    ULONG QueueId;
    NET_RING_COLLECTION Rings;
    NET_EXTENSION LogicalAddressExtension;
    NET_EXTENSION ChecksumExtension;
    RT_RX_DESC Descriptors[RT_MAX_DESCRIPTORS];
    UINT64 ReceivedOctets;
};

RT_RXQUEUE g_RxQueues[RT_MAX_QUEUES];

/* The queue's context, set up (extensions queried, descriptors cleared) the
   first time its rings are seen: EvtRxQueueStart's part. */
RT_RXQUEUE *RtGetRxQueueContext(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId)
{
    RT_RXQUEUE *rx = &g_RxQueues[QueueId % RT_MAX_QUEUES];

    if (rx->Rings.Rings[NetRingTypeFragment] == FragmentRing &&
        rx->Rings.Rings[NetRingTypePacket] == PacketRing)
        return rx;
    NT_ASSERT(FragmentRing->NumberOfElements <= RT_MAX_DESCRIPTORS);
    RtlZeroMemory(rx, sizeof(*rx));
    rx->QueueId = QueueId;
    rx->Rings.Rings[NetRingTypePacket] = PacketRing;
    rx->Rings.Rings[NetRingTypeFragment] = FragmentRing;

    NET_EXTENSION_QUERY query;
    NET_EXTENSION_QUERY_INIT(&query, NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_NAME,
                             NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_VERSION_1,
                             NetExtensionTypeFragment);
    ShmfNetRingGetExtension(FragmentRing, &query, &rx->LogicalAddressExtension);
    NET_EXTENSION_QUERY_INIT(&query, NET_PACKET_EXTENSION_CHECKSUM_NAME,
                             NET_PACKET_EXTENSION_CHECKSUM_VERSION_1, NetExtensionTypePacket);
    ShmfNetRingGetExtension(PacketRing, &query, &rx->ChecksumExtension);
    NT_ASSERT(rx->LogicalAddressExtension.Enabled);
    return rx;
}

/* The hardware completed descriptor Index: take its length, give it back to
   the driver.  False while the NIC still owns it. */
bool RtReapRxDescriptor(RT_RXQUEUE *rx, UINT32 Index)
{
    NET_RING *fr = NetRingCollectionGetFragmentRing(&rx->Rings);
    SHMF_NET_FRAGMENT_SHM *hw = ShmfNetRingGetFragmentShmAtIndex(fr, Index);
    RT_RX_DESC *rxd = &rx->Descriptors[Index];

    if (hw->HardwareStatus != SHMF_HW_DONE)
        return false;
    rxd->Length = hw->HardwareLength;
    rxd->Status = static_cast<UINT16>(rxd->Status & ~RXS_OWN);
    hw->HardwareStatus = SHMF_HW_IDLE;
    return true;
}

/* What the NIC reports of the packet's headers: it does not parse them, so an
   Ethernet frame with no lengths given; the checksum extension, when the OS
   enables it, says nothing was checked. */
void RtFillRxLayout(RT_RXQUEUE const *rx, UINT32 PacketIndex, NET_PACKET *packet)
{
    packet->Layout = {};
    packet->Layout.Layer2Type = NetPacketLayer2TypeEthernet;
    if (rx->ChecksumExtension.Enabled) {
        NET_PACKET_CHECKSUM *checksum =
            NetExtensionGetPacketChecksum(&rx->ChecksumExtension, PacketIndex);
        checksum->Layer2 = NetPacketRxChecksumEvaluationNotChecked;
        checksum->Layer3 = NetPacketRxChecksumEvaluationNotChecked;
        checksum->Layer4 = NetPacketRxChecksumEvaluationNotChecked;
    }
}

void RxIndicateReceives(RT_RXQUEUE *rx)
{
    rteth::RingRange fi = rteth::DrainFragments(&rx->Rings);
    rteth::RingRange pi = rteth::AllPackets(&rx->Rings);

    while (fi.HasAny() && pi.HasAny()) {
        UINT32 const index = fi.Index();
        if (!RtReapRxDescriptor(rx, index))
            break;
        RT_RX_DESC const *rxd = &rx->Descriptors[index];
        NET_FRAGMENT *fragment = rteth::FragmentAt(fi);
        fragment->ValidLength = rxd->Length;
        fragment->Offset = 0;

        NET_PACKET *packet = rteth::PacketAt(pi);
        packet->FragmentIndex = index;
        packet->FragmentCount = 1;
        RtFillRxLayout(rx, pi.Index(), packet);
        rx->ReceivedOctets += rxd->Length;

        fi.Advance();
        pi.Advance();
    }
    fi.Commit();
    pi.Commit();
}

/* Program descriptor Index with the fragment's buffer, then hand it to the
   NIC (its ownership bit last, after a barrier, as hardware requires). */
void RtPostRxDescriptor(RT_RXQUEUE *rx, UINT32 Index, NET_FRAGMENT const *fragment,
                        UINT64 LogicalAddress)
{
    NET_RING *fr = NetRingCollectionGetFragmentRing(&rx->Rings);
    SHMF_NET_FRAGMENT_SHM *hw = ShmfNetRingGetFragmentShmAtIndex(fr, Index);
    RT_RX_DESC *rxd = &rx->Descriptors[Index];

    rxd->BufferAddress = LogicalAddress;
    rxd->Length = static_cast<UINT32>(fragment->Capacity);
    MemoryBarrier();
    rxd->Status = RXS_OWN;
    hw->HardwareLength = 0;
    hw->HardwareStatus = SHMF_HW_POSTED;
}

void RxPostBuffers(RT_RXQUEUE *rx)
{
    rteth::RingRange fi = rteth::PostFragments(&rx->Rings);

    while (fi.HasAny()) {
        UINT32 const index = fi.Index();
        UINT64 const la = NetExtensionGetFragmentLogicalAddress(&rx->LogicalAddressExtension, index)
                              ->LogicalAddress;
        RtPostRxDescriptor(rx, index, rteth::FragmentAt(fi), la);
        fi.Advance();
    }
    fi.Commit();
}

} // namespace

_Use_decl_annotations_ VOID ShmfProviderRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing,
                                                    ULONG QueueId)
{
    RT_RXQUEUE *rx = RtGetRxQueueContext(FragmentRing, PacketRing, QueueId);

    RxIndicateReceives(rx);
    RxPostBuffers(rx);
}

/* EvtRxQueueCancel: grab what completed, then return every packet (Ignore)
   and every fragment. */
_Use_decl_annotations_ VOID ShmfProviderRingCancel(NET_RING *FragmentRing, NET_RING *PacketRing,
                                                   ULONG QueueId)
{
    RT_RXQUEUE *rx = RtGetRxQueueContext(FragmentRing, PacketRing, QueueId);

    RxIndicateReceives(rx);

    rteth::RingRange pi = rteth::AllPackets(&rx->Rings);
    while (pi.HasAny()) {
        rteth::PacketAt(pi)->Ignore = 1;
        pi.Advance();
    }
    pi.Commit();

    rteth::RingRange fi = rteth::AllFragments(&rx->Rings);
    fi.AdvanceToEnd();
    fi.Commit();
}
