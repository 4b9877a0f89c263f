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
 * Per-processor homes (docs/stress.md, "Homes").  The block table is split
 * into one home per simulated processor: its live blocks (with their SG copies
 * and handle map), its handle counter and its freed-block notes, under the
 * home's own lock (level SHMF_LK_SHM, one home at a time).  A block is recorded
 * in the home of the processor that allocated it and its handle names that
 * home (SHMF_HANDLE_BASE + home << HANDLE_HOME_SHIFT + its number there: home 0
 * numbers exactly as the single table did), so a free on any processor locks
 * the one home the handle names.  What must see every home is shared: the
 * contexts of the live blocks (a set sharded by context hash, a lock per shard
 * at SHMF_LK_SHM_CTX: a context live in any home is a duplicate), the overlap
 * index (rt_overlap.c, lock-free) and the walks over every home (overlap, DMA
 * targets, leaks, block lists), which take the homes one after the other.
 * SHMF_LK_SHM comes after SHMF_LK_PAGES in the lock order: nothing here takes
 * the pages lock while it holds a home (the leak check takes PAGES first).  The
 * registration (chars, registered) is written only while no processor runs
 * (load, reset) and read without the lock.
 * NdisAllocateSharedMemory checks what the handler returned without a lock,
 * then claims the context in its shard, records the block in its home, counts
 * it in the overlap index and, only if the index shows another block on its
 * pages, walks the homes for the exact test (undoing the record on a hit).
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
/* One home's live blocks, packed in blocks[0, nlive): a free moves the last
   one into the hole.  The entries past nlive keep their SG buffers for the next
   blocks (a malloc per block churned ASan's quarantine on every input), so a
   buffer block_info hands out stays valid while its block lives.  Handles are
   SHMF_HANDLE_BASE + home << HANDLE_HOME_SHIFT + the home's allocation number
   since reset; hmap finds a live handle's entry (open addressing, key 0 free).
   Memory stays bounded by the live blocks however long a stress run frees and
   allocates.  freed: per logical page, the freed block of this home with the
   lowest handle (the first in allocation order) whose first SG element starts
   in it, and the pages noted since reset: the leak check reports the first
   freed block whose memory is still allocated, without keeping every block of
   a long run.  Every field but lock is accessed under lock. */
#define SHM_HOMES SHMF_MAX_CPUS
#define HANDLE_HOME_SHIFT 40
struct shm_home {
    unsigned lock;
    struct block *blocks;
    unsigned nlive, cap_blocks;
    uint64_t next_handle;
    struct hslot {
        uint64_t key;
        unsigned idx;
    } * hmap;
    unsigned hmap_cap;        /* a power of two, at least twice nlive */
    struct freed_note *freed; /* 2 * ZONE_PAGES entries, or NULL */
    uint32_t *freed_pages;    /* pages with a note */
    unsigned nfreed_pages;
} __attribute__((aligned(64)));
static struct shm_home homes[SHM_HOMES];
/* Bit h: home h recorded a block or a note since reset (the walks skip the
   others).  Set with a release RMW before the block is counted in the overlap
   index. */
static uint64_t homes_used;
/* Bit i: context shard i held a context since reset (reset and the checker
   skip the others).  Set under the shard's lock; read between ops only. */
static uint64_t ctx_used;

/* The live blocks' contexts, a set sharded by context hash (open addressing,
   key 0 free); each shard under its own lock (SHMF_LK_SHM_CTX). */
#define CTX_SHARDS 64
static struct ctx_shard {
    unsigned lock;
    uint64_t *keys;
    unsigned cap, count; /* cap: a power of two, at least twice count, or 0 */
} __attribute__((aligned(64))) ctxs[CTX_SHARDS];

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

/* === Block table: one home === */

static unsigned hslot_of(const struct shm_home *H, uint64_t key)
{
    return (unsigned)((key * 0x9E3779B97F4A7C15ull) >> 32) & (H->hmap_cap - 1);
}

