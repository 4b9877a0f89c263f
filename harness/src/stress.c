/*
 * stress.c -- the stress runner: T simulated processors share one world and
 * drive the provider with randomized ops from the fuzzer's vocabulary (see
 * stress.h and docs/stress.md).
 *
 * Sharing rules (the harness is a correct, multi-processor miniport):
 * - The miniport's own blocks live in one table under tab_lock.  A free takes
 *   its handle out of the table before NdisFreeSharedMemory, so no two
 *   processors free the same handle; a touch pins its entry so the block is not
 *   freed under it.  No harness lock is held while calling
 *   NdisAllocateSharedMemory / NdisFreeSharedMemory directly.
 * - The NIC model is not thread-safe: every call to it holds nic_lock (so its
 *   own allocations for queues run under that lock; provider handlers called
 *   from other processors still run concurrently with them).
 * - Allocate, free and queue changes need PASSIVE_LEVEL: made while raised,
 *   they are deferred to the processor's work list, as the executor does.
 * Each op is executed exactly as exec.c would execute it, so a serialized log
 * of the processors' ops is a meaningful single-threaded program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "crash.h"
#include "mutator.h"
#include "nic.h"
#include "report.h"
#include "sha256.h"
#include "stress.h"

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

#define ST_MAX_BLOCKS 256   /* the miniport's table (exec.c: EXEC_MAX_BLOCKS) */
#define ST_SOFT_BLOCKS 48   /* above this, an alloc is generated as a free */
#define ST_MAX_RAISES 8
#define ST_MAX_WORK 64
#define ST_PARAMS_MAX 0x10000u
#define ST_GUARD_CANARY 0xC5
#define ST_HANG_SECONDS 10.0
#define ST_JOIN_SECONDS 3.0

/* === Per-processor guarded buffers ===
 * n bytes ending 8-byte aligned just before an inaccessible page; the rounding
 * slack holds a canary (and is ASan-poisoned), so a provider that reads or
 * writes past the parameters block or the SG buffer is caught.  Mapped once per
 * processor: no system call per op. */
struct gbuf {
    unsigned char *map, *user;
    size_t data_len, map_len, n, rounded;
};

static int gbuf_init(struct gbuf *g, size_t max)
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

static void gbuf_fini(struct gbuf *g)
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

static bool gbuf_guard_hit(const struct gbuf *g, uintptr_t a)
{
    uintptr_t s = (uintptr_t)g->user, e = (uintptr_t)g->map + g->map_len;
    return g->map && g->user && a >= s && a < e;
}

/* === World === */

struct st_lock {
    pthread_mutex_t m;
    struct shmf_co_mutex co;
};

struct st_blk {
    NDIS_HANDLE h;
    unsigned users; /* touches in progress */
};

struct log_ent {
    uint64_t seq;
    struct shmf_op op;
};

struct st_cpu {
    struct st_world *w;
    unsigned index;
    pthread_t th;
    bool started;
    struct shmf_rng rng;
    KIRQL raises[ST_MAX_RAISES];
    unsigned nraises;
    struct shmf_op work[ST_MAX_WORK];
    unsigned nwork;
    struct log_ent log[SHMF_STRESS_LOG_KEEP];
    uint64_t nlog;
    uint64_t ops; /* written by the owner, read relaxed by the monitor */
    uint64_t mix[SHMF_OP_COUNT];
    uint64_t spins, contended;
    bool spinning;
    uint64_t cur_seq;
    struct shmf_op cur_op;
    bool in_op;
    atomic_bool finished;
    struct gbuf params, sg;
    uint64_t hang_ops;
    double hang_since;
};

