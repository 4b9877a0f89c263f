/*
 * stress_ops.c -- the stress runner's per-op execution: the per-processor
 * guarded buffers and each op executed exactly as exec.c executes it, under
 * the sharing rules described in stress.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stress_internal.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(ST_ASAN)
#define ST_ASAN 1
#endif
#ifdef ST_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* === Per-processor guarded buffers ===
 * n bytes ending 8-byte aligned just before an inaccessible page; the rounding
 * slack holds a canary (and is ASan-poisoned), so a provider that reads or
 * writes past the parameters block or the SG buffer is caught.  Mapped once per
 * processor: no system call per op. */

int shmf__gbuf_init(struct gbuf *g, size_t max)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    g->data_len = (max + 8 + pg - 1) & ~(pg - 1);
    g->map_len = g->data_len + pg;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED) {
        g->map = NULL;
        return -ENOMEM;
    }
    mprotect(g->map + g->data_len, pg, PROT_NONE);
    return 0;
}

void shmf__gbuf_fini(struct gbuf *g)
{
    if (g->map)
        munmap(g->map, g->map_len);
    g->map = NULL;
}

static void *gbuf_get(struct gbuf *g, size_t n)
{
    g->n = n;
    g->rounded = (n + 7) & ~(size_t)7;
    g->user = g->map + g->data_len - g->rounded;
    memset(g->user + n, ST_GUARD_CANARY, g->rounded - n);
#ifdef ST_ASAN
    ASAN_POISON_MEMORY_REGION(g->user + n, g->rounded - n);
#endif
    return g->user;
}

static bool gbuf_intact(struct gbuf *g)
{
#ifdef ST_ASAN
    ASAN_UNPOISON_MEMORY_REGION(g->user + g->n, g->rounded - g->n);
#endif
    for (size_t i = g->n; i < g->rounded; i++)
        if (g->user[i] != ST_GUARD_CANARY)
            return false;
    return true;
}

bool shmf__gbuf_guard_hit(const struct gbuf *g, uintptr_t a)
{
    uintptr_t s = (uintptr_t)g->user, e = (uintptr_t)g->map + g->map_len;
    return g->map && g->user && a >= s && a < e;
}

#define ST_LOCK_SPINS 256 /* pause loops before each sched_yield */

static void lk(struct st_world *w, struct st_lock *l)
{
    if (w->interleave) {
        shmf_co_mutex_lock(&l->co);
        return;
    }
    for (unsigned n = 1; __atomic_load_n(&l->word, __ATOMIC_RELAXED) ||
                         __atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE);
         n++) {
        if (n % ST_LOCK_SPINS == 0)
            sched_yield();
#if defined(__x86_64__) || defined(__i386__)
        else
            __builtin_ia32_pause();
#endif
    }
}

static void ulk(struct st_world *w, struct st_lock *l)
{
    if (w->interleave)
        shmf_co_mutex_unlock(&l->co);
    else
        __atomic_store_n(&l->word, 0, __ATOMIC_RELEASE);
}

/* === Ops, executed as exec.c executes them === */

/* Queue field 0 is NIC slot 0, the default queue, which stress never frees;
   raw ids (>= 0x80) name queues the NIC never assigns. */
static ULONG st_queue(const struct shmf_op *op)
{
    uint32_t q = op->a[SHMF_ARG_ALLOC_QUEUE];
    return q >= 0x80 ? (q & 0x7f) : NDIS_DEFAULT_RECEIVE_QUEUE_ID;
}

