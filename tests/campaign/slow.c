/*
 * slow.c -- planted.c's provider with a hang as well, a fixture for the
 * campaign_workers test (tests/campaign.cmake): libFuzzer workers that stop on
 * a crash or a timeout while loading the corpus are restarted without the input,
 * keep fuzzing, and every finding is kept.
 *
 *  - crash (planted.c): Usage == NdisSharedMemoryUsageXmitHeader and a Length
 *    whose low byte is 0x33 writes through a NULL pointer;
 *  - hang: Usage == NdisSharedMemoryUsageOther and Length == 0x7777 spins forever.
 */
#include <ndis.h>

static NDIS_STATUS SlowSetHandlers(NDIS_HANDLE NdisHandle, PNDIS_DRIVER_OPTIONAL_HANDLERS H);
#define NdisSetOptionalHandlers SlowSetHandlers
#include "../../providers/reference/reference.c"
#undef NdisSetOptionalHandlers

static ALLOCATE_SHARED_MEMORY_HANDLER g_InnerAllocate;
static volatile ULONG g_Spin;

static NDIS_STATUS SlowAllocate(NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS P,
                                PNDIS_HANDLE pSharedMemoryProviderContext)
{
    if (P->Usage == NdisSharedMemoryUsageOther && P->Length == 0x7777)
        for (;;)
            g_Spin++;
    if (P->Usage == NdisSharedMemoryUsageXmitHeader && (P->Length & 0xff) == 0x33)
        *(volatile ULONG *)(ULONG_PTR)P->Flags = 1; /* Flags is 0 here: a NULL write */
    return g_InnerAllocate(ProviderContext, P, pSharedMemoryProviderContext);
}

static NDIS_STATUS SlowSetHandlers(NDIS_HANDLE NdisHandle, PNDIS_DRIVER_OPTIONAL_HANDLERS H)
{
    PNDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS c =
        (PNDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS)H;
    g_InnerAllocate = c->AllocateSharedMemoryHandler;
    c->AllocateSharedMemoryHandler = SlowAllocate;
    return NdisSetOptionalHandlers(NdisHandle, H);
}
