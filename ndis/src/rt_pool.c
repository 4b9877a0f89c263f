/*
 * rt_pool.c -- nonpaged pool as Driver Verifier's special pool and Linux KFENCE
 * would have it: NdisAllocateMemoryWithTagPriority, the free routines, and
 * RtlZeroMemory / RtlCopyMemory.
 *
 * Each block is a host chunk [left gap | user area | right redzone] plus a
 * separate header (struct pool_block) that records tag, size, call site,
 * allocation sequence number and state (UNUSED -> ALLOCATED -> FREED).  The bytes
 * next to the user area hold an address-derived canary (KFENCE_CANARY_PATTERN),
 * checked at free and by shmf__pool_check_all.  A freed block is poisoned and
 * kept in a FIFO quarantine; when it leaves, a changed poison byte is a
 * use-after-free.  Under ASan the gaps, redzones and freed blocks are also
 * ASan-poisoned, so a faulting access is reported at once.
 *
 * Per-processor homes (docs/stress.md, "Homes").  The pool is split into one
 * home per simulated processor plus an overflow home.  Each home has its own
 * lock, hash table, live list, quarantine, chunk cache and sequence counter, and
 * its own slice of one reserved address range, from which it carves the chunks
 * of its blocks (size classes up to POOL_SLICE_CLASSES).  A block belongs for
 * its whole life to the home whose slice holds its chunk, so any address names
 * its home in O(1) (home_of): a processor allocates in its own home, and a free
 * on another processor locks the block's home, finds the block there and
 * retires it into that home's quarantine.  Chunks too big for a slice, or
 * carved when a slice is full, come from the host allocator and belong to the
 * overflow home.  Each check still sees every block it needs: a double free or
 * a free of an inner address finds the block in the one home the address names;
 * leak, redzone and quarantine walks visit every home.
 *
 * Headers are found by each home's hash table keyed by user address.  A home's
 * state is guarded by its lock, at level SHMF_LK_POOL, which comes after
 * SHMF_LK_PAGES in the lock order: the Mm routines call in here with the pages
 * lock held, and freeing an MDL (which releases its page record) takes the pages
 * lock first.  A single-processor run (the fuzz targets) uses home 0 only.
 *
 * The pool sits below the MDLs (rt_mdl.c): a block holding an MDL carries the
 * callbacks (struct shmf_pool_mdl_ops) its free asks about the MDL's pages.
 * layer: 21 subsystem (calls rt_fault.c and the base)
 */
#include <stdio.h>
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

#define POOL_ALIGN 16u   /* Ex pool alignment on 64-bit */
#define POOL_REDZONE 32u /* canary bytes checked on each side */
#define POOL_HASH_BITS 12
#define POOL_HASH_SIZE (1u << POOL_HASH_BITS)
#define POOL_QUARANTINE_BLOCKS 64u
#define POOL_QUARANTINE_BYTES (1u << 20)
#define POOL_POISON_FREE 0x6bu        /* freed user area, as Linux POISON_FREE */
#define POOL_FILL_ALLOC 0xcdu         /* uninitialized pool, as DV fills it */
#define POOL_MDL_TAG 0x206c644du      /* 'Mdl ' */
#define POOL_NDIS_MDL_TAG 0x6c644d4eu /* 'NMdl', NdisAllocateMdl's MDLs */

enum pool_state { POOL_UNUSED, POOL_ALLOCATED, POOL_FREED };

/* Header of one block.  Invariant: a block is in the hash table iff it is in the
   live list (ALLOCATED) or in the quarantine (FREED). */
struct pool_block {
    struct pool_block *hnext;       /* hash chain */
    unsigned home;                  /* home_of(chunk), fixed for the chunk's life */
    struct pool_block *prev, *next; /* live list or quarantine FIFO */
    uint8_t *chunk;                 /* host allocation (left gap start) */
    uint8_t *user;                  /* address returned to the provider */
    size_t size;                    /* user bytes */
    size_t left;                    /* bytes of the left gap (>= POOL_REDZONE) */
    size_t right;                   /* bytes from user+size to the chunk end */
    ULONG tag;
    uintptr_t site;                          /* provider's return address */
    uint64_t seq;                            /* allocation sequence number since reset */
    size_t cap;                              /* bytes of the chunk (>= chunk_bytes) */
    void *mdl_ctx;                           /* rt_mdl.c record until the MDL block is freed */
    const struct shmf_pool_mdl_ops *mdl_ops; /* what to ask about mdl_ctx */
    bool is_mdl;
    bool is_ndis_mdl; /* from NdisAllocateMdl: only NdisFreeMdl frees it */
    enum pool_state state;
};

