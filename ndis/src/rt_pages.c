/*
 * rt_pages.c -- simulated physical memory: zones of host pages, runs, the
 * quarantine, canaries, page states, VA <-> logical translation, reset and leak
 * checks.  The Mm routines that hand these pages out are in rt_mdl.c.
 *
 * Host memory is one arena mapped once (64 MiB), split in two zones of host
 * pages.  The contiguous zone gives page k the PFN BASE + k, so consecutive host
 * pages have consecutive PFNs.  The scattered zone gives page k the PFN
 * BASE + HALF + (k * SCATTER_MUL mod HALF): consecutive host pages are far apart
 * physically, as the pages of a real non-contiguous MDL are.  Either way one
 * allocation is a run of consecutive host pages, so it is virtually contiguous.
 *
 * Each zone has a sorted, coalesced list of free extents, carved next-fit.  A
 * freed run gets canaries, is ASan-poisoned (in ASan builds) and kept in a FIFO
 * quarantine before it can be reused, so a stale VA or a DMA to a stale logical
 * address meets FREED pages for a while.  Everything is a pure function of the
 * call sequence since the last reset: the same calls give the same logical
 * addresses and VAs.  The zones and the page states are guarded by
 * SHMF_LK_PAGES (recursive: rt_dma.c holds it through shmf__world_lock() while
 * it calls the routines here, so a DMA and a free of the pages it copies
 * exclude each other; first in the lock order).
 *
 * Per-processor homes (docs/stress.md, "Homes").  What a processor needs for
 * its own allocations and frees, and what no other check reads page by page,
 * is in its home, under the home's lock (SHMF_LK_PAGES_HOME, one home at a
 * time, late in the lock order so the pool may free an MDL record while it
 * holds its own lock): the records of the runs it allocated (live list, live
 * count), the spare records it reuses, and the quarantine of the runs it
 * freed.  A record stays in the home of the processor that allocated it for
 * its whole life (palloc.home), so a free on another processor unlinks it
 * there; the run goes into the freeing processor's quarantine.  The zones
 * (free extents, next-fit cursor), the page states, the allocation counter
 * and the MDL table stay shared: every address or PFN check reads the page
 * states, and a DMA must exclude the frees of its pages.  The leak check, the
 * freed-page check and the checker walk every home.  When no run fits, the
 * other processors' quarantines are released and the allocation retried
 * (more processors quarantine more pages).  One processor uses home 0 only:
 * the same runs, addresses and checks in the same order as one shared table.
 *
 * Page contents are not under a lock: they are written and checked without the lock while the run
 * is in no table anybody else allocates from -- a new run by the Mm routines
 * before they return it, a freed run before it enters the quarantine, a run
 * leaving the quarantine before it returns to its zone's free list.  Page
 * states are stored atomically, so shmf__logical_range_within reads them
 * without the lock.
 *
 * Use-after-free detection without a system call per input.  Freed pages used to
 * be mprotect(PROT_NONE)ed in builds without ASan (AFL++, release), which cost
 * two system calls per freed run plus a TLB shootdown each, and, on shadow-paged
 * VMs, a hypervisor exit on the next touch of every page: most of an input's
 * time.  Now freed pages stay mapped and carry canaries (POISON_FREE): the whole
 * first page of each freed run (where a block's headers and descriptors live)
 * and the first POISON_BYTES of every other page.  The canaries are checked when
 * a run leaves the quarantine, when a FREED page is handed out again, and at
 * unload for every run still quarantined (shmf__pages_check_freed), so a stale
 * write into a canary is a use-after-free finding of the input that made it.
 * The trade-off, without ASan only: a stale *read* is not caught at the faulting
 * access (it reads the poison pattern, which usually shows up later as corrupt
 * data); a stale write past the first POISON_BYTES of a page other than a run's
 * first is not seen; and a write into a run released from the quarantine and
 * not reused before the world ends is not seen either.  With ASan every freed byte is poisoned as
 * well, so any stale access is reported at once; there the canaries are only each page's head and
 * are checked at quarantine release and unload only (they catch writes that bypass ASan, e.g. from
 * uninstrumented code), to keep ASan builds cheap.
 *
 * The MDL table that refers to these records is rt_mdl.c's, reset by the world
 * after shmf__pages_reset.
 * layer: 20 subsystem (calls the base only)
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_pages.h"

#define SCATTER_MUL 6577u /* odd and not +-1 mod ZONE_PAGES */
#define QUAR_RUNS 64u
#define QUAR_PAGES 2048u
#define POISON_FREE 0x6bu
#define POISON_BYTES 64   /* canary bytes at the start of each freed page but the first */
#define FILL_BYTES 64     /* uninitialized-pattern bytes at the start of each page */
#define FILL_UNINIT 0xa5u /* "uninitialized" memory, as DV fills it */

