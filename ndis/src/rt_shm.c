/*
 * rt_shm.c -- provider registration, NdisAllocateSharedMemory /
 * NdisFreeSharedMemory, and the verifier checks on what a provider returns.
 *
 * The runtime validates only what NDIS validates (object header, queue id) and
 * passes the rest of the parameters to the provider unchanged.  After the
 * allocate handler returns it checks the status, the outputs, and the SG list
 * against the pages that really back the block (ndis-facts 1, 3, 4, 6), and
 * keeps its own copy of the SG list (the block table: what DMA is checked
 * against, whatever the caller later does with its buffer).  A block the
 * provider reported as allocated but NDIS refuses -- a finding such as a
 * CONTIGUOUS block of more than one SG element (contiguous-violated), or no
 * room to record it -- goes back through the provider's free handler, and the
 * caller gets NDIS_STATUS_FAILURE (NDIS_STATUS_RESOURCES for no room).
 *
 * Locking: the block table, the SG copies, the freed-block notes and the
 * overlap index (rt_overlap.c) are guarded by SHMF_LK_SHM, which comes after
 * SHMF_LK_PAGES in the lock order: nothing here takes the pages lock while it
 * holds SHM (the leak check takes PAGES first).  The
 * registration (chars, registered) is written only while no processor runs
 * (load, reset) and read without the lock.
 * NdisAllocateSharedMemory checks what the handler returned without the lock and
 * takes it twice: to see whether the context is a live block's, and to check
 * the new block against the live ones and record it in one critical section.
 * layer: 22 subsystem (calls rt_sgcheck.c, rt_overlap.c, rt_queue.c, rt_pages.c
 * and the base)
 */
#include <stdlib.h>
#include <string.h>

#include "rt_pages.h"
#include "rt_shm.h"

#define SHMF_HANDLE_BASE 0x5348000000ull /* allocation handles: opaque, never mapped */

struct block {
    NDIS_HANDLE handle;  /* allocation handle returned to the miniport */
    NDIS_HANDLE context; /* provider's SharedMemoryProviderContext */
    NDIS_HANDLE smh;     /* SharedMemoryHandle */
    PVOID va;
    ULONG length, queue, flags;
    NDIS_SHARED_MEMORY_USAGE usage;
    ULONG sg_count;
    ULONG sg_cap; /* elements sg holds; the buffer stays with the entry */
    SCATTER_GATHER_ELEMENT *sg;
    struct shmf_ovl_ref ovl; /* what the overlap index holds of the block */
};

/* A freed block, for the leak check at unload. */
struct freed_note {
    uint64_t la; /* its first SG element's address */
    NDIS_HANDLE handle;
    PVOID va;
    ULONG length, queue;
};

/* Read on every call without the lock: a cache line of their own. */
static struct {
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    bool registered;
} __attribute__((aligned(64))) reg;
/* The live blocks, packed in blocks[0, nlive): a free moves the last one into
   the hole.  The entries past nlive keep their SG buffers for the next blocks
   (a malloc per block churned ASan's quarantine on every input), so a buffer
   block_info hands out stays valid while its block lives.  Handles are
   SHMF_HANDLE_BASE + the allocation's number since reset; hmap finds a live
   handle's entry (open addressing, key 0 free).  Memory stays bounded by the
   live blocks however long a stress run frees and allocates. */
static struct block *blocks;
static unsigned nlive, cap_blocks;
static uint64_t next_handle;
static struct hslot {
    uint64_t key;
    unsigned idx;
} * hmap;
static unsigned hmap_cap; /* a power of two, at least twice nlive */

/* Per logical page, the freed block with the lowest handle (the first in
   allocation order) whose first SG element starts in it, and the pages noted
   since reset: the leak check reports the first freed block whose memory is
   still allocated, without keeping every block of a long run. */
static struct freed_note *freed; /* 2 * ZONE_PAGES entries, or NULL */
static uint32_t *freed_pages;    /* pages with a note */
static unsigned nfreed_pages;

/* === Registration === */