struct pool_list {
    struct pool_block *head, *tail;
    uint64_t count;
    size_t bytes;
};

#define POOL_CLASS_MIN 64u
#define POOL_CLASSES 20u /* 64 B .. 32 MiB */
#define POOL_CACHE_BYTES ((size_t)32 << 20)
#define POOL_HOMES (SHMF_MAX_CPUS + 1) /* one per processor, then the overflow home */
#define POOL_OVERFLOW SHMF_MAX_CPUS
#define POOL_SLICE ((size_t)128 << 20) /* address range of one processor's home */
#define POOL_SLICE_CLASSES 15u         /* classes carved from slices: up to 1 MiB */
#define POOL_GROW ((size_t)2 << 20)    /* slice bytes made accessible at a time */

/* One home.  Every field but `lock` is accessed under `lock` (SHMF_LK_POOL
   level); each home starts on its own cache line. */
struct pool_home {
    unsigned lock;
    struct pool_list live;       /* allocation order */
    struct pool_list quarantine; /* oldest at head */
    uint64_t seq;
    struct pool_block *cache[POOL_CLASSES]; /* chunk cache by size class, linked by next */
    size_t cache_bytes;                     /* overflow home only: host chunks cached */
    size_t carved, mapped;                  /* slice bytes handed out / accessible */
    struct pool_block *buckets[POOL_HASH_SIZE];
} __attribute__((aligned(64)));

static struct pool_home homes[POOL_HOMES];
/* SHMF_MAX_CPUS slices of POOL_SLICE bytes, reserved inaccessible once (the
   first chunk_get; published by a release CAS that pairs with the acquire load
   in slices_base) and never unmapped. */
static uint8_t *slices;

static uint8_t *slices_base(void)
{
    /* acquire: pairs with the release (ACQ_REL) CAS below, by whichever
       thread reserved the slices first */
    uint8_t *b = __atomic_load_n(&slices, __ATOMIC_ACQUIRE);
    if (b)
        return b;
    /* At a fixed address when it is free, so pool addresses (and the findings
       that name them) are the same in every run. */
    void *m = shmf__map_at(SHMF_POOL_AT, POOL_SLICE * SHMF_MAX_CPUS, PROT_NONE, SHMF_MAP_ALIGN);
    if (!m)
        return NULL;
    uint8_t *expect = NULL;
    /* release on success: pairs with the acquire loads in slices_base() and
       home_of(); acquire on failure: pairs with the winner's release here */
    if (!__atomic_compare_exchange_n(&slices, &expect, (uint8_t *)m, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        munmap(m, POOL_SLICE * SHMF_MAX_CPUS);
        return expect;
    }
    return m;
}

/* The home of any address: the slice holding it, else the overflow home. */
static unsigned home_of(const void *p)
{
    /* acquire: pairs with the release CAS in slices_base() */
    uint8_t *b = __atomic_load_n(&slices, __ATOMIC_ACQUIRE);
    uintptr_t a = (uintptr_t)p;
    if (b && a >= (uintptr_t)b && a - (uintptr_t)b < POOL_SLICE * SHMF_MAX_CPUS)
        return (unsigned)((a - (uintptr_t)b) / POOL_SLICE);
    return POOL_OVERFLOW;
}

static struct pool_home *home_lock(unsigned h)
{
    shmf__lock_home(SHMF_LK_POOL, &homes[h].lock);
    return &homes[h];
}

static void home_unlock(struct pool_home *H)
{
    shmf__unlock_home(SHMF_LK_POOL, &H->lock);
}

/* === Canaries and tags === */

static uint8_t canary_byte(const uint8_t *addr)
{
    return (uint8_t)(0xaa ^ ((uintptr_t)addr & 0xff));
}

static void canary_fill(uint8_t *from, uint8_t *to)
{
    for (uint8_t *a = from; a < to; a++)
        *a = canary_byte(a);
}

/* First byte of [from, to) whose canary changed, or NULL. */
static const uint8_t *canary_first_bad(const uint8_t *from, const uint8_t *to)
{
    for (const uint8_t *a = from; a < to; a++)
        if (*a != canary_byte(a))
            return a;
    return NULL;
}

/* Four tag characters in memory order, as pool tools print them. */
static void tag_text(ULONG tag, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)((tag >> (8 * i)) & 0xff);
        out[i] = (c >= 0x20 && c <= 0x7e) ? c : '.';
    }
    out[4] = '\0';
}

