/*
 * deep/align_hole.c -- a provider that carves every block from large
 * contiguous regions and keeps large blocks naturally aligned.
 *
 * Design.  Memory comes from regions of AH_REGION_BYTES physically contiguous
 * bytes (MmAllocateContiguousNodeMemory), carved front to back in pages.  The
 * NIC maps large buffers (AH_LARGE_BYTES or more) with one "super descriptor"
 * that must start on an AH_LARGE_BYTES boundary, so a large block starts at
 * the next aligned offset of its region.  The pages skipped to get there are
 * not lost: they are recorded as a hole of the region (up to AH_MAX_HOLES per
 * region), and a later small request of exactly a hole's size takes the hole
 * (NIC drivers allocate their buffers in a handful of fixed sizes, so exact
 * fits are common and never fragment a hole further).  Anything else is
 * carved at the region's front.  A region whose last block is freed is
 * recycled in place (contiguous memory is scarce; it is released only at
 * unload); a request that fits no region gets a new one.  One spin lock
 * guards the regions; a new region is allocated without it.
 */
#include "deep_common.h"

#define AH_TAG_BLOCK 'bhAD'
#define AH_TAG_REGION 'rhAD'
#define AH_TAG_CTX 'xhAD'
#define AH_BLOCK_MAGIC 0x41484C42u
#define AH_REGION_BYTES (4u * 1024 * 1024)
#define AH_LARGE_BYTES (256u * 1024)
#define AH_MAX_HOLES 8u

/* [Offset, Offset + Bytes) of a region, skipped to align a large block. */
typedef struct _AH_HOLE {
    ULONG Offset;
    ULONG Bytes;
} AH_HOLE;

typedef struct _AH_REGION {
    LIST_ENTRY Link; /* on AH_PROVIDER.Regions, under Lock */
    PUCHAR Va;
    ULONG Used; /* bytes carved from the front so far */
    ULONG Live; /* blocks in the region */
    AH_HOLE Holes[AH_MAX_HOLES];
    ULONG HoleCount;
} AH_REGION, *PAH_REGION;

typedef struct _AH_BLOCK {
    LIST_ENTRY Link; /* on AH_PROVIDER.Blocks, under Lock */
    ULONG Magic;
    PAH_REGION Region;
    PUCHAR Va;
    ULONG Length;
} AH_BLOCK, *PAH_BLOCK;

typedef struct _AH_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY Blocks;
    LIST_ENTRY Regions;
} AH_PROVIDER, *PAH_PROVIDER;

static PAH_PROVIDER g_Provider;

static ULONG AhMagic(PAH_BLOCK Block)
{
    return AH_BLOCK_MAGIC ^ (ULONG)((ULONG_PTR)Block & 0xffffffffu);
}

/* === Regions (under Lock) === */

/* Place Bytes (a page multiple) in Region; its offset in *Offset. */
static BOOLEAN AhPlace(PAH_REGION Region, ULONG Bytes, ULONG *Offset)
{
    ULONG start;
    if (Bytes < AH_LARGE_BYTES) {
        for (ULONG i = 0; i < Region->HoleCount; i++) {
            if (Region->Holes[i].Bytes == Bytes) {
                *Offset = Region->Holes[i].Offset;
                Region->Holes[i] = Region->Holes[--Region->HoleCount];
                return TRUE;
            }
        }
        start = Region->Used;
    } else {
        start = (Region->Used + AH_LARGE_BYTES - 1) & ~(AH_LARGE_BYTES - 1);
    }
    if (start > AH_REGION_BYTES || Bytes > AH_REGION_BYTES - start)
        return FALSE;
    if (start > Region->Used && Region->HoleCount < AH_MAX_HOLES) {
        Region->Holes[Region->HoleCount].Offset = Region->Used;
        Region->Holes[Region->HoleCount].Bytes = start - Region->Used;
        Region->HoleCount++;
    }
    *Offset = start;
    Region->Used = start + Bytes;
    return TRUE;
}

/* Place the block in the first region with room for it. */
static BOOLEAN AhPlaceAny(PAH_PROVIDER Prov, PAH_BLOCK Block, ULONG Bytes)
{
    ULONG offset;
    for (PLIST_ENTRY e = Prov->Regions.Flink; e != &Prov->Regions; e = e->Flink) {
        PAH_REGION region = CONTAINING_RECORD(e, AH_REGION, Link);
        if (AhPlace(region, Bytes, &offset)) {
            region->Live++;
            Block->Region = region;
            Block->Va = region->Va + offset;
            return TRUE;
        }
    }
    return FALSE;
}

static PAH_REGION AhRegionNew(PAH_PROVIDER Prov)
{
    PAH_REGION region = NdisAllocateMemoryWithTagPriority(Prov->NdisHandle, sizeof(*region),
                                                          AH_TAG_REGION, NormalPoolPriority);
    if (region == NULL)
        return NULL;
    NdisZeroMemory(region, sizeof(*region));
    region->Va = DeepTakeContiguous(AH_REGION_BYTES, MM_ANY_NODE_OK);
    if (region->Va == NULL) {
        NdisFreeMemoryWithTagPriority(Prov->NdisHandle, region, AH_TAG_REGION);
        return NULL;
    }
    return region;
}

