/*
 * ops.c -- the op engine (ops.h): each op of SHMF_OP_LIST executed as a correct
 * miniport and its NIC execute it, under the caller's policy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ops.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OPS_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(OPS_ASAN)
#define OPS_ASAN 1
#endif
#ifdef OPS_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define OPS_GUARD_CANARY 0xC5
#define OPS_LOCK_SPINS 256 /* pause loops before each sched_yield */

static inline bool stopping(struct shmf_ops_world *w)
{
    return w->pol->stop(w);
}

/* === Locks === */

static void lock(struct shmf_ops_world *w, struct shmf_ops_lock *l)
{
    switch (w->pol->sync) {
    case SHMF_OPS_SYNC_NONE: return;
    case SHMF_OPS_SYNC_CO: shmf_co_mutex_lock(&l->co); return;
    case SHMF_OPS_SYNC_SPIN: break;
    }
    /* acquire: pairs with the release store in unlock() of the previous holder. */
    for (unsigned n = 1; __atomic_load_n(&l->word, __ATOMIC_RELAXED) ||
                         __atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE);
         n++) {
        if (n % OPS_LOCK_SPINS == 0)
            sched_yield();
#if defined(__x86_64__) || defined(__i386__)
        else
            __builtin_ia32_pause();
#endif
    }
}

static void unlock(struct shmf_ops_world *w, struct shmf_ops_lock *l)
{
    switch (w->pol->sync) {
    case SHMF_OPS_SYNC_NONE: return;
    case SHMF_OPS_SYNC_CO: shmf_co_mutex_unlock(&l->co); return;
    case SHMF_OPS_SYNC_SPIN:
        /* release: pairs with the acquire exchange in lock() of the next holder. */
        __atomic_store_n(&l->word, 0, __ATOMIC_RELEASE);
        return;
    }
}

void shmf_ops_nic_enter(struct shmf_ops_world *w)
{
    lock(w, &w->nic_lock);
}

void shmf_ops_nic_leave(struct shmf_ops_world *w)
{
    unlock(w, &w->nic_lock);
}

/* === World and processors === */

void shmf_ops_cpu_reset(struct shmf_ops_cpu *c)
{
    c->nraises = 0;
    c->nwork = 0;
    c->regions = (struct shmf_exec_regions){0};
}

static int gbuf_init(struct shmf_ops_gbuf *g, size_t max)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    g->data_len = (max + 8 + pg - 1) & ~(pg - 1);
    g->map_len = g->data_len + pg;
    g->user = NULL;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED) {
        g->map = NULL;
        return -ENOMEM;
    }
    mprotect(g->map + g->data_len, pg, PROT_NONE);
    return 0;
}

static void gbuf_fini(struct shmf_ops_gbuf *g)
{
    if (g->map)
        munmap(g->map, g->map_len);
    g->map = g->user = NULL;
}

int shmf_ops_cpu_init(struct shmf_ops_cpu *c)
{
    shmf_ops_cpu_reset(c);
    if (gbuf_init(&c->params, SHMF_OPS_PARAMS_MAX) || gbuf_init(&c->sg, SHMF_EXEC_MAX_SGLEN))
        return -ENOMEM;
    return 0;
}

void shmf_ops_cpu_fini(struct shmf_ops_cpu *c)
{
    gbuf_fini(&c->params);
    gbuf_fini(&c->sg);
}

static bool gbuf_hit(const struct shmf_ops_gbuf *g, uintptr_t a)
{
    uintptr_t s = (uintptr_t)g->user, e = (uintptr_t)g->map + g->map_len;
    return g->map && g->user && a >= s && a < e;
}

bool shmf_ops_guard_hit(const struct shmf_ops_cpu *c, uintptr_t a, bool *params)
{
    *params = gbuf_hit(&c->params, a);
    return *params || gbuf_hit(&c->sg, a);
}

bool shmf_ops_world_is_valid(const struct shmf_ops_world *w)
{
    if (!w->pol || !w->pol->stop || w->nblocks > SHMF_OPS_MAX_BLOCKS)
        return false;
    for (unsigned i = 0; i < w->nblocks; i++)
        if (!w->blocks[i].h || w->blocks[i].users != 0)
            return false;
    return true;
}

