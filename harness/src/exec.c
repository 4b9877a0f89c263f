/*
 * exec.c -- the op-stream executor (see exec.h and docs/opstream.md).
 *
 * One world per program: reset -> load provider -> ops -> teardown as a correct
 * miniport halts (lower IRQL, run deferred work, halt the NIC, free every block)
 * -> unload -> leak check.  The first finding stops the program.
 *
 * A program with a `cpu` op runs interleaved (exec_interleave.c): its ops are
 * split into one list per simulated processor, and the lists run as coroutines
 * of the stress runner's interleaving engine (stress.h), switched at the
 * runtime's scheduling points in an order seeded from the input.  A program
 * without one takes the plain sequential path, unchanged.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "exec_internal.h"

static struct exec_state S;

static struct exec_cpu *cur_cpu(void)
{
    if (S.il && shmf_interleave_active())
        return &S.cpu[KeGetCurrentProcessorNumber() % S.ncpus];
    return &S.cpu[0];
}

const struct shmf_exec_regions *shmf_exec_regions(void)
{
    return &cur_cpu()->regions;
}

int32_t shmf_exec_op_index(void)
{
    if (S.il && shmf_interleave_active())
        return cur_cpu()->cur_op;
    return shmf_rt_op_index();
}

/* Record what an op did, for the trace and the observer only. */
#define EXEC_OUT(c, ...)                                                                \
    do {                                                                                \
        if (__builtin_expect(S.record, 0))                                              \
            (c)->out = (struct exec_out){__VA_ARGS__};                                  \
    } while (0)

/* The NIC model is not reentrant: in an interleaved program every call to it
   holds the NIC co-mutex (a switch inside it must not let another processor in). */
static inline void nic_enter(struct exec_state *s)
{
    if (s->il)
        shmf_co_mutex_lock(&s->nic_mu);
}

static inline void nic_leave(struct exec_state *s)
{
    if (s->il)
        shmf_co_mutex_unlock(&s->nic_mu);
}

/* === Provider life cycle === */

static void load(struct exec_state *s)
{
    s->loaded = shmf_rt_provider_load(&s->t->provider) == 0;
    nic_enter(s);
    shmf_nic_set_ring_advance(s->nic, (shmf_ring_advance_fn)s->t->ring_advance);
    shmf_nic_set_ring_cancel(s->nic, (shmf_ring_cancel_fn)s->t->ring_cancel);
    if (s->loaded)
        shmf_nic_reset(s->nic, shmf_rt_driver_handle());
    nic_leave(s);
}

static void free_own_blocks(struct exec_state *s)
{
    while (s->nblocks && !shmf__exec_stop())
        NdisFreeSharedMemory(shmf_rt_driver_handle(), s->blocks[--s->nblocks]);
    s->nblocks = 0;
}

/* Halt as a correct miniport: every queue and block freed, then unload. */
static void halt(struct exec_state *s)
{
    if (!shmf__exec_stop())
        free_own_blocks(s);
    if (s->loaded && !shmf__exec_stop()) {
        nic_enter(s);
        shmf_nic_halt(s->nic);
        nic_leave(s);
    }
    if (!shmf__exec_stop())
        shmf_rt_provider_unload();
    s->loaded = false;
}

/* === Allocate and free === */

static ULONG pick_queue(struct exec_state *s, uint32_t q)
{
    struct shmf_nic_queue_info qi;
    if (q >= 0x80)
        return q & 0x7f; /* raw queue id: NDIS validates it */
    nic_enter(s);
    int rc = shmf_nic_queue_info(s->nic, q, &qi);
    nic_leave(s);
    if (rc != 0)
        return NDIS_DEFAULT_RECEIVE_QUEUE_ID;
    return qi.qid;
}

