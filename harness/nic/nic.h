/*
 * nic.h -- the NIC model and the VMQ receive-queue life cycle that the harness
 * executor drives (ndis-facts.md sections 5 and 8; docs/rings.md).
 *
 * The model plays three roles around the provider: the miniport (allocates and
 * frees each queue's shared memory with NdisAllocateSharedMemory /
 * NdisFreeSharedMemory, in the documented order), the OS (posts receive buffers
 * to the queue's NET_RINGs, takes drained packets as indications, gets them back
 * from the stack) and the NIC (DMAs packets into posted fragments and reads
 * transmit buffers, through shmf_rt_dma_write / shmf_rt_dma_read).  The driver
 * side of the rings is a provider's ShmfProviderRingAdvance / ...Cancel export
 * (the plug-in ABI, docs/rings.md), or for a provider without them the reference
 * provider's, both obtained by target.c; every call to it is bracketed by the
 * ring verifier.  It never calls a provider's shared-memory handlers directly,
 * nor links any provider code.
 *
 * Global rules:
 * - int functions return 0 or a negative errno; burst operations (post, rx,
 *   return, advance, tx) return the number of elements moved (>= 0) instead of 0.
 * - `slot` arguments are taken modulo the number of live queues by this module
 *   (slot 0 is the default queue while it exists; others follow in allocation
 *   order), so any byte from the fuzzer names a live queue.
 * - Not thread-safe: one model per world, called from one thread at a time.
 * - Errors: -ENOENT no live queue (after halt); -EAGAIN the queue's state or the
 *   IRQL does not allow the operation (a correct miniport would defer it);
 *   -ENOSPC no queue id left; -ENOMEM memory could not be allocated; -EFAULT the
 *   runtime refused a DMA (a finding was recorded); -EPROTO the driver broke a
 *   ring rule (findings recorded, the rings were restored).
 */
#ifndef SHMF_NIC_H
#define SHMF_NIC_H

#include <ndis.h>
#include <net/ring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Signatures of the driver's ring routines: the optional provider exports
   ShmfProviderRingAdvance / ShmfProviderRingCancel (docs/rings.md).  The same
   typedefs are in providers/reference/ring_driver.h, under the same guard. */
#ifndef SHMF_RING_FN_TYPEDEFS
#define SHMF_RING_FN_TYPEDEFS
typedef VOID (*shmf_ring_advance_fn)(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);
typedef VOID (*shmf_ring_cancel_fn)(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);
#endif

#define SHMF_NIC_MAX_QUEUES 8u /* live queues, default queue included */
#define SHMF_NIC_MIN_ORDER 1u  /* ring of 2 elements */
#define SHMF_NIC_MAX_ORDER 8u  /* ring of 256 elements */
#define SHMF_NIC_MIN_BUFSIZE 64u
#define SHMF_NIC_MAX_BUFSIZE 16384u
#define SHMF_NIC_DEFAULT_ORDER 4u /* default queue: 16 buffers */
#define SHMF_NIC_DEFAULT_BUFSIZE 2048u
#define SHMF_NIC_MIN_BUFFERS 2u /* fewer carved buffers fail the queue */
#define SHMF_NIC_MIN_PKTLEN 16u /* NIC packets carry a 12-byte pattern header */

/* Queue states (NDIS: Allocated -> Running / Paused -> DMA stopped -> Freeing). */
enum shmf_nic_queue_state {
    SHMF_NIC_Q_ALLOCATED = 1, /* id assigned, no memory yet (or none could be had) */
    SHMF_NIC_Q_RUNNING,       /* memory and rings ready; the data path is legal */
    SHMF_NIC_Q_PAUSED,        /* data path suspended */
    SHMF_NIC_Q_DMA_STOPPED,   /* free in progress: DMA stopped, ring cancelled */
    SHMF_NIC_Q_FREEING,       /* free in progress: indications returned, memory freed */
};

