/*
 * buggy/lookaside_reuse.c -- planted bug: a lookaside of freed pages hands the
 * same pages to two live blocks.
 *
 * Bug:     freed non-contiguous pages are kept on a small lookaside list for
 *          the next request of the same page-rounded size.  RefLookasideTake
 *          finds a matching entry but unlinks the list *head* with
 *          RemoveHeadList, which is right only when the match is the head.
 *          Otherwise the matching entry stays cached while its pages are in
 *          use (and the head entry's pages are dropped), so the next request of
 *          that size gets the same pages again.
 * Reached: alloc 4096 bytes (A), alloc 8192 bytes (B), free A, free B: the
 *          lookaside holds [A, B].  alloc 8192 matches B (second entry) and
 *          unlinks A; alloc 8192 matches B again.
 * Expect:  block-overlap.
 * Also:    routine-misuse: the entry left cached while its pages are in use
 *          is later unmapped a second time (MmUnmapLockedPages of an MDL no
 *          longer mapped).
 *
 * Otherwise identical to providers/reference/reference.c as of commit
 * 61903fe.
 */
#include <ndis.h>

#define REF_TAG_BLOCK 'kbfR' /* 'Rfbk' reversed, as the WDK writes tags */
#define REF_TAG_CTX 'xcfR'
#define REF_TAG_CACHE 'ccfR'
#define REF_LOOKASIDE_DEPTH 8
#define REF_MAX_LENGTH (4u * 1024 * 1024) /* largest block this provider serves */
#define REF_BLOCK_MAGIC 0x52464230u

typedef enum { REF_UNUSED, REF_ALLOCATED, REF_FREED } REF_STATE;

typedef struct _REF_BLOCK {
    LIST_ENTRY Link; /* on REF_PROVIDER.Blocks, under Lock */
    ULONG Magic;     /* REF_BLOCK_MAGIC ^ low bits of the address */
    REF_STATE State;
    PMDL Mdl; /* pages, when not contiguous */
    PVOID VirtualAddress;
    ULONG Length;
    BOOLEAN Contiguous;
} REF_BLOCK, *PREF_BLOCK;

/* The pages of a freed block, kept for the next request of the same size. */
typedef struct _REF_CACHED {
    LIST_ENTRY Link; /* first: on REF_PROVIDER.Lookaside, under Lock */
    PMDL Mdl;
    PVOID VirtualAddress;
    SIZE_T Bytes; /* page-rounded */
} REF_CACHED, *PREF_CACHED;

typedef struct _REF_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY Blocks;
    LONG LiveBlocks;
    LIST_ENTRY Lookaside; /* REF_CACHED, under Lock */
    ULONG LookasideDepth;
} REF_PROVIDER, *PREF_PROVIDER;

static PREF_PROVIDER g_Provider;

static ULONG RefMagic(PREF_BLOCK Block)
{
    return REF_BLOCK_MAGIC ^ (ULONG)((ULONG_PTR)Block & 0xffffffffu);
}

/* === Parameter validation === */

static NDIS_STATUS RefValidate(PNDIS_SHARED_MEMORY_PARAMETERS P)
{
    if (P->Flags & ~(ULONG)NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS)
        return NDIS_STATUS_INVALID_PARAMETER;
    if ((ULONG)P->Usage >= (ULONG)NdisSharedMemoryUsageMax)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->Length == 0 || P->Length > REF_MAX_LENGTH)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->PreferredNode != MM_ANY_NODE_OK && P->PreferredNode > KeQueryHighestNodeNumber())
        return NDIS_STATUS_INVALID_PARAMETER;
    /* VPortId exists only from revision 2 on; a VMQ (non SR-IOV) provider
       accepts only the default VPort. */
    if (P->Header.Revision >= NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
        P->Header.Size >= NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
        P->VPortId != NDIS_DEFAULT_VPORT_ID)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->SGListBuffer == NULL || P->SGListBufferLength < sizeof(SCATTER_GATHER_LIST))
        return NDIS_STATUS_INVALID_PARAMETER;
    return NDIS_STATUS_SUCCESS;
}

/* === Lookaside of freed pages === */

/* Take cached pages of exactly Bytes for Block; FALSE if none are cached. */
static BOOLEAN RefLookasideTake(PREF_BLOCK Block, SIZE_T Bytes)
{
    PREF_PROVIDER prov = g_Provider;
    PREF_CACHED hit = NULL;
    PLIST_ENTRY taken = NULL;
    NdisAcquireSpinLock(&prov->Lock);
    for (PLIST_ENTRY e = prov->Lookaside.Flink; e != &prov->Lookaside; e = e->Flink) {
        PREF_CACHED c = (PREF_CACHED)e; /* Link is the first field */
        if (c->Bytes == Bytes) {
            hit = c;
            break;
        }
    }
    if (hit != NULL) {
        Block->Mdl = hit->Mdl;
        Block->VirtualAddress = hit->VirtualAddress;
        taken = RemoveHeadList(&prov->Lookaside);
        prov->LookasideDepth--;
    }
    NdisReleaseSpinLock(&prov->Lock);
    if (taken == NULL)
        return FALSE;
    NdisFreeMemoryWithTagPriority(prov->NdisHandle, (PREF_CACHED)taken, REF_TAG_CACHE);
    return TRUE;
}