struct st_world {
    const struct shmf_stress_opts *o;
    bool interleave;
    struct shmf_nic *nic;
    struct st_lock tab_lock, nic_lock;
    struct st_blk blocks[ST_MAX_BLOCKS];
    unsigned nblocks;
    atomic_uint_fast64_t issued;
    atomic_bool stop;
    atomic_bool time_up;
    atomic_bool in_teardown;
    struct st_cpu *cpus;
    unsigned ncpus;
    bool loaded;
    double t0, t_end, last_progress;
    /* first finding, as seen by the finding handler */
    bool have_first;
    bool first_teardown;
    uint64_t first_seq;
    struct shmf_op first_op;
    struct shmf_interleave_stats il;
    json_t *finding_json;
    bool crashed;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void lk(struct st_world *w, struct st_lock *l)
{
    if (w->interleave)
        shmf_co_mutex_lock(&l->co);
    else
        pthread_mutex_lock(&l->m);
}

static void ulk(struct st_world *w, struct st_lock *l)
{
    if (w->interleave)
        shmf_co_mutex_unlock(&l->co);
    else
        pthread_mutex_unlock(&l->m);
}

static bool stopping(struct st_world *w)
{
    if (w->o->interrupted && *w->o->interrupted)
        atomic_store(&w->stop, true);
    return atomic_load_explicit(&w->stop, memory_order_relaxed);
}

static struct st_cpu *this_cpu(struct st_world *w)
{
    return &w->cpus[KeGetCurrentProcessorNumber() % w->ncpus];
}

/* === Op generation: mostly valid requests from the fuzzer's vocabulary === */

static const struct {
    uint8_t code;
    uint8_t weight;
} op_weights[] = {
    {SHMF_OP_ALLOC, 22}, {SHMF_OP_FREE, 18}, {SHMF_OP_TOUCH, 14}, {SHMF_OP_RAISE, 6},
    {SHMF_OP_LOWER, 6},  {SHMF_OP_WORK, 4},  {SHMF_OP_DPC, 6},    {SHMF_OP_POST, 5},
    {SHMF_OP_RX, 5},     {SHMF_OP_RET, 4},   {SHMF_OP_TX, 4},     {SHMF_OP_DRAIN, 2},
    {SHMF_OP_QALLOC, 2}, {SHMF_OP_QFREE, 2},
};
#define N_WEIGHTS (sizeof(op_weights) / sizeof(op_weights[0]))

static uint8_t pick_code(struct shmf_rng *r)
{
    unsigned total = 0;
    for (unsigned i = 0; i < N_WEIGHTS; i++)
        total += op_weights[i].weight;
    unsigned x = (unsigned)shmf_rng_below(r, total);
    for (unsigned i = 0; i < N_WEIGHTS; i++) {
        if (x < op_weights[i].weight)
            return op_weights[i].code;
        x -= op_weights[i].weight;
    }
    return SHMF_OP_TOUCH;
}

static uint32_t pick_length(struct shmf_rng *r)
{
    switch (shmf_rng_below(r, 8)) {
    case 0: return 1 + (uint32_t)shmf_rng_below(r, 256);
    case 1: return PAGE_SIZE * (1 + (uint32_t)shmf_rng_below(r, 16));
    case 2: return 1 + (uint32_t)shmf_rng_below(r, 256 * 1024);
    default: return 1 + (uint32_t)shmf_rng_below(r, 4 * PAGE_SIZE);
    }
}

/* Alloc with valid parameters, one field in ten made hostile. */
static void gen_alloc(struct shmf_rng *r, struct shmf_op *op)
{
    uint32_t *a = op->a;
    a[SHMF_ARG_ALLOC_REV] = shmf_rng_below(r, 10) == 0 ? 1 : 0;
    a[SHMF_ARG_ALLOC_FLAGS] =
        shmf_rng_below(r, 8) == 0 ? NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS : 0;
    a[SHMF_ARG_ALLOC_NODE] = shmf_rng_below(r, 4) == 0 ? (uint32_t)shmf_rng_below(r, 2)
                                                       : MM_ANY_NODE_OK;
    a[SHMF_ARG_ALLOC_USAGE] = (uint32_t)shmf_rng_below(r, NdisSharedMemoryUsageMax);
    a[SHMF_ARG_ALLOC_LENGTH] = pick_length(r);
    if (shmf_rng_below(r, 10) != 0)
        return;
    switch (shmf_rng_below(r, 7)) {
    case 0: a[SHMF_ARG_ALLOC_TYPE] = (uint32_t)shmf_rng_below(r, 256); break;
    case 1: a[SHMF_ARG_ALLOC_SIZE] = (uint32_t)shmf_rng_below(r, 0x100); break;
    case 2: a[SHMF_ARG_ALLOC_FLAGS] = (uint32_t)shmf_rng_next(r); break;
    case 3: a[SHMF_ARG_ALLOC_QUEUE] = 0x80 | (32 + (uint32_t)shmf_rng_below(r, 32)); break;
    case 4: a[SHMF_ARG_ALLOC_NODE] = (uint32_t)shmf_rng_next(r); break;
    case 5: a[SHMF_ARG_ALLOC_USAGE] = (uint32_t)shmf_rng_below(r, 256); break;
    default:
        a[SHMF_ARG_ALLOC_SGMODE] = 1;
        a[SHMF_ARG_ALLOC_SGLEN] = (uint32_t)shmf_rng_below(r, 64);
        break;
    }
}

static void gen_op(struct st_world *w, struct st_cpu *c, struct shmf_op *op)
{
    struct shmf_rng *r = &c->rng;
    memset(op, 0, sizeof(*op));
    op->code = pick_code(r);
    if (op->code == SHMF_OP_ALLOC &&
        __atomic_load_n(&w->nblocks, __ATOMIC_RELAXED) > ST_SOFT_BLOCKS)
        op->code = SHMF_OP_FREE;
    uint32_t *a = op->a;
    switch (op->code) {
    case SHMF_OP_ALLOC: gen_alloc(r, op); break;
    case SHMF_OP_FREE: a[SHMF_ARG_FREE_SLOT] = (uint32_t)shmf_rng_below(r, 256); break;
    case SHMF_OP_TOUCH:
        a[SHMF_ARG_TOUCH_SLOT] = (uint32_t)shmf_rng_below(r, 256);
        a[SHMF_ARG_TOUCH_WRITE] = (uint32_t)shmf_rng_below(r, 2);
        a[SHMF_ARG_TOUCH_OFFSET] = (uint32_t)shmf_rng_next(r);
        a[SHMF_ARG_TOUCH_LEN] = (uint32_t)shmf_rng_below(r, 256);
        break;
    case SHMF_OP_RAISE: a[SHMF_ARG_RAISE_LEVEL] = 1 + (uint32_t)shmf_rng_below(r, 2); break;
    case SHMF_OP_DPC: a[SHMF_ARG_DPC_QUEUE] = (uint32_t)shmf_rng_below(r, 8); break;
    case SHMF_OP_QALLOC:
        a[SHMF_ARG_QALLOC_ORDER] = 1 + (uint32_t)shmf_rng_below(r, 6);
        a[SHMF_ARG_QALLOC_BUFSIZE] = 64 + (uint32_t)shmf_rng_below(r, 4096);
        break;
    case SHMF_OP_QFREE: a[SHMF_ARG_QFREE_QUEUE] = (uint32_t)shmf_rng_below(r, 8); break;
    case SHMF_OP_POST:
        a[SHMF_ARG_POST_QUEUE] = (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_POST_COUNT] = 1 + (uint32_t)shmf_rng_below(r, 16);
        break;
    case SHMF_OP_DRAIN:
        a[SHMF_ARG_DRAIN_QUEUE] = (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_DRAIN_COUNT] = (uint32_t)shmf_rng_below(r, 2);
        break;
    case SHMF_OP_RET:
        a[SHMF_ARG_RET_QUEUE] = (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_RET_COUNT] = 1 + (uint32_t)shmf_rng_below(r, 16);
        break;
    case SHMF_OP_RX:
        a[SHMF_ARG_RX_QUEUE] = (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_RX_COUNT] = 1 + (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_RX_PKTLEN] = 16 + (uint32_t)shmf_rng_below(r, 1500);
        break;
    case SHMF_OP_TX:
        a[SHMF_ARG_TX_QUEUE] = (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_TX_PKTLEN] = 16 + (uint32_t)shmf_rng_below(r, 1500);
        break;
    default: break;
    }
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
static NDIS_HANDLE take_entry(struct st_world *w, unsigned i)
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
            h = take_entry(w, i);
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
        bool write = op->a[SHMF_ARG_TOUCH_WRITE] != 0;
        uint64_t limit = write ? b.length : ROUND_TO_PAGES((uint64_t)b.length);
        uint64_t off = op->a[SHMF_ARG_TOUCH_OFFSET] % limit;
        uint64_t len = op->a[SHMF_ARG_TOUCH_LEN] ? op->a[SHMF_ARG_TOUCH_LEN] : 1;
        if (off + len > limit)
            len = limit - off;
        /* Two processors may touch one block at once: that is the miniport's
           own sharing, not the provider's, so the bytes are accessed atomically
           (relaxed) and only races inside the provider show up under TSan. */
        unsigned char *va = (unsigned char *)b.virtual_address + off;
        unsigned sum = 0;
        for (uint64_t i = 0; i < len; i++) {
            if (write)
                __atomic_store_n(&va[i], (unsigned char)(off + i), __ATOMIC_RELAXED);
            else
                sum += __atomic_load_n(&va[i], __ATOMIC_RELAXED);
        }
        (void)sum;
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

static void st_lower(struct st_cpu *c)
{
    if (c->nraises)
        KeLowerIrql(c->raises[--c->nraises]);
}

static bool needs_passive(unsigned code)
{
    return code == SHMF_OP_RELOAD || code == SHMF_OP_ALLOC || code == SHMF_OP_FREE ||
           code == SHMF_OP_QALLOC || code == SHMF_OP_QFREE;
}

static void run_op(struct st_world *w, struct st_cpu *c, const struct shmf_op *op);

static void run_work(struct st_world *w, struct st_cpu *c)
{
    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        return;
    for (unsigned i = 0; i < c->nwork && !stopping(w); i++)
        run_op(w, c, &c->work[i]);
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
            doomed[nd++] = take_entry(w, i);
    ulk(w, &w->tab_lock);
    for (unsigned i = 0; i < nd && !stopping(w); i++)
        NdisFreeSharedMemory(shmf_rt_driver_handle(), doomed[i]);
    if (stopping(w))
        return;
    lk(w, &w->nic_lock);
    shmf_nic_queue_free(w->nic, op->a[SHMF_ARG_QFREE_QUEUE]);
    ulk(w, &w->nic_lock);
}

static void run_op(struct st_world *w, struct st_cpu *c, const struct shmf_op *op)
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
    case SHMF_OP_LOWER: st_lower(c); return;
    case SHMF_OP_WORK: run_work(w, c); return;
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

/* === Processors === */

static void progress(struct st_world *w, double t);

/* Interleave mode: the time bound and the status line, from the coroutines. */
static void tick(struct st_world *w)
{
    double t = now();
    if (w->t_end > 0 && t >= w->t_end)
        atomic_store(&w->time_up, true);
    if (w->o->progress && t - w->last_progress >= 1.0) {
        w->last_progress = t;
        progress(w, t);
    }
}

static void cpu_body(struct st_world *w, struct st_cpu *c)
{
    struct shmf_op op;
    while (!stopping(w) && !atomic_load_explicit(&w->time_up, memory_order_relaxed)) {
        uint64_t n = atomic_fetch_add(&w->issued, 1);
        if (w->o->ops && n >= w->o->ops)
            break;
        if (w->interleave && (c->ops & 255) == 0)
            tick(w);
        gen_op(w, c, &op);
        struct log_ent *e = &c->log[c->nlog % SHMF_STRESS_LOG_KEEP];
        e->seq = n;
        e->op = op;
        c->nlog++;
        c->cur_seq = n;
        c->cur_op = op;
        c->in_op = true;
        run_op(w, c, &op);
        c->in_op = false;
        c->mix[op.code]++;
        __atomic_store_n(&c->ops, c->ops + 1, __ATOMIC_RELAXED);
    }
    /* As the executor's teardown: back to PASSIVE, then the deferred work. */
    while (c->nraises && !stopping(w))
        st_lower(c);
    if (!stopping(w))
        run_work(w, c);
    atomic_store(&c->finished, true);
}

static void *thread_main(void *arg)
{
    struct st_cpu *c = arg;
    shmf_rt_cpu_attach(c->index);
    cpu_body(c->w, c);
    return NULL;
}

static void interleave_main(unsigned cpu, void *ud)
{
    struct st_world *w = ud;
    cpu_body(w, &w->cpus[cpu]);
}

/* === Hooks: findings, contention, crashes === */

static struct st_world *the_world; /* for the hooks, which carry no context */

static void on_finding(const struct shmf_finding *f, void *ud)
{
    struct st_world *w = ud;
    if (!w->have_first) {
        struct st_cpu *c = &w->cpus[f->cpu % w->ncpus];
        w->have_first = true;
        w->first_teardown = atomic_load(&w->in_teardown) || !c->in_op;
        w->first_seq = c->cur_seq;
        w->first_op = c->cur_op;
    }
    atomic_store(&w->stop, true);
    if (w->interleave)
        shmf_interleave_stop();
}

/* Threads mode: count spinning on held spin locks, then yield as the runtime
   would without a hook. */
static void threads_yield_hook(const char *point)
{
    struct st_cpu *c = this_cpu(the_world);
    if (point[0] == 's' && point[1] == 'p') {
        c->spins++;
        if (!c->spinning)
            c->contended++;
        c->spinning = true;
        sched_yield();
    } else {
        c->spinning = false;
    }
}

/* === Reports === */

static json_t *op_text(const struct shmf_op *op)
{
    char line[256];
    shmf_op_format(line, sizeof(line), op);
    return json_string(line);
}

static void finding_place(struct st_world *w, const struct shmf_finding *f, char *sig, size_t n,
                          char *kind, size_t kn)
{
    shmf_finding_kind_name(f, kind, kn);
    const char *opname = w->have_first && !w->first_teardown ? shmf_op_name(w->first_op.code)
                                                             : "teardown";
    snprintf(sig, n, "%s|%s|%s", kind, f->function[0] ? f->function : "?", opname);
}

/* Serialize the processors' last `keep` logged ops by sequence number into one
   program, with `cpu index=N` where the processor changes.  Drops raise, lower
   and work ops when `no_irql`.  Returns the program index of seq `mark` or
   SHMF_MARKER_NONE. */
static size_t serialize(struct st_world *w, unsigned keep, bool no_irql, uint64_t mark,
                        struct shmf_prog *p)
{
    uint64_t pos[SHMF_MAX_CPUS], end[SHMF_MAX_CPUS];
    size_t marker = SHMF_MARKER_NONE;
    int last_cpu = -1;
    shmf_prog_init(p);
    for (unsigned i = 0; i < w->ncpus; i++) {
        struct st_cpu *c = &w->cpus[i];
        uint64_t k = keep < SHMF_STRESS_LOG_KEEP ? keep : SHMF_STRESS_LOG_KEEP;
        end[i] = c->nlog;
        pos[i] = c->nlog > k ? c->nlog - k : 0;
    }
    for (;;) {
        int best = -1;
        for (unsigned i = 0; i < w->ncpus; i++) {
            if (pos[i] >= end[i])
                continue;
            const struct log_ent *e = &w->cpus[i].log[pos[i] % SHMF_STRESS_LOG_KEEP];
            if (best < 0 ||
                e->seq < w->cpus[best].log[pos[best] % SHMF_STRESS_LOG_KEEP].seq)
                best = (int)i;
        }
        if (best < 0 || p->nops + 2 > SHMF_OPS_MAX)
            break;
        const struct log_ent *e = &w->cpus[best].log[pos[best]++ % SHMF_STRESS_LOG_KEEP];
        unsigned code = e->op.code;
        if (no_irql && (code == SHMF_OP_RAISE || code == SHMF_OP_LOWER || code == SHMF_OP_WORK))
            continue;
        if (best != last_cpu) {
            struct shmf_op cpu_op = {.code = SHMF_OP_CPU};
            cpu_op.a[SHMF_ARG_CPU_INDEX] = (uint32_t)best;
            p->ops[p->nops++] = cpu_op;
            last_cpu = best;
        }
        if (e->seq == mark)
            marker = p->nops;
        p->ops[p->nops++] = e->op;
    }
    return marker;
}

static char *prog_text(const struct shmf_prog *p, size_t marker)
{
    size_t len = 0;
    shmf_prog_format(NULL, 0, &len, p, marker);
    char *buf = malloc(len + 1);
    if (buf)
        shmf_prog_format(buf, len + 1, &len, p, marker);
    return buf;
}

static void out_path(struct st_world *w, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", w->o->out_dir ? w->o->out_dir : ".", name);
}

static int write_prog(const char *path, const struct shmf_prog *p, const char *comment)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    fprintf(f, "# %s\n", comment);
    int rc = shmf_prog_print(f, p, SHMF_MARKER_NONE);
    if (fclose(f) != 0 && rc == 0)
        rc = -EIO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

/* Run `p` single-threaded in a fresh world in a child process (a crash of the
   provider must not take the report with it).  Writes the kind found into kind
   ("" when clean). */
static void replay_child(struct st_world *w, const struct shmf_prog *p, char *kind, size_t n)
{
    int fds[2];
    kind[0] = 0;
    if (pipe(fds) != 0)
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        struct shmf_exec_opts eo = {.verify_flags = w->o->verify_flags};
        struct shmf_exec_result res;
        char k[80] = "";
        shmf_rt_set_finding_handler(NULL, NULL);
        shmf_exec_run(w->o->target, p, &eo, &res);
        if (res.findings)
            shmf_finding_kind_name(&res.first, k, sizeof(k));
        if (write(fds[1], k, strlen(k)) < 0)
            _exit(3);
        _exit(0);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return;
    }
    ssize_t got = read(fds[0], kind, n - 1);
    kind[got > 0 ? got : 0] = 0;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!kind[0] && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        snprintf(kind, n, "crash");
}

static bool same_kind(const char *want, const char *got)
{
    if (!strcmp(want, got))
        return true;
    /* A crash's type may be worded differently by the replay's death. */
    return !strncmp(want, "crash", 5) && !strncmp(got, "crash", 5);
}

/* Try serialized replays; on success write stress-repro.ops. */
static json_t *try_replay(struct st_world *w, const char *kind)
{
    static const struct {
        unsigned keep;
        bool no_irql;
        const char *name;
    } variants[] = {{SHMF_STRESS_LOG, false, "last-64-per-cpu"},
                    {SHMF_STRESS_LOG_KEEP, false, "last-1024-per-cpu"},
                    {SHMF_STRESS_LOG_KEEP, true, "last-1024-per-cpu-without-irql-ops"}};
    struct shmf_prog *p = shmf_prog_new();
    json_t *tried = json_array();
    json_t *out = NULL;
    char got[80], path[4096];
    if (!p || !tried)
        goto done;
    for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        serialize(w, variants[v].keep, variants[v].no_irql, UINT64_MAX, p);
        replay_child(w, p, got, sizeof(got));
        json_array_append_new(tried, json_pack("{s:s, s:i, s:s}", "variant", variants[v].name,
                                               "ops", (json_int_t)p->nops, "kind", got));
        if (!got[0] || !same_kind(kind, got))
            continue;
        out_path(w, "stress-repro.ops", path, sizeof(path));
        char comment[256];
        snprintf(comment, sizeof(comment),
                 "shmfuzz stress seed %" PRIu64 ": serialized replay (%s) reproducing %s",
                 w->o->seed, variants[v].name, kind);
        int rc = write_prog(path, p, comment);
        size_t len = shmf_prog_encoded_size(p);
        uint8_t *bytes = malloc(len ? len : 1);
        char sha[65] = "";
        if (bytes && shmf_prog_encode(p, bytes, len, &len) == 0)
            shmf_sha256_hex(bytes, len, sha);
        free(bytes);
        char cmd[4400];
        snprintf(cmd, sizeof(cmd), "shmfuzz replay --provider %s %s", w->o->provider, path);
        out = json_pack("{s:b, s:b, s:s, s:s, s:s, s:s, s:o}", "attempted", 1, "reproduced",
                        rc == 0, "variant", variants[v].name, "input", path, "input_sha256",
                        sha, "reproduce", cmd, "tried", json_incref(tried));
        goto done;
    }
    out = json_pack("{s:b, s:b, s:s, s:o}", "attempted", 1, "reproduced", 0, "reason",
                    "no serialized order of the logged ops reproduced the finding kind: the "
                    "interleaving matters (use --mode interleave to replay it from the seed)",
                    "tried", json_incref(tried));
done:
    json_decref(tried);
    shmf_prog_free(p);
    return out;
}

