/*
 * rt_mdl.c -- the Mm routines that hand out DMA-able pages of the simulated
 * physical memory (rt_pages.c): MmAllocateContiguousNodeMemory,
 * MmFreeContiguousMemory, MmAllocatePagesForMdlEx, MmFreePagesFromMdl, the MDL
 * mapping routines and MmGetPhysicalAddress.  Page states and the MDL table
 * below are guarded by SHMF_LK_PAGES (page records by their home's lock, which
 * rt_pages.c takes inside it); an MDL's pool block is allocated under it
 * (SHMF_LK_POOL comes later in the lock order).  Any processor frees any
 * processor's pages and MDLs: both are found through these shared tables.  A new run's contents
 * are filled after the lock is dropped: nobody else can reach the run yet.
 * layer: 22 subsystem (calls rt_pool.c, rt_pages.c, rt_fault.c and the base)
 */
#include <stdlib.h>
#include <string.h>

#include "rt_pages.h"

#define MDL_MAX_BYTES (0x100000000ull - PAGE_SIZE)
#define MM_ALLOCATE_MASK 0x1ffu

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* === MDL table ===
 * MDL address -> page record, from MmAllocatePagesForMdlEx until ExFreePool
 * frees the MDL (mdl_released): the MDL routines find their record
 * without the pool.  Open addressing, key NULL free.  Under SHMF_LK_PAGES. */

struct mdl_slot {
    const void *mdl;
    struct palloc *a;
};
static struct mdl_slot *mdl_tab;
static unsigned mdl_cap, mdl_count; /* mdl_cap: a power of two, or 0 */

static unsigned mdl_home(const void *mdl)
{
    return (unsigned)(((uint64_t)(uintptr_t)mdl >> 4) * 0x9E3779B97F4A7C15ull >> 40) &
           (mdl_cap - 1);
}

static struct mdl_slot *mdl_slot_of(const void *mdl)
{
    unsigned mask = mdl_cap - 1;
    for (unsigned i = mdl_home(mdl); mdl && mdl_cap && mdl_tab[i].mdl; i = (i + 1) & mask)
        if (mdl_tab[i].mdl == mdl)
            return &mdl_tab[i];
    return NULL;
}

static void mdl_put(const void *mdl, struct palloc *a)
{
    unsigned i = mdl_home(mdl);
    while (mdl_tab[i].mdl)
        i = (i + 1) & (mdl_cap - 1);
    mdl_tab[i] = (struct mdl_slot){mdl, a};
    mdl_count++;
}

/* Room for one more entry; false if the host is out of memory. */
static bool mdl_reserve(void)
{
    if (2 * (mdl_count + 1) <= mdl_cap)
        return true;
    unsigned old_cap = mdl_cap, cap = mdl_cap ? mdl_cap * 2 : 64;
    struct mdl_slot *old = mdl_tab, *t = calloc(cap, sizeof(*t));
    if (!t)
        return false;
    mdl_tab = t;
    mdl_cap = cap;
    mdl_count = 0;
    for (unsigned i = 0; i < old_cap; i++)
        if (old[i].mdl)
            mdl_put(old[i].mdl, old[i].a);
    free(old);
    return true;
}

/* Linear probing: pull later keys of the cluster back over the hole. */
static void mdl_del(struct mdl_slot *h)
{
    unsigned hole = (unsigned)(h - mdl_tab), mask = mdl_cap - 1;
    for (unsigned i = (hole + 1) & mask; mdl_tab[i].mdl; i = (i + 1) & mask) {
        unsigned home = mdl_home(mdl_tab[i].mdl);
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            mdl_tab[hole] = mdl_tab[i];
            hole = i;
        }
    }
    mdl_tab[hole].mdl = NULL;
    mdl_count--;
}

/* Record of the live MDL block based at mdl, or NULL. */
static struct palloc *mdl_find(const void *mdl)
{
    struct mdl_slot *h = mdl_slot_of(mdl);
    return h ? h->a : NULL;
}

void shmf__mdl_reset(void)
{
    shmf__lock(SHMF_LK_PAGES);
    if (mdl_tab)
        memset(mdl_tab, 0, mdl_cap * sizeof(*mdl_tab));
    mdl_count = 0;
    shmf__unlock(SHMF_LK_PAGES);
}

/* Invariant: mdl_count entries, at most half the table; each found from its
   home slot, and naming a record of kind MDL that names it back. */
