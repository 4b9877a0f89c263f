/*
 * deep/vport_refs.c -- the shared-memory provider of an SR-IOV physical
 * function, which also serves the VPorts of its virtual functions.
 *
 * Design.  VPortId 0 is the PF's default VPort; VPorts 1 .. VR_MAX_VPORT
 * belong to VFs.  The PF's own memory lives as long as the miniport and needs
 * no bookkeeping beyond the block list.  A VF's memory must be findable when
 * its VPort is torn down, so every VF VPort in use has a state object
 * (VR_VPORT: its blocks, its byte count), created by the first allocation for
 * that VPort and destroyed when its last reference goes.  References are held
 * by the VPort's blocks and, while it runs, by an allocation in progress: a
 * block is attached to its VPort (listed, referenced) before its SG list is
 * built, so a teardown walking the VPort meanwhile would see it, and detached
 * if the allocation fails after that.  Every block is scattered pages
 * (MmAllocatePagesForMdlEx) or contiguous memory when asked for.  One spin
 * lock guards the VPort table, the VPort states and the block list.
 */
#include "deep_common.h"

#define VR_TAG_BLOCK 'brVD'
#define VR_TAG_VPORT 'vrVD'
#define VR_TAG_CTX 'xrVD'
#define VR_BLOCK_MAGIC 0x56524246u
#define VR_MAX_VPORT 7u

typedef struct _VR_VPORT {
    ULONG Id;
    LONG Refs;         /* blocks attached, plus allocations in progress */
    LIST_ENTRY Blocks; /* VR_BLOCK.VPortLink */
    ULONGLONG Bytes;
} VR_VPORT, *PVR_VPORT;

typedef struct _VR_BLOCK {
    LIST_ENTRY Link;      /* on VR_PROVIDER.Blocks */
    LIST_ENTRY VPortLink; /* on VR_VPORT.Blocks while attached */
    ULONG Magic;
    ULONG VPortId;
    PVR_VPORT VPort; /* NULL for the PF's blocks */
    PMDL Mdl;
    PVOID Va;
    ULONG Length;
    BOOLEAN Contiguous;
} VR_BLOCK, *PVR_BLOCK;

typedef struct _VR_PROVIDER {
    NDIS_HANDLE NdisHandle;
    NDIS_SPIN_LOCK Lock;
    LIST_ENTRY Blocks;
    PVR_VPORT VPorts[VR_MAX_VPORT + 1]; /* [0] unused: the PF */
} VR_PROVIDER, *PVR_PROVIDER;

static PVR_PROVIDER g_Provider;

static ULONG VrMagic(PVR_BLOCK Block)
{
    return VR_BLOCK_MAGIC ^ (ULONG)((ULONG_PTR)Block & 0xffffffffu);
}

/* === VPort states === */

/* A reference on VPort Id's state, created if this is its first user. */
static PVR_VPORT VrVPortAcquire(PVR_PROVIDER Prov, ULONG Id)
{
    PVR_VPORT fresh = NdisAllocateMemoryWithTagPriority(Prov->NdisHandle, sizeof(*fresh),
                                                        VR_TAG_VPORT, NormalPoolPriority);
    PVR_VPORT vp;
    if (fresh != NULL) {
        NdisZeroMemory(fresh, sizeof(*fresh));
        fresh->Id = Id;
        InitializeListHead(&fresh->Blocks);
    }
    NdisAcquireSpinLock(&Prov->Lock);
    vp = Prov->VPorts[Id];
    if (vp == NULL && fresh != NULL) {
        vp = Prov->VPorts[Id] = fresh;
        fresh = NULL;
    }
    if (vp != NULL)
        vp->Refs++;
    NdisReleaseSpinLock(&Prov->Lock);
    if (fresh != NULL)
        NdisFreeMemoryWithTagPriority(Prov->NdisHandle, fresh, VR_TAG_VPORT);
    return vp;
}

/* Drop a reference on VPort Id's state; the last one destroys it. */
static VOID VrVPortRelease(PVR_PROVIDER Prov, ULONG Id)
{
    PVR_VPORT gone = NULL;
    NdisAcquireSpinLock(&Prov->Lock);
    PVR_VPORT vp = Prov->VPorts[Id];
    if (vp != NULL && --vp->Refs == 0) {
        Prov->VPorts[Id] = NULL;
        gone = vp;
    }
    NdisReleaseSpinLock(&Prov->Lock);
    if (gone != NULL)
        NdisFreeMemoryWithTagPriority(Prov->NdisHandle, gone, VR_TAG_VPORT);
}

/* List the block on its VPort; the allocation's reference becomes the block's. */
static VOID VrAttach(PVR_PROVIDER Prov, PVR_BLOCK Block, PVR_VPORT VPort)
{
    NdisAcquireSpinLock(&Prov->Lock);
    InsertTailList(&VPort->Blocks, &Block->VPortLink);
    VPort->Bytes += Block->Length;
    Block->VPort = VPort;
    NdisReleaseSpinLock(&Prov->Lock);
}

