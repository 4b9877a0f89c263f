/*
 * rt_dma.c -- DMA by logical address for the NIC model, with the DMA checks
 * (ndis-facts 5): the queue's DMA is running (rt_queue.c), the pages are not
 * freed (rt_pages.c), the target is a live block of the queue (rt_shm.c).
 * layer: 23 subsystem (calls rt_shm.c, rt_queue.c, rt_pages.c and the base)
 */
#include <errno.h>
#include <string.h>

#include "rt_pages.h"
#include "rt_shm.h"

/* Check one DMA of n bytes at la for queue q; false if refused. */
static bool dma_allowed(ULONG q, uint64_t la, size_t n, const char *dir)
{
    long other;
    if (!(shmf__verify_flags() & SHMF_VERIFY_F_DMA))
        return shmf__logical_range_allocated(la, n);
    if (shmf__queue_dma_stopped(q)) {
        shmf__report(SHMF_KIND_DMA_AFTER_STOP, la, "NIC", NULL,
                     "DMA %s of %zu bytes at logical %#llx for queue %u after its DMA stopped", dir,
                     n, (unsigned long long)la, q);
        return false;
    }
    for (uint64_t p = la & ~(uint64_t)(PAGE_SIZE - 1); p < la + n; p += PAGE_SIZE) {
        if (shmf__page_state(p) != SHMF_PAGE_FREED)
            continue; /* unallocated pages are out of every block: checked below */
        shmf__report(SHMF_KIND_DMA_TO_FREED_MEMORY, la, "NIC", NULL,
                     "DMA %s of %zu bytes at logical %#llx for queue %u hits freed page %#llx", dir,
                     n, (unsigned long long)la, q, (unsigned long long)p);
        return false;
    }
    if (shmf__shm_find_dma_target(q, la, n, &other))
        return true;
    if (other >= 0)
        shmf__report(SHMF_KIND_DMA_OUT_OF_BLOCK, la, "NIC", NULL,
                     "DMA %s of %zu bytes at logical %#llx for queue %u lands in a block of "
                     "queue %ld",
                     dir, n, (unsigned long long)la, q, other);
    else
        shmf__report(SHMF_KIND_DMA_OUT_OF_BLOCK, la, "NIC", NULL,
                     "DMA %s of %zu bytes at logical %#llx for queue %u is outside every live "
                     "block of the queue",
                     dir, n, (unsigned long long)la, q);
    return false;
}

/* Does the allocated page at logical address la sit at host address h?  Within
   a run of host pages the logical pages of the contiguous zone follow each
   other, those of the scattered zone do not (rt_pages.c).  Caller holds the
   world lock.  pre: h and la are page aligned. */
static bool page_at(const unsigned char *h, uint64_t la)
{
    enum zone z;
    uint32_t k;

    return shmf__va_locate(h, &z, &k) && shmf__pfn_of(z, k) == la >> PAGE_SHIFT &&
           shmf__meta_of(z, k)->state == SHMF_PAGE_ALLOCATED;
}

/* Bytes from la (host address h, allocated) up to n that are contiguous in
   host memory too: the rest of la's page and every following page found at the
   next host page. */
static size_t host_run(const unsigned char *h, uint64_t la, size_t n)
{
    size_t run = PAGE_SIZE - (la & (PAGE_SIZE - 1));

    while (run < n && page_at(h + run, la + run))
        run += PAGE_SIZE;
    return run < n ? run : n;
}

/* memcpy for distinct buffers without a library call up to 64 bytes (a packet
   header, a small packet): moves of the largest of 16, 8 or 4 bytes that fit,
   the last one overlapping the one before, all loaded before any is stored. */
typedef unsigned char v16 __attribute__((vector_size(16)));

static inline v16 load16(const unsigned char *p)
{
    v16 v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void store16(unsigned char *p, v16 v)
{
    memcpy(p, &v, sizeof(v));
}

static inline void copy_short(unsigned char *d, const unsigned char *s, size_t n)
{
    if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    }
}