static json_t *processors_json(struct st_world *w)
{
    json_t *arr = json_array();
    for (unsigned i = 0; i < w->ncpus && arr; i++) {
        struct st_cpu *c = &w->cpus[i];
        json_t *log = json_array(), *seqs = json_array();
        uint64_t from = c->nlog > SHMF_STRESS_LOG ? c->nlog - SHMF_STRESS_LOG : 0;
        for (uint64_t k = from; k < c->nlog; k++) {
            const struct log_ent *e = &c->log[k % SHMF_STRESS_LOG_KEEP];
            json_array_append_new(log, op_text(&e->op));
            json_array_append_new(seqs, json_integer((json_int_t)e->seq));
        }
        json_array_append_new(arr, json_pack("{s:i, s:I, s:o, s:o, s:i, s:i}", "cpu",
                                             (json_int_t)i, "ops", (json_int_t)c->ops, "log",
                                             log, "log_seq", seqs, "irql",
                                             (json_int_t)(c->nraises ? c->raises[0] : 0),
                                             "deferred", (json_int_t)c->nwork));
    }
    return arr;
}

static json_t *seed_json(uint64_t seed)
{
    if (seed <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)seed);
    char b[24];
    snprintf(b, sizeof(b), "0x%" PRIx64, seed);
    return json_string(b);
}

