/*
 * rule_drivers.h -- tiny receive-ring drivers, each breaking exactly one of
 * NetAdapterCx's ring rules (docs/rings.md, "The ring verifier"), and two
 * that keep every rule in unusual ways.  test_ring_rules.c runs each under the
 * NIC model and checks the one finding it must produce.
 *
 * Every advance drains like the reference driver (ShmfReferenceRingAdvance):
 * completed fragments in [Begin, Next), one packet each, then hands [Next,
 * End) to hardware; the rule it breaks is in its comment (rule_drivers.c).
 * Like a provider, rule_drivers.c sees only <ndis.h> and <net/ring.h>.
 */
#ifndef SHMF_RULE_DRIVERS_H
#define SHMF_RULE_DRIVERS_H

#include <ndis.h>
#include <net/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Rx advances, each with one broken rule. */
VOID RuleHeaderWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleBeginBackwards(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleOsElementWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleLayoutUnwritten(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleFragmentCountZero(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleValidLengthUnwritten(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleFragmentNotReturned(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleFragmentOsOwned(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleFragmentsDescending(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleEthernetShort(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleIpv4Short(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleIpv6Short(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleTcpUnaligned(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleTcpLong(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleUdpShort(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleLayer3TypeOutOfRange(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleDataPastCapacity(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleIgnoreModified(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleReservedWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
VOID RuleCapacityWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
/* Assumes DISPATCH_LEVEL: takes a spin lock with NdisDprAcquireSpinLock. */
VOID RuleDprLock(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
/* Records KeGetCurrentIrql() of each call in RuleIrqlSeen[RuleIrqlCalls++]. */
VOID RuleIrqlRecorder(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
extern KIRQL RuleIrqlSeen[8];
extern ULONG RuleIrqlCalls;

/* Cancel that returns nothing.  With ShmfReferenceRingAdvance after it, the
   posted fragments are never returned: the queue free hangs.  With
   RuleDeferredAdvance after it, the first advance returns everything. */
VOID RuleLazyCancel(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
/* Advance that, once RuleLazyCancel ran for the queue, returns every packet
   (Ignore) and fragment, as RtEthSample's cancel does from its advance. */
VOID RuleDeferredAdvance(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
/* Forget RuleLazyCancel's calls (between tests). */
VOID RuleResetCancel(VOID);

/* Tx drivers, for shmf_ring_verify_tx: completes every packet by moving both
   BeginIndex values to EndIndex, and writes Scratch (allowed) ... */
VOID RuleTxScratchOnly(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
/* ... or also a fragment's ValidLength (anything but Scratch is the OS's). */
VOID RuleTxFragmentWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);
/* ... or also a packet's FragmentCount. */
VOID RuleTxPacketWrite(NET_RING *Fr, NET_RING *Pr, ULONG QueueId);

#ifdef __cplusplus
}
#endif
#endif /* SHMF_RULE_DRIVERS_H */
