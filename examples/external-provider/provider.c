/*
 * provider.c -- an example NDIS shared-memory provider, built outside the shmfuzz
 * tree against the installed package (see CMakeLists.txt beside it).
 *
 * It differs from providers/reference on purpose:
 *   - every block is physically contiguous (MmAllocateContiguousNodeMemory),
 *     whatever the caller asked for, so every SG list has exactly one element;
 *   - the small structs that track blocks come from a lookaside list of its own
 *     (a depth-limited free list under a spin lock), as drivers often keep one with
 *     NdisAllocateNPagedLookasideList.  That routine is outside shmfuzz's ndis.h
 *     subset, so the list is written out here with pool and LIST_ENTRY calls,
 *     which is also what its semantics come down to.
 *
 * Like any provider it includes <ndis.h> only, so the same file builds with the
 * WDK.  Under shmfuzz it must produce no findings over the seed corpus.
 */
#include <ndis.h>

#define EXP_TAG_CTX 'xcpE'     /* 'Epcx' as the WDK writes tags */
#define EXP_TAG_TRACK 'ktpE'   /* 'Eptk' */
#define EXP_MAX_LENGTH (16u * 1024 * 1024)
#define EXP_LOOKASIDE_DEPTH 8u /* trackers kept for reuse; more go back to pool */
#define EXP_LIVE_SIGNATURE 0x4C495645u  /* 'LIVE' */
#define EXP_SPARE_SIGNATURE 0x53504152u /* 'SPAR' */

/* One per shared-memory block; its address is the provider context NDIS hands
   back to the free handler. */
typedef struct _EXP_TRACK {
    LIST_ENTRY Link;          /* on Live or on the lookaside, under Lock */
    ULONG Signature;          /* EXP_LIVE_SIGNATURE while the block is allocated */
    ULONG Length;             /* bytes the caller asked for */
    PVOID VirtualAddress;     /* start of the contiguous run */
    PHYSICAL_ADDRESS Logical; /* its device address */
} EXP_TRACK, *PEXP_TRACK;

typedef struct _EXP_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock; /* guards Live, Spare and SpareDepth */
    LIST_ENTRY Live;
    LIST_ENTRY Spare;    /* the lookaside: free trackers */
    ULONG SpareDepth;
} EXP_PROVIDER, *PEXP_PROVIDER;

static PEXP_PROVIDER g_Exp;

/* === Lookaside of trackers === */

static PEXP_TRACK ExpTrackGet(PEXP_PROVIDER Prov)
{
    PEXP_TRACK t = NULL;
    NdisAcquireSpinLock(&Prov->Lock);
    if (!IsListEmpty(&Prov->Spare)) {
        t = CONTAINING_RECORD(RemoveHeadList(&Prov->Spare), EXP_TRACK, Link);
        Prov->SpareDepth--;
    }
    NdisReleaseSpinLock(&Prov->Lock);
    if (t == NULL)
        t = NdisAllocateMemoryWithTagPriority(Prov->NdisHandle, sizeof(EXP_TRACK),
                                              EXP_TAG_TRACK, NormalPoolPriority);
    if (t != NULL)
        NdisZeroMemory(t, sizeof(*t));
    return t;
}

static VOID ExpTrackPut(PEXP_PROVIDER Prov, PEXP_TRACK Track)
{
    BOOLEAN kept = FALSE;
    Track->Signature = EXP_SPARE_SIGNATURE;
    NdisAcquireSpinLock(&Prov->Lock);
    if (Prov->SpareDepth < EXP_LOOKASIDE_DEPTH) {
        InsertHeadList(&Prov->Spare, &Track->Link);
        Prov->SpareDepth++;
        kept = TRUE;
    }
    NdisReleaseSpinLock(&Prov->Lock);
    if (!kept)
        NdisFreeMemoryWithTagPriority(Prov->NdisHandle, Track, EXP_TAG_TRACK);
}

/* === Handlers === */

static NDIS_STATUS ExpValidate(PNDIS_SHARED_MEMORY_PARAMETERS P)
{
    if (P->Flags & ~(ULONG)NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS)
        return NDIS_STATUS_INVALID_PARAMETER;
    if ((ULONG)P->Usage >= (ULONG)NdisSharedMemoryUsageMax)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->Length == 0 || P->Length > EXP_MAX_LENGTH)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->PreferredNode != MM_ANY_NODE_OK && P->PreferredNode > KeQueryHighestNodeNumber())
        return NDIS_STATUS_INVALID_PARAMETER;
    /* VPortId is there from revision 2 on; only the default VPort is supported. */
    if (P->Header.Revision >= NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
        P->Header.Size >= NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
        P->VPortId != NDIS_DEFAULT_VPORT_ID)
        return NDIS_STATUS_INVALID_PARAMETER;
    /* One element always describes the block: check it fits before taking memory. */
    if (P->SGListBuffer == NULL ||
        P->SGListBufferLength < sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT))
        return NDIS_STATUS_INVALID_PARAMETER;
    return NDIS_STATUS_SUCCESS;
}