struct shmf_nic_queue_info {
    ULONG qid;
    enum shmf_nic_queue_state state;
    UINT32 ring_size;   /* NumberOfElements of both rings (0: no rings) */
    unsigned bufsize;   /* clamped buffer size */
    unsigned buffers;   /* carved receive buffers */
    unsigned free;      /* ... postable */
    unsigned posted;    /* ... in the fragment ring */
    unsigned indicated; /* ... owned by the stack until returned */
    unsigned blocks;    /* receive blocks (shared-memory allocations) */
    bool has_xmit;      /* the lazily allocated transmit block exists */
    const NET_RING *fragment_ring;
    const NET_RING *packet_ring;
};

struct shmf_nic_stats {
    uint64_t posted;      /* fragments posted by the OS */
    uint64_t advances;    /* driver advance calls */
    uint64_t rx_packets;  /* packets DMAed by the NIC */
    uint64_t indicated;   /* buffers indicated to the stack */
    uint64_t dropped;     /* buffers returned by the driver without a packet, or ignored */
    uint64_t returned;    /* buffers returned by the stack */
    uint64_t tx_packets;  /* packets read by the NIC */
    uint64_t data_errors; /* payloads that did not match the pattern the NIC wrote */
};

struct shmf_nic;

/* A model with no queues, or NULL when memory runs out. */
struct shmf_nic *shmf_nic_create(void);
/* Free the model's host memory (not shared memory: halt first). NULL is ignored. */
void shmf_nic_destroy(struct shmf_nic *nic);

/* Start a world: forget every queue of the previous world without NDIS calls
   (their blocks died with the runtime's reset), then create the default queue 0
   (order SHMF_NIC_DEFAULT_ORDER, SHMF_NIC_DEFAULT_BUFSIZE) and allocate its memory
   as MiniportInitializeEx would.  The ring routines set before are kept.
   pre: the provider is loaded; IRQL is PASSIVE_LEVEL.
   @return 0; -ENOMEM (queue 0 exists without memory, its data path is off). */
int shmf_nic_reset(struct shmf_nic *nic, NDIS_HANDLE miniport_handle);
/* Free every queue object (after the world is done; no provider call). */
void shmf_nic_clear(struct shmf_nic *nic);

/* The model's own checks, on (true) by default and kept across shmf_nic_reset.
   On: the ring verifier snapshots both rings whole around every driver call
   (ring_verify.h) and every indicated payload is compared with the pattern the
   NIC wrote.  Off (benchmarks of the bare data path): only the O(1) part stays,
   the header and index checks (the OS side cannot go on without them; their
   violations are still findings, and the headers are restored), the packet
   binding checks, and a payload check of the pattern header and last byte.
   Element ownership and the element rules are not checked, elements are not
   restored, and advances run at the caller's IRQL. */
void shmf_nic_set_verify(struct shmf_nic *nic, bool on);

/* The driver's ring routines, as target.c obtained them through the provider
   ABI (the provider's exports, or the reference provider's).  NULL: no driver;
   advances then move nothing, and a queue's rings are dropped at free without a
   cancel (and without the cancel's hang check).  Findings and traces name a
   routine ShmfReferenceRingAdvance / ...Cancel when it was noted as the reference
   provider's (shmf_nic_note_reference_ring), else ShmfProviderRingAdvance /
   ...Cancel.  Kept across shmf_nic_reset. */
void shmf_nic_set_ring_advance(struct shmf_nic *nic, shmf_ring_advance_fn fn);
void shmf_nic_set_ring_cancel(struct shmf_nic *nic, shmf_ring_cancel_fn fn);

/* Note routines that are the reference provider's ring driver (the
   ShmfReferenceRing* of a loaded module; NULL entries are ignored), so that the
   setters above name them as such.  Process-wide; call before the models that
   use them are set up (target loading does).  At most SHMF_NIC_MAX_REFERENCE
   pairs are kept; later ones are named as provider routines. */
#define SHMF_NIC_MAX_REFERENCE 8u
void shmf_nic_note_reference_ring(shmf_ring_advance_fn advance, shmf_ring_cancel_fn cancel);

