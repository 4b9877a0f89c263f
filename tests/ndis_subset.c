/*
 * ndis_subset.c -- a provider-style source that uses every name of the ndis.h
 * subset DESIGN.md lists, compiled with only -I ndis/include: if a name were
 * missing or misspelled, this file would not build.  Run, it must also be clean.
 */
#include <ndis.h>

typedef struct _SUBSET_CTX {
    LIST_ENTRY Link;
    ULONG Value;
} SUBSET_CTX, *PSUBSET_CTX;

static NDIS_STATUS SubsetAllocate(_In_ NDIS_HANDLE ProviderContext,
                                  _Inout_ PNDIS_SHARED_MEMORY_PARAMETERS Params,
                                  _Out_ PNDIS_HANDLE pCtx)
{
    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(Params);
    UNREFERENCED_PARAMETER(pCtx);
    return NDIS_STATUS_RESOURCES; /* serves nothing: every request is refused */
}

static VOID SubsetFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE Ctx)
{
    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(Ctx);
}

_IRQL_requires_(PASSIVE_LEVEL) static int SubsetTypesAndConstants(void)
{
    NDIS_STATUS st[] = {
        NDIS_STATUS_SUCCESS,      NDIS_STATUS_PENDING,           NDIS_STATUS_FAILURE,
        NDIS_STATUS_RESOURCES,    NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_NOT_SUPPORTED,
        NDIS_STATUS_NOT_ACCEPTED, NDIS_STATUS_REQUEST_ABORTED,   NDIS_STATUS_INVALID_LENGTH};
    ULONG u = 0;
    USHORT us = 0;
    UCHAR uc = 0;
    BOOLEAN b = TRUE;
    PVOID pv = NULL;
    ULONG_PTR up = 0;
    SIZE_T sz = 0;
    LONG l = 0;
    PHYSICAL_ADDRESS pa;
    NDIS_OBJECT_HEADER hdr = {NDIS_OBJECT_TYPE_DEFAULT, 0, 0};
    NDIS_SHARED_MEMORY_PARAMETERS p;
    PNDIS_SHARED_MEMORY_PARAMETERS pp = &p;
    NDIS_SHARED_MEMORY_USAGE usage[] = {NdisSharedMemoryUsageUndefined,
                                        NdisSharedMemoryUsageXmit,
                                        NdisSharedMemoryUsageXmitHeader,
                                        NdisSharedMemoryUsageXmitData,
                                        NdisSharedMemoryUsageReceive,
                                        NdisSharedMemoryUsageReceiveLookahead,
                                        NdisSharedMemoryUsageReceivePostLookahead,
                                        NdisSharedMemoryUsageReceiveHeader,
                                        NdisSharedMemoryUsageReceiveData,
                                        NdisSharedMemoryUsageOther,
                                        NdisSharedMemoryUsageMax};
    NDIS_RECEIVE_QUEUE_ID q = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
    NODE_REQUIREMENT node = MM_ANY_NODE_OK;
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS c;
    PNDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS pc = &c;
    ALLOCATE_SHARED_MEMORY_HANDLER ah = SubsetAllocate;
    FREE_SHARED_MEMORY_HANDLER fh = SubsetFree;
    SCATTER_GATHER_ELEMENT e;
    PSCATTER_GATHER_LIST sgl = NULL;
    KIRQL irqls[] = {PASSIVE_LEVEL, APC_LEVEL, DISPATCH_LEVEL};
    MDL mdl;
    PMDL pmdl = &mdl;
    PFN_NUMBER pfn = 0;
    PPFN_NUMBER ppfn = &pfn;
    MEMORY_CACHING_TYPE ct[] = {MmCached, MmNonCached};
    MM_PAGE_PRIORITY pr[] = {LowPagePriority, NormalPagePriority, HighPagePriority};
    EX_POOL_PRIORITY xp[] = {LowPoolPriority, NormalPoolPriority, HighPoolPriority};
    ULONG mmflags = MM_DONT_ZERO_ALLOCATION | MM_ALLOCATE_FROM_LOCAL_NODE_ONLY |
                    MM_ALLOCATE_FULLY_REQUIRED | MM_ALLOCATE_NO_WAIT |
                    MM_ALLOCATE_PREFER_CONTIGUOUS | MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS |
                    MM_ALLOCATE_FAST_LARGE_PAGES | MM_ALLOCATE_TRIM_IF_NECESSARY |
                    MM_ALLOCATE_AND_HOT_REMOVE;
    NDIS_SPIN_LOCK lock;
    PNDIS_SPIN_LOCK plock = &lock;
    PNDIS_HANDLE ph = NULL;
    PLIST_ENTRY ple = NULL;
    PNDIS_DRIVER_OPTIONAL_HANDLERS poh = (PNDIS_DRIVER_OPTIONAL_HANDLERS)pc;
    pa.QuadPart = 0;
    p.Flags = NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS | NDIS_SHARED_MEM_PARAMETERS_CONTIGOUS;
    p.Header.Revision = NDIS_SHARED_MEMORY_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1;
    p.Header.Revision = NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2;
    p.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2;
    p.VPortId = NDIS_DEFAULT_VPORT_ID;
    c.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    c.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.Flags = NDIS_SHARED_MEMORY_PROVIDER_CHAR_SUPPORTS_PF_VPORTS;
    e.Length = PAGE_SIZE;
    u = (ULONG)(BYTES_TO_PAGES(5000) + ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0x10, 5000) +
                ROUND_TO_PAGES(1) + FIELD_OFFSET(NDIS_SHARED_MEMORY_PARAMETERS, VPortId) +
                RTL_SIZEOF_THROUGH_FIELD(NDIS_SHARED_MEMORY_PARAMETERS, VPortId) + PAGE_SHIFT);
    l = KernelMode + PAGE_READWRITE;
    (void)st;
    (void)us;
    (void)uc;
    (void)b;
    (void)pv;
    (void)up;
    (void)sz;
    (void)hdr;
    (void)pp;
    (void)usage;
    (void)q;
    (void)node;
    (void)ah;
    (void)fh;
    (void)sgl;
    (void)irqls;
    (void)pmdl;
    (void)ppfn;
    (void)ct;
    (void)pr;
    (void)xp;
    (void)mmflags;
    (void)plock;
    (void)ph;
    (void)ple;
    (void)poh;
    (void)e;
    return (int)(u + (ULONG)l) > 0;
}