bool shmf_ops_cpu_is_valid(const struct shmf_ops_cpu *c)
{
    return c->nraises <= SHMF_OPS_MAX_RAISES && c->nwork <= SHMF_OPS_MAX_WORK &&
           !c->regions.params && !c->regions.sg;
}

/* === Guarded buffers of an allocate call ===
 * n bytes ending 8-byte aligned just before an inaccessible page; the rounding
 * slack holds a canary (and is ASan-poisoned), so a provider that reads or
 * writes past the parameters block or the SG buffer is caught. */

static void *gbuf_get(struct shmf_ops_gbuf *g, size_t n)
{
    g->n = n;
    g->rounded = (n + 7) & ~(size_t)7;
    g->user = g->map + g->data_len - g->rounded;
    memset(g->user + n, OPS_GUARD_CANARY, g->rounded - n);
#ifdef OPS_ASAN
    ASAN_POISON_MEMORY_REGION(g->user + n, g->rounded - n);
#endif
    return g->user;
}

static bool gbuf_intact(struct shmf_ops_gbuf *g)
{
#ifdef OPS_ASAN
    ASAN_UNPOISON_MEMORY_REGION(g->user + g->n, g->rounded - g->n);
#endif
    for (size_t i = g->n; i < g->rounded; i++)
        if (g->user[i] != OPS_GUARD_CANARY)
            return false;
    return true;
}

static void *guard_get(struct shmf_ops_world *w, struct shmf_ops_gbuf *g, size_t n)
{
    return w->pol->guard == SHMF_OPS_GUARD_PERCPU ? gbuf_get(g, n) : shmf_rt_guarded_alloc(n);
}

static bool guard_intact(struct shmf_ops_world *w, struct shmf_ops_gbuf *g, const void *p)
{
    return w->pol->guard == SHMF_OPS_GUARD_PERCPU ? gbuf_intact(g) : shmf_rt_guard_intact(p);
}

static void guard_put(struct shmf_ops_world *w, void *p)
{
    if (w->pol->guard == SHMF_OPS_GUARD_RUNTIME)
        shmf_rt_guarded_free(p);
}

/* The one place that checks what the provider left past both buffers. */
static void check_guards(struct shmf_ops_world *w, struct shmf_ops_cpu *c)
{
    const struct shmf_exec_regions *r = &c->regions;
    void *params = (void *)r->params, *sg = (void *)r->sg;
    if (!guard_intact(w, &c->params, params))
        shmf_rt_report(SHMF_KIND_PARAMS_OUT_OF_BOUNDS, (uint64_t)(uintptr_t)params,
                       "AllocateSharedMemoryHandler", NULL,
                       "provider wrote past the %zu-byte parameters block at %p", r->params_len,
                       params);
    else if (sg && !guard_intact(w, &c->sg, sg))
        shmf_rt_report(SHMF_KIND_SG_BUFFER_OVERFLOW, (uint64_t)(uintptr_t)sg,
                       "AllocateSharedMemoryHandler", NULL,
                       "provider wrote past the %zu-byte SG buffer at %p", r->sg_len, sg);
}

/* === Block table === */

/* Take entry i out of the table (swap with the last).  pre: tab_lock held. */
static NDIS_HANDLE take_entry(struct shmf_ops_world *w, unsigned i)
{
    NDIS_HANDLE h = w->blocks[i].h;
    unsigned last = __atomic_sub_fetch(&w->nblocks, 1, __ATOMIC_RELAXED);
    w->blocks[i] = w->blocks[last];
    return h;
}

/* Keep a new block; a full table frees it at once. */
static void keep_block(struct shmf_ops_world *w, NDIS_HANDLE h)
{
    lock(w, &w->tab_lock);
    bool kept = w->nblocks < SHMF_OPS_MAX_BLOCKS;
    if (kept)
        w->blocks[__atomic_fetch_add(&w->nblocks, 1, __ATOMIC_RELAXED)] =
            (struct shmf_ops_blk){h, 0};
    unlock(w, &w->tab_lock);
    if (!kept)
        NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
}

