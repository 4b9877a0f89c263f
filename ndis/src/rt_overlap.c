/*
 * rt_overlap.c -- the overlap index of the live shared-memory blocks (contract
 * in rt_shm.h): per logical page and per arena page, how many live blocks
 * touch it, so the exact block-overlap walk of rt_shm.c runs only where a
 * count says another block is there.
 *
 * Shared by every processor and lock-free (docs/stress.md, "Homes"): the block
 * table is split into per-processor homes, and an overlap between blocks of two
 * homes must still be seen, so the index stays one array for the whole
 * simulated memory and its counters are atomic.  A block is counted *after* it
 * was recorded in its home and each counter is updated with an acq_rel
 * read-modify-write, so of two blocks that share a page the one counted second
 * sees the other's count and, through it, the other's record: the exact walk
 * finds it.  The check is the count each read-modify-write returns, so the
 * usual allocation (pages nobody else counts) reads nothing more.  Live-block counts are per
 * processor (each on its own cache line; only their sum means anything), so an allocation writes no
 * line another processor writes, except the page counters of its own pages.
 * layer: 21 subsystem (calls rt_pages.c and the base)
 */
#include "rt_pages.h"
#include "rt_shm.h"

#define OWN_SCAN_MAX 64 /* SG elements looked through for own counts; more: a hit */

static struct {
    uint32_t la[2 * ZONE_PAGES];
    uint64_t owner[2 * ZONE_PAGES]; /* a block added over the page (maybe freed since) */
    uint32_t va[ARENA_PAGES];
    unsigned odd; /* rarely written: ranges outside the simulated memory */
} ovl;
/* Live blocks added, per processor that added or removed them (a removal on
   another processor makes one count negative; the sum is exact). */
static struct {
    long n;
} __attribute__((aligned(64))) ovl_blocks[SHMF_MAX_CPUS];

/* Logical page numbers (from PFN_BASE) of the first and the last byte of
   [la, la+n); false if the range is empty, wraps or leaves simulated memory. */
static bool la_pages(uint64_t la, uint64_t n, uint32_t *first, uint32_t *last)
{
    uint64_t lo = PFN_BASE << PAGE_SHIFT, hi = (PFN_BASE + 2ull * ZONE_PAGES) << PAGE_SHIFT;
    if (n == 0 || la + n < la || la < lo || la + n > hi)
        return false;
    *first = (uint32_t)((la >> PAGE_SHIFT) - PFN_BASE);
    *last = (uint32_t)(((la + n - 1) >> PAGE_SHIFT) - PFN_BASE);
    return true;
}

/* Arena pages of [va, va+n); false if the range is empty, wraps or leaves the
   arena. */
static bool va_pages(PVOID va, uint64_t n, uint32_t *first, uint32_t *count)
{
    enum zone z0, z1;
    uint32_t k0, k1;
    uintptr_t s = (uintptr_t)va;
    if (n == 0 || s + n < s || !shmf__va_locate(va, &z0, &k0) ||
        !shmf__va_locate((const void *)(s + n - 1), &z1, &k1))
        return false;
    *first = (uint32_t)z0 * ZONE_PAGES + k0;
    *count = (uint32_t)z1 * ZONE_PAGES + k1 - *first + 1;
    return true;
}

/* Earlier elements of sg (before i) with a byte in logical page p: this
   block's own counts of p before element i counts it. */
static uint32_t own_before(const SCATTER_GATHER_ELEMENT *sg, ULONG i, uint32_t p)
{
    uint32_t own = 0, first, last;
    for (ULONG j = 0; j < i; j++)
        own += la_pages((uint64_t)sg[j].Address.QuadPart, sg[j].Length, &first, &last) &&
               first <= p && p <= last;
    return own;
}

/* Count (delta 1 or -1) the pages of the SG list; owner: the block to note as
   the pages' owner, 0 for none.  Adding (delta 1), returns whether a page was
   counted already by another block: a count found above this block's own
   earlier counts of the page (rare, so only then are those looked up). */
static bool ovl_count_sg(const SCATTER_GATHER_ELEMENT *sg, ULONG n, uint32_t delta, uint64_t owner)
{
    uint32_t first, last;
    bool shared = false;
    for (ULONG i = 0; i < n; i++)
        if (la_pages((uint64_t)sg[i].Address.QuadPart, sg[i].Length, &first, &last))
            for (uint32_t p = first; p <= last; p++) {
                /* acq_rel: the counts of one page are totally ordered; of two
                   blocks counting it, the later one reads the earlier one's
                   count here, and the release half of the earlier one's
                   (made after its home record) makes that record visible to
                   the later one's exact walk (acquire half) */
                uint32_t old = __atomic_fetch_add(&ovl.la[p], delta, __ATOMIC_ACQ_REL);
                if (delta == 1 && old && !shared)
                    shared = n > OWN_SCAN_MAX || old > own_before(sg, i, p);
                if (owner) /* relaxed: a hint, checked by the reader */
                    __atomic_store_n(&ovl.owner[p], owner, __ATOMIC_RELAXED);
            }
    return shared;
}

