/*
 * rt_internal.h -- private interface between the pieces of the shmfuzz runtime
 * (ndis/src).  Not installed.  Naming: shmf__ for non-static internals.
 *
 * Global rules:
 * - Every ndis.h routine first checks its IRQL contract with shmf__irql_check_max()
 *   (or an exact-level check), then its own rules, and reports each violation with
 *   shmf__report(), naming the object (address, tag, handle, lock).  After a report
 *   the routine still does the least harmful thing (e.g. ignores a bad free) so the
 *   run reaches the harness, which stops at the first finding.
 * - Tables shared between simulated processors are guarded by one lock per
 *   subsystem, or split into per-processor homes with a lock per home (enum
 *   shmf_lk below, with the lock order; docs/stress.md, "Homes"); no runtime
 *   lock is held while provider code runs or at a scheduling point
 *   (shmf__yield).
 * - Fault injection asks shmf__fault_should_fail() once per allocation attempt.
 * - Calls point down only.  Each rt_*.c names its layer in its header comment
 *   ("layer: <rank> <tier>") and calls only files of a lower rank:
 *     10-12 base       locks and world flags, processors, findings, IRQL rules
 *                      and handler frames (rt_base.c, rt_cpu.c, rt_findings.c,
 *                      rt_irql.c);
 *     20-23 subsystem  fault injection, NDIS spin locks, pages, queues, guarded
 *                      buffers, drivers; then pool, overlap index, SG checks;
 *                      then MDLs, shared memory; then NdisAllocateMdl, DMA;
 *     30    top        the world: reset, load/unload and leak checks, the
 *                      invariant checks (rt_world.c).
 *   A lower layer that needs an upper one's answer takes it as a callback
 *   (struct shmf_pool_mdl_ops); resets are called by the top, one per
 *   subsystem.  scripts/check-layers.sh BUILD_DIR checks this from the objects.
 * - Each subsystem has a shmf__<sub>_is_valid() checker of its tables (bool;
 *   it takes the subsystem's lock itself); rt_world.c runs them all after every
 *   op in debug builds (shmf_rt_check_invariants).
 */
#ifndef SHMF_RT_INTERNAL_H
#define SHMF_RT_INTERNAL_H

#include <ndis.h>
#include <stdbool.h>
#include <stdint.h>

#include "shmfuzz/findings.h"
#include "shmfuzz/runtime.h"

#if defined(__SANITIZE_ADDRESS__)
#define SHMF_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SHMF_HAVE_ASAN 1
#endif
#endif
#ifndef SHMF_HAVE_ASAN
#define SHMF_HAVE_ASAN 0
#endif

#if SHMF_HAVE_ASAN
#include <sanitizer/asan_interface.h>
#define SHMF_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
/* ASan clears the shadow of a range of 512 KiB or more by remapping it: an
   mmap, a TLB shootdown, then a page fault per shadow page on the next touch,
   far dearer than the memset it does for smaller ranges.  So unpoison in
   smaller pieces. */
#define SHMF_SHADOW_CHUNK ((size_t)256 << 10)
static inline void shmf__unpoison(void *p, size_t n)
{
    char *c = p;
    while (n) {
        size_t k = n < SHMF_SHADOW_CHUNK ? n : SHMF_SHADOW_CHUNK;
        ASAN_UNPOISON_MEMORY_REGION(c, k);
        c += k;
        n -= k;
    }
}
#define SHMF_UNPOISON(p, n) shmf__unpoison((p), (n))
#else
#define SHMF_POISON(p, n) ((void)(p), (void)(n))
#define SHMF_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define SHMF_CALLER() ((uintptr_t)__builtin_return_address(0))

/* === Findings (rt_findings.c) === */

/* Record a finding of `kind` about `object`, raised in `function` under `rule`
   (NULL: the catalogue's source).  printf-style message naming the object. */