bool shmf__shm_registered(void)
{
    return reg.registered;
}

ULONG shmf_rt_provider_flags(void)
{
    return reg.registered ? reg.chars.Flags : 0;
}

static bool header_ok(const NDIS_OBJECT_HEADER *h)
{
    return h->Type == NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS &&
           h->Revision >= NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1 &&
           h->Size >= NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
}

NDIS_STATUS NdisSetOptionalHandlers(NDIS_HANDLE NdisHandle,
                                    PNDIS_DRIVER_OPTIONAL_HANDLERS OptionalHandlers)
{
    (void)NdisHandle;
    if (!shmf__irql_check_eq(PASSIVE_LEVEL, "NdisSetOptionalHandlers",
                             "Irql_Miscellaneous_Function"))
        return NDIS_STATUS_FAILURE;
    const NDIS_OBJECT_HEADER *h = &OptionalHandlers->Header;
    if (!header_ok(h)) {
        shmf__report(SHMF_KIND_REGISTER_INVALID_HEADER, (uint64_t)(uintptr_t)OptionalHandlers,
                     "NdisSetOptionalHandlers", NULL,
                     "characteristics header Type %#x Revision %u Size %#x; expected Type "
                     "0xb0 Revision 1 Size >= 0x20",
                     h->Type, h->Revision, h->Size);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    const NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS *c = (const void *)OptionalHandlers;
    if (!c->AllocateSharedMemoryHandler || !c->FreeSharedMemoryHandler) {
        shmf__report(SHMF_KIND_REGISTER_MISSING_HANDLER, (uint64_t)(uintptr_t)c,
                     "NdisSetOptionalHandlers", NULL, "characteristics without %s handler",
                     c->AllocateSharedMemoryHandler ? "a free" : "an allocate");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    reg.chars = *c; /* copied: the caller's structure usually lives on its stack */
    reg.registered = true;
    return NDIS_STATUS_SUCCESS;
}

/* === Block table === */

static unsigned hslot_of(uint64_t key)
{
    return (unsigned)((key * 0x9E3779B97F4A7C15ull) >> 32) & (hmap_cap - 1);
}

static struct hslot *hmap_find(uint64_t key)
{
    unsigned mask = hmap_cap - 1;
    for (unsigned i = hslot_of(key); key && hmap_cap && hmap[i].key; i = (i + 1) & mask)
        if (hmap[i].key == key)
            return &hmap[i];
    return NULL;
}

static void hmap_put(uint64_t key, unsigned idx)
{
    unsigned i = hslot_of(key);
    while (hmap[i].key)
        i = (i + 1) & (hmap_cap - 1);
    hmap[i] = (struct hslot){key, idx};
}

/* Linear probing: pull later keys of the cluster back over the hole. */
static void hmap_del(struct hslot *h)
{
    unsigned hole = (unsigned)(h - hmap), mask = hmap_cap - 1;
    for (unsigned i = (hole + 1) & mask; hmap[i].key; i = (i + 1) & mask) {
        unsigned home = hslot_of(hmap[i].key);
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            hmap[hole] = hmap[i];
            hole = i;
        }
    }
    hmap[hole].key = 0;
}

/* Room for one more live block: entry, map slot. */
static bool table_reserve(void)
{
    if (nlive == cap_blocks) {
        unsigned cap = cap_blocks ? cap_blocks * 2 : 64;
        struct block *b = realloc(blocks, cap * sizeof(*b));
        if (!b)
            return false;
        memset(b + cap_blocks, 0, (cap - cap_blocks) * sizeof(*b));
        blocks = b;
        cap_blocks = cap;
    }
    if (2 * (nlive + 1) <= hmap_cap)
        return true;
    unsigned cap = hmap_cap ? hmap_cap * 2 : 128;
    struct hslot *m = calloc(cap, sizeof(*m));
    if (!m)
        return false;
    free(hmap);
    hmap = m;
    hmap_cap = cap;
    for (unsigned k = 0; k < nlive; k++)
        hmap_put((uint64_t)(uintptr_t)blocks[k].handle, k);
    return true;
}

/* Entry b's SG buffer, grown to n elements. */
static bool sg_reserve(struct block *b, ULONG n)
{
    if (n <= b->sg_cap)
        return true;
    SCATTER_GATHER_ELEMENT *sg = realloc(b->sg, n * sizeof(*sg));
    if (!sg)
        return false;
    b->sg = sg;
    b->sg_cap = n;
    return true;
}

/* Note freed block b for the leak check (see freed). */
static void freed_note(const struct block *b)
{
    uint64_t la = b->sg_count ? (uint64_t)b->sg[0].Address.QuadPart : 0;
    uint64_t pfn = la >> PAGE_SHIFT;
    if (pfn < PFN_BASE || pfn >= PFN_BASE + 2ull * ZONE_PAGES)
        return; /* never allocated memory: the check would skip it */
    if (!freed && !(freed = calloc(2 * ZONE_PAGES, sizeof(*freed))))
        return;
    if (!freed_pages && !(freed_pages = malloc(2 * ZONE_PAGES * sizeof(*freed_pages))))
        return;
    struct freed_note *n = &freed[pfn - PFN_BASE];
    if (!n->handle)
        freed_pages[nfreed_pages++] = (uint32_t)(pfn - PFN_BASE);
    else if ((uintptr_t)n->handle < (uintptr_t)b->handle)
        return;
    *n = (struct freed_note){la, b->handle, b->va, b->length, b->queue};
}

/* Take entry k out of the live blocks; the last one moves into it. */
static void live_remove(unsigned k, bool note)
{
    struct block *b = &blocks[k];
    shmf__ovl_remove(&b->ovl, b->sg, b->sg_count);
    if (note)
        freed_note(b);
    hmap_del(hmap_find((uint64_t)(uintptr_t)b->handle));
    if (k != --nlive) {
        struct block tmp = blocks[k];
        blocks[k] = blocks[nlive];
        blocks[nlive] = tmp;
        hmap_find((uint64_t)(uintptr_t)blocks[k].handle)->idx = k;
    }
}

static struct block *live_at(unsigned k)
{
    return &blocks[k];
}

void shmf__shm_reset(void)
{
    shmf__lock(SHMF_LK_SHM);
    while (nlive)
        live_remove(nlive - 1, false);
    for (unsigned i = 0; i < nfreed_pages; i++)
        freed[freed_pages[i]].handle = NULL;
    nfreed_pages = 0;
    reg.registered = false;
    memset(&reg.chars, 0, sizeof(reg.chars));
    next_handle = SHMF_HANDLE_BASE;
    shmf__unlock(SHMF_LK_SHM);
}

static struct block *block_by_handle(NDIS_HANDLE h)
{
    struct hslot *m = hmap_find((uint64_t)(uintptr_t)h);
    return m ? &blocks[m->idx] : NULL;
}

static void block_info(const struct block *b, struct shmf_block_info *out)
{
    out->allocation_handle = b->handle;
    out->shared_memory_handle = b->smh;
    out->virtual_address = b->va;
    out->length = b->length;
    out->queue_id = b->queue;
    out->usage = b->usage;
    out->flags = b->flags;
    out->sg_count = b->sg_count;
    out->sg = b->sg;
}

unsigned shmf_rt_block_count(void)
{
    shmf__lock(SHMF_LK_SHM);
    unsigned n = nlive;
    shmf__unlock(SHMF_LK_SHM);
    return n;
}

bool shmf_rt_block_get(unsigned idx, struct shmf_block_info *out)
{
    shmf__lock(SHMF_LK_SHM);
    bool found = idx < nlive;
    if (found)
        block_info(live_at(idx), out);
    shmf__unlock(SHMF_LK_SHM);
    return found;
}

bool shmf_rt_block_find(NDIS_HANDLE h, struct shmf_block_info *out)
{
    shmf__lock(SHMF_LK_SHM);
    struct block *b = block_by_handle(h);
    if (b)
        block_info(b, out);
    shmf__unlock(SHMF_LK_SHM);
    return b != NULL;
}

static bool queue_has_blocks(ULONG queue)
{
    bool found = false;
    shmf__lock(SHMF_LK_SHM);
    for (unsigned k = 0; k < nlive && !found; k++)
        found = live_at(k)->queue == queue;
    shmf__unlock(SHMF_LK_SHM);
    return found;
}

/* A queue freed while blocks of it live: reported, and the queue is freed all
   the same (rt_queue.c).  Under the world lock, as the DMA paths read the
   queue's state. */
void shmf_rt_queue_freed(ULONG q)
{
    if (q >= SHMF_MAX_QUEUES || q == NDIS_DEFAULT_RECEIVE_QUEUE_ID)
        return;
    shmf__world_lock();
    if (queue_has_blocks(q))
        shmf__report(SHMF_KIND_QUEUE_FREED_WITH_MEMORY, q, "OID_RECEIVE_FILTER_FREE_QUEUE", NULL,
                     "queue %u was freed while it still has shared memory", q);
    shmf__queue_forget(q);
    shmf__world_unlock();
}

/* Does live block b's SG list cover [la, la+n)? */
static bool block_covers(const struct block *b, uint64_t la, size_t n)
{
    for (ULONG i = 0; i < b->sg_count; i++) {
        uint64_t s = (uint64_t)b->sg[i].Address.QuadPart, e = s + b->sg[i].Length;
        if (la >= s && la + n <= e)
            return true;
    }
    return false;
}

/* Is b a block of queue covering [la, la+n) (the walk below would stop at it)? */
static bool dma_target(const struct block *b, ULONG queue, uint64_t la, size_t n)
{
    return b && b->queue == queue && block_covers(b, la, 1) && block_covers(b, la, n);
}

bool shmf__shm_find_dma_target(ULONG queue, uint64_t la, size_t n, long *other_queue)
{
    *other_queue = -1;
    shmf__lock(SHMF_LK_SHM);
    /* The usual DMA hits the block the overlap index names for la's page. */
    NDIS_HANDLE hint = (NDIS_HANDLE)(uintptr_t)shmf__ovl_owner(la);
    bool found = dma_target(block_by_handle(hint), queue, la, n);
    for (unsigned k = 0; k < nlive && !found; k++) {
        const struct block *b = live_at(k);
        if (!block_covers(b, la, 1))
            continue;
        found = b->queue == queue && block_covers(b, la, n);
        if (b->queue != queue)
            *other_queue = (long)b->queue;
    }
    shmf__unlock(SHMF_LK_SHM);
    return found;
}

/* leak-shared-memory: the free handler returned but pages that backed the
   block are still allocated when the provider has unloaded.  Reports the first
   such block in allocation order. */
void shmf__shm_check_leaks(void)
{
    const struct freed_note *first = NULL;
    shmf__lock(SHMF_LK_PAGES); /* for shmf__page_state, in the lock order */
    shmf__lock(SHMF_LK_SHM);
    for (unsigned i = 0; i < nfreed_pages; i++) {
        const struct freed_note *n = &freed[freed_pages[i]];
        if ((!first || (uintptr_t)n->handle < (uintptr_t)first->handle) &&
            shmf__page_state(n->la) == SHMF_PAGE_ALLOCATED)
            first = n;
    }
    if (first)
        shmf__report(SHMF_KIND_LEAK_SHARED_MEMORY, (uint64_t)(uintptr_t)first->handle,
                     "FreeSharedMemoryHandler", NULL,
                     "block %p (length %u, queue %u) was freed but its memory at logical "
                     "%#llx is still allocated after unload",
                     first->va, first->length, first->queue, (unsigned long long)first->la);
    shmf__unlock(SHMF_LK_SHM);
    shmf__unlock(SHMF_LK_PAGES);
}

/* block-overlap: [va, va+len) or the SG ranges intersect a live block.  The
   exact test, a walk over every live block; pre: SHMF_LK_SHM held. */
static bool overlap_scan(PVOID va, ULONG len, const SCATTER_GATHER_ELEMENT *sg, ULONG n)
{
    uintptr_t s = (uintptr_t)va, e = s + len;
    for (unsigned k = 0; k < nlive; k++) {
        const struct block *b = live_at(k);
        uintptr_t bs = (uintptr_t)b->va, be = bs + b->length;
        bool va_hit = len && b->length && s < be && bs < e;
        bool la_hit = false;
        for (ULONG k = 0; k < n && !la_hit; k++)
            la_hit = block_covers(b, (uint64_t)sg[k].Address.QuadPart, 1) ||
                     (sg[k].Length &&
                      block_covers(b, (uint64_t)sg[k].Address.QuadPart + sg[k].Length - 1, 1));
        if (va_hit || la_hit) {
            shmf__report(SHMF_KIND_BLOCK_OVERLAP, (uint64_t)s, "AllocateSharedMemoryHandler", NULL,
                         "new block %p (length %u) overlaps live block %p (length %u, queue %u) "
                         "in %s memory",
                         va, len, b->va, b->length, b->queue, va_hit ? "virtual" : "physical");
            return false;
        }
    }
    return true;
}

static bool context_is_live(NDIS_HANDLE ctx)
{
    for (unsigned k = 0; k < nlive; k++)
        if (live_at(k)->context == ctx)
            return true;
    return false;
}

/* === NdisAllocateSharedMemory === */

static bool params_valid(const NDIS_SHARED_MEMORY_PARAMETERS *p)
{
    const NDIS_OBJECT_HEADER *h = &p->Header;
    if (h->Type != NDIS_OBJECT_TYPE_DEFAULT || h->Revision < 1 ||
        h->Size < NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1)
        return false;
    if (h->Revision >= NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
        h->Size < NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2)
        return false;
    return p->QueueId < SHMF_MAX_QUEUES && shmf__queue_is_allocated(p->QueueId);
}

/* Copy the caller's block, reading no byte past Header.Size. */
static void snapshot(const NDIS_SHARED_MEMORY_PARAMETERS *p, USHORT size,
                     NDIS_SHARED_MEMORY_PARAMETERS *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out, p, size < sizeof(*out) ? size : sizeof(*out));
}

