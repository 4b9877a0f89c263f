/*
 * hdr_net_ringcollection.c -- every name of <net/ringcollection.h>.
 * Compiled as C11 and C++17; never run.
 */
#include <net/ringcollection.h>

int hdr_net_ringcollection_use(NET_RING_COLLECTION const *Rings);
int hdr_net_ringcollection_use(NET_RING_COLLECTION const *Rings)
{
    NET_RING_TYPE types[] = {NetRingTypePacket, NetRingTypeFragment, NetRingTypeDataBuffer};
    NET_RING *pr = NetRingCollectionGetPacketRing(Rings);
    NET_RING *fr = NetRingCollectionGetFragmentRing(Rings);
    NET_RING *dr = NetRingCollectionGetDataBufferRing(Rings);
    (void)types;
    return pr == Rings->Rings[NetRingTypePacket] && fr != NULL && dr == NULL;
}
