/*
 * alt/small.c -- a third correct provider for differential mode, written
 * apart from the reference and from alt/pfvport.c (docs/differential.md).
 *
 * Within the contract, it is the frugal one:
 *   - blocks of at most 1 MiB, 2 MiB per queue (NDIS_STATUS_RESOURCES past it);
 *   - no PF VPort support: a non-default VPortId is refused;
 *   - SG elements of at most two pages for scattered memory: runs of adjacent
 *     pages are merged but cut every 8 KiB, so its lists are longer than the
 *     reference's and a small SG buffer it refuses may be enough for the
 *     reference (a CONTIGUOUS block stays one element);
 *   - blocks on a singly linked list under a spin lock; the free handler
 *     looks its block up there before touching it.
 */
#include <ndis.h>

#define SM_TAG 'lmSA'
#define SM_MAX_LENGTH (1u * 1024 * 1024)
#define SM_QUEUE_QUOTA (2u * 1024 * 1024)
#define SM_QUEUES 64
#define SM_ELEMENT_MAX (2u * PAGE_SIZE)

typedef struct _SM_BLOCK {
    struct _SM_BLOCK *Next; /* on SM_CTX.Head, under Lock */
    PMDL Mdl;               /* NULL: contiguous memory at Va */
    PVOID Va;
    ULONG Length, Queue;
} SM_BLOCK;

typedef struct _SM_CTX {
    NDIS_HANDLE Ndis;
    NDIS_SPIN_LOCK Lock;
    SM_BLOCK *Head;
    ULONG Used[SM_QUEUES]; /* bytes per queue, under Lock */
} SM_CTX;

static SM_CTX *g_Small;

static PHYSICAL_ADDRESS SmPa(LONGLONG v)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = v;
    return a;
}

static BOOLEAN SmBadVPort(const NDIS_SHARED_MEMORY_PARAMETERS *P)
{
    return P->Header.Revision >= NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
           P->Header.Size >= NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
           P->VPortId != NDIS_DEFAULT_VPORT_ID;
}

static NDIS_STATUS SmValidate(const NDIS_SHARED_MEMORY_PARAMETERS *P)
{
    BOOLEAN bad =
        P->Length == 0 || P->Length > SM_MAX_LENGTH ||
        (P->Flags & ~(ULONG)NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) != 0 ||
        (ULONG)P->Usage >= (ULONG)NdisSharedMemoryUsageMax ||
        (P->PreferredNode != MM_ANY_NODE_OK && P->PreferredNode > KeQueryHighestNodeNumber()) ||
        SmBadVPort(P) || P->SGListBuffer == NULL ||
        P->SGListBufferLength < sizeof(SCATTER_GATHER_LIST);
    return bad ? NDIS_STATUS_INVALID_PARAMETER : NDIS_STATUS_SUCCESS;
}

static BOOLEAN SmCharge(SM_CTX *C, ULONG Queue, ULONG Length, BOOLEAN Take)
{
    BOOLEAN ok = TRUE;
    ULONG *used = &C->Used[Queue % SM_QUEUES];
    NdisAcquireSpinLock(&C->Lock);
    if (Take) {
        ok = Length <= SM_QUEUE_QUOTA - *used;
        if (ok)
            *used += Length;
    } else {
        *used -= Length;
    }
    NdisReleaseSpinLock(&C->Lock);
    return ok;
}

static LONGLONG SmPageAddr(const SM_BLOCK *B, ULONG Page)
{
    if (B->Mdl)
        return (LONGLONG)(MmGetMdlPfnArray(B->Mdl)[Page] << PAGE_SHIFT);
    return MmGetPhysicalAddress((PUCHAR)B->Va + (SIZE_T)Page * PAGE_SIZE).QuadPart;
}

/* Elements: runs of adjacent pages, those of scattered pages cut at
   SM_ELEMENT_MAX (contiguous memory is one element, as a device that needs it
   contiguous expects).  Writes them only when Sg is not NULL; returns how many
   there are. */
static ULONG SmElements(const SM_BLOCK *B, PSCATTER_GATHER_LIST Sg)
{
    ULONG n = 0, done = 0, cur = 0;
    LONGLONG next = -1;
    for (ULONG page = 0; done < B->Length; page++) {
        ULONG len = B->Length - done < PAGE_SIZE ? B->Length - done : PAGE_SIZE;
        LONGLONG pa = SmPageAddr(B, page);
        if (n == 0 || pa != next || (B->Mdl && cur + len > SM_ELEMENT_MAX)) {
            n++;
            cur = 0;
            if (Sg) {
                Sg->Elements[n - 1].Address.QuadPart = pa;
                Sg->Elements[n - 1].Reserved = 0;
            }
        }
        cur += len;
        if (Sg)
            Sg->Elements[n - 1].Length = cur;
        next = pa + len;
        done += len;
    }
    return n;
}

