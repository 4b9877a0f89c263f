/*
 * driver_miniport.c -- a shared-memory provider that comes in as an NDIS 6
 * miniport driver, in the shape of a WDK virtual miniport: DriverEntry fills
 * the whole NDIS_MINIPORT_DRIVER_CHARACTERISTICS with handlers declared by
 * their role types and calls NdisMRegisterMiniportDriver; MiniportSetOptions
 * registers the provider with NdisSetOptionalHandlers; MiniportDriverUnload
 * releases everything and calls NdisMDeregisterMiniportDriver.  It exports no
 * shmfuzz symbol.
 *
 * Each block is pages from MmAllocatePagesForMdlEx (or, for CONTIGUOUS,
 * MmAllocateContiguousNodeMemory), described to the NDIS data path by an MDL
 * from NdisAllocateMdl and a NET_BUFFER_SHARED_MEMORY; blocks sit on a list
 * under a spin lock.  Under shmfuzz it must produce zero findings.
 */
#include <ndis.h>

#define MP_TAG_ADAPTER 'dAvM' /* 'MvAd' */
#define MP_TAG_BLOCK 'kBvM'
#define MP_MAX_BLOCK (4u * 1024 * 1024)
#define MP_MAX_LIVE (32u * 1024 * 1024) /* bytes of shared memory this driver serves */

typedef struct _MP_BLOCK {
    LIST_ENTRY Entry; /* on MP_DRIVER.Blocks, under Lock */
    PMDL PagesMdl;    /* pages, or NULL when contiguous */
    PMDL BufferMdl;   /* NdisAllocateMdl over [Va, Va+Length) */
    PUCHAR Va;
    ULONG Length;
    NET_BUFFER_SHARED_MEMORY SharedMemory; /* what a receive NET_BUFFER would carry */
} MP_BLOCK, *PMP_BLOCK;

typedef struct _MP_DRIVER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY Blocks;
    ULONG LiveBytes; /* under Lock */
} MP_DRIVER, *PMP_DRIVER;

static NDIS_HANDLE NdisMiniportDriverHandle;
static PMP_DRIVER MpDriver;

DRIVER_INITIALIZE DriverEntry;
MINIPORT_SET_OPTIONS MpSetOptions;
MINIPORT_INITIALIZE MpInitializeEx;
MINIPORT_HALT MpHaltEx;
MINIPORT_UNLOAD MpDriverUnload;
MINIPORT_PAUSE MpPause;
MINIPORT_RESTART MpRestart;
MINIPORT_OID_REQUEST MpOidRequest;
MINIPORT_SEND_NET_BUFFER_LISTS MpSendNetBufferLists;
MINIPORT_RETURN_NET_BUFFER_LISTS MpReturnNetBufferLists;
MINIPORT_CANCEL_SEND MpCancelSend;
MINIPORT_CHECK_FOR_HANG MpCheckForHang;
MINIPORT_RESET MpReset;
MINIPORT_DEVICE_PNP_EVENT_NOTIFY MpDevicePnpEventNotify;
MINIPORT_SHUTDOWN MpShutdownEx;
MINIPORT_CANCEL_OID_REQUEST MpCancelOidRequest;
MINIPORT_DIRECT_OID_REQUEST MpDirectOidRequest;
MINIPORT_CANCEL_DIRECT_OID_REQUEST MpCancelDirectOidRequest;

/* === Shared memory provider === */

static PHYSICAL_ADDRESS MpPhys(ULONGLONG Value)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = (LONGLONG)Value;
    return a;
}

