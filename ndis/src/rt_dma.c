/*
 * rt_dma.c -- queues as the miniport reports them, and DMA by logical address
 * for the NIC model, with the DMA checks (ndis-facts 5).
 */
#include <errno.h>
#include <string.h>

#include "rt_shm.h"

static bool queue_allocated[SHMF_MAX_QUEUES];
static bool queue_stopped[SHMF_MAX_QUEUES];

void shmf__dma_reset(void)
{
    memset(queue_allocated, 0, sizeof(queue_allocated));
    memset(queue_stopped, 0, sizeof(queue_stopped));
    queue_allocated[NDIS_DEFAULT_RECEIVE_QUEUE_ID] = true;
}

bool shmf__queue_is_allocated(ULONG q)
{
    return q < SHMF_MAX_QUEUES && queue_allocated[q];
}

void shmf_rt_queue_allocated(ULONG q)
{
    if (q < SHMF_MAX_QUEUES)
        queue_allocated[q] = true;
}

void shmf_rt_queue_freed(ULONG q)
{
    if (q >= SHMF_MAX_QUEUES || q == NDIS_DEFAULT_RECEIVE_QUEUE_ID)
        return;
    shmf__world_lock();
    if (shmf__shm_queue_has_blocks(q))
        shmf__report(SHMF_KIND_QUEUE_FREED_WITH_MEMORY, q, "OID_RECEIVE_FILTER_FREE_QUEUE", NULL,
                     "queue %u was freed while it still has shared memory", q);
    queue_allocated[q] = false;
    queue_stopped[q] = false;
    shmf__world_unlock();
}

void shmf_rt_queue_dma_stop(ULONG q, bool stopped)
{
    if (q < SHMF_MAX_QUEUES)
        queue_stopped[q] = stopped;
}

/* Check one DMA of n bytes at la for queue q; false if refused. */
static bool dma_allowed(ULONG q, uint64_t la, size_t n, const char *dir)
{
    long other;
    if (!(shmf__verify_flags() & SHMF_VERIFY_F_DMA))
        return shmf__logical_range_allocated(la, n);
    if (q < SHMF_MAX_QUEUES && queue_stopped[q]) {
        shmf__report(SHMF_KIND_DMA_AFTER_STOP, la, "NIC", NULL,
                     "DMA %s of %zu bytes at logical %#llx for queue %u after its DMA stopped",
                     dir, n, (unsigned long long)la, q);
        return false;
    }
    for (uint64_t p = la & ~(uint64_t)(PAGE_SIZE - 1); p < la + n; p += PAGE_SIZE) {
        if (shmf__page_state(p) != SHMF_PAGE_FREED)
            continue; /* unallocated pages are out of every block: checked below */
        shmf__report(SHMF_KIND_DMA_TO_FREED_MEMORY, la, "NIC", NULL,
                     "DMA %s of %zu bytes at logical %#llx for queue %u hits freed page %#llx",
                     dir, n, (unsigned long long)la, q, (unsigned long long)p);
        return false;
    }
    if (shmf__shm_find_dma_target(q, la, n, &other))
        return true;
    if (other >= 0)
        shmf__report(SHMF_KIND_DMA_OUT_OF_BLOCK, la, "NIC", NULL,
                     "DMA %s of %zu bytes at logical %#llx for queue %u lands in a block of "
                     "queue %ld", dir, n, (unsigned long long)la, q, other);
    else
        shmf__report(SHMF_KIND_DMA_OUT_OF_BLOCK, la, "NIC", NULL,
                     "DMA %s of %zu bytes at logical %#llx for queue %u is outside every live "
                     "block of the queue", dir, n, (unsigned long long)la, q);
    return false;
}

/* Copy between host memory and logical memory, page by page. */
static void dma_copy(uint64_t la, void *buf, size_t n, bool to_device_memory)
{
    unsigned char *b = buf;
    while (n) {
        size_t chunk = PAGE_SIZE - (la & (PAGE_SIZE - 1));
        if (chunk > n)
            chunk = n;
        unsigned char *h = shmf__logical_to_host(la);
        if (h) {
            SHMF_UNPOISON(h, chunk);
            if (to_device_memory)
                memcpy(h, b, chunk);
            else
                memcpy(b, h, chunk);
        }
        la += chunk;
        b += chunk;
        n -= chunk;
    }
}

int shmf_rt_dma_write(ULONG q, uint64_t la, const void *src, size_t n)
{
    shmf__world_lock();
    bool ok = dma_allowed(q, la, n, "write");
    if (ok)
        dma_copy(la, (void *)src, n, true);
    shmf__world_unlock();
    return ok ? 0 : -EFAULT;
}

int shmf_rt_dma_read(ULONG q, uint64_t la, void *dst, size_t n)
{
    shmf__world_lock();
    bool ok = dma_allowed(q, la, n, "read");
    if (ok)
        dma_copy(la, dst, n, false);
    shmf__world_unlock();
    return ok ? 0 : -EFAULT;
}