/* === Lists and hash table === */

static void list_push(struct pool_list *l, struct pool_block *b)
{
    b->next = NULL;
    b->prev = l->tail;
    if (l->tail)
        l->tail->next = b;
    else
        l->head = b;
    l->tail = b;
    l->count++;
    l->bytes += b->size;
}

static void list_remove(struct pool_list *l, struct pool_block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        l->head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    else
        l->tail = b->prev;
    l->count--;
    l->bytes -= b->size;
}

static struct pool_block **bucket_of(struct pool_home *H, const void *p)
{
    uint64_t h = ((uint64_t)(uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull;
    return &H->buckets[h >> (64 - POOL_HASH_BITS)];
}

/* pre: H = home_of(p), locked. */
static struct pool_block *hash_find(struct pool_home *H, const void *p)
{
    for (struct pool_block *b = *bucket_of(H, p); b; b = b->hnext)
        if (b->user == p)
            return b;
    return NULL;
}

static void hash_insert(struct pool_home *H, struct pool_block *b)
{
    struct pool_block **head = bucket_of(H, b->user);
    b->hnext = *head;
    *head = b;
}

static void hash_remove(struct pool_home *H, struct pool_block *b)
{
    struct pool_block **pp = bucket_of(H, b->user);
    while (*pp != b)
        pp = &(*pp)->hnext;
    *pp = b->hnext;
}

/* === Homes === */

/* Invariant of list l of home h: links both ways, every block of home h in
   `state` and in the hash table, count and bytes matching.  pre: h locked. */
static bool pool_list_is_valid(struct pool_home *H, unsigned h, const struct pool_list *l,
                               enum pool_state state)
{
    uint64_t n = 0;
    size_t bytes = 0;
    const struct pool_block *prev = NULL;
    for (const struct pool_block *b = l->head; b; prev = b, b = b->next, n++) {
        if (b->prev != prev || b->home != h || b->state != state || hash_find(H, b->user) != b ||
            (b->mdl_ctx && !b->mdl_ops))
            return false;
        bytes += b->size;
    }
    return l->tail == prev && n == l->count && bytes == l->bytes;
}

/* Invariant of home h (expensive: walks it): every block of its live list and
   quarantine has home h, the right state, and is in its hash table; the counts
   match.  pre: h locked. */
static bool pool_home_is_valid(struct pool_home *H, unsigned h)
{
    return pool_list_is_valid(H, h, &H->live, POOL_ALLOCATED) &&
           pool_list_is_valid(H, h, &H->quarantine, POOL_FREED) &&
           (h == POOL_OVERFLOW ? H->cache_bytes <= POOL_CACHE_BYTES
                               : H->carved <= H->mapped && H->mapped <= POOL_SLICE);
}

/* === Blocks === */

static size_t chunk_bytes(const struct pool_block *b)
{
    return b->left + b->size + b->right;
}

/* === Chunk cache ===
 * A block leaving the quarantine (or the world) keeps its host chunk, fully
 * ASan-poisoned, in a cache by power-of-two size class, so the next block of
 * that class reuses warm memory: a malloc per pool block went through ASan's
 * quarantine and put fresh, page-faulting memory under every allocation. */

static unsigned size_class(size_t bytes)
{
    unsigned c = 0;
    while (c < POOL_CLASSES && ((size_t)POOL_CLASS_MIN << c) < bytes)
        c++;
    return c; /* POOL_CLASSES: too big to cache */
}

/* Carve cap bytes (a class size) from home h's slice; NULL when it is full.
   pre: h < POOL_OVERFLOW, locked. */
static uint8_t *slice_carve(struct pool_home *H, unsigned h, size_t cap)
{
    uint8_t *base = slices_base();
    size_t align = cap >= PAGE_SIZE ? PAGE_SIZE : POOL_ALIGN;
    size_t at = (H->carved + align - 1) & ~(align - 1);
    if (!base || at + cap > POOL_SLICE)
        return NULL;
    uint8_t *s = base + (size_t)h * POOL_SLICE;
    if (at + cap > H->mapped) {
        size_t want = (at + cap + POOL_GROW - 1) & ~(POOL_GROW - 1);
        if (mprotect(s + H->mapped, want - H->mapped, PROT_READ | PROT_WRITE))
            return NULL;
        H->mapped = want;
    }
    H->carved = at + cap;
    return s + at;
}

/* A block record with a chunk of at least `bytes`, page-aligned from 4 KiB on,
   from processor home h (its cache, then its slice) or else the overflow home. */
static struct pool_block *chunk_get(size_t bytes, unsigned h)
{
    unsigned c = size_class(bytes);
    struct pool_block *b = NULL;
    uint8_t *carved = NULL;
    size_t cap = c < POOL_CLASSES ? (size_t)POOL_CLASS_MIN << c : bytes;
    if (c >= POOL_SLICE_CLASSES)
        h = POOL_OVERFLOW;
    struct pool_home *H = home_lock(h);
    if (c < POOL_CLASSES && (b = H->cache[c]) != NULL) {
        H->cache[c] = b->next;
        if (h == POOL_OVERFLOW)
            H->cache_bytes -= b->cap;
    } else if (h != POOL_OVERFLOW) {
        carved = slice_carve(H, h, cap);
    }
    home_unlock(H);
    if (b)
        return b;
    if (!carved && h != POOL_OVERFLOW && c < POOL_CLASSES)
        return chunk_get(bytes, POOL_OVERFLOW); /* slice full */
    if (!(b = calloc(1, sizeof(*b))))
        return NULL; /* a carved chunk is lost: the host is out of memory anyway */
    if (carved) {
        b->chunk = carved;
    } else if (posix_memalign((void **)&b->chunk, cap >= PAGE_SIZE ? PAGE_SIZE : POOL_ALIGN, cap)) {
        free(b);
        return NULL;
    }
    b->cap = cap;
    b->home = carved ? h : POOL_OVERFLOW;
    SHMF_POISON(b->chunk, cap);
    return b;
}

/* Back to its home's cache (a slice chunk always; a host chunk while the
   overflow cache has room).  pre: b's home locked. */
static void chunk_put(struct pool_block *b)
{
    struct pool_home *H = &homes[b->home];
    unsigned c = size_class(b->cap);
    if (c < POOL_CLASSES &&
        (b->home != POOL_OVERFLOW || H->cache_bytes + b->cap <= POOL_CACHE_BYTES)) {
        SHMF_POISON(b->chunk, b->cap);
        b->next = H->cache[c];
        H->cache[c] = b;
        if (b->home == POOL_OVERFLOW)
            H->cache_bytes += b->cap;
        b = NULL;
    }
    if (b) {
        SHMF_UNPOISON(b->chunk, b->cap);
        free(b->chunk);
        free(b);
    }
}

/* Make a block of `size` bytes: canaries around the user area, the user area
   filled with the uninitialized-pool pattern, gaps ASan-poisoned. */
static struct pool_block *block_create(size_t size, ULONG tag, uintptr_t site, unsigned h)
{
    size_t align = size >= PAGE_SIZE ? PAGE_SIZE : POOL_ALIGN;
    size_t rounded = (size + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
    size_t left = align > POOL_REDZONE ? align : POOL_REDZONE;
    size_t right = rounded - size + POOL_REDZONE;
    if (rounded < size || left + rounded + POOL_REDZONE < rounded)
        return NULL;
    struct pool_block *b = chunk_get(left + rounded + POOL_REDZONE, h);
    if (!b)
        return NULL;
    uint8_t *chunk = b->chunk;
    size_t cap = b->cap;
    unsigned home = b->home;
    *b = (struct pool_block){.chunk = chunk,
                             .cap = cap,
                             .home = home,
                             .left = left,
                             .size = size,
                             .right = right,
                             .tag = tag,
                             .site = site,
                             .state = POOL_ALLOCATED};
    b->user = b->chunk + b->left;
    SHMF_UNPOISON(b->chunk, chunk_bytes(b));
    canary_fill(b->user - POOL_REDZONE, b->user);
    canary_fill(b->user + size, b->user + size + b->right);
    memset(b->user, POOL_FILL_ALLOC, size);
    SHMF_POISON(b->chunk, b->left);
    SHMF_POISON(b->user + size, b->right);
    return b;
}

/* pre: b's home locked. */
static void block_destroy(struct pool_block *b)
{
    chunk_put(b);
}

/* First overwritten redzone byte of b, or NULL. */
static const uint8_t *block_redzone_bad(const struct pool_block *b)
{
    const uint8_t *bad;
    SHMF_UNPOISON(b->user - POOL_REDZONE, POOL_REDZONE);
    SHMF_UNPOISON(b->user + b->size, b->right);
    bad = canary_first_bad(b->user - POOL_REDZONE, b->user);
    if (!bad)
        bad = canary_first_bad(b->user + b->size, b->user + b->size + b->right);
    SHMF_POISON(b->user - POOL_REDZONE, POOL_REDZONE);
    SHMF_POISON(b->user + b->size, b->right);
    return bad;
}

/* First byte of a freed block whose poison changed, or NULL. */
static const uint8_t *block_poison_bad(const struct pool_block *b)
{
    size_t k = shmf__first_not(b->user, b->size, POOL_POISON_FREE);
    return k < b->size ? b->user + k : NULL;
}

static void report_overrun(const struct pool_block *b, const uint8_t *bad, const char *fn)
{
    char tag[5];
    tag_text(b->tag, tag);
    shmf__report(SHMF_KIND_POOL_OVERRUN, (uint64_t)(uintptr_t)b->user, fn, NULL,
                 "pool block %p (tag '%s', %zu bytes, allocated at 0x%lx): redzone byte "
                 "at offset %td overwritten",
                 (void *)b->user, tag, b->size, (unsigned long)b->site, bad - b->user);
}

static void report_use_after_free(const struct pool_block *b, const uint8_t *bad)
{
    char tag[5];
    tag_text(b->tag, tag);
    shmf__report(SHMF_KIND_USE_AFTER_FREE, (uint64_t)(uintptr_t)b->user, "ExFreePool",
                 "Special Pool 0xCC; KFENCE use-after-free",
                 "freed pool block %p (tag '%s', %zu bytes, allocated at 0x%lx) was "
                 "written at offset %td after its free",
                 (void *)b->user, tag, b->size, (unsigned long)b->site, bad - b->user);
}

/* Check the redzones of b and report pool-overrun; true if intact. */
static bool block_check(const struct pool_block *b, const char *fn)
{
    const uint8_t *bad = block_redzone_bad(b);
    if (bad)
        report_overrun(b, bad, fn);
    return bad == NULL;
}

/* === Quarantine === */

/* Release the oldest quarantined block, reporting use-after-free if its poison
   or redzones changed while it sat there. */
static void quarantine_evict_one(struct pool_home *H)
{
    struct pool_block *b = H->quarantine.head;
    const uint8_t *bad = block_poison_bad(b);
    list_remove(&H->quarantine, b);
    hash_remove(H, b);
    b->state = POOL_UNUSED;
    if (bad)
        report_use_after_free(b, bad);
    block_destroy(b);
}

/* Each home keeps its own FIFO with the old limits: a block freed on another
   processor waits in its own home's quarantine. */
static void quarantine_push(struct pool_home *H, struct pool_block *b)
{
    list_push(&H->quarantine, b);
    while (H->quarantine.count > POOL_QUARANTINE_BLOCKS ||
           (H->quarantine.bytes > POOL_QUARANTINE_BYTES && H->quarantine.count > 1))
        quarantine_evict_one(H);
}

/* === Allocation and free === */

static void *pool_alloc(size_t size, ULONG tag, uintptr_t site,
                        const struct shmf_pool_mdl_ops *mdl_ops, void *mdl_ctx)
{
    struct pool_block *b = block_create(size, tag, site, shmf__cpu()->index % SHMF_MAX_CPUS);
    if (!b)
        return NULL;
    b->mdl_ctx = mdl_ctx;
    b->mdl_ops = mdl_ops;
    b->is_mdl = mdl_ctx != NULL;
    struct pool_home *H = home_lock(b->home);
    b->seq = ++H->seq;
    list_push(&H->live, b);
    hash_insert(H, b);
    home_unlock(H);
    return b->user;
}

/* Free routes: which checks a free routine applies. */
#define FREE_CHECK_TAG 0x1u /* a non-zero Tag must equal the allocation tag */
#define FREE_NDIS 0x2u      /* NdisFree*: the block must come from NDIS, not an MDL */
#define FREE_NDIS_MDL 0x4u  /* NdisFreeMdl: only an MDL from NdisAllocateMdl */

static void report_free_unknown(const void *p, const char *fn, const char *why)
{
    shmf__report(SHMF_KIND_POOL_FREE_UNKNOWN, (uint64_t)(uintptr_t)p, fn,
                 "DV 0xC4/0x10; BAD_POOL_CALLER 0xC2/0x41-0x48", "%s frees %p, %s", fn, p, why);
}

static void report_double_free(const struct pool_block *b, const char *fn)
{
    char tag[5];
    tag_text(b->tag, tag);
    shmf__report(SHMF_KIND_POOL_DOUBLE_FREE, (uint64_t)(uintptr_t)b->user, fn, NULL,
                 "double free of pool block %p (tag '%s', %zu bytes, allocated at 0x%lx)",
                 (void *)b->user, tag, b->size, (unsigned long)b->site);
}

static void report_wrong_tag(const struct pool_block *b, ULONG tag, const char *fn)
{
    char want[5], got[5];
    tag_text(b->tag, want);
    tag_text(tag, got);
    shmf__report(SHMF_KIND_POOL_FREE_UNKNOWN, (uint64_t)(uintptr_t)b->user, fn,
                 "BAD_POOL_CALLER 0xC2/0x0A",
                 "pool block %p (%zu bytes) allocated with tag '%s' freed with wrong tag "
                 "'%s'",
                 (void *)b->user, b->size, want, got);
}

/* True if b may be freed by this route; otherwise report why and return false
   (the free is then ignored, the least harmful choice). */
static bool free_allowed(const struct pool_block *b, ULONG tag, unsigned how, const char *fn)
{
    if (b->state == POOL_FREED) {
        report_double_free(b, fn);
        return false;
    }
    if ((how & FREE_NDIS) && b->is_mdl) {
        report_free_unknown(b->user, fn, "an MDL, which only ExFreePool may free");
        return false;
    }
    if ((how & FREE_NDIS_MDL) && !b->is_ndis_mdl) {
        report_free_unknown(b->user, fn, "not an MDL from NdisAllocateMdl");
        return false;
    }
    if (!(how & FREE_NDIS_MDL) && b->is_ndis_mdl) {
        report_free_unknown(b->user, fn,
                            "an MDL from NdisAllocateMdl, which only NdisFreeMdl may free");
        return false;
    }
    if ((how & FREE_CHECK_TAG) && tag != 0 && !b->is_mdl && tag != b->tag) {
        report_wrong_tag(b, tag, fn);
        return false;
    }
    if (b->mdl_ctx && !b->mdl_ops->pages_freed(b->mdl_ctx)) {
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)(uintptr_t)b->user, fn,
                     "MmFreePagesFromMdl page: free the pages, then ExFreePool the MDL",
                     "MDL %p freed before its pages (call MmFreePagesFromMdl first)",
                     (void *)b->user);
        return false;
    }
    return true;
}

/* Move b from the live list to the quarantine, poisoned; release an MDL's page
   record.  pre: H = b's home, locked; SHMF_LK_PAGES held too if b->mdl_ctx. */
static void block_retire(struct pool_home *H, struct pool_block *b, const char *fn)
{
    block_check(b, fn);
    if (b->mdl_ctx)
        b->mdl_ops->released(b->mdl_ctx);
    b->mdl_ctx = NULL;
    list_remove(&H->live, b);
    b->state = POOL_FREED;
    memset(b->user, POOL_POISON_FREE, b->size);
    SHMF_POISON(b->user, b->size);
    quarantine_push(H, b);
}

/* Live or quarantined block whose chunk holds p (error path only: a walk of the
   one home p names; every chunk lies inside its home's slice).  pre: H =
   home_of(p), locked. */
static const struct pool_block *block_containing(struct pool_home *H, const void *p)
{
    const struct pool_list *lists[2] = {&H->live, &H->quarantine};
    uintptr_t a = (uintptr_t)p;
    for (int i = 0; i < 2; i++)
        for (const struct pool_block *b = lists[i]->head; b; b = b->next)
            if (a >= (uintptr_t)b->chunk && a - (uintptr_t)b->chunk < chunk_bytes(b))
                return b;
    return NULL;
}

static void report_not_a_block(struct pool_home *H, const void *p, const char *fn)
{
    char why[160];
    const struct pool_block *in = p ? block_containing(H, p) : NULL;
    if (!p)
        snprintf(why, sizeof(why), "a NULL pointer");
    else if (in)
        snprintf(why, sizeof(why), "an address inside pool block %p (%zu bytes), not its base",
                 (void *)in->user, in->size);
    else
        snprintf(why, sizeof(why), "an address no pool allocator returned");
    report_free_unknown(p, fn, why);
}

static void pool_free(void *p, ULONG tag, unsigned how, const char *fn)
{
    bool pages = false;
    unsigned h = home_of(p); /* the block's home, whichever processor frees it */
    struct pool_home *H = home_lock(h);
    struct pool_block *b = p ? hash_find(H, p) : NULL;
    if (b && b->mdl_ctx) {
        /* An MDL with its page record: the pages lock comes first. */
        home_unlock(H);
        shmf__lock(SHMF_LK_PAGES);
        H = home_lock(h);
        b = hash_find(H, p);
        pages = true;
    }
    if (!b)
        report_not_a_block(H, p, fn);
    else if (free_allowed(b, tag, how, fn))
        block_retire(H, b, fn);
    home_unlock(H);
    if (pages)
        shmf__unlock(SHMF_LK_PAGES);
}

/* === ndis.h routines === */

PVOID NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length, ULONG Tag,
                                        EX_POOL_PRIORITY Priority)
{
    static const char fn[] = "NdisAllocateMemoryWithTagPriority";
    uintptr_t site = SHMF_CALLER();
    (void)NdisHandle;
    (void)Priority;
    shmf__irql_check_max(DISPATCH_LEVEL, fn, "IrqlExAllocatePool");
    if (Length == 0) {
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)Tag, fn,
                     "DV 0xC4/0x00; BAD_POOL_CALLER 0xC2/0x00",
                     "zero-byte pool allocation (tag 0x%08x) from 0x%lx", (unsigned)Tag,
                     (unsigned long)site);
        return NULL;
    }
    if (shmf__fault_should_fail(fn, site))
        return NULL;
    return pool_alloc(Length, Tag, site, NULL, NULL);
}