static _Must_inspect_result_ NDIS_STATUS MpCheckParameters(_In_ PNDIS_SHARED_MEMORY_PARAMETERS P)
{
    if ((P->Flags & ~(ULONG)NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) != 0 ||
        (ULONG)P->Usage >= (ULONG)NdisSharedMemoryUsageMax || P->Length == 0 ||
        P->Length > MP_MAX_BLOCK)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->PreferredNode != MM_ANY_NODE_OK && P->PreferredNode > KeQueryHighestNodeNumber())
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->Header.Revision >= NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
        P->Header.Size >= NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
        P->VPortId != NDIS_DEFAULT_VPORT_ID)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->SGListBuffer == NULL || P->SGListBufferLength < sizeof(SCATTER_GATHER_LIST))
        return NDIS_STATUS_INVALID_PARAMETER;
    return NDIS_STATUS_SUCCESS;
}

static VOID MpReleasePages(_Inout_ PMP_BLOCK Block)
{
    if (Block->BufferMdl)
        NdisFreeMdl(Block->BufferMdl);
    if (Block->PagesMdl) {
        MmUnmapLockedPages(Block->Va, Block->PagesMdl);
        MmFreePagesFromMdl(Block->PagesMdl);
        ExFreePool(Block->PagesMdl);
    } else if (Block->Va) {
        MmFreeContiguousMemory(Block->Va);
    }
    Block->BufferMdl = Block->PagesMdl = NULL;
    Block->Va = NULL;
}

static _Must_inspect_result_ NDIS_STATUS MpTakePages(_Inout_ PMP_BLOCK Block, ULONG Flags,
                                                     NODE_REQUIREMENT Node)
{
    SIZE_T bytes = ROUND_TO_PAGES(Block->Length);
    if (Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) {
        Block->Va = (PUCHAR)MmAllocateContiguousNodeMemory(bytes, MpPhys(0), MpPhys(MAXULONG64),
                                                           MpPhys(0), PAGE_READWRITE, Node);
    } else {
        Block->PagesMdl = MmAllocatePagesForMdlEx(MpPhys(0), MpPhys(MAXULONG64), MpPhys(0), bytes,
                                                  MmCached, MM_ALLOCATE_FULLY_REQUIRED);
        if (Block->PagesMdl)
            Block->Va = (PUCHAR)MmGetSystemAddressForMdlSafe(
                Block->PagesMdl, NormalPagePriority | MdlMappingNoExecute);
        if (Block->PagesMdl && !Block->Va) {
            MmFreePagesFromMdl(Block->PagesMdl);
            ExFreePool(Block->PagesMdl);
            Block->PagesMdl = NULL;
        }
    }
    if (!Block->Va)
        return NDIS_STATUS_RESOURCES;
    Block->BufferMdl = NdisAllocateMdl(MpDriver->NdisHandle, Block->Va, Block->Length);
    if (!Block->BufferMdl) {
        MpReleasePages(Block);
        return NDIS_STATUS_RESOURCES;
    }
    return NDIS_STATUS_SUCCESS;
}

/* Logical address of byte Offset of the block. */
static ULONGLONG MpLogical(_In_ PMP_BLOCK Block, ULONG Offset)
{
    if (!Block->PagesMdl)
        return (ULONGLONG)MmGetPhysicalAddress(Block->Va + Offset).QuadPart;
    PPFN_NUMBER pfn = MmGetMdlPfnArray(Block->PagesMdl);
    return (pfn[Offset >> PAGE_SHIFT] << PAGE_SHIFT) + BYTE_OFFSET(Offset);
}

/* Elements of the block's SG list (runs of adjacent pages); written to Sg
   when it is not NULL. */
static ULONG MpWalkSg(_In_ PMP_BLOCK Block, _Out_opt_ PSCATTER_GATHER_LIST Sg)
{
    ULONG n = 0;
    ULONGLONG next = 0;
    for (ULONG off = 0; off < Block->Length;) {
        ULONG chunk = PAGE_SIZE - BYTE_OFFSET(off);
        ULONGLONG la = MpLogical(Block, off);
        chunk = chunk < Block->Length - off ? chunk : Block->Length - off;
        if (n == 0 || la != next) {
            if (Sg) {
                Sg->Elements[n].Address.QuadPart = (LONGLONG)la;
                Sg->Elements[n].Length = 0;
                Sg->Elements[n].Reserved = 0;
            }
            n++;
        }
        if (Sg)
            Sg->Elements[n - 1].Length += chunk;
        next = la + chunk;
        off += chunk;
    }
    return n;
}