static struct hslot *hmap_find(struct shm_home *H, uint64_t key)
{
    unsigned mask = H->hmap_cap - 1;
    for (unsigned i = key && H->hmap_cap ? hslot_of(H, key) : 0;
         key && H->hmap_cap && H->hmap[i].key; i = (i + 1) & mask)
        if (H->hmap[i].key == key)
            return &H->hmap[i];
    return NULL;
}

static void hmap_put(struct shm_home *H, uint64_t key, unsigned idx)
{
    unsigned i = hslot_of(H, key);
    while (H->hmap[i].key)
        i = (i + 1) & (H->hmap_cap - 1);
    H->hmap[i] = (struct hslot){key, idx};
}

/* Linear probing: pull later keys of the cluster back over the hole. */
static void hmap_del(struct shm_home *H, struct hslot *h)
{
    unsigned hole = (unsigned)(h - H->hmap), mask = H->hmap_cap - 1;
    for (unsigned i = (hole + 1) & mask; H->hmap[i].key; i = (i + 1) & mask) {
        unsigned home = hslot_of(H, H->hmap[i].key);
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            H->hmap[hole] = H->hmap[i];
            hole = i;
        }
    }
    H->hmap[hole].key = 0;
}

/* Room for one more live block in H: entry, map slot. */
static bool table_reserve(struct shm_home *H)
{
    if (H->nlive == H->cap_blocks) {
        unsigned cap = H->cap_blocks ? H->cap_blocks * 2 : 64;
        struct block *b = realloc(H->blocks, cap * sizeof(*b));
        if (!b)
            return false;
        memset(b + H->cap_blocks, 0, (cap - H->cap_blocks) * sizeof(*b));
        H->blocks = b;
        H->cap_blocks = cap;
    }
    if (2 * (H->nlive + 1) <= H->hmap_cap)
        return true;
    unsigned cap = H->hmap_cap ? H->hmap_cap * 2 : 128;
    struct hslot *m = calloc(cap, sizeof(*m));
    if (!m)
        return false;
    free(H->hmap);
    H->hmap = m;
    H->hmap_cap = cap;
    for (unsigned k = 0; k < H->nlive; k++)
        hmap_put(H, (uint64_t)(uintptr_t)H->blocks[k].handle, k);
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

/* Note freed block b in H for the leak check (see struct shm_home). */
static void freed_note(struct shm_home *H, const struct block *b)
{
    uint64_t la = b->sg_count ? (uint64_t)b->sg[0].Address.QuadPart : 0;
    uint64_t pfn = la >> PAGE_SHIFT;
    if (pfn < PFN_BASE || pfn >= PFN_BASE + 2ull * ZONE_PAGES)
        return; /* never allocated memory: the check would skip it */
    if (!H->freed && !(H->freed = calloc(2 * ZONE_PAGES, sizeof(*H->freed))))
        return;
    if (!H->freed_pages && !(H->freed_pages = malloc(2 * ZONE_PAGES * sizeof(*H->freed_pages))))
        return;
    struct freed_note *n = &H->freed[pfn - PFN_BASE];
    if (!n->handle)
        H->freed_pages[H->nfreed_pages++] = (uint32_t)(pfn - PFN_BASE);
    else if ((uintptr_t)n->handle < (uintptr_t)b->handle)
        return;
    *n = (struct freed_note){la, b->handle, b->va, b->length, b->queue};
}

/* Take entry k of H out of the live blocks (and out of the overlap index); the
   last one moves into it.  The caller releases its context. */
static void live_remove(struct shm_home *H, unsigned k, bool note)
{
    struct block *b = &H->blocks[k];
    shmf__ovl_remove(&b->ovl, b->sg, b->sg_count);
    if (note)
        freed_note(H, b);
    hmap_del(H, hmap_find(H, (uint64_t)(uintptr_t)b->handle));
    if (k != --H->nlive) {
        struct block tmp = H->blocks[k];
        H->blocks[k] = H->blocks[H->nlive];
        H->blocks[H->nlive] = tmp;
        hmap_find(H, (uint64_t)(uintptr_t)H->blocks[k].handle)->idx = k;
    }
}

static struct block *block_by_handle(struct shm_home *H, NDIS_HANDLE h)
{
    struct hslot *m = hmap_find(H, (uint64_t)(uintptr_t)h);
    return m ? &H->blocks[m->idx] : NULL;
}

static uint64_t home_handle_base(unsigned h)
{
    return SHMF_HANDLE_BASE + ((uint64_t)h << HANDLE_HOME_SHIFT);
}

/* The home a handle names, or SHM_HOMES for none. */
static unsigned home_of_handle(NDIS_HANDLE handle)
{
    uint64_t v = (uint64_t)(uintptr_t)handle;
    if (v < SHMF_HANDLE_BASE)
        return SHM_HOMES;
    v = (v - SHMF_HANDLE_BASE) >> HANDLE_HOME_SHIFT;
    return v < SHM_HOMES ? (unsigned)v : SHM_HOMES;
}

static struct shm_home *home_lock(unsigned h)
{
    shmf__lock_home(SHMF_LK_SHM, &homes[h].lock);
    return &homes[h];
}

static void home_unlock(struct shm_home *H)
{
    shmf__unlock_home(SHMF_LK_SHM, &H->lock);
}

/* The next handle of home h (H locked), numbered from the home's base. */
static NDIS_HANDLE handle_next(struct shm_home *H, unsigned h)
{
    if (H->next_handle < home_handle_base(h)) /* before the first reset */
        H->next_handle = home_handle_base(h);
    return (NDIS_HANDLE)(uintptr_t)H->next_handle++;
}

/* Homes that recorded a block or a note since reset. */
static uint64_t used_homes(void)
{
    /* acquire: pairs with the release fetch_or in home_mark_used() */
    return __atomic_load_n(&homes_used, __ATOMIC_ACQUIRE);
}

static void home_mark_used(unsigned h)
{
    if (!(used_homes() >> h & 1))
        /* release: pairs with the acquire load in used_homes() of a walk that
           saw this home's block through the overlap index */
        __atomic_fetch_or(&homes_used, 1ull << h, __ATOMIC_RELEASE);
}

/* === Contexts of the live blocks (sharded set) === */

static uint64_t ctx_hash(uint64_t key)
{
    return (key >> 4) * 0x9E3779B97F4A7C15ull;
}

static unsigned ctx_shard_of(NDIS_HANDLE ctx)
{
    return (unsigned)(ctx_hash((uint64_t)(uintptr_t)ctx) >> 58) & (CTX_SHARDS - 1);
}

static struct ctx_shard *ctx_lock(NDIS_HANDLE ctx)
{
    struct ctx_shard *S = &ctxs[ctx_shard_of(ctx)];
    shmf__lock_home(SHMF_LK_SHM_CTX, &S->lock);
    return S;
}

static void ctx_unlock(struct ctx_shard *S)
{
    shmf__unlock_home(SHMF_LK_SHM_CTX, &S->lock);
}

static unsigned ctx_slot(const struct ctx_shard *S, uint64_t key)
{
    return (unsigned)(ctx_hash(key) >> 20) & (S->cap - 1);
}

static uint64_t *ctx_find(struct ctx_shard *S, uint64_t key)
{
    unsigned mask = S->cap - 1;
    for (unsigned i = key && S->cap ? ctx_slot(S, key) : 0; key && S->cap && S->keys[i];
         i = (i + 1) & mask)
        if (S->keys[i] == key)
            return &S->keys[i];
    return NULL;
}

static void ctx_put(struct ctx_shard *S, uint64_t key)
{
    unsigned i = ctx_slot(S, key);
    while (S->keys[i])
        i = (i + 1) & (S->cap - 1);
    S->keys[i] = key;
    S->count++;
}

static bool ctx_reserve(struct ctx_shard *S)
{
    if (2 * (S->count + 1) <= S->cap)
        return true;
    unsigned old_cap = S->cap, cap = S->cap ? S->cap * 2 : 64;
    uint64_t *old = S->keys, *k = calloc(cap, sizeof(*k));
    if (!k)
        return false;
    S->keys = k;
    S->cap = cap;
    S->count = 0;
    for (unsigned i = 0; i < old_cap; i++)
        if (old[i])
            ctx_put(S, old[i]);
    free(old);
    return true;
}

static void ctx_del(struct ctx_shard *S, uint64_t *h)
{
    unsigned hole = (unsigned)(h - S->keys), mask = S->cap - 1;
    for (unsigned i = (hole + 1) & mask; S->keys[i]; i = (i + 1) & mask) {
        unsigned home = ctx_slot(S, S->keys[i]);
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            S->keys[hole] = S->keys[i];
            hole = i;
        }
    }
    S->keys[hole] = 0;
    S->count--;
}