/* A run of host pages [first, first+n) of one zone. */
struct extent {
    uint32_t first, n;
};

/* Free extents sorted by first and coalesced.  hw: pages [0, hw) were handed
   out since the last reset. */
struct zone_state {
    struct extent *free;
    uint32_t nfree, cap, hw;
    uint32_t cursor; /* next-fit: where the last run ended */
};

struct quar_entry {
    enum zone zone;
    struct extent e;
};

/* Access under SHMF_LK_PAGES; arena is also read without it (set once, atomically). */
static struct {
    uint8_t *arena;
    uint32_t scatter_inv; /* SCATTER_MUL^-1 mod ZONE_PAGES */
    struct page_meta meta[ARENA_PAGES];
    struct zone_state zone[ZONE_COUNT];
    uint64_t seq;
} pg;

/* One processor's home: every field but lock under lock (SHMF_LK_PAGES_HOME). */
#define PAGE_HOMES SHMF_MAX_CPUS
struct page_home {
    unsigned lock;
    struct palloc *head, *tail;        /* records allocated here, in allocation order */
    uint64_t live;                     /* of them, ALLOCATED */
    struct palloc *spare;              /* records for reuse, linked by next */
    struct quar_entry quar[QUAR_RUNS]; /* runs freed here, FIFO */
    uint32_t quar_head, quar_count, quar_pages;
} __attribute__((aligned(64)));
static struct page_home phomes[PAGE_HOMES];
/* Bit h: home h held a record or a quarantined run since reset (the walks
   skip the others).  Set by the home's processor while it holds the home's
   lock; the walks read it between ops or, for quarantines_release_others(),
   may miss a home marked concurrently (its runs are not needed then). */
static uint64_t phomes_used;

static uint64_t used_homes(void)
{
    return __atomic_load_n(&phomes_used, __ATOMIC_RELAXED); /* relaxed: see phomes_used */
}

static void home_mark_used(unsigned h)
{
    if (!(used_homes() >> h & 1)) /* relaxed: see phomes_used */
        __atomic_fetch_or(&phomes_used, 1ull << h, __ATOMIC_RELAXED);
}

static unsigned home_self(void)
{
    return shmf__cpu()->index % PAGE_HOMES;
}

static struct page_home *home_lock(unsigned h)
{
    shmf__lock_home(SHMF_LK_PAGES_HOME, &phomes[h].lock);
    return &phomes[h];
}

static void home_unlock(struct page_home *H)
{
    shmf__unlock_home(SHMF_LK_PAGES_HOME, &H->lock);
}

/* === Address arithmetic === */

static uint32_t scatter_perm(uint32_t k)
{
    return (k * SCATTER_MUL) & (ZONE_PAGES - 1);
}

uint64_t shmf__pfn_of(enum zone z, uint32_t k)
{
    if (z == ZONE_CONTIG)
        return PFN_BASE + k;
    return PFN_BASE + ZONE_PAGES + scatter_perm(k);
}

/* Zone and host page of a PFN; false outside the simulated memory. */
static bool pfn_locate(uint64_t pfn, enum zone *z, uint32_t *k)
{
    if (pfn < PFN_BASE || pfn >= PFN_BASE + 2ull * ZONE_PAGES)
        return false;
    pfn -= PFN_BASE;
    *z = pfn < ZONE_PAGES ? ZONE_CONTIG : ZONE_SCATTER;
    *k = *z == ZONE_CONTIG ? (uint32_t)pfn
                           : (uint32_t)((pfn - ZONE_PAGES) * pg.scatter_inv) & (ZONE_PAGES - 1);
    return true;
}

struct page_meta *shmf__meta_of(enum zone z, uint32_t k)
{
    return &pg.meta[(uint32_t)z * ZONE_PAGES + k];
}

static uint8_t *host_of(enum zone z, uint32_t k)
{
    return pg.arena + ((size_t)z * ZONE_PAGES + k) * PAGE_SIZE;
}

/* Zone and host page of a host address; false outside the arena. */
bool shmf__va_locate(const void *va, enum zone *z, uint32_t *k)
{
    /* acquire: pairs with the release store in arena_ready() */
    uint8_t *arena = __atomic_load_n(&pg.arena, __ATOMIC_ACQUIRE);
    uintptr_t off = (uintptr_t)va - (uintptr_t)arena;
    if (!arena || (uintptr_t)va < (uintptr_t)arena || off >= (size_t)ARENA_PAGES * PAGE_SIZE)
        return false;
    *z = (enum zone)(off / PAGE_SIZE / ZONE_PAGES);
    *k = (uint32_t)(off / PAGE_SIZE % ZONE_PAGES);
    return true;
}