static const char *mode_name(const struct st_world *w)
{
    return w->interleave ? "interleave" : "threads";
}

static json_t *finding_json(struct st_world *w, const struct shmf_finding *f, bool replay)
{
    char kind[80], sig[256], obj[24], cmd[1200];
    finding_place(w, f, sig, sizeof(sig), kind, sizeof(kind));
    snprintf(obj, sizeof(obj), "0x%" PRIx64, f->object);
    snprintf(cmd, sizeof(cmd),
             "shmfuzz stress --provider %s --mode %s --threads %u --seed %" PRIu64
             " --ops %" PRIu64 "%s",
             w->o->provider, mode_name(w), w->ncpus, w->o->seed,
             w->o->ops ? w->o->ops : atomic_load(&w->issued),
             w->o->verify_flags ? "" : " --verify-off");
    struct shmf_prog *p = shmf_prog_new();
    char *trace = NULL;
    if (p) {
        size_t m = serialize(w, SHMF_STRESS_LOG, false, w->first_teardown ? UINT64_MAX
                                                                           : w->first_seq, p);
        trace = prog_text(p, m);
        char path[4096];
        out_path(w, "stress-trace.ops", path, sizeof(path));
        write_prog(path, p, "shmfuzz stress: the processors' last ops, serialized by sequence");
    }
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s?, s:s, s:s, s:s, s:s, s:o, "
        "s:i, s:o, s:s, s:b}",
        "schema", SHMF_FINDING_SCHEMA, "kind", kind, "signature", sig, "message", f->message,
        "function", f->function, "rule", f->rule, "object", obj, "cpu", (json_int_t)f->cpu,
        "op_index", (json_int_t)(w->first_teardown ? -1 : (json_int_t)w->first_seq),
        "description", shmf_kind_description(f->kind), "trace", trace, "provider",
        w->o->provider, "engine", "stress", "mode", mode_name(w), "build",
        shmf_build_string(), "seed", seed_json(w->o->seed), "threads", (json_int_t)w->ncpus,
        "processors", processors_json(w), "reproduce", cmd, "teardown",
        w->first_teardown);
    free(trace);
    shmf_prog_free(p);
    if (!j)
        return NULL;
    if (w->have_first && !w->first_teardown)
        json_object_set_new(j, "failing_op", op_text(&w->first_op));
    if (replay && !w->crashed) {
        json_t *r = try_replay(w, kind);
        if (r) {
            json_t *rep = json_object_get(r, "reproduce");
            if (json_is_true(json_object_get(r, "reproduced")) && rep)
                json_object_set(j, "reproduce_serialized", rep);
            json_object_set_new(j, "replay", r);
        }
    } else {
        json_object_set_new(j, "replay",
                            json_pack("{s:b, s:b, s:s}", "attempted", 0, "reproduced", 0,
                                      "reason", w->crashed ? "the stress process crashed; "
                                                             "replay stress-trace.ops by hand"
                                                           : "processors did not stop"));
    }
    return j;
}