static PHYSICAL_ADDRESS ExpAddr(LONGLONG Value)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = Value;
    return a;
}

static NDIS_STATUS ExpAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                               PNDIS_HANDLE pSharedMemoryProviderContext)
{
    PEXP_PROVIDER prov = (PEXP_PROVIDER)ProviderContext;
    NDIS_STATUS status = ExpValidate(P);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    PEXP_TRACK t = ExpTrackGet(prov);
    if (t == NULL)
        return NDIS_STATUS_RESOURCES;
    t->Length = P->Length;
    t->VirtualAddress = MmAllocateContiguousNodeMemory(
        ROUND_TO_PAGES((SIZE_T)P->Length), ExpAddr(0), ExpAddr((LONGLONG)MAXULONG64),
        ExpAddr(0), PAGE_READWRITE, P->PreferredNode);
    if (t->VirtualAddress == NULL) {
        ExpTrackPut(prov, t);
        return NDIS_STATUS_RESOURCES;
    }
    t->Logical = MmGetPhysicalAddress(t->VirtualAddress);

    /* Outputs are written only now that nothing can fail. */
    P->SGListBuffer->NumberOfElements = 1;
    P->SGListBuffer->Reserved = 0;
    P->SGListBuffer->Elements[0].Address = t->Logical;
    P->SGListBuffer->Elements[0].Length = t->Length;
    P->SGListBuffer->Elements[0].Reserved = 0;
    t->Signature = EXP_LIVE_SIGNATURE;
    NdisAcquireSpinLock(&prov->Lock);
    InsertTailList(&prov->Live, &t->Link);
    NdisReleaseSpinLock(&prov->Lock);
    P->VirtualAddress = t->VirtualAddress;
    P->SharedMemoryHandle = t;
    *pSharedMemoryProviderContext = t;
    return NDIS_STATUS_SUCCESS;
}

static VOID ExpRelease(PEXP_PROVIDER Prov, PEXP_TRACK Track)
{
    MmFreeContiguousMemory(Track->VirtualAddress);
    Track->VirtualAddress = NULL;
    ExpTrackPut(Prov, Track);
}

static VOID ExpFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    PEXP_PROVIDER prov = (PEXP_PROVIDER)ProviderContext;
    PEXP_TRACK t = (PEXP_TRACK)SharedMemoryProviderContext;
    if (t == NULL || t->Signature != EXP_LIVE_SIGNATURE)
        return; /* not a live block of ours: leave it alone */
    NdisAcquireSpinLock(&prov->Lock);
    RemoveEntryList(&t->Link);
    NdisReleaseSpinLock(&prov->Lock);
    ExpRelease(prov, t);
}

/* === Plug-in ABI === */

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PEXP_PROVIDER prov = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*prov),
                                                           EXP_TAG_CTX, NormalPoolPriority);
    if (prov == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(prov, sizeof(*prov));
    prov->NdisHandle = NdisDriverHandle;
    NdisAllocateSpinLock(&prov->Lock);
    InitializeListHead(&prov->Live);
    InitializeListHead(&prov->Spare);

    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.ProviderContext = prov;
    chars.AllocateSharedMemoryHandler = ExpAllocate;
    chars.FreeSharedMemoryHandler = ExpFree;
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&prov->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, EXP_TAG_CTX);
        return status;
    }
    g_Exp = prov;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    PEXP_PROVIDER prov = g_Exp;
    if (prov == NULL)
        return;
    /* NDIS has freed every block by now; release anything left, then the spares. */
    while (!IsListEmpty(&prov->Live)) {
        PEXP_TRACK t = CONTAINING_RECORD(RemoveHeadList(&prov->Live), EXP_TRACK, Link);
        MmFreeContiguousMemory(t->VirtualAddress);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, t, EXP_TAG_TRACK);
    }
    while (!IsListEmpty(&prov->Spare)) {
        PEXP_TRACK t = CONTAINING_RECORD(RemoveHeadList(&prov->Spare), EXP_TRACK, Link);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, t, EXP_TAG_TRACK);
    }
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, EXP_TAG_CTX);
    g_Exp = NULL;
}