VOID NdisFreeMemoryWithTagPriority(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, ULONG Tag)
{
    static const char fn[] = "NdisFreeMemoryWithTagPriority";
    (void)NdisHandle;
    shmf__irql_check_max(DISPATCH_LEVEL, fn, "NdisFreeMemoryWithTagPriority page");
    pool_free(VirtualAddress, Tag, FREE_CHECK_TAG | FREE_NDIS, fn);
}

VOID NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags)
{
    static const char fn[] = "NdisFreeMemory";
    (void)Length;
    shmf__irql_check_max(MemoryFlags == 0 ? DISPATCH_LEVEL : PASSIVE_LEVEL, fn,
                         "Irql_Miscellaneous_Function");
    if (MemoryFlags != 0)
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)(uintptr_t)VirtualAddress, fn,
                     "NdisFreeMemory page: MemoryFlags must be 0 for "
                     "NdisAllocateMemoryWithTagPriority memory",
                     "NdisFreeMemory(%p) with MemoryFlags 0x%x; pool memory needs 0",
                     VirtualAddress, MemoryFlags);
    pool_free(VirtualAddress, 0, FREE_NDIS, fn);
}

VOID ExFreePool(PVOID P)
{
    shmf__irql_check_max(DISPATCH_LEVEL, "ExFreePool", "IrqlExFree1");
    pool_free(P, 0, 0, "ExFreePool");
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    shmf__irql_check_max(DISPATCH_LEVEL, "ExFreePoolWithTag", "IrqlExFree2");
    pool_free(P, Tag, FREE_CHECK_TAG, "ExFreePoolWithTag");
}