static void check_guards(const struct shmf_exec_regions *r)
{
    void *params = (void *)r->params, *sg = (void *)r->sg;
    if (!shmf_rt_guard_intact(params))
        shmf_rt_report(SHMF_KIND_PARAMS_OUT_OF_BOUNDS, (uint64_t)(uintptr_t)params,
                       "AllocateSharedMemoryHandler", NULL,
                       "provider wrote past the %zu-byte parameters block at %p",
                       r->params_len, params);
    else if (sg && !shmf_rt_guard_intact(sg))
        shmf_rt_report(SHMF_KIND_SG_BUFFER_OVERFLOW, (uint64_t)(uintptr_t)sg,
                       "AllocateSharedMemoryHandler", NULL,
                       "provider wrote past the %zu-byte SG buffer at %p", r->sg_len, sg);
}

static void do_alloc(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op)
{
    NDIS_SHARED_MEMORY_PARAMETERS p;
    NDIS_HANDLE h = NULL;
    shmf_exec_alloc_params(op, pick_queue(s, op->a[SHMF_ARG_ALLOC_QUEUE]), &p);
    size_t psize = p.Header.Size < sizeof(NDIS_OBJECT_HEADER) ? sizeof(NDIS_OBJECT_HEADER)
                                                                : p.Header.Size;
    ULONG sglen = shmf_exec_sg_length(op, p.Length);
    unsigned char *params = shmf_rt_guarded_alloc(psize);
    void *sg = sglen ? shmf_rt_guarded_alloc(sglen) : NULL;
    if (!params || (sglen && !sg)) {
        EXEC_OUT(c, OUT_TEXT, .why = "harness out of memory: not run");
        goto out;
    }
    p.SGListBufferLength = sglen;
    p.SGListBuffer = sg;
    memset(params, 0, psize);
    memcpy(params, &p, psize < sizeof(p) ? psize : sizeof(p));
    c->regions = (struct shmf_exec_regions){params, psize, sg, sglen};
    NDIS_STATUS st = NdisAllocateSharedMemory(shmf_rt_driver_handle(),
                                              (PNDIS_SHARED_MEMORY_PARAMETERS)params, &h);
    check_guards(&c->regions);
    if (__builtin_expect(s->observe != NULL, 0))
        c->req = p;
    EXEC_OUT(c, OUT_ALLOC, .a = st, .h = h);
    if (st == NDIS_STATUS_SUCCESS && h) {
        if (s->nblocks == EXEC_MAX_BLOCKS)
            NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
        else
            s->blocks[s->nblocks++] = h;
    }
out:
    c->regions = (struct shmf_exec_regions){0};
    shmf_rt_guarded_free(sg);
    shmf_rt_guarded_free(params);
}

/* The handle leaves the table before NdisFreeSharedMemory (a scheduling point),
   so no other processor can pick it meanwhile. */
static void do_free(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op)
{
    if (s->nblocks == 0) {
        EXEC_OUT(c, OUT_TEXT, .why = "no live block");
        return;
    }
    unsigned i = op->a[SHMF_ARG_FREE_SLOT] % s->nblocks;
    NDIS_HANDLE h = s->blocks[i];
    s->blocks[i] = s->blocks[--s->nblocks];
    EXEC_OUT(c, OUT_FREE, .h = h);
    NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
}

/* Read or write the block's memory through its virtual address.  Writes stay
   inside the block; reads may reach the slack of its last page.  (No scheduling
   point between the lookup and the access.) */
static void do_touch(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op)
{
    struct shmf_block_info b;
    if (s->nblocks == 0) {
        EXEC_OUT(c, OUT_TEXT, .why = "no live block");
        return;
    }
    NDIS_HANDLE h = s->blocks[op->a[SHMF_ARG_TOUCH_SLOT] % s->nblocks];
    if (!shmf_rt_block_find(h, &b) || b.length == 0) {
        EXEC_OUT(c, OUT_TEXT, .why = "block unknown to the runtime or empty: not touched");
        return;
    }
    uint64_t off, len;
    bool write = shmf_exec_touch_range(&b, op, &off, &len);
    EXEC_OUT(c, OUT_TOUCH, .a = (int64_t)len, .b = (int64_t)off, .h = h,
        .why = write ? "wrote" : "read");
    shmf_exec_touch_bytes(&b, off, len, write);
}

