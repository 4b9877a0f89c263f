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
 * layer: 21 subsystem (calls rt_pages.c and the base)
 */
#include <stdlib.h>
#include <string.h>

#include "rt_pages.h"
#include "rt_shm.h"

#define FN "AllocateSharedMemoryHandler"

static bool status_documented(NDIS_STATUS st)
{
    return st == NDIS_STATUS_SUCCESS || st == NDIS_STATUS_RESOURCES ||
           st == NDIS_STATUS_INVALID_PARAMETER || st == NDIS_STATUS_FAILURE;
}

static bool sg_buffer_untouched(const struct shmf_alloc_check *c)
{
    const void *p = c->before.SGListBuffer;
    ULONG n = c->before.SGListBufferLength;
    return !p || shmf__first_not(p, n, SHMF_SG_FILL) == n;
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
                     "allocate handler returned status %#x but wrote %s", (unsigned)c->status,
                     what);
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
        shmf__report(SHMF_KIND_ALLOC_CONTEXT_DUPLICATE, (uint64_t)(uintptr_t)c->context, FN, NULL,
                     "provider context %p equals the context of a live block", c->context);
        return false;
    }
    return what == NULL;
}

bool shmf_rt_sg_list_fits(const SCATTER_GATHER_LIST *list, ULONG buffer_len, ULONG *count,
                          uint64_t *need)
{
    bool header = buffer_len >= sizeof(SCATTER_GATHER_LIST);
    ULONG n = header ? list->NumberOfElements : 0;
    uint64_t bytes = sizeof(SCATTER_GATHER_LIST) + (uint64_t)n * sizeof(SCATTER_GATHER_ELEMENT);
    if (count)
        *count = n;
    if (need)
        *need = bytes;
    return header && bytes <= buffer_len;
}

/* The list header and its elements fit in SGListBufferLength. */
static bool check_sg_fits(struct shmf_alloc_check *c)
{
    ULONG len = c->before.SGListBufferLength, count;
    uint64_t need;
    if (!shmf_rt_sg_list_fits(c->before.SGListBuffer, len, &count, &need)) {
        shmf__report(SHMF_KIND_SG_BUFFER_OVERFLOW, (uint64_t)(uintptr_t)c->before.SGListBuffer, FN,
                     NULL, "SG list of %u element(s) needs %llu bytes; SGListBufferLength is %u",
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
                     "SG elements of block %p overlap at logical %#llx", c->after.VirtualAddress,
                     (unsigned long long)s[i].Address.QuadPart);
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
        shmf__report(SHMF_KIND_CONTIGUOUS_VIOLATED, (uint64_t)c->sg[i].Address.QuadPart, FN, NULL,
                     "CONTIGUOUS block %p (length %u) breaks between SG elements %u and %u",
                     c->after.VirtualAddress, c->after.Length, i - 1, i);
    else
        shmf__report(SHMF_KIND_CONTIGUOUS_VIOLATED, (uint64_t)c->sg[1].Address.QuadPart, FN, NULL,
                     "CONTIGUOUS block %p (length %u) is described by %u SG elements; "
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
    return check_sg_sum(c) && check_sg_in_block(c) && check_sg_overlap(c) && check_contiguous(c);
}
