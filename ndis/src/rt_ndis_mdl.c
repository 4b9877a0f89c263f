/*
 * rt_ndis_mdl.c -- NdisAllocateMdl / NdisFreeMdl: an MDL, built in one step,
 * that describes a driver's nonpaged buffer (as IoAllocateMdl plus
 * MmBuildMdlForNonPagedPool do), for example one receive buffer inside a
 * shared-memory block.
 *
 * The MDL lives in a pool block only NdisFreeMdl frees (rt_pool.c), so a leaked
 * one is leak-pool at unload and a wrong free is pool-free-unknown.  Checks:
 * IRQL <= DISPATCH_LEVEL; the buffer must be nonpaged memory the runtime knows
 * (inside one live pool block, or inside live page mappings such as a
 * shared-memory block); it may not be the stack, globals or freed memory.
 * Buffers in page mappings get their simulated page numbers in the PFN array;
 * pool has no simulated physical address, so its PFNs are 0 (as
 * MmGetPhysicalAddress returns 0 for it).
 * layer: 23 subsystem (calls rt_mdl.c, rt_pool.c, rt_fault.c and the base)
 */
#include <string.h>

#include "rt_internal.h"

#define NDIS_MDL_MAX_BYTES 0x7fffu /* MDL.Size is a CSHORT */

struct pfn_fill {
    PPFN_NUMBER pfn;
    size_t n;
};

static void pfn_of_chunk(uint64_t la, size_t n, void *ud)
{
    struct pfn_fill *f = ud;
    (void)n;
    f->pfn[f->n++] = la >> PAGE_SHIFT;
}

static void chunk_ignore(uint64_t la, size_t n, void *ud)
{
    (void)la;
    (void)n;
    (void)ud;
}

/* True if [va, va+len) is memory NdisAllocateMdl may describe. */
static bool buffer_nonpaged(const void *va, size_t len)
{
    uint64_t la;
    if (!va || (uintptr_t)va + len < (uintptr_t)va)
        return false;
    if (shmf__pool_contains(va, len))
        return true;
    if (len == 0)
        return shmf__va_to_logical(va, &la);
    return shmf__va_range_for_each_page(va, len, chunk_ignore, NULL);
}

PMDL NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, UINT Length)
{
    static const char fn[] = "NdisAllocateMdl";
    uintptr_t site = SHMF_CALLER();
    (void)NdisHandle;
    shmf__irql_check_max(DISPATCH_LEVEL, fn, "Irql_NetBuffer_Function");
    size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, Length);
    size_t bytes = sizeof(MDL) + pages * sizeof(PFN_NUMBER);
    if (!buffer_nonpaged(VirtualAddress, Length)) {
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)(uintptr_t)VirtualAddress, fn,
                     "NdisAllocateMdl page: VirtualAddress must be nonpaged pool or shared "
                     "memory (not the stack, globals or freed memory)",
                     "NdisAllocateMdl(%p, %u): the buffer is not live nonpaged memory",
                     VirtualAddress, Length);
        return NULL;
    }
    if (bytes > NDIS_MDL_MAX_BYTES || shmf__fault_should_fail(fn, site))
        return NULL;
    PMDL mdl = shmf__pool_alloc_ndis_mdl(bytes, site);
    if (!mdl)
        return NULL;
    memset(mdl, 0, bytes);
    mdl->Size = (CSHORT)bytes;
    mdl->MdlFlags = MDL_SOURCE_IS_NONPAGED_POOL | MDL_ALLOCATED_FIXED_SIZE;
    mdl->MappedSystemVa = VirtualAddress;
    mdl->StartVa = PAGE_ALIGN(VirtualAddress);
    mdl->ByteCount = Length;
    mdl->ByteOffset = BYTE_OFFSET(VirtualAddress);
    struct pfn_fill fill = {MmGetMdlPfnArray(mdl), 0};
    if (Length && !shmf__pool_contains(VirtualAddress, Length))
        shmf__va_range_for_each_page(VirtualAddress, Length, pfn_of_chunk, &fill);
    return mdl;
}

VOID NdisFreeMdl(PMDL Mdl)
{
    static const char fn[] = "NdisFreeMdl";
    shmf__irql_check_max(DISPATCH_LEVEL, fn, "Irql_NetBuffer_Function");
    shmf__pool_free_ndis_mdl(Mdl, fn);
}