/* === IRQL and deferred work === */

static void do_raise(struct exec_cpu *c, const struct shmf_op *op)
{
    KIRQL level = (KIRQL)(op->a[SHMF_ARG_RAISE_LEVEL] % 3);
    KIRQL old;
    if (level < KeGetCurrentIrql() || c->nraises == EXEC_MAX_RAISES) {
        EXEC_OUT(c, OUT_TEXT,
            .why = c->nraises == EXEC_MAX_RAISES ? "ignored: raise stack full"
                                                 : "ignored: below the current IRQL");
        return;
    }
    KeRaiseIrql(level, &old);
    c->raises[c->nraises++] = old;
    EXEC_OUT(c, OUT_RAISE, .a = level, .b = old);
}

void shmf__exec_lower(struct exec_cpu *c)
{
    if (!c->nraises) {
        EXEC_OUT(c, OUT_TEXT, .why = "ignored: no matching raise");
        return;
    }
    KeLowerIrql(c->raises[--c->nraises]);
    EXEC_OUT(c, OUT_LOWER, .a = c->raises[c->nraises]);
}

static bool needs_passive(unsigned code)
{
    return code == SHMF_OP_RELOAD || code == SHMF_OP_ALLOC || code == SHMF_OP_FREE ||
           code == SHMF_OP_QALLOC || code == SHMF_OP_QFREE;
}

static void defer(struct exec_cpu *c, const struct shmf_op *op)
{
    if (c->nwork < EXEC_MAX_WORK) {
        c->work[c->nwork++] = *op;
        EXEC_OUT(c, OUT_DEFERRED, .a = KeGetCurrentIrql());
    } else {
        EXEC_OUT(c, OUT_TEXT, .why = "dropped: work list full");
    }
}


static void trace_prefix(FILE *f, const struct exec_cpu *c)
{
    if (S.il)
        fprintf(f, "         [cpu %d] ", (int)(c - S.cpu));
    else
        fputs("         ", f);
}

void shmf__exec_run_work(struct exec_state *s, struct exec_cpu *c)
{
    if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
        EXEC_OUT(c, OUT_WORK, .a = 0, .b = c->nwork, .why = "not at PASSIVE_LEVEL");
        return;
    }
    unsigned n = c->nwork, i;
    for (i = 0; i < c->nwork && !shmf__exec_stop(); i++) {
        if (__builtin_expect(S.trace != NULL, 0)) {
            char line[256];
            shmf_op_format(line, sizeof(line), &c->work[i]);
            trace_prefix(S.trace, c);
            fprintf(S.trace, "work item: %s\n", line);
        }
        shmf__exec_op(s, c, &c->work[i]);
        if (__builtin_expect(S.trace != NULL, 0)) {
            trace_prefix(S.trace, c);
            shmf__exec_trace_out(S.trace, &c->work[i], &c->out);
        }
    }
    c->nwork = 0;
    EXEC_OUT(c, OUT_WORK, .a = i, .b = n - i);
}

static void do_dpc(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op)
{
    KIRQL old;
    if (KeGetCurrentIrql() > DISPATCH_LEVEL) {
        EXEC_OUT(c, OUT_TEXT, .why = "skipped: IRQL above DISPATCH_LEVEL");
        return;
    }
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    nic_enter(s);
    int rc = shmf_nic_advance(s->nic, op->a[SHMF_ARG_DPC_QUEUE]);
    nic_leave(s);
    EXEC_OUT(c, OUT_NIC, .a = rc, .why = "indicated");
    KeLowerIrql(old);
}

static void do_fault(struct exec_cpu *c, const struct shmf_op *op)
{
    struct shmf_fault_plan plan = {0};
    switch (op->a[SHMF_ARG_FAULT_MODE] % 3) {
    case SHMF_FAULT_NTH:
        plan.fail_nth = (uint32_t)shmf_rt_alloc_attempts() + 1 + op->a[SHMF_ARG_FAULT_N];
        break;
    case SHMF_FAULT_FIRST_PER_SITE:
        plan.first_per_site = true;
        break;
    default:
        break;
    }
    EXEC_OUT(c, OUT_FAULT, .a = op->a[SHMF_ARG_FAULT_MODE] % 3, .b = plan.fail_nth);
    shmf_rt_set_fault_plan(&plan);
}

