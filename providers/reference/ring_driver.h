/*
 * ring_driver.h -- the driver side of a receive queue's rings, written as a
 * NetAdapterCx client writes EvtPacketQueueAdvance / EvtPacketQueueCancel.
 *
 * This code sees only <ndis.h> and <net/ring.h>, like any provider.  The NIC
 * model (harness/src/nic.c) calls the advance routine at DISPATCH_LEVEL, or,
 * every other call with its checks on, at PASSIVE_LEVEL (as NetAdapterCx's
 * verifier does), and the cancel routine at PASSIVE_LEVEL, each bracketed by
 * the ring verifier; after a cancel it calls advance until both rings are
 * empty.
 *
 * Provider ABI (optional export, see docs/rings.md): a provider may export
 *     VOID ShmfProviderRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing,
 *                                  ULONG QueueId);
 * and the harness then calls it in place of ShmfReferenceRingAdvance.  Planted
 * bug providers use this to ship a buggy driver.  Likewise, optionally,
 * ShmfProviderRingCancel in place of ShmfReferenceRingCancel.
 *
 * Contract of both routines: FragmentRing holds SHMF_NET_FRAGMENT_SHM elements,
 * PacketRing holds NET_PACKET elements, both with the same NumberOfElements; the
 * driver changes only BeginIndex, NextIndex, Scratch and the elements it owns.
 */
#ifndef SHMF_RING_DRIVER_H
#define SHMF_RING_DRIVER_H

#include <ndis.h>
#include <net/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Signature of the optional ShmfProviderRingAdvance export (and the reference). */
typedef VOID (*shmf_ring_advance_fn)(NET_RING *FragmentRing, NET_RING *PacketRing,
                                     ULONG QueueId);
/* Signature of the optional ShmfProviderRingCancel export (and the reference). */
typedef VOID (*shmf_ring_cancel_fn)(NET_RING *FragmentRing, NET_RING *PacketRing,
                                    ULONG QueueId);

/* The optional provider exports (declared so definitions are type-checked). */
VOID ShmfProviderRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);
VOID ShmfProviderRingCancel(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);

/* EvtPacketQueueAdvance for an Rx queue: drain the fragments in [Begin, Next)
   that hardware completed (set ValidLength, bind one packet per fragment,
   advance both BeginIndex values), then hand [Next, End) to hardware and
   advance NextIndex.  Stops draining when the packet ring has no element left. */
VOID ShmfReferenceRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);

/* EvtPacketQueueCancel for an Rx queue: return everything.  Every owned packet
   is marked Ignore and both rings' BeginIndex move to EndIndex (and the
   fragment ring's NextIndex too). */
VOID ShmfReferenceRingCancel(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);

#ifdef __cplusplus
}
#endif
#endif /* SHMF_RING_DRIVER_H */