/* === Arena and free extents === */

static void zone_init(struct zone_state *zs)
{
    zs->free[0] = (struct extent){0, ZONE_PAGES};
    zs->nfree = 1;
    zs->hw = 0;
    zs->cursor = 0;
}

/* Map the arena and set up the zones once; false if the host refuses. */
static bool arena_ready(void)
{
    if (pg.arena)
        return true;
    /* At a fixed address, as the pool: a provider that aligns blocks by their
       virtual address (a buddy allocator) then does the same in a fuzz target,
       in replay and in a reproducer. */
    void *a = shmf__map_at(SHMF_ARENA_AT, (size_t)ARENA_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
                           SHMF_MAP_ALIGN);
    if (!a)
        return false;
    uint32_t inv = SCATTER_MUL; /* Newton: each step doubles the correct bits */
    for (int i = 0; i < 5; i++)
        inv *= 2u - SCATTER_MUL * inv;
    pg.scatter_inv = inv & (ZONE_PAGES - 1);
    for (int z = 0; z < ZONE_COUNT; z++) {
        pg.zone[z].cap = 64;
        pg.zone[z].free = malloc(pg.zone[z].cap * sizeof(struct extent));
        if (!pg.zone[z].free)
            return false; /* arena stays mapped; allocations fail from now on */
        zone_init(&pg.zone[z]);
    }
    /* release: pairs with the acquire loads in shmf__va_locate() and
       logical_to_host_unlocked() (the zones are set up before) */
    __atomic_store_n(&pg.arena, a, __ATOMIC_RELEASE);
    return true;
}

static bool extents_reserve(struct zone_state *zs, uint32_t extra)
{
    if (zs->nfree + extra <= zs->cap)
        return true;
    uint32_t cap = zs->cap * 2 + extra;
    struct extent *f = realloc(zs->free, cap * sizeof(*f));
    if (!f)
        return false;
    zs->free = f;
    zs->cap = cap;
    return true;
}

/* Insert e into the sorted free list, merging with its neighbours. */
static void extent_insert(struct zone_state *zs, struct extent e)
{
    uint32_t i = 0;
    while (i < zs->nfree && zs->free[i].first < e.first)
        i++;
    if (i > 0 && zs->free[i - 1].first + zs->free[i - 1].n == e.first) {
        zs->free[i - 1].n += e.n;
        if (i < zs->nfree && e.first + e.n == zs->free[i].first) {
            zs->free[i - 1].n += zs->free[i].n;
            memmove(&zs->free[i], &zs->free[i + 1], (zs->nfree - i - 1) * sizeof(e));
            zs->nfree--;
        }
    } else if (i < zs->nfree && e.first + e.n == zs->free[i].first) {
        zs->free[i].first = e.first;
        zs->free[i].n += e.n;
    } else if (extents_reserve(zs, 1)) {
        memmove(&zs->free[i + 1], &zs->free[i], (zs->nfree - i) * sizeof(e));
        zs->free[i] = e;
        zs->nfree++;
    } /* else: the pages are lost until reset (host out of memory). */
}

static uint64_t round_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* Lowest start in extent e of a contiguous-zone run meeting r, or UINT32_MAX. */
static uint32_t extent_fit(const struct extent *e, const struct run_req *r)
{
    uint64_t la = (PFN_BASE + e->first) << PAGE_SHIFT;
    uint64_t end = (PFN_BASE + e->first + e->n) << PAGE_SHIFT;
    if (r->lo >= end)
        return UINT32_MAX;
    if (la < r->lo)
        la = round_up(r->lo, PAGE_SIZE);
    la = round_up(la, r->align);
    if (r->boundary && la / r->boundary != (la + r->bytes - 1) / r->boundary)
        la = round_up(round_up(la, r->boundary), r->align);
    uint64_t run_end = la + ((uint64_t)r->n << PAGE_SHIFT);
    if (run_end > end || run_end - 1 > r->hi || run_end < la)
        return UINT32_MAX;
    return (uint32_t)((la >> PAGE_SHIFT) - PFN_BASE);
}

/* Take [start, start+n) out of free extent i. */
static void extent_take(struct zone_state *zs, uint32_t i, uint32_t start, uint32_t n)
{
    struct extent e = zs->free[i];
    struct extent tail = {start + n, e.first + e.n - (start + n)};
    memmove(&zs->free[i], &zs->free[i + 1], (zs->nfree - i - 1) * sizeof(e));
    zs->nfree--;
    if (start > e.first)
        extent_insert(zs, (struct extent){e.first, start - e.first});
    if (tail.n)
        extent_insert(zs, tail);
}

