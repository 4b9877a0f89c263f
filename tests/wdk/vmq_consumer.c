/*
 * vmq_consumer.c -- a VMQ miniport's receive memory (contract in
 * vmq_consumer.h), in the shape of netvmini's AllocateSharedMemory /
 * AllocateRxSharedMemory / FreeRxQueueReceiveMemory: one tracking record per
 * shared-memory allocation on a list, one record per receive buffer with its
 * NET_BUFFER_SHARED_MEMORY chain and MDLs.  Our own code; sees only <ndis.h>.
 */
#include <ndis.h>

#include "vmq_consumer.h"

#define VMQ_TAG_MEMORY 'mQmV'  /* VMQ_SHARED_MEMORY */
#define VMQ_TAG_SGLIST 'lQmV'  /* SG buffers */
#define VMQ_TAG_BUFFERS 'bQmV' /* VMQ_RX_BUFFER arrays */
#define VMQ_TAG_QUEUE 'qQmV'

/* One NdisAllocateSharedMemory: what the miniport keeps of it. */
typedef struct _VMQ_SHARED_MEMORY {
    LIST_ENTRY Link;                /* on VMQ_RX_QUEUE.Allocations */
    NDIS_HANDLE AllocationHandle;   /* for NdisFreeSharedMemory */
    NDIS_HANDLE SharedMemoryHandle; /* named by every buffer's segments */
    PUCHAR VirtualAddress;          /* as returned */
    PUCHAR Buffer;                  /* VirtualAddress aligned up */
    ULONG Length;
    ULONG Entries; /* buffers carved from it */
    ULONG SgCount;
    PSCATTER_GATHER_LIST SgList; /* the page-sized SG buffer, kept for DMA */
} VMQ_SHARED_MEMORY, *PVMQ_SHARED_MEMORY;

/* One receive buffer: a lookahead segment and the rest, in one allocation. */
typedef struct _VMQ_RX_BUFFER {
    NET_BUFFER_SHARED_MEMORY Lookahead; /* NextSharedMemorySegment -> Data */
    NET_BUFFER_SHARED_MEMORY Data;
    PMDL LookaheadMdl; /* Next -> DataMdl */
    PMDL DataMdl;
    PUCHAR Va;
    PVMQ_SHARED_MEMORY Memory;
} VMQ_RX_BUFFER, *PVMQ_RX_BUFFER;

struct _VMQ_RX_QUEUE {
    NDIS_RECEIVE_QUEUE_ID QueueId;
    LIST_ENTRY Allocations;
    ULONG BufferSize, LookaheadSize;
    ULONG Count; /* buffers carved */
    PVMQ_RX_BUFFER Buffers;
};

/* === One allocation === */

/* NdisAllocateSharedMemory of Length bytes, revision 1, with an SG buffer of
   one page (netvmini sizes it per page of Length; a page is what a miniport
   that keeps lists for DMA reserves).  On success *Out is on no list yet. */
