/*
 * deep/deep_common.h -- helpers the deep-tier providers share, as a driver's
 * own utility header would: parameter validation as NDIS leaves it to the
 * provider, backing pages, and SG lists built from the pages that really back
 * a block.  Sees only <ndis.h>, like the providers themselves.
 *
 * Every helper here is correct; the deep-tier providers (docs/planted-bugs.md,
 * "Deep tier") each carry one bug of their own in their own code.
 */
#ifndef DEEP_COMMON_H
#define DEEP_COMMON_H

#include <ndis.h>

#define DEEP_MAX_LENGTH (4u * 1024 * 1024) /* largest block a deep provider serves */

FORCEINLINE PHYSICAL_ADDRESS DeepAddr(LONGLONG Value)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = Value;
    return a;
}

FORCEINLINE BOOLEAN DeepIsReceiveUsage(NDIS_SHARED_MEMORY_USAGE Usage)
{
    return (ULONG)Usage >= (ULONG)NdisSharedMemoryUsageReceive &&
           (ULONG)Usage <= (ULONG)NdisSharedMemoryUsageReceiveData;
}

/* What NDIS leaves to the provider.  MaxVPort: the highest VPortId this
   provider serves (0, the default VPort, for a VMQ provider; an SR-IOV PF's
   provider also serves its VFs' VPorts).  VPortId exists from revision 2 on. */
FORCEINLINE NDIS_STATUS DeepValidate(PNDIS_SHARED_MEMORY_PARAMETERS P, ULONG MaxVPort)
{
    if (P->Flags & ~(ULONG)NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS)
        return NDIS_STATUS_INVALID_PARAMETER;
    if ((ULONG)P->Usage >= (ULONG)NdisSharedMemoryUsageMax)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->Length == 0 || P->Length > DEEP_MAX_LENGTH)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->PreferredNode != MM_ANY_NODE_OK && P->PreferredNode > KeQueryHighestNodeNumber())
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->Header.Revision >= NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
        P->Header.Size >= NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2 && P->VPortId > MaxVPort)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (P->SGListBuffer == NULL || P->SGListBufferLength < sizeof(SCATTER_GATHER_LIST))
        return NDIS_STATUS_INVALID_PARAMETER;
    return NDIS_STATUS_SUCCESS;
}

/* The VPort of a request: VPortId when the block has one (revision 2). */
FORCEINLINE ULONG DeepVPortOf(PNDIS_SHARED_MEMORY_PARAMETERS P)
{
    if (P->Header.Revision >= NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
        P->Header.Size >= NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2)
        return P->VPortId;
    return NDIS_DEFAULT_VPORT_ID;
}

/* === Backing pages === */

/* Scattered pages, mapped in system space; NULL (nothing held) on failure. */
FORCEINLINE PVOID DeepTakeMdlPages(SIZE_T Bytes, PMDL *Mdl)
{
    PVOID va;
    *Mdl = MmAllocatePagesForMdlEx(DeepAddr(0), DeepAddr((LONGLONG)MAXULONG64), DeepAddr(0), Bytes,
                                   MmCached, MM_ALLOCATE_FULLY_REQUIRED);
    if (*Mdl == NULL)
        return NULL;
    va = MmGetSystemAddressForMdlSafe(*Mdl, NormalPagePriority | MdlMappingNoExecute);
    if (va == NULL) {
        MmFreePagesFromMdl(*Mdl);
        ExFreePool(*Mdl);
        *Mdl = NULL;
    }
    return va;
}

FORCEINLINE VOID DeepReleaseMdlPages(PVOID Va, PMDL Mdl)
{
    MmUnmapLockedPages(Va, Mdl);
    MmFreePagesFromMdl(Mdl);
    ExFreePool(Mdl);
}

FORCEINLINE PVOID DeepTakeContiguous(SIZE_T Bytes, NODE_REQUIREMENT Node)
{
    return MmAllocateContiguousNodeMemory(Bytes, DeepAddr(0), DeepAddr((LONGLONG)MAXULONG64),
                                          DeepAddr(0), PAGE_READWRITE, Node);
}

/* === SG lists === */

/* The pages of a block: an MDL's PFN array (from its first page), or one
   physically contiguous range starting at logical address Base. */
typedef struct _DEEP_PAGES {
    PPFN_NUMBER Pfns;
    LONGLONG Base;
} DEEP_PAGES;

FORCEINLINE DEEP_PAGES DeepMdlPages(PMDL Mdl)
{
    DEEP_PAGES pg;
    pg.Pfns = MmGetMdlPfnArray(Mdl);
    pg.Base = 0;
    return pg;
}

FORCEINLINE DEEP_PAGES DeepContiguousPages(PVOID Va)
{
    DEEP_PAGES pg;
    pg.Pfns = NULL;
    pg.Base = MmGetPhysicalAddress(Va).QuadPart;
    return pg;
}

/* Logical address of byte Offset. */
FORCEINLINE LONGLONG DeepPhys(const DEEP_PAGES *Pg, ULONG Offset)
{
    if (Pg->Pfns == NULL)
        return Pg->Base + Offset;
    return (LONGLONG)((Pg->Pfns[Offset >> PAGE_SHIFT] << PAGE_SHIFT) | (Offset & (PAGE_SIZE - 1)));
}

/* Walk Length bytes, merging physically adjacent pages into one element.
   Writes the elements only when Sg is not NULL; returns the element count. */
FORCEINLINE ULONG DeepSgWalk(const DEEP_PAGES *Pg, ULONG Length, PSCATTER_GATHER_LIST Sg)
{
    ULONG count = 0;
    LONGLONG runEnd = -1;
    for (ULONG off = 0; off < Length; off = (off & ~(ULONG)(PAGE_SIZE - 1)) + PAGE_SIZE) {
        LONGLONG pa = DeepPhys(Pg, off);
        ULONG chunk = PAGE_SIZE - (off & (PAGE_SIZE - 1));
        if (chunk > Length - off)
            chunk = Length - off;
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

/* Build the list in the caller's buffer; counts first, so nothing is written
   unless the whole list fits in SgLength bytes. */
FORCEINLINE NDIS_STATUS DeepBuildSgList(const DEEP_PAGES *Pg, ULONG Length, PSCATTER_GATHER_LIST Sg,
                                        ULONG SgLength)
{
    ULONG capacity =
        (ULONG)((SgLength - sizeof(SCATTER_GATHER_LIST)) / sizeof(SCATTER_GATHER_ELEMENT));
    ULONG count = DeepSgWalk(Pg, Length, NULL);
    if (count > capacity)
        return NDIS_STATUS_INVALID_PARAMETER;
    DeepSgWalk(Pg, Length, Sg);
    Sg->NumberOfElements = count;
    Sg->Reserved = 0;
    return NDIS_STATUS_SUCCESS;
}

#endif /* DEEP_COMMON_H */
