/*
 * deep/node_cache.c -- a NUMA-aware provider with a cache of freed memory per
 * node.
 *
 * Design.  Every block is node-local contiguous memory
 * (MmAllocateContiguousNodeMemory) on the node the caller names in
 * PreferredNode, or on the adapter's home node (node 0) for MM_ANY_NODE_OK.
 * Freed runs are not returned to Mm at once: each node keeps up to
 * NC_CACHE_DEPTH of them in a small array, and a request of the same page
 * count on that node takes one back (newest first) instead of calling Mm.
 * When Mm cannot give a request that named its node explicitly any memory,
 * the provider would rather serve it from another node's cache than fail it:
 * remote memory is slower but keeps the queue running.  Runs still cached at
 * unload are released then.  One spin lock guards the caches.
 */
#include "deep_common.h"

#define NC_TAG_BLOCK 'bcND'
#define NC_TAG_CTX 'xcND'
#define NC_BLOCK_MAGIC 0x4E43424Bu
#define NC_MAX_NODES 4u
#define NC_HOME_NODE 0u
#define NC_CACHE_DEPTH 4u

/* A contiguous run of Pages pages at Va on a node. */
typedef struct _NC_RUN {
    PVOID Va;
    ULONG Pages;
} NC_RUN;

typedef struct _NC_NODE_CACHE {
    NC_RUN Runs[NC_CACHE_DEPTH]; /* [0, Count), newest last */
    ULONG Count;
} NC_NODE_CACHE, *PNC_NODE_CACHE;

typedef struct _NC_BLOCK {
    LIST_ENTRY Link; /* on NC_PROVIDER.Blocks, under Lock */
    ULONG Magic;
    ULONG Node; /* the node whose cache the run goes back to */
    NC_RUN Run;
    ULONG Length;
} NC_BLOCK, *PNC_BLOCK;

typedef struct _NC_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY Blocks;
    ULONG NodeCount;
    NC_NODE_CACHE Cache[NC_MAX_NODES];
} NC_PROVIDER, *PNC_PROVIDER;

static PNC_PROVIDER g_Provider;

static ULONG NcMagic(PNC_BLOCK Block)
{
    return NC_BLOCK_MAGIC ^ (ULONG)((ULONG_PTR)Block & 0xffffffffu);
}

/* === Per-node caches (under Lock) === */

/* Index of a cached run of Pages pages, newest first; Count if none. */
static ULONG NcCacheFind(PNC_NODE_CACHE Cache, ULONG Pages)
{
    for (ULONG i = Cache->Count; i-- > 0;)
        if (Cache->Runs[i].Pages == Pages)
            return i;
    return Cache->Count;
}

static VOID NcCacheRemove(PNC_NODE_CACHE Cache, ULONG Index)
{
    if (Index >= Cache->Count)
        return;
    Cache->Runs[Index] = Cache->Runs[--Cache->Count];
}

/* Take a cached run of Pages pages from Node's cache into *Run. */
static BOOLEAN NcCacheTake(PNC_PROVIDER Prov, ULONG Node, ULONG Pages, NC_RUN *Run)
{
    PNC_NODE_CACHE cache = &Prov->Cache[Node];
    BOOLEAN hit;
    NdisAcquireSpinLock(&Prov->Lock);
    ULONG i = NcCacheFind(cache, Pages);
    hit = i < cache->Count;
    if (hit) {
        *Run = cache->Runs[i];
        NcCacheRemove(cache, i);
    }
    NdisReleaseSpinLock(&Prov->Lock);
    return hit;
}

/* Serve a request for Home from another node's cache. */
static BOOLEAN NcCacheSteal(PNC_PROVIDER Prov, ULONG Home, ULONG Pages, NC_RUN *Run, ULONG *Node)
{
    BOOLEAN hit = FALSE;
    NdisAcquireSpinLock(&Prov->Lock);
    for (ULONG n = 0; n < Prov->NodeCount && !hit; n++) {
        if (n == Home)
            continue;
        ULONG i = NcCacheFind(&Prov->Cache[n], Pages);
        if (i < Prov->Cache[n].Count) {
            *Run = Prov->Cache[n].Runs[i];
            *Node = n;
            NcCacheRemove(&Prov->Cache[Home], i);
            hit = TRUE;
        }
    }
    NdisReleaseSpinLock(&Prov->Lock);
    return hit;
}

/* Keep the block's run for its node; FALSE when that cache is full. */
static BOOLEAN NcCachePut(PNC_PROVIDER Prov, PNC_BLOCK Block)
{
    PNC_NODE_CACHE cache = &Prov->Cache[Block->Node];
    BOOLEAN kept;
    NdisAcquireSpinLock(&Prov->Lock);
    kept = cache->Count < NC_CACHE_DEPTH;
    if (kept)
        cache->Runs[cache->Count++] = Block->Run;
    NdisReleaseSpinLock(&Prov->Lock);
    return kept;
}

/* === Memory === */

