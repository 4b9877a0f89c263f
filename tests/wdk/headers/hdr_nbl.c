/*
 * hdr_nbl.c -- every name of <ndis/nbl.h>: NET_BUFFER_SHARED_MEMORY chained as
 * a lookahead and a post-lookahead segment, through the accessor macros.
 * Compiled as C11 and C++17; never run.
 */
#include <ndis.h>

int hdr_nbl_use(NDIS_HANDLE SharedMemoryHandle, PNET_BUFFER Nb, PNET_BUFFER_LIST Nbl);
int hdr_nbl_use(NDIS_HANDLE SharedMemoryHandle, PNET_BUFFER Nb, PNET_BUFFER_LIST Nbl)
{
    NET_BUFFER_SHARED_MEMORY lookahead, post;
    PNET_BUFFER_SHARED_MEMORY segment = &lookahead;
    NET_BUFFER *nb = Nb;
    NET_BUFFER_LIST *nbl = Nbl;

    NET_BUFFER_SHARED_MEM_NEXT_SEGMENT(&lookahead) = &post;
    NET_BUFFER_SHARED_MEM_FLAGS(&lookahead) = 0;
    NET_BUFFER_SHARED_MEM_HANDLE(&lookahead) = SharedMemoryHandle;
    NET_BUFFER_SHARED_MEM_OFFSET(&lookahead) = 0;
    NET_BUFFER_SHARED_MEM_LENGTH(&lookahead) = 128;
    post.NextSharedMemorySegment = NULL;
    post.SharedMemoryFlags = 0;
    post.SharedMemoryHandle = SharedMemoryHandle;
    post.SharedMemoryOffset = 128;
    post.SharedMemoryLength = 1386;

    ULONG total = 0;
    for (; segment != NULL; segment = NET_BUFFER_SHARED_MEM_NEXT_SEGMENT(segment))
        total += segment->SharedMemoryLength;
    ULONG flags = NDIS_RECEIVE_FLAGS_SHARED_MEMORY_INFO_VALID;
    (void)nb;
    (void)nbl;
    return (int)(total + flags);
}