static NDIS_STATUS call_allocate(PNDIS_SHARED_MEMORY_PARAMETERS p, NDIS_HANDLE *ctx)
{
    struct shmf_handler_frame fr;
    shmf__handler_enter(&fr);
    NDIS_STATUS st = reg.chars.AllocateSharedMemoryHandler(reg.chars.ProviderContext, p, ctx);
    shmf__handler_exit(&fr, "AllocateSharedMemoryHandler");
    return st;
}

/* pre: SHMF_LK_SHM held. */
static NDIS_HANDLE record_block(const struct shmf_alloc_check *c, NDIS_HANDLE ctx)
{
    if (!table_reserve() || !sg_reserve(&blocks[nlive], c->sg_count ? c->sg_count : 1))
        return NULL;
    struct block *b = &blocks[nlive];
    memcpy(b->sg, c->sg, c->sg_count * sizeof(*b->sg));
    NDIS_HANDLE h = (NDIS_HANDLE)(uintptr_t)next_handle++;
    *b = (struct block){.handle = h,
                        .context = ctx,
                        .smh = c->after.SharedMemoryHandle,
                        .va = c->after.VirtualAddress,
                        .length = c->after.Length,
                        .queue = c->after.QueueId,
                        .flags = c->after.Flags,
                        .usage = c->after.Usage,
                        .sg_count = c->sg_count,
                        .sg_cap = b->sg_cap,
                        .sg = b->sg};
    hmap_put((uint64_t)(uintptr_t)h, nlive++);
    shmf__ovl_add(&b->ovl, (uint64_t)(uintptr_t)h, b->va, b->length, b->sg, b->sg_count);
    return h;
}