static void st_alloc(struct st_world *w, struct st_cpu *c, const struct shmf_op *op)
{
    NDIS_SHARED_MEMORY_PARAMETERS p;
    NDIS_HANDLE h = NULL;
    shmf_exec_alloc_params(op, st_queue(op), &p);
    size_t psize = p.Header.Size < sizeof(NDIS_OBJECT_HEADER) ? sizeof(NDIS_OBJECT_HEADER)
                                                                : p.Header.Size;
    ULONG sglen = shmf_exec_sg_length(op, p.Length);
    unsigned char *params = gbuf_get(&c->params, psize);
    void *sg = sglen ? gbuf_get(&c->sg, sglen) : NULL;
    p.SGListBufferLength = sglen;
    p.SGListBuffer = sg;
    memset(params, 0, psize);
    memcpy(params, &p, psize < sizeof(p) ? psize : sizeof(p));
    NDIS_STATUS st = NdisAllocateSharedMemory(shmf_rt_driver_handle(),
                                              (PNDIS_SHARED_MEMORY_PARAMETERS)params, &h);
    if (!gbuf_intact(&c->params))
        shmf_rt_report(SHMF_KIND_PARAMS_OUT_OF_BOUNDS, (uint64_t)(uintptr_t)params,
                       "AllocateSharedMemoryHandler", NULL,
                       "provider wrote past the %zu-byte parameters block at %p", psize,
                       (void *)params);
    else if (sg && !gbuf_intact(&c->sg))
        shmf_rt_report(SHMF_KIND_SG_BUFFER_OVERFLOW, (uint64_t)(uintptr_t)sg,
                       "AllocateSharedMemoryHandler", NULL,
                       "provider wrote past the %lu-byte SG buffer at %p", (unsigned long)sglen,
                       sg);
    if (st != NDIS_STATUS_SUCCESS || !h)
        return;
    lk(w, &w->tab_lock);
    bool kept = w->nblocks < ST_MAX_BLOCKS;
    if (kept)
        w->blocks[__atomic_fetch_add(&w->nblocks, 1, __ATOMIC_RELAXED)] =
            (struct st_blk){h, 0};
    ulk(w, &w->tab_lock);
    if (!kept)
        NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
}

/* Take entry i out of the table (swap with the last, as exec.c does).
   pre: tab_lock held. */
NDIS_HANDLE shmf__take_entry(struct st_world *w, unsigned i)
{
    NDIS_HANDLE h = w->blocks[i].h;
    unsigned last = __atomic_sub_fetch(&w->nblocks, 1, __ATOMIC_RELAXED);
    w->blocks[i] = w->blocks[last];
    return h;
}

static void st_free(struct st_world *w, const struct shmf_op *op)
{
    NDIS_HANDLE h = NULL;
    lk(w, &w->tab_lock);
    unsigned n = w->nblocks;
    for (unsigned k = 0; k < n && !h; k++) {
        unsigned i = (op->a[SHMF_ARG_FREE_SLOT] + k) % n;
        if (w->blocks[i].users == 0)
            h = shmf__take_entry(w, i);
    }
    ulk(w, &w->tab_lock);
    if (h)
        NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
}

static void st_touch(struct st_world *w, const struct shmf_op *op)
{
    struct shmf_block_info b;
    NDIS_HANDLE h;
    struct st_blk *e;
    lk(w, &w->tab_lock);
    if (w->nblocks == 0) {
        ulk(w, &w->tab_lock);
        return;
    }
    e = &w->blocks[op->a[SHMF_ARG_TOUCH_SLOT] % w->nblocks];
    h = e->h;
    e->users++;
    ulk(w, &w->tab_lock);
    if (shmf_rt_block_find(h, &b) && b.length != 0) {
        uint64_t off, len;
        bool write = shmf_exec_touch_range(&b, op, &off, &len);
        shmf_exec_touch_bytes(&b, off, len, write);
    }
    /* The entry may have moved (swap-removal of another one) but not left:
       pinned entries are never taken. */
    lk(w, &w->tab_lock);
    for (unsigned i = 0; i < w->nblocks; i++)
        if (w->blocks[i].h == h) {
            w->blocks[i].users--;
            break;
        }
    ulk(w, &w->tab_lock);
}

static void st_raise(struct st_cpu *c, const struct shmf_op *op)
{
    KIRQL level = (KIRQL)(op->a[SHMF_ARG_RAISE_LEVEL] % 3);
    KIRQL old;
    if (level < KeGetCurrentIrql() || c->nraises == ST_MAX_RAISES)
        return;
    KeRaiseIrql(level, &old);
    c->raises[c->nraises++] = old;
}

void shmf__st_lower(struct st_cpu *c)
{
    if (c->nraises)
        KeLowerIrql(c->raises[--c->nraises]);
}

static bool needs_passive(unsigned code)
{
    return code == SHMF_OP_RELOAD || code == SHMF_OP_ALLOC || code == SHMF_OP_FREE ||
           code == SHMF_OP_QALLOC || code == SHMF_OP_QFREE;
}

