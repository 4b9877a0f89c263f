/*
 * rule_drivers.c -- tiny receive-ring drivers, one broken NetAdapterCx ring
 * rule each (contract in rule_drivers.h).  They share the drain and post of a
 * correct driver, written as a NetAdapterCx client writes EvtPacketQueueAdvance;
 * each driver's comment names the rule it breaks.  Sees only <ndis.h> and
 * <net/ring.h>, like a provider.
 */
#include <ndis.h>
#include <net/ring.h>

#include "rule_drivers.h"

/* === A correct advance, with hooks === */

#define DRAIN_NO_LAYOUT 0x1u   /* leave the packet's Layout as the OS posted it */
#define DRAIN_NO_FRAGMENT 0x2u /* leave ValidLength and Offset as posted */

typedef VOID FIX_PACKET(NET_RING *Fr, NET_PACKET *Packet);

/* Ethernet, IPv4, UDP with their shortest headers: what a NIC that parses
   headers reports. */
static VOID WriteLayout(NET_PACKET *Packet)
{
    Packet->Layout.Layer2Type = NetPacketLayer2TypeEthernet;
    Packet->Layout.Layer3Type = NetPacketLayer3TypeIPv4UnspecifiedOptions;
    Packet->Layout.Layer4Type = NetPacketLayer4TypeUdp;
    Packet->Layout.Layer2HeaderLength = 14;
    Packet->Layout.Layer3HeaderLength = 20;
    Packet->Layout.Layer4HeaderLength = 8;
}

/* Return the fragments hardware completed in [Begin, Next), one packet each,
   while packets are left; Fix (optional) edits each packet after it is
   written.  Returns the number drained. */
static UINT32 Drain(NET_RING *Fr, NET_RING *Pr, ULONG Flags, FIX_PACKET *Fix)
{
    UINT32 f = Fr->BeginIndex, p = Pr->BeginIndex, n = 0;

    while (f != Fr->NextIndex && p != Pr->EndIndex) {
        SHMF_NET_FRAGMENT_SHM *rxd = ShmfNetRingGetFragmentShmAtIndex(Fr, f);
        NET_PACKET *packet = NetRingGetPacketAtIndex(Pr, p);

        if (rxd->HardwareStatus != SHMF_HW_DONE)
            break;
        if (!(Flags & DRAIN_NO_FRAGMENT)) {
            rxd->Fragment.ValidLength = rxd->HardwareLength;
            rxd->Fragment.Offset = 0;
        }
        rxd->HardwareStatus = SHMF_HW_IDLE;
        packet->FragmentIndex = f;
        packet->FragmentCount = 1;
        if (!(Flags & DRAIN_NO_LAYOUT))
            WriteLayout(packet);
        if (Fix != NULL)
            Fix(Fr, packet);
        f = NetRingIncrementIndex(Fr, f);
        p = NetRingIncrementIndex(Pr, p);
        n++;
    }
    Fr->BeginIndex = f;
    Pr->BeginIndex = p;
    return n;
}

/* Hand [Next, End) to hardware. */
static VOID Post(NET_RING *Fr)
{
    for (UINT32 i = Fr->NextIndex; i != Fr->EndIndex; i = NetRingIncrementIndex(Fr, i)) {
        SHMF_NET_FRAGMENT_SHM *rxd = ShmfNetRingGetFragmentShmAtIndex(Fr, i);
        rxd->HardwareLength = 0;
        rxd->HardwareStatus = SHMF_HW_POSTED;
    }
    Fr->NextIndex = Fr->EndIndex;
}

static VOID Advance(NET_RING *Fr, NET_RING *Pr, ULONG Flags, FIX_PACKET *Fix)
{
    Drain(Fr, Pr, Flags, Fix);
    Post(Fr);
}

/* === Ring headers and ownership === */

/* Header bytes before BeginIndex are the OS's: stashes a flag in OSReserved1. */
VOID RuleHeaderWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, NULL);
    Fr->OSReserved1 = 1;
}

/* Range(Begin, End) only shrinks: takes back the element before BeginIndex. */
VOID RuleBeginBackwards(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(Pr);
    UNREFERENCED_PARAMETER(QueueId);
    Fr->BeginIndex = NetRingAdvanceIndex(Fr, Fr->BeginIndex, (UINT32)-1);
}

/* Elements in [End, Begin) are the OS's: marks the fragment at EndIndex. */
VOID RuleOsElementWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, NULL);
    NetRingGetFragmentAtIndex(Fr, Fr->EndIndex)->Scratch = 1;
}

/* === Fields a returned packet must write === */

/* Layout must be written: binds packets but never sets their layer types. */
VOID RuleLayoutUnwritten(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, DRAIN_NO_LAYOUT, NULL);
}

static VOID CountZero(NET_RING *Fr, NET_PACKET *Packet)
{
    UNREFERENCED_PARAMETER(Fr);
    Packet->FragmentCount = 0;
}

/* A returned packet has FragmentCount > 0. */
VOID RuleFragmentCountZero(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, CountZero);
}