/* Keep Block's pages for reuse; FALSE if the lookaside is full. */
static BOOLEAN RefLookasidePut(PREF_BLOCK Block)
{
    PREF_PROVIDER prov = g_Provider;
    PREF_CACHED c = NdisAllocateMemoryWithTagPriority(prov->NdisHandle, sizeof(*c), REF_TAG_CACHE,
                                                      LowPoolPriority);
    if (c == NULL)
        return FALSE;
    c->Mdl = Block->Mdl;
    c->VirtualAddress = Block->VirtualAddress;
    c->Bytes = ROUND_TO_PAGES((SIZE_T)Block->Length);
    NdisAcquireSpinLock(&prov->Lock);
    if (prov->LookasideDepth < REF_LOOKASIDE_DEPTH) {
        InsertTailList(&prov->Lookaside, &c->Link);
        prov->LookasideDepth++;
        c = NULL;
    }
    NdisReleaseSpinLock(&prov->Lock);
    if (c == NULL)
        return TRUE;
    NdisFreeMemoryWithTagPriority(prov->NdisHandle, c, REF_TAG_CACHE);
    return FALSE;
}

static VOID RefLookasideDrain(PREF_PROVIDER Prov)
{
    while (!IsListEmpty(&Prov->Lookaside)) {
        PREF_CACHED c = (PREF_CACHED)RemoveHeadList(&Prov->Lookaside);
        MmUnmapLockedPages(c->VirtualAddress, c->Mdl);
        MmFreePagesFromMdl(c->Mdl);
        ExFreePool(c->Mdl);
        NdisFreeMemoryWithTagPriority(Prov->NdisHandle, c, REF_TAG_CACHE);
    }
    Prov->LookasideDepth = 0;
}

/* === Backing pages === */

static PHYSICAL_ADDRESS RefAddr(LONGLONG Value)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = Value;
    return a;
}

static NDIS_STATUS RefTakePages(PREF_BLOCK Block, ULONG Flags, NODE_REQUIREMENT Node)
{
    SIZE_T bytes = ROUND_TO_PAGES((SIZE_T)Block->Length);
    if (Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) {
        Block->VirtualAddress = MmAllocateContiguousNodeMemory(
            bytes, RefAddr(0), RefAddr((LONGLONG)MAXULONG64), RefAddr(0), PAGE_READWRITE, Node);
        if (Block->VirtualAddress == NULL)
            return NDIS_STATUS_RESOURCES;
        Block->Contiguous = TRUE;
        return NDIS_STATUS_SUCCESS;
    }
    if (RefLookasideTake(Block, bytes))
        return NDIS_STATUS_SUCCESS;
    Block->Mdl = MmAllocatePagesForMdlEx(RefAddr(0), RefAddr((LONGLONG)MAXULONG64), RefAddr(0),
                                         bytes, MmCached, MM_ALLOCATE_FULLY_REQUIRED);
    if (Block->Mdl == NULL)
        return NDIS_STATUS_RESOURCES;
    Block->VirtualAddress =
        MmGetSystemAddressForMdlSafe(Block->Mdl, NormalPagePriority | MdlMappingNoExecute);
    if (Block->VirtualAddress == NULL) {
        MmFreePagesFromMdl(Block->Mdl);
        ExFreePool(Block->Mdl);
        Block->Mdl = NULL;
        return NDIS_STATUS_RESOURCES;
    }
    return NDIS_STATUS_SUCCESS;
}

static VOID RefReleasePages(PREF_BLOCK Block)
{
    if (Block->Contiguous) {
        MmFreeContiguousMemory(Block->VirtualAddress);
    } else if (Block->Mdl && !RefLookasidePut(Block)) {
        MmUnmapLockedPages(Block->VirtualAddress, Block->Mdl);
        MmFreePagesFromMdl(Block->Mdl);
        ExFreePool(Block->Mdl);
    }
    Block->Mdl = NULL;
    Block->VirtualAddress = NULL;
}

/* === SG list === */

/* Physical address of byte Offset of the block. */
static LONGLONG RefPhys(PREF_BLOCK Block, ULONG Offset)
{
    if (Block->Contiguous)
        return MmGetPhysicalAddress((PUCHAR)Block->VirtualAddress + Offset).QuadPart;
    PPFN_NUMBER pfns = MmGetMdlPfnArray(Block->Mdl);
    return (LONGLONG)((pfns[Offset >> PAGE_SHIFT] << PAGE_SHIFT) | (Offset & (PAGE_SIZE - 1)));
}

/* Walk the block's pages, merging physically adjacent ones into elements.
   Writes the elements only when Sg is not NULL; returns the element count. */