static VOID AhRegionFree(PAH_PROVIDER Prov, PAH_REGION Region)
{
    MmFreeContiguousMemory(Region->Va);
    NdisFreeMemoryWithTagPriority(Prov->NdisHandle, Region, AH_TAG_REGION);
}

static NDIS_STATUS AhCarve(PAH_PROVIDER Prov, PAH_BLOCK Block)
{
    ULONG bytes = (ULONG)ROUND_TO_PAGES((SIZE_T)Block->Length);
    PAH_REGION fresh = NULL;
    BOOLEAN placed;
    NdisAcquireSpinLock(&Prov->Lock);
    placed = AhPlaceAny(Prov, Block, bytes);
    NdisReleaseSpinLock(&Prov->Lock);
    if (placed)
        return NDIS_STATUS_SUCCESS;
    fresh = AhRegionNew(Prov);
    if (fresh == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisAcquireSpinLock(&Prov->Lock);
    InsertTailList(&Prov->Regions, &fresh->Link);
    placed = AhPlaceAny(Prov, Block, bytes); /* the new region has room: fits */
    NdisReleaseSpinLock(&Prov->Lock);
    return placed ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

static VOID AhUncarve(PAH_PROVIDER Prov, PAH_BLOCK Block)
{
    PAH_REGION region = Block->Region;
    NdisAcquireSpinLock(&Prov->Lock);
    if (--region->Live == 0)
        region->Used = 0; /* empty: carve it again from the front */
    NdisReleaseSpinLock(&Prov->Lock);
    Block->Region = NULL;
    Block->Va = NULL;
}

/* === Handlers === */

static VOID AhFreeBlock(PAH_PROVIDER Prov, PAH_BLOCK Block)
{
    if (Block->Region != NULL)
        AhUncarve(Prov, Block);
    Block->Magic = 0;
    NdisFreeMemoryWithTagPriority(Prov->NdisHandle, Block, AH_TAG_BLOCK);
}

static NDIS_STATUS AhAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                              PNDIS_HANDLE pSharedMemoryProviderContext)
{
    PAH_PROVIDER prov = (PAH_PROVIDER)ProviderContext;
    DEEP_PAGES pages;
    NDIS_STATUS status = DeepValidate(P, NDIS_DEFAULT_VPORT_ID);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    PAH_BLOCK block = NdisAllocateMemoryWithTagPriority(prov->NdisHandle, sizeof(*block),
                                                        AH_TAG_BLOCK, NormalPoolPriority);
    if (block == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(block, sizeof(*block));
    block->Length = P->Length;
    status = AhCarve(prov, block);
    if (status == NDIS_STATUS_SUCCESS) {
        pages = DeepContiguousPages(block->Va);
        status = DeepBuildSgList(&pages, block->Length, P->SGListBuffer, P->SGListBufferLength);
    }
    if (status != NDIS_STATUS_SUCCESS) {
        AhFreeBlock(prov, block);
        return status;
    }
    block->Magic = AhMagic(block);
    NdisAcquireSpinLock(&prov->Lock);
    InsertTailList(&prov->Blocks, &block->Link);
    NdisReleaseSpinLock(&prov->Lock);
    P->VirtualAddress = block->Va;
    P->SharedMemoryHandle = block;
    *pSharedMemoryProviderContext = block;
    return NDIS_STATUS_SUCCESS;
}

static VOID AhFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    PAH_PROVIDER prov = (PAH_PROVIDER)ProviderContext;
    PAH_BLOCK block = (PAH_BLOCK)SharedMemoryProviderContext;
    if (block == NULL || block->Magic != AhMagic(block))
        return; /* not ours: never touch it */
    NdisAcquireSpinLock(&prov->Lock);
    RemoveEntryList(&block->Link);
    NdisReleaseSpinLock(&prov->Lock);
    AhFreeBlock(prov, block);
}

/* === Plug-in ABI === */

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PAH_PROVIDER prov = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*prov),
                                                          AH_TAG_CTX, NormalPoolPriority);
    if (prov == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(prov, sizeof(*prov));
    prov->NdisHandle = NdisDriverHandle;
    NdisAllocateSpinLock(&prov->Lock);
    InitializeListHead(&prov->Blocks);
    InitializeListHead(&prov->Regions);

    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.ProviderContext = prov;
    chars.AllocateSharedMemoryHandler = AhAllocate;
    chars.FreeSharedMemoryHandler = AhFree;
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&prov->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, AH_TAG_CTX);
        return status;
    }
    g_Provider = prov;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    PAH_PROVIDER prov = g_Provider;
    if (prov == NULL)
        return;
    /* The harness frees every block first; anything left is released here. */
    while (!IsListEmpty(&prov->Blocks)) {
        PAH_BLOCK block = CONTAINING_RECORD(RemoveHeadList(&prov->Blocks), AH_BLOCK, Link);
        AhFreeBlock(prov, block);
    }
    while (!IsListEmpty(&prov->Regions)) {
        PAH_REGION region = CONTAINING_RECORD(RemoveHeadList(&prov->Regions), AH_REGION, Link);
        AhRegionFree(prov, region);
    }
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, AH_TAG_CTX);
    g_Provider = NULL;
}