/* Free a queue: the miniport's own blocks of that queue go first, since all of
   a queue's shared memory is freed before the free completes. */
static void do_qfree(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op)
{
    struct shmf_nic_queue_info qi;
    struct shmf_block_info b;
    unsigned freed = 0;
    nic_enter(s);
    int rc = shmf_nic_queue_info(s->nic, op->a[SHMF_ARG_QFREE_QUEUE], &qi);
    nic_leave(s);
    if (rc != 0 || qi.qid == NDIS_DEFAULT_RECEIVE_QUEUE_ID) {
        EXEC_OUT(c, OUT_TEXT, .why = rc ? "no live queue" : "ignored: the default queue");
        return;
    }
    for (unsigned i = s->nblocks; i-- > 0 && !shmf__exec_stop();) {
        if (!shmf_rt_block_find(s->blocks[i], &b) || b.queue_id != qi.qid)
            continue;
        NDIS_HANDLE h = s->blocks[i];
        s->blocks[i] = s->blocks[--s->nblocks];
        NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
        freed++;
    }
    if (!shmf__exec_stop()) {
        nic_enter(s);
        rc = shmf_nic_queue_free(s->nic, op->a[SHMF_ARG_QFREE_QUEUE]);
        nic_leave(s);
    }
    EXEC_OUT(c, OUT_QFREE, .a = rc, .b = qi.qid, .h = (const void *)(uintptr_t)freed);
}

static void do_reload(struct exec_state *s, struct exec_cpu *c)
{
    halt(s);
    if (!shmf__exec_stop())
        load(s);
    EXEC_OUT(c, OUT_RELOAD, .a = s->loaded);
}

static int nic_op(struct exec_state *s, const struct shmf_op *op, ULONG *qid)
{
    const uint32_t *a = op->a;
    int rc = -EINVAL;
    nic_enter(s);
    switch (op->code) {
    case SHMF_OP_QALLOC:
        rc = shmf_nic_queue_alloc(s->nic, a[SHMF_ARG_QALLOC_ORDER], a[SHMF_ARG_QALLOC_BUFSIZE],
                                  qid);
        break;
    case SHMF_OP_POST: rc = shmf_nic_post(s->nic, a[SHMF_ARG_POST_QUEUE], a[SHMF_ARG_POST_COUNT]); break;
    case SHMF_OP_DRAIN:
        rc = shmf_nic_queue_pause(s->nic, a[SHMF_ARG_DRAIN_QUEUE], a[SHMF_ARG_DRAIN_COUNT] & 1);
        break;
    case SHMF_OP_RET: rc = shmf_nic_return(s->nic, a[SHMF_ARG_RET_QUEUE], a[SHMF_ARG_RET_COUNT]); break;
    case SHMF_OP_RX:
        rc = shmf_nic_rx(s->nic, a[SHMF_ARG_RX_QUEUE], a[SHMF_ARG_RX_COUNT], a[SHMF_ARG_RX_PKTLEN]);
        break;
    case SHMF_OP_TX: rc = shmf_nic_tx(s->nic, a[SHMF_ARG_TX_QUEUE], a[SHMF_ARG_TX_PKTLEN]); break;
    default: break;
    }
    nic_leave(s);
    return rc;
}

/* === Dispatch === */

/* Ops that do nothing while the provider is not loaded. */
#define NEEDS_LOADED                                                                    \
    ((1u << SHMF_OP_ALLOC) | (1u << SHMF_OP_DPC) | (1u << SHMF_OP_QALLOC) |            \
     (1u << SHMF_OP_QFREE) | (1u << SHMF_OP_POST) | (1u << SHMF_OP_DRAIN) |            \
     (1u << SHMF_OP_RET) | (1u << SHMF_OP_RX) | (1u << SHMF_OP_TX))