/* Start of a run meeting r in the part of extent e at or above page `from`, or
   UINT32_MAX. */
static uint32_t extent_fit_from(enum zone z, const struct extent *e, uint32_t from,
                                const struct run_req *r)
{
    if (e->first + e->n <= from)
        return UINT32_MAX;
    struct extent part = *e;
    if (from > e->first)
        part = (struct extent){from, e->first + e->n - from};
    if (z == ZONE_CONTIG)
        return extent_fit(&part, r);
    return part.n >= r->n ? part.first : UINT32_MAX;
}

/* Next-fit a run in zone z: search from where the last run ended, then wrap.
   Freed pages are thus reused as late as possible (KFENCE-like), and fresh pages
   are not disturbed.  Returns the run's first page or UINT32_MAX. */
static uint32_t run_alloc(enum zone z, const struct run_req *r)
{
    struct zone_state *zs = &pg.zone[z];
    for (int pass = 0; pass < 2; pass++) {
        uint32_t from = pass == 0 ? zs->cursor : 0;
        for (uint32_t i = 0; i < zs->nfree; i++) {
            uint32_t start = extent_fit_from(z, &zs->free[i], from, r);
            if (start == UINT32_MAX)
                continue;
            extent_take(zs, i, start, r->n);
            zs->cursor = start + r->n;
            if (zs->cursor > zs->hw)
                zs->hw = zs->cursor;
            return start;
        }
    }
    return UINT32_MAX;
}

/* === Canaries of freed pages === */

static size_t canary_len(const struct page_meta *m)
{
    return __atomic_load_n(&m->canary_full, __ATOMIC_RELAXED) ? PAGE_SIZE : POISON_BYTES;
}

/* Report use-after-free if a FREED page's canary changed; true if intact. */
static bool page_canary_check(enum zone z, uint32_t k, const char *fn)
{
    const struct page_meta *m = shmf__meta_of(z, k);
    const uint8_t *h = host_of(z, k);
    size_t n = canary_len(m), bad = shmf__first_not(h, n, POISON_FREE);
    if (bad == n)
        return true;
    shmf__report(SHMF_KIND_USE_AFTER_FREE, (uint64_t)(uintptr_t)(h + bad), fn, NULL,
                 "freed page at %p (logical 0x%llx) was written after its free",
                 (const void *)(h + bad),
                 (unsigned long long)((shmf__pfn_of(z, k) << PAGE_SHIFT) + bad));
    return false;
}

/* Check every FREED page of [first, first+n); stops at the first bad one. */
static void run_canary_check(enum zone z, uint32_t first, uint32_t n, const char *fn)
{
    for (uint32_t i = 0; i < n; i++)
        if (shmf__meta_of(z, first + i)->state == SHMF_PAGE_FREED &&
            !page_canary_check(z, first + i, fn))
            return;
}

/* === Page state transitions === */

/* Without ASan, pages freed earlier in this world are checked before they
   change hands (with ASan, a stale access is reported at once): marked stale
   here, checked by the allocating processor once it dropped the lock. */
static void run_mark_allocated(struct palloc *a)
{
    SHMF_UNPOISON(host_of(a->zone, a->first), (size_t)a->npages * PAGE_SIZE);
    for (uint32_t i = 0; i < a->npages; i++) {
        struct page_meta *m = shmf__meta_of(a->zone, a->first + i);
        bool stale = !SHMF_HAVE_ASAN && m->state == SHMF_PAGE_FREED;
        __atomic_store_n(&m->stale, stale, __ATOMIC_RELAXED);
        if (!stale)
            __atomic_store_n(&m->canary_full, false, __ATOMIC_RELAXED);
        /* release: pairs with the acquire load in logical_to_host_unlocked() */
        __atomic_store_n(&m->state, SHMF_PAGE_ALLOCATED, __ATOMIC_RELEASE);
        m->contig_base = i == 0 && a->kind == PALLOC_CONTIG;
        m->owner = a;
    }
}

void shmf__palloc_check_stale(const struct palloc *a)
{
    bool bad = false; /* as run_canary_check: report the first bad page only */
    for (uint32_t i = 0; i < a->npages; i++) {
        struct page_meta *m = shmf__meta_of(a->zone, a->first + i);
        if (!__atomic_load_n(&m->stale, __ATOMIC_RELAXED))
            continue;
        if (!bad)
            bad = !page_canary_check(a->zone, a->first + i, "MmFreeContiguousMemory");
        __atomic_store_n(&m->canary_full, false, __ATOMIC_RELAXED);
        __atomic_store_n(&m->stale, false, __ATOMIC_RELAXED);
    }
}

