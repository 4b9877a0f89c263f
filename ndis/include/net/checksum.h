/*
 * net/checksum.h -- the checksum packet extension of a NetAdapterCx ring
 * (SDK 10.0.22000 net/checksumtypes.h and net/checksum.h): per packet, what
 * receive hardware concluded about each layer's checksum, or what transmit
 * hardware must compute.
 *
 * shmfuzz rings carry no packet extensions: ShmfNetRingGetExtension returns
 * this one disabled, as NetAdapterCx does when checksum offload is off.
 */
#ifndef SHMF_NET_CHECKSUM_H
#define SHMF_NET_CHECKSUM_H

#include <net/extension.h>

SHMF_EXTERN_C_START

typedef enum _NET_PACKET_TX_CHECKSUM_ACTION SHMF_ENUM_INT {
    NetPacketTxChecksumActionPassthrough = 0,
    NetPacketTxChecksumActionRequired = 2,
} NET_PACKET_TX_CHECKSUM_ACTION;

typedef enum _NET_PACKET_RX_CHECKSUM_EVALUATION SHMF_ENUM_INT {
    NetPacketRxChecksumEvaluationNotChecked = 0,
    NetPacketRxChecksumEvaluationValid = 1,
    NetPacketRxChecksumEvaluationInvalid = 2,
} NET_PACKET_RX_CHECKSUM_EVALUATION;

/* Each field is a NET_PACKET_TX_CHECKSUM_ACTION (transmit) or a
   NET_PACKET_RX_CHECKSUM_EVALUATION (receive). */
typedef struct _NET_PACKET_CHECKSUM {
    UINT8 Layer2 : 2;
    UINT8 Layer3 : 2;
    UINT8 Layer4 : 2;
    UINT8 Reserved : 2;
} NET_PACKET_CHECKSUM;

SHMF_STATIC_ASSERT(sizeof(NET_PACKET_CHECKSUM) == 1, "NET_PACKET_CHECKSUM size");

#define NET_PACKET_EXTENSION_CHECKSUM_NAME L"ms_packet_checksum"
#define NET_PACKET_EXTENSION_CHECKSUM_VERSION_1 1U
#define NET_PACKET_EXTENSION_CHECKSUM_VERSION_1_SIZE sizeof(NET_PACKET_CHECKSUM)

FORCEINLINE NET_PACKET_CHECKSUM *NetExtensionGetPacketChecksum(NET_EXTENSION const *Extension,
                                                               UINT32 Index)
{
    return (NET_PACKET_CHECKSUM *)NetExtensionGetData(Extension, Index);
}

SHMF_EXTERN_C_END
#endif /* SHMF_NET_CHECKSUM_H */
