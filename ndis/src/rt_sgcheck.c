/*
 * rt_sgcheck.c -- checks on what an allocate handler returned: status, outputs,
 * and the SG list against the pages that really back the block.
 *
 * Order matters: each check assumes the ones before it passed, and the first
 * violation is the one reported (the harness stops at the first finding).  The
 * last check, block-overlap against the live blocks, is made by rt_shm.c when it
 * records the block.  Runs without the block-table lock: it reads only the
 * caller's snapshot and the page states (each element's pages under one
 * acquire of the pages lock).
 */
#include <stdlib.h>
#include <string.h>

#include "rt_pages.h"
#include "rt_shm.h"

#define SHMF_SG_FILL 0xA5
#define FN "AllocateSharedMemoryHandler"

static bool status_documented(NDIS_STATUS st)
{
    return st == NDIS_STATUS_SUCCESS || st == NDIS_STATUS_RESOURCES ||
           st == NDIS_STATUS_INVALID_PARAMETER || st == NDIS_STATUS_FAILURE;
}

static bool sg_buffer_untouched(const struct shmf_alloc_check *c)
{
    const unsigned char *p = (const unsigned char *)c->before.SGListBuffer;
    for (ULONG i = 0; p && i < c->before.SGListBufferLength; i++)
        if (p[i] != SHMF_SG_FILL)
            return false;
    return true;
}

static bool check_failure(const struct shmf_alloc_check *c)
{
    const char *what = NULL;
    if (c->after.VirtualAddress != c->before.VirtualAddress)
        what = "VirtualAddress";
    else if (c->after.SharedMemoryHandle != c->before.SharedMemoryHandle)
        what = "SharedMemoryHandle";
    else if (c->context)
        what = "*pSharedMemoryProviderContext";
    else if (!sg_buffer_untouched(c))
        what = "the SG buffer";
    if (what)
        shmf__report(SHMF_KIND_ALLOC_WROTE_ON_FAILURE, (uint64_t)(uint32_t)c->status, FN, NULL,
                     "allocate handler returned status %#x but wrote %s",
                     (unsigned)c->status, what);
    return what == NULL;
}

static bool check_outputs(const struct shmf_alloc_check *c)
{
    const char *what = NULL;
    if (!c->after.VirtualAddress)
        what = "VirtualAddress";
    else if (!c->after.SharedMemoryHandle)
        what = "SharedMemoryHandle";
    else if (!c->context)
        what = "a provider context";
    else if (!c->before.SGListBuffer)
        what = "an SG list (SGListBuffer is NULL)";
    if (what)
        shmf__report(SHMF_KIND_ALLOC_OUTPUT_MISSING, (uint64_t)(uintptr_t)c->after.VirtualAddress,
                     FN, NULL, "allocate handler returned success without %s (length %u)", what,
                     c->after.Length);
    if (!what && c->context_live) {
        shmf__report(SHMF_KIND_ALLOC_CONTEXT_DUPLICATE, (uint64_t)(uintptr_t)c->context, FN,
                     NULL, "provider context %p equals the context of a live block",
                     c->context);
        return false;
    }
    return what == NULL;
}

/* The list header and its elements fit in SGListBufferLength. */
static bool check_sg_fits(struct shmf_alloc_check *c)
{
    ULONG len = c->before.SGListBufferLength;
    ULONG count = len >= sizeof(SCATTER_GATHER_LIST) ? c->before.SGListBuffer->NumberOfElements : 0;
    uint64_t need = sizeof(SCATTER_GATHER_LIST) + (uint64_t)count * sizeof(SCATTER_GATHER_ELEMENT);
    if (len < sizeof(SCATTER_GATHER_LIST) || need > len) {
        shmf__report(SHMF_KIND_SG_BUFFER_OVERFLOW, (uint64_t)(uintptr_t)c->before.SGListBuffer,
                     FN, NULL, "SG list of %u element(s) needs %llu bytes; SGListBufferLength is %u",
                     count, (unsigned long long)need, len);
        return false;
    }
    if (count == 0) {
        shmf__report(SHMF_KIND_ALLOC_OUTPUT_MISSING, (uint64_t)(uintptr_t)c->before.SGListBuffer,
                     FN, NULL, "allocate handler returned success with an empty SG list");
        return false;
    }
    c->sg_count = count;
    c->sg = c->before.SGListBuffer->Elements;
    return true;
}

static bool check_sg_sum(const struct shmf_alloc_check *c)
{
    uint64_t sum = 0;
    for (ULONG i = 0; i < c->sg_count; i++)
        sum += c->sg[i].Length;
    if (sum == c->after.Length)
        return true;
    shmf__report(SHMF_KIND_SG_LENGTH_MISMATCH, (uint64_t)(uintptr_t)c->after.VirtualAddress, FN,
                 NULL, "SG lengths of block %p add up to %llu; Length is %u",
                 c->after.VirtualAddress, (unsigned long long)sum, c->after.Length);
    return false;
}

/* Every byte of element e is allocated memory backing [va, va+length). */
static bool element_in_block(const SCATTER_GATHER_ELEMENT *e, uintptr_t va, ULONG length)
{
    return shmf__logical_range_within((uint64_t)e->Address.QuadPart, e->Length, va, length);
}