static _Use_decl_annotations_ NDIS_STATUS MpAllocateSharedMemory(NDIS_HANDLE ProviderContext,
                                                                 PNDIS_SHARED_MEMORY_PARAMETERS P,
                                                                 PNDIS_HANDLE pContext)
{
    PMP_DRIVER drv = (PMP_DRIVER)ProviderContext;
    NDIS_STATUS status = MpCheckParameters(P);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    NdisAcquireSpinLock(&drv->Lock);
    BOOLEAN room = drv->LiveBytes <= MP_MAX_LIVE - P->Length;
    if (room)
        drv->LiveBytes += P->Length;
    NdisReleaseSpinLock(&drv->Lock);
    if (!room)
        return NDIS_STATUS_RESOURCES;
    PMP_BLOCK block = (PMP_BLOCK)NdisAllocateMemoryWithTagPriority(
        drv->NdisHandle, sizeof(MP_BLOCK), MP_TAG_BLOCK, NormalPoolPriority);
    if (block) {
        NdisZeroMemory(block, sizeof(*block));
        block->Length = P->Length;
        status = MpTakePages(block, P->Flags, P->PreferredNode);
        if (status == NDIS_STATUS_SUCCESS) {
            ULONG room_elems = (ULONG)((P->SGListBufferLength - sizeof(SCATTER_GATHER_LIST)) /
                                       sizeof(SCATTER_GATHER_ELEMENT));
            if (MpWalkSg(block, NULL) > room_elems) {
                MpReleasePages(block);
                status = NDIS_STATUS_INVALID_PARAMETER;
            }
        }
        if (status != NDIS_STATUS_SUCCESS) {
            NdisFreeMemoryWithTagPriority(drv->NdisHandle, block, MP_TAG_BLOCK);
            block = NULL;
        }
    } else {
        status = NDIS_STATUS_RESOURCES;
    }
    if (!block) {
        NdisAcquireSpinLock(&drv->Lock);
        drv->LiveBytes -= P->Length;
        NdisReleaseSpinLock(&drv->Lock);
        return status;
    }
    P->SGListBuffer->NumberOfElements = MpWalkSg(block, P->SGListBuffer);
    P->SGListBuffer->Reserved = 0;
    NET_BUFFER_SHARED_MEM_NEXT_SEGMENT(&block->SharedMemory) = NULL;
    NET_BUFFER_SHARED_MEM_FLAGS(&block->SharedMemory) = 0;
    NET_BUFFER_SHARED_MEM_HANDLE(&block->SharedMemory) = block;
    NET_BUFFER_SHARED_MEM_OFFSET(&block->SharedMemory) = 0;
    NET_BUFFER_SHARED_MEM_LENGTH(&block->SharedMemory) = block->Length;
    NdisAcquireSpinLock(&drv->Lock);
    InsertTailList(&drv->Blocks, &block->Entry);
    NdisReleaseSpinLock(&drv->Lock);
    P->VirtualAddress = block->Va;
    P->SharedMemoryHandle = NET_BUFFER_SHARED_MEM_HANDLE(&block->SharedMemory);
    *pContext = block;
    return NDIS_STATUS_SUCCESS;
}

static VOID MpFreeBlock(_In_ PMP_DRIVER Drv, _In_ PMP_BLOCK Block)
{
    ASSERT(MmGetMdlByteCount(Block->BufferMdl) == Block->Length);
    MpReleasePages(Block);
    NdisFreeMemoryWithTagPriority(Drv->NdisHandle, Block, MP_TAG_BLOCK);
}

