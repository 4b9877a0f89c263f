/*
 * net/packet.h -- NET_PACKET, its layout and the packet layer types, the
 * user-mode subset of the SDK's NetAdapterCx net/packet.h (SDK 10.0.22000),
 * with the WDK's names, values and x64 layout.  NetRingGetPacketAtIndex comes
 * with it.
 */
#ifndef SHMF_NET_PACKET_H
#define SHMF_NET_PACKET_H

#include <ndis.h>

SHMF_EXTERN_C_START

/* === Packet layer types (NET_PACKET_LAYOUT.Layer2Type / Layer3Type / Layer4Type) === */

typedef enum _NET_PACKET_LAYER2_TYPE SHMF_ENUM_INT {
    NetPacketLayer2TypeUnspecified,
    NetPacketLayer2TypeNull,
    NetPacketLayer2TypeEthernet,
    NetPacketLayer2TypeIeee80211,
} NET_PACKET_LAYER2_TYPE;

typedef enum _NET_PACKET_LAYER3_TYPE SHMF_ENUM_INT {
    NetPacketLayer3TypeUnspecified,
    NetPacketLayer3TypeIPv4UnspecifiedOptions,
    NetPacketLayer3TypeIPv4WithOptions,
    NetPacketLayer3TypeIPv4NoOptions,
    NetPacketLayer3TypeIPv6UnspecifiedExtensions,
    NetPacketLayer3TypeIPv6WithExtensions,
    NetPacketLayer3TypeIPv6NoExtensions,
} NET_PACKET_LAYER3_TYPE;

typedef enum _NET_PACKET_LAYER4_TYPE SHMF_ENUM_INT {
    NetPacketLayer4TypeUnspecified,
    NetPacketLayer4TypeTcp,
    NetPacketLayer4TypeUdp,
    NetPacketLayer4TypeIPFragment,
    NetPacketLayer4TypeIPNotFragment,
} NET_PACKET_LAYER4_TYPE;

SHMF_STATIC_ASSERT(NetPacketLayer2TypeEthernet == 2, "NetPacketLayer2TypeEthernet");
SHMF_STATIC_ASSERT(NetPacketLayer3TypeIPv6NoExtensions == 6, "NetPacketLayer3TypeIPv6NoExtensions");
SHMF_STATIC_ASSERT(NetPacketLayer4TypeIPNotFragment == 4, "NetPacketLayer4TypeIPNotFragment");

/* 5 bytes of bit fields.  The SDK declares the two first header lengths as
   UINT16 bit fields (7 and 9 bits) and the rest as UINT8 ones, inside
   #include <pshpack1.h>, which is what packs them into 5 bytes; GCC-packed bit
   fields with a UINT8 first field give the same bits. */
typedef struct __attribute__((packed)) _NET_PACKET_LAYOUT {
    UINT8 Layer2HeaderLength : 7;
    UINT16 Layer3HeaderLength : 9;
    UINT8 Layer4HeaderLength : 8;
    UINT8 Layer2Type : 4;
    UINT8 Layer3Type : 4;
    UINT8 Layer4Type : 4;
    UINT8 Reserved0 : 4;
} NET_PACKET_LAYOUT;

typedef struct _NET_PACKET {
    /* First fragment of the packet in the fragment ring. */
    UINT32 FragmentIndex;
    /* Number of fragments; non-zero for a received packet that is not ignored. */
    UINT16 FragmentCount;
    NET_PACKET_LAYOUT Layout;
    /* Set by the driver on a packet the OS must drop (Rx cancel). */
    UINT8 Ignore : 1;
    /* Free for the driver's use. */
    UINT8 Scratch : 1;
    UINT8 Reserved1 : 6;
} NET_PACKET;

SHMF_STATIC_ASSERT(sizeof(NET_PACKET_LAYOUT) == 5, "NET_PACKET_LAYOUT size");
SHMF_STATIC_ASSERT(sizeof(NET_PACKET) == 12, "NET_PACKET size");
SHMF_STATIC_ASSERT(offsetof(NET_PACKET, FragmentCount) == 4, "NET_PACKET.FragmentCount");
SHMF_STATIC_ASSERT(offsetof(NET_PACKET, Layout) == 6, "NET_PACKET.Layout");

SHMF_EXTERN_C_END

/* NET_RING after the element types: net/ring.h's own sections use them. */
#include <net/ring.h>

SHMF_EXTERN_C_START

FORCEINLINE NET_PACKET *NetRingGetPacketAtIndex(NET_RING const *Ring, UINT32 Index)
{
    return (NET_PACKET *)NetRingGetElementAtIndex(Ring, Index);
}

FORCEINLINE BOOLEAN NetPacketIsIpv4(NET_PACKET const *Packet)
{
    return (BOOLEAN)(Packet->Layout.Layer3Type == NetPacketLayer3TypeIPv4NoOptions ||
                     Packet->Layout.Layer3Type == NetPacketLayer3TypeIPv4UnspecifiedOptions ||
                     Packet->Layout.Layer3Type == NetPacketLayer3TypeIPv4WithOptions);
}

FORCEINLINE BOOLEAN NetPacketIsIpv6(NET_PACKET const *Packet)
{
    return (BOOLEAN)(Packet->Layout.Layer3Type == NetPacketLayer3TypeIPv6NoExtensions ||
                     Packet->Layout.Layer3Type == NetPacketLayer3TypeIPv6UnspecifiedExtensions ||
                     Packet->Layout.Layer3Type == NetPacketLayer3TypeIPv6WithExtensions);
}

/* Address of a packet extension stored Offset bytes after the packet. */
FORCEINLINE void *NetPacketGetExtension(NET_PACKET const *Packet, SIZE_T Offset)
{
    return (void *)((unsigned char *)Packet + Offset);
}

SHMF_EXTERN_C_END
#endif /* SHMF_NET_PACKET_H */
