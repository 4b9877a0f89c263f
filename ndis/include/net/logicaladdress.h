/*
 * net/logicaladdress.h -- the logical-address fragment extension of a
 * NetAdapterCx ring (SDK 10.0.22000 net/logicaladdresstypes.h and
 * net/logicaladdress.h): each fragment's buffer as the device addresses it,
 * what a receive driver programs into its descriptors.
 */
#ifndef SHMF_NET_LOGICALADDRESS_H
#define SHMF_NET_LOGICALADDRESS_H

#include <net/extension.h>

SHMF_EXTERN_C_START

typedef struct _NET_FRAGMENT_LOGICAL_ADDRESS {
    UINT64 LogicalAddress; /* do not modify */
} NET_FRAGMENT_LOGICAL_ADDRESS;

SHMF_STATIC_ASSERT(sizeof(NET_FRAGMENT_LOGICAL_ADDRESS) == sizeof(UINT64),
                   "NET_FRAGMENT_LOGICAL_ADDRESS size");

#define NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_NAME L"ms_fragment_logicaladdress"
#define NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_VERSION_1 1U
#define NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_VERSION_1_SIZE sizeof(NET_FRAGMENT_LOGICAL_ADDRESS)

FORCEINLINE NET_FRAGMENT_LOGICAL_ADDRESS *
NetExtensionGetFragmentLogicalAddress(NET_EXTENSION const *Extension, UINT32 Index)
{
    return (NET_FRAGMENT_LOGICAL_ADDRESS *)NetExtensionGetData(Extension, Index);
}

SHMF_EXTERN_C_END
#endif /* SHMF_NET_LOGICALADDRESS_H */