static _Use_decl_annotations_ VOID MpFreeSharedMemory(NDIS_HANDLE ProviderContext,
                                                      NDIS_HANDLE SharedMemoryProviderContext)
{
    PMP_DRIVER drv = (PMP_DRIVER)ProviderContext;
    PMP_BLOCK block = (PMP_BLOCK)SharedMemoryProviderContext;
    NdisAcquireSpinLock(&drv->Lock);
    RemoveEntryList(&block->Entry);
    drv->LiveBytes -= block->Length;
    NdisReleaseSpinLock(&drv->Lock);
    MpFreeBlock(drv, block);
}

/* === Miniport driver === */

_Use_decl_annotations_ NDIS_STATUS MpSetOptions(NDIS_HANDLE NdisDriverHandle,
                                                NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PAGED_CODE();
    PMP_DRIVER drv = (PMP_DRIVER)NdisAllocateMemoryWithTagPriority(
        NdisDriverHandle, sizeof(MP_DRIVER), MP_TAG_ADAPTER, NormalPoolPriority);
    if (!drv)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(drv, sizeof(*drv));
    drv->NdisHandle = NdisDriverHandle;
    NdisAllocateSpinLock(&drv->Lock);
    InitializeListHead(&drv->Blocks);
    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.ProviderContext = drv;
    chars.AllocateSharedMemoryHandler = MpAllocateSharedMemory;
    chars.FreeSharedMemoryHandler = MpFreeSharedMemory;
    MpDriver = drv; /* before registering: an allocation may come right away */
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        MpDriver = NULL;
        NdisFreeSpinLock(&drv->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, drv, MP_TAG_ADAPTER);
    }
    return status;
}

_Use_decl_annotations_ VOID MpDriverUnload(PDRIVER_OBJECT DriverObject)
{
    PMP_DRIVER drv = MpDriver;
    PLIST_ENTRY entry;
    UNREFERENCED_PARAMETER(DriverObject);
    PAGED_CODE();
    if (drv) {
        /* NDIS frees every block first; whatever is left is released here. */
        for (entry = RemoveTailList(&drv->Blocks); entry != &drv->Blocks;
             entry = RemoveTailList(&drv->Blocks))
            MpFreeBlock(drv, CONTAINING_RECORD(entry, MP_BLOCK, Entry));
        NdisFreeSpinLock(&drv->Lock);
        NdisFreeMemoryWithTagPriority(drv->NdisHandle, drv, MP_TAG_ADAPTER);
        MpDriver = NULL;
    }
    NdisMDeregisterMiniportDriver(NdisMiniportDriverHandle);
}