uint64_t shmf__ovl_owner(uint64_t la)
{
    uint32_t p, unused;
    /* relaxed (both): a hint, which the caller checks under the block's home lock */
    return la_pages(la, 1, &p, &unused) && __atomic_load_n(&ovl.la[p], __ATOMIC_RELAXED)
               ? __atomic_load_n(&ovl.owner[p], __ATOMIC_RELAXED)
               : 0;
}

/* Of two blocks that share a page, the one whose count of it comes second
   sees the other's; that one was recorded in its home before it counted, so
   the caller's exact walk finds it.  A block with a range outside the index
   always walks; one without reads the odd count under its home lock, after
   its record, and a walking block takes that lock: one of the two sees the
   other. */
bool shmf__ovl_add(struct shmf_ovl_ref *r, uint64_t owner, PVOID va, ULONG len,
                   const SCATTER_GATHER_ELEMENT *sg, ULONG n)
{
    uint32_t first, last;
    bool hit = false;
    *r = (struct shmf_ovl_ref){0, 0, 0};
    if (len && !va_pages(va, len, &r->va_first, &r->va_pages))
        r->odd++;
    for (ULONG i = 0; i < n; i++)
        if (sg[i].Length &&
            !la_pages((uint64_t)sg[i].Address.QuadPart, sg[i].Length, &first, &last))
            r->odd++;
    /* acq_rel: as in ovl_count_sg(), for the arena pages (a block counts each
       of its arena pages once) */
    for (uint32_t p = 0; p < r->va_pages; p++)
        hit |= __atomic_fetch_add(&ovl.va[r->va_first + p], 1, __ATOMIC_ACQ_REL) != 0;
    hit |= ovl_count_sg(sg, n, 1, owner);
    if (r->odd) { /* release: pairs with the acquire load below of another block */
        __atomic_fetch_add(&ovl.odd, r->odd, __ATOMIC_RELEASE);
        hit = true;
    }
    __atomic_fetch_add(&ovl_blocks[shmf__cpu()->index].n, 1, __ATOMIC_RELAXED);
    /* An empty element counts nothing, but its address may lie in a block. */
    for (ULONG i = 0; i < n && !hit; i++) {
        uint32_t p;
        if (sg[i].Length)
            continue;
        /* acquire: pairs with the acq_rel fetch_add in ovl_count_sg() */
        hit = !la_pages((uint64_t)sg[i].Address.QuadPart, 1, &p, &last) || n > OWN_SCAN_MAX ||
              __atomic_load_n(&ovl.la[p], __ATOMIC_ACQUIRE) > own_before(sg, n, p);
    }
    /* acquire: pairs with the release add above of another block's odd ranges */
    return hit || __atomic_load_n(&ovl.odd, __ATOMIC_ACQUIRE) != 0;
}

void shmf__ovl_remove(const struct shmf_ovl_ref *r, const SCATTER_GATHER_ELEMENT *sg, ULONG n)
{
    /* release: the block's removal is ordered before a later count of the
       page (the acquire halves in ovl_count_sg() and shmf__ovl_add()) */
    for (uint32_t p = 0; p < r->va_pages; p++)
        __atomic_fetch_sub(&ovl.va[r->va_first + p], 1, __ATOMIC_RELEASE);
    ovl_count_sg(sg, n, (uint32_t)-1, 0);
    if (r->odd) /* release: as above, for the acquire load in shmf__ovl_add() */
        __atomic_fetch_sub(&ovl.odd, r->odd, __ATOMIC_RELEASE);
    __atomic_fetch_sub(&ovl_blocks[shmf__cpu()->index].n, 1, __ATOMIC_RELAXED);
}

void shmf__ovl_totals(unsigned *blocks, unsigned *odd)
{
    long sum = 0;
    for (unsigned i = 0; i < SHMF_MAX_CPUS; i++) /* relaxed: exact between ops only */
        sum += __atomic_load_n(&ovl_blocks[i].n, __ATOMIC_RELAXED);
    *blocks = (unsigned)sum;
    *odd = __atomic_load_n(&ovl.odd, __ATOMIC_RELAXED); /* relaxed: as above */
}

void shmf__ovl_reset(void)
{
    for (unsigned i = 0; i < SHMF_MAX_CPUS; i++)
        __atomic_store_n(&ovl_blocks[i].n, 0, __ATOMIC_RELAXED); /* relaxed: no processor runs */
}

/* Invariant (between ops: the counters move while processors add blocks):
   with no live block nothing lies elsewhere; expensive builds (SHMF_DEBUG >=
   3) also check that every page count is then zero and that no arena page is
   counted by more blocks than there are. */
bool shmf__ovl_is_valid(void)
{
    unsigned blocks, odd;
    shmf__ovl_totals(&blocks, &odd);
    bool ok = (int)blocks >= 0 && (blocks != 0 || odd == 0);
#if SHMF_DEBUG >= 3
    for (uint32_t p = 0; ok && p < 2 * ZONE_PAGES; p++) /* relaxed: between ops */
        ok = blocks != 0 || __atomic_load_n(&ovl.la[p], __ATOMIC_RELAXED) == 0;
    for (uint32_t p = 0; ok && p < ARENA_PAGES; p++)
        ok = __atomic_load_n(&ovl.va[p], __ATOMIC_RELAXED) <= blocks;
#endif
    return ok;
}