static bool context_is_live(NDIS_HANDLE ctx)
{
    if (!ctx)
        return false;
    struct ctx_shard *S = ctx_lock(ctx);
    bool live = ctx_find(S, (uint64_t)(uintptr_t)ctx) != NULL;
    ctx_unlock(S);
    return live;
}

/* Make ctx a live block's context: 1 done, 0 it already was (a duplicate), -1
   no room. */
static int context_claim(NDIS_HANDLE ctx)
{
    struct ctx_shard *S = ctx_lock(ctx);
    int r = ctx_find(S, (uint64_t)(uintptr_t)ctx) ? 0 : ctx_reserve(S) ? 1 : -1;
    if (r == 1)
        ctx_put(S, (uint64_t)(uintptr_t)ctx);
    unsigned bit = ctx_shard_of(ctx);
    /* relaxed (both): read between ops only */
    if (r == 1 && !(__atomic_load_n(&ctx_used, __ATOMIC_RELAXED) >> bit & 1))
        __atomic_fetch_or(&ctx_used, 1ull << bit, __ATOMIC_RELAXED);
    ctx_unlock(S);
    return r;
}

static void context_release(NDIS_HANDLE ctx)
{
    struct ctx_shard *S = ctx_lock(ctx);
    uint64_t *k = ctx_find(S, (uint64_t)(uintptr_t)ctx);
    if (k)
        ctx_del(S, k);
    ctx_unlock(S);
}