VOID RtlZeroMemory(PVOID Destination, SIZE_T Length)
{
    memset(Destination, 0, Length);
}

VOID RtlCopyMemory(PVOID Destination, const VOID *Source, SIZE_T Length)
{
    uintptr_t d = (uintptr_t)Destination, s = (uintptr_t)Source;
    if (Length != 0 && d < s + Length && s < d + Length) {
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)d, "RtlCopyMemory",
                     "DV 0xC4/0xF0; RtlCopyMemory page: ranges must not overlap",
                     "RtlCopyMemory(%p, %p, %zu) with overlapping ranges (use "
                     "RtlMoveMemory)",
                     Destination, Source, (size_t)Length);
        memmove(Destination, Source, Length);
        return;
    }
    memcpy(Destination, Source, Length);
}

/* === Runtime interface (rt_internal.h) === */

void *shmf__pool_alloc_mdl(size_t n, const struct shmf_pool_mdl_ops *ops, void *ctx, uintptr_t site)
{
    return pool_alloc(n, POOL_MDL_TAG, site, ops, ctx);
}

void *shmf__pool_alloc_ndis_mdl(size_t n, uintptr_t site)
{
    void *p = pool_alloc(n, POOL_NDIS_MDL_TAG, site, NULL, NULL);
    if (p) {
        struct pool_home *H = home_lock(home_of(p));
        hash_find(H, p)->is_ndis_mdl = true;
        home_unlock(H);
    }
    return p;
}

