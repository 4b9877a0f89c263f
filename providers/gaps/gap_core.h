/*
 * gaps/gap_core.h -- the provider behind the validation-gap planted bugs
 * (docs/differential.md, "Validation gaps").
 *
 * A correct shared-memory provider, written as a WDK driver would be (it sees
 * only <ndis.h>), with one validation gap switched on by the including file:
 *
 *   GAP_ACCEPT_LENGTH_ZERO  serves Length 0 (one page, a zero-length element);
 *   GAP_ACCEPT_ANY_USAGE    serves a Usage beyond the last defined value;
 *   GAP_IGNORE_VPORT        serves a non-default VPortId on revision 2 without
 *                           declaring PF VPort support;
 *   GAP_SHORT_ON_QUOTA      when a queue's quota (2 MiB) runs out, returns
 *                           SUCCESS with a block shorter than asked (it writes
 *                           the shorter Length back) instead of RESOURCES.
 *
 * Each gap crashes nothing, leaks nothing and breaks no rule the verifier
 * checks: single-provider runs stay clean.  Only `--against reference` sees
 * the provider serve what it must refuse, or serve less than it was asked.
 */
#ifndef GAP_CORE_H
#define GAP_CORE_H

#include <ndis.h>

#define GAP_TAG_BLOCK 'kbpG'
#define GAP_TAG_CTX 'xcpG'
#define GAP_MAX_LENGTH (4u * 1024 * 1024)
#define GAP_MAX_QUEUES 64
#ifdef GAP_SHORT_ON_QUOTA
#define GAP_QUEUE_QUOTA (2u * 1024 * 1024) /* the least a provider may give a queue */
#else
#define GAP_QUEUE_QUOTA (8u * 1024 * 1024)
#endif

typedef struct _GAP_BLOCK {
    LIST_ENTRY Link; /* on GAP_PROVIDER.Blocks, under Lock */
    PMDL Mdl;        /* scattered pages, or NULL for contiguous memory */
    PVOID VirtualAddress;
    ULONG Length;  /* bytes served (SG total) */
    ULONG Charged; /* bytes charged to the queue */
    ULONG QueueId;
} GAP_BLOCK, *PGAP_BLOCK;

typedef struct _GAP_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY Blocks;
    ULONG QueueBytes[GAP_MAX_QUEUES]; /* under Lock */
} GAP_PROVIDER, *PGAP_PROVIDER;

static PGAP_PROVIDER g_Gap;

static PHYSICAL_ADDRESS GapAddr(LONGLONG v)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = v;
    return a;
}

/* === Validation (one check per field; the gap leaves one out) === */

static BOOLEAN GapVPortRefused(PNDIS_SHARED_MEMORY_PARAMETERS P)
{
#ifdef GAP_IGNORE_VPORT
    UNREFERENCED_PARAMETER(P);
    return FALSE; /* the gap: "VPorts are the NIC's business" */
#else
    return P->Header.Revision >= NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
           P->Header.Size >= NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
           P->VPortId != NDIS_DEFAULT_VPORT_ID;
#endif
}

static NDIS_STATUS GapValidate(PNDIS_SHARED_MEMORY_PARAMETERS P)
{
    if (P->Flags & ~(ULONG)NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS)
        return NDIS_STATUS_INVALID_PARAMETER;
#ifndef GAP_ACCEPT_ANY_USAGE
    if ((ULONG)P->Usage >= (ULONG)NdisSharedMemoryUsageMax)
        return NDIS_STATUS_INVALID_PARAMETER;
#endif
#ifndef GAP_ACCEPT_LENGTH_ZERO
    if (P->Length == 0)
        return NDIS_STATUS_INVALID_PARAMETER;
#endif
    if (P->Length > GAP_MAX_LENGTH)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->PreferredNode != MM_ANY_NODE_OK && P->PreferredNode > KeQueryHighestNodeNumber())
        return NDIS_STATUS_INVALID_PARAMETER;
    if (GapVPortRefused(P))
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->SGListBuffer == NULL || P->SGListBufferLength < sizeof(SCATTER_GATHER_LIST))
        return NDIS_STATUS_INVALID_PARAMETER;
    return NDIS_STATUS_SUCCESS;
}

/* === Quota === */

/* Charge up to *Length bytes to the queue.  FALSE when nothing can be charged;
   with GAP_SHORT_ON_QUOTA the request may be cut to what is left. */
