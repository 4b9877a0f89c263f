/*
 * rt_shm.c -- provider registration, NdisAllocateSharedMemory /
 * NdisFreeSharedMemory, and the verifier checks on what a provider returns.
 *
 * The runtime validates only what NDIS validates (object header, queue id) and
 * passes the rest of the parameters to the provider unchanged.  After the
 * allocate handler returns it checks the status, the outputs, and the SG list
 * against the pages that really back the block (ndis-facts 1, 3, 4, 6).
 */
#include <stdlib.h>
#include <string.h>

#include "rt_shm.h"

#define SHMF_HANDLE_BASE 0x5348000000ull /* allocation handles: opaque, never mapped */
#define SHMF_SG_FILL 0xA5                /* SG buffer fill, checked on failure */

struct block {
    bool live;
    unsigned live_pos;    /* index in live_idx while live */
    NDIS_HANDLE handle;   /* allocation handle returned to the miniport */
    NDIS_HANDLE context;  /* provider's SharedMemoryProviderContext */
    NDIS_HANDLE smh;      /* SharedMemoryHandle */
    PVOID va;
    ULONG length, queue, flags;
    NDIS_SHARED_MEMORY_USAGE usage;
    ULONG sg_count;
    SCATTER_GATHER_ELEMENT *sg;
};

static NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
static bool registered;
/* Every block of this world in allocation order (handle = SHMF_HANDLE_BASE +
   index; freed ones stay for the leak check at unload), and the indices of the
   live ones, which every scan walks: a long stress run frees far more blocks
   than it keeps. */
static struct block *blocks;
static unsigned nblocks, cap_blocks;
static unsigned *live_idx;
static unsigned nlive, cap_live;
static uint64_t next_handle;

/* === Registration === */

bool shmf__shm_registered(void)
{
    return registered;
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
                     "NdisSetOptionalHandlers", NULL,
                     "characteristics without %s handler",
                     c->AllocateSharedMemoryHandler ? "a free" : "an allocate");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    chars = *c; /* copied: the caller's structure usually lives on its stack */
    registered = true;
    return NDIS_STATUS_SUCCESS;
}

/* === Block table === */

/* SG list copies live in an arena of chunks that never move (block_info hands
   out pointers into it) and are kept across worlds: a malloc per block churned
   ASan's quarantine on every input.  A world only appends; reset rewinds. */
#define SG_CHUNK_ELEMS 4096u

struct sg_chunk {
    struct sg_chunk *next;
    size_t cap, used;
    SCATTER_GATHER_ELEMENT e[];
};

static struct sg_chunk *sg_first, *sg_cur;

static SCATTER_GATHER_ELEMENT *sg_store(size_t n)
{
    struct sg_chunk **link = sg_cur ? &sg_cur->next : &sg_first;
    if (sg_cur && sg_cur->cap - sg_cur->used >= n)
        return &sg_cur->e[(sg_cur->used += n) - n];
    while (*link && (*link)->cap < n) /* a chunk too small for n: skip it */
        link = &(*link)->next;
    if (!*link) {
        size_t cap = n > SG_CHUNK_ELEMS ? n : SG_CHUNK_ELEMS;
        struct sg_chunk *c = malloc(sizeof(*c) + cap * sizeof(c->e[0]));
        if (!c)
            return NULL;
        *c = (struct sg_chunk){.next = NULL, .cap = cap};
        *link = c;
    }
    sg_cur = *link;
    sg_cur->used = n;
    return sg_cur->e;
}

static void sg_rewind(void)
{
    for (struct sg_chunk *c = sg_first; c; c = c->next)
        c->used = 0;
    sg_cur = sg_first;
}

void shmf__shm_reset(void)
{
    sg_rewind();
    nblocks = 0;
    nlive = 0;
    registered = false;
    memset(&chars, 0, sizeof(chars));
    next_handle = SHMF_HANDLE_BASE;
}

static struct block *block_new(void)
{
    if (nblocks == cap_blocks) {
        unsigned cap = cap_blocks ? cap_blocks * 2 : 64;
        struct block *b = realloc(blocks, cap * sizeof(*b));
        if (!b)
            return NULL;
        blocks = b;
        cap_blocks = cap;
    }
    struct block *b = &blocks[nblocks++];
    memset(b, 0, sizeof(*b));
    return b;
}

static bool live_add(unsigned idx)
{
    if (nlive == cap_live) {
        unsigned cap = cap_live ? cap_live * 2 : 64;
        unsigned *l = realloc(live_idx, cap * sizeof(*l));
        if (!l)
            return false;
        live_idx = l;
        cap_live = cap;
    }
    blocks[idx].live = true;
    blocks[idx].live_pos = nlive;
    live_idx[nlive++] = idx;
    return true;
}

static void live_remove(struct block *b)
{
    unsigned last = live_idx[--nlive];
    live_idx[b->live_pos] = last;
    blocks[last].live_pos = b->live_pos;
    b->live = false;
}

static struct block *live_at(unsigned k)
{
    return &blocks[live_idx[k]];
}