/* A quarantined run's canaries, when it leaves the quarantine. */
static void quarantine_check(const struct quar_entry *q)
{
    run_canary_check(q->zone, q->e.first, q->e.n, "MmFreeContiguousMemory");
}

/* Put run e of zone z in home H's quarantine; the oldest runs that must leave
   it to make room go to out (at most QUAR_RUNS), for the caller to check and
   release.  pre: H locked. */
static unsigned quarantine_push(struct page_home *H, enum zone z, struct extent e,
                                struct quar_entry *out)
{
    unsigned n = 0;
    while (H->quar_count > 0 && (H->quar_count == QUAR_RUNS || H->quar_pages + e.n > QUAR_PAGES)) {
        out[n++] = H->quar[H->quar_head];
        H->quar_head = (H->quar_head + 1) % QUAR_RUNS;
        H->quar_count--;
        H->quar_pages -= out[n - 1].e.n;
    }
    H->quar[(H->quar_head + H->quar_count) % QUAR_RUNS] = (struct quar_entry){z, e};
    H->quar_count++;
    H->quar_pages += e.n;
    return n;
}

struct shmf_run shmf__run_retire(struct palloc *a)
{
    for (uint32_t i = 0; i < a->npages; i++) {
        struct page_meta *m = shmf__meta_of(a->zone, a->first + i);
        /* release: pairs with the acquire load in logical_to_host_unlocked() */
        __atomic_store_n(&m->state, SHMF_PAGE_FREED, __ATOMIC_RELEASE);
        m->owner = NULL;
        __atomic_store_n(&m->canary_full, i == 0 && !SHMF_HAVE_ASAN, __ATOMIC_RELAXED);
    }
    /* release: pairs with the acquire load in mdl_pages_freed() (rt_mdl.c),
       which the pool calls without the pages lock */
    __atomic_store_n(&a->state, SHMF_PAGE_FREED, __ATOMIC_RELEASE);
    a->mapped_va = NULL;
    struct page_home *H = home_lock(a->home);
    H->live--;
    home_unlock(H);
    return (struct shmf_run){a->zone, a->first, a->npages};
}

/* Canaries (the whole first page, the head of the others: freeing stays
   O(pages) whatever the block size) and ASan poison, then the quarantine.  Runs
   leaving it are checked, then released to their zone's free list; their pages
   stay FREED until reused.  No system call: see the top of this file for what
   that trades away without ASan. */
void shmf__run_quarantine(struct shmf_run r)
{
    struct quar_entry out[QUAR_RUNS];
    uint8_t *h = host_of(r.zone, r.first);
    for (uint32_t i = 0; i < r.n; i++) {
        const struct page_meta *m = shmf__meta_of(r.zone, r.first + i);
        memset(h + (size_t)i * PAGE_SIZE, POISON_FREE, canary_len(m));
    }
    SHMF_POISON(h, (size_t)r.n * PAGE_SIZE);
    struct page_home *H = home_lock(home_self());
    home_mark_used(home_self());
    unsigned n = quarantine_push(H, r.zone, (struct extent){r.first, r.n}, out);
    home_unlock(H);
    if (n == 0)
        return;
    for (unsigned i = 0; i < n; i++)
        quarantine_check(&out[i]);
    shmf__lock(SHMF_LK_PAGES);
    for (unsigned i = 0; i < n; i++)
        extent_insert(&pg.zone[out[i].zone], out[i].e);
    shmf__unlock(SHMF_LK_PAGES);
}

/* Uninitialized memory gets a non-zero pattern, as Driver Verifier's fill does;
   only each page's head, so allocation cost does not grow with block size. */
void shmf__fill_uninit(uint8_t *va, uint32_t npages)
{
    for (uint32_t i = 0; i < npages; i++)
        memset(va + (size_t)i * PAGE_SIZE, FILL_UNINIT, FILL_BYTES);
}

/* === Allocation records === */

/* Records are recycled through each home's spare list: a malloc per record
   churned ASan's quarantine on every input.  pre: SHMF_LK_PAGES held (the
   sequence number and the pages' states). */
static struct palloc *palloc_new(enum palloc_kind kind, enum zone z, uint32_t first,
                                 uint32_t npages, size_t bytes, uintptr_t site)
{
    unsigned h = home_self();
    struct page_home *H = home_lock(h);
    struct palloc *a = H->spare;
    if (a)
        H->spare = a->next;
    else if (!(a = malloc(sizeof(*a)))) {
        home_unlock(H);
        return NULL;
    }
    *a = (struct palloc){.kind = kind,
                         .state = SHMF_PAGE_ALLOCATED,
                         .zone = z,
                         .home = h,
                         .first = first,
                         .npages = npages,
                         .bytes = bytes,
                         .site = site,
                         .seq = ++pg.seq,
                         .prev = H->tail};
    if (H->tail)
        H->tail->next = a;
    else
        H->head = a;
    H->tail = a;
    H->live++;
    home_mark_used(h);
    home_unlock(H);
    run_mark_allocated(a);
    return a;
}