void shmf_ops_free_blocks(struct shmf_ops_world *w)
{
    while (w->nblocks && !stopping(w)) {
        lock(w, &w->tab_lock);
        NDIS_HANDLE h = w->nblocks ? take_entry(w, w->nblocks - 1) : NULL;
        unlock(w, &w->tab_lock);
        if (h)
            NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
    }
}

/* === Allocate, free, touch === */

static ULONG pick_queue(struct shmf_ops_world *w, uint32_t q)
{
    struct shmf_nic_queue_info qi;
    if (q >= 0x80)
        return q & 0x7f; /* raw queue id: NDIS validates it */
    if (!w->pol->nic_queues)
        return NDIS_DEFAULT_RECEIVE_QUEUE_ID;
    lock(w, &w->nic_lock);
    int rc = shmf_nic_queue_info(w->nic, q, &qi);
    unlock(w, &w->nic_lock);
    return rc != 0 ? NDIS_DEFAULT_RECEIVE_QUEUE_ID : qi.qid;
}

/* Build the request in the guarded parameters block and make the call. */
static NDIS_STATUS alloc_call(struct shmf_ops_world *w, struct shmf_ops_cpu *c,
                              NDIS_SHARED_MEMORY_PARAMETERS *p, NDIS_HANDLE *h)
{
    const struct shmf_exec_regions *r = &c->regions;
    unsigned char *params = (unsigned char *)r->params;
    p->SGListBufferLength = (ULONG)r->sg_len;
    p->SGListBuffer = (void *)r->sg;
    memset(params, 0, r->params_len);
    memcpy(params, p, r->params_len < sizeof(*p) ? r->params_len : sizeof(*p));
    NDIS_STATUS st = NdisAllocateSharedMemory(shmf_rt_driver_handle(),
                                              (PNDIS_SHARED_MEMORY_PARAMETERS)params, h);
    check_guards(w, c);
    if (__builtin_expect(w->keep_request, 0))
        c->req = *p;
    return st;
}

static void do_alloc(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op)
{
    NDIS_SHARED_MEMORY_PARAMETERS p;
    NDIS_HANDLE h = NULL;
    shmf_exec_alloc_params(op, pick_queue(w, op->a[SHMF_ARG_ALLOC_QUEUE]), &p);
    size_t psize =
        p.Header.Size < sizeof(NDIS_OBJECT_HEADER) ? sizeof(NDIS_OBJECT_HEADER) : p.Header.Size;
    ULONG sglen = shmf_exec_sg_length(op, p.Length);
    void *params = guard_get(w, &c->params, psize);
    void *sg = sglen ? guard_get(w, &c->sg, sglen) : NULL;
    if (!params || (sglen && !sg)) {
        SHMF_OPS_OUT(w, c, OUT_TEXT, .why = "harness out of memory: not run");
    } else {
        c->regions = (struct shmf_exec_regions){params, psize, sg, sglen};
        NDIS_STATUS st = alloc_call(w, c, &p, &h);
        SHMF_OPS_OUT(w, c, OUT_ALLOC, .a = st, .h = h);
        if (st == NDIS_STATUS_SUCCESS && h)
            keep_block(w, h);
    }
    c->regions = (struct shmf_exec_regions){0};
    guard_put(w, sg);
    guard_put(w, params);
}

/* The handle leaves the table before NdisFreeSharedMemory (a scheduling point),
   so no other processor can pick it meanwhile; a pinned entry is skipped. */
static void do_free(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op)
{
    NDIS_HANDLE h = NULL;
    lock(w, &w->tab_lock);
    unsigned n = w->nblocks;
    for (unsigned k = 0; k < n && !h; k++) {
        unsigned i = (op->a[SHMF_ARG_FREE_SLOT] + k) % n;
        if (w->blocks[i].users == 0)
            h = take_entry(w, i);
    }
    unlock(w, &w->tab_lock);
    if (!h) {
        SHMF_OPS_OUT(w, c, OUT_TEXT, .why = "no live block");
        return;
    }
    SHMF_OPS_OUT(w, c, OUT_FREE, .h = h);
    NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
}

