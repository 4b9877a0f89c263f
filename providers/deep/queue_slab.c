/*
 * deep/queue_slab.c -- a VMQ provider for a NIC with header-data split: the
 * header buffers of every receive queue are carved from slabs of contiguous
 * memory that belong to the queue.
 *
 * Design.  Header buffers (Usage ReceiveHeader, Length up to a slab's room)
 * are carved page by page, front to back, from slabs of QS_SLAB_BYTES
 * contiguous bytes that belong to the request's queue, so a queue's headers
 * share a few physically contiguous runs (fewer IOMMU entries, node-local).
 * The first page of every slab is the queue's header-split status page, which
 * the NIC writes; carving starts after it.  A queue keeps its slabs on two
 * lists: Partial, whose
 * head is the slab new blocks are carved from, and Full, slabs nothing more
 * will be carved from.  A request that does not fit the head of Partial moves
 * it to Full and starts a new slab; a carve that fills a slab exactly parks it
 * on Full at once.  Each carved block holds a reference on its slab, and a
 * slab is freed with its last block, from whichever list it is on.  All other
 * memory (receive data, transmit, blocks larger than a slab's room) gets its
 * own pages: scattered, or contiguous when the caller asks for it.
 *
 * The allocate path never holds the spin lock across an allocation: a new slab
 * is allocated unlocked, and the lock is taken again to install it (or to
 * throw it away when another processor installed one meanwhile).
 */
#include "deep_common.h"

#define QS_TAG_BLOCK 'bsQD'
#define QS_TAG_SLAB 'lsQD'
#define QS_TAG_CTX 'xcQD'
#define QS_BLOCK_MAGIC 0x51534C42u
#define QS_MAX_QUEUES 64
#define QS_SLAB_BYTES (192u * 1024) /* the status page, then 188 KiB of headers */

/* Receive memory of one queue, carved front to back. */
typedef struct _QS_SLAB {
    LIST_ENTRY Link;    /* on its queue's Partial or Full list, under Lock */
    LIST_ENTRY AllLink; /* on QS_PROVIDER.Slabs, under Lock */
    ULONG QueueId;
    PUCHAR Va;  /* MmAllocateContiguousNodeMemory */
    ULONG Size; /* bytes */
    ULONG Used; /* bytes used so far (status page included), a page multiple */
    LONG Refs;  /* blocks carved from it */
} QS_SLAB, *PQS_SLAB;

typedef struct _QS_QUEUE {
    LIST_ENTRY Partial; /* QS_SLAB.Link; the head is carved from */
    LIST_ENTRY Full;    /* QS_SLAB.Link */
} QS_QUEUE, *PQS_QUEUE;

typedef struct _QS_BLOCK {
    LIST_ENTRY Link; /* on QS_PROVIDER.Blocks, under Lock */
    ULONG Magic;
    PQS_SLAB Slab; /* carved from this slab, or NULL: own pages */
    PMDL Mdl;      /* own scattered pages */
    PVOID Va;
    ULONG Length;
    BOOLEAN Contiguous; /* own contiguous pages */
} QS_BLOCK, *PQS_BLOCK;

typedef struct _QS_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY Blocks;
    LIST_ENTRY Slabs;
    QS_QUEUE Queues[QS_MAX_QUEUES];
} QS_PROVIDER, *PQS_PROVIDER;

static PQS_PROVIDER g_Provider;

static ULONG QsMagic(PQS_BLOCK Block)
{
    return QS_BLOCK_MAGIC ^ (ULONG)((ULONG_PTR)Block & 0xffffffffu);
}

static BOOLEAN QsCarved(PNDIS_SHARED_MEMORY_PARAMETERS P)
{
    return P->Usage == NdisSharedMemoryUsageReceiveHeader && P->Length <= QS_SLAB_BYTES - PAGE_SIZE;
}

/* === Slabs === */

static PQS_SLAB QsSlabNew(PQS_PROVIDER Prov, ULONG QueueId, NODE_REQUIREMENT Node)
{
    PQS_SLAB slab = NdisAllocateMemoryWithTagPriority(Prov->NdisHandle, sizeof(*slab), QS_TAG_SLAB,
                                                      NormalPoolPriority);
    if (slab == NULL)
        return NULL;
    NdisZeroMemory(slab, sizeof(*slab));
    slab->Va = DeepTakeContiguous(QS_SLAB_BYTES, Node);
    if (slab->Va == NULL) {
        NdisFreeMemoryWithTagPriority(Prov->NdisHandle, slab, QS_TAG_SLAB);
        return NULL;
    }
    slab->QueueId = QueueId;
    slab->Size = QS_SLAB_BYTES;
    slab->Used = PAGE_SIZE; /* the status page */
    return slab;
}

