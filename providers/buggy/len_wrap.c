/*
 * buggy/len_wrap.c -- planted bug: the page count of a request is computed in
 * 32 bits and wraps for a Length near 4 GiB.
 *
 * Bug:     the provider gives every block REF_DMA_SLACK spare bytes (the NIC
 *          bursts whole cache lines past a buffer's end) and computes
 *              ULONG pages = (Length + REF_DMA_SLACK + PAGE_SIZE - 1) >> PAGE_SHIFT;
 *          in ULONG arithmetic.  The Length limit is checked on that page
 *          count, so for Length >= 0xFFFFEFC1 the sum wraps, the count is tiny
 *          (0xFFFFFFF0 gives 1 page), validation passes, one page is allocated
 *          and the SG list describes 4096 bytes of a 4 GiB block.
 * Reached: `alloc length=0xFFFFFFF0` (any usage).
 * Expect:  sg-length-mismatch.
 *
 * Otherwise identical to providers/reference/reference.c as of commit
 * 61903fe.
 */
#include <ndis.h>

#define REF_TAG_BLOCK 'kbfR' /* 'Rfbk' reversed, as the WDK writes tags */
#define REF_TAG_CTX 'xcfR'
#define REF_MAX_PAGES (4u * 1024 * 1024 / PAGE_SIZE) /* largest block this provider serves */
/* The NIC's receive DMA engine writes whole 64-byte cache lines, so it may run
   up to 64 bytes past the end of a buffer: every block gets that much slack. */
#define REF_DMA_SLACK 64u
#define REF_BLOCK_MAGIC 0x52464230u

typedef enum { REF_UNUSED, REF_ALLOCATED, REF_FREED } REF_STATE;

typedef struct _REF_BLOCK {
    LIST_ENTRY Link; /* on REF_PROVIDER.Blocks, under Lock */
    ULONG Magic;     /* REF_BLOCK_MAGIC ^ low bits of the address */
    REF_STATE State;
    PMDL Mdl; /* pages, when not contiguous */
    PVOID VirtualAddress;
    ULONG Length;
    ULONG PageCount; /* pages backing the block, slack included */
    BOOLEAN Contiguous;
} REF_BLOCK, *PREF_BLOCK;

typedef struct _REF_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY Blocks;
    LONG LiveBlocks;
} REF_PROVIDER, *PREF_PROVIDER;

static PREF_PROVIDER g_Provider;

static ULONG RefMagic(PREF_BLOCK Block)
{
    return REF_BLOCK_MAGIC ^ (ULONG)((ULONG_PTR)Block & 0xffffffffu);
}

/* Pages for Length bytes plus the DMA slack. */
static ULONG RefPageCount(ULONG Length)
{
    return (Length + REF_DMA_SLACK + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/* === Parameter validation === */

static NDIS_STATUS RefValidate(PNDIS_SHARED_MEMORY_PARAMETERS P)
{
    if (P->Flags & ~(ULONG)NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS)
        return NDIS_STATUS_INVALID_PARAMETER;
    if ((ULONG)P->Usage >= (ULONG)NdisSharedMemoryUsageMax)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->Length == 0 || RefPageCount(P->Length) > REF_MAX_PAGES)
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

/* === Backing pages === */

static PHYSICAL_ADDRESS RefAddr(LONGLONG Value)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = Value;
    return a;
}

static NDIS_STATUS RefTakePages(PREF_BLOCK Block, ULONG Flags, NODE_REQUIREMENT Node)
{
    SIZE_T bytes = (SIZE_T)Block->PageCount << PAGE_SHIFT;
    if (Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) {
        Block->VirtualAddress = MmAllocateContiguousNodeMemory(
            bytes, RefAddr(0), RefAddr((LONGLONG)MAXULONG64), RefAddr(0), PAGE_READWRITE, Node);
        if (Block->VirtualAddress == NULL)
            return NDIS_STATUS_RESOURCES;
        Block->Contiguous = TRUE;
        return NDIS_STATUS_SUCCESS;
    }
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
    } else if (Block->Mdl) {
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

/* Walk the block's pages, merging physically adjacent ones into elements;
   the slack after Length is not described.  Writes the elements only when Sg
   is not NULL; returns the element count. */
static ULONG RefSgWalk(PREF_BLOCK Block, PSCATTER_GATHER_LIST Sg)
{
    ULONG count = 0;
    LONGLONG runEnd = -1;
    ULONG remaining = Block->Length;
    for (ULONG page = 0; page < Block->PageCount && remaining != 0; page++) {
        ULONG off = page << PAGE_SHIFT;
        LONGLONG pa = RefPhys(Block, off);
        ULONG chunk = remaining < PAGE_SIZE ? remaining : PAGE_SIZE;
        remaining -= chunk;
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
    block->PageCount = RefPageCount(P->Length);
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
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, REF_TAG_CTX);
    g_Provider = NULL;
}