/* Drop a touch's pin: the entry may have moved (swap-removal of another one)
   but not left, since pinned entries are never taken. */
static void unpin(struct shmf_ops_world *w, NDIS_HANDLE h)
{
    lock(w, &w->tab_lock);
    for (unsigned i = 0; i < w->nblocks; i++)
        if (w->blocks[i].h == h) {
            w->blocks[i].users--;
            break;
        }
    unlock(w, &w->tab_lock);
}

/* Read or write the block's memory through its virtual address.  Writes stay
   inside the block; reads may reach the slack of its last page. */
static void do_touch(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op)
{
    struct shmf_block_info b;
    bool pin = w->pol->pin_touch;
    lock(w, &w->tab_lock);
    NDIS_HANDLE h = NULL;
    if (w->nblocks) {
        struct shmf_ops_blk *e = &w->blocks[op->a[SHMF_ARG_TOUCH_SLOT] % w->nblocks];
        h = e->h;
        e->users += pin;
    }
    unlock(w, &w->tab_lock);
    if (!h) {
        SHMF_OPS_OUT(w, c, OUT_TEXT, .why = "no live block");
        return;
    }
    if (!shmf_rt_block_find(h, &b) || b.length == 0) {
        SHMF_OPS_OUT(w, c, OUT_TEXT, .why = "block unknown to the runtime or empty: not touched");
    } else {
        uint64_t off, len;
        bool write = shmf_exec_touch_range(&b, op, &off, &len);
        SHMF_OPS_OUT(w, c, OUT_TOUCH, .a = (int64_t)len, .b = (int64_t)off, .h = h,
                     .why = write ? "wrote" : "read");
        shmf_exec_touch_bytes(&b, off, len, write);
    }
    if (pin)
        unpin(w, h);
}

/* === IRQL and deferred work === */

static void do_raise(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op)
{
    KIRQL level = (KIRQL)(op->a[SHMF_ARG_RAISE_LEVEL] % 3);
    KIRQL old;
    if (level < KeGetCurrentIrql() || c->nraises == SHMF_OPS_MAX_RAISES) {
        SHMF_OPS_OUT(w, c, OUT_TEXT,
                     .why = c->nraises == SHMF_OPS_MAX_RAISES ? "ignored: raise stack full"
                                                              : "ignored: below the current IRQL");
        return;
    }
    KeRaiseIrql(level, &old);
    c->raises[c->nraises++] = old;
    SHMF_OPS_OUT(w, c, OUT_RAISE, .a = level, .b = old);
}

/* `lower`: undo the last `raise`. */
static void ops_lower(struct shmf_ops_world *w, struct shmf_ops_cpu *c)
{
    if (!c->nraises) {
        SHMF_OPS_OUT(w, c, OUT_TEXT, .why = "ignored: no matching raise");
        return;
    }
    KeLowerIrql(c->raises[--c->nraises]);
    SHMF_OPS_OUT(w, c, OUT_LOWER, .a = c->raises[c->nraises]);
}

static void defer(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op)
{
    if (c->nwork < SHMF_OPS_MAX_WORK) {
        c->work[c->nwork++] = *op;
        SHMF_OPS_OUT(w, c, OUT_DEFERRED, .a = KeGetCurrentIrql());
    } else {
        SHMF_OPS_OUT(w, c, OUT_TEXT, .why = "dropped: work list full");
    }
}

/* `work`: run the processor's deferred requests (only at PASSIVE_LEVEL). */
static void run_work(struct shmf_ops_world *w, struct shmf_ops_cpu *c)
{
    if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
        SHMF_OPS_OUT(w, c, OUT_WORK, .a = 0, .b = c->nwork, .why = "not at PASSIVE_LEVEL");
        return;
    }
    unsigned n = c->nwork, i;
    for (i = 0; i < c->nwork && !stopping(w); i++) {
        if (w->pol->work_item)
            w->pol->work_item(w, c, &c->work[i]);
        else
            shmf_ops_run(w, c, &c->work[i]);
    }
    c->nwork = 0;
    SHMF_OPS_OUT(w, c, OUT_WORK, .a = i, .b = n - i);
}