static struct block *block_by_handle(NDIS_HANDLE h)
{
    uint64_t i = (uint64_t)(uintptr_t)h - SHMF_HANDLE_BASE;
    return i < nblocks && blocks[i].live && blocks[i].handle == h ? &blocks[i] : NULL;
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
    shmf__world_lock();
    unsigned n = nlive;
    shmf__world_unlock();
    return n;
}

bool shmf_rt_block_get(unsigned idx, struct shmf_block_info *out)
{
    shmf__world_lock();
    bool found = idx < nlive;
    if (found)
        block_info(live_at(idx), out);
    shmf__world_unlock();
    return found;
}

bool shmf_rt_block_find(NDIS_HANDLE h, struct shmf_block_info *out)
{
    shmf__world_lock();
    struct block *b = block_by_handle(h);
    if (b)
        block_info(b, out);
    shmf__world_unlock();
    return b != NULL;
}

bool shmf__shm_queue_has_blocks(ULONG queue)
{
    for (unsigned k = 0; k < nlive; k++)
        if (live_at(k)->queue == queue)
            return true;
    return false;
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

bool shmf__shm_find_dma_target(ULONG queue, uint64_t la, size_t n, long *other_queue)
{
    *other_queue = -1;
    for (unsigned k = 0; k < nlive; k++) {
        const struct block *b = live_at(k);
        if (!block_covers(b, la, 1))
            continue;
        if (b->queue == queue && block_covers(b, la, n))
            return true;
        if (b->queue != queue)
            *other_queue = (long)b->queue;
    }
    return false;
}

/* leak-shared-memory: the free handler returned but pages that backed the
   block are still allocated when the provider has unloaded. */
void shmf__shm_check_leaks(void)
{
    for (unsigned i = 0; i < nblocks; i++) {
        const struct block *b = &blocks[i];
        if (b->live || b->sg_count == 0)
            continue;
        uint64_t la = (uint64_t)b->sg[0].Address.QuadPart;
        if (shmf__page_state(la) != SHMF_PAGE_ALLOCATED)
            continue;
        shmf__report(SHMF_KIND_LEAK_SHARED_MEMORY, (uint64_t)(uintptr_t)b->handle,
                     "FreeSharedMemoryHandler", NULL,
                     "block %p (length %u, queue %u) was freed but its memory at logical "
                     "%#llx is still allocated after unload",
                     b->va, b->length, b->queue, (unsigned long long)la);
        return;
    }
}


/* block-overlap: [va, va+len) or the SG ranges intersect a live block. */
bool shmf__shm_overlap_check(PVOID va, ULONG len, const SCATTER_GATHER_ELEMENT *sg, ULONG n)
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
            shmf__report(SHMF_KIND_BLOCK_OVERLAP, (uint64_t)s, "AllocateSharedMemoryHandler",
                         NULL,
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
    NDIS_STATUS st = chars.AllocateSharedMemoryHandler(chars.ProviderContext, p, ctx);
    shmf__handler_exit(&fr, "AllocateSharedMemoryHandler");
    return st;
}

static NDIS_HANDLE record_block(const struct shmf_alloc_check *c, NDIS_HANDLE ctx)
{
    shmf__world_lock();
    struct block *b = block_new();
    SCATTER_GATHER_ELEMENT *sg = b ? sg_store(c->sg_count ? c->sg_count : 1) : NULL;
    if (!sg || !live_add((unsigned)(b - blocks))) {
        if (b)
            nblocks--;
        shmf__world_unlock();
        return NULL;
    }
    memcpy(sg, c->sg, c->sg_count * sizeof(*sg));
    NDIS_HANDLE h = (NDIS_HANDLE)(uintptr_t)next_handle++;
    *b = (struct block){true, b->live_pos, h, ctx,
                        c->after.SharedMemoryHandle, c->after.VirtualAddress,
                        c->after.Length, c->after.QueueId, c->after.Flags,
                        c->after.Usage, c->sg_count, sg};
    shmf__world_unlock();
    return h;
}

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
    if (!registered)
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
    /* Check and record in one critical section: the block table is shared by
       every processor (another one's record_block may move it). */
    shmf__world_lock();
    c.context_live = ctx && context_is_live(ctx);
    bool ok = shmf__check_alloc(&c) && c.status == NDIS_STATUS_SUCCESS;
    *pAllocationHandle = ok ? record_block(&c, ctx) : NULL;
    shmf__world_unlock();
    if (!ok)
        return c.status == NDIS_STATUS_SUCCESS ? NDIS_STATUS_FAILURE : c.status;
    return *pAllocationHandle ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
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
    shmf__world_lock();
    struct block *b = block_by_handle(AllocationHandle);
    NDIS_HANDLE ctx = b ? b->context : NULL;
    if (b)
        live_remove(b);
    shmf__world_unlock();
    if (!b) {
        shmf__report(SHMF_KIND_POOL_FREE_UNKNOWN, (uint64_t)(uintptr_t)AllocationHandle,
                     "NdisFreeSharedMemory", NULL,
                     "NdisFreeSharedMemory of unknown allocation handle %p", AllocationHandle);
        return;
    }
    shmf__handler_enter(&fr);
    chars.FreeSharedMemoryHandler(chars.ProviderContext, ctx);
    shmf__handler_exit(&fr, "FreeSharedMemoryHandler");
}