/* Unlist the block and drop its reference. */
static VOID VrDetach(PVR_PROVIDER Prov, PVR_BLOCK Block)
{
    PVR_VPORT vp = Block->VPort;
    NdisAcquireSpinLock(&Prov->Lock);
    RemoveEntryList(&Block->VPortLink);
    vp->Bytes -= Block->Length;
    NdisReleaseSpinLock(&Prov->Lock);
    Block->VPort = NULL;
    VrVPortRelease(Prov, Block->VPortId);
}

/* === Memory === */

static NDIS_STATUS VrTakePages(PVR_BLOCK Block, PNDIS_SHARED_MEMORY_PARAMETERS P)
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

static VOID VrReleasePages(PVR_BLOCK Block)
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

static NDIS_STATUS VrAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                              PNDIS_HANDLE pSharedMemoryProviderContext)
{
    PVR_PROVIDER prov = (PVR_PROVIDER)ProviderContext;
    PVR_VPORT vport = NULL;
    DEEP_PAGES pages;
    NDIS_STATUS status = DeepValidate(P, VR_MAX_VPORT);
    if (status != NDIS_STATUS_SUCCESS)
        return status;
    ULONG vportId = DeepVPortOf(P);
    PVR_BLOCK block = NdisAllocateMemoryWithTagPriority(prov->NdisHandle, sizeof(*block),
                                                        VR_TAG_BLOCK, NormalPoolPriority);
    if (block == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(block, sizeof(*block));
    block->Length = P->Length;
    block->VPortId = vportId;
    if (vportId != NDIS_DEFAULT_VPORT_ID) {
        vport = VrVPortAcquire(prov, vportId);
        if (vport == NULL) {
            status = NDIS_STATUS_RESOURCES;
            goto unwind;
        }
    }
    status = VrTakePages(block, P);
    if (status != NDIS_STATUS_SUCCESS)
        goto unwind;
    if (vport != NULL)
        VrAttach(prov, block, vport);
    pages = block->Contiguous ? DeepContiguousPages(block->Va) : DeepMdlPages(block->Mdl);
    status = DeepBuildSgList(&pages, block->Length, P->SGListBuffer, P->SGListBufferLength);
    if (status != NDIS_STATUS_SUCCESS) {
        if (block->VPort != NULL)
            VrDetach(prov, block);
        goto unwind;
    }
    block->Magic = VrMagic(block);
    NdisAcquireSpinLock(&prov->Lock);
    InsertTailList(&prov->Blocks, &block->Link);
    NdisReleaseSpinLock(&prov->Lock);
    P->VirtualAddress = block->Va;
    P->SharedMemoryHandle = block;
    *pSharedMemoryProviderContext = block;
    return NDIS_STATUS_SUCCESS;

unwind:
    VrReleasePages(block);
    if (vport != NULL)
        VrVPortRelease(prov, vportId);
    NdisFreeMemoryWithTagPriority(prov->NdisHandle, block, VR_TAG_BLOCK);
    return status;
}

static VOID VrFreeBlock(PVR_PROVIDER Prov, PVR_BLOCK Block)
{
    if (Block->VPort != NULL)
        VrDetach(Prov, Block);
    VrReleasePages(Block);
    Block->Magic = 0;
    NdisFreeMemoryWithTagPriority(Prov->NdisHandle, Block, VR_TAG_BLOCK);
}

static VOID VrFree(NDIS_HANDLE ProviderContext, NDIS_HANDLE SharedMemoryProviderContext)
{
    PVR_PROVIDER prov = (PVR_PROVIDER)ProviderContext;
    PVR_BLOCK block = (PVR_BLOCK)SharedMemoryProviderContext;
    if (block == NULL || block->Magic != VrMagic(block))
        return; /* not ours: never touch it */
    NdisAcquireSpinLock(&prov->Lock);
    RemoveEntryList(&block->Link);
    NdisReleaseSpinLock(&prov->Lock);
    VrFreeBlock(prov, block);
}

/* === Plug-in ABI === */

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    UNREFERENCED_PARAMETER(DriverContext);
    PVR_PROVIDER prov = NdisAllocateMemoryWithTagPriority(NdisDriverHandle, sizeof(*prov),
                                                          VR_TAG_CTX, NormalPoolPriority);
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
    chars.AllocateSharedMemoryHandler = VrAllocate;
    chars.FreeSharedMemoryHandler = VrFree;
    NDIS_STATUS status =
        NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&prov->Lock);
        NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, VR_TAG_CTX);
        return status;
    }
    g_Provider = prov;
    return NDIS_STATUS_SUCCESS;
}

VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle)
{
    PVR_PROVIDER prov = g_Provider;
    if (prov == NULL)
        return;
    /* The harness frees every block first (VPort states go with their last
       block); anything left is released here. */
    while (!IsListEmpty(&prov->Blocks)) {
        PVR_BLOCK block = CONTAINING_RECORD(RemoveHeadList(&prov->Blocks), VR_BLOCK, Link);
        VrFreeBlock(prov, block);
    }
    NdisFreeSpinLock(&prov->Lock);
    NdisFreeMemoryWithTagPriority(NdisDriverHandle, prov, VR_TAG_CTX);
    g_Provider = NULL;
}