static NDIS_STATUS NcTakeRun(PNC_PROVIDER Prov, PNC_BLOCK Block, NODE_REQUIREMENT Preferred)
{
    ULONG pages = (ULONG)BYTES_TO_PAGES((SIZE_T)Block->Length);
    BOOLEAN explicitNode = Preferred != MM_ANY_NODE_OK;
    ULONG node = explicitNode ? (ULONG)Preferred : NC_HOME_NODE;

    Block->Node = node;
    if (NcCacheTake(Prov, node, pages, &Block->Run))
        return NDIS_STATUS_SUCCESS;
    Block->Run.Va = DeepTakeContiguous((SIZE_T)pages << PAGE_SHIFT, node);
    Block->Run.Pages = pages;
    if (Block->Run.Va != NULL)
        return NDIS_STATUS_SUCCESS;
    /* Node out of memory: a cached run elsewhere beats failing the request. */
    if (explicitNode && NcCacheSteal(Prov, node, pages, &Block->Run, &Block->Node))
        return NDIS_STATUS_SUCCESS;
    return NDIS_STATUS_RESOURCES;
}

static VOID NcReleaseRun(PNC_PROVIDER Prov, PNC_BLOCK Block)
{
    if (Block->Run.Va == NULL)
        return;
    if (!NcCachePut(Prov, Block))
        MmFreeContiguousMemory(Block->Run.Va);
    Block->Run.Va = NULL;
}

/* === Handlers === */

static VOID NcFreeBlock(PNC_PROVIDER Prov, PNC_BLOCK Block)
{
    NcReleaseRun(Prov, Block);
    Block->Magic = 0;
    NdisFreeMemoryWithTagPriority(Prov->NdisHandle, Block, NC_TAG_BLOCK);
}

static NDIS_STATUS NcAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                              PNDIS_HANDLE pSharedMemoryProviderContext)
{
    PNC_PROVIDER prov = (PNC_PROVIDER)ProviderContext;
    DEEP_PAGES pages;
    NDIS_STATUS status = DeepValidate(P, NDIS_DEFAULT_VPORT_ID);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    if (P->PreferredNode != MM_ANY_NODE_OK && P->PreferredNode >= prov->NodeCount)
        return NDIS_STATUS_INVALID_PARAMETER;
    PNC_BLOCK block = NdisAllocateMemoryWithTagPriority(prov->NdisHandle, sizeof(*block),
                                                        NC_TAG_BLOCK, NormalPoolPriority);
    if (block == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(block, sizeof(*block));
    block->Length = P->Length;
    status = NcTakeRun(prov, block, P->PreferredNode);
    if (status == NDIS_STATUS_SUCCESS) {
        pages = DeepContiguousPages(block->Run.Va);
        status = DeepBuildSgList(&pages, block->Length, P->SGListBuffer, P->SGListBufferLength);
    }
    if (status != NDIS_STATUS_SUCCESS) {
        NcFreeBlock(prov, block);
        return status;
    }
    block->Magic = NcMagic(block);
    NdisAcquireSpinLock(&prov->Lock);
    InsertTailList(&prov->Blocks, &block->Link);
    NdisReleaseSpinLock(&prov->Lock);
    P->VirtualAddress = block->Run.Va;
    P->SharedMemoryHandle = block;
    *pSharedMemoryProviderContext = block;
    return NDIS_STATUS_SUCCESS;
}

static VOID NcFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    PNC_PROVIDER prov = (PNC_PROVIDER)ProviderContext;
    PNC_BLOCK block = (PNC_BLOCK)SharedMemoryProviderContext;
    if (block == NULL || block->Magic != NcMagic(block))
        return; /* not ours: never touch it */
    NdisAcquireSpinLock(&prov->Lock);
    RemoveEntryList(&block->Link);
    NdisReleaseSpinLock(&prov->Lock);
    NcFreeBlock(prov, block);
}

/* === Plug-in ABI === */

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PNC_PROVIDER prov = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*prov),
                                                          NC_TAG_CTX, NormalPoolPriority);
    if (prov == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(prov, sizeof(*prov));
    prov->NdisHandle = NdisDriverHandle;
    prov->NodeCount = (ULONG)KeQueryHighestNodeNumber() + 1;
    if (prov->NodeCount > NC_MAX_NODES)
        prov->NodeCount = NC_MAX_NODES;
    NdisAllocateSpinLock(&prov->Lock);
    InitializeListHead(&prov->Blocks);

    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.ProviderContext = prov;
    chars.AllocateSharedMemoryHandler = NcAllocate;
    chars.FreeSharedMemoryHandler = NcFree;
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&prov->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, NC_TAG_CTX);
        return status;
    }
    g_Provider = prov;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    PNC_PROVIDER prov = g_Provider;
    if (prov == NULL)
        return;
    /* The harness frees every block first; anything left is released here. */
    while (!IsListEmpty(&prov->Blocks)) {
        PNC_BLOCK block = CONTAINING_RECORD(RemoveHeadList(&prov->Blocks), NC_BLOCK, Link);
        NcFreeBlock(prov, block);
    }
    for (ULONG n = 0; n < NC_MAX_NODES; n++) {
        PNC_NODE_CACHE cache = &prov->Cache[n];
        while (cache->Count > 0)
            MmFreeContiguousMemory(cache->Runs[--cache->Count].Va);
    }
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, NC_TAG_CTX);
    g_Provider = NULL;
}
