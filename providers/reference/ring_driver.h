/*
 * ring_driver.h -- the driver side of a receive queue's rings, written as a
 * NetAdapterCx client writes EvtPacketQueueAdvance / EvtPacketQueueCancel.
 *
 * This code sees only <ndis.h> and <net/ring.h>, like any provider.  The NIC
 * model (harness/nic/nic.c) calls the advance routine at DISPATCH_LEVEL, or,
 * every other call with its checks on, at PASSIVE_LEVEL (as NetAdapterCx's
 * verifier does), and the cancel routine at PASSIVE_LEVEL, each bracketed by
 * the ring verifier; after a cancel it calls advance until both rings are
 * empty.
 *
 * Provider ABI (optional exports, see docs/rings.md): a provider may export
 *     VOID ShmfProviderRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing,
 *                                  ULONG QueueId);
 * and ShmfProviderRingCancel, and the harness then calls them as the driver
 * side of its rings.  The reference provider exports this file's routines so:
 * ring_driver.c defines ShmfProviderRingAdvance / ShmfProviderRingCancel as weak
 * aliases of ShmfReferenceRingAdvance / ShmfReferenceRingCancel, so a provider
 * that links ring_driver.c and defines its own (as planted-bug providers do to
 * ship a buggy driver) keeps its own.  For a provider that exports neither, the
 * harness loads the reference provider's (libshmfprov_reference.so) or, in an
 * engine target built by shmfuzz_add_provider, links this file beside it.
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

/* Signatures of the optional ShmfProviderRingAdvance / ShmfProviderRingCancel
   exports (and the reference); the harness's nic.h has the same, same guard. */
#ifndef SHMF_RING_FN_TYPEDEFS
#define SHMF_RING_FN_TYPEDEFS
typedef VOID (*shmf_ring_advance_fn)(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);
typedef VOID (*shmf_ring_cancel_fn)(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);
#endif

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