static json_t *run_json(struct st_world *w, double duration)
{
    uint64_t total = 0, spins = 0, contended = 0;
    uint64_t mix[SHMF_OP_COUNT] = {0};
    json_t *per = json_array(), *jmix = json_object(), *findings = json_array();
    for (unsigned i = 0; i < w->ncpus; i++) {
        struct st_cpu *c = &w->cpus[i];
        uint64_t ops = __atomic_load_n(&c->ops, __ATOMIC_RELAXED);
        total += ops;
        spins += c->spins;
        contended += c->contended;
        for (unsigned k = 0; k < SHMF_OP_COUNT; k++)
            mix[k] += c->mix[k];
        json_array_append_new(per, json_pack("{s:i, s:I, s:f, s:I, s:I}", "cpu", (json_int_t)i,
                                             "ops", (json_int_t)ops, "ops_per_s",
                                             duration > 0 ? (double)ops / duration : 0.0,
                                             "spins", (json_int_t)c->spins, "contended",
                                             (json_int_t)c->contended));
    }
    if (w->interleave) {
        spins = w->il.spins;
        contended = w->il.contended;
    }
    for (unsigned k = 0; k < SHMF_OP_COUNT; k++)
        if (mix[k])
            json_object_set_new(jmix, shmf_op_name(k), json_integer((json_int_t)mix[k]));
    if (w->finding_json)
        json_array_append(findings, w->finding_json);
    json_t *cont = json_pack("{s:I, s:I}", "spins", (json_int_t)spins, "contended_acquires",
                             (json_int_t)contended);
    if (w->interleave) {
        json_object_set_new(cont, "switches", json_integer((json_int_t)w->il.switches));
        json_object_set_new(cont, "scheduling_points", json_integer((json_int_t)w->il.points));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:i, s:f, s:I, s:f, s:o, s:o, s:o, s:o, "
                     "s:b, s:b, s:I, s:s, s:I, s:f}",
                     "schema", SHMF_RUN_SCHEMA, "engine", "stress", "mode", mode_name(w),
                     "provider", w->o->provider, "seed", seed_json(w->o->seed), "threads",
                     (json_int_t)w->ncpus, "duration", duration, "ops", (json_int_t)total,
                     "ops_per_s", duration > 0 ? (double)total / duration : 0.0,
                     "per_thread", per, "op_mix", jmix, "contention", cont, "findings",
                     findings, "verify", w->o->verify_flags != 0, "interrupted",
                     w->o->interrupted && *w->o->interrupted, "findings_total",
                     (json_int_t)shmf_rt_finding_count(), "build", shmf_build_string(),
                     "ops_limit", (json_int_t)w->o->ops, "seconds_limit", w->o->seconds);
}