void shmf__exec_dispatch(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op)
{
    ULONG qid = 0;
    int rc;
    if (!s->loaded && ((NEEDS_LOADED >> op->code) & 1)) {
        EXEC_OUT(c, OUT_TEXT, .why = "skipped: provider not loaded");
        return;
    }
    switch (op->code) {
    case SHMF_OP_RELOAD: do_reload(s, c); break;
    case SHMF_OP_ALLOC: do_alloc(s, c, op); break;
    case SHMF_OP_FREE: do_free(s, c, op); break;
    case SHMF_OP_TOUCH: do_touch(s, c, op); break;
    case SHMF_OP_RAISE: do_raise(c, op); break;
    case SHMF_OP_LOWER: shmf__exec_lower(c); break;
    case SHMF_OP_DPC: do_dpc(s, c, op); break;
    case SHMF_OP_WORK: shmf__exec_run_work(s, c); break;
    case SHMF_OP_QFREE: do_qfree(s, c, op); break;
    case SHMF_OP_QALLOC:
        rc = nic_op(s, op, &qid);
        EXEC_OUT(c, OUT_QALLOC, .a = rc, .b = qid);
        break;
    case SHMF_OP_POST: rc = nic_op(s, op, NULL); EXEC_OUT(c, OUT_NIC, .a = rc, .why = "posted"); break;
    case SHMF_OP_DRAIN:
        rc = nic_op(s, op, NULL);
        EXEC_OUT(c, OUT_NIC, .a = rc, .why = op->a[SHMF_ARG_DRAIN_COUNT] & 1 ? "paused" : "resumed");
        break;
    case SHMF_OP_RET: rc = nic_op(s, op, NULL); EXEC_OUT(c, OUT_NIC, .a = rc, .why = "returned"); break;
    case SHMF_OP_RX: rc = nic_op(s, op, NULL); EXEC_OUT(c, OUT_NIC, .a = rc, .why = "received"); break;
    case SHMF_OP_TX: rc = nic_op(s, op, NULL); EXEC_OUT(c, OUT_NIC, .a = rc, .why = "transmitted"); break;
    case SHMF_OP_FAULT: do_fault(c, op); break;
    case SHMF_OP_CPU: break; /* sequential path only when interleaving was impossible */
    default: break;
    }
}

/* The observer's view of the op c just ran (op NULL: the first load). */
static void observe(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op)
{
    const struct shmf_op *ops = s->prog->ops;
    struct shmf_exec_event ev = {
        .op = op,
        .op_index = op ? shmf_exec_op_index() : -1,
        .cpu = s->il && shmf_interleave_active() ? (int)(c - s->cpu) : -1,
        .work_item = op && (op < ops || op >= ops + s->prog->nops),
        .out = &c->out,
        .params = op && c->out.kind == OUT_ALLOC ? &c->req : NULL,
        .own_blocks = s->nblocks};
    s->observe(s->observe_ud, &ev);
}

void shmf__exec_op(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op)
{
    if (__builtin_expect(S.record, 0))
        c->out.kind = OUT_NONE;
    if (needs_passive(op->code) && KeGetCurrentIrql() != PASSIVE_LEVEL)
        defer(c, op);
    else if (s->il && shmf__exec_exclusive(op->code))
        shmf__exec_run_exclusive(s, c, op);
    else
        shmf__exec_dispatch(s, c, op);
    if (__builtin_expect(s->observe != NULL, 0))
        observe(s, c, op);
}

/* === Teardown and results === */

static void teardown(struct exec_state *s, struct exec_cpu *c)
{
    if (s->trace && !shmf__exec_stop())
        fputs("  ---- teardown: lower IRQL, run deferred work, halt, unload\n", s->trace);
    while (c->nraises && !shmf__exec_stop())
        shmf__exec_lower(c);
    if (!shmf__exec_stop())
        shmf__exec_run_work(s, c);
    halt(s);
}