bool shmf__mdl_is_valid(void)
{
    unsigned n = 0;
    bool ok;
    shmf__lock(SHMF_LK_PAGES);
    ok = (mdl_cap & (mdl_cap - 1)) == 0 && 2 * mdl_count <= mdl_cap;
    for (unsigned i = 0; ok && i < mdl_cap; i++) {
        const struct mdl_slot *t = &mdl_tab[i];
        if (!t->mdl)
            continue;
        n++;
        ok = mdl_slot_of(t->mdl) == t && t->a && t->a->kind == PALLOC_MDL &&
             (const void *)t->a->mdl == t->mdl;
    }
    ok = ok && n == mdl_count;
    shmf__unlock(SHMF_LK_PAGES);
    return ok;
}

/* === What the pool asks about an MDL block (struct shmf_pool_mdl_ops) === */

/* True once the pages of MDL record ctx were freed: read atomically (the
   caller holds SHMF_LK_POOL, not the pages lock).  acquire: pairs with the
   release store of the record's state in shmf__run_retire() (rt_pages.c). */
static bool mdl_pages_freed(const void *ctx)
{
    const struct palloc *a = ctx;
    return __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) == SHMF_PAGE_FREED;
}

/* The MDL block of record ctx was freed with ExFreePool; forget it.
   pre: SHMF_LK_PAGES held, or no SHMF_LK_POOL (lock order). */
static void mdl_released(void *ctx)
{
    struct palloc *a = ctx;
    shmf__lock(SHMF_LK_PAGES);
    struct mdl_slot *h = mdl_slot_of(a->mdl);
    if (h)
        mdl_del(h);
    shmf__palloc_unlink(a);
    shmf__unlock(SHMF_LK_PAGES);
}

static const struct shmf_pool_mdl_ops mdl_ops = {mdl_pages_freed, mdl_released};

/* === Contiguous memory === */

/* Protect: exactly one of PAGE_READWRITE / PAGE_EXECUTE_READWRITE, plus at most
   one of PAGE_NOCACHE / PAGE_WRITECOMBINE. */
static bool protect_valid(ULONG protect)
{
    ULONG access = protect & ~(ULONG)(PAGE_NOCACHE | PAGE_WRITECOMBINE);
    if ((protect & PAGE_NOCACHE) && (protect & PAGE_WRITECOMBINE))
        return false;
    return access == PAGE_READWRITE || access == PAGE_EXECUTE_READWRITE;
}

/* Report the first rule the parameters break; true if none. */
static bool contig_args_valid(ULONG protect, uint64_t boundary, const char *fn)
{
    if (!protect_valid(protect)) {
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, protect, fn,
                     "MmAllocateContiguousNodeMemory page: Protect",
                     "Protect 0x%x needs exactly one of PAGE_READWRITE or "
                     "PAGE_EXECUTE_READWRITE and at most one cache flag",
                     (unsigned)protect);
        return false;
    }
    if (boundary != 0 && !is_pow2(boundary)) {
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, boundary, fn,
                     "MmAllocateContiguousNodeMemory page: BoundaryAddressMultiple",
                     "BoundaryAddressMultiple 0x%llx is not 0 or a power of two",
                     (unsigned long long)boundary);
        return false;
    }
    return true;
}

static bool node_ok(NODE_REQUIREMENT node)
{
    return node == MM_ANY_NODE_OK || node <= KeQueryHighestNodeNumber();
}

PVOID MmAllocateContiguousNodeMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
                                     PHYSICAL_ADDRESS HighestAcceptableAddress,
                                     PHYSICAL_ADDRESS BoundaryAddressMultiple, ULONG Protect,
                                     NODE_REQUIREMENT PreferredNode)
{
    static const char fn[] = "MmAllocateContiguousNodeMemory";
    uintptr_t site = SHMF_CALLER();
    uint64_t boundary = (uint64_t)BoundaryAddressMultiple.QuadPart;
    shmf__irql_check_max(DISPATCH_LEVEL, fn, "MmAllocateContiguousNodeMemory page");
    if (!contig_args_valid(Protect, boundary, fn))
        return NULL;
    if (NumberOfBytes == 0 || NumberOfBytes > (SIZE_T)ZONE_PAGES * PAGE_SIZE ||
        (boundary != 0 && NumberOfBytes > boundary) || !node_ok(PreferredNode))
        return NULL;
    if (shmf__fault_should_fail(fn, site))
        return NULL;
    struct run_req r = {.n = (uint32_t)BYTES_TO_PAGES(NumberOfBytes),
                        .align = PAGE_SIZE,
                        .boundary = boundary,
                        .bytes = NumberOfBytes,
                        .lo = (uint64_t)LowestAcceptableAddress.QuadPart,
                        .hi = (uint64_t)HighestAcceptableAddress.QuadPart};
    shmf__lock(SHMF_LK_PAGES);
    struct palloc *a = shmf__palloc_alloc(PALLOC_CONTIG, ZONE_CONTIG, &r, site);
    uint8_t *va = a ? shmf__palloc_va(a) : NULL;
    shmf__unlock(SHMF_LK_PAGES);
    if (!va)
        return NULL;
    shmf__palloc_check_stale(a);
    shmf__fill_uninit(va, r.n);
    return va;
}

VOID MmFreeContiguousMemory(PVOID BaseAddress)
{
    static const char fn[] = "MmFreeContiguousMemory";
    enum zone z;
    uint32_t k;
    struct shmf_run run = {.n = 0};
    shmf__irql_check_max(DISPATCH_LEVEL, fn, "IrqlMmDispatch");
    shmf__lock(SHMF_LK_PAGES);
    struct page_meta *m = shmf__va_locate(BaseAddress, &z, &k) ? shmf__meta_of(z, k) : NULL;
    bool at_base = m && BYTE_OFFSET(BaseAddress) == 0;
    if (at_base && m->state == SHMF_PAGE_ALLOCATED && m->contig_base) {
        struct palloc *a = m->owner;
        run = shmf__run_retire(a);
        shmf__palloc_unlink(a);
    } else if (at_base && m->state == SHMF_PAGE_FREED && m->contig_base) {
        shmf__report(SHMF_KIND_POOL_DOUBLE_FREE, (uint64_t)(uintptr_t)BaseAddress, fn, NULL,
                     "double free of contiguous memory at %p (logical 0x%llx)", BaseAddress,
                     (unsigned long long)(shmf__pfn_of(z, k) << PAGE_SHIFT));
    } else {
        shmf__report(SHMF_KIND_POOL_FREE_UNKNOWN, (uint64_t)(uintptr_t)BaseAddress, fn,
                     "BAD_POOL_CALLER 0xC2/0x60",
                     "MmFreeContiguousMemory(%p): not the base of contiguous memory from "
                     "MmAllocateContiguousNodeMemory",
                     BaseAddress);
    }
    shmf__unlock(SHMF_LK_PAGES);
    if (run.n)
        shmf__run_quarantine(run);
}

/* === MDLs === */

/* Why Flags / SkipBytes break MmAllocatePagesForMdlEx's rules, or NULL. */
static const char *mdl_flags_problem(uint64_t skip, uint64_t total, ULONG flags)
{
    bool chunks = flags & MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS;
    if (flags & ~(ULONG)MM_ALLOCATE_MASK)
        return "unknown MM_ALLOCATE_* flag bits";
    if (skip & (PAGE_SIZE - 1))
        return "SkipBytes is not a multiple of PAGE_SIZE";
    if (chunks && skip != 0 && (!is_pow2(skip) || total % skip != 0))
        return "with REQUIRE_CONTIGUOUS_CHUNKS, SkipBytes must be a power of two "
               "dividing TotalBytes";
    if ((flags & MM_ALLOCATE_FAST_LARGE_PAGES) && !chunks)
        return "MM_ALLOCATE_FAST_LARGE_PAGES needs MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS";
    if ((flags & MM_ALLOCATE_AND_HOT_REMOVE) && (flags & MM_ALLOCATE_FULLY_REQUIRED))
        return "MM_ALLOCATE_AND_HOT_REMOVE with MM_ALLOCATE_FULLY_REQUIRED";
    return NULL;
}