void shmf__run_work(struct st_world *w, struct st_cpu *c)
{
    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        return;
    for (unsigned i = 0; i < c->nwork && !shmf__stopping(w); i++)
        shmf__run_op(w, c, &c->work[i]);
    c->nwork = 0;
}

static void st_dpc(struct st_world *w, const struct shmf_op *op)
{
    KIRQL old;
    if (KeGetCurrentIrql() > DISPATCH_LEVEL)
        return;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    lk(w, &w->nic_lock);
    shmf_nic_advance(w->nic, op->a[SHMF_ARG_DPC_QUEUE]);
    ulk(w, &w->nic_lock);
    KeLowerIrql(old);
}

static void st_qfree(struct st_world *w, const struct shmf_op *op)
{
    struct shmf_nic_queue_info qi;
    struct shmf_block_info b;
    NDIS_HANDLE doomed[ST_MAX_BLOCKS];
    unsigned nd = 0;
    lk(w, &w->nic_lock);
    int rc = shmf_nic_queue_info(w->nic, op->a[SHMF_ARG_QFREE_QUEUE], &qi);
    ulk(w, &w->nic_lock);
    if (rc != 0 || qi.qid == NDIS_DEFAULT_RECEIVE_QUEUE_ID)
        return;
    /* The miniport's own blocks of that queue go first (exec.c's do_qfree). */
    lk(w, &w->tab_lock);
    for (unsigned i = w->nblocks; i-- > 0;)
        if (w->blocks[i].users == 0 && shmf_rt_block_find(w->blocks[i].h, &b) &&
            b.queue_id == qi.qid)
            doomed[nd++] = shmf__take_entry(w, i);
    ulk(w, &w->tab_lock);
    for (unsigned i = 0; i < nd && !shmf__stopping(w); i++)
        NdisFreeSharedMemory(shmf_rt_driver_handle(), doomed[i]);
    if (shmf__stopping(w))
        return;
    lk(w, &w->nic_lock);
    shmf_nic_queue_free(w->nic, op->a[SHMF_ARG_QFREE_QUEUE]);
    ulk(w, &w->nic_lock);
}

void shmf__run_op(struct st_world *w, struct st_cpu *c, const struct shmf_op *op)
{
    const uint32_t *a = op->a;
    if (needs_passive(op->code) && KeGetCurrentIrql() != PASSIVE_LEVEL) {
        if (c->nwork < ST_MAX_WORK)
            c->work[c->nwork++] = *op;
        return;
    }
    switch (op->code) {
    case SHMF_OP_ALLOC: st_alloc(w, c, op); return;
    case SHMF_OP_FREE: st_free(w, op); return;
    case SHMF_OP_TOUCH: st_touch(w, op); return;
    case SHMF_OP_RAISE: st_raise(c, op); return;
    case SHMF_OP_LOWER: shmf__st_lower(c); return;
    case SHMF_OP_WORK: shmf__run_work(w, c); return;
    case SHMF_OP_DPC: st_dpc(w, op); return;
    case SHMF_OP_QFREE: st_qfree(w, op); return;
    default: break;
    }
    lk(w, &w->nic_lock);
    switch (op->code) {
    case SHMF_OP_QALLOC:
        shmf_nic_queue_alloc(w->nic, a[SHMF_ARG_QALLOC_ORDER], a[SHMF_ARG_QALLOC_BUFSIZE], NULL);
        break;
    case SHMF_OP_POST: shmf_nic_post(w->nic, a[SHMF_ARG_POST_QUEUE], a[SHMF_ARG_POST_COUNT]); break;
    case SHMF_OP_DRAIN:
        shmf_nic_queue_pause(w->nic, a[SHMF_ARG_DRAIN_QUEUE], a[SHMF_ARG_DRAIN_COUNT] & 1);
        break;
    case SHMF_OP_RET: shmf_nic_return(w->nic, a[SHMF_ARG_RET_QUEUE], a[SHMF_ARG_RET_COUNT]); break;
    case SHMF_OP_RX:
        shmf_nic_rx(w->nic, a[SHMF_ARG_RX_QUEUE], a[SHMF_ARG_RX_COUNT], a[SHMF_ARG_RX_PKTLEN]);
        break;
    case SHMF_OP_TX: shmf_nic_tx(w->nic, a[SHMF_ARG_TX_QUEUE], a[SHMF_ARG_TX_PKTLEN]); break;
    default: break;
    }
    ulk(w, &w->nic_lock);
}