void shmf_ops_cpu_finish(struct shmf_ops_world *w, struct shmf_ops_cpu *c)
{
    while (c->nraises && !stopping(w))
        ops_lower(w, c);
    if (!stopping(w))
        run_work(w, c);
}

/* === NIC: interrupts, queues, data path === */

static void do_dpc(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op)
{
    KIRQL old;
    if (KeGetCurrentIrql() > DISPATCH_LEVEL) {
        SHMF_OPS_OUT(w, c, OUT_TEXT, .why = "skipped: IRQL above DISPATCH_LEVEL");
        return;
    }
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    lock(w, &w->nic_lock);
    int rc = shmf_nic_advance(w->nic, op->a[SHMF_ARG_DPC_QUEUE]);
    unlock(w, &w->nic_lock);
    SHMF_OPS_OUT(w, c, OUT_NIC, .a = rc, .why = "indicated");
    KeLowerIrql(old);
}

/* Free a queue: the miniport's own blocks of that queue go first, since all of
   a queue's shared memory is freed before the free completes. */
static void do_qfree(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op)
{
    struct shmf_nic_queue_info qi;
    struct shmf_block_info b;
    NDIS_HANDLE doomed[SHMF_OPS_MAX_BLOCKS];
    unsigned nd = 0;
    lock(w, &w->nic_lock);
    int rc = shmf_nic_queue_info(w->nic, op->a[SHMF_ARG_QFREE_QUEUE], &qi);
    unlock(w, &w->nic_lock);
    if (rc != 0 || qi.qid == NDIS_DEFAULT_RECEIVE_QUEUE_ID) {
        SHMF_OPS_OUT(w, c, OUT_TEXT, .why = rc ? "no live queue" : "ignored: the default queue");
        return;
    }
    lock(w, &w->tab_lock);
    for (unsigned i = w->nblocks; i-- > 0;)
        if (w->blocks[i].users == 0 && shmf_rt_block_find(w->blocks[i].h, &b) &&
            b.queue_id == qi.qid)
            doomed[nd++] = take_entry(w, i);
    unlock(w, &w->tab_lock);
    unsigned freed = 0;
    for (; freed < nd && !stopping(w); freed++)
        NdisFreeSharedMemory(shmf_rt_driver_handle(), doomed[freed]);
    if (!stopping(w)) {
        lock(w, &w->nic_lock);
        rc = shmf_nic_queue_free(w->nic, op->a[SHMF_ARG_QFREE_QUEUE]);
        unlock(w, &w->nic_lock);
    }
    SHMF_OPS_OUT(w, c, OUT_QFREE, .a = rc, .b = qi.qid, .h = (const void *)(uintptr_t)freed);
}

static int nic_call(struct shmf_ops_world *w, const struct shmf_op *op, ULONG *qid)
{
    const uint32_t *a = op->a;
    switch (op->code) {
    case SHMF_OP_QALLOC:
        return shmf_nic_queue_alloc(w->nic, a[SHMF_ARG_QALLOC_ORDER], a[SHMF_ARG_QALLOC_BUFSIZE],
                                    qid);
    case SHMF_OP_POST: return shmf_nic_post(w->nic, a[SHMF_ARG_POST_QUEUE], a[SHMF_ARG_POST_COUNT]);
    case SHMF_OP_DRAIN:
        return shmf_nic_queue_pause(w->nic, a[SHMF_ARG_DRAIN_QUEUE], a[SHMF_ARG_DRAIN_COUNT] & 1);
    case SHMF_OP_RET: return shmf_nic_return(w->nic, a[SHMF_ARG_RET_QUEUE], a[SHMF_ARG_RET_COUNT]);
    case SHMF_OP_RX:
        return shmf_nic_rx(w->nic, a[SHMF_ARG_RX_QUEUE], a[SHMF_ARG_RX_COUNT],
                           a[SHMF_ARG_RX_PKTLEN]);
    case SHMF_OP_TX: return shmf_nic_tx(w->nic, a[SHMF_ARG_TX_QUEUE], a[SHMF_ARG_TX_PKTLEN]);
    default: return -EINVAL;
    }
}