static VOID SmRelease(SM_CTX *C, SM_BLOCK *B)
{
    if (B->Mdl) {
        MmUnmapLockedPages(B->Va, B->Mdl);
        MmFreePagesFromMdl(B->Mdl);
        ExFreePool(B->Mdl);
    } else if (B->Va) {
        MmFreeContiguousMemory(B->Va);
    }
    NdisFreeMemoryWithTagPriority(C->Ndis, B, SM_TAG);
}

static NDIS_STATUS SmBack(SM_BLOCK *B, BOOLEAN Contig, NODE_REQUIREMENT Node)
{
    SIZE_T bytes = ROUND_TO_PAGES((SIZE_T)B->Length);
    if (Contig) {
        B->Va = MmAllocateContiguousNodeMemory(bytes, SmPa(0), SmPa((LONGLONG)MAXULONG64), SmPa(0),
                                               PAGE_READWRITE, Node);
        return B->Va ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
    }
    B->Mdl = MmAllocatePagesForMdlEx(SmPa(0), SmPa((LONGLONG)MAXULONG64), SmPa(0), bytes, MmCached,
                                     MM_ALLOCATE_FULLY_REQUIRED);
    if (!B->Mdl)
        return NDIS_STATUS_RESOURCES;
    B->Va = MmGetSystemAddressForMdlSafe(B->Mdl, NormalPagePriority | MdlMappingNoExecute);
    return B->Va ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

static NDIS_STATUS SmAllocate(NDIS_HANDLE Ctx, PNDIS_SHARED_MEMORY_PARAMETERS P,
                              PNDIS_HANDLE pBlock)
{
    SM_CTX *C = (SM_CTX *)Ctx;
    NDIS_STATUS st = SmValidate(P);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    if (!SmCharge(C, P->QueueId, P->Length, TRUE))
        return NDIS_STATUS_RESOURCES;
    SM_BLOCK *b =
        NdisAllocateMemoryWithTagPriority(C->Ndis, sizeof(*b), SM_TAG, NormalPoolPriority);
    if (!b) {
        SmCharge(C, P->QueueId, P->Length, FALSE);
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(b, sizeof(*b));
    b->Length = P->Length;
    b->Queue = P->QueueId;
    st = SmBack(b, (P->Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) != 0, P->PreferredNode);
    if (st == NDIS_STATUS_SUCCESS &&
        SmElements(b, NULL) >
            (P->SGListBufferLength - sizeof(SCATTER_GATHER_LIST)) / sizeof(SCATTER_GATHER_ELEMENT))
        st = NDIS_STATUS_INVALID_PARAMETER;
    if (st != NDIS_STATUS_SUCCESS) {
        if (b->Mdl && !b->Va) { /* pages without a mapping */
            MmFreePagesFromMdl(b->Mdl);
            ExFreePool(b->Mdl);
            b->Mdl = NULL;
        }
        SmRelease(C, b);
        SmCharge(C, P->QueueId, P->Length, FALSE);
        return st;
    }
    P->SGListBuffer->NumberOfElements = SmElements(b, P->SGListBuffer);
    P->SGListBuffer->Reserved = 0;
    NdisAcquireSpinLock(&C->Lock);
    b->Next = C->Head;
    C->Head = b;
    NdisReleaseSpinLock(&C->Lock);
    P->VirtualAddress = b->Va;
    P->SharedMemoryHandle = b;
    *pBlock = b;
    return NDIS_STATUS_SUCCESS;
}

static VOID SmFree(NDIS_HANDLE Ctx, NDIS_HANDLE Block)
{
    SM_CTX *C = (SM_CTX *)Ctx;
    SM_BLOCK **pp, *b = NULL;
    NdisAcquireSpinLock(&C->Lock);
    for (pp = &C->Head; *pp; pp = &(*pp)->Next) {
        if (*pp == Block) {
            b = *pp;
            *pp = b->Next;
            C->Used[b->Queue % SM_QUEUES] -= b->Length;
            break;
        }
    }
    NdisReleaseSpinLock(&C->Lock);
    if (b)
        SmRelease(C, b);
}

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS ch;
    UNREFERENCED_PARAMETER(DriverContext);
    SM_CTX *C =
        NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*C), SM_TAG, NormalPoolPriority);
    if (!C)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(C, sizeof(*C));
    C->Ndis = NdisDriverHandle;
    NdisAllocateSpinLock(&C->Lock);
    NdisZeroMemory(&ch, sizeof(ch));
    ch.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    ch.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    ch.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    ch.ProviderContext = C;
    ch.AllocateSharedMemoryHandler = SmAllocate;
    ch.FreeSharedMemoryHandler = SmFree;
    NDIS_STATUS st = NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&ch);
    if (st != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&C->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, C, SM_TAG);
        return st;
    }
    g_Small = C;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    SM_CTX *C = g_Small;
    if (!C)
        return;
    while (C->Head) {
        SM_BLOCK *b = C->Head;
        C->Head = b->Next;
        SmRelease(C, b);
    }
    NdisFreeSpinLock(&C->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, C, SM_TAG);
    g_Small = NULL;
}
