/*
 * rt_shm.h -- private interface of the shared-memory, world and DMA pieces of
 * the runtime (rt_world.c, rt_shm.c, rt_dma.c).  Not installed.
 */
#ifndef SHMF_RT_SHM_H
#define SHMF_RT_SHM_H

#include "rt_internal.h"

/* State saved around a call into provider code. */
struct shmf_handler_frame {
    KIRQL irql;
    uint32_t locks_held;
    uint32_t raise_depth;
};

/* Before calling a provider handler. */
void shmf__handler_enter(struct shmf_handler_frame *fr);
/* After it returned: report irql-not-restored / spinlock-held-on-return naming
   `handler`, then put the processor back where it was so the run can go on. */
void shmf__handler_exit(const struct shmf_handler_frame *fr, const char *handler);

uint32_t shmf__verify_flags(void);

/* Registration and blocks (rt_shm.c). */
void shmf__shm_reset(void);
bool shmf__shm_registered(void);
/* Report leak-shared-memory for pages of freed blocks the provider still holds. */
void shmf__shm_check_leaks(void);
/* Live block of `queue` whose SG list covers [la, la+n); else NULL info.
   *other_queue receives the queue of a live block covering la that belongs to
   another queue, or -1. */
bool shmf__shm_find_dma_target(ULONG queue, uint64_t la, size_t n, long *other_queue);
bool shmf__shm_queue_has_blocks(ULONG queue);

/* What NdisAllocateSharedMemory saw, for the result checks (rt_sgcheck.c). */
struct shmf_alloc_check {
    NDIS_STATUS status;
    USHORT size;                           /* Header.Size */
    NDIS_SHARED_MEMORY_PARAMETERS before;  /* the caller's block before the call */
    NDIS_SHARED_MEMORY_PARAMETERS after;   /* ... and after (bytes past size zero) */
    NDIS_HANDLE context;                   /* provider context returned */
    bool context_live;                     /* equal to a live block's context */
    ULONG sg_count;                        /* elements validated (<= what fits) */
    const SCATTER_GATHER_ELEMENT *sg;      /* points into the caller's SG buffer */
};

/* Check the allocate handler's results, all but block-overlap (rt_shm.c checks
   that when it records the block); report findings.  On success fills
   c->sg / c->sg_count.  Returns false if the block must not be recorded.
   Takes no lock but the findings lock: page states are read atomically. */
bool shmf__check_alloc(struct shmf_alloc_check *c);

/* === Overlap index of the live blocks (rt_sgcheck.c) ===
 * For block-overlap: per logical page of the simulated memory, how many live
 * blocks' SG elements have a byte in it; per arena page, how many live blocks'
 * [va, va+length) do; and how many ranges lie (partly) elsewhere.  A new block
 * can overlap a live one only where a count is not zero, so rt_shm.c runs its
 * exact walk over the live blocks only then.  pre (all): SHMF_LK_SHM held. */
struct shmf_ovl_ref {
    uint32_t va_first, va_pages; /* arena pages counted for [va, va+length) */
    uint32_t odd;                /* ranges counted as lying elsewhere */
};
/* Add a live block; owner (non-zero) names it to shmf__ovl_owner. */
void shmf__ovl_add(struct shmf_ovl_ref *r, uint64_t owner, PVOID va, ULONG len,
                   const SCATTER_GATHER_ELEMENT *sg, ULONG n);
/* Undo shmf__ovl_add(r, ..., sg, n). */
void shmf__ovl_remove(const struct shmf_ovl_ref *r, const SCATTER_GATHER_ELEMENT *sg, ULONG n);
/* False only if no live block can overlap [va, va+len) or the SG list. */
bool shmf__ovl_maybe_hit(PVOID va, ULONG len, const SCATTER_GATHER_ELEMENT *sg, ULONG n);
/* The owner of the block added last over la's page while a live block's SG
   list touches that page, else 0: a hint (that block may be freed), checked by
   the caller. */
uint64_t shmf__ovl_owner(uint64_t la);

/* A provider that comes in as a driver (rt_driver.c).  Called with no
   simulated processor running provider code (load, unload, reset). */
void shmf__driver_reset(void);
/* Call DriverEntry at PASSIVE_LEVEL; check it left a driver registered when it
   succeeded and none when it failed.  0, -ENODEV (it failed) or -EINVAL. */
int shmf__driver_load(shmf_driver_entry_fn entry);
/* Call the driver object's DriverUnload routine; check the driver deregistered. */
void shmf__driver_unload(void);

/* Queues (rt_dma.c). */
void shmf__dma_reset(void);
bool shmf__queue_is_allocated(ULONG queue);

#endif /* SHMF_RT_SHM_H */
