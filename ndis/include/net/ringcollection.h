/*
 * net/ringcollection.h -- NET_RING_COLLECTION, the rings of one packet queue,
 * and its accessors: the user-mode subset of the SDK's NetAdapterCx
 * net/ringcollection.h (SDK 10.0.22000).
 */
#ifndef SHMF_NET_RINGCOLLECTION_H
#define SHMF_NET_RINGCOLLECTION_H

#include <net/ring.h>

SHMF_EXTERN_C_START

typedef enum _NET_RING_TYPE SHMF_ENUM_INT {
    NetRingTypePacket = 0,
    NetRingTypeFragment = 1,
    NetRingTypeDataBuffer = 2,
} NET_RING_TYPE;

typedef struct _NET_RING_COLLECTION {
    NET_RING *Rings[NetRingTypeDataBuffer + 1];
} NET_RING_COLLECTION;

FORCEINLINE NET_RING *NetRingCollectionGetPacketRing(NET_RING_COLLECTION const *Rings)
{
    return Rings->Rings[NetRingTypePacket];
}

FORCEINLINE NET_RING *NetRingCollectionGetFragmentRing(NET_RING_COLLECTION const *Rings)
{
    return Rings->Rings[NetRingTypeFragment];
}

FORCEINLINE NET_RING *NetRingCollectionGetDataBufferRing(NET_RING_COLLECTION const *Rings)
{
    return Rings->Rings[NetRingTypeDataBuffer];
}

SHMF_STATIC_ASSERT(sizeof(NET_RING_COLLECTION) == 3 * sizeof(void *), "NET_RING_COLLECTION size");

SHMF_EXTERN_C_END
#endif /* SHMF_NET_RINGCOLLECTION_H */
