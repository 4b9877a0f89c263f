/*
 * net/virtualaddress.h -- the virtual-address fragment extension of a
 * NetAdapterCx ring (SDK 10.0.22000 net/virtualaddresstypes.h and
 * net/virtualaddress.h): each fragment's buffer as the driver addresses it.
 */
#ifndef SHMF_NET_VIRTUALADDRESS_H
#define SHMF_NET_VIRTUALADDRESS_H

#include <net/extension.h>

SHMF_EXTERN_C_START

typedef struct _NET_FRAGMENT_VIRTUAL_ADDRESS {
    void *VirtualAddress; /* do not modify */
} NET_FRAGMENT_VIRTUAL_ADDRESS;

SHMF_STATIC_ASSERT(sizeof(NET_FRAGMENT_VIRTUAL_ADDRESS) == sizeof(void *),
                   "NET_FRAGMENT_VIRTUAL_ADDRESS size");

#define NET_FRAGMENT_EXTENSION_VIRTUAL_ADDRESS_NAME L"ms_fragment_virtualaddress"
#define NET_FRAGMENT_EXTENSION_VIRTUAL_ADDRESS_VERSION_1 1U
#define NET_FRAGMENT_EXTENSION_VIRTUAL_ADDRESS_VERSION_1_SIZE sizeof(NET_FRAGMENT_VIRTUAL_ADDRESS)

FORCEINLINE NET_FRAGMENT_VIRTUAL_ADDRESS *
NetExtensionGetFragmentVirtualAddress(NET_EXTENSION const *Extension, UINT32 Index)
{
    return (NET_FRAGMENT_VIRTUAL_ADDRESS *)NetExtensionGetData(Extension, Index);
}

SHMF_EXTERN_C_END
#endif /* SHMF_NET_VIRTUALADDRESS_H */
