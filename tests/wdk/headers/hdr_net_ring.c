/*
 * hdr_net_ring.c -- every name of <net/ring.h>: NET_RING, its index helpers,
 * and the shmfuzz fragment element with its extension lookup.
 * Compiled as C11 and C++17; never run.
 */
#include <net/ring.h>

int hdr_net_ring_use(NET_RING *Ring);
int hdr_net_ring_use(NET_RING *Ring)
{
    NET_RING const *ring = Ring;
    UINT32 i = ring->BeginIndex;
    UINT32 n = NetRingGetRangeCount(ring, ring->BeginIndex, ring->EndIndex);
    i = NetRingAdvanceIndex(ring, i, n);
    i = NetRingIncrementIndex(ring, i);
    void *element = NetRingGetElementAtIndex(ring, i & ring->ElementIndexMask);
    Ring->NextIndex = Ring->BeginIndex;
    Ring->Scratch = element;
    UINT32 os = Ring->OSReserved0 + Ring->OSReserved1 + (Ring->OSReserved2[0] != NULL);
    UINT32 geometry = Ring->ElementStride + Ring->NumberOfElements + Ring->Buffer[0];
    SHMF_STATIC_ASSERT(SYSTEM_CACHE_ALIGNMENT_SIZE == 64, "SYSTEM_CACHE_ALIGNMENT_SIZE");

    SHMF_NET_FRAGMENT_SHM *f = ShmfNetRingGetFragmentShmAtIndex(ring, i);
    UINT32 hw[] = {SHMF_HW_IDLE, SHMF_HW_POSTED, SHMF_HW_DONE};
    f->Fragment.ValidLength = f->HardwareLength;
    f->HardwareStatus = hw[0];
    UINT64 la = f->LogicalAddress + f->SharedMemoryOffset + f->SharedMemoryLength;
    PVOID va = f->VirtualAddress;
    NDIS_HANDLE smh = f->SharedMemoryHandle;

    NET_EXTENSION_QUERY query;
    NET_EXTENSION extension;
    NET_EXTENSION_QUERY_INIT(&query, NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_NAME,
                             NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_VERSION_1,
                             NetExtensionTypeFragment);
    ShmfNetRingGetExtension(ring, &query, &extension);
    (void)hw;
    (void)va;
    (void)smh;
    return (int)(os + geometry + la + extension.Enabled);
}