/* Unlink a from its home's list (pre: H = a's home, locked). */
static void palloc_list_remove(struct page_home *H, struct palloc *a)
{
    if (a->prev)
        a->prev->next = a->next;
    else
        H->head = a->next;
    if (a->next)
        a->next->prev = a->prev;
    else
        H->tail = a->prev;
}

void shmf__palloc_unlink(struct palloc *a)
{
    unsigned self = home_self();
    struct page_home *H = home_lock(a->home);
    palloc_list_remove(H, a);
    if (a->home != self) { /* freed on another processor: kept by this one */
        home_unlock(H);
        H = home_lock(self);
    }
    a->next = H->spare;
    H->spare = a;
    home_unlock(H);
}

/* No run fits: release every other processor's quarantine to the zones (its
   canaries checked first) so their freed pages can be reused.  Returns whether
   any run was released.  pre: SHMF_LK_PAGES held. */
static bool quarantines_release_others(void)
{
    bool any = false;
    unsigned self = home_self();
    uint64_t used = used_homes();
    for (unsigned h = 0; h < PAGE_HOMES; h++) {
        if (h == self || !(used >> h & 1))
            continue;
        struct page_home *H = home_lock(h);
        for (; H->quar_count; H->quar_count--) {
            const struct quar_entry *q = &H->quar[H->quar_head];
            quarantine_check(q);
            extent_insert(&pg.zone[q->zone], q->e);
            H->quar_head = (H->quar_head + 1) % QUAR_RUNS;
            any = true;
        }
        H->quar_head = H->quar_pages = 0;
        home_unlock(H);
    }
    return any;
}

/* Allocate a run in zone z and its record; NULL when no run fits. */
struct palloc *shmf__palloc_alloc(enum palloc_kind kind, enum zone z, const struct run_req *r,
                                  uintptr_t site)
{
    if (!arena_ready() || r->n == 0 || r->n > ZONE_PAGES)
        return NULL;
    uint32_t first = run_alloc(z, r);
    if (first == UINT32_MAX && quarantines_release_others())
        first = run_alloc(z, r);
    if (first == UINT32_MAX)
        return NULL;
    struct palloc *a = palloc_new(kind, z, first, r->n, (size_t)r->bytes, site);
    if (!a)
        extent_insert(&pg.zone[z], (struct extent){first, r->n});
    return a;
}

uint8_t *shmf__palloc_va(const struct palloc *a)
{
    return host_of(a->zone, a->first);
}

static uint64_t palloc_la(const struct palloc *a)
{
    return shmf__pfn_of(a->zone, a->first) << PAGE_SHIFT;
}

/* === Runtime interface (rt_internal.h) === */

static enum shmf_page_state page_state_locked(uint64_t la)
{
    enum zone z;
    uint32_t k;
    if (!pg.arena || !pfn_locate(la >> PAGE_SHIFT, &z, &k))
        return SHMF_PAGE_UNUSED;
    return (enum shmf_page_state)shmf__meta_of(z, k)->state;
}

enum shmf_page_state shmf__page_state(uint64_t la)
{
    shmf__lock(SHMF_LK_PAGES);
    enum shmf_page_state s = page_state_locked(la);
    shmf__unlock(SHMF_LK_PAGES);
    return s;
}

bool shmf__logical_range_allocated(uint64_t la, size_t n)
{
    uint64_t last = la + (n ? n - 1 : 0);
    bool ok = last >= la;
    shmf__lock(SHMF_LK_PAGES);
    for (uint64_t pfn = la >> PAGE_SHIFT; ok && pfn <= last >> PAGE_SHIFT; pfn++)
        ok = page_state_locked(pfn << PAGE_SHIFT) == SHMF_PAGE_ALLOCATED;
    shmf__unlock(SHMF_LK_PAGES);
    return ok;
}

void *shmf__logical_to_host_locked(uint64_t la)
{
    enum zone z;
    uint32_t k;
    if (!pg.arena || !pfn_locate(la >> PAGE_SHIFT, &z, &k) ||
        shmf__meta_of(z, k)->state != SHMF_PAGE_ALLOCATED)
        return NULL;
    return host_of(z, k) + (la & (PAGE_SIZE - 1));
}

