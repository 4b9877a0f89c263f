/*
 * rt_shm.h -- private interface of the shared-memory pieces of the runtime
 * and of the provider-facing ones around them: registration and the block
 * table (rt_shm.c), the allocate-result checks (rt_sgcheck.c), the overlap
 * index (rt_overlap.c), queues (rt_queue.c) and drivers (rt_driver.c).  Not
 * installed.
 */
#ifndef SHMF_RT_SHM_H
#define SHMF_RT_SHM_H

#include "rt_internal.h"

/* Fill of the caller's SG buffer before the allocate handler runs: a failed
   call must leave it so (rt_shm.c fills, rt_sgcheck.c checks). */
#define SHMF_SG_FILL 0xA5

/* Registration and blocks (rt_shm.c). */
void shmf__shm_reset(void);
bool shmf__shm_registered(void);
/* Report leak-shared-memory for pages of freed blocks the provider still holds. */
void shmf__shm_check_leaks(void);
/* Live block of `queue` whose SG list covers [la, la+n); else NULL info.
   *other_queue receives the queue of a live block covering la that belongs to
   another queue, or -1. */
bool shmf__shm_find_dma_target(ULONG queue, uint64_t la, size_t n, long *other_queue);
bool shmf__shm_is_valid(void);

/* What NdisAllocateSharedMemory saw, for the result checks (rt_sgcheck.c). */
struct shmf_alloc_check {
    NDIS_STATUS status;
    USHORT size;                          /* Header.Size */
    NDIS_SHARED_MEMORY_PARAMETERS before; /* the caller's block before the call */
    NDIS_SHARED_MEMORY_PARAMETERS after;  /* ... and after (bytes past size zero) */
    NDIS_HANDLE context;                  /* provider context returned */
    bool context_live;                    /* equal to a live block's context */
    ULONG sg_count;                       /* elements validated (<= what fits) */
    const SCATTER_GATHER_ELEMENT *sg;     /* points into the caller's SG buffer */
};

/* Check the allocate handler's results, all but block-overlap (rt_shm.c checks
   that when it records the block); report findings.  On success fills
   c->sg / c->sg_count.  Returns false if the block must not be recorded.
   Takes no lock but the findings lock: page states are read atomically. */
bool shmf__check_alloc(struct shmf_alloc_check *c);

/* === Overlap index of the live blocks (rt_overlap.c) ===
 * For block-overlap: per logical page of the simulated memory, how many live
 * blocks' SG elements have a byte in it; per arena page, how many live blocks'
 * [va, va+length) do; and how many ranges lie (partly) elsewhere.  A new block
 * can overlap a live one only where a count shows another block, so rt_shm.c
 * runs its exact walk over the live blocks only then.  Shared by all
 * processors and lock-free (atomic counters): the caller holds no lock, and
 * adds a block only after recording it where the exact walk finds it. */
struct shmf_ovl_ref {
    uint32_t va_first, va_pages; /* arena pages counted for [va, va+length) */
    uint32_t odd;                /* ranges counted as lying elsewhere */
};
/* Count a live block, already recorded in its home; owner (non-zero) names it
   to shmf__ovl_owner.  Returns false only if no other block counted (now or
   before) can overlap [va, va+len) or the SG list: of two blocks added
   concurrently over a page, the later one to count it gets true. */
bool shmf__ovl_add(struct shmf_ovl_ref *r, uint64_t owner, PVOID va, ULONG len,
                   const SCATTER_GATHER_ELEMENT *sg, ULONG n);
/* Undo shmf__ovl_add(r, ..., sg, n). */
void shmf__ovl_remove(const struct shmf_ovl_ref *r, const SCATTER_GATHER_ELEMENT *sg, ULONG n);
/* The owner of the block added last over la's page while a live block's SG
   list touches that page, else 0: a hint (that block may be freed), checked by
   the caller. */
uint64_t shmf__ovl_owner(uint64_t la);
/* Live blocks added and ranges counted as lying elsewhere (for rt_shm.c's
   checker; exact between ops). */
void shmf__ovl_totals(unsigned *blocks, unsigned *odd);
/* Zero the per-processor block counts (rt_shm.c's reset, after removing every
   block). */
void shmf__ovl_reset(void);
/* Between ops (the counters are not locked). */
bool shmf__ovl_is_valid(void);

/* A provider that comes in as a driver (rt_driver.c).  Called with no
   simulated processor running provider code (load, unload, reset). */
void shmf__driver_reset(void);
/* Call DriverEntry at PASSIVE_LEVEL; check it left a driver registered when it
   succeeded and none when it failed.  0, -ENODEV (it failed) or -EINVAL. */
int shmf__driver_load(shmf_driver_entry_fn entry);
/* Call the driver object's DriverUnload routine; check the driver deregistered. */
void shmf__driver_unload(void);

/* Queues (rt_queue.c): allocated and DMA-stopped, as the miniport reports
   them.  shmf__queue_forget: the queue was freed (not the default queue). */
void shmf__queue_reset(void);
bool shmf__queue_is_allocated(ULONG queue);
bool shmf__queue_dma_stopped(ULONG queue);
void shmf__queue_forget(ULONG queue);
bool shmf__queue_is_valid(void);

#endif /* SHMF_RT_SHM_H */