static BOOLEAN GapCharge(PGAP_PROVIDER Prov, ULONG QueueId, ULONG *Length)
{
    ULONG q = QueueId % GAP_MAX_QUEUES, left;
    BOOLEAN ok;
    NdisAcquireSpinLock(&Prov->Lock);
    left = GAP_QUEUE_QUOTA - Prov->QueueBytes[q];
#ifdef GAP_SHORT_ON_QUOTA
    if (*Length > left && left >= PAGE_SIZE)
        *Length = left & ~(ULONG)(PAGE_SIZE - 1); /* the gap: serve what is left */
#endif
    ok = *Length <= left;
    if (ok)
        Prov->QueueBytes[q] += *Length;
    NdisReleaseSpinLock(&Prov->Lock);
    return ok;
}

static VOID GapUncharge(PGAP_PROVIDER Prov, ULONG QueueId, ULONG Length)
{
    NdisAcquireSpinLock(&Prov->Lock);
    Prov->QueueBytes[QueueId % GAP_MAX_QUEUES] -= Length;
    NdisReleaseSpinLock(&Prov->Lock);
}

/* === Pages === */

static NDIS_STATUS GapTakePages(PGAP_BLOCK B, BOOLEAN Contiguous, NODE_REQUIREMENT Node)
{
    SIZE_T bytes = ROUND_TO_PAGES((SIZE_T)B->Length);
    if (bytes == 0)
        bytes = PAGE_SIZE; /* Length 0 (the gap): one page behind an empty block */
    if (Contiguous) {
        B->VirtualAddress = MmAllocateContiguousNodeMemory(
            bytes, GapAddr(0), GapAddr((LONGLONG)MAXULONG64), GapAddr(0), PAGE_READWRITE, Node);
        return B->VirtualAddress ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
    }
    B->Mdl = MmAllocatePagesForMdlEx(GapAddr(0), GapAddr((LONGLONG)MAXULONG64), GapAddr(0), bytes,
                                     MmCached, MM_ALLOCATE_FULLY_REQUIRED);
    if (B->Mdl == NULL)
        return NDIS_STATUS_RESOURCES;
    B->VirtualAddress =
        MmGetSystemAddressForMdlSafe(B->Mdl, NormalPagePriority | MdlMappingNoExecute);
    if (B->VirtualAddress != NULL)
        return NDIS_STATUS_SUCCESS;
    MmFreePagesFromMdl(B->Mdl);
    ExFreePool(B->Mdl);
    B->Mdl = NULL;
    return NDIS_STATUS_RESOURCES;
}

static VOID GapReleasePages(PGAP_BLOCK B)
{
    if (B->Mdl) {
        MmUnmapLockedPages(B->VirtualAddress, B->Mdl);
        MmFreePagesFromMdl(B->Mdl);
        ExFreePool(B->Mdl);
    } else if (B->VirtualAddress) {
        MmFreeContiguousMemory(B->VirtualAddress);
    }
    B->Mdl = NULL;
    B->VirtualAddress = NULL;
}

/* === SG list: one element per run of physically adjacent pages === */

static LONGLONG GapPhys(PGAP_BLOCK B, ULONG Page)
{
    if (B->Mdl == NULL)
        return MmGetPhysicalAddress((PUCHAR)B->VirtualAddress + ((SIZE_T)Page << PAGE_SHIFT))
            .QuadPart;
    return (LONGLONG)(MmGetMdlPfnArray(B->Mdl)[Page] << PAGE_SHIFT);
}

static ULONG GapSgWalk(PGAP_BLOCK B, PSCATTER_GATHER_LIST Sg)
{
    ULONG n = 0, pages = (ULONG)BYTES_TO_PAGES(B->Length), left = B->Length;
    LONGLONG end = -1;
    if (pages == 0) { /* Length 0: one empty element at the block's page */
        if (Sg) {
            Sg->Elements[0].Address.QuadPart = GapPhys(B, 0);
            Sg->Elements[0].Length = 0;
            Sg->Elements[0].Reserved = 0;
        }
        return 1;
    }
    for (ULONG i = 0; i < pages; i++) {
        LONGLONG pa = GapPhys(B, i);
        ULONG chunk = left < PAGE_SIZE ? left : PAGE_SIZE;
        if (pa != end && Sg) {
            Sg->Elements[n].Address.QuadPart = pa;
            Sg->Elements[n].Length = 0;
            Sg->Elements[n].Reserved = 0;
        }
        n += pa != end;
        if (Sg)
            Sg->Elements[n - 1].Length += chunk;
        end = pa + chunk;
        left -= chunk;
    }
    return n;
}

