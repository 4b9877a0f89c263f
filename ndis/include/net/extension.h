/*
 * net/extension.h -- NET_EXTENSION, a per-element extension of a NetAdapterCx
 * ring (SDK 10.0.22000 net/extension.h), and the query a driver makes for one
 * (NET_EXTENSION_QUERY, from netadapterpacket.h), with the WDK's names and x64
 * layout.
 *
 * Reserved[0] is the address of element 0's extension data and Reserved[1]
 * the stride between elements; NetExtensionGetData reads them.  A disabled
 * extension (the ring does not carry it) has Enabled FALSE.  On a shmfuzz
 * ring, ShmfNetRingGetExtension (net/ring.h) fills one in.
 */
#ifndef SHMF_NET_EXTENSION_H
#define SHMF_NET_EXTENSION_H

#include <ndis.h>

SHMF_EXTERN_C_START

typedef enum _NET_EXTENSION_TYPE SHMF_ENUM_INT {
    NetExtensionTypePacket = 1,
    NetExtensionTypeFragment,
    NetExtensionTypeBuffer,
} NET_EXTENSION_TYPE;

typedef struct _NET_EXTENSION {
    void *Reserved[4];
    union {
        BOOLEAN Enabled;
        void *Reserved1;
    };
} NET_EXTENSION;

SHMF_STATIC_ASSERT(sizeof(NET_EXTENSION) == 40, "NET_EXTENSION size");
SHMF_STATIC_ASSERT(NetExtensionTypeBuffer == 3, "NetExtensionTypeBuffer");

/* The extension data of element Index. */
FORCEINLINE void *NetExtensionGetData(NET_EXTENSION const *Extension, UINT32 Index)
{
    return (void *)((unsigned char *)Extension->Reserved[0] +
                    (SIZE_T)Extension->Reserved[1] * Index);
}

typedef struct _NET_EXTENSION_QUERY {
    ULONG Size;
    PCWSTR Name;
    ULONG Version;
    NET_EXTENSION_TYPE Type;
} NET_EXTENSION_QUERY;

FORCEINLINE VOID NET_EXTENSION_QUERY_INIT(NET_EXTENSION_QUERY *Extension, PCWSTR Name,
                                          ULONG Version, NET_EXTENSION_TYPE Type)
{
    RtlZeroMemory(Extension, sizeof(*Extension));
    Extension->Size = sizeof(*Extension);
    Extension->Name = Name;
    Extension->Version = Version;
    Extension->Type = Type;
}

SHMF_EXTERN_C_END
#endif /* SHMF_NET_EXTENSION_H */