void shmf__pool_free_ndis_mdl(void *p, const char *fn)
{
    pool_free(p, 0, FREE_NDIS_MDL, fn);
}

bool shmf__pool_is_ndis_mdl(const void *p)
{
    struct pool_home *H = home_lock(home_of(p));
    const struct pool_block *b = hash_find(H, p);
    bool yes = b && b->is_ndis_mdl && b->state == POOL_ALLOCATED;
    home_unlock(H);
    return yes;
}

void *shmf__pool_mdl_ctx(const void *p, bool *freed)
{
    void *ctx = NULL;
    bool was_freed = false;
    struct pool_home *H = home_lock(home_of(p));
    struct pool_block *b = hash_find(H, p);
    if (b && b->is_mdl) {
        was_freed = b->state == POOL_FREED;
        ctx = was_freed ? NULL : b->mdl_ctx;
    }
    home_unlock(H);
    if (freed)
        *freed = was_freed;
    return ctx;
}

void shmf__pool_free_mdl(void *p)
{
    struct pool_home *H = home_lock(home_of(p));
    struct pool_block *b = hash_find(H, p);
    if (b && b->state == POOL_ALLOCATED) {
        list_remove(&H->live, b);
        hash_remove(H, b);
        block_destroy(b);
    }
    home_unlock(H);
}

