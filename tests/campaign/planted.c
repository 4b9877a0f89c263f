/*
 * planted.c -- the reference provider with two planted bugs, a fixture for
 * tests/campaign.cmake (campaign collection, dedup, minimization and reports).
 *
 *  - leak-pool: an allocation with Usage == NdisSharedMemoryUsageOther and an
 *    odd Length takes a pool block it never frees (found at unload);
 *  - crash: an allocation with Usage == NdisSharedMemoryUsageXmitHeader and a
 *    Length whose low byte is 0x33 writes through a NULL pointer.
 *
 * It wraps the reference's allocate handler by renaming NdisSetOptionalHandlers
 * while reference.c is compiled into this file.
 */
#include <ndis.h>

static NDIS_STATUS PlantedSetHandlers(NDIS_HANDLE NdisHandle, PNDIS_DRIVER_OPTIONAL_HANDLERS H);
#define NdisSetOptionalHandlers PlantedSetHandlers
#include "../../providers/reference/reference.c"
#undef NdisSetOptionalHandlers

static ALLOCATE_SHARED_MEMORY_HANDLER g_InnerAllocate;
static NDIS_HANDLE g_NdisHandle;

static NDIS_STATUS PlantedAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                                   PNDIS_HANDLE pSharedMemoryProviderContext)
{
    if (P->Usage == NdisSharedMemoryUsageOther && (P->Length & 1))
        (void)NdisAllocateMemoryWithTagPriority(g_NdisHandle, 64, 'kaeL', NormalPoolPriority);
    if (P->Usage == NdisSharedMemoryUsageXmitHeader && (P->Length & 0xff) == 0x33)
        *(volatile ULONG *)(ULONG_PTR)P->Flags = 1; /* Flags is 0 here: a NULL write */
    return g_InnerAllocate(ProviderContext, P, pSharedMemoryProviderContext);
}

static NDIS_STATUS PlantedSetHandlers(NDIS_HANDLE NdisHandle, PNDIS_DRIVER_OPTIONAL_HANDLERS H)
{
    PNDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS c =
        (PNDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS)H;
    g_NdisHandle = NdisHandle;
    g_InnerAllocate = c->AllocateSharedMemoryHandler;
    c->AllocateSharedMemoryHandler = PlantedAllocate;
    return NdisSetOptionalHandlers(NdisHandle, H);
}
