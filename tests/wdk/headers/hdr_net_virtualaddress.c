/*
 * hdr_net_virtualaddress.c -- every name of <net/virtualaddress.h>.
 * Compiled as C11 and C++17; never run.
 */
#include <net/virtualaddress.h>

int hdr_net_virtualaddress_use(NET_EXTENSION const *Extension, UINT32 Index);
int hdr_net_virtualaddress_use(NET_EXTENSION const *Extension, UINT32 Index)
{
    NET_EXTENSION_QUERY query;
    NET_EXTENSION_QUERY_INIT(&query, NET_FRAGMENT_EXTENSION_VIRTUAL_ADDRESS_NAME,
                             NET_FRAGMENT_EXTENSION_VIRTUAL_ADDRESS_VERSION_1,
                             NetExtensionTypeFragment);
    NET_FRAGMENT_VIRTUAL_ADDRESS const *a = NetExtensionGetFragmentVirtualAddress(Extension, Index);
    SIZE_T size = NET_FRAGMENT_EXTENSION_VIRTUAL_ADDRESS_VERSION_1_SIZE;
    return a->VirtualAddress != 0 && size == sizeof(*a) && query.Version == 1;
}
