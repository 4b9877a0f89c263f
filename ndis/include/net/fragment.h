/*
 * net/fragment.h -- NET_FRAGMENT, the user-mode subset of the SDK's
 * NetAdapterCx net/fragment.h (SDK 10.0.22000), with the WDK's bit layout.
 * NetRingGetFragmentAtIndex comes with it.
 */
#ifndef SHMF_NET_FRAGMENT_H
#define SHMF_NET_FRAGMENT_H

#include <ndis.h>

SHMF_EXTERN_C_START

typedef struct _NET_FRAGMENT {
    /* Bytes of valid data, written by the driver for a received fragment. */
    UINT64 ValidLength : 26;
    /* Bytes the fragment's buffer can hold, written by the OS when it posts. */
    UINT64 Capacity : 26;
    /* Offset of the valid data in the buffer. */
    UINT64 Offset : 10;
    /* Free for the driver's use. */
    UINT64 Scratch : 1;
    UINT64 OsReserved_Bounced : 1;
} NET_FRAGMENT;

SHMF_STATIC_ASSERT(sizeof(NET_FRAGMENT) == 8, "NET_FRAGMENT size");

SHMF_EXTERN_C_END

/* NET_RING after the element types: net/ring.h's own sections use them. */
#include <net/ring.h>

SHMF_EXTERN_C_START

FORCEINLINE NET_FRAGMENT *NetRingGetFragmentAtIndex(NET_RING const *Ring, UINT32 Index)
{
    return (NET_FRAGMENT *)NetRingGetElementAtIndex(Ring, Index);
}

SHMF_EXTERN_C_END
#endif /* SHMF_NET_FRAGMENT_H */
