/*
 * deep/queue_regions.c -- a provider for a NIC that addresses receive memory
 * through a small per-queue table of memory regions.
 *
 * Design.  The NIC runs with header-data split, and its payload DMA engine
 * does not take raw logical addresses: each receive queue has a hardware
 * table of QR_REGIONS memory regions, and a payload buffer is named by
 * (region, offset).  So every block of Usage ReceiveData is registered in its
 * queue's table when it is allocated and unregistered when it is freed; the
 * provider mirrors the table in a bitmap per queue and gives the block the
 * lowest free region.  Other usages (plain receive, headers, transmit) are
 * addressed directly and need no region.  Registration comes last in the allocate
 * path, after the pages are taken and mapped and the SG list is counted; when
 * the queue has no free region, the pages are released again and the request
 * fails with NDIS_STATUS_RESOURCES, the miniport's cue to use fewer, larger
 * buffers.  Blocks are scattered pages (MmAllocatePagesForMdlEx) or contiguous
 * memory when asked for.  One spin lock guards the bitmaps and the block
 * list.
 */
#include "deep_common.h"

#define QR_TAG_BLOCK 'brQD'
#define QR_TAG_CTX 'xrQD'
#define QR_BLOCK_MAGIC 0x51524742u
#define QR_MAX_QUEUES 64
#define QR_REGIONS 8u
#define QR_NO_REGION 0xffffffffu

typedef struct _QR_BLOCK {
    LIST_ENTRY Link; /* on QR_PROVIDER.Blocks, under Lock */
    ULONG Magic;
    ULONG QueueId;
    ULONG Region; /* in its queue's table, or QR_NO_REGION */
    PMDL Mdl;
    PVOID Va;
    ULONG Length;
    BOOLEAN Contiguous;
} QR_BLOCK, *PQR_BLOCK;

typedef struct _QR_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY Blocks;
    UCHAR RegionsInUse[QR_MAX_QUEUES]; /* bit r: region r of the queue is taken */
} QR_PROVIDER, *PQR_PROVIDER;

static PQR_PROVIDER g_Provider;

static ULONG QrMagic(PQR_BLOCK Block)
{
    return QR_BLOCK_MAGIC ^ (ULONG)((ULONG_PTR)Block & 0xffffffffu);
}

/* === Region tables (under Lock) === */

static ULONG QrRegionTake(PQR_PROVIDER Prov, ULONG QueueId)
{
    UCHAR *bits = &Prov->RegionsInUse[QueueId % QR_MAX_QUEUES];
    for (ULONG r = 0; r < QR_REGIONS; r++) {
        if (!(*bits & (1u << r))) {
            *bits |= (UCHAR)(1u << r);
            return r;
        }
    }
    return QR_NO_REGION;
}

static VOID QrRegionPut(PQR_PROVIDER Prov, ULONG QueueId, ULONG Region)
{
    Prov->RegionsInUse[QueueId % QR_MAX_QUEUES] &= (UCHAR) ~(1u << Region);
}

/* === Memory === */