/* Allocate a queue: assign the lowest free id, "allocation complete", allocate
   2^order receive buffers of bufsize bytes (order clamped to 1..8, bufsize to
   64..16384) in Receive blocks, retrying with half the size on failure, create
   the rings and start the queue.  On failure everything is freed.
   pre: IRQL is PASSIVE_LEVEL.  @return 0; -EAGAIN; -ENOSPC; -ENOMEM. */
int shmf_nic_queue_alloc(struct shmf_nic *nic, unsigned order, unsigned bufsize, ULONG *qid_out);

/* Free a non-default queue in the documented order: stop DMA, DMA-stopped,
   cancel the ring (then advance until both rings are empty, as NetAdapterCx
   does), wait for (here: take back) every indication, free every block,
   complete.  A no-op returning 0 for the default queue.
   pre: IRQL is PASSIVE_LEVEL.  @return 0; -ENOENT; -EAGAIN. */
int shmf_nic_queue_free(struct shmf_nic *nic, unsigned slot);

/* Pause (true) or resume (false) a queue's data path.  @return 0; -ENOENT;
   -EAGAIN when the queue is neither running nor paused. */
int shmf_nic_queue_pause(struct shmf_nic *nic, unsigned slot, bool paused);

/* OS: post up to `count` free buffers to the fragment ring (advance EndIndex)
   and top up the packet ring.  @return buffers posted; -ENOENT; -EAGAIN. */
int shmf_nic_post(struct shmf_nic *nic, unsigned slot, unsigned count);

/* DPC: call the driver's advance under the ring verifier, then indicate the
   packets it returned.  The caller raises to DISPATCH_LEVEL around it; with
   the model's checks on, every other advance of a queue (the 2nd, 4th, ...)
   runs at PASSIVE_LEVEL instead, as NetAdapterCx's verifier runs them.
   @return buffers indicated; -ENOENT; -EAGAIN; -ENOMEM; -EPROTO. */
int shmf_nic_advance(struct shmf_nic *nic, unsigned slot);

/* NIC: DMA `count` packets of pktlen bytes (clamped to SHMF_NIC_MIN_PKTLEN..
   the fragment's Capacity) into fragments handed to hardware and not yet
   completed, and complete them.  @return packets received; -ENOENT; -EAGAIN;
   -EFAULT (first DMA refused). */
int shmf_nic_rx(struct shmf_nic *nic, unsigned slot, unsigned count, unsigned pktlen);

/* NIC: transmit one packet of pktlen bytes, read by DMA from the queue's Xmit
   block (allocated on first use, which needs PASSIVE_LEVEL).
   @return 1; -ENOENT; -EAGAIN; -ENOMEM; -EFAULT. */
int shmf_nic_tx(struct shmf_nic *nic, unsigned slot, unsigned pktlen);

/* Stack: return up to `count` indicated buffers (they become postable).
   @return buffers returned; -ENOENT. */
int shmf_nic_return(struct shmf_nic *nic, unsigned slot, unsigned count);

/* MiniportHaltEx: free every non-default queue as shmf_nic_queue_free does,
   then the default queue's memory.  Afterwards no queue is live.
   pre: IRQL is PASSIVE_LEVEL. */
void shmf_nic_halt(struct shmf_nic *nic);

unsigned shmf_nic_queue_count(const struct shmf_nic *nic);
/* Does this allocation handle belong to a live queue (receive or Xmit block)?
   The executor's own free op must leave such blocks alone. */
bool shmf_nic_owns(const struct shmf_nic *nic, NDIS_HANDLE allocation_handle);
/* @return 0; -ENOENT. */
int shmf_nic_queue_info(const struct shmf_nic *nic, unsigned slot, struct shmf_nic_queue_info *out);
void shmf_nic_get_stats(const struct shmf_nic *nic, struct shmf_nic_stats *out);
void shmf_nic_dump(FILE *f, const struct shmf_nic *nic);

#endif /* SHMF_NIC_H */