static void report_context_duplicate(NDIS_HANDLE ctx)
{
    shmf__report(SHMF_KIND_ALLOC_CONTEXT_DUPLICATE, (uint64_t)(uintptr_t)ctx,
                 "AllocateSharedMemoryHandler", NULL,
                 "provider context %p equals the context of a live block", ctx);
}

/* The checks that need the live blocks, then the record, in one critical
   section: a block recorded by another processor since c->context_live was
   taken is seen here.  *ok false: a finding, nothing recorded. */
static NDIS_HANDLE check_and_record(const struct shmf_alloc_check *c, bool *ok)
{
    bool verify = (shmf__verify_flags() & SHMF_VERIFY_F_SHM) != 0;
    NDIS_HANDLE h = NULL;
    shmf__lock(SHMF_LK_SHM);
    *ok = !context_is_live(c->context);
    if (!*ok)
        report_context_duplicate(c->context);
    else if (verify &&
             shmf__ovl_maybe_hit(c->after.VirtualAddress, c->after.Length, c->sg, c->sg_count))
        *ok = overlap_scan(c->after.VirtualAddress, c->after.Length, c->sg, c->sg_count);
    if (*ok)
        h = record_block(c, c->context);
    shmf__unlock(SHMF_LK_SHM);
    return h;
}