/* === Reset and the harness's view === */

void shmf__shm_reset(void)
{
    uint64_t used = used_homes(), cused = __atomic_load_n(&ctx_used, __ATOMIC_RELAXED);
    for (unsigned h = 0; h < SHM_HOMES; h++) {
        if (!(used >> h & 1)) {
            homes[h].next_handle = home_handle_base(h); /* no processor runs */
            continue;
        }
        struct shm_home *H = home_lock(h);
        while (H->nlive)
            live_remove(H, H->nlive - 1, false);
        for (unsigned i = 0; i < H->nfreed_pages; i++)
            H->freed[H->freed_pages[i]].handle = NULL;
        H->nfreed_pages = 0;
        H->next_handle = home_handle_base(h);
        home_unlock(H);
    }
    for (unsigned i = 0; i < CTX_SHARDS; i++) {
        if (!(cused >> i & 1))
            continue;
        shmf__lock_home(SHMF_LK_SHM_CTX, &ctxs[i].lock);
        if (ctxs[i].keys)
            memset(ctxs[i].keys, 0, ctxs[i].cap * sizeof(*ctxs[i].keys));
        ctxs[i].count = 0;
        shmf__unlock_home(SHMF_LK_SHM_CTX, &ctxs[i].lock);
    }
    shmf__ovl_reset();
    __atomic_store_n(&homes_used, 0, __ATOMIC_RELAXED); /* relaxed: no processor runs */
    __atomic_store_n(&ctx_used, 0, __ATOMIC_RELAXED);
    reg.registered = false;
    memset(&reg.chars, 0, sizeof(reg.chars));
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
    unsigned n = 0;
    uint64_t used = used_homes();
    for (unsigned h = 0; h < SHM_HOMES; h++) {
        if (!(used >> h & 1))
            continue;
        struct shm_home *H = home_lock(h);
        n += H->nlive;
        home_unlock(H);
    }
    return n;
}

