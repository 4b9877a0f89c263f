/*
 * alt/pfvport.c -- a second correct provider, written apart from the
 * reference, for differential mode (docs/differential.md): the reference
 * against it must show no divergence under the shipped rules.
 *
 * Where it differs from the reference, within the contract:
 *   - it declares NDIS_SHARED_MEMORY_PROVIDER_CHAR_SUPPORTS_PF_VPORTS and serves
 *     memory for any VPort (revision 2), accounting it per VPort;
 *   - larger limits: blocks up to 16 MiB, 16 MiB per queue;
 *   - one SG element per page of scattered memory, adjacent or not (the
 *     reference merges runs); one element for a CONTIGUOUS block;
 *   - blocks live in a fixed table of slots with a generation number instead of
 *     a list, and the SG buffer is checked before any page is taken.
 */
#include <ndis.h>

#define ALT_TAG 'vPlA'
#define ALT_SLOTS 512 /* the miniport's 256 blocks and the NIC's queues */
#define ALT_MAX_LENGTH (16u * 1024 * 1024)
#define ALT_QUEUE_QUOTA (16ull * 1024 * 1024)
#define ALT_QUEUES 64
#define ALT_VPORTS 16

typedef struct _ALT_SLOT {
    ULONG Generation; /* odd while in use */
    ULONG QueueId, VPortId;
    ULONG Length;
    PMDL Mdl; /* NULL for contiguous memory */
    PVOID Va;
} ALT_SLOT;

typedef struct _ALT_STATE {
    NDIS_HANDLE Ndis;
    NDIS_SPIN_LOCK Lock; /* guards everything below */
    ULONGLONG QueueBytes[ALT_QUEUES];
    ULONGLONG VPortBytes[ALT_VPORTS]; /* bookkeeping per VPort (modulo) */
    ALT_SLOT Slot[ALT_SLOTS];
} ALT_STATE;

static ALT_STATE *g_Alt;

static PHYSICAL_ADDRESS AltPa(ULONGLONG v)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = (LONGLONG)v;
    return a;
}

static ULONG AltPages(ULONG Length)
{
    return (ULONG)BYTES_TO_PAGES(Length);
}

/* Every check that needs no memory, in the order the fields are laid out. */
static NDIS_STATUS AltCheck(const NDIS_SHARED_MEMORY_PARAMETERS *P)
{
    ULONG room;
    if ((P->Flags | NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) != NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->PreferredNode != MM_ANY_NODE_OK && P->PreferredNode > KeQueryHighestNodeNumber())
        return NDIS_STATUS_INVALID_PARAMETER;
    if ((ULONG)P->Usage > (ULONG)NdisSharedMemoryUsageOther)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->Length == 0 || P->Length > ALT_MAX_LENGTH)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->SGListBuffer == NULL || P->SGListBufferLength < sizeof(SCATTER_GATHER_LIST))
        return NDIS_STATUS_INVALID_PARAMETER;
    room = (P->SGListBufferLength - (ULONG)sizeof(SCATTER_GATHER_LIST)) /
           (ULONG)sizeof(SCATTER_GATHER_ELEMENT);
    if (P->Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS)
        return room >= 1 ? NDIS_STATUS_SUCCESS : NDIS_STATUS_INVALID_PARAMETER;
    return room >= AltPages(P->Length) ? NDIS_STATUS_SUCCESS : NDIS_STATUS_INVALID_PARAMETER;
}

/* VPortId is there from revision 2 on (and only when the block is that big). */
static ULONG AltVPort(const NDIS_SHARED_MEMORY_PARAMETERS *P)
{
    if (P->Header.Revision < NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 ||
        P->Header.Size < NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2)
        return NDIS_DEFAULT_VPORT_ID;
    return P->VPortId;
}

/* A free slot reserved with the queue's bytes charged, or -1. */
static LONG AltReserve(ALT_STATE *S, ULONG Queue, ULONG VPort, ULONG Length)
{
    LONG found = -1;
    NdisAcquireSpinLock(&S->Lock);
    if (S->QueueBytes[Queue % ALT_QUEUES] + Length <= ALT_QUEUE_QUOTA) {
        for (LONG i = 0; i < ALT_SLOTS && found < 0; i++)
            if ((S->Slot[i].Generation & 1) == 0)
                found = i;
    }
    if (found >= 0) {
        ALT_SLOT *s = &S->Slot[found];
        s->Generation++;
        s->QueueId = Queue;
        s->VPortId = VPort;
        s->Length = Length;
        s->Mdl = NULL;
        s->Va = NULL;
        S->QueueBytes[Queue % ALT_QUEUES] += Length;
        S->VPortBytes[VPort % ALT_VPORTS] += Length;
    }
    NdisReleaseSpinLock(&S->Lock);
    return found;
}

static VOID AltRelease(ALT_STATE *S, ALT_SLOT *s)
{
    NdisAcquireSpinLock(&S->Lock);
    S->QueueBytes[s->QueueId % ALT_QUEUES] -= s->Length;
    S->VPortBytes[s->VPortId % ALT_VPORTS] -= s->Length;
    s->Generation++;
    NdisReleaseSpinLock(&S->Lock);
}