static NDIS_STATUS QrTakePages(PQR_BLOCK Block, PNDIS_SHARED_MEMORY_PARAMETERS P)
{
    SIZE_T bytes = ROUND_TO_PAGES((SIZE_T)P->Length);
    if (P->Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) {
        Block->Va = DeepTakeContiguous(bytes, P->PreferredNode);
        Block->Contiguous = Block->Va != NULL;
    } else {
        Block->Va = DeepTakeMdlPages(bytes, &Block->Mdl);
    }
    return Block->Va != NULL ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

static VOID QrReleasePages(PQR_BLOCK Block)
{
    if (Block->Contiguous)
        MmFreeContiguousMemory(Block->Va);
    else if (Block->Mdl != NULL)
        DeepReleaseMdlPages(Block->Va, Block->Mdl);
    Block->Mdl = NULL;
    Block->Va = NULL;
    Block->Contiguous = FALSE;
}

/* === Handlers === */

static NDIS_STATUS QrAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                              PNDIS_HANDLE pSharedMemoryProviderContext)
{
    PQR_PROVIDER prov = (PQR_PROVIDER)ProviderContext;
    DEEP_PAGES pages;
    ULONG capacity;
    NDIS_STATUS status = DeepValidate(P, NDIS_DEFAULT_VPORT_ID);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    PQR_BLOCK block = NdisAllocateMemoryWithTagPriority(prov->NdisHandle, sizeof(*block),
                                                        QR_TAG_BLOCK, NormalPoolPriority);
    if (block == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(block, sizeof(*block));
    block->Length = P->Length;
    block->QueueId = P->QueueId;
    block->Region = QR_NO_REGION;
    status = QrTakePages(block, P);
    if (status != NDIS_STATUS_SUCCESS)
        goto unwind;
    pages = block->Contiguous ? DeepContiguousPages(block->Va) : DeepMdlPages(block->Mdl);
    capacity =
        (P->SGListBufferLength - sizeof(SCATTER_GATHER_LIST)) / sizeof(SCATTER_GATHER_ELEMENT);
    if (DeepSgWalk(&pages, block->Length, NULL) > capacity) {
        status = NDIS_STATUS_INVALID_PARAMETER;
        goto unwind;
    }

    NdisAcquireSpinLock(&prov->Lock);
    if (P->Usage == NdisSharedMemoryUsageReceiveData) {
        block->Region = QrRegionTake(prov, block->QueueId);
        if (block->Region == QR_NO_REGION) {
            status = NDIS_STATUS_RESOURCES; /* the queue's table is full */
            goto unwind;
        }
    }
    block->Magic = QrMagic(block);
    InsertTailList(&prov->Blocks, &block->Link);
    NdisReleaseSpinLock(&prov->Lock);

    DeepBuildSgList(&pages, block->Length, P->SGListBuffer, P->SGListBufferLength);
    P->VirtualAddress = block->Va;
    P->SharedMemoryHandle = block;
    *pSharedMemoryProviderContext = block;
    return NDIS_STATUS_SUCCESS;

unwind:
    QrReleasePages(block);
    NdisFreeMemoryWithTagPriority(prov->NdisHandle, block, QR_TAG_BLOCK);
    return status;
}

static VOID QrFreeBlock(PQR_PROVIDER Prov, PQR_BLOCK Block)
{
    QrReleasePages(Block);
    Block->Magic = 0;
    NdisFreeMemoryWithTagPriority(Prov->NdisHandle, Block, QR_TAG_BLOCK);
}

static VOID QrFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    PQR_PROVIDER prov = (PQR_PROVIDER)ProviderContext;
    PQR_BLOCK block = (PQR_BLOCK)SharedMemoryProviderContext;
    if (block == NULL || block->Magic != QrMagic(block))
        return; /* not ours: never touch it */
    NdisAcquireSpinLock(&prov->Lock);
    RemoveEntryList(&block->Link);
    if (block->Region != QR_NO_REGION)
        QrRegionPut(prov, block->QueueId, block->Region);
    NdisReleaseSpinLock(&prov->Lock);
    QrFreeBlock(prov, block);
}

/* === Plug-in ABI === */

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PQR_PROVIDER prov = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*prov),
                                                          QR_TAG_CTX, NormalPoolPriority);
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
    chars.AllocateSharedMemoryHandler = QrAllocate;
    chars.FreeSharedMemoryHandler = QrFree;
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&prov->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, QR_TAG_CTX);
        return status;
    }
    g_Provider = prov;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    PQR_PROVIDER prov = g_Provider;
    if (prov == NULL)
        return;
    /* The harness frees every block first; anything left is released here. */
    while (!IsListEmpty(&prov->Blocks)) {
        PQR_BLOCK block = CONTAINING_RECORD(RemoveHeadList(&prov->Blocks), QR_BLOCK, Link);
        QrFreeBlock(prov, block);
    }
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, QR_TAG_CTX);
    g_Provider = NULL;
}