static int SubsetRoutines(NDIS_HANDLE h)
{
    NDIS_SPIN_LOCK lock;
    LIST_ENTRY head;
    SUBSET_CTX a;
    LONG counter = 0;
    KIRQL old;
    PHYSICAL_ADDRESS lo, hi, skip;
    lo.QuadPart = 0, hi.QuadPart = -1, skip.QuadPart = 0;
    KeRaiseIrql(APC_LEVEL, &old);
    KeLowerIrql(old);
    old = KeRaiseIrqlToDpcLevel();
    (void)KeGetCurrentIrql();
    (void)KeGetCurrentProcessorNumber();
    (void)KeGetCurrentNodeNumber();
    (void)KeQueryHighestNodeNumber();
    (void)NdisGetSharedDataAlignment();
    KeLowerIrql(old);
    NdisAllocateSpinLock(&lock);
    NdisAcquireSpinLock(&lock);
    NdisReleaseSpinLock(&lock);
    old = KeRaiseIrqlToDpcLevel();
    NdisDprAcquireSpinLock(&lock);
    NdisDprReleaseSpinLock(&lock);
    KeLowerIrql(old);
    NdisFreeSpinLock(&lock);
    NdisInterlockedIncrement(&counter);
    NdisInterlockedDecrement(&counter);
    InitializeListHead(&head);
    InsertHeadList(&head, &a.Link);
    (void)RemoveEntryList(&a.Link);
    (void)IsListEmpty(&head);
    InsertTailList(&head, &a.Link);
    PSUBSET_CTX back = CONTAINING_RECORD(RemoveHeadList(&head), SUBSET_CTX, Link);
    PUCHAR pool = NdisAllocateMemoryWithTagPriority(h, 64, 'bsuS', NormalPoolPriority);
    PUCHAR pool2 = NdisAllocateMemoryWithTagPriority(h, 64, 'bsuS', LowPoolPriority);
    PUCHAR pool3 = NdisAllocateMemoryWithTagPriority(h, 64, 'bsuS', HighPoolPriority);
    if (!pool || !pool2 || !pool3 || back != &a)
        return 0;
    NdisZeroMemory(pool, 64);
    RtlZeroMemory(pool2, 64);
    NdisMoveMemory(pool, pool2, 32);
    RtlCopyMemory(pool2, pool, 32);
    NdisFreeMemoryWithTagPriority(h, pool, 'bsuS');
    NdisFreeMemory(pool2, 64, 0);
    ExFreePoolWithTag(pool3, 'bsuS');
    PVOID contig =
        MmAllocateContiguousNodeMemory(PAGE_SIZE, lo, hi, skip, PAGE_READWRITE, MM_ANY_NODE_OK);
    PHYSICAL_ADDRESS phys = MmGetPhysicalAddress(contig);
    MmFreeContiguousMemory(contig);
    PMDL mdl = MmAllocatePagesForMdlEx(lo, hi, skip, 2 * PAGE_SIZE, MmCached, 0);
    if (mdl == NULL)
        return 0;
    PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
    ULONG bytes = MmGetMdlByteCount(mdl);
    PVOID mva = MmGetMdlVirtualAddress(mdl);
    PVOID sys =
        MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    MmUnmapLockedPages(sys, mdl);
    PVOID sys2 = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
    (void)sys2;
    (void)mva;
    (void)pfns;
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
    return phys.QuadPart != 0 && bytes == 2 * PAGE_SIZE;
}

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS c;
    UNREFERENCED_PARAMETER(DriverContext);
    if (!SubsetTypesAndConstants() || !SubsetRoutines(NdisDriverHandle))
        return NDIS_STATUS_FAILURE;
    NdisZeroMemory(&c, sizeof(c));
    c.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    c.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.AllocateSharedMemoryHandler = SubsetAllocate;
    c.FreeSharedMemoryHandler = SubsetFree;
    return NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&c);
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    UNREFERENCED_PARAMETER(NdisDriverHandle);
}
