/*
 * stress_racy_provider.c -- a provider with a missing lock, for tests/test_stress.c.
 *
 * Bug (planted): the free handler unlinks the block from the provider's list
 * without the spin lock.  Its author "protected" the unlink by raising to
 * DISPATCH_LEVEL, which excludes nothing on another processor, and read the
 * neighbours before raising.  Two processors freeing neighbouring blocks (or a
 * free racing an insert under the lock) write stale links: the list is
 * corrupt (list-corrupt at the next insert or remove, or a use-after-free of a
 * freed neighbour).  The window contains a scheduling point (KeRaiseIrql), so
 * the stress runner's interleave mode finds it deterministically; in threads
 * mode sched_yield() widens it.  Single-threaded, the provider is correct.
 *
 * Blocks are always physically contiguous (one SG element), to keep it short.
 */
#include <ndis.h>
#include <sched.h>

#define RACY_TAG_BLOCK 'kbcR'
#define RACY_TAG_CTX 'xccR'
#define RACY_MAX_LENGTH (4u * 1024 * 1024)

typedef struct _RACY_BLOCK {
    LIST_ENTRY Link; /* on RACY_PROVIDER.Blocks, under Lock (except in RacyFree) */
    PVOID VirtualAddress;
    ULONG Length;
} RACY_BLOCK, *PRACY_BLOCK;

typedef struct _RACY_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY Blocks;
} RACY_PROVIDER, *PRACY_PROVIDER;

static PRACY_PROVIDER g_Racy;

static PHYSICAL_ADDRESS RacyAddr(LONGLONG Value)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = Value;
    return a;
}

static NDIS_STATUS RacyAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                                PNDIS_HANDLE pSharedMemoryProviderContext)
{
    PRACY_PROVIDER prov = (PRACY_PROVIDER)ProviderContext;
    if ((P->Flags & ~(ULONG)NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) ||
        (ULONG)P->Usage >= (ULONG)NdisSharedMemoryUsageMax || P->Length == 0 ||
        P->Length > RACY_MAX_LENGTH ||
        (P->PreferredNode != MM_ANY_NODE_OK && P->PreferredNode > KeQueryHighestNodeNumber()) ||
        (P->Header.Revision >= NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
         P->Header.Size >= NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
         P->VPortId != NDIS_DEFAULT_VPORT_ID) ||
        P->SGListBuffer == NULL ||
        P->SGListBufferLength < sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT))
        return NDIS_STATUS_INVALID_PARAMETER;
    PRACY_BLOCK block = NdisAllocateMemoryWithTagPriority(prov->NdisHandle, sizeof(*block),
                                                          RACY_TAG_BLOCK, NormalPoolPriority);
    if (block == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(block, sizeof(*block));
    block->Length = P->Length;
    block->VirtualAddress = MmAllocateContiguousNodeMemory(
        ROUND_TO_PAGES((SIZE_T)P->Length), RacyAddr(0), RacyAddr((LONGLONG)MAXULONG64), RacyAddr(0),
        PAGE_READWRITE, P->PreferredNode);
    if (block->VirtualAddress == NULL) {
        NdisFreeMemoryWithTagPriority(prov->NdisHandle, block, RACY_TAG_BLOCK);
        return NDIS_STATUS_RESOURCES;
    }
    PSCATTER_GATHER_LIST sg = P->SGListBuffer;
    sg->NumberOfElements = 1;
    sg->Reserved = 0;
    sg->Elements[0].Address = MmGetPhysicalAddress(block->VirtualAddress);
    sg->Elements[0].Length = P->Length;
    sg->Elements[0].Reserved = 0;
    NdisAcquireSpinLock(&prov->Lock);
    InsertTailList(&prov->Blocks, &block->Link);
    NdisReleaseSpinLock(&prov->Lock);
    P->VirtualAddress = block->VirtualAddress;
    P->SharedMemoryHandle = block;
    *pSharedMemoryProviderContext = block;
    return NDIS_STATUS_SUCCESS;
}

static VOID RacyFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    PRACY_PROVIDER prov = (PRACY_PROVIDER)ProviderContext;
    PRACY_BLOCK block = (PRACY_BLOCK)SharedMemoryProviderContext;
    KIRQL old;
    /* BUG: no prov->Lock; raising the IRQL does not stop other processors. */
    PLIST_ENTRY prev = block->Link.Blink, next = block->Link.Flink;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    for (int i = 0; i < 4; i++)
        sched_yield();
    prev->Flink = next;
    next->Blink = prev;
    KeLowerIrql(old);
    MmFreeContiguousMemory(block->VirtualAddress);
    NdisFreeMemoryWithTagPriority(prov->NdisHandle, block, RACY_TAG_BLOCK);
}

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PRACY_PROVIDER prov = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*prov),
                                                            RACY_TAG_CTX, NormalPoolPriority);
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
    chars.AllocateSharedMemoryHandler = RacyAllocate;
    chars.FreeSharedMemoryHandler = RacyFree;
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, RACY_TAG_CTX);
        return status;
    }
    g_Racy = prov;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    PRACY_PROVIDER prov = g_Racy;
    if (prov == NULL)
        return;
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, RACY_TAG_CTX);
    g_Racy = NULL;
}