/* The provider returned success with a block NDIS refuses (a finding, or no
   room to record it): NDIS gives the block back through the provider's free
   handler, as it would free a block it had accepted, and the caller gets a
   failure.  Not when the context is NULL or a live block's (that free would
   release the live block).  The block is noted for the leak check at
   unload, as a freed one. */
static void give_back(const struct shmf_alloc_check *c)
{
    struct shmf_handler_frame fr;
    shmf__lock(SHMF_LK_SHM);
    bool live = context_is_live(c->context);
    if (c->context != NULL && !live) {
        struct block b = {.handle = (NDIS_HANDLE)(uintptr_t)next_handle++,
                          .va = c->after.VirtualAddress,
                          .length = c->after.Length,
                          .queue = c->after.QueueId,
                          .sg_count = c->sg_count,
                          .sg = (SCATTER_GATHER_ELEMENT *)c->sg};
        freed_note(&b);
    }
    shmf__unlock(SHMF_LK_SHM);
    if (c->context == NULL || live)
        return;
    shmf__handler_enter(&fr);
    reg.chars.FreeSharedMemoryHandler(reg.chars.ProviderContext, c->context);
    shmf__handler_exit(&fr, "FreeSharedMemoryHandler");
}

/* Without a registered provider (before one is loaded, or after a load that
   registered none, which the loader refuses) the call fails with
   NDIS_STATUS_RESOURCES and no finding.  Windows would serve it from NDIS's
   own allocator, with SharedMemoryHandle NDIS_SHARED_MEM_HANDLE_HAL_ALLOCATED;
   the runtime has no such allocator: it tests providers. */