static VOID QsSlabFree(PQS_PROVIDER Prov, PQS_SLAB Slab)
{
    MmFreeContiguousMemory(Slab->Va);
    NdisFreeMemoryWithTagPriority(Prov->NdisHandle, Slab, QS_TAG_SLAB);
}

/* Under Lock: carve Bytes (a page multiple that fits) from the queue's
   current slab.  Returns the offset of the block in the slab. */
static ULONG QsCarveFrom(PQS_QUEUE Q, PQS_SLAB Slab, ULONG Bytes)
{
    ULONG offset = Slab->Used;
    Slab->Used += Bytes;
    Slab->Refs++;
    if (Slab->Used == Slab->Size) {
        /* Exactly full: park it with the full slabs now, not on the next request. */
        InsertTailList(&Q->Full, &Slab->Link);
    }
    return offset;
}

/* Under Lock: the slab Length bytes can be carved from, or NULL. */
static PQS_SLAB QsCurrentFitting(PQS_QUEUE Q, ULONG Length)
{
    PQS_SLAB slab;
    if (IsListEmpty(&Q->Partial))
        return NULL;
    slab = CONTAINING_RECORD(Q->Partial.Flink, QS_SLAB, Link);
    return Length <= slab->Size - slab->Used ? slab : NULL;
}

/* Carve the block's memory from its queue's slabs. */
static NDIS_STATUS QsCarve(PQS_PROVIDER Prov, PQS_BLOCK Block, PNDIS_SHARED_MEMORY_PARAMETERS P)
{
    PQS_QUEUE q = &Prov->Queues[P->QueueId % QS_MAX_QUEUES];
    ULONG bytes = (ULONG)ROUND_TO_PAGES((SIZE_T)P->Length);
    PQS_SLAB slab, fresh = NULL;

    NdisAcquireSpinLock(&Prov->Lock);
    slab = QsCurrentFitting(q, P->Length);
    if (slab == NULL) {
        NdisReleaseSpinLock(&Prov->Lock);
        fresh = QsSlabNew(Prov, P->QueueId, P->PreferredNode);
        if (fresh == NULL)
            return NDIS_STATUS_RESOURCES;
        NdisAcquireSpinLock(&Prov->Lock);
        slab = QsCurrentFitting(q, P->Length); /* installed by another processor? */
        if (slab == NULL) {
            if (!IsListEmpty(&q->Partial)) {
                /* The head has no room for this request: it is full for us. */
                PQS_SLAB old = CONTAINING_RECORD(q->Partial.Flink, QS_SLAB, Link);
                RemoveEntryList(&old->Link);
                InsertTailList(&q->Full, &old->Link);
            }
            InsertHeadList(&q->Partial, &fresh->Link);
            InsertTailList(&Prov->Slabs, &fresh->AllLink);
            slab = fresh;
            fresh = NULL;
        }
    }
    Block->Slab = slab;
    Block->Va = slab->Va + QsCarveFrom(q, slab, bytes);
    NdisReleaseSpinLock(&Prov->Lock);
    if (fresh != NULL)
        QsSlabFree(Prov, fresh);
    return NDIS_STATUS_SUCCESS;
}

/* Drop the block's reference; the slab goes with its last block. */
static VOID QsUncarve(PQS_PROVIDER Prov, PQS_BLOCK Block)
{
    PQS_SLAB slab = Block->Slab;
    BOOLEAN last;
    NdisAcquireSpinLock(&Prov->Lock);
    last = --slab->Refs == 0;
    if (last) {
        RemoveEntryList(&slab->Link);
        RemoveEntryList(&slab->AllLink);
    }
    NdisReleaseSpinLock(&Prov->Lock);
    if (last)
        QsSlabFree(Prov, slab);
    Block->Slab = NULL;
    Block->Va = NULL;
}

/* === Own pages === */

static NDIS_STATUS QsTakePages(PQS_BLOCK Block, PNDIS_SHARED_MEMORY_PARAMETERS P)
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

