/*
 * deep/buddy_pool.c -- a provider with a reserved pool for large contiguous
 * blocks, managed as a buddy system.
 *
 * Design.  Large physically contiguous blocks are the hardest memory to get
 * once the machine has run for a while, so the provider reserves one
 * BP_POOL_BYTES contiguous pool (MmAllocateContiguousNodeMemory) the first
 * time a CONTIGUOUS request of more than BP_SMALL_MAX bytes comes, and serves
 * such requests from it as a binary buddy system: the pool is BP_UNITS units
 * of BP_UNIT_BYTES, a request takes the smallest power-of-two number of units
 * that holds it (order 0 .. BP_MAX_ORDER), a larger free block is split in
 * halves to get there, and a freed block is merged with its buddy (the other
 * half of the block it was split from) as long as that buddy is free.  Free
 * blocks are recorded per unit: BP_FREE_ORDER(k) at the first unit of a free
 * block of order k, BP_NOT_FREE elsewhere.  When the pool has no room (or
 * cannot be reserved), a request gets its own contiguous memory, as every
 * other request does (scattered pages unless CONTIGUOUS is asked for).  The
 * pool is released at unload.  One spin lock guards the pool.
 */
#include "deep_common.h"

#define BP_TAG_BLOCK 'bpBD'
#define BP_TAG_CTX 'xpBD'
#define BP_BLOCK_MAGIC 0x42504C42u
#define BP_UNIT_BYTES (1024u * 1024)
#define BP_MAX_ORDER 3u
#define BP_UNITS (1u << BP_MAX_ORDER)
#define BP_POOL_BYTES (BP_UNITS * BP_UNIT_BYTES)
#define BP_SMALL_MAX (BP_UNIT_BYTES / 2) /* larger CONTIGUOUS requests use the pool */
#define BP_NOT_FREE 0
#define BP_FREE_ORDER(k) ((UCHAR)((k) + 1))
#define BP_NO_UNIT 0xffffffffu

typedef struct _BP_BLOCK {
    LIST_ENTRY Link; /* on BP_PROVIDER.Blocks, under Lock */
    ULONG Magic;
    ULONG Unit; /* first pool unit, or BP_NO_UNIT: own memory */
    ULONG Order;
    PMDL Mdl; /* own scattered pages */
    PVOID Va;
    ULONG Length;
    BOOLEAN Contiguous; /* own contiguous memory */
} BP_BLOCK, *PBP_BLOCK;

typedef struct _BP_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY Blocks;
    PUCHAR Pool;               /* NULL until the first large request */
    UCHAR FreeOrder[BP_UNITS]; /* under Lock */
} BP_PROVIDER, *PBP_PROVIDER;

static PBP_PROVIDER g_Provider;

static ULONG BpMagic(PBP_BLOCK Block)
{
    return BP_BLOCK_MAGIC ^ (ULONG)((ULONG_PTR)Block & 0xffffffffu);
}

/* === Buddy system (under Lock) === */

/* Smallest order whose block holds Length bytes. */
static ULONG BpOrderOf(ULONG Length)
{
    ULONG order = 0;
    while (order < BP_MAX_ORDER && (BP_UNIT_BYTES << order) < Length)
        order++;
    return order;
}

/* First unit of a block of Order units, split from the smallest free block
   that holds it; BP_NO_UNIT when none. */
static ULONG BpTake(PBP_PROVIDER Prov, ULONG Order)
{
    for (ULONG o = Order; o <= BP_MAX_ORDER; o++) {
        for (ULONG u = 0; u < BP_UNITS; u += 1u << o) {
            if (Prov->FreeOrder[u] != BP_FREE_ORDER(o))
                continue;
            Prov->FreeOrder[u] = BP_NOT_FREE;
            while (o > Order) {
                o--;
                Prov->FreeOrder[u + (1u << o)] = BP_FREE_ORDER(o); /* upper half */
            }
            return u;
        }
    }
    return BP_NO_UNIT;
}

/* Give back the block of Order units at Unit, merged with its free buddies. */
static VOID BpPut(PBP_PROVIDER Prov, ULONG Unit, ULONG Order)
{
    while (Order < BP_MAX_ORDER) {
        ULONG buddy = Unit ^ (1u << Order);
        if (Prov->FreeOrder[buddy] == BP_NOT_FREE)
            break;
        Prov->FreeOrder[buddy] = BP_NOT_FREE;
        if (buddy < Unit)
            Unit = buddy;
        Order++;
    }
    Prov->FreeOrder[Unit] = BP_FREE_ORDER(Order);
}

/* Reserve the pool: one free block of the largest order. */
static BOOLEAN BpReserve(PBP_PROVIDER Prov)
{
    PUCHAR pool;
    BOOLEAN installed = FALSE;
    NdisAcquireSpinLock(&Prov->Lock);
    pool = Prov->Pool;
    NdisReleaseSpinLock(&Prov->Lock);
    if (pool != NULL)
        return TRUE;
    pool = DeepTakeContiguous(BP_POOL_BYTES, MM_ANY_NODE_OK);
    if (pool == NULL)
        return FALSE;
    NdisAcquireSpinLock(&Prov->Lock);
    if (Prov->Pool == NULL) {
        Prov->Pool = pool;
        NdisZeroMemory(Prov->FreeOrder, sizeof(Prov->FreeOrder));
        Prov->FreeOrder[0] = BP_FREE_ORDER(BP_MAX_ORDER);
        installed = TRUE;
    }
    NdisReleaseSpinLock(&Prov->Lock);
    if (!installed) /* another processor reserved it meanwhile */
        MmFreeContiguousMemory(pool);
    return TRUE;
}

