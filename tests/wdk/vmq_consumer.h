/*
 * vmq_consumer.h -- the receive-memory side of a VMQ miniport, written in the
 * shape of the WDK's virtual miniport sample (netvmini, 6x/vmq.c) but our own
 * code: it asks NdisAllocateSharedMemory (revision 1, a page-sized SG buffer)
 * for a queue's receive buffers, halving the request when it fails, carves
 * each allocation into buffers described by a two-segment
 * NET_BUFFER_SHARED_MEMORY chain (lookahead, then the rest) and an MDL chain,
 * and gives everything back with NdisFreeSharedMemory on unwind and on free.
 *
 * Like a miniport it sees only <ndis.h>.  All routines run at PASSIVE_LEVEL.
 */
#ifndef SHMF_VMQ_CONSUMER_H
#define SHMF_VMQ_CONSUMER_H

#include <ndis.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _VMQ_RX_QUEUE VMQ_RX_QUEUE, *PVMQ_RX_QUEUE;

/* Allocate Count receive buffers of BufferSize bytes for QueueId, the first
   LookaheadSize bytes of each in a segment of their own.  On success *Queue
   holds at least VMQ_MIN_BUFFERS buffers (fewer than Count when memory ran
   short); on failure everything allocated was freed and *Queue is NULL.
   @return NDIS_STATUS_SUCCESS, NDIS_STATUS_RESOURCES, or the status of the
   last NdisAllocateSharedMemory. */
#define VMQ_MIN_BUFFERS 4u
_IRQL_requires_(PASSIVE_LEVEL) NDIS_STATUS
    VmqAllocateReceiveMemory(_In_ NDIS_HANDLE NdisHandle, _In_ NDIS_RECEIVE_QUEUE_ID QueueId,
                             _In_ ULONG Count, _In_ ULONG BufferSize, _In_ ULONG LookaheadSize,
                             _Outptr_ PVMQ_RX_QUEUE *Queue);

/* Use every buffer as a receive would: fill each segment through its virtual
   address and check that the allocation's SG list gives the segment's first
   and last byte the physical address the mapping has, and that each chain
   covers its buffer.  @return the number of segments that do not. */
_IRQL_requires_(PASSIVE_LEVEL) ULONG VmqCheckReceiveMemory(_In_ PVMQ_RX_QUEUE Queue);

/* Buffers the queue holds. */
ULONG VmqReceiveBufferCount(_In_ PVMQ_RX_QUEUE Queue);

/* Free every MDL, every shared-memory allocation (last first) and the queue. */
_IRQL_requires_(PASSIVE_LEVEL) VOID
    VmqFreeReceiveMemory(_In_ NDIS_HANDLE NdisHandle, _In_ PVMQ_RX_QUEUE Queue);

#ifdef __cplusplus
}
#endif
#endif /* SHMF_VMQ_CONSUMER_H */
