/*
 * deep/slot_grow.c -- a provider that hands out handles from a slot table.
 *
 * Design.  The provider context of a block is not a pointer but a handle:
 * (generation << 16) | (slot index + 1), the way drivers that share handles
 * with firmware or a VF encode them.  The slots live in one table, allocated
 * from pool with SG_INITIAL_SLOTS entries and doubled (allocate, copy, free
 * the old one) whenever an allocation finds every slot in use.  A slot's
 * generation advances each time it is freed, so a stale handle never matches
 * a newer block in the same slot; the free handler ignores handles whose slot
 * is out of range, unused or of another generation.  Slots are searched from
 * the lowest index.  Blocks are scattered pages (MmAllocatePagesForMdlEx), or
 * contiguous memory when the caller asks for it.  One spin lock guards the
 * table; pool and pages are allocated outside it.
 */
#include "deep_common.h"

#define SG_TAG_BLOCK 'bgSD'
#define SG_TAG_TABLE 'tgSD'
#define SG_TAG_CTX 'xgSD'
#define SG_INITIAL_SLOTS 64u
#define SG_MAX_SLOTS 4096u

typedef struct _SG_BLOCK {
    PMDL Mdl; /* scattered pages, or NULL */
    PVOID Va;
    ULONG Length;
    BOOLEAN Contiguous;
} SG_BLOCK, *PSG_BLOCK;

typedef struct _SG_SLOT {
    PSG_BLOCK Block; /* NULL when the slot is free */
    USHORT Generation;
    BOOLEAN InUse;
} SG_SLOT, *PSG_SLOT;

typedef struct _SG_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    PSG_SLOT Slots; /* under Lock */
    ULONG Capacity;
    ULONG InUse;
} SG_PROVIDER, *PSG_PROVIDER;

static PSG_PROVIDER g_Provider;

static NDIS_HANDLE SgHandle(ULONG Index, USHORT Generation)
{
    return (NDIS_HANDLE)(ULONG_PTR)(((ULONG_PTR)Generation << 16) | (Index + 1));
}

/* === Slot table === */

/* Under Lock: a free slot's index, or Capacity when every slot is in use. */
static ULONG SgFindFree(PSG_PROVIDER Prov)
{
    ULONG i;
    for (i = 0; i < Prov->Capacity; i++)
        if (!Prov->Slots[i].InUse)
            break;
    return i;
}

/* Make room for one more slot.  Called without the lock; takes it to swap
   the tables.  FALSE when the pool is exhausted or the table is at its cap. */
static BOOLEAN SgGrow(PSG_PROVIDER Prov)
{
    PSG_SLOT fresh, old = NULL;
    ULONG want;
    NdisAcquireSpinLock(&Prov->Lock);
    want = Prov->Capacity * 2;
    NdisReleaseSpinLock(&Prov->Lock);
    if (want > SG_MAX_SLOTS)
        return FALSE;
    fresh = NdisAllocateMemoryWithTagPriority(Prov->NdisHandle, want * sizeof(SG_SLOT),
                                              SG_TAG_TABLE, NormalPoolPriority);
    if (fresh == NULL)
        return FALSE;
    NdisZeroMemory(fresh, want * sizeof(SG_SLOT));
    NdisAcquireSpinLock(&Prov->Lock);
    if (Prov->Capacity * 2 == want) {
        NdisMoveMemory(fresh, Prov->Slots, Prov->Capacity);
        old = Prov->Slots;
        Prov->Slots = fresh;
        Prov->Capacity = want;
        fresh = NULL;
    }
    NdisReleaseSpinLock(&Prov->Lock);
    /* Another processor grew it meanwhile: ours is not needed. */
    if (fresh != NULL)
        NdisFreeMemoryWithTagPriority(Prov->NdisHandle, fresh, SG_TAG_TABLE);
    if (old != NULL)
        NdisFreeMemoryWithTagPriority(Prov->NdisHandle, old, SG_TAG_TABLE);
    return TRUE;
}

/* Give Block a slot; NULL when no slot can be had. */
static NDIS_HANDLE SgInsert(PSG_PROVIDER Prov, PSG_BLOCK Block)
{
    for (;;) {
        NdisAcquireSpinLock(&Prov->Lock);
        ULONG i = SgFindFree(Prov);
        if (i < Prov->Capacity) {
            PSG_SLOT s = &Prov->Slots[i];
            s->Block = Block;
            s->InUse = TRUE;
            Prov->InUse++;
            NDIS_HANDLE h = SgHandle(i, s->Generation);
            NdisReleaseSpinLock(&Prov->Lock);
            return h;
        }
        NdisReleaseSpinLock(&Prov->Lock);
        if (!SgGrow(Prov))
            return NULL;
    }
}