static const char *nic_verb(const struct shmf_op *op)
{
    switch (op->code) {
    case SHMF_OP_POST: return "posted";
    case SHMF_OP_DRAIN: return op->a[SHMF_ARG_DRAIN_COUNT] & 1 ? "paused" : "resumed";
    case SHMF_OP_RET: return "returned";
    case SHMF_OP_RX: return "received";
    default: return "transmitted";
    }
}

static void do_nic(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op)
{
    ULONG qid = 0;
    lock(w, &w->nic_lock);
    int rc = nic_call(w, op, &qid);
    unlock(w, &w->nic_lock);
    if (op->code == SHMF_OP_QALLOC)
        SHMF_OPS_OUT(w, c, OUT_QALLOC, .a = rc, .b = qid);
    else
        SHMF_OPS_OUT(w, c, OUT_NIC, .a = rc, .why = nic_verb(op));
}

/* === Faults, reload === */

static void do_fault(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op)
{
    struct shmf_fault_plan plan = {0};
    switch (op->a[SHMF_ARG_FAULT_MODE] % 3) {
    case SHMF_FAULT_NTH:
        plan.fail_nth = (uint32_t)shmf_rt_alloc_attempts() + 1 + op->a[SHMF_ARG_FAULT_N];
        break;
    case SHMF_FAULT_FIRST_PER_SITE: plan.first_per_site = true; break;
    default: break;
    }
    SHMF_OPS_OUT(w, c, OUT_FAULT, .a = op->a[SHMF_ARG_FAULT_MODE] % 3, .b = plan.fail_nth);
    shmf_rt_set_fault_plan(&plan);
}

static void do_reload(struct shmf_ops_world *w, struct shmf_ops_cpu *c)
{
    if (w->pol->reload)
        w->pol->reload(w, c);
}

/* === Dispatch === */

void shmf_ops_dispatch(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op)
{
    if (!w->loaded && shmf_op_is(op->code, SHMF_OPF_LOADED)) {
        SHMF_OPS_OUT(w, c, OUT_TEXT, .why = "skipped: provider not loaded");
        return;
    }
    switch (op->code) {
    case SHMF_OP_RELOAD: do_reload(w, c); break;
    case SHMF_OP_ALLOC: do_alloc(w, c, op); break;
    case SHMF_OP_FREE: do_free(w, c, op); break;
    case SHMF_OP_TOUCH: do_touch(w, c, op); break;
    case SHMF_OP_RAISE: do_raise(w, c, op); break;
    case SHMF_OP_LOWER: ops_lower(w, c); break;
    case SHMF_OP_DPC: do_dpc(w, c, op); break;
    case SHMF_OP_WORK: run_work(w, c); break;
    case SHMF_OP_QFREE: do_qfree(w, c, op); break;
    case SHMF_OP_QALLOC:
    case SHMF_OP_POST:
    case SHMF_OP_DRAIN:
    case SHMF_OP_RET:
    case SHMF_OP_RX:
    case SHMF_OP_TX: do_nic(w, c, op); break;
    case SHMF_OP_FAULT: do_fault(w, c, op); break;
    case SHMF_OP_CPU: break; /* the caller splits programs at cpu ops */
    default: break;
    }
}

void shmf_ops_run(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op)
{
    if (__builtin_expect(w->record, 0))
        c->out.kind = OUT_NONE;
    if (shmf_op_is(op->code, SHMF_OPF_PASSIVE) && KeGetCurrentIrql() != PASSIVE_LEVEL)
        defer(w, c, op);
    else if (w->pol->exclusive && shmf_op_is(op->code, SHMF_OPF_EXCLUSIVE))
        w->pol->exclusive(w, c, op);
    else
        shmf_ops_dispatch(w, c, op);
}