static bool check_sg_in_block(const struct shmf_alloc_check *c)
{
    uintptr_t va = (uintptr_t)c->after.VirtualAddress;
    for (ULONG i = 0; i < c->sg_count; i++) {
        if (element_in_block(&c->sg[i], va, c->after.Length))
            continue;
        shmf__report(SHMF_KIND_SG_ELEMENT_OUT_OF_BLOCK, (uint64_t)c->sg[i].Address.QuadPart, FN,
                     NULL, "SG element %u [%#llx, +%u) is not memory of block %p (length %u)", i,
                     (unsigned long long)c->sg[i].Address.QuadPart, c->sg[i].Length,
                     c->after.VirtualAddress, c->after.Length);
        return false;
    }
    return true;
}

static int cmp_elem(const void *a, const void *b)
{
    int64_t x = ((const SCATTER_GATHER_ELEMENT *)a)->Address.QuadPart;
    int64_t y = ((const SCATTER_GATHER_ELEMENT *)b)->Address.QuadPart;
    return (x > y) - (x < y);
}

static bool check_sg_overlap(const struct shmf_alloc_check *c)
{
    SCATTER_GATHER_ELEMENT local[64];
    SCATTER_GATHER_ELEMENT *s = c->sg_count <= 64 ? local : malloc(c->sg_count * sizeof(*s));
    bool ok = true;
    if (!s)
        return true;
    memcpy(s, c->sg, c->sg_count * sizeof(*s));
    qsort(s, c->sg_count, sizeof(*s), cmp_elem);
    for (ULONG i = 1; i < c->sg_count && ok; i++) {
        uint64_t prev_end = (uint64_t)s[i - 1].Address.QuadPart + s[i - 1].Length;
        if ((uint64_t)s[i].Address.QuadPart >= prev_end)
            continue;
        shmf__report(SHMF_KIND_SG_OVERLAP, (uint64_t)s[i].Address.QuadPart, FN, NULL,
                     "SG elements of block %p overlap at logical %#llx",
                     c->after.VirtualAddress, (unsigned long long)s[i].Address.QuadPart);
        ok = false;
    }
    if (s != local)
        free(s);
    return ok;
}

/* A CONTIGUOUS block is one SG element: NDIS takes no other list for it (and
   frees a block it refuses back through the provider, rt_shm.c).  Elements
   that are physically adjacent are still more than one. */
static bool check_contiguous(const struct shmf_alloc_check *c)
{
    if (!(c->before.Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) || c->sg_count == 1)
        return true;
    ULONG i = 1;
    while (i < c->sg_count && (uint64_t)c->sg[i].Address.QuadPart ==
                                  (uint64_t)c->sg[i - 1].Address.QuadPart + c->sg[i - 1].Length)
        i++;
    if (i < c->sg_count)
        shmf__report(SHMF_KIND_CONTIGUOUS_VIOLATED, (uint64_t)c->sg[i].Address.QuadPart, FN,
                     NULL, "CONTIGUOUS block %p (length %u) breaks between SG elements %u and %u",
                     c->after.VirtualAddress, c->after.Length, i - 1, i);
    else
        shmf__report(SHMF_KIND_CONTIGUOUS_VIOLATED, (uint64_t)c->sg[1].Address.QuadPart, FN,
                     NULL, "CONTIGUOUS block %p (length %u) is described by %u SG elements; "
                     "a CONTIGUOUS block is one",
                     c->after.VirtualAddress, c->after.Length, c->sg_count);
    return false;
}

bool shmf__check_alloc(struct shmf_alloc_check *c)
{
    bool verify = (shmf__verify_flags() & SHMF_VERIFY_F_SHM) != 0;
    if (!status_documented(c->status)) {
        shmf__report(SHMF_KIND_ALLOC_STATUS_INVALID, (uint64_t)(uint32_t)c->status, FN, NULL,
                     "allocate handler returned undocumented status %#x", (unsigned)c->status);
        return false;
    }
    if (c->status != NDIS_STATUS_SUCCESS)
        return !verify || check_failure(c);
    if (!check_outputs(c) || !check_sg_fits(c))
        return false;
    if (!verify)
        return true;
    return check_sg_sum(c) && check_sg_in_block(c) && check_sg_overlap(c) &&
           check_contiguous(c);
}

/* === Overlap index (rt_shm.h) === */

static struct {
    uint32_t la[2 * ZONE_PAGES];
    uint64_t owner[2 * ZONE_PAGES]; /* a block added over the page (maybe freed since) */
    uint32_t va[ARENA_PAGES];
    unsigned odd;
} ovl; /* access under SHMF_LK_SHM */

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
static void ovl_count_sg(const SCATTER_GATHER_ELEMENT *sg, ULONG n, uint32_t delta,
                         uint64_t owner)
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
}

void shmf__ovl_remove(const struct shmf_ovl_ref *r, const SCATTER_GATHER_ELEMENT *sg, ULONG n)
{
    for (uint32_t p = 0; p < r->va_pages; p++)
        ovl.va[r->va_first + p]--;
    ovl_count_sg(sg, n, (uint32_t)-1, 0);
    ovl.odd -= r->odd;
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