/* Take the block of handle H out of its slot; NULL if H is not live. */
static PSG_BLOCK SgRemove(PSG_PROVIDER Prov, NDIS_HANDLE H)
{
    ULONG_PTR v = (ULONG_PTR)H;
    ULONG index = (ULONG)(v & 0xffff) - 1;
    USHORT generation = (USHORT)(v >> 16);
    PSG_BLOCK block = NULL;
    NdisAcquireSpinLock(&Prov->Lock);
    if ((v & 0xffff) != 0 && (v >> 32) == 0 && index < Prov->Capacity) {
        PSG_SLOT s = &Prov->Slots[index];
        if (s->InUse && s->Generation == generation) {
            block = s->Block;
            s->Block = NULL;
            s->InUse = FALSE;
            s->Generation++;
            Prov->InUse--;
        }
    }
    NdisReleaseSpinLock(&Prov->Lock);
    return block;
}

/* === Blocks === */

static VOID SgFreeBlock(PSG_PROVIDER Prov, PSG_BLOCK Block)
{
    if (Block->Contiguous)
        MmFreeContiguousMemory(Block->Va);
    else if (Block->Mdl != NULL)
        DeepReleaseMdlPages(Block->Va, Block->Mdl);
    NdisFreeMemoryWithTagPriority(Prov->NdisHandle, Block, SG_TAG_BLOCK);
}

static NDIS_STATUS SgAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                              PNDIS_HANDLE pSharedMemoryProviderContext)
{
    PSG_PROVIDER prov = (PSG_PROVIDER)ProviderContext;
    SIZE_T bytes;
    DEEP_PAGES pages;
    NDIS_HANDLE handle;
    NDIS_STATUS status = DeepValidate(P, NDIS_DEFAULT_VPORT_ID);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    PSG_BLOCK block = NdisAllocateMemoryWithTagPriority(prov->NdisHandle, sizeof(*block),
                                                        SG_TAG_BLOCK, NormalPoolPriority);
    if (block == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(block, sizeof(*block));
    block->Length = P->Length;
    bytes = ROUND_TO_PAGES((SIZE_T)P->Length);
    if (P->Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) {
        block->Va = DeepTakeContiguous(bytes, P->PreferredNode);
        block->Contiguous = block->Va != NULL;
    } else {
        block->Va = DeepTakeMdlPages(bytes, &block->Mdl);
    }
    if (block->Va == NULL) {
        SgFreeBlock(prov, block);
        return NDIS_STATUS_RESOURCES;
    }
    pages = block->Contiguous ? DeepContiguousPages(block->Va) : DeepMdlPages(block->Mdl);
    /* Count before taking a slot, so a list that does not fit needs no undo. */
    if (DeepSgWalk(&pages, block->Length, NULL) >
        (P->SGListBufferLength - sizeof(SCATTER_GATHER_LIST)) / sizeof(SCATTER_GATHER_ELEMENT)) {
        SgFreeBlock(prov, block);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    handle = SgInsert(prov, block);
    if (handle == NULL) {
        SgFreeBlock(prov, block);
        return NDIS_STATUS_RESOURCES;
    }
    status = DeepBuildSgList(&pages, block->Length, P->SGListBuffer, P->SGListBufferLength);
    if (status != NDIS_STATUS_SUCCESS) { /* counted above: cannot happen */
        SgRemove(prov, handle);
        SgFreeBlock(prov, block);
        return status;
    }
    P->VirtualAddress = block->Va;
    P->SharedMemoryHandle = block;
    *pSharedMemoryProviderContext = handle;
    return NDIS_STATUS_SUCCESS;
}

static VOID SgFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    PSG_PROVIDER prov = (PSG_PROVIDER)ProviderContext;
    PSG_BLOCK block = SgRemove(prov, SharedMemoryProviderContext);
    if (block == NULL)
        return; /* stale or foreign handle: nothing of ours */
    SgFreeBlock(prov, block);
}

/* === Plug-in ABI === */

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PSG_PROVIDER prov = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*prov),
                                                          SG_TAG_CTX, NormalPoolPriority);
    if (prov == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(prov, sizeof(*prov));
    prov->NdisHandle = NdisDriverHandle;
    prov->Slots = NdisAllocateMemoryWithTagPriority(
        NdisDriverHandle, SG_INITIAL_SLOTS * sizeof(SG_SLOT), SG_TAG_TABLE, NormalPoolPriority);
    if (prov->Slots == NULL) {
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, SG_TAG_CTX);
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(prov->Slots, SG_INITIAL_SLOTS * sizeof(SG_SLOT));
    prov->Capacity = SG_INITIAL_SLOTS;
    NdisAllocateSpinLock(&prov->Lock);

    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.ProviderContext = prov;
    chars.AllocateSharedMemoryHandler = SgAllocate;
    chars.FreeSharedMemoryHandler = SgFree;
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&prov->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov->Slots, SG_TAG_TABLE);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, SG_TAG_CTX);
        return status;
    }
    g_Provider = prov;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    PSG_PROVIDER prov = g_Provider;
    if (prov == NULL)
        return;
    /* The harness frees every block first; anything left is released here. */
    for (ULONG i = 0; i < prov->Capacity; i++)
        if (prov->Slots[i].InUse)
            SgFreeBlock(prov, prov->Slots[i].Block);
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov->Slots, SG_TAG_TABLE);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, SG_TAG_CTX);
    g_Provider = NULL;
}
