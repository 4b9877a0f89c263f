/*
 * hdr_ndis.c -- every name <ndis.h> itself declares (its parts under ndis/ have
 * their own translation units), used the way provider code uses it.
 * Compiled as C11 and C++17; never run.
 */
#include <ndis.h>

EXTERN_C_START
int hdr_ndis_use(PLIST_ENTRY Head, PLIST_ENTRY Entry, PVOID Block);
EXTERN_C int hdr_ndis_extern_c;
EXTERN_C_END
int hdr_ndis_extern_c;

/* A handler of each provider callback type. */
static NDIS_STATUS HdrAllocate(NDIS_HANDLE ProviderContext,
                               PNDIS_SHARED_MEMORY_PARAMETERS SharedMemoryParameters,
                               PNDIS_HANDLE pSharedMemoryProviderContext)
{
    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(SharedMemoryParameters);
    *pSharedMemoryProviderContext = NULL;
    return NDIS_STATUS_FAILURE;
}
static VOID HdrFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(SharedMemoryProviderContext);
}

typedef struct HDR_NODE {
    LIST_ENTRY Link;
    ULONG Value;
} HDR_NODE;

int hdr_ndis_use(PLIST_ENTRY Head, PLIST_ENTRY Entry, PVOID Block)
{
    /* Base types. */
    VOID *v = Block;
    PVOID pv = v;
    UCHAR uc = 1;
    PUCHAR puc = &uc;
    CHAR c = 'a';
    PCHAR pc = &c;
    CCHAR cc = 0;
    USHORT us = 2;
    PUSHORT pus = &us;
    CSHORT cs = 3;
    ULONG ul = 4;
    PULONG pul = &ul;
    LONG l = 5;
    PLONG pl = &l;
    UINT ui = 6;
    PUINT pui = &ui;
    ULONG64 u64 = 7;
    PULONG64 pu64 = &u64;
    ULONGLONG ull = 8;
    LONGLONG ll = 9;
    PLONGLONG pll = &ll;
    LONG64 l64 = 10;
    PLONG64 pl64 = &l64;
    SHORT sh = 11;
    PSHORT psh = &sh;
    INT in = 12;
    PINT pin = &in;
    LONG_PTR lp = 13;
    PLONG_PTR plp = &lp;
    UINT8 u8 = 14;
    UINT16 u16 = 15;
    UINT32 u32 = 16;
    UINT64 u64b = 17;
    BOOLEAN b = TRUE;
    PBOOLEAN pb = &b;
    ULONG_PTR up = 18;
    PULONG_PTR pup = &up;
    SIZE_T sz = 19;
    PSIZE_T psz = &sz;
    NTSTATUS nt = STATUS_SUCCESS;
    KIRQL irql = PASSIVE_LEVEL;
    PKIRQL pirql = &irql;
    KSPIN_LOCK ksl = 0;
    PKSPIN_LOCK pksl = &ksl;
    KPROCESSOR_MODE mode = KernelMode;
    PFN_NUMBER pfn = 0;
    PPFN_NUMBER ppfn = &pfn;
    NODE_REQUIREMENT node = MM_ANY_NODE_OK;
    NDIS_HANDLE h = NULL;
    PNDIS_HANDLE ph = &h;
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    PNDIS_STATUS pst = &st;
    LARGE_INTEGER li;
    PLARGE_INTEGER pli = &li;
    PHYSICAL_ADDRESS pa;
    PPHYSICAL_ADDRESS ppa = &pa;
    li.QuadPart = 0;
    li.LowPart = li.u.LowPart;
    li.HighPart = li.u.HighPart;
    pa.QuadPart = li.QuadPart;
    MODE modes[3] = {KernelMode, UserMode, MaximumMode};

    /* Statuses, IRQLs, pages, memory types. */
    NTSTATUS statuses[] = {STATUS_SUCCESS,           STATUS_PENDING,
                           STATUS_UNSUCCESSFUL,      STATUS_INSUFFICIENT_RESOURCES,
                           STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED};
    NDIS_STATUS ndis_statuses[] = {NDIS_STATUS_SUCCESS,           NDIS_STATUS_PENDING,
                                   NDIS_STATUS_FAILURE,           NDIS_STATUS_RESOURCES,
                                   NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_NOT_SUPPORTED,
                                   NDIS_STATUS_NOT_ACCEPTED,      NDIS_STATUS_REQUEST_ABORTED,
                                   NDIS_STATUS_INVALID_LENGTH,    NDIS_STATUS_RECEIVE_QUEUE_STATE};
    KIRQL irqls[] = {PASSIVE_LEVEL, LOW_LEVEL, APC_LEVEL,   DISPATCH_LEVEL, CMCI_LEVEL,
                     CLOCK_LEVEL,   IPI_LEVEL, POWER_LEVEL, PROFILE_LEVEL,  HIGH_LEVEL};
    ULONG_PTR pages[] = {PAGE_SIZE,
                         (ULONG_PTR)PAGE_SHIFT,
                         BYTE_OFFSET(pv),
                         (ULONG_PTR)PAGE_ALIGN(pv),
                         BYTES_TO_PAGES(sz),
                         ADDRESS_AND_SIZE_TO_SPAN_PAGES(pv, sz),
                         ROUND_TO_PAGES(sz),
                         PAGE_NOACCESS,
                         PAGE_READONLY,
                         PAGE_READWRITE,
                         PAGE_EXECUTE_READWRITE,
                         PAGE_NOCACHE,
                         PAGE_WRITECOMBINE,
                         NDIS_MEMORY_CONTIGUOUS,
                         NDIS_MEMORY_NONCACHED,
                         MdlMappingNoWrite,
                         MdlMappingNoExecute,
                         MM_DONT_ZERO_ALLOCATION,
                         MM_ALLOCATE_FROM_LOCAL_NODE_ONLY,
                         MM_ALLOCATE_FULLY_REQUIRED,
                         MM_ALLOCATE_NO_WAIT,
                         MM_ALLOCATE_PREFER_CONTIGUOUS,
                         MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS,
                         MM_ALLOCATE_FAST_LARGE_PAGES,
                         MM_ALLOCATE_TRIM_IF_NECESSARY,
                         MM_ALLOCATE_AND_HOT_REMOVE,
                         MM_FREE_MDL_PAGES_ZERO,
                         MAXULONG,
                         (ULONG_PTR)MAXULONG64};
    MEMORY_CACHING_TYPE caching[] = {
        MmNotMapped,          MmNonCached,         MmCached,
        MmWriteCombined,      MmFrameBufferCached, MmHardwareCoherentCached,
        MmNonCachedUnordered, MmUSWCCached,        MmMaximumCacheType};
    MM_PAGE_PRIORITY page_prio[] = {LowPagePriority, NormalPagePriority, HighPagePriority};
    EX_POOL_PRIORITY pool_prio[] = {LowPoolPriority,
                                    LowPoolPrioritySpecialPoolOverrun,
                                    LowPoolPrioritySpecialPoolUnderrun,
                                    NormalPoolPriority,
                                    NormalPoolPrioritySpecialPoolOverrun,
                                    NormalPoolPrioritySpecialPoolUnderrun,
                                    HighPoolPriority,
                                    HighPoolPrioritySpecialPoolOverrun,
                                    HighPoolPrioritySpecialPoolUnderrun};

    /* Alignment, sizes, records. */
    HDR_NODE node_rec;
    ULONG_PTR aligned[] = {ALIGN_DOWN_BY(sz, 64),
                           ALIGN_UP_BY(sz, 64),
                           ALIGN_DOWN(sz, ULONG64),
                           ALIGN_UP(sz, ULONG64),
                           (ULONG_PTR)ALIGN_DOWN_POINTER_BY(pv, 64),
                           (ULONG_PTR)ALIGN_UP_POINTER_BY(pv, 64),
                           (ULONG_PTR)ALIGN_DOWN_POINTER(pv, ULONG64),
                           (ULONG_PTR)ALIGN_UP_POINTER(pv, ULONG64),
                           (ULONG_PTR)FIELD_OFFSET(HDR_NODE, Value),
                           RTL_FIELD_SIZE(HDR_NODE, Value),
                           RTL_SIZEOF_THROUGH_FIELD(HDR_NODE, Value),
                           RTL_NUMBER_OF(statuses),
                           ARRAYSIZE(irqls)};
    C_ASSERT(sizeof(HDR_NODE) == 24);
    HDR_NODE *rec = CONTAINING_RECORD(&node_rec.Link, HDR_NODE, Link);

    /* Assertions and barriers. */
    ASSERT(rec == &node_rec);
    ASSERTMSG("the record", rec == &node_rec);
    NT_ASSERT(rec != NULL);
    NT_ASSERTMSG("non-NULL", rec != NULL);
    NT_ASSERTMSGW(L"non-NULL", rec != NULL);
    NT_FRE_ASSERT(rec != NULL);
    NT_FRE_ASSERTMSG("non-NULL", rec != NULL);
    if (!NT_VERIFY(rec != NULL) || !NT_VERIFYMSG("non-NULL", rec != NULL))
        return -1;
    (void)ShmfRtAssertCheck(TRUE, "TRUE", __FILE__, __LINE__);
    ShmfRtAssertFailed("never", __FILE__, __LINE__);
    PAGED_CODE();
    PAGED_CODE_LOCKED();
    ShmfRtPagedCode("hdr_ndis_use");
    MemoryBarrier();
    KeMemoryBarrier();
    KeMemoryBarrierWithoutFence();
    _ReadWriteBarrier();

    /* Lists. */
    InitializeListHead(Head);
    InsertTailList(Head, Entry);
    InsertHeadList(Head, &node_rec.Link);
    b = IsListEmpty(Head);
    b = RemoveEntryList(&node_rec.Link);
    Entry = RemoveHeadList(Head);
    Entry = RemoveTailList(Head);
    ShmfRtListCorrupt(Entry);
    ShmfRtListYield();

    /* MDLs. */
    MDL mdl_rec;
    PMDL mdl = &mdl_rec;
    USHORT mdl_flags[] = {MDL_MAPPED_TO_SYSTEM_VA,
                          MDL_PAGES_LOCKED,
                          MDL_SOURCE_IS_NONPAGED_POOL,
                          MDL_ALLOCATED_FIXED_SIZE,
                          MDL_PARTIAL,
                          MDL_PARTIAL_HAS_BEEN_MAPPED,
                          MDL_IO_PAGE_READ,
                          MDL_WRITE_OPERATION,
                          MDL_LOCKED_PAGE_TABLES,
                          MDL_PARENT_MAPPED_SYSTEM_VA,
                          MDL_FREE_EXTRA_PTES,
                          MDL_DESCRIBES_AWE,
                          MDL_IO_SPACE,
                          MDL_NETWORK_HEADER,
                          MDL_MAPPING_CAN_FAIL,
                          MDL_PAGE_CONTENTS_INVARIANT,
                          MDL_ALLOCATED_MUST_SUCCEED,
                          MDL_INTERNAL};
    mdl_rec.Next = NULL;
    mdl_rec.Size = (CSHORT)sizeof(MDL);
    mdl_rec.MdlFlags = 0;
    mdl_rec.Process = NULL;
    mdl_rec.MappedSystemVa = mdl_rec.StartVa = pv;
    mdl_rec.ByteCount = mdl_rec.ByteOffset = 0;
    ppfn = MmGetMdlPfnArray(mdl);
    ul = MmGetMdlByteCount(mdl) + MmGetMdlByteOffset(mdl);
    pv = MmGetMdlBaseVa(mdl);
    pv = MmGetMdlVirtualAddress(mdl);

    /* Scatter-gather, NDIS objects, shared memory. */
    SCATTER_GATHER_ELEMENT sge;
    PSCATTER_GATHER_ELEMENT psge = &sge;
    PSCATTER_GATHER_LIST sgl = (PSCATTER_GATHER_LIST)Block;
    SCATTER_GATHER_LIST *sgl2 = sgl;
    sge.Address = pa;
    sge.Length = 0;
    sge.Reserved = 0;
    sgl2->NumberOfElements = 1;
    sgl2->Reserved = 0;
    sgl2->Elements[0] = *psge;
    NDIS_OBJECT_HEADER hdr;
    PNDIS_OBJECT_HEADER phdr = &hdr;
    hdr.Type = NDIS_OBJECT_TYPE_DEFAULT;
    hdr.Revision = NDIS_SHARED_MEMORY_PARAMETERS_REVISION_1;
    hdr.Size = NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1;
    NDIS_RECEIVE_QUEUE_ID q = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
    PNDIS_RECEIVE_QUEUE_ID pq = &q;
    NDIS_NIC_SWITCH_VPORT_ID vport = NDIS_DEFAULT_VPORT_ID;
    PNDIS_NIC_SWITCH_VPORT_ID pvport = &vport;
    NDIS_SHARED_MEMORY_USAGE usages[] = {NdisSharedMemoryUsageUndefined,
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
    PNDIS_SHARED_MEMORY_USAGE pusage = &usages[0];
    NDIS_SHARED_MEMORY_PARAMETERS params;
    PNDIS_SHARED_MEMORY_PARAMETERS pparams = &params;
    RtlZeroMemory(pparams, sizeof(params));
    params.Header = *phdr;
    params.Header.Revision = NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2;
    params.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2;
    params.Flags = NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS | NDIS_SHARED_MEM_PARAMETERS_CONTIGOUS;
    params.QueueId = *pq;
    params.SharedMemoryHandle = NDIS_SHARED_MEM_HANDLE_HAL_ALLOCATED;
    params.PreferredNode = node;
    params.Usage = *pusage;
    params.Length = PAGE_SIZE;
    params.VirtualAddress = NULL;
    params.SGListBufferLength = sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT);
    params.SGListBuffer = sgl;
    params.VPortId = *pvport;
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    PNDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS pchars = &chars;
    ALLOCATE_SHARED_MEMORY_HANDLER alloc = HdrAllocate;
    FREE_SHARED_MEMORY_HANDLER free_handler = HdrFree;
    chars.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Flags = NDIS_SHARED_MEMORY_PROVIDER_CHAR_SUPPORTS_PF_VPORTS;
    chars.ProviderContext = NULL;
    chars.AllocateSharedMemoryHandler = alloc;
    chars.FreeSharedMemoryHandler = free_handler;
    PNDIS_DRIVER_OPTIONAL_HANDLERS opt = (PNDIS_DRIVER_OPTIONAL_HANDLERS)pchars;
    NDIS_DRIVER_OPTIONAL_HANDLERS *opt2 = opt;

    /* Every routine. */
    st = NdisSetOptionalHandlers(h, opt2);
    st = NdisAllocateSharedMemory(h, pparams, ph);
    NdisFreeSharedMemory(h, *ph);
    ul = NdisGetSharedDataAlignment();
    irql = KeGetCurrentIrql();
    KeRaiseIrql(DISPATCH_LEVEL, pirql);
    KeLowerIrql(irql);
    irql = KfRaiseIrql(DISPATCH_LEVEL);
    KeLowerIrql(irql);
    irql = KeRaiseIrqlToDpcLevel();
    KeLowerIrql(irql);
    ul = KeGetCurrentProcessorNumber();
    us = KeQueryHighestNodeNumber();
    us = KeGetCurrentNodeNumber();
    NDIS_SPIN_LOCK lock;
    PNDIS_SPIN_LOCK plock = &lock;
    lock.SpinLock = *pksl;
    lock.OldIrql = PASSIVE_LEVEL;
    NdisAllocateSpinLock(plock);
    NdisAcquireSpinLock(plock);
    NdisReleaseSpinLock(plock);
    NdisDprAcquireSpinLock(plock);
    NdisDprReleaseSpinLock(plock);
    NdisFreeSpinLock(plock);
    l = NdisInterlockedIncrement(pl) + NdisInterlockedDecrement(pl);
    pv = NdisAllocateMemoryWithTagPriority(h, 16, 0x206c6f50u, NormalPoolPriority);
    NdisFreeMemoryWithTagPriority(h, pv, 0x206c6f50u);
    NdisFreeMemory(pv, 16, 0);
    ExFreePool(pv);
    ExFreePoolWithTag(pv, 0x206c6f50u);
    NdisZeroMemory(puc, 1);
    NdisMoveMemory(pc, puc, 1);
    RtlCopyMemory(pc, puc, 1);
    pv = MmAllocateContiguousNodeMemory(PAGE_SIZE, pa, pa, pa, PAGE_READWRITE, node);
    MmFreeContiguousMemory(pv);
    mdl = MmAllocatePagesForMdlEx(pa, pa, pa, PAGE_SIZE, MmCached, MM_ALLOCATE_FULLY_REQUIRED);
    pv = MmMapLockedPagesSpecifyCache(mdl, mode, MmCached, NULL, FALSE, NormalPagePriority);
    pv = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
    MmUnmapLockedPages(pv, mdl);
    MmFreePagesFromMdl(mdl);
    pa = MmGetPhysicalAddress(pv);
    mdl = NdisAllocateMdl(h, pv, PAGE_SIZE);
    NdisFreeMdl(mdl);
    st = ShmfProviderSetOptions(h, NULL);
    ShmfProviderUnload(h);
    nt = DriverEntry(NULL, NULL);

    (void)pul;
    (void)pui;
    (void)pu64;
    (void)ull;
    (void)pll;
    (void)pl64;
    (void)psh;
    (void)pin;
    (void)plp;
    (void)u8;
    (void)u16;
    (void)u32;
    (void)u64b;
    (void)pb;
    (void)pup;
    (void)cc;
    (void)cs;
    (void)pus;
    (void)pli;
    (void)ppa;
    (void)pst;
    (void)modes;
    (void)statuses;
    (void)ndis_statuses;
    (void)pages;
    (void)caching;
    (void)page_prio;
    (void)pool_prio;
    (void)aligned;
    (void)mdl_flags;
    (void)ppfn;
    (void)pvport;
    (void)psz;
    return (int)nt + st + (int)ul;
}