void *shmf__logical_to_host(uint64_t la)
{
    shmf__lock(SHMF_LK_PAGES);
    void *h = shmf__logical_to_host_locked(la);
    shmf__unlock(SHMF_LK_PAGES);
    return h;
}

/* Host address of la if its page is allocated, else 0, without the lock: the
   page's state is read atomically (its writers store it with release under the
   lock), the arena and the zone arithmetic never change once set.  As exact as
   a locked lookup of one page, which is what a caller walking several pages
   got before, one lock per page. */
static uintptr_t logical_to_host_unlocked(uint64_t la)
{
    enum zone z;
    uint32_t k;
    /* acquire: pairs with the release store in arena_ready() */
    uint8_t *arena = __atomic_load_n(&pg.arena, __ATOMIC_ACQUIRE);
    /* acquire: pairs with the release stores of the page's state in
       run_mark_allocated() and shmf__run_retire() */
    if (!arena || !pfn_locate(la >> PAGE_SHIFT, &z, &k) ||
        __atomic_load_n(&shmf__meta_of(z, k)->state, __ATOMIC_ACQUIRE) != SHMF_PAGE_ALLOCATED)
        return 0;
    return (uintptr_t)host_of(z, k) + (la & (PAGE_SIZE - 1));
}

bool shmf__logical_range_within(uint64_t la, uint64_t n, uintptr_t va, size_t len)
{
    uint64_t end = la + n;
    bool ok = true;
    while (ok && la < end) {
        uint64_t chunk_end = (la | (PAGE_SIZE - 1)) + 1;
        if (chunk_end > end)
            chunk_end = end;
        uintptr_t h = logical_to_host_unlocked(la);
        ok = h && h >= va && h + (chunk_end - la) <= va + len;
        la = chunk_end;
    }
    return ok;
}

static void palloc_report_leak(const struct palloc *a)
{
    if (a->state != SHMF_PAGE_ALLOCATED)
        return;
    shmf__report(
        SHMF_KIND_LEAK_PAGES, (uint64_t)(uintptr_t)(a->mdl ? (void *)a->mdl : shmf__palloc_va(a)),
        "ShmfProviderUnload", NULL,
        "%s %p (%zu bytes, %u pages at logical 0x%llx, allocation #%llu) "
        "allocated at 0x%lx is still allocated at unload",
        a->kind == PALLOC_MDL ? "MDL" : "contiguous memory",
        a->mdl ? (void *)a->mdl : (void *)shmf__palloc_va(a), a->bytes, a->npages,
        (unsigned long long)palloc_la(a), (unsigned long long)a->seq, (unsigned long)a->site);
}

/* Every home's records, home 0's first (on one processor: allocation order),
   whichever processor allocated or runs the check. */
void shmf__pages_check_leaks(void)
{
    shmf__lock(SHMF_LK_PAGES);
    for (unsigned h = 0; h < PAGE_HOMES; h++) {
        if (!(used_homes() >> h & 1))
            continue;
        struct page_home *H = home_lock(h);
        for (const struct palloc *a = H->head; a; a = a->next)
            palloc_report_leak(a);
        home_unlock(H);
    }
    shmf__unlock(SHMF_LK_PAGES);
}

uint64_t shmf__pages_live_count(void)
{
    uint64_t n = 0;
    for (unsigned h = 0; h < PAGE_HOMES; h++) {
        if (!(used_homes() >> h & 1))
            continue;
        struct page_home *H = home_lock(h);
        n += H->live;
        home_unlock(H);
    }
    return n;
}

/* Check the canaries of every run still in a quarantine (the most recently
   freed, at most QUAR_PAGES pages per home): a stale write since its free is a
   use-after-free of this input, whichever processor freed the run.  Released
   runs were checked on leaving the quarantine and are checked again when
   reused; scanning every FREED page here too would touch the whole high-water
   range at every unload. */
void shmf__pages_check_freed(void)
{
    shmf__lock(SHMF_LK_PAGES);
    for (unsigned h = 0; h < PAGE_HOMES && !shmf_rt_finding_count(); h++) {
        if (!(used_homes() >> h & 1))
            continue;
        struct page_home *H = home_lock(h);
        for (uint32_t i = 0; i < H->quar_count && !shmf_rt_finding_count(); i++)
            quarantine_check(&H->quar[(H->quar_head + i) % QUAR_RUNS]);
        home_unlock(H);
    }
    shmf__unlock(SHMF_LK_PAGES);
}

/* Make every page handed out since the last reset UNUSED and unpoisoned: only
   FREED pages are poisoned, so only they are unpoisoned (the high-water range
   can be far larger than what this input freed). */