static NDIS_STATUS GapBuildSg(PGAP_BLOCK B, PSCATTER_GATHER_LIST Sg, ULONG SgLength)
{
    ULONG room = (SgLength - sizeof(SCATTER_GATHER_LIST)) / sizeof(SCATTER_GATHER_ELEMENT);
    ULONG n = GapSgWalk(B, NULL);
    if (n > room)
        return NDIS_STATUS_INVALID_PARAMETER;
    GapSgWalk(B, Sg);
    Sg->NumberOfElements = n;
    Sg->Reserved = 0;
    return NDIS_STATUS_SUCCESS;
}

/* === Handlers === */

static VOID GapFreeBlock(PGAP_PROVIDER Prov, PGAP_BLOCK B)
{
    GapReleasePages(B);
    NdisFreeMemoryWithTagPriority(Prov->NdisHandle, B, GAP_TAG_BLOCK);
}

static NDIS_STATUS GapAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                               PNDIS_HANDLE pSharedMemoryProviderContext)
{
    PGAP_PROVIDER prov = (PGAP_PROVIDER)ProviderContext;
    ULONG length = P->Length;
    NDIS_STATUS status = GapValidate(P);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    if (!GapCharge(prov, P->QueueId, &length))
        return NDIS_STATUS_RESOURCES;
    PGAP_BLOCK b = NdisAllocateMemoryWithTagPriority(prov->NdisHandle, sizeof(*b), GAP_TAG_BLOCK,
                                                     NormalPoolPriority);
    if (b == NULL) {
        GapUncharge(prov, P->QueueId, length);
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(b, sizeof(*b));
    b->Length = b->Charged = length;
    b->QueueId = P->QueueId;
    status =
        GapTakePages(b, (P->Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) != 0, P->PreferredNode);
    if (status == NDIS_STATUS_SUCCESS)
        status = GapBuildSg(b, P->SGListBuffer, P->SGListBufferLength);
    if (status != NDIS_STATUS_SUCCESS) {
        GapFreeBlock(prov, b);
        GapUncharge(prov, P->QueueId, length);
        return status;
    }
    NdisAcquireSpinLock(&prov->Lock);
    InsertTailList(&prov->Blocks, &b->Link);
    NdisReleaseSpinLock(&prov->Lock);
    P->Length = length; /* unchanged, but for the quota gap */
    P->VirtualAddress = b->VirtualAddress;
    P->SharedMemoryHandle = b;
    *pSharedMemoryProviderContext = b;
    return NDIS_STATUS_SUCCESS;
}

static VOID GapFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    PGAP_PROVIDER prov = (PGAP_PROVIDER)ProviderContext;
    PGAP_BLOCK b = (PGAP_BLOCK)SharedMemoryProviderContext;
    if (b == NULL)
        return;
    NdisAcquireSpinLock(&prov->Lock);
    RemoveEntryList(&b->Link);
    prov->QueueBytes[b->QueueId % GAP_MAX_QUEUES] -= b->Charged;
    NdisReleaseSpinLock(&prov->Lock);
    GapFreeBlock(prov, b);
}

/* === Plug-in ABI === */

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PGAP_PROVIDER prov = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*prov),
                                                           GAP_TAG_CTX, NormalPoolPriority);
    if (prov == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(prov, sizeof(*prov));
    prov->NdisHandle = NdisDriverHandle;
    NdisAllocateSpinLock(&prov->Lock);
    InitializeListHead(&prov->Blocks);
    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.ProviderContext = prov;
    chars.AllocateSharedMemoryHandler = GapAllocate;
    chars.FreeSharedMemoryHandler = GapFree;
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&prov->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, GAP_TAG_CTX);
        return status;
    }
    g_Gap = prov;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    PGAP_PROVIDER prov = g_Gap;
    if (prov == NULL)
        return;
    while (!IsListEmpty(&prov->Blocks))
        GapFreeBlock(prov, CONTAINING_RECORD(RemoveHeadList(&prov->Blocks), GAP_BLOCK, Link));
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, GAP_TAG_CTX);
    g_Gap = NULL;
}

#endif /* GAP_CORE_H */