void shmf__report(enum shmf_kind kind, uint64_t object, const char *function, const char *rule,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Called by shmf_rt_set_op_index(i >= 0), i.e. when an op (or the load) ended,
   in debug builds (NDEBUG undefined); set by rt_world.c at reset. */
extern void (*shmf__op_end_hook)(void);

/* === Processors (rt_cpu.c) and IRQL rules (rt_irql.c) === */

/* The calling thread's simulated processor.  Written by its own thread on
   every IRQL change and spin-lock acquire, so each has its own cache line. */
struct shmf_cpu {
    KIRQL irql;
    uint32_t index;
    uint32_t locks_held;  /* spin locks held by this processor */
    uint32_t raise_depth; /* KeRaiseIrql calls not yet lowered */
    KIRQL raise_stack[16];
} __attribute__((aligned(64)));
struct shmf_cpu *shmf__cpu(void);

/* Report irql-too-high unless the current IRQL is <= max.  Returns false when the
   call violates the rule. pre: function and rule non-NULL. */
bool shmf__irql_check_max(KIRQL max, const char *function, const char *rule);
/* Same, requiring IRQL == level. */
bool shmf__irql_check_eq(KIRQL level, const char *function, const char *rule);
/* Scheduling point for deterministic interleaving (see shmf_rt_set_yield_hook). */
extern shmf_yield_fn shmf__yield_hook;
static inline void shmf__yield(const char *point)
{
    if (shmf__yield_hook)
        shmf__yield_hook(point);
}
/* Reset every simulated processor to PASSIVE_LEVEL with nothing held. */
void shmf__cpus_reset(void);
/* Set the IRQL without checks (runtime and harness transitions). */
void shmf__irql_set(KIRQL irql);

/* State saved around a call into provider code (rt_irql.c). */
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

/* === Base utilities (rt_base.c) === */

/* Offset of the first byte of [p, p+n) that is not `byte`, or n; reads
   poisoned memory without an ASan report. */
size_t shmf__first_not(const void *p, size_t n, uint8_t byte);
/* Map len bytes (prot; private, anonymous, not reserved) at the fixed address
   at when it is free, so simulated addresses are the same in every run and in
   every binary that runs an input (replay, fuzz targets, reproducers); else
   anywhere, aligned to align (a power of two, a multiple of the page size), so
   a provider's address arithmetic (aligning a block to its size) gives the
   same results.  Never at the fixed address under ThreadSanitizer, which keeps
   its own heap there.  NULL if the host refuses. */
void *shmf__map_at(uintptr_t at, size_t len, int prot, size_t align);
/* The first return address seen whose call has the same source location as
   ret's (file, line, column in the module's line table), so a call site is
   one place in the source however the provider was compiled (inlined
   helpers, optimization level); ret itself without line information
   (rt_site.c). */
uintptr_t shmf__site_canonical(uintptr_t ret);
/* Where: in ASan's high memory, clear of its allocator, far below where the
   kernel puts mmaps and libraries; the pool's slices (rt_pool.c, 8 GiB) and
   the page arena (rt_pages.c, 64 MiB) apart. */
#define SHMF_POOL_AT 0x720000000000ull
#define SHMF_ARENA_AT 0x730000000000ull
#define SHMF_MAP_ALIGN ((size_t)1 << 30) /* where the fixed address is taken */
/* The world's flags, set by rt_world.c between runs, read by every check. */
uint32_t shmf__verify_flags(void);
void shmf__set_verify_flags(uint32_t flags);
bool shmf__teardown_in_progress(void);
void shmf__set_teardown(bool on);

/* === Runtime locks (rt_base.c) ===
 * One lock per subsystem, taken in this order only: a thread holding lock A may
 * take lock B only if A < B.  PAGES is recursive (a thread may take it again
 * while it holds it, whatever else it holds since): rt_dma.c takes it with
 * shmf__world_lock() and then calls the routines that take it again.  The
 * others are not; findings are innermost, so every subsystem may report while
 * it holds its lock.  Debug builds (SHMF_DEBUG >= 1) abort on an
 * out-of-order or self-deadlocking acquire.  The locks are spin locks (acquire
 * and release atomics, which ThreadSanitizer follows): hold them only for table
 * work, never across provider code, a scheduling point or a byte walk over
 * pages that can be done outside (see rt_pages.c). */
enum shmf_lk {
    SHMF_LK_PAGES,      /* rt_pages.c, rt_mdl.c: zones, page states, MDL table */
    SHMF_LK_SHM,        /* rt_shm.c: one home's block table and freed notes */
    SHMF_LK_SHM_CTX,    /* rt_shm.c: one shard of the live blocks' contexts */
    SHMF_LK_POOL,       /* rt_pool.c: one home's pool blocks, quarantine, chunk cache */
    SHMF_LK_FAULT,      /* rt_fault.c: the plan, attempt counters, call sites */
    SHMF_LK_FAULT_HOME, /* rt_fault.c: one processor's attempt counter and sites */
    SHMF_LK_PAGES_HOME, /* rt_pages.c: one processor's page records and quarantine */
    SHMF_LK_GUARD,      /* rt_guard.c: guarded buffers */
    SHMF_LK_FINDINGS,   /* rt_findings.c: the findings and the handler call */
    SHMF_LK_COUNT
};
void shmf__lock(enum shmf_lk l);
void shmf__unlock(enum shmf_lk l);
/* Per-processor homes (docs/stress.md, "Homes"): a subsystem split into homes
   has one lock word per home (its own cache line), all at level l of the order.
   A thread holds at most one home of a level at a time; walks over every home
   take them one after the other. */
void shmf__lock_home(enum shmf_lk l, unsigned *word);
void shmf__unlock_home(enum shmf_lk l, unsigned *word);
/* What rt_dma.c reads directly (page states; it reaches the block table through
   routines that lock it): the PAGES lock, so a DMA and the frees of the pages it
   copies exclude each other. */
void shmf__world_lock(void);
void shmf__world_unlock(void);
/* Invariant: the calling thread holds no runtime lock (true between ops). */
bool shmf__base_is_valid(void);

/* === Fault injection (rt_fault.c) === */

/* Should the allocation attempt made by `function` from call site `site` fail?
   Deterministic: decided by the fault plan and the allocation counter only. */
bool shmf__fault_should_fail(const char *function, uintptr_t site);
void shmf__fault_reset(void);
bool shmf__fault_is_valid(void);

/* === Pool (rt_pool.c) === */
void shmf__pool_reset(void);
/* Report leak-pool for every pool block still allocated (tag and call site). */
void shmf__pool_check_leaks(void);
/* Check every live block's redzones; report pool-overrun. */
void shmf__pool_check_all(void);
uint64_t shmf__pool_live_count(void);
/* True if [p, p+n) lies inside one live pool block's user area. */
bool shmf__pool_contains(const void *p, size_t n);
bool shmf__pool_is_valid(void);

/* === Simulated physical memory (rt_pages.c) and MDLs (rt_mdl.c) === */

/* Page states, KFENCE-style. */
enum shmf_page_state { SHMF_PAGE_UNUSED, SHMF_PAGE_ALLOCATED, SHMF_PAGE_FREED };

void shmf__pages_reset(void);
bool shmf__pages_is_valid(void);
/* Forget every MDL (rt_mdl.c; reset, after shmf__pages_reset). */
void shmf__mdl_reset(void);
bool shmf__mdl_is_valid(void);
/* Report leak-pages for every page run, MDL or contiguous block still allocated. */
void shmf__pages_check_leaks(void);
/* Use-after-free: report a FREED page whose canary changed (at unload). */
void shmf__pages_check_freed(void);
uint64_t shmf__pages_live_count(void);

/* Translate a host virtual address inside an allocated page mapping to its
   logical (physical) address.  Returns false if va is not in a mapping. */
bool shmf__va_to_logical(const void *va, uint64_t *logical);
/* State of the page holding logical address la (SHMF_PAGE_UNUSED if none). */
enum shmf_page_state shmf__page_state(uint64_t la);
/* Host pointer for logical address la if its page is allocated, else NULL. */
void *shmf__logical_to_host(uint64_t la);
/* The same with SHMF_LK_PAGES already held (the DMA paths hold it). */
void *shmf__logical_to_host_locked(uint64_t la);
/* True if every byte of [la, la+n) is allocated memory whose host address lies
   in [va, va+len) (n == 0 or a range that wraps: true).  Takes no lock: each
   page's state is read atomically. */
bool shmf__logical_range_within(uint64_t la, uint64_t n, uintptr_t va, size_t len);

/* === Pool blocks that hold MDLs (rt_pool.c for rt_mdl.c) ===
   The pool is below the MDLs: what it must ask about an MDL block's pages it
   asks through these callbacks, which rt_mdl.c passes with each block. */
struct shmf_pool_mdl_ops {
    /* True once the pages of MDL record ctx were freed (MmFreePagesFromMdl);
       until then ExFreePool refuses the block.  Called under SHMF_LK_POOL. */
    bool (*pages_freed)(const void *ctx);
    /* The MDL block of record ctx was freed with ExFreePool: forget it.
       Called with SHMF_LK_PAGES held (the pool takes it first). */
    void (*released)(void *ctx);
};
/* Allocate an n-byte pool block holding an MDL built by MmAllocatePagesForMdlEx.
   ctx is rt_mdl.c's record for it, ops what the pool calls about it.
   ExFreePool accepts the block, but only after MmFreePagesFromMdl.  No fault
   injection (the caller already asked).  NULL if the host is out of memory. */
void *shmf__pool_alloc_mdl(size_t n, const struct shmf_pool_mdl_ops *ops, void *ctx,
                           uintptr_t site);
/* Record of the MDL block based at p, or NULL if p is not the base of a live MDL
   block; *freed (optional) tells whether p is an MDL block already freed. */
void *shmf__pool_mdl_ctx(const void *p, bool *freed);
/* Release an MDL block without checks (construction failed). */
void shmf__pool_free_mdl(void *p);

/* === Translations of page mappings (rt_mdl.c) === */

/* Called once per page touched by [va, va+len): la is the logical address of the
   first byte of the chunk in that page, n its length (<= PAGE_SIZE). */
typedef void (*shmf_page_chunk_fn)(uint64_t la, size_t n, void *ud);
/* Walk [va, va+len) page by page inside live page mappings (contiguous memory or
   a mapped MDL).  Returns false, calling fn never, if len is 0 or some byte of the
   range is not in a live mapping. */
bool shmf__va_range_for_each_page(const void *va, size_t len, shmf_page_chunk_fn fn, void *ud);
/* True if every page of [la, la+n) is allocated (n == 0 checks la's page). */
bool shmf__logical_range_allocated(uint64_t la, size_t n);

/* === Guarded buffers (rt_guard.c) === */
bool shmf__guard_is_valid(void);

/* === NdisAllocateMdl's MDLs (rt_ndis_mdl.c, rt_pool.c) === */

/* An n-byte pool block holding an MDL from NdisAllocateMdl; only NdisFreeMdl
   (shmf__pool_free_ndis_mdl) frees it, and the other free routines reject it.
   No fault injection (the caller already asked).  NULL if the host is out of
   memory. */
void *shmf__pool_alloc_ndis_mdl(size_t n, uintptr_t site);
void shmf__pool_free_ndis_mdl(void *p, const char *fn);
/* True if p is a live MDL from NdisAllocateMdl. */
bool shmf__pool_is_ndis_mdl(const void *p);

#endif /* SHMF_RT_INTERNAL_H */