static void list_destroy_all(struct pool_list *l)
{
    struct pool_block *b = l->head, *next;
    for (; b; b = next) {
        next = b->next;
        block_destroy(b);
    }
    memset(l, 0, sizeof(*l));
}

void shmf__pool_reset(void)
{
    for (unsigned h = 0; h < POOL_HOMES; h++) {
        struct pool_home *H = home_lock(h);
        if (H->live.count || H->quarantine.count || H->seq) {
            list_destroy_all(&H->live);
            list_destroy_all(&H->quarantine);
            memset(H->buckets, 0, sizeof(H->buckets));
            H->seq = 0;
        }
        home_unlock(H);
    }
}

void shmf__pool_check_leaks(void)
{
    char tag[5];
    for (unsigned h = 0; h < POOL_HOMES; h++) {
        struct pool_home *H = home_lock(h);
#if SHMF_DEBUG >= 2
        if (!pool_home_is_valid(H, h)) {
            fprintf(stderr, "shmfuzz runtime: pool home %u corrupt\n", h);
            abort();
        }
#endif
        for (struct pool_block *b = H->live.head; b; b = b->next) {
            tag_text(b->tag, tag);
            shmf__report(SHMF_KIND_LEAK_POOL, (uint64_t)(uintptr_t)b->user, "ShmfProviderUnload",
                         NULL,
                         "%s %p (tag '%s', %zu bytes, allocation #%llu) allocated at 0x%lx "
                         "is still allocated at unload",
                         b->is_mdl || b->is_ndis_mdl ? "MDL" : "pool block", (void *)b->user, tag,
                         b->size, (unsigned long long)b->seq, (unsigned long)b->site);
        }
        home_unlock(H);
    }
}