NDIS_STATUS NdisAllocateSharedMemory(NDIS_HANDLE NdisHandle,
                                     PNDIS_SHARED_MEMORY_PARAMETERS SharedMemoryParameters,
                                     PNDIS_HANDLE pAllocationHandle)
{
    (void)NdisHandle;
    struct shmf_alloc_check c;
    NDIS_HANDLE ctx = NULL;
    shmf__yield("NdisAllocateSharedMemory");
    *pAllocationHandle = NULL;
    if (!shmf__irql_check_eq(PASSIVE_LEVEL, "NdisAllocateSharedMemory",
                             "NdisAllocateSharedMemory page: PASSIVE_LEVEL"))
        return NDIS_STATUS_FAILURE;
    if (!reg.registered)
        return NDIS_STATUS_RESOURCES;
    if (!params_valid(SharedMemoryParameters))
        return NDIS_STATUS_INVALID_PARAMETER;
    memset(&c, 0, sizeof(c));
    c.size = SharedMemoryParameters->Header.Size;
    snapshot(SharedMemoryParameters, c.size, &c.before);
    if (c.before.SGListBuffer && c.before.SGListBufferLength)
        memset(c.before.SGListBuffer, SHMF_SG_FILL, c.before.SGListBufferLength);
    c.status = call_allocate(SharedMemoryParameters, &ctx);
    snapshot(SharedMemoryParameters, c.size, &c.after);
    c.context = ctx;
    shmf__lock(SHMF_LK_SHM);
    c.context_live = ctx && context_is_live(ctx);
    shmf__unlock(SHMF_LK_SHM);
    bool ok = shmf__check_alloc(&c) && c.status == NDIS_STATUS_SUCCESS;
    if (ok)
        *pAllocationHandle = check_and_record(&c, &ok);
    if (*pAllocationHandle != NULL)
        return NDIS_STATUS_SUCCESS;
    if (c.status != NDIS_STATUS_SUCCESS)
        return c.status;
    give_back(&c);
    return ok ? NDIS_STATUS_RESOURCES : NDIS_STATUS_FAILURE;
}