static void print_finding(struct st_world *w, const struct shmf_finding *f)
{
    char kind[80], sig[256];
    finding_place(w, f, sig, sizeof(sig), kind, sizeof(kind));
    if (w->o->progress)
        fputc('\n', stderr);
    printf("finding: %s: %s\n  function: %s\n  rule: %s\n  cpu: %u\n  op: %s\n"
           "  signature: %s\n",
           kind, f->message, f->function, f->rule, f->cpu,
           w->first_teardown ? "teardown" : shmf_op_name(w->first_op.code), sig);
    json_t *r = w->finding_json ? json_object_get(w->finding_json, "replay") : NULL;
    if (json_is_true(json_object_get(r, "reproduced")))
        printf("  serialized replay reproduces it: %s\n",
               json_string_value(json_object_get(r, "reproduce")));
    else
        printf("  serialized replay: not reproduced; reproduce with: %s\n",
               json_string_value(json_object_get(w->finding_json, "reproduce")));
    fflush(stdout);
}

static void write_reports(struct st_world *w, double duration, const char *run_path)
{
    char path[4096];
    if (w->finding_json) {
        out_path(w, "stress-finding.json", path, sizeof(path));
        int rc = shmf_json_write_atomic(w->finding_json, path);
        if (rc)
            fprintf(stderr, "shmfuzz: cannot write %s: %s\n", path, strerror(-rc));
    }
    if (run_path) {
        json_t *j = run_json(w, duration);
        int rc = j ? shmf_json_write_atomic(j, run_path) : -ENOMEM;
        if (rc)
            fprintf(stderr, "shmfuzz: cannot write %s: %s\n", run_path, strerror(-rc));
        json_decref(j);
    }
}

