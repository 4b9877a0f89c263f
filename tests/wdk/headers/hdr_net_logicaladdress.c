/*
 * hdr_net_logicaladdress.c -- every name of <net/logicaladdress.h>.
 * Compiled as C11 and C++17; never run.
 */
#include <net/logicaladdress.h>

int hdr_net_logicaladdress_use(NET_EXTENSION const *Extension, UINT32 Index);
int hdr_net_logicaladdress_use(NET_EXTENSION const *Extension, UINT32 Index)
{
    NET_EXTENSION_QUERY query;
    NET_EXTENSION_QUERY_INIT(&query, NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_NAME,
                             NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_VERSION_1,
                             NetExtensionTypeFragment);
    NET_FRAGMENT_LOGICAL_ADDRESS const *a = NetExtensionGetFragmentLogicalAddress(Extension, Index);
    SIZE_T size = NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_VERSION_1_SIZE;
    return a->LogicalAddress != 0 && size == sizeof(*a) && query.Version == 1;
}