static NDIS_STATUS VmqAllocateSharedMemory(NDIS_HANDLE NdisHandle, NDIS_RECEIVE_QUEUE_ID QueueId,
                                           ULONG Length, PVMQ_SHARED_MEMORY *Out)
{
    NDIS_SHARED_MEMORY_PARAMETERS params;
    NDIS_STATUS status;
    PVMQ_SHARED_MEMORY memory;

    *Out = NULL;
    memory = NdisAllocateMemoryWithTagPriority(NdisHandle, sizeof(*memory), VMQ_TAG_MEMORY,
                                               NormalPoolPriority);
    if (memory == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(memory, sizeof(*memory));
    memory->SgList = NdisAllocateMemoryWithTagPriority(NdisHandle, PAGE_SIZE, VMQ_TAG_SGLIST,
                                                       NormalPoolPriority);
    if (memory->SgList == NULL) {
        NdisFreeMemoryWithTagPriority(NdisHandle, memory, VMQ_TAG_MEMORY);
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(&params, sizeof(params));
    params.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    params.Header.Revision = NDIS_SHARED_MEMORY_PARAMETERS_REVISION_1;
    params.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1;
    params.QueueId = QueueId;
    params.PreferredNode = MM_ANY_NODE_OK;
    params.Usage = NdisSharedMemoryUsageReceive;
    params.Length = Length;
    params.SGListBufferLength = PAGE_SIZE;
    params.SGListBuffer = memory->SgList;
    status = NdisAllocateSharedMemory(NdisHandle, &params, &memory->AllocationHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeMemoryWithTagPriority(NdisHandle, memory->SgList, VMQ_TAG_SGLIST);
        NdisFreeMemoryWithTagPriority(NdisHandle, memory, VMQ_TAG_MEMORY);
        return status;
    }
    NT_ASSERT(memory->AllocationHandle != NULL);
    memory->VirtualAddress = params.VirtualAddress;
    memory->SharedMemoryHandle = params.SharedMemoryHandle;
    memory->Length = params.Length;
    memory->SgCount = memory->SgList->NumberOfElements;
    NdisZeroMemory(memory->VirtualAddress, Length);
    *Out = memory;
    return NDIS_STATUS_SUCCESS;
}

static VOID VmqFreeSharedMemory(NDIS_HANDLE NdisHandle, PVMQ_SHARED_MEMORY Memory)
{
    NdisFreeSharedMemory(NdisHandle, Memory->AllocationHandle);
    NdisFreeMemoryWithTagPriority(NdisHandle, Memory->SgList, VMQ_TAG_SGLIST);
    NdisFreeMemoryWithTagPriority(NdisHandle, Memory, VMQ_TAG_MEMORY);
}

/* === Receive memory === */

/* Allocations until Count entries of EntrySize bytes are held: ask for all of
   them, halve the request on a failure, give up below one entry.  Returns the
   entries held (their allocations are on Queue->Allocations). */
static ULONG VmqAllocateEntries(NDIS_HANDLE NdisHandle, PVMQ_RX_QUEUE Queue, ULONG Count,
                                ULONG EntrySize, ULONG Alignment, NDIS_STATUS *LastStatus)
{
    ULONG held = 0, target = Count;

    while (held < Count && target >= 1) {
        PVMQ_SHARED_MEMORY memory;
        ULONG want = target < Count - held ? target : Count - held;
        NDIS_STATUS status = VmqAllocateSharedMemory(NdisHandle, Queue->QueueId,
                                                     want * EntrySize + Alignment, &memory);
        *LastStatus = status;
        if (status != NDIS_STATUS_SUCCESS) {
            target /= 2;
            continue;
        }
        memory->Buffer = ALIGN_UP_POINTER_BY(memory->VirtualAddress, Alignment);
        memory->Entries = want;
        InsertTailList(&Queue->Allocations, &memory->Link);
        held += want;
    }
    return held;
}

/* Describe buffer b at Va: its two segments and their MDLs. */
static BOOLEAN VmqDescribeBuffer(NDIS_HANDLE NdisHandle, PVMQ_RX_QUEUE Queue, PVMQ_RX_BUFFER Buffer,
                                 PVMQ_SHARED_MEMORY Memory, PUCHAR Va)
{
    ULONG offset = (ULONG)(Va - Memory->VirtualAddress);
    ULONG head = Queue->LookaheadSize;

    Buffer->Va = Va;
    Buffer->Memory = Memory;
    NET_BUFFER_SHARED_MEM_HANDLE(&Buffer->Lookahead) = Memory->SharedMemoryHandle;
    NET_BUFFER_SHARED_MEM_OFFSET(&Buffer->Lookahead) = offset;
    NET_BUFFER_SHARED_MEM_LENGTH(&Buffer->Lookahead) = head;
    NET_BUFFER_SHARED_MEM_NEXT_SEGMENT(&Buffer->Lookahead) = &Buffer->Data;
    NET_BUFFER_SHARED_MEM_HANDLE(&Buffer->Data) = Memory->SharedMemoryHandle;
    NET_BUFFER_SHARED_MEM_OFFSET(&Buffer->Data) = offset + head;
    NET_BUFFER_SHARED_MEM_LENGTH(&Buffer->Data) = Queue->BufferSize - head;
    NET_BUFFER_SHARED_MEM_NEXT_SEGMENT(&Buffer->Data) = NULL;
    Buffer->LookaheadMdl = NdisAllocateMdl(NdisHandle, Va, head);
    Buffer->DataMdl = NdisAllocateMdl(NdisHandle, Va + head, Queue->BufferSize - head);
    if (Buffer->LookaheadMdl == NULL || Buffer->DataMdl == NULL)
        return FALSE;
    Buffer->LookaheadMdl->Next = Buffer->DataMdl;
    return TRUE;
}

/* Carve every allocation into buffers EntrySize apart. */
static BOOLEAN VmqCarve(NDIS_HANDLE NdisHandle, PVMQ_RX_QUEUE Queue, ULONG EntrySize)
{
    for (PLIST_ENTRY e = Queue->Allocations.Flink; e != &Queue->Allocations; e = e->Flink) {
        PVMQ_SHARED_MEMORY memory = CONTAINING_RECORD(e, VMQ_SHARED_MEMORY, Link);
        for (ULONG i = 0; i < memory->Entries; i++) {
            PVMQ_RX_BUFFER buffer = &Queue->Buffers[Queue->Count++];
            if (!VmqDescribeBuffer(NdisHandle, Queue, buffer, memory,
                                   memory->Buffer + (SIZE_T)i * EntrySize))
                return FALSE;
        }
    }
    return TRUE;
}

_Use_decl_annotations_ NDIS_STATUS VmqAllocateReceiveMemory(NDIS_HANDLE NdisHandle,
                                                            NDIS_RECEIVE_QUEUE_ID QueueId,
                                                            ULONG Count, ULONG BufferSize,
                                                            ULONG LookaheadSize,
                                                            PVMQ_RX_QUEUE *Queue)
{
    PAGED_CODE();
    ULONG alignment = NdisGetSharedDataAlignment();
    ULONG entrySize = ALIGN_UP_BY(BufferSize, alignment);
    NDIS_STATUS status = NDIS_STATUS_RESOURCES;
    PVMQ_RX_QUEUE queue;
    ULONG held;

    *Queue = NULL;
    ASSERT(LookaheadSize > 0 && LookaheadSize < BufferSize);
    queue = NdisAllocateMemoryWithTagPriority(NdisHandle, sizeof(*queue), VMQ_TAG_QUEUE,
                                              NormalPoolPriority);
    if (queue == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(queue, sizeof(*queue));
    queue->QueueId = QueueId;
    queue->BufferSize = BufferSize;
    queue->LookaheadSize = LookaheadSize;
    InitializeListHead(&queue->Allocations);
    held = VmqAllocateEntries(NdisHandle, queue, Count, entrySize, alignment, &status);
    if (held < VMQ_MIN_BUFFERS) {
        VmqFreeReceiveMemory(NdisHandle, queue);
        return status == NDIS_STATUS_SUCCESS ? NDIS_STATUS_RESOURCES : status;
    }
    queue->Buffers = NdisAllocateMemoryWithTagPriority(NdisHandle, held * sizeof(VMQ_RX_BUFFER),
                                                       VMQ_TAG_BUFFERS, NormalPoolPriority);
    if (queue->Buffers != NULL)
        NdisZeroMemory(queue->Buffers, held * sizeof(VMQ_RX_BUFFER));
    if (queue->Buffers == NULL || !VmqCarve(NdisHandle, queue, entrySize)) {
        VmqFreeReceiveMemory(NdisHandle, queue);
        return NDIS_STATUS_RESOURCES;
    }
    *Queue = queue;
    return NDIS_STATUS_SUCCESS;
}

/* === Use and check === */

/* The logical address the SG list of Memory gives byte Va, or -1. */
static LONGLONG VmqLogicalAddress(PVMQ_SHARED_MEMORY Memory, PUCHAR Va)
{
    ULONG offset = (ULONG)(Va - Memory->VirtualAddress);
    ULONG start = 0;
    ULONG n = Memory->SgCount;

    if (n > (PAGE_SIZE - sizeof(SCATTER_GATHER_LIST)) / sizeof(SCATTER_GATHER_ELEMENT))
        return -1;
    for (ULONG i = 0; i < n; i++) {
        SCATTER_GATHER_ELEMENT const *e = &Memory->SgList->Elements[i];
        if (offset < start + e->Length)
            return e->Address.QuadPart + (offset - start);
        start += e->Length;
    }
    return -1;
}

/* Fill the segment through its virtual address; does the SG list describe its
   first and last byte? */
static BOOLEAN VmqSegmentOk(PVMQ_RX_BUFFER Buffer, PNET_BUFFER_SHARED_MEMORY Segment, UCHAR Fill)
{
    PVMQ_SHARED_MEMORY memory = Buffer->Memory;
    PUCHAR first = memory->VirtualAddress + NET_BUFFER_SHARED_MEM_OFFSET(Segment);
    PUCHAR last = first + NET_BUFFER_SHARED_MEM_LENGTH(Segment) - 1;

    if (NET_BUFFER_SHARED_MEM_HANDLE(Segment) != memory->SharedMemoryHandle ||
        last >= memory->VirtualAddress + memory->Length)
        return FALSE;
    for (PUCHAR p = first; p <= last; p++)
        *p = Fill;
    return VmqLogicalAddress(memory, first) == MmGetPhysicalAddress(first).QuadPart &&
           VmqLogicalAddress(memory, last) == MmGetPhysicalAddress(last).QuadPart;
}

_Use_decl_annotations_ ULONG VmqCheckReceiveMemory(PVMQ_RX_QUEUE Queue)
{
    ULONG bad = 0;

    for (ULONG i = 0; i < Queue->Count; i++) {
        PVMQ_RX_BUFFER buffer = &Queue->Buffers[i];
        ULONG covered = 0;
        UCHAR fill = (UCHAR)(i * 2 + 1);
        for (PNET_BUFFER_SHARED_MEMORY s = &buffer->Lookahead; s != NULL;
             s = NET_BUFFER_SHARED_MEM_NEXT_SEGMENT(s), fill++) {
            bad += !VmqSegmentOk(buffer, s, fill);
            covered += NET_BUFFER_SHARED_MEM_LENGTH(s);
        }
        bad += covered != Queue->BufferSize ||
               MmGetMdlByteCount(buffer->LookaheadMdl) + MmGetMdlByteCount(buffer->DataMdl) !=
                   Queue->BufferSize;
    }
    return bad;
}

_Use_decl_annotations_ ULONG VmqReceiveBufferCount(PVMQ_RX_QUEUE Queue)
{
    return Queue->Count;
}

/* === Free === */

_Use_decl_annotations_ VOID VmqFreeReceiveMemory(NDIS_HANDLE NdisHandle, PVMQ_RX_QUEUE Queue)
{
    PAGED_CODE();
    for (ULONG i = 0; Queue->Buffers != NULL && i < Queue->Count; i++) {
        if (Queue->Buffers[i].LookaheadMdl != NULL)
            NdisFreeMdl(Queue->Buffers[i].LookaheadMdl);
        if (Queue->Buffers[i].DataMdl != NULL)
            NdisFreeMdl(Queue->Buffers[i].DataMdl);
    }
    while (!IsListEmpty(&Queue->Allocations)) {
        PLIST_ENTRY e = RemoveTailList(&Queue->Allocations);
        VmqFreeSharedMemory(NdisHandle, CONTAINING_RECORD(e, VMQ_SHARED_MEMORY, Link));
    }
    if (Queue->Buffers != NULL)
        NdisFreeMemoryWithTagPriority(NdisHandle, Queue->Buffers, VMQ_TAG_BUFFERS);
    NdisFreeMemory(Queue, sizeof(*Queue), 0);
}