/* The adapter handlers: shmfuzz calls none of them (it is the adapter). */
_Use_decl_annotations_ NDIS_STATUS MpInitializeEx(NDIS_HANDLE NdisMiniportHandle,
                                                  NDIS_HANDLE MiniportDriverContext,
                                                  PNDIS_MINIPORT_INIT_PARAMETERS InitParameters)
{
    UNREFERENCED_PARAMETER(NdisMiniportHandle);
    UNREFERENCED_PARAMETER(MiniportDriverContext);
    return InitParameters->Header.Type == NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS
               ? NDIS_STATUS_SUCCESS
               : NDIS_STATUS_INVALID_PARAMETER;
}
_Use_decl_annotations_ VOID MpHaltEx(NDIS_HANDLE Context, NDIS_HALT_ACTION HaltAction)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(HaltAction);
}
_Use_decl_annotations_ NDIS_STATUS MpPause(NDIS_HANDLE Context,
                                           PNDIS_MINIPORT_PAUSE_PARAMETERS Parameters)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Parameters);
    return NDIS_STATUS_SUCCESS;
}
_Use_decl_annotations_ NDIS_STATUS MpRestart(NDIS_HANDLE Context,
                                             PNDIS_MINIPORT_RESTART_PARAMETERS Parameters)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Parameters);
    return NDIS_STATUS_SUCCESS;
}
_Use_decl_annotations_ NDIS_STATUS MpOidRequest(NDIS_HANDLE Context, PNDIS_OID_REQUEST Request)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Request);
    return NDIS_STATUS_NOT_SUPPORTED;
}
_Use_decl_annotations_ VOID MpSendNetBufferLists(NDIS_HANDLE Context, PNET_BUFFER_LIST Nbl,
                                                 NDIS_PORT_NUMBER Port, ULONG Flags)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Nbl);
    UNREFERENCED_PARAMETER(Port);
    UNREFERENCED_PARAMETER(Flags);
}
_Use_decl_annotations_ VOID MpReturnNetBufferLists(NDIS_HANDLE Context, PNET_BUFFER_LIST Nbl,
                                                   ULONG Flags)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Nbl);
    UNREFERENCED_PARAMETER(Flags);
}
_Use_decl_annotations_ VOID MpCancelSend(NDIS_HANDLE Context, PVOID CancelId)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(CancelId);
}
_Use_decl_annotations_ BOOLEAN MpCheckForHang(NDIS_HANDLE Context)
{
    UNREFERENCED_PARAMETER(Context);
    return FALSE;
}
_Use_decl_annotations_ NDIS_STATUS MpReset(NDIS_HANDLE Context, PBOOLEAN AddressingReset)
{
    UNREFERENCED_PARAMETER(Context);
    *AddressingReset = FALSE;
    return NDIS_STATUS_SUCCESS;
}
_Use_decl_annotations_ VOID MpDevicePnpEventNotify(NDIS_HANDLE Context, PNET_DEVICE_PNP_EVENT Event)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Event);
}
_Use_decl_annotations_ VOID MpShutdownEx(NDIS_HANDLE Context, NDIS_SHUTDOWN_ACTION Action)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Action);
}
_Use_decl_annotations_ VOID MpCancelOidRequest(NDIS_HANDLE Context, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(RequestId);
}
_Use_decl_annotations_ NDIS_STATUS MpDirectOidRequest(NDIS_HANDLE Context,
                                                      PNDIS_OID_REQUEST Request)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Request);
    return NDIS_STATUS_NOT_SUPPORTED;
}
_Use_decl_annotations_ VOID MpCancelDirectOidRequest(NDIS_HANDLE Context, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(RequestId);
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject,
                                            PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars;
    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
    chars.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
    chars.MajorDriverVersion = 1;
    chars.MinorDriverVersion = 0;
    chars.Flags = 0;
    chars.SetOptionsHandler = MpSetOptions;
    chars.InitializeHandlerEx = MpInitializeEx;
    chars.HaltHandlerEx = MpHaltEx;
    chars.UnloadHandler = MpDriverUnload;
    chars.PauseHandler = MpPause;
    chars.RestartHandler = MpRestart;
    chars.OidRequestHandler = MpOidRequest;
    chars.SendNetBufferListsHandler = MpSendNetBufferLists;
    chars.ReturnNetBufferListsHandler = MpReturnNetBufferLists;
    chars.CancelSendHandler = MpCancelSend;
    chars.CheckForHangHandlerEx = MpCheckForHang;
    chars.ResetHandlerEx = MpReset;
    chars.DevicePnPEventNotifyHandler = MpDevicePnpEventNotify;
    chars.ShutdownHandlerEx = MpShutdownEx;
    chars.CancelOidRequestHandler = MpCancelOidRequest;
    chars.DirectOidRequestHandler = MpDirectOidRequest;
    chars.CancelDirectOidRequestHandler = MpCancelDirectOidRequest;
    NDIS_STATUS status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &chars,
                                                     &NdisMiniportDriverHandle);
    return status == NDIS_STATUS_SUCCESS ? STATUS_SUCCESS : (NTSTATUS)status;
}