static bool mdl_args_valid(uint64_t skip, uint64_t total, MEMORY_CACHING_TYPE cache, ULONG flags,
                           const char *fn)
{
    const char *why = mdl_flags_problem(skip, total, flags);
    if (!why && (cache < MmNonCached || cache >= MmMaximumCacheType))
        why = "CacheType is not a MEMORY_CACHING_TYPE";
    if (why)
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, flags, fn,
                     "MmAllocatePagesForMdlEx page: Flags and SkipBytes",
                     "MmAllocatePagesForMdlEx(Flags 0x%x, SkipBytes 0x%llx, CacheType %d): %s",
                     (unsigned)flags, (unsigned long long)skip, (int)cache, why);
    if (!why && (flags & MM_ALLOCATE_AND_HOT_REMOVE))
        shmf__irql_check_max(PASSIVE_LEVEL, fn, "MM_ALLOCATE_AND_HOT_REMOVE: PASSIVE_LEVEL");
    return why == NULL;
}

/* Scattered pages come from anywhere in their zone: [lo, hi] must cover it. */
static bool scatter_range_ok(uint64_t lo, uint64_t hi)
{
    uint64_t first = (PFN_BASE + ZONE_PAGES) << PAGE_SHIFT;
    uint64_t last = ((PFN_BASE + 2ull * ZONE_PAGES) << PAGE_SHIFT) - 1;
    return lo <= first && hi >= last;
}

/* Fill in the MDL header and PFN array for the pages of a. */
static void mdl_describe(PMDL mdl, const struct palloc *a)
{
    *mdl = (MDL){.Size = (CSHORT)(sizeof(MDL) + a->npages * sizeof(PFN_NUMBER)),
                 .MdlFlags = MDL_PAGES_LOCKED,
                 .ByteCount = (ULONG)a->bytes};
    for (uint32_t i = 0; i < a->npages; i++)
        MmGetMdlPfnArray(mdl)[i] = shmf__pfn_of(a->zone, a->first + i);
}

/* The run and its MDL block under the pages lock; then, unlocked, the pages'
   contents and the MDL's PFN array (nobody has the MDL yet; a record's zone,
   first and npages never change while it lives). */
static PMDL mdl_alloc(const struct run_req *r, bool contiguous, bool zero, uintptr_t site)
{
    PMDL mdl = NULL;
    struct shmf_run run = {.n = 0};
    shmf__lock(SHMF_LK_PAGES);
    struct palloc *a =
        shmf__palloc_alloc(PALLOC_MDL, contiguous ? ZONE_CONTIG : ZONE_SCATTER, r, site);
    if (a && mdl_reserve())
        mdl = shmf__pool_alloc_mdl(sizeof(MDL) + a->npages * sizeof(PFN_NUMBER), &mdl_ops, a, site);
    if (a && !mdl) {
        shmf__palloc_check_stale(a);
        run = shmf__run_retire(a);
        shmf__palloc_unlink(a);
    }
    if (mdl) {
        a->mdl = mdl;
        mdl_put(mdl, a);
    }
    shmf__unlock(SHMF_LK_PAGES);
    if (run.n)
        shmf__run_quarantine(run);
    if (!mdl)
        return NULL;
    shmf__palloc_check_stale(a);
    if (zero)
        memset(shmf__palloc_va(a), 0, (size_t)a->npages * PAGE_SIZE);
    else
        shmf__fill_uninit(shmf__palloc_va(a), a->npages);
    mdl_describe(mdl, a);
    return mdl;
}

PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                             PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
                             MEMORY_CACHING_TYPE CacheType, ULONG Flags)
{
    static const char fn[] = "MmAllocatePagesForMdlEx";
    uintptr_t site = SHMF_CALLER();
    uint64_t skip = (uint64_t)SkipBytes.QuadPart;
    bool chunks = Flags & MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS;
    shmf__irql_check_max(APC_LEVEL, fn, "IrqlMmApcLte (stricter than the DDI page)");
    if (!mdl_args_valid(skip, TotalBytes, CacheType, Flags, fn))
        return NULL;
    if (TotalBytes == 0 || TotalBytes > MDL_MAX_BYTES)
        return NULL;
    if (!chunks && !scatter_range_ok((uint64_t)LowAddress.QuadPart, (uint64_t)HighAddress.QuadPart))
        return NULL;
    if (shmf__fault_should_fail(fn, site))
        return NULL;
    struct run_req r = {.n = (uint32_t)BYTES_TO_PAGES((uint64_t)TotalBytes),
                        .align = chunks && skip ? skip : PAGE_SIZE,
                        .bytes = TotalBytes,
                        .lo = (uint64_t)LowAddress.QuadPart,
                        .hi = (uint64_t)HighAddress.QuadPart};
    return mdl_alloc(&r, chunks, !(Flags & MM_DONT_ZERO_ALLOCATION), site);
}

