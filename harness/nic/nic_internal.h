/*
 * nic_internal.h -- private to the NIC model (nic.c: life cycle and shared
 * memory; nic_data.c: the data path and the driver's ring routines).  Not
 * installed, not included by the executor: its API is nic.h.
 *
 * Ownership of a receive buffer (struct nic_buf.state):
 *   FREE --post--> POSTED --advance (bound to a packet)--> INDICATED --return--> FREE
 *                  POSTED --advance (no packet, or Ignore)--> FREE
 * The OS keeps its own map from fragment-ring element to buffer (ring_buf), so
 * a driver that scribbles on fragments cannot make the OS lose a buffer.
 */
#ifndef SHMF_NIC_INTERNAL_H
#define SHMF_NIC_INTERNAL_H

#include "nic.h"
#include "ring_verify.h"

#define NIC_MAX_BLOCKS 16u
#define NO_BUF UINT32_MAX

enum nic_buf_state { BUF_FREE, BUF_POSTED, BUF_INDICATED };

/* One shared-memory allocation of a queue. */
struct nic_block {
    NDIS_HANDLE alloc; /* allocation handle, for NdisFreeSharedMemory */
    NDIS_HANDLE smh;   /* SharedMemoryHandle, named in indications */
    unsigned char *va;
    ULONG length;
    ULONG nsg;
    SCATTER_GATHER_ELEMENT *sg; /* copy of the returned SG list */
};

struct nic_buf {
    unsigned char *va;
    uint64_t la;
    NDIS_HANDLE smh;
    ULONG offset;
    ULONG length;
    enum nic_buf_state state;
};

struct nic_queue {
    ULONG qid;
    enum shmf_nic_queue_state state;
    UINT32 count; /* ring elements == buffers wanted */
    unsigned bufsize, stride;
    struct nic_block blocks[NIC_MAX_BLOCKS];
    unsigned nblocks;
    struct nic_block xmit; /* Invariant: xmit.alloc != NULL iff allocated */
    struct nic_buf *bufs;  /* count entries, nbufs carved */
    unsigned nbufs, post_cursor, return_cursor;
    NET_RING *fring, *pring;
    uint32_t *ring_buf;           /* buffer index per fragment element, or NO_BUF */
    uint32_t *claimed;            /* per fragment element: the advance (claim_gen) that
                                     bound it to a returned packet */
    uint32_t claim_gen;           /* this advance's stamp; never 0 */
    bool lazy;                    /* queue 0: memory and rings not allocated yet */
    uint32_t advances;            /* driver advances so far (NetAdapterCx's IRQL toggle) */
    struct nic_queue *spare_next; /* on shmf_nic.spare once destroyed */
};

struct shmf_nic {
    NDIS_HANDLE miniport;
    shmf_ring_advance_fn advance; /* NULL: no driver (advances move nothing) */
    shmf_ring_cancel_fn cancel;   /* NULL: no driver (rings dropped at free) */
    const char *advance_name;     /* for findings: ShmfProviderRingAdvance or ... */
    const char *cancel_name;      /* ... ShmfReferenceRing*, shmf_nic_set_ring_* */
    struct nic_queue *queues[SHMF_NIC_MAX_QUEUES]; /* slot order, queue 0 first */
    struct nic_queue *spare;                       /* destroyed queue objects, for reuse (nic.c) */
    unsigned nqueues;
    bool verify; /* full ring verifier and payload checks */
    struct shmf_ring_snapshot fsnap, psnap;
    uint32_t seq;
    struct shmf_nic_stats stats;
    unsigned char pkt[SHMF_NIC_MAX_BUFSIZE];
    unsigned char rd[SHMF_NIC_MAX_BUFSIZE];
    /* ramp[i] == i & 0xff: byte j >= 12 of packet seq is ramp[phase(seq) + j]
       (nic_data.c), so packets are built and checked a run at a time. */
    unsigned char ramp[256 + SHMF_NIC_MAX_BUFSIZE];
};

/* The queue at slot (modulo the live count), or NULL when none is live. */
struct nic_queue *shmf__nic_queue_at(const struct shmf_nic *nic, unsigned slot);
unsigned shmf__nic_clamp(unsigned v, unsigned lo, unsigned hi);

/* One NdisAllocateSharedMemory call for queue qid (nic.c).  pre: out is zeroed.
   @return 0; -EAGAIN (not at PASSIVE_LEVEL); -ENOMEM. */
int shmf__nic_block_alloc(struct shmf_nic *nic, ULONG qid, NDIS_SHARED_MEMORY_USAGE usage,
                          ULONG length, bool contiguous, struct nic_block *out);

/* Queue 0 gets its memory and rings on the first op that needs them (nic.c);
   deterministic: the same ops give the same allocations.  @return 0, or the
   queue_start error (the queue then stays without a data path). */
int shmf__nic_queue_materialize(struct shmf_nic *nic, struct nic_queue *q);

/* Run the driver's cancel under the verifier, then its advance until both rings
   are empty, as NetAdapterCx does, and take back every buffer it kept
   (nic_data.c); reports a hang if it did not return everything. */
void shmf__nic_cancel_ring(struct shmf_nic *nic, struct nic_queue *q);

#endif /* SHMF_NIC_INTERNAL_H */