/* === Memory === */

static BOOLEAN BpTakeFromPool(PBP_PROVIDER Prov, PBP_BLOCK Block)
{
    ULONG order = BpOrderOf(Block->Length);
    if (!BpReserve(Prov))
        return FALSE;
    NdisAcquireSpinLock(&Prov->Lock);
    ULONG unit = BpTake(Prov, order);
    NdisReleaseSpinLock(&Prov->Lock);
    if (unit == BP_NO_UNIT)
        return FALSE;
    Block->Unit = unit;
    Block->Order = order;
    Block->Va = Prov->Pool + (SIZE_T)unit * BP_UNIT_BYTES;
    return TRUE;
}

static NDIS_STATUS BpTakeMemory(PBP_PROVIDER Prov, PBP_BLOCK Block,
                                PNDIS_SHARED_MEMORY_PARAMETERS P)
{
    SIZE_T bytes = ROUND_TO_PAGES((SIZE_T)P->Length);
    BOOLEAN contiguous = (P->Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) != 0;
    if (contiguous && P->Length > BP_SMALL_MAX && BpTakeFromPool(Prov, Block))
        return NDIS_STATUS_SUCCESS;
    if (contiguous) {
        Block->Va = DeepTakeContiguous(bytes, P->PreferredNode);
        Block->Contiguous = Block->Va != NULL;
    } else {
        Block->Va = DeepTakeMdlPages(bytes, &Block->Mdl);
    }
    return Block->Va != NULL ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

static VOID BpReleaseMemory(PBP_PROVIDER Prov, PBP_BLOCK Block)
{
    if (Block->Unit != BP_NO_UNIT) {
        NdisAcquireSpinLock(&Prov->Lock);
        BpPut(Prov, Block->Unit, Block->Order);
        NdisReleaseSpinLock(&Prov->Lock);
    } else if (Block->Contiguous) {
        MmFreeContiguousMemory(Block->Va);
    } else if (Block->Mdl != NULL) {
        DeepReleaseMdlPages(Block->Va, Block->Mdl);
    }
    Block->Unit = BP_NO_UNIT;
    Block->Mdl = NULL;
    Block->Va = NULL;
    Block->Contiguous = FALSE;
}

/* === Handlers === */

static VOID BpFreeBlock(PBP_PROVIDER Prov, PBP_BLOCK Block)
{
    BpReleaseMemory(Prov, Block);
    Block->Magic = 0;
    NdisFreeMemoryWithTagPriority(Prov->NdisHandle, Block, BP_TAG_BLOCK);
}

static NDIS_STATUS BpAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                              PNDIS_HANDLE pSharedMemoryProviderContext)
{
    PBP_PROVIDER prov = (PBP_PROVIDER)ProviderContext;
    DEEP_PAGES pages;
    NDIS_STATUS status = DeepValidate(P, NDIS_DEFAULT_VPORT_ID);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    PBP_BLOCK block = NdisAllocateMemoryWithTagPriority(prov->NdisHandle, sizeof(*block),
                                                        BP_TAG_BLOCK, NormalPoolPriority);
    if (block == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(block, sizeof(*block));
    block->Unit = BP_NO_UNIT;
    block->Length = P->Length;
    status = BpTakeMemory(prov, block, P);
    if (status == NDIS_STATUS_SUCCESS) {
        pages = block->Mdl != NULL ? DeepMdlPages(block->Mdl) : DeepContiguousPages(block->Va);
        status = DeepBuildSgList(&pages, block->Length, P->SGListBuffer, P->SGListBufferLength);
    }
    if (status != NDIS_STATUS_SUCCESS) {
        BpFreeBlock(prov, block);
        return status;
    }
    block->Magic = BpMagic(block);
    NdisAcquireSpinLock(&prov->Lock);
    InsertTailList(&prov->Blocks, &block->Link);
    NdisReleaseSpinLock(&prov->Lock);
    P->VirtualAddress = block->Va;
    P->SharedMemoryHandle = block;
    *pSharedMemoryProviderContext = block;
    return NDIS_STATUS_SUCCESS;
}

static VOID BpFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    PBP_PROVIDER prov = (PBP_PROVIDER)ProviderContext;
    PBP_BLOCK block = (PBP_BLOCK)SharedMemoryProviderContext;
    if (block == NULL || block->Magic != BpMagic(block))
        return; /* not ours: never touch it */
    NdisAcquireSpinLock(&prov->Lock);
    RemoveEntryList(&block->Link);
    NdisReleaseSpinLock(&prov->Lock);
    BpFreeBlock(prov, block);
}

/* === Plug-in ABI === */

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PBP_PROVIDER prov = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*prov),
                                                          BP_TAG_CTX, NormalPoolPriority);
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
    chars.AllocateSharedMemoryHandler = BpAllocate;
    chars.FreeSharedMemoryHandler = BpFree;
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&prov->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, BP_TAG_CTX);
        return status;
    }
    g_Provider = prov;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    PBP_PROVIDER prov = g_Provider;
    if (prov == NULL)
        return;
    /* The harness frees every block first; anything left is released here. */
    while (!IsListEmpty(&prov->Blocks)) {
        PBP_BLOCK block = CONTAINING_RECORD(RemoveHeadList(&prov->Blocks), BP_BLOCK, Link);
        BpFreeBlock(prov, block);
    }
    if (prov->Pool != NULL)
        MmFreeContiguousMemory(prov->Pool);
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, BP_TAG_CTX);
    g_Provider = NULL;
}
