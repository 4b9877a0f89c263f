/*
 * hdr_net_packet.c -- every name of <net/packet.h>: NET_PACKET, its layout
 * and the layer types, as a receive path fills them.
 * Compiled as C11 and C++17; never run.
 */
#include <net/packet.h>

int hdr_net_packet_use(NET_RING const *PacketRing, UINT32 Index);
int hdr_net_packet_use(NET_RING const *PacketRing, UINT32 Index)
{
    NET_PACKET *packet = NetRingGetPacketAtIndex(PacketRing, Index);
    NET_PACKET_LAYOUT *layout = &packet->Layout;
    NET_PACKET_LAYER2_TYPE l2[] = {NetPacketLayer2TypeUnspecified, NetPacketLayer2TypeNull,
                                   NetPacketLayer2TypeEthernet, NetPacketLayer2TypeIeee80211};
    NET_PACKET_LAYER3_TYPE l3[] = {NetPacketLayer3TypeUnspecified,
                                   NetPacketLayer3TypeIPv4UnspecifiedOptions,
                                   NetPacketLayer3TypeIPv4WithOptions,
                                   NetPacketLayer3TypeIPv4NoOptions,
                                   NetPacketLayer3TypeIPv6UnspecifiedExtensions,
                                   NetPacketLayer3TypeIPv6WithExtensions,
                                   NetPacketLayer3TypeIPv6NoExtensions};
    NET_PACKET_LAYER4_TYPE l4[] = {NetPacketLayer4TypeUnspecified, NetPacketLayer4TypeTcp,
                                   NetPacketLayer4TypeUdp, NetPacketLayer4TypeIPFragment,
                                   NetPacketLayer4TypeIPNotFragment};
    packet->FragmentIndex = Index;
    packet->FragmentCount = 1;
    layout->Layer2Type = NetPacketLayer2TypeEthernet;
    layout->Layer2HeaderLength = 14;
    layout->Layer3Type = NetPacketLayer3TypeIPv4UnspecifiedOptions;
    layout->Layer3HeaderLength = 20;
    layout->Layer4Type = NetPacketLayer4TypeTcp;
    layout->Layer4HeaderLength = 20;
    layout->Reserved0 = 0;
    packet->Ignore = 0;
    packet->Scratch = 0;
    packet->Reserved1 = 0;
    BOOLEAN ip = (BOOLEAN)(NetPacketIsIpv4(packet) || NetPacketIsIpv6(packet));
    void *ext = NetPacketGetExtension(packet, sizeof(NET_PACKET));
    (void)l2;
    (void)l3;
    (void)l4;
    (void)ext;
    return ip;
}