/* Record of a live MDL whose pages are allocated; else report misuse, NULL. */
static struct palloc *mdl_record(PMDL mdl, const char *fn)
{
    struct palloc *a = mdl_find(mdl);
    if (a && a->state == SHMF_PAGE_ALLOCATED)
        return a;
    shmf__report(
        SHMF_KIND_ROUTINE_MISUSE, (uint64_t)(uintptr_t)mdl, fn,
        "MDL must describe locked pages (MmAllocatePagesForMdlEx)", "%s(%p): %s", fn, (void *)mdl,
        a ? "the MDL's pages were already freed" : "not a live MDL from MmAllocatePagesForMdlEx");
    return NULL;
}

static void mdl_unmap(struct palloc *a)
{
    a->mapped_va = NULL;
    a->mdl->MappedSystemVa = NULL;
    a->mdl->MdlFlags &= (CSHORT)~MDL_MAPPED_TO_SYSTEM_VA;
}

VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList)
{
    static const char fn[] = "MmFreePagesFromMdl";
    bool mdl_freed = false;
    struct shmf_run run = {.n = 0};
    shmf__irql_check_max(APC_LEVEL, fn, "IrqlMmApcLte");
    shmf__lock(SHMF_LK_PAGES);
    struct palloc *a = mdl_find(MemoryDescriptorList);
    if (!a && MemoryDescriptorList) /* error path: was it an MDL, freed already? */
        shmf__pool_mdl_ctx(MemoryDescriptorList, &mdl_freed);
    if (a && a->state == SHMF_PAGE_ALLOCATED) {
        mdl_unmap(a);
        run = shmf__run_retire(a);
    } else if (mdl_freed || a) {
        shmf__report(SHMF_KIND_POOL_DOUBLE_FREE, (uint64_t)(uintptr_t)MemoryDescriptorList, fn,
                     NULL, "pages of MDL %p freed twice%s", (void *)MemoryDescriptorList,
                     mdl_freed ? " (the MDL itself was already freed too)" : "");
    } else {
        shmf__report(SHMF_KIND_POOL_FREE_UNKNOWN, (uint64_t)(uintptr_t)MemoryDescriptorList, fn,
                     "MmFreePagesFromMdl page: only MDLs from MmAllocatePagesForMdl(Ex)",
                     "MmFreePagesFromMdl(%p): not an MDL from MmAllocatePagesForMdlEx",
                     (void *)MemoryDescriptorList);
    }
    shmf__unlock(SHMF_LK_PAGES);
    if (run.n)
        shmf__run_quarantine(run);
}

/* Map the MDL's pages into "system space" (they are already consecutive host
   pages).  second_is_misuse: a second mapping is a finding (not for ...Safe). */
static PVOID mdl_map(PMDL mdl, const char *fn, uintptr_t site, bool second_is_misuse)
{
    PVOID va = NULL;
    shmf__lock(SHMF_LK_PAGES);
    struct palloc *a = mdl_record(mdl, fn);
    if (a && a->mapped_va) {
        if (second_is_misuse)
            shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)(uintptr_t)mdl, fn,
                         "MmMapLockedPagesSpecifyCache page: one system mapping per MDL",
                         "second system-space mapping of MDL %p (already mapped at %p)",
                         (void *)mdl, (void *)a->mapped_va);
        va = a->mapped_va;
    } else if (a && !shmf__fault_should_fail(fn, site)) {
        a->mapped_va = shmf__palloc_va(a);
        mdl->MappedSystemVa = a->mapped_va;
        mdl->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
        va = a->mapped_va;
    }
    shmf__unlock(SHMF_LK_PAGES);
    return va;
}

/* User-mode mappings are not simulated (providers map to system space only):
   they fail, as a kernel-mode mapping may. */
PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                   ULONG BugCheckOnFailure, ULONG Priority)
{
    static const char fn[] = "MmMapLockedPagesSpecifyCache";
    uintptr_t site = SHMF_CALLER();
    (void)CacheType;
    (void)RequestedAddress;
    (void)Priority;
    if (AccessMode == KernelMode)
        shmf__irql_check_max(DISPATCH_LEVEL, fn, "DV 0xC4/0x76");
    else
        shmf__irql_check_max(APC_LEVEL, fn, "DV 0xC4/0x77");
    if (BugCheckOnFailure)
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)(uintptr_t)MemoryDescriptorList, fn,
                     "DV 0xC4/0x82", "MmMapLockedPagesSpecifyCache(%p) with BugCheckOnFailure TRUE",
                     (void *)MemoryDescriptorList);
    if (AccessMode != KernelMode)
        return NULL;
    return mdl_map(MemoryDescriptorList, fn, site, true);
}

PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority)
{
    static const char fn[] = "MmGetSystemAddressForMdlSafe";
    uintptr_t site = SHMF_CALLER();
    (void)Priority;
    shmf__irql_check_max(DISPATCH_LEVEL, fn, "MmGetSystemAddressForMdlSafe page");
    /* An MDL from NdisAllocateMdl describes nonpaged memory already mapped
       (MDL_SOURCE_IS_NONPAGED_POOL): the WDK's inline returns MappedSystemVa. */
    if (Mdl && shmf__pool_is_ndis_mdl(Mdl))
        return Mdl->MappedSystemVa;
    return mdl_map(Mdl, fn, site, false);
}

VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)
{
    static const char fn[] = "MmUnmapLockedPages";
    shmf__irql_check_max(DISPATCH_LEVEL, fn, "DV 0xC4/0x79");
    shmf__lock(SHMF_LK_PAGES);
    struct palloc *a = mdl_find(MemoryDescriptorList);
    if (!a || !a->mapped_va)
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)(uintptr_t)MemoryDescriptorList, fn,
                     "DV 0xC4/0xB6",
                     "MmUnmapLockedPages(%p, MDL %p): the MDL is not "
                     "mapped to a system address",
                     BaseAddress, (void *)MemoryDescriptorList);
    else if ((uint8_t *)BaseAddress != a->mapped_va)
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)(uintptr_t)BaseAddress, fn,
                     "MmUnmapLockedPages page: BaseAddress is the mapping's address",
                     "MmUnmapLockedPages(%p) but MDL %p is mapped at %p", BaseAddress,
                     (void *)MemoryDescriptorList, (void *)a->mapped_va);
    else
        mdl_unmap(a);
    shmf__unlock(SHMF_LK_PAGES);
}

/* === Translations of mappings (rt_internal.h) === */

/* Logical address of va if it lies in a live mapping (caller holds the lock). */
static bool va_to_logical_locked(const void *va, uint64_t *la)
{
    enum zone z;
    uint32_t k;
    if (!shmf__va_locate(va, &z, &k))
        return false;
    const struct page_meta *m = shmf__meta_of(z, k);
    if (m->state != SHMF_PAGE_ALLOCATED || (m->owner->kind == PALLOC_MDL && !m->owner->mapped_va))
        return false;
    *la = (shmf__pfn_of(z, k) << PAGE_SHIFT) | BYTE_OFFSET(va);
    return true;
}

bool shmf__va_to_logical(const void *va, uint64_t *logical)
{
    shmf__lock(SHMF_LK_PAGES);
    bool ok = va_to_logical_locked(va, logical);
    shmf__unlock(SHMF_LK_PAGES);
    return ok;
}

static bool range_mapped(const uint8_t *p, size_t len)
{
    uint64_t la;
    for (size_t done = 0; done < len;) {
        if (!va_to_logical_locked(p + done, &la))
            return false;
        done += PAGE_SIZE - BYTE_OFFSET(p + done);
    }
    return true;
}

bool shmf__va_range_for_each_page(const void *va, size_t len, shmf_page_chunk_fn fn, void *ud)
{
    const uint8_t *p = va;
    uint64_t la;
    shmf__lock(SHMF_LK_PAGES);
    bool ok = len != 0 && (uintptr_t)p + len > (uintptr_t)p && range_mapped(p, len);
    for (size_t done = 0; ok && done < len;) {
        size_t n = PAGE_SIZE - BYTE_OFFSET(p + done);
        n = n < len - done ? n : len - done;
        va_to_logical_locked(p + done, &la);
        fn(la, n, ud);
        done += n;
    }
    shmf__unlock(SHMF_LK_PAGES);
    return ok;
}

PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress)
{
    PHYSICAL_ADDRESS pa = {.QuadPart = 0};
    uint64_t la;
    if (shmf__va_to_logical(BaseAddress, &la))
        pa.QuadPart = (LONGLONG)la;
    return pa;
}