static BOOLEAN AltBackPages(ALT_SLOT *s, BOOLEAN Contiguous, NODE_REQUIREMENT Node)
{
    SIZE_T bytes = (SIZE_T)AltPages(s->Length) << PAGE_SHIFT;
    if (Contiguous) {
        s->Va = MmAllocateContiguousNodeMemory(bytes, AltPa(0), AltPa(~0ull), AltPa(0),
                                               PAGE_READWRITE, Node);
        return s->Va != NULL;
    }
    s->Mdl = MmAllocatePagesForMdlEx(AltPa(0), AltPa(~0ull), AltPa(0), bytes, MmCached,
                                     MM_ALLOCATE_FULLY_REQUIRED);
    if (s->Mdl == NULL)
        return FALSE;
    if (MmGetMdlByteCount(s->Mdl) >= bytes) {
        s->Va = MmMapLockedPagesSpecifyCache(s->Mdl, KernelMode, MmCached, NULL, FALSE,
                                             NormalPagePriority | MdlMappingNoExecute);
        if (s->Va != NULL)
            return TRUE;
    }
    MmFreePagesFromMdl(s->Mdl);
    ExFreePool(s->Mdl);
    s->Mdl = NULL;
    return FALSE;
}

static VOID AltDropPages(ALT_SLOT *s)
{
    if (s->Mdl != NULL) {
        MmUnmapLockedPages(s->Va, s->Mdl);
        MmFreePagesFromMdl(s->Mdl);
        ExFreePool(s->Mdl);
    } else if (s->Va != NULL) {
        MmFreeContiguousMemory(s->Va);
    }
    s->Mdl = NULL;
    s->Va = NULL;
}

/* Scattered pages: one element per page, adjacent or not; the last one holds
   the tail.  Contiguous memory: one element (a device that asked for it
   contiguous wants one descriptor). */
static VOID AltFillSg(const ALT_SLOT *s, PSCATTER_GATHER_LIST Sg)
{
    ULONG n = s->Mdl != NULL ? AltPages(s->Length) : 1;
    PPFN_NUMBER pfn = s->Mdl != NULL ? MmGetMdlPfnArray(s->Mdl) : NULL;
    for (ULONG i = 0; i < n; i++) {
        PSCATTER_GATHER_ELEMENT e = &Sg->Elements[i];
        e->Address =
            pfn != NULL ? AltPa((ULONGLONG)pfn[i] << PAGE_SHIFT) : MmGetPhysicalAddress(s->Va);
        e->Length = pfn == NULL ? s->Length : i + 1 < n ? PAGE_SIZE : s->Length - (i << PAGE_SHIFT);
        e->Reserved = 0;
    }
    Sg->NumberOfElements = n;
    Sg->Reserved = 0;
}

static NDIS_STATUS AltAllocate(NDIS_HANDLE Context, PNDIS_SHARED_MEMORY_PARAMETERS P,
                               PNDIS_HANDLE pBlock)
{
    ALT_STATE *S = (ALT_STATE *)Context;
    NDIS_STATUS st = AltCheck(P);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    LONG i = AltReserve(S, P->QueueId, AltVPort(P), P->Length);
    if (i < 0)
        return NDIS_STATUS_RESOURCES;
    ALT_SLOT *s = &S->Slot[i];
    if (!AltBackPages(s, (P->Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) != 0,
                      P->PreferredNode)) {
        AltRelease(S, s);
        return NDIS_STATUS_RESOURCES;
    }
    AltFillSg(s, P->SGListBuffer);
    P->VirtualAddress = s->Va;
    P->SharedMemoryHandle = s;
    *pBlock = s;
    return NDIS_STATUS_SUCCESS;
}

static VOID AltFree(NDIS_HANDLE Context, NDIS_HANDLE Block)
{
    ALT_STATE *S = (ALT_STATE *)Context;
    ALT_SLOT *s = (ALT_SLOT *)Block;
    if (s < &S->Slot[0] || s >= &S->Slot[ALT_SLOTS] || (s->Generation & 1) == 0)
        return;
    AltDropPages(s);
    AltRelease(S, s);
}

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS c;
    UNREFERENCED_PARAMETER(DriverContext);
    ALT_STATE *S = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*S), ALT_TAG,
                                                     NormalPoolPriority);
    if (S == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(S, sizeof(*S));
    S->Ndis = NdisDriverHandle;
    NdisAllocateSpinLock(&S->Lock);
    NdisZeroMemory(&c, sizeof(c));
    c.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    c.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.Flags = NDIS_SHARED_MEMORY_PROVIDER_CHAR_SUPPORTS_PF_VPORTS;
    c.ProviderContext = S;
    c.AllocateSharedMemoryHandler = AltAllocate;
    c.FreeSharedMemoryHandler = AltFree;
    NDIS_STATUS st = NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&c);
    if (st != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&S->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, S, ALT_TAG);
        return st;
    }
    g_Alt = S;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    ALT_STATE *S = g_Alt;
    if (S == NULL)
        return;
    for (ULONG i = 0; i < ALT_SLOTS; i++)
        if (S->Slot[i].Generation & 1)
            AltDropPages(&S->Slot[i]);
    NdisFreeSpinLock(&S->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, S, ALT_TAG);
    g_Alt = NULL;
}