/* Blocks are numbered home by home (home 0's first: on one processor, the
   order of the single table). */
bool shmf_rt_block_get(unsigned idx, struct shmf_block_info *out)
{
    bool found = false;
    uint64_t used = used_homes();
    for (unsigned h = 0; h < SHM_HOMES && !found; h++) {
        if (!(used >> h & 1))
            continue;
        struct shm_home *H = home_lock(h);
        found = idx < H->nlive;
        if (found)
            block_info(&H->blocks[idx], out);
        else
            idx -= H->nlive;
        home_unlock(H);
    }
    return found;
}

bool shmf_rt_block_find(NDIS_HANDLE h, struct shmf_block_info *out)
{
    unsigned home = home_of_handle(h);
    if (home == SHM_HOMES)
        return false;
    struct shm_home *H = home_lock(home);
    struct block *b = block_by_handle(H, h);
    if (b)
        block_info(b, out);
    home_unlock(H);
    return b != NULL;
}

static bool queue_has_blocks(ULONG queue)
{
    bool found = false;
    uint64_t used = used_homes();
    for (unsigned h = 0; h < SHM_HOMES && !found; h++) {
        if (!(used >> h & 1))
            continue;
        struct shm_home *H = home_lock(h);
        for (unsigned k = 0; k < H->nlive && !found; k++)
            found = H->blocks[k].queue == queue;
        home_unlock(H);
    }
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
    /* The usual DMA hits the block the overlap index names for la's page, in
       the home its handle names. */
    NDIS_HANDLE hint = (NDIS_HANDLE)(uintptr_t)shmf__ovl_owner(la);
    unsigned hh = home_of_handle(hint);
    bool found = false;
    if (hh < SHM_HOMES) {
        struct shm_home *H = home_lock(hh);
        found = dma_target(block_by_handle(H, hint), queue, la, n);
        home_unlock(H);
    }
    uint64_t used = used_homes();
    for (unsigned h = 0; h < SHM_HOMES && !found; h++) {
        if (!(used >> h & 1))
            continue;
        struct shm_home *H = home_lock(h);
        for (unsigned k = 0; k < H->nlive && !found; k++) {
            const struct block *b = &H->blocks[k];
            if (!block_covers(b, la, 1))
                continue;
            found = b->queue == queue && block_covers(b, la, n);
            if (b->queue != queue)
                *other_queue = (long)b->queue;
        }
        home_unlock(H);
    }
    return found;
}

/* leak-shared-memory: the free handler returned but pages that backed the
   block are still allocated when the provider has unloaded.  Reports the first
   such block in allocation order (home 0's first: on one processor, the order
   of the single table). */
void shmf__shm_check_leaks(void)
{
    struct freed_note first = {.handle = NULL};
    uint64_t used = used_homes();
    shmf__lock(SHMF_LK_PAGES); /* for shmf__page_state, in the lock order */
    for (unsigned h = 0; h < SHM_HOMES; h++) {
        if (!(used >> h & 1))
            continue;
        struct shm_home *H = home_lock(h);
        for (unsigned i = 0; i < H->nfreed_pages; i++) {
            const struct freed_note *n = &H->freed[H->freed_pages[i]];
            if ((!first.handle || (uintptr_t)n->handle < (uintptr_t)first.handle) &&
                shmf__page_state(n->la) == SHMF_PAGE_ALLOCATED)
                first = *n;
        }
        home_unlock(H);
    }
    if (first.handle)
        shmf__report(SHMF_KIND_LEAK_SHARED_MEMORY, (uint64_t)(uintptr_t)first.handle,
                     "FreeSharedMemoryHandler", NULL,
                     "block %p (length %u, queue %u) was freed but its memory at logical "
                     "%#llx is still allocated after unload",
                     first.va, first.length, first.queue, (unsigned long long)first.la);
    shmf__unlock(SHMF_LK_PAGES);
}

