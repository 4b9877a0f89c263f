/*
 * rt_pages.h -- private interface between rt_pages.c (simulated physical
 * memory) and rt_mdl.c (the Mm routines that hand it out).  Not installed.
 * The zones and page states behind these are guarded by SHMF_LK_PAGES: callers
 * hold it; records and quarantines live in per-processor homes (rt_pages.c).
 */
#ifndef SHMF_RT_PAGES_H
#define SHMF_RT_PAGES_H

#include "rt_internal.h"

#define ARENA_PAGES 16384u           /* 64 MiB of host memory */
#define ZONE_PAGES (ARENA_PAGES / 2) /* a power of two */
#define PFN_BASE 0x100000ull         /* logical addresses start at 4 GiB */

enum zone { ZONE_CONTIG, ZONE_SCATTER, ZONE_COUNT };

enum palloc_kind { PALLOC_CONTIG, PALLOC_MDL };

/* One allocation: a contiguous block, or an MDL's pages.  An MDL record lives
   until ExFreePool frees the MDL (state FREED after MmFreePagesFromMdl). */
struct palloc {
    struct palloc *prev, *next;
    enum palloc_kind kind;
    enum shmf_page_state state;
    enum zone zone;
    unsigned home; /* the allocating processor's home: its record list holds it */
    uint32_t first, npages;
    size_t bytes;
    uintptr_t site;
    uint64_t seq;
    PMDL mdl;
    uint8_t *mapped_va; /* system mapping of an MDL, or NULL */
};

/* Per host page.  owner is set while ALLOCATED; contig_base marks the first page
   of a contiguous block until the page is reused (double-free detection).
   canary_full and stale are also written by the processor that allocated the
   page after it dropped the lock (relaxed atomics; nobody else reads them then). */
struct page_meta {
    uint8_t state;
    bool contig_base;
    bool canary_full; /* FREED or stale: the whole page holds canary, not only its head */
    bool stale;       /* ALLOCATED over a FREED page whose canary is not checked yet */
    struct palloc *owner;
};

/* Placement constraints of a request, in logical addresses. */
struct run_req {
    uint32_t n;        /* pages */
    uint64_t align;    /* bytes, power of two >= PAGE_SIZE */
    uint64_t boundary; /* bytes, power of two, or 0 */
    uint64_t bytes;    /* bytes that must not cross a boundary multiple */
    uint64_t lo, hi;   /* acceptable logical range, inclusive */
};

/* Address arithmetic. */
uint64_t shmf__pfn_of(enum zone z, uint32_t k);
struct page_meta *shmf__meta_of(enum zone z, uint32_t k);
bool shmf__va_locate(const void *va, enum zone *z, uint32_t *k);

/* Runs and allocation records.  A free takes two steps, so that the pages'
   bytes are written and checked without the lock: */
struct shmf_run {
    enum zone zone;
    uint32_t first, n;
};
/* 1. Under the lock: a's pages become FREED (a's record stays; the caller may
   unlink it, with or without the lock).  Returns the run for step 2. */
struct shmf_run shmf__run_retire(struct palloc *a);
/* 2. Without the lock: canaries, then the calling processor's quarantine
   (its home lock; the pages lock for the runs that leave it). */
void shmf__run_quarantine(struct shmf_run r);
void shmf__fill_uninit(uint8_t *va, uint32_t npages);
/* Drop record a (its home's lock; pre: its pages were retired or never handed
   out); it is kept for reuse by the calling processor. */
void shmf__palloc_unlink(struct palloc *a);
/* Under SHMF_LK_PAGES: a run in zone z and its record, in the calling
   processor's home; NULL when no run fits (after releasing other processors'
   quarantines). */
struct palloc *shmf__palloc_alloc(enum palloc_kind kind, enum zone z, const struct run_req *r,
                                  uintptr_t site);
/* Check the canaries of the pages of a that were FREED before this allocation
   (builds without ASan; use-after-free) before the caller fills them.  The
   allocating processor calls it, with or without SHMF_LK_PAGES. */
void shmf__palloc_check_stale(const struct palloc *a);
uint8_t *shmf__palloc_va(const struct palloc *a);

#endif /* SHMF_RT_PAGES_H */