void shmf__pool_check_all(void)
{
    const uint8_t *bad;
    for (unsigned h = 0; h < POOL_HOMES; h++) {
        struct pool_home *H = home_lock(h);
        for (struct pool_block *b = H->live.head; b; b = b->next)
            block_check(b, "shmf_pool_check");
        for (struct pool_block *b = H->quarantine.head; b; b = b->next)
            if ((bad = block_poison_bad(b)) != NULL)
                report_use_after_free(b, bad);
        home_unlock(H);
    }
}

uint64_t shmf__pool_live_count(void)
{
    uint64_t n = 0;
    for (unsigned h = 0; h < POOL_HOMES; h++) {
        struct pool_home *H = home_lock(h);
        n += H->live.count;
        home_unlock(H);
    }
    return n;
}

bool shmf__pool_contains(const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p;
    bool found = false;
    struct pool_home *H = home_lock(home_of(p)); /* a block lies in its home's slice */
    for (struct pool_block *b = H->live.head; b && !found; b = b->next) {
        uintptr_t u = (uintptr_t)b->user;
        found = a >= u && a - u <= b->size && n <= b->size - (a - u);
    }
    home_unlock(H);
    return found;
}

bool shmf__pool_is_valid(void)
{
    bool ok = true;
    for (unsigned h = 0; h < POOL_HOMES && ok; h++) {
        struct pool_home *H = home_lock(h);
        ok = pool_home_is_valid(H, h);
        home_unlock(H);
    }
    return ok;
}
