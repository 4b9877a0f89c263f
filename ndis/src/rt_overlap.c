/*
 * rt_overlap.c -- the overlap index of the live shared-memory blocks (contract
 * in rt_shm.h): per logical page and per arena page, how many live blocks
 * touch it, so the exact block-overlap walk of rt_shm.c runs only where a
 * count is not zero.  Under SHMF_LK_SHM, which rt_shm.c holds around every call
 * (the checker takes it itself).
 * layer: 21 subsystem (calls rt_pages.c and the base)
 */
#include "rt_pages.h"
#include "rt_shm.h"

static struct {
    uint32_t la[2 * ZONE_PAGES];
    uint64_t owner[2 * ZONE_PAGES]; /* a block added over the page (maybe freed since) */
    uint32_t va[ARENA_PAGES];
    unsigned odd;
    unsigned blocks; /* live blocks added */
} ovl;               /* access under SHMF_LK_SHM */

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

/* Count (delta 1 or -1) the pages of the SG list; owner: the block to note as
   the pages' owner, 0 for none. */
static void ovl_count_sg(const SCATTER_GATHER_ELEMENT *sg, ULONG n, uint32_t delta, uint64_t owner)
{
    uint32_t first, last;
    for (ULONG i = 0; i < n; i++)
        if (la_pages((uint64_t)sg[i].Address.QuadPart, sg[i].Length, &first, &last))
            for (uint32_t p = first; p <= last; p++) {
                ovl.la[p] += delta;
                if (owner)
                    ovl.owner[p] = owner;
            }
}

uint64_t shmf__ovl_owner(uint64_t la)
{
    uint32_t p, unused;
    return la_pages(la, 1, &p, &unused) && ovl.la[p] ? ovl.owner[p] : 0;
}

void shmf__ovl_add(struct shmf_ovl_ref *r, uint64_t owner, PVOID va, ULONG len,
                   const SCATTER_GATHER_ELEMENT *sg, ULONG n)
{
    uint32_t first, last;
    *r = (struct shmf_ovl_ref){0, 0, 0};
    if (len && !va_pages(va, len, &r->va_first, &r->va_pages))
        r->odd++;
    for (ULONG i = 0; i < n; i++)
        if (sg[i].Length &&
            !la_pages((uint64_t)sg[i].Address.QuadPart, sg[i].Length, &first, &last))
            r->odd++;
    for (uint32_t p = 0; p < r->va_pages; p++)
        ovl.va[r->va_first + p]++;
    ovl_count_sg(sg, n, 1, owner);
    ovl.odd += r->odd;
    ovl.blocks++;
}

void shmf__ovl_remove(const struct shmf_ovl_ref *r, const SCATTER_GATHER_ELEMENT *sg, ULONG n)
{
    for (uint32_t p = 0; p < r->va_pages; p++)
        ovl.va[r->va_first + p]--;
    ovl_count_sg(sg, n, (uint32_t)-1, 0);
    ovl.odd -= r->odd;
    ovl.blocks--;
}

/* Might the byte at la be in a live block's SG element?  (Outside simulated
   memory: no index, so yes.) */
static bool la_byte_used(uint64_t la)
{
    uint32_t p, unused;
    return !la_pages(la, 1, &p, &unused) || ovl.la[p] != 0;
}

bool shmf__ovl_maybe_hit(PVOID va, ULONG len, const SCATTER_GATHER_ELEMENT *sg, ULONG n)
{
    uint32_t first, count;
    if (ovl.odd)
        return true;
    for (ULONG k = 0; k < n; k++) {
        uint64_t la = (uint64_t)sg[k].Address.QuadPart;
        if (la_byte_used(la) || (sg[k].Length && la_byte_used(la + sg[k].Length - 1)))
            return true;
    }
    if (len == 0)
        return false;
    if (!va_pages(va, len, &first, &count))
        return true;
    for (uint32_t p = 0; p < count; p++)
        if (ovl.va[first + p])
            return true;
    return false;
}

void shmf__ovl_totals(unsigned *blocks, unsigned *odd)
{
    *blocks = ovl.blocks;
    *odd = ovl.odd;
}

/* Invariant: with no live block nothing lies elsewhere; expensive builds
   (SHMF_DEBUG >= 3) also check that every page count is then zero and that no
   arena page is counted by more blocks than there are. */
bool shmf__ovl_is_valid(void)
{
    bool ok;
    shmf__lock(SHMF_LK_SHM);
    ok = ovl.blocks != 0 || ovl.odd == 0;
#if SHMF_DEBUG >= 3
    for (uint32_t p = 0; ok && p < 2 * ZONE_PAGES; p++)
        ok = ovl.blocks != 0 || ovl.la[p] == 0;
    for (uint32_t p = 0; ok && p < ARENA_PAGES; p++)
        ok = ovl.va[p] <= ovl.blocks;
#endif
    shmf__unlock(SHMF_LK_SHM);
    return ok;
}