static inline void copy_bytes(unsigned char *d, const unsigned char *s, size_t n)
{
    if (n > 64) {
        memcpy(d, s, n);
    } else if (n > 32) {
        v16 a = load16(s), b = load16(s + 16), c = load16(s + n - 32), e = load16(s + n - 16);
        store16(d, a);
        store16(d + 16, b);
        store16(d + n - 32, c);
        store16(d + n - 16, e);
    } else if (n >= 16) {
        v16 a = load16(s), b = load16(s + n - 16);
        store16(d, a);
        store16(d + n - 16, b);
    } else {
        copy_short(d, s, n);
    }
}

static void copy_run(unsigned char *h, unsigned char *b, size_t n, bool to_device_memory)
{
    SHMF_UNPOISON(h, n);
    if (to_device_memory)
        copy_bytes(h, b, n);
    else
        copy_bytes(b, h, n);
}

/* Copy between host memory and logical memory, one translation and one copy per
   run of pages that are contiguous in both; bytes of pages that are not
   allocated are skipped. */
static void dma_copy(uint64_t la, unsigned char *b, size_t n, bool to_device_memory)
{
    while (n) {
        unsigned char *h = shmf__logical_to_host_locked(la);
        size_t chunk = PAGE_SIZE - (la & (PAGE_SIZE - 1));
        if (h) {
            chunk = host_run(h, la, n);
            copy_run(h, b, chunk, to_device_memory);
        }
        chunk = chunk < n ? chunk : n;
        la += chunk;
        b += chunk;
        n -= chunk;
    }
}

/* Host address of [la, la+n) if it is one run of allocated pages, contiguous in
   host memory too (one SG element's buffer usually is), else NULL. */
static unsigned char *one_host_run(uint64_t la, size_t n)
{
    unsigned char *h = shmf__logical_to_host_locked(la);

    return h != NULL && host_run(h, la, n) == n ? h : NULL;
}

/* Host address of [la, la+n) when the DMA needs no check beyond "every page is
   allocated" (the DMA checks are off) and the range is one run of pages
   contiguous in host memory too (one SG element's buffer usually is); NULL
   otherwise.  One translation for a range within a page. */
static unsigned char *unchecked_target(uint64_t la, size_t n)
{
    if (shmf__verify_flags() & SHMF_VERIFY_F_DMA)
        return NULL;
    return one_host_run(la, n);
}

/* One transfer between memory and [la, la + the segments' total): the
   segments in order, written to memory (to_device_memory) or read into.
   Checked as one transfer; the caller holds the page lock.  Anything but the
   unchecked fast path takes the checked page walk.  False if refused. */
__attribute__((always_inline)) /* the burst's constant nseg unrolls its loops */
static inline bool
transfer(ULONG q, uint64_t la, const struct shmf_dma_seg *seg, unsigned nseg, bool to_device_memory,
         const char *dir)
{
    size_t n = 0;
    unsigned char *h;

    for (unsigned i = 0; i < nseg; i++)
        n += seg[i].len;
    if ((h = unchecked_target(la, n)) != NULL) {
        for (unsigned i = 0; i < nseg; h += seg[i].len, i++)
            copy_run(h, (unsigned char *)seg[i].buf, seg[i].len, to_device_memory);
        return true;
    }
    if (!dma_allowed(q, la, n, dir))
        return false;
    for (unsigned i = 0; i < nseg; la += seg[i].len, i++)
        dma_copy(la, (unsigned char *)seg[i].buf, seg[i].len, to_device_memory);
    return true;
}

static int dma(ULONG q, uint64_t la, unsigned char *buf, size_t n, bool to_device_memory,
               const char *dir)
{
    struct shmf_dma_seg seg = {buf, n};

    shmf__world_lock();
    bool ok = transfer(q, la, &seg, 1, to_device_memory, dir);
    shmf__world_unlock();
    return ok ? 0 : -EFAULT;
}

int shmf_rt_dma_write(ULONG q, uint64_t la, const void *src, size_t n)
{
    return dma(q, la, (unsigned char *)src, n, true, "write");
}

int shmf_rt_dma_read(ULONG q, uint64_t la, void *dst, size_t n)
{
    return dma(q, la, dst, n, false, "read");
}

unsigned shmf_rt_dma_write_burst(ULONG q, const struct shmf_dma_xfer *x, unsigned n)
{
    unsigned i = 0;

    shmf__world_lock();
    while (i < n && transfer(q, x[i].la, x[i].seg, 2, true, "write"))
        i++;
    shmf__world_unlock();
    return i;
}
