/*
 * hdr_net_checksum.c -- every name of <net/checksum.h>.
 * Compiled as C11 and C++17; never run.
 */
#include <net/checksum.h>

int hdr_net_checksum_use(NET_EXTENSION const *Extension, UINT32 Index);
int hdr_net_checksum_use(NET_EXTENSION const *Extension, UINT32 Index)
{
    NET_EXTENSION_QUERY query;
    NET_EXTENSION_QUERY_INIT(&query, NET_PACKET_EXTENSION_CHECKSUM_NAME,
                             NET_PACKET_EXTENSION_CHECKSUM_VERSION_1, NetExtensionTypePacket);
    NET_PACKET_CHECKSUM *checksum = NetExtensionGetPacketChecksum(Extension, Index);
    NET_PACKET_TX_CHECKSUM_ACTION tx[] = {NetPacketTxChecksumActionPassthrough,
                                          NetPacketTxChecksumActionRequired};
    NET_PACKET_RX_CHECKSUM_EVALUATION rx[] = {NetPacketRxChecksumEvaluationNotChecked,
                                              NetPacketRxChecksumEvaluationValid,
                                              NetPacketRxChecksumEvaluationInvalid};
    checksum->Layer2 = NetPacketRxChecksumEvaluationValid;
    checksum->Layer3 = NetPacketRxChecksumEvaluationInvalid;
    checksum->Layer4 = NetPacketRxChecksumEvaluationNotChecked;
    checksum->Reserved = 0;
    (void)tx;
    (void)rx;
    return (int)(NET_PACKET_EXTENSION_CHECKSUM_VERSION_1_SIZE + query.Version);
}
