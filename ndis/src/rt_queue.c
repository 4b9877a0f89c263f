/*
 * rt_queue.c -- queues as the miniport reports them: which queue ids are
 * allocated (NdisAllocateSharedMemory accepts only those) and whose DMA is
 * stopped.  Freeing a queue is checked against its shared memory by rt_shm.c,
 * which then forgets it here.  Written by the harness between ops and by
 * shmf_rt_queue_freed under the world lock; read without a lock.
 * layer: 20 subsystem (calls nothing but the base)
 */
#include <string.h>

#include "rt_shm.h"

static bool queue_allocated[SHMF_MAX_QUEUES];
static bool queue_stopped[SHMF_MAX_QUEUES];

void shmf__queue_reset(void)
{
    memset(queue_allocated, 0, sizeof(queue_allocated));
    memset(queue_stopped, 0, sizeof(queue_stopped));
    queue_allocated[NDIS_DEFAULT_RECEIVE_QUEUE_ID] = true;
}

bool shmf__queue_is_allocated(ULONG q)
{
    return q < SHMF_MAX_QUEUES && queue_allocated[q];
}

bool shmf__queue_dma_stopped(ULONG q)
{
    return q < SHMF_MAX_QUEUES && queue_stopped[q];
}

void shmf__queue_forget(ULONG q)
{
    if (q >= SHMF_MAX_QUEUES || q == NDIS_DEFAULT_RECEIVE_QUEUE_ID)
        return;
    queue_allocated[q] = false;
    queue_stopped[q] = false;
}

void shmf_rt_queue_allocated(ULONG q)
{
    if (q < SHMF_MAX_QUEUES)
        queue_allocated[q] = true;
}

void shmf_rt_queue_dma_stop(ULONG q, bool stopped)
{
    if (q < SHMF_MAX_QUEUES)
        queue_stopped[q] = stopped;
}

/* Invariant: the default queue is always allocated (it is never freed). */
bool shmf__queue_is_valid(void)
{
    return queue_allocated[NDIS_DEFAULT_RECEIVE_QUEUE_ID];
}
