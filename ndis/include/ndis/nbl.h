/*
 * ndis/nbl.h -- shared memory as a received NET_BUFFER names it (the WDK's
 * ndis/nbl.h, NDIS 6.20): NET_BUFFER_SHARED_MEMORY and its accessor macros.
 * Part of <ndis.h>; include that, not this file.
 *
 * NET_BUFFER and NET_BUFFER_LIST are declared but not defined: shmfuzz runs
 * no NDIS data path, so a provider may name them (in handler signatures, in
 * its own structures) but not look inside them.
 */
/* Included alone, this file first includes <ndis.h>, which includes it in its
   place among the other parts. */
#ifndef SHMF_NDIS_NBL_H
#include <ndis.h>
#endif
#ifndef SHMF_NDIS_NBL_H
#define SHMF_NDIS_NBL_H

SHMF_EXTERN_C_START

typedef struct _NET_BUFFER NET_BUFFER, *PNET_BUFFER;
typedef struct _NET_BUFFER_LIST NET_BUFFER_LIST, *PNET_BUFFER_LIST;

/* One segment of a receive buffer in shared memory: the block's
   SharedMemoryHandle and the bytes [SharedMemoryOffset, +SharedMemoryLength)
   inside it.  Segments chain through NextSharedMemorySegment (NULL-terminated),
   e.g. a lookahead segment followed by its post-lookahead segment. */
typedef struct _NET_BUFFER_SHARED_MEMORY NET_BUFFER_SHARED_MEMORY, *PNET_BUFFER_SHARED_MEMORY;
struct _NET_BUFFER_SHARED_MEMORY {
    PNET_BUFFER_SHARED_MEMORY NextSharedMemorySegment;
    ULONG SharedMemoryFlags; /* reserved, 0 */
    NDIS_HANDLE SharedMemoryHandle;
    ULONG SharedMemoryOffset;
    ULONG SharedMemoryLength;
};

#define NET_BUFFER_SHARED_MEM_NEXT_SEGMENT(_SHI) ((_SHI)->NextSharedMemorySegment)
#define NET_BUFFER_SHARED_MEM_FLAGS(_SHI) ((_SHI)->SharedMemoryFlags)
#define NET_BUFFER_SHARED_MEM_HANDLE(_SHI) ((_SHI)->SharedMemoryHandle)
#define NET_BUFFER_SHARED_MEM_OFFSET(_SHI) ((_SHI)->SharedMemoryOffset)
#define NET_BUFFER_SHARED_MEM_LENGTH(_SHI) ((_SHI)->SharedMemoryLength)

/* NdisMIndicateReceiveNetBufferLists flag: the NET_BUFFERs carry valid
   NET_BUFFER_SHARED_MEMORY information. */
#define NDIS_RECEIVE_FLAGS_SHARED_MEMORY_INFO_VALID 0x00001000

/* Layout pinned to the WDK's x64 values. */
SHMF_STATIC_ASSERT(sizeof(NET_BUFFER_SHARED_MEMORY) == 0x20, "NET_BUFFER_SHARED_MEMORY size");
SHMF_STATIC_ASSERT(offsetof(NET_BUFFER_SHARED_MEMORY, NextSharedMemorySegment) == 0,
                   "NET_BUFFER_SHARED_MEMORY.NextSharedMemorySegment");
SHMF_STATIC_ASSERT(offsetof(NET_BUFFER_SHARED_MEMORY, SharedMemoryFlags) == 0x8,
                   "NET_BUFFER_SHARED_MEMORY.SharedMemoryFlags");
SHMF_STATIC_ASSERT(offsetof(NET_BUFFER_SHARED_MEMORY, SharedMemoryHandle) == 0x10,
                   "NET_BUFFER_SHARED_MEMORY.SharedMemoryHandle");
SHMF_STATIC_ASSERT(offsetof(NET_BUFFER_SHARED_MEMORY, SharedMemoryOffset) == 0x18,
                   "NET_BUFFER_SHARED_MEMORY.SharedMemoryOffset");
SHMF_STATIC_ASSERT(offsetof(NET_BUFFER_SHARED_MEMORY, SharedMemoryLength) == 0x1C,
                   "NET_BUFFER_SHARED_MEMORY.SharedMemoryLength");

SHMF_EXTERN_C_END
#endif /* SHMF_NDIS_NBL_H */