/* A returned packet's fragments get ValidLength and Offset: forgets both. */
VOID RuleValidLengthUnwritten(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, DRAIN_NO_FRAGMENT, NULL);
}

/* === Where a returned packet's fragments lie === */

/* Fragments of a returned packet are returned with it: after draining, binds
   one more packet to the first fragment it keeps, and returns that packet. */
VOID RuleFragmentNotReturned(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Drain(Fr, Pr, 0, NULL);
    NET_PACKET *packet = NetRingGetPacketAtIndex(Pr, Pr->BeginIndex);
    packet->FragmentIndex = Fr->BeginIndex;
    packet->FragmentCount = 1;
    WriteLayout(packet);
    Pr->BeginIndex = NetRingIncrementIndex(Pr, Pr->BeginIndex);
    Post(Fr);
}

static VOID PointAtEnd(NET_RING *Fr, NET_PACKET *Packet)
{
    Packet->FragmentIndex = Fr->EndIndex;
}

/* ... and were the driver's before the call: names the OS's fragment at
   EndIndex. */
VOID RuleFragmentOsOwned(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, PointAtEnd);
}

/* Returned packets' fragments ascend: swaps the first two packets'. */
VOID RuleFragmentsDescending(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UINT32 p0 = Pr->BeginIndex;

    UNREFERENCED_PARAMETER(QueueId);
    if (Drain(Fr, Pr, 0, NULL) >= 2) {
        NET_PACKET *a = NetRingGetPacketAtIndex(Pr, p0);
        NET_PACKET *b = NetRingGetPacketAtIndex(Pr, NetRingIncrementIndex(Pr, p0));
        UINT32 first = a->FragmentIndex;
        a->FragmentIndex = b->FragmentIndex;
        b->FragmentIndex = first;
    }
    Post(Fr);
}

/* === A packet that can exist === */

static VOID EthernetShort(NET_RING *Fr, NET_PACKET *Packet)
{
    UNREFERENCED_PARAMETER(Fr);
    Packet->Layout.Layer2HeaderLength = 6;
}

/* An Ethernet header is 0 (not given) or at least 14 bytes. */
VOID RuleEthernetShort(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, EthernetShort);
}

static VOID Ipv4Short(NET_RING *Fr, NET_PACKET *Packet)
{
    UNREFERENCED_PARAMETER(Fr);
    Packet->Layout.Layer3HeaderLength = 16;
}

/* An IPv4 header is 0 or at least 20 bytes. */
VOID RuleIpv4Short(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, Ipv4Short);
}

static VOID Ipv6Short(NET_RING *Fr, NET_PACKET *Packet)
{
    UNREFERENCED_PARAMETER(Fr);
    Packet->Layout.Layer3Type = NetPacketLayer3TypeIPv6NoExtensions;
    Packet->Layout.Layer3HeaderLength = 20; /* an IPv4 length */
}

/* An IPv6 header is 0 or at least 40 bytes. */
VOID RuleIpv6Short(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, Ipv6Short);
}

static VOID TcpUnaligned(NET_RING *Fr, NET_PACKET *Packet)
{
    UNREFERENCED_PARAMETER(Fr);
    Packet->Layout.Layer4Type = NetPacketLayer4TypeTcp;
    Packet->Layout.Layer4HeaderLength = 22;
}

/* A TCP header is 20..60 bytes in steps of 4 (or 0). */
VOID RuleTcpUnaligned(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, TcpUnaligned);
}

static VOID TcpLong(NET_RING *Fr, NET_PACKET *Packet)
{
    UNREFERENCED_PARAMETER(Fr);
    Packet->Layout.Layer4Type = NetPacketLayer4TypeTcp;
    Packet->Layout.Layer4HeaderLength = 64;
}

VOID RuleTcpLong(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, TcpLong);
}

static VOID UdpShort(NET_RING *Fr, NET_PACKET *Packet)
{
    UNREFERENCED_PARAMETER(Fr);
    Packet->Layout.Layer4HeaderLength = 4;
}

/* A UDP header is 0 or at least 8 bytes. */
VOID RuleUdpShort(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, UdpShort);
}

static VOID Layer3OutOfRange(NET_RING *Fr, NET_PACKET *Packet)
{
    UNREFERENCED_PARAMETER(Fr);
    Packet->Layout.Layer3Type = NetPacketLayer3TypeIPv6NoExtensions + 1;
}

/* Layer types are NET_PACKET_LAYER*_TYPE values. */
VOID RuleLayer3TypeOutOfRange(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, Layer3OutOfRange);
}

static VOID PastCapacity(NET_RING *Fr, NET_PACKET *Packet)
{
    NET_FRAGMENT *fragment = NetRingGetFragmentAtIndex(Fr, Packet->FragmentIndex);
    fragment->Offset = 2;
    fragment->ValidLength = fragment->Capacity - 1;
}

/* Offset + ValidLength <= Capacity. */
VOID RuleDataPastCapacity(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, PastCapacity);
}