static void zone_reset(enum zone z)
{
    struct zone_state *zs = &pg.zone[z];
    for (uint32_t i = 0; i < zs->hw;) {
        uint32_t n = 0;
        while (i + n < zs->hw && shmf__meta_of(z, i + n)->state == SHMF_PAGE_FREED)
            n++;
        if (n)
            SHMF_UNPOISON(host_of(z, i), (size_t)n * PAGE_SIZE);
        i += n ? n : 1;
    }
    memset(shmf__meta_of(z, 0), 0, zs->hw * sizeof(struct page_meta));
    zone_init(zs);
}

void shmf__pages_reset(void)
{
    shmf__lock(SHMF_LK_PAGES);
    for (unsigned h = 0; h < PAGE_HOMES; h++) {
        if (!(used_homes() >> h & 1))
            continue;
        struct page_home *H = home_lock(h);
        while (H->head) {
            struct palloc *a = H->head;
            palloc_list_remove(H, a);
            a->next = H->spare;
            H->spare = a;
        }
        H->quar_head = H->quar_count = H->quar_pages = 0;
        H->live = 0;
        home_unlock(H);
    }
    __atomic_store_n(&phomes_used, 0, __ATOMIC_RELAXED); /* relaxed: no processor runs */
    for (int z = 0; pg.arena && z < ZONE_COUNT; z++)
        zone_reset((enum zone)z);
    pg.seq = 0;
    shmf__unlock(SHMF_LK_PAGES);
}

/* === Invariants === */

/* Zone z's free extents: sorted, coalesced, non-empty, inside the zone. */
static bool zone_is_valid(const struct zone_state *zs)
{
    uint32_t end = 0;
    if (zs->nfree > zs->cap || zs->hw > ZONE_PAGES || zs->cursor > ZONE_PAGES)
        return false;
    for (uint32_t i = 0; i < zs->nfree; i++) {
        const struct extent *e = &zs->free[i];
        if (e->n == 0 || (i > 0 && e->first <= end) || e->first + e->n > ZONE_PAGES ||
            e->first + e->n < e->first)
            return false;
        end = e->first + e->n;
    }
    return true;
}

/* Record a: inside its zone, FREED only if it is an MDL's (a contiguous block's
   record goes with its free); every page of a live record is ALLOCATED and
   owned by it. */
static bool palloc_is_valid(const struct palloc *a)
{
    if (a->zone >= ZONE_COUNT || a->npages == 0 || a->first + a->npages > ZONE_PAGES ||
        a->first + a->npages < a->first)
        return false;
    if (a->state != SHMF_PAGE_ALLOCATED)
        return a->state == SHMF_PAGE_FREED && a->kind == PALLOC_MDL;
    for (uint32_t i = 0; i < a->npages; i++) {
        const struct page_meta *m = shmf__meta_of(a->zone, a->first + i);
        if (m->state != SHMF_PAGE_ALLOCATED || m->owner != a)
            return false;
    }
    return true;
}

/* Home h: its record list is linked both ways, holds only records of home h
   and H->live live ones; its quarantine's counts match its runs.  pre:
   SHMF_LK_PAGES held (the records' pages). */
static bool home_is_valid(unsigned h)
{
    uint64_t live = 0;
    uint32_t pages = 0;
    const struct palloc *prev = NULL;
    bool ok = true;
    struct page_home *H = home_lock(h);
    for (const struct palloc *a = H->head; a && ok; prev = a, a = a->next) {
        ok = a->prev == prev && a->home == h && palloc_is_valid(a);
        live += a->state == SHMF_PAGE_ALLOCATED;
    }
    ok = ok && H->tail == prev && live == H->live && H->quar_count <= QUAR_RUNS;
    for (uint32_t i = 0; ok && i < H->quar_count; i++) {
        const struct quar_entry *q = &H->quar[(H->quar_head + i) % QUAR_RUNS];
        ok = q->zone < ZONE_COUNT && q->e.first + q->e.n <= ZONE_PAGES;
        pages += q->e.n;
    }
    ok = ok && pages == H->quar_pages;
    home_unlock(H);
    return ok;
}

/* Invariant: every home is valid; the zones' free lists are sorted and
   coalesced. */
bool shmf__pages_is_valid(void)
{
    bool ok = true;
    shmf__lock(SHMF_LK_PAGES);
    for (unsigned h = 0; ok && h < PAGE_HOMES; h++)
        ok = !(used_homes() >> h & 1) || home_is_valid(h);
    for (int z = 0; ok && pg.arena && z < ZONE_COUNT; z++)
        ok = zone_is_valid(&pg.zone[z]);
    shmf__unlock(SHMF_LK_PAGES);
    return ok;
}