/* A crash of the provider on some processor: report what we have and die. */
static const char *crash_run_path;
static void crash_sink(const struct shmf_finding *cf, void *ud)
{
    struct st_world *w = ud;
    struct shmf_finding f = *cf;
    atomic_store(&w->stop, true);
    w->crashed = true;
    f.cpu = KeGetCurrentProcessorNumber() % w->ncpus;
    for (unsigned i = 0; i < w->ncpus; i++) {
        struct st_cpu *c = &w->cpus[i];
        bool p = gbuf_guard_hit(&c->params, (uintptr_t)f.object);
        if (p || gbuf_guard_hit(&c->sg, (uintptr_t)f.object)) {
            f.kind = p ? SHMF_KIND_PARAMS_OUT_OF_BOUNDS : SHMF_KIND_SG_BUFFER_OVERFLOW;
            snprintf(f.message, sizeof(f.message), "%s at %#" PRIx64 ": past the %s of processor %u",
                     f.detail[0] ? f.detail : "fault", f.object,
                     p ? "parameters block" : "SG buffer", i);
            snprintf(f.rule, sizeof(f.rule), "%s", shmf_kind_source(f.kind));
        }
    }
    if (!w->have_first) {
        struct st_cpu *c = &w->cpus[f.cpu];
        w->have_first = true;
        w->first_teardown = atomic_load(&w->in_teardown) || !c->in_op;
        w->first_seq = c->cur_seq;
        w->first_op = c->cur_op;
    }
    w->finding_json = finding_json(w, &f, false);
    write_reports(w, now() - w->t0, crash_run_path);
    print_finding(w, &f);
    _exit(SHMF_EXIT_FINDING);
}

static void progress(struct st_world *w, double t)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < w->ncpus; i++)
        total += __atomic_load_n(&w->cpus[i].ops, __ATOMIC_RELAXED);
    double el = t - w->t0;
    fprintf(stderr, "\rstress %s: %5.0fs  %10" PRIu64 " ops  %9.0f ops/s  live %4u  findings %u ",
            mode_name(w), el, total, el > 0 ? (double)total / el : 0.0,
            shmf_rt_block_count(), shmf_rt_finding_count());
}

/* === Driving the world === */

static void world_teardown(struct st_world *w)
{
    atomic_store(&w->in_teardown, true);
    shmf_rt_cpu_attach(0);
    while (w->nblocks && !stopping(w)) {
        NDIS_HANDLE h = take_entry(w, w->nblocks - 1);
        NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
    }
    if (w->loaded && !stopping(w))
        shmf_nic_halt(w->nic);
    if (!stopping(w))
        shmf_rt_provider_unload();
    w->loaded = false;
}

/* Threads mode: watch the bounds and progress until the processors finish. */
static void monitor(struct st_world *w)
{
    for (;;) {
        bool all = true;
        double t = now();
        for (unsigned i = 0; i < w->ncpus; i++) {
            struct st_cpu *c = &w->cpus[i];
            if (atomic_load(&c->finished))
                continue;
            all = false;
            uint64_t ops = __atomic_load_n(&c->ops, __ATOMIC_RELAXED);
            if (ops != c->hang_ops || c->hang_since == 0) {
                c->hang_ops = ops;
                c->hang_since = t;
            } else if (t - c->hang_since > ST_HANG_SECONDS && !atomic_load(&w->stop)) {
                shmf_rt_report(SHMF_KIND_HANG, i, "stress", "stress watchdog",
                               "processor %u made no progress for %.0f s (op: %s)", i,
                               ST_HANG_SECONDS, shmf_op_name(c->cur_op.code));
            }
        }
        if (all)
            return;
        if (w->t_end > 0 && t >= w->t_end)
            atomic_store(&w->time_up, true);
        if (w->o->interrupted && *w->o->interrupted)
            atomic_store(&w->stop, true);
        if (w->o->progress && t - w->last_progress >= 1.0) {
            w->last_progress = t;
            progress(w, t);
        }
        if (atomic_load(&w->stop) || atomic_load(&w->time_up)) {
            /* Give the processors a moment to finish their op. */
            double deadline = t + ST_JOIN_SECONDS;
            while (now() < deadline) {
                bool done = true;
                for (unsigned i = 0; i < w->ncpus; i++)
                    done = done && atomic_load(&w->cpus[i].finished);
                if (done)
                    return;
                usleep(1000);
            }
            return;
        }
        usleep(20000);
    }
}