static ULONG RefSgWalk(PREF_BLOCK Block, PSCATTER_GATHER_LIST Sg)
{
    ULONG count = 0;
    LONGLONG runEnd = -1;
    for (ULONG off = 0; off < Block->Length; off = (off & ~(ULONG)(PAGE_SIZE - 1)) + PAGE_SIZE) {
        LONGLONG pa = RefPhys(Block, off);
        ULONG chunk = PAGE_SIZE - (off & (PAGE_SIZE - 1));
        if (chunk > Block->Length - off)
            chunk = Block->Length - off;
        if (pa != runEnd) {
            count++;
            if (Sg) {
                Sg->Elements[count - 1].Address.QuadPart = pa;
                Sg->Elements[count - 1].Length = 0;
                Sg->Elements[count - 1].Reserved = 0;
            }
        }
        if (Sg)
            Sg->Elements[count - 1].Length += chunk;
        runEnd = pa + chunk;
    }
    return count;
}

/* Build the SG list in the caller's buffer; counts first, so nothing is
   written unless the whole list fits in SgLength bytes. */
static NDIS_STATUS RefBuildSgList(PREF_BLOCK Block, PSCATTER_GATHER_LIST Sg, ULONG SgLength)
{
    ULONG capacity =
        (ULONG)((SgLength - sizeof(SCATTER_GATHER_LIST)) / sizeof(SCATTER_GATHER_ELEMENT));
    ULONG count = RefSgWalk(Block, NULL);
    if (count > capacity)
        return NDIS_STATUS_INVALID_PARAMETER;
    RefSgWalk(Block, Sg);
    Sg->NumberOfElements = count;
    Sg->Reserved = 0;
    return NDIS_STATUS_SUCCESS;
}

/* === Handlers === */

static VOID RefFreeBlock(PREF_BLOCK Block)
{
    RefReleasePages(Block);
    Block->State = REF_FREED;
    Block->Magic = 0;
    NdisFreeMemoryWithTagPriority(g_Provider->NdisHandle, Block, REF_TAG_BLOCK);
}

static NDIS_STATUS RefAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                               PNDIS_HANDLE pSharedMemoryProviderContext)
{
    PREF_PROVIDER prov = (PREF_PROVIDER)ProviderContext;
    NDIS_STATUS status = RefValidate(P);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    PREF_BLOCK block = NdisAllocateMemoryWithTagPriority(prov->NdisHandle, sizeof(REF_BLOCK),
                                                         REF_TAG_BLOCK, NormalPoolPriority);
    if (block == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(block, sizeof(*block));
    block->Length = P->Length;
    status = RefTakePages(block, P->Flags, P->PreferredNode);
    if (status == NDIS_STATUS_SUCCESS) {
        /* Build into the caller's buffer only once the pages are ours. */
        status = RefBuildSgList(block, P->SGListBuffer, P->SGListBufferLength);
    }
    if (status != NDIS_STATUS_SUCCESS) {
        RefFreeBlock(block);
        return status;
    }
    block->Magic = RefMagic(block);
    block->State = REF_ALLOCATED;
    NdisAcquireSpinLock(&prov->Lock);
    InsertTailList(&prov->Blocks, &block->Link);
    prov->LiveBlocks++;
    NdisReleaseSpinLock(&prov->Lock);
    P->VirtualAddress = block->VirtualAddress;
    P->SharedMemoryHandle = block;
    *pSharedMemoryProviderContext = block;
    return NDIS_STATUS_SUCCESS;
}

static VOID RefFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    PREF_PROVIDER prov = (PREF_PROVIDER)ProviderContext;
    PREF_BLOCK block = (PREF_BLOCK)SharedMemoryProviderContext;
    if (block == NULL || block->Magic != RefMagic(block) || block->State != REF_ALLOCATED)
        return; /* not ours: never touch it */
    NdisAcquireSpinLock(&prov->Lock);
    RemoveEntryList(&block->Link);
    prov->LiveBlocks--;
    NdisReleaseSpinLock(&prov->Lock);
    RefFreeBlock(block);
}

/* === Plug-in ABI === */

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PREF_PROVIDER prov = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*prov),
                                                           REF_TAG_CTX, NormalPoolPriority);
    if (prov == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(prov, sizeof(*prov));
    prov->NdisHandle = NdisDriverHandle;
    NdisAllocateSpinLock(&prov->Lock);
    InitializeListHead(&prov->Blocks);
    InitializeListHead(&prov->Lookaside);

    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.ProviderContext = prov;
    chars.AllocateSharedMemoryHandler = RefAllocate;
    chars.FreeSharedMemoryHandler = RefFree;
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&prov->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, REF_TAG_CTX);
        return status;
    }
    g_Provider = prov;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    PREF_PROVIDER prov = g_Provider;
    if (prov == NULL)
        return;
    /* The harness frees every block first; anything left is released here. */
    while (!IsListEmpty(&prov->Blocks)) {
        PREF_BLOCK block = CONTAINING_RECORD(RemoveHeadList(&prov->Blocks), REF_BLOCK, Link);
        RefFreeBlock(block);
    }
    RefLookasideDrain(prov);
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, REF_TAG_CTX);
    g_Provider = NULL;
}