/* === NdisFreeSharedMemory === */

VOID NdisFreeSharedMemory(NDIS_HANDLE NdisHandle, NDIS_HANDLE AllocationHandle)
{
    (void)NdisHandle;
    struct shmf_handler_frame fr;
    shmf__yield("NdisFreeSharedMemory");
    if (!shmf__irql_check_eq(PASSIVE_LEVEL, "NdisFreeSharedMemory",
                             "NdisFreeSharedMemory page: PASSIVE_LEVEL"))
        return;
    shmf__lock(SHMF_LK_SHM);
    struct block *b = block_by_handle(AllocationHandle);
    NDIS_HANDLE ctx = b ? b->context : NULL;
    if (b)
        live_remove((unsigned)(b - blocks), true);
    shmf__unlock(SHMF_LK_SHM);
    if (!b) {
        shmf__report(SHMF_KIND_POOL_FREE_UNKNOWN, (uint64_t)(uintptr_t)AllocationHandle,
                     "NdisFreeSharedMemory", NULL,
                     "NdisFreeSharedMemory of unknown allocation handle %p", AllocationHandle);
        return;
    }
    shmf__handler_enter(&fr);
    reg.chars.FreeSharedMemoryHandler(reg.chars.ProviderContext, ctx);
    shmf__handler_exit(&fr, "FreeSharedMemoryHandler");
}

/* === Invariants === */

/* Live entry k: its handle was handed out since reset and maps back to k; its
   SG copy fits its buffer. */
static bool live_entry_ok(unsigned k)
{
    const struct block *b = &blocks[k];
    uint64_t h = (uint64_t)(uintptr_t)b->handle;
    const struct hslot *m = hmap_find(h);
    return h >= SHMF_HANDLE_BASE && h < next_handle && m && m->idx == k &&
           b->sg_count <= b->sg_cap && (!b->sg_count || b->sg);
}

/* Invariant: blocks[0, nlive) are the live blocks, each found by its handle;
   the handle map holds exactly them, at most half full; the overlap index holds
   exactly their references; every freed note is listed once. */
bool shmf__shm_is_valid(void)
{
    unsigned keys = 0, ovl_blocks, ovl_odd, odd = 0;
    bool ok;
    shmf__lock(SHMF_LK_SHM);
    ok = nlive <= cap_blocks && (hmap_cap == 0 ? nlive == 0 : 2 * nlive <= hmap_cap) &&
         (hmap_cap & (hmap_cap - 1)) == 0 && nfreed_pages <= 2 * ZONE_PAGES;
    for (unsigned k = 0; ok && k < nlive; k++) {
        ok = live_entry_ok(k);
        odd += blocks[k].ovl.odd;
    }
    for (unsigned i = 0; ok && i < hmap_cap; i++)
        keys += hmap[i].key != 0;
    for (unsigned i = 0; ok && i < nfreed_pages; i++)
        ok = freed_pages[i] < 2 * ZONE_PAGES && freed[freed_pages[i]].handle != NULL;
    shmf__ovl_totals(&ovl_blocks, &ovl_odd);
    ok = ok && keys == nlive && ovl_blocks == nlive && ovl_odd == odd;
    shmf__unlock(SHMF_LK_SHM);
    return ok;
}