/* === Fields in the driver's range that stay the OS's === */

/* A packet marked Ignore is otherwise unchanged: marks the first packet it
   keeps Ignore, and binds it as well. */
VOID RuleIgnoreModified(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, NULL);
    NET_PACKET *packet = NetRingGetPacketAtIndex(Pr, Pr->BeginIndex);
    packet->Ignore = 1;
    packet->FragmentIndex = Fr->BeginIndex;
}

/* Reserved bits are the OS's, in kept packets too: sets Reserved1 of the last
   packet it keeps. */
VOID RuleReservedWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, NULL);
    NetRingGetPacketAtIndex(Pr, NetRingAdvanceIndex(Pr, Pr->EndIndex, (UINT32)-1))->Reserved1 = 1;
}

static VOID CapacityToLength(NET_RING *Fr, NET_PACKET *Packet)
{
    NET_FRAGMENT *fragment = NetRingGetFragmentAtIndex(Fr, Packet->FragmentIndex);
    fragment->Capacity = fragment->ValidLength;
}

/* The OS attached the buffers, so Capacity is its: sets Capacity to the
   received length (right only where the driver attaches the buffers). */
VOID RuleCapacityWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    Advance(Fr, Pr, 0, CapacityToLength);
}

/* === IRQL === */

static NDIS_SPIN_LOCK RuleLock;
static BOOLEAN RuleLockReady;
KIRQL RuleIrqlSeen[8];
ULONG RuleIrqlCalls;

/* Advance runs at PASSIVE_LEVEL every other call with the verifier on: takes
   its lock as a DPC would, with NdisDprAcquireSpinLock. */
VOID RuleDprLock(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    if (!RuleLockReady) {
        NdisAllocateSpinLock(&RuleLock);
        RuleLockReady = TRUE;
    }
    NdisDprAcquireSpinLock(&RuleLock);
    Advance(Fr, Pr, 0, NULL);
    NdisDprReleaseSpinLock(&RuleLock);
}

VOID RuleIrqlRecorder(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    if (RuleIrqlCalls < ARRAYSIZE(RuleIrqlSeen))
        RuleIrqlSeen[RuleIrqlCalls] = KeGetCurrentIrql();
    RuleIrqlCalls++;
    Advance(Fr, Pr, 0, NULL);
}

/* === Cancel === */

static ULONG RuleCancelled; /* bit QueueId: RuleLazyCancel ran */

VOID RuleLazyCancel(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(Fr);
    UNREFERENCED_PARAMETER(Pr);
    RuleCancelled |= 1u << (QueueId & 31);
}

VOID RuleDeferredAdvance(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    if (!(RuleCancelled & (1u << (QueueId & 31)))) {
        Advance(Fr, Pr, 0, NULL);
        return;
    }
    for (UINT32 i = Pr->BeginIndex; i != Pr->EndIndex; i = NetRingIncrementIndex(Pr, i))
        NetRingGetPacketAtIndex(Pr, i)->Ignore = 1;
    Pr->BeginIndex = Pr->EndIndex;
    Fr->BeginIndex = Fr->EndIndex;
    Fr->NextIndex = Fr->EndIndex;
}

VOID RuleResetCancel(VOID)
{
    RuleCancelled = 0;
    RuleIrqlCalls = 0;
    RuleLockReady = FALSE;
}

/* === Transmit === */

/* Complete every packet and fragment of the driver's range, setting their
   Scratch bits; BadFragment / BadPacket also change a field that is the OS's
   in the first fragment / packet. */
static VOID TxComplete(NET_RING *Fr, NET_RING *Pr, BOOLEAN BadFragment, BOOLEAN BadPacket)
{
    if (Pr->BeginIndex != Pr->EndIndex && BadPacket)
        NetRingGetPacketAtIndex(Pr, Pr->BeginIndex)->FragmentCount += 1;
    if (Fr->BeginIndex != Fr->EndIndex && BadFragment)
        NetRingGetFragmentAtIndex(Fr, Fr->BeginIndex)->ValidLength = 0;
    for (UINT32 i = Pr->BeginIndex; i != Pr->EndIndex; i = NetRingIncrementIndex(Pr, i))
        NetRingGetPacketAtIndex(Pr, i)->Scratch = 1;
    for (UINT32 i = Fr->BeginIndex; i != Fr->EndIndex; i = NetRingIncrementIndex(Fr, i))
        NetRingGetFragmentAtIndex(Fr, i)->Scratch = 1;
    Pr->BeginIndex = Pr->EndIndex;
    Fr->BeginIndex = Fr->EndIndex;
    Fr->NextIndex = Fr->EndIndex;
}

VOID RuleTxScratchOnly(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    TxComplete(Fr, Pr, FALSE, FALSE);
}

VOID RuleTxFragmentWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    TxComplete(Fr, Pr, TRUE, FALSE);
}

VOID RuleTxPacketWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId)
{
    UNREFERENCED_PARAMETER(QueueId);
    TxComplete(Fr, Pr, FALSE, TRUE);
}