/* block-overlap: [va, va+len) or the SG ranges intersect a live block other
   than self (the new block, recorded already).  The exact test, a walk over
   every live block of every home, one home at a time; a block recorded by
   another processor that the index showed on these pages is in its home
   already (rt_overlap.c).  No lock held by the caller. */
static bool overlap_scan(NDIS_HANDLE self, PVOID va, ULONG len, const SCATTER_GATHER_ELEMENT *sg,
                         ULONG n)
{
    uintptr_t s = (uintptr_t)va, e = s + len;
    uint64_t used = used_homes();
    for (unsigned h = 0; h < SHM_HOMES; h++) {
        if (!(used >> h & 1))
            continue;
        struct shm_home *H = home_lock(h);
        for (unsigned k = 0; k < H->nlive; k++) {
            const struct block *b = &H->blocks[k];
            uintptr_t bs = (uintptr_t)b->va, be = bs + b->length;
            if (b->handle == self)
                continue;
            bool va_hit = len && b->length && s < be && bs < e;
            bool la_hit = false;
            for (ULONG i = 0; i < n && !la_hit; i++)
                la_hit = block_covers(b, (uint64_t)sg[i].Address.QuadPart, 1) ||
                         (sg[i].Length &&
                          block_covers(b, (uint64_t)sg[i].Address.QuadPart + sg[i].Length - 1, 1));
            if (va_hit || la_hit) {
                shmf__report(SHMF_KIND_BLOCK_OVERLAP, (uint64_t)s, "AllocateSharedMemoryHandler",
                             NULL,
                             "new block %p (length %u) overlaps live block %p (length %u, "
                             "queue %u) in %s memory",
                             va, len, b->va, b->length, b->queue, va_hit ? "virtual" : "physical");
                home_unlock(H);
                return false;
            }
        }
        home_unlock(H);
    }
    return true;
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

/* Record the block in the calling processor's home; its handle, or NULL (no
   room).  *b_out: the entry (valid while the home is locked). */
static NDIS_HANDLE record_block(struct shm_home *H, unsigned home, const struct shmf_alloc_check *c,
                                struct block **b_out)
{
    if (!table_reserve(H) || !sg_reserve(&H->blocks[H->nlive], c->sg_count ? c->sg_count : 1))
        return NULL;
    struct block *b = &H->blocks[H->nlive];
    memcpy(b->sg, c->sg, c->sg_count * sizeof(*b->sg));
    NDIS_HANDLE h = handle_next(H, home);
    *b = (struct block){.handle = h,
                        .context = c->context,
                        .smh = c->after.SharedMemoryHandle,
                        .va = c->after.VirtualAddress,
                        .length = c->after.Length,
                        .queue = c->after.QueueId,
                        .flags = c->after.Flags,
                        .usage = c->after.Usage,
                        .sg_count = c->sg_count,
                        .sg_cap = b->sg_cap,
                        .sg = b->sg};
    hmap_put(H, (uint64_t)(uintptr_t)h, H->nlive++);
    home_mark_used(home);
    *b_out = b;
    return h;
}

/* Take back block h of home `home`, recorded by record_block just before, and
   its handle number if no other was handed out since (on one processor,
   always: the handles stay those of a table that never recorded it). */
static void unrecord_block(unsigned home, NDIS_HANDLE h)
{
    struct shm_home *H = home_lock(home);
    struct block *b = block_by_handle(H, h);
    if (b)
        live_remove(H, (unsigned)(b - H->blocks), false);
    if (H->next_handle == (uint64_t)(uintptr_t)h + 1)
        H->next_handle--;
    home_unlock(H);
}

static void report_context_duplicate(NDIS_HANDLE ctx)
{
    shmf__report(SHMF_KIND_ALLOC_CONTEXT_DUPLICATE, (uint64_t)(uintptr_t)ctx,
                 "AllocateSharedMemoryHandler", NULL,
                 "provider context %p equals the context of a live block", ctx);
}

/* The checks that need the live blocks, and the record: the context is
   claimed in its shard (a block recorded by another processor since
   c->context_live was taken is seen there), the block recorded in this
   processor's home and counted in the overlap index, then, if the index shows
   another block on its pages, the exact walk over every home; a hit undoes the
   record.  *ok false: a finding, nothing recorded. */
static NDIS_HANDLE check_and_record(const struct shmf_alloc_check *c, bool *ok)
{
    bool verify = (shmf__verify_flags() & SHMF_VERIFY_F_SHM) != 0;
    unsigned home = shmf__cpu()->index % SHM_HOMES;
    struct block *b;
    int claim = context_claim(c->context);
    *ok = claim != 0;
    if (!*ok)
        report_context_duplicate(c->context);
    if (claim != 1)
        return NULL;
    struct shm_home *H = home_lock(home);
    NDIS_HANDLE h = record_block(H, home, c, &b);
    /* Counted under the home lock: a free of h (by a provider that guessed
       it) cannot run between the record and the count. */
    bool maybe =
        h && shmf__ovl_add(&b->ovl, (uint64_t)(uintptr_t)h, b->va, b->length, b->sg, b->sg_count);
    home_unlock(H);
    if (h && verify && maybe &&
        !overlap_scan(h, c->after.VirtualAddress, c->after.Length, c->sg, c->sg_count)) {
        *ok = false;
        unrecord_block(home, h);
        h = NULL;
    }
    if (!h)
        context_release(c->context);
    return h;
}

/* The provider returned success with a block NDIS refuses (a finding, or no
   room to record it): NDIS gives the block back through the provider's free
   handler, as it would free a block it had accepted, and the caller gets a
   failure.  Not when the context is NULL or a live block's (that free would
   release the live block).  The block is noted for the leak check at
   unload, as a freed one, in this processor's home. */
static void give_back(const struct shmf_alloc_check *c)
{
    struct shmf_handler_frame fr;
    bool live = context_is_live(c->context);
    if (c->context == NULL || live)
        return;
    unsigned home = shmf__cpu()->index % SHM_HOMES;
    struct shm_home *H = home_lock(home);
    struct block b = {.handle = handle_next(H, home),
                      .va = c->after.VirtualAddress,
                      .length = c->after.Length,
                      .queue = c->after.QueueId,
                      .sg_count = c->sg_count,
                      .sg = (SCATTER_GATHER_ELEMENT *)c->sg};
    freed_note(H, &b);
    home_mark_used(home);
    home_unlock(H);
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
    c.context_live = context_is_live(ctx);
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

/* Any processor frees any block: the handle names the block's home, which is
   locked for the removal; a handle no home holds (never handed out, or freed
   already, on this processor or another) is unknown. */
VOID NdisFreeSharedMemory(NDIS_HANDLE NdisHandle, NDIS_HANDLE AllocationHandle)
{
    (void)NdisHandle;
    struct shmf_handler_frame fr;
    shmf__yield("NdisFreeSharedMemory");
    if (!shmf__irql_check_eq(PASSIVE_LEVEL, "NdisFreeSharedMemory",
                             "NdisFreeSharedMemory page: PASSIVE_LEVEL"))
        return;
    unsigned home = home_of_handle(AllocationHandle);
    struct block *b = NULL;
    NDIS_HANDLE ctx = NULL;
    if (home < SHM_HOMES) {
        struct shm_home *H = home_lock(home);
        b = block_by_handle(H, AllocationHandle);
        ctx = b ? b->context : NULL;
        if (b)
            live_remove(H, (unsigned)(b - H->blocks), true);
        home_unlock(H);
    }
    if (!b) {
        shmf__report(SHMF_KIND_POOL_FREE_UNKNOWN, (uint64_t)(uintptr_t)AllocationHandle,
                     "NdisFreeSharedMemory", NULL,
                     "NdisFreeSharedMemory of unknown allocation handle %p", AllocationHandle);
        return;
    }
    context_release(ctx);
    shmf__handler_enter(&fr);
    reg.chars.FreeSharedMemoryHandler(reg.chars.ProviderContext, ctx);
    shmf__handler_exit(&fr, "FreeSharedMemoryHandler");
}

/* === Invariants === */

/* Live entry k of home h: its handle was handed out by h since reset and maps
   back to k; its SG copy fits its buffer. */
static bool live_entry_ok(struct shm_home *H, unsigned h, unsigned k)
{
    const struct block *b = &H->blocks[k];
    uint64_t v = (uint64_t)(uintptr_t)b->handle;
    const struct hslot *m = hmap_find(H, v);
    return v >= home_handle_base(h) && v < H->next_handle && m && m->idx == k &&
           b->sg_count <= b->sg_cap && (!b->sg_count || b->sg) && b->context;
}

/* Home h: blocks[0, nlive) are its live blocks, each found by its handle; the
   handle map holds exactly them, at most half full; every freed note is listed
   once.  Adds its live blocks and odd ranges to *nlive, *odd. */
static bool home_is_valid(unsigned h, unsigned *nlive, unsigned *odd)
{
    unsigned keys = 0;
    struct shm_home *H = home_lock(h);
    bool ok = H->nlive <= H->cap_blocks &&
              (H->hmap_cap == 0 ? H->nlive == 0 : 2 * H->nlive <= H->hmap_cap) &&
              (H->hmap_cap & (H->hmap_cap - 1)) == 0 && H->nfreed_pages <= 2 * ZONE_PAGES &&
              (H->nlive == 0 || (used_homes() >> h & 1)) && H->next_handle >= home_handle_base(h) &&
              H->next_handle < home_handle_base(h + 1);
    for (unsigned k = 0; ok && k < H->nlive; k++) {
        ok = live_entry_ok(H, h, k) && context_is_live(H->blocks[k].context);
        *odd += H->blocks[k].ovl.odd;
    }
    for (unsigned i = 0; ok && i < H->hmap_cap; i++)
        keys += H->hmap[i].key != 0;
    for (unsigned i = 0; ok && i < H->nfreed_pages; i++)
        ok = H->freed_pages[i] < 2 * ZONE_PAGES && H->freed[H->freed_pages[i]].handle != NULL;
    ok = ok && keys == H->nlive;
    *nlive += H->nlive;
    home_unlock(H);
    return ok;
}

/* Invariant (between ops): every home that recorded a block is valid; the
   context set holds exactly the live blocks' contexts (each is found in it,
   and it holds as many); the overlap index counts exactly the live blocks and
   their odd ranges (so a block in a home not marked used shows too). */
bool shmf__shm_is_valid(void)
{
    unsigned nlive = 0, odd = 0, nctx = 0, ovl_blocks, ovl_odd;
    bool ok = true;
    uint64_t used = used_homes(), cused = __atomic_load_n(&ctx_used, __ATOMIC_RELAXED);
    for (unsigned h = 0; ok && h < SHM_HOMES; h++)
        ok = !(used >> h & 1) || home_is_valid(h, &nlive, &odd);
    for (unsigned i = 0; ok && i < CTX_SHARDS; i++) {
        if (!(cused >> i & 1))
            continue;
        shmf__lock_home(SHMF_LK_SHM_CTX, &ctxs[i].lock);
        ok = (ctxs[i].cap & (ctxs[i].cap - 1)) == 0 && 2 * ctxs[i].count <= ctxs[i].cap;
        nctx += ctxs[i].count;
        shmf__unlock_home(SHMF_LK_SHM_CTX, &ctxs[i].lock);
    }
    shmf__ovl_totals(&ovl_blocks, &ovl_odd);
    return ok && nctx == nlive && ovl_blocks == nlive && ovl_odd == odd;
}
