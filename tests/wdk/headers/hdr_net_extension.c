/*
 * hdr_net_extension.c -- every name of <net/extension.h>.
 * Compiled as C11 and C++17; never run.
 */
#include <net/extension.h>

int hdr_net_extension_use(NET_EXTENSION const *Extension, PCWSTR Name);
int hdr_net_extension_use(NET_EXTENSION const *Extension, PCWSTR Name)
{
    NET_EXTENSION_TYPE types[] = {NetExtensionTypePacket, NetExtensionTypeFragment,
                                  NetExtensionTypeBuffer};
    NET_EXTENSION_QUERY query;
    NET_EXTENSION_QUERY_INIT(&query, Name, 1, NetExtensionTypePacket);
    void *data = Extension->Enabled ? NetExtensionGetData(Extension, 3) : Extension->Reserved1;
    (void)types;
    return data != NULL && query.Size == sizeof(query) && query.Name == Name &&
           query.Version == 1 && query.Type == NetExtensionTypePacket;
}