static int run_threads(struct st_world *w, bool *stuck)
{
    int rc = 0;
    shmf_rt_set_yield_hook(threads_yield_hook);
    for (unsigned i = 0; i < w->ncpus && rc == 0; i++) {
        rc = -pthread_create(&w->cpus[i].th, NULL, thread_main, &w->cpus[i]);
        w->cpus[i].started = rc == 0;
    }
    if (rc) {
        atomic_store(&w->stop, true);
        for (unsigned i = 0; i < w->ncpus; i++)
            atomic_store(&w->cpus[i].finished, !w->cpus[i].started ||
                                                   atomic_load(&w->cpus[i].finished));
    }
    monitor(w);
    *stuck = false;
    for (unsigned i = 0; i < w->ncpus; i++) {
        if (!w->cpus[i].started)
            continue;
        if (atomic_load(&w->cpus[i].finished))
            pthread_join(w->cpus[i].th, NULL);
        else
            *stuck = true;
    }
    shmf_rt_set_yield_hook(NULL);
    return rc;
}

static int world_init(struct st_world *w, const struct shmf_stress_opts *o)
{
    memset(w, 0, sizeof(*w));
    w->o = o;
    w->interleave = o->mode == SHMF_STRESS_INTERLEAVE;
    w->ncpus = o->threads;
    pthread_mutex_init(&w->tab_lock.m, NULL);
    pthread_mutex_init(&w->nic_lock.m, NULL);
    w->cpus = calloc(w->ncpus, sizeof(*w->cpus));
    w->nic = shmf_nic_create();
    if (!w->cpus || !w->nic)
        return -ENOMEM;
    for (unsigned i = 0; i < w->ncpus; i++) {
        struct st_cpu *c = &w->cpus[i];
        c->w = w;
        c->index = i;
        /* Per-processor stream: the seed and the processor's id. */
        shmf_rng_seed(&c->rng, o->seed ^ (0x9E3779B97F4A7C15ull * (i + 1)));
        if (gbuf_init(&c->params, ST_PARAMS_MAX) || gbuf_init(&c->sg, SHMF_EXEC_MAX_SGLEN))
            return -ENOMEM;
    }
    return 0;
}

static void world_fini(struct st_world *w)
{
    for (unsigned i = 0; w->cpus && i < w->ncpus; i++) {
        gbuf_fini(&w->cpus[i].params);
        gbuf_fini(&w->cpus[i].sg);
    }
    free(w->cpus);
    shmf_nic_destroy(w->nic);
    json_decref(w->finding_json);
}

int shmf_stress_run(const struct shmf_stress_opts *o, struct shmf_stress_result *r)
{
    static struct st_world w;
    bool stuck = false;
    memset(r, 0, sizeof(*r));
    if (o->threads == 0 || o->threads > SHMF_MAX_CPUS)
        return -EINVAL;
    int rc = world_init(&w, o);
    if (rc) {
        world_fini(&w);
        return rc;
    }
    the_world = &w;
    crash_run_path = o->json_out;
    shmf_crash_install(crash_sink, &w);

    shmf_rt_reset(o->verify_flags, NULL);
    shmf_rt_cpu_attach(0);
    shmf_rt_set_finding_handler(on_finding, &w);
    w.loaded = shmf_rt_provider_load(&o->target->provider) == 0;
    shmf_nic_set_ring_advance(w.nic, (shmf_ring_advance_fn)o->target->ring_advance);
    if (w.loaded)
        shmf_nic_reset(w.nic, shmf_rt_driver_handle());
    w.t0 = now();
    w.last_progress = w.t0;
    w.t_end = o->seconds > 0 ? w.t0 + o->seconds : 0;

    if (w.loaded && !atomic_load(&w.stop)) {
        if (w.interleave) {
            struct shmf_interleave_opts io = {.ncpus = w.ncpus, .seed = o->seed};
            rc = shmf_interleave_run(&io, interleave_main, &w, &w.il);
            if (w.il.hang)
                atomic_store(&w.stop, true);
        } else {
            rc = run_threads(&w, &stuck);
        }
    }
    double duration = now() - w.t0;
    if (o->progress) {
        progress(&w, now());
        fputc('\n', stderr);
    }
    if (!stuck && !atomic_load(&w.stop) && rc == 0)
        world_teardown(&w);
    shmf_rt_set_finding_handler(NULL, NULL);
    shmf_crash_install(NULL, NULL);

    r->findings = shmf_rt_finding_count();
    r->hang = stuck;
    if (r->findings) {
        const struct shmf_finding *f = shmf_rt_finding(0);
        r->first = *f;
        w.finding_json = finding_json(&w, f, !stuck);
        json_t *rep = json_object_get(w.finding_json, "replay");
        r->replayed = json_is_true(json_object_get(rep, "reproduced"));
        print_finding(&w, f);
    }
    write_reports(&w, duration, o->json_out);
    r->run = run_json(&w, duration);
    if (!stuck)
        world_fini(&w);
    the_world = NULL;
    return rc;
}