static VOID QsReleaseMemory(PQS_PROVIDER Prov, PQS_BLOCK Block)
{
    if (Block->Slab != NULL)
        QsUncarve(Prov, Block);
    else if (Block->Contiguous)
        MmFreeContiguousMemory(Block->Va);
    else if (Block->Mdl != NULL)
        DeepReleaseMdlPages(Block->Va, Block->Mdl);
    Block->Mdl = NULL;
    Block->Va = NULL;
    Block->Contiguous = FALSE;
}

static DEEP_PAGES QsPagesOf(PQS_BLOCK Block)
{
    return Block->Mdl != NULL ? DeepMdlPages(Block->Mdl) : DeepContiguousPages(Block->Va);
}

/* === Handlers === */

static VOID QsFreeBlock(PQS_PROVIDER Prov, PQS_BLOCK Block)
{
    QsReleaseMemory(Prov, Block);
    Block->Magic = 0;
    NdisFreeMemoryWithTagPriority(Prov->NdisHandle, Block, QS_TAG_BLOCK);
}

static NDIS_STATUS QsAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                              PNDIS_HANDLE pSharedMemoryProviderContext)
{
    PQS_PROVIDER prov = (PQS_PROVIDER)ProviderContext;
    DEEP_PAGES pages;
    NDIS_STATUS status = DeepValidate(P, NDIS_DEFAULT_VPORT_ID);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    PQS_BLOCK block = NdisAllocateMemoryWithTagPriority(prov->NdisHandle, sizeof(*block),
                                                        QS_TAG_BLOCK, NormalPoolPriority);
    if (block == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(block, sizeof(*block));
    block->Length = P->Length;
    status = QsCarved(P) ? QsCarve(prov, block, P) : QsTakePages(block, P);
    if (status == NDIS_STATUS_SUCCESS) {
        pages = QsPagesOf(block);
        status = DeepBuildSgList(&pages, block->Length, P->SGListBuffer, P->SGListBufferLength);
    }
    if (status != NDIS_STATUS_SUCCESS) {
        QsFreeBlock(prov, block);
        return status;
    }
    block->Magic = QsMagic(block);
    NdisAcquireSpinLock(&prov->Lock);
    InsertTailList(&prov->Blocks, &block->Link);
    NdisReleaseSpinLock(&prov->Lock);
    P->VirtualAddress = block->Va;
    P->SharedMemoryHandle = block;
    *pSharedMemoryProviderContext = block;
    return NDIS_STATUS_SUCCESS;
}

static VOID QsFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    PQS_PROVIDER prov = (PQS_PROVIDER)ProviderContext;
    PQS_BLOCK block = (PQS_BLOCK)SharedMemoryProviderContext;
    if (block == NULL || block->Magic != QsMagic(block))
        return; /* not ours: never touch it */
    NdisAcquireSpinLock(&prov->Lock);
    RemoveEntryList(&block->Link);
    NdisReleaseSpinLock(&prov->Lock);
    QsFreeBlock(prov, block);
}

/* === Plug-in ABI === */

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PQS_PROVIDER prov = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*prov),
                                                          QS_TAG_CTX, NormalPoolPriority);
    if (prov == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(prov, sizeof(*prov));
    prov->NdisHandle = NdisDriverHandle;
    NdisAllocateSpinLock(&prov->Lock);
    InitializeListHead(&prov->Blocks);
    InitializeListHead(&prov->Slabs);
    for (ULONG i = 0; i < QS_MAX_QUEUES; i++) {
        InitializeListHead(&prov->Queues[i].Partial);
        InitializeListHead(&prov->Queues[i].Full);
    }

    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.ProviderContext = prov;
    chars.AllocateSharedMemoryHandler = QsAllocate;
    chars.FreeSharedMemoryHandler = QsFree;
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&prov->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, QS_TAG_CTX);
        return status;
    }
    g_Provider = prov;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    PQS_PROVIDER prov = g_Provider;
    if (prov == NULL)
        return;
    /* The harness frees every block first (and slabs go with their last
       block); anything left is released here. */
    while (!IsListEmpty(&prov->Blocks)) {
        PQS_BLOCK block = CONTAINING_RECORD(RemoveHeadList(&prov->Blocks), QS_BLOCK, Link);
        QsFreeBlock(prov, block);
    }
    while (!IsListEmpty(&prov->Slabs)) {
        PQS_SLAB slab = CONTAINING_RECORD(RemoveHeadList(&prov->Slabs), QS_SLAB, AllLink);
        QsSlabFree(prov, slab);
    }
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, QS_TAG_CTX);
    g_Provider = NULL;
}