static void fill_result(const struct shmf_prog *prog, uint32_t ran,
                        struct shmf_exec_result *res)
{
    memset(res, 0, sizeof(*res));
    res->findings = shmf_rt_finding_count();
    res->ops_run = ran;
    res->failing_op = -1;
    res->ncpus = S.ncpus;
    if (res->findings) {
        res->first = *shmf_rt_finding(0);
        if (S.have_first)
            res->first.op_index = S.first_op;
        res->failing_op = res->first.op_index < 0 ? (int32_t)prog->nops : res->first.op_index;
    }
    res->alloc_attempts = shmf_rt_alloc_attempts();
    res->faults_injected = shmf_rt_faults_injected();
}

void shmf__exec_reset_cpu(struct exec_cpu *c)
{
    c->nraises = 0;
    c->nwork = 0;
    c->regions = (struct shmf_exec_regions){0};
    c->cur_op = -1;
    c->nops = c->done = 0;
}

void shmf_exec_run(const struct shmf_target *t, const struct shmf_prog *prog,
                   const struct shmf_exec_opts *opts, struct shmf_exec_result *res)
{
    static struct shmf_nic *nic;
    struct exec_state *s = &S;
    struct shmf_fault_plan plan = {
        .fail_nth = prog->hdr.fail_nth,
        .fail_every = prog->hdr.fail_every,
        .first_per_site = (prog->hdr.fault_flags & SHMF_FAULT_F_FIRST_PER_SITE) != 0};
    if (!nic && !(nic = shmf_nic_create()))
        return;
    memset(s, 0, offsetof(struct exec_state, cpu));
    shmf__exec_reset_cpu(&s->cpu[0]);
    s->nic = nic;
    s->t = t;
    s->prog = prog;
    s->trace = opts ? opts->trace : NULL;
    s->observe = opts ? opts->observe : NULL;
    s->observe_ud = opts ? opts->observe_ud : NULL;
    s->record = s->trace || s->observe;
    s->ncpus = 1;
    uint32_t first;
    int maxidx = shmf__exec_scan_cpu_ops(prog, &first, &s->seed);
    uint32_t verify = opts ? opts->verify_flags : SHMF_VERIFY_F_ALL;
    shmf_rt_reset(verify, opts && opts->fault_override ? opts->fault_override : &plan);
    /* The ring verifier's element snapshots go with the DMA checks. */
    shmf_nic_set_verify(nic, (verify & SHMF_VERIFY_F_DMA) != 0);
    load(s);
    /* Sequential: the whole program, or the prologue before the first cpu op. */
    struct exec_cpu *c = &s->cpu[0];
    if (__builtin_expect(s->observe != NULL, 0)) {
        c->out = (struct exec_out){OUT_RELOAD, .a = s->loaded};
        observe(s, c, NULL);
    }
    uint32_t i;
    for (i = 0; i < first && !shmf__exec_stop(); i++) {
        shmf_rt_set_op_index((int32_t)i);
        c->cur_op = (int32_t)i;
        if (__builtin_expect(s->trace != NULL, 0))
            shmf__exec_trace_op(s->trace, i, -1, &prog->ops[i]);
        shmf__exec_op(s, c, &prog->ops[i]);
        if (__builtin_expect(s->trace != NULL, 0))
            shmf__exec_trace_result(s->trace, i, -1, &prog->ops[i], &c->out);
    }
    if (maxidx >= 0 && !shmf__exec_stop()) {
        int64_t ran = shmf__exec_run_interleaved(s, prog, maxidx, first);
        if (ran >= 0) {
            i += (uint32_t)ran;
        } else { /* the engine is busy (nested run) or out of memory: sequential */
            for (; i < prog->nops && !shmf__exec_stop(); i++) {
                shmf_rt_set_op_index((int32_t)i);
                shmf__exec_op(s, c, &prog->ops[i]);
            }
        }
    }
    shmf_rt_set_op_index((int32_t)prog->nops);
    s->cpu[0].cur_op = (int32_t)prog->nops;
    teardown(s, &s->cpu[0]);
    fill_result(prog, i, res);
    shmf_nic_clear(nic);
    shmf_rt_release();
}
