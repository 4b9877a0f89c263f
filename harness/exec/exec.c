/*
 * exec.c -- the op-stream executor (see exec.h and docs/opstream.md).
 *
 * One world per program: reset -> load provider -> ops -> teardown as a correct
 * miniport halts (lower IRQL, run deferred work, halt the NIC, free every block)
 * -> unload -> leak check.  The first finding stops the program.
 *
 * Each op runs in the op engine (ops.h) under the executor's policy.  A
 * program with a `cpu` op runs interleaved (exec_interleave.c): its ops are
 * split into one list per simulated processor, and the lists run as coroutines
 * of the interleaving engine (interleave.h), switched at the runtime's
 * scheduling points in an order seeded from the input.  A program without one
 * takes the plain sequential path.
 */
#include <assert.h>
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
    return &cur_cpu()->o.regions;
}

int32_t shmf_exec_op_index(void)
{
    if (S.il && shmf_interleave_active())
        return cur_cpu()->cur_op;
    return shmf_rt_op_index();
}

/* === Provider life cycle === */

static void load(struct exec_state *s)
{
    s->ow.loaded = shmf_rt_provider_load(&s->t->provider) == 0;
    shmf_ops_nic_enter(&s->ow);
    shmf_nic_set_ring_advance(s->ow.nic, (shmf_ring_advance_fn)s->t->ring_advance);
    shmf_nic_set_ring_cancel(s->ow.nic, (shmf_ring_cancel_fn)s->t->ring_cancel);
    if (s->ow.loaded)
        shmf_nic_reset(s->ow.nic, shmf_rt_driver_handle());
    shmf_ops_nic_leave(&s->ow);
}

/* Halt as a correct miniport: every queue and block freed, then unload. */
static void halt(struct exec_state *s)
{
    shmf_ops_free_blocks(&s->ow);
    s->ow.nblocks = 0;
    if (s->ow.loaded && !shmf__exec_stop()) {
        shmf_ops_nic_enter(&s->ow);
        shmf_nic_halt(s->ow.nic);
        shmf_ops_nic_leave(&s->ow);
    }
    if (!shmf__exec_stop())
        shmf_rt_provider_unload();
    s->ow.loaded = false;
}

/* === The op engine's policy === */

static bool exec_stop(struct shmf_ops_world *w)
{
    (void)w;
    return shmf__exec_stop();
}

static void exec_reload(struct shmf_ops_world *w, struct shmf_ops_cpu *c)
{
    struct exec_state *s = (struct exec_state *)w;
    halt(s);
    if (!shmf__exec_stop())
        load(s);
    SHMF_OPS_OUT(w, c, OUT_RELOAD, .a = s->ow.loaded);
}

static void trace_prefix(FILE *f, const struct exec_cpu *c)
{
    if (S.il)
        fprintf(f, "         [cpu %d] ", (int)(c - S.cpu));
    else
        fputs("         ", f);
}

/* A deferred request run by `work` or teardown: traced and observed as an op. */
static void exec_work_item(struct shmf_ops_world *w, struct shmf_ops_cpu *oc,
                           const struct shmf_op *op)
{
    struct exec_state *s = (struct exec_state *)w;
    struct exec_cpu *c = (struct exec_cpu *)oc;
    if (__builtin_expect(s->trace != NULL, 0)) {
        char line[256];
        shmf_op_format(line, sizeof(line), op);
        trace_prefix(s->trace, c);
        fprintf(s->trace, "work item: %s\n", line);
    }
    shmf__exec_op(s, c, op);
    if (__builtin_expect(s->trace != NULL, 0)) {
        trace_prefix(s->trace, c);
        shmf__exec_trace_out(s->trace, op, &c->o.out);
    }
}

/* One processor: no locks, a guarded buffer per call, an alloc's queue field
   names a live NIC queue.  Interleaved: co-mutexes, exclusive ops run alone. */
static const struct shmf_ops_policy seq_policy = {
    .sync = SHMF_OPS_SYNC_NONE,
    .guard = SHMF_OPS_GUARD_RUNTIME,
    .nic_queues = true,
    .stop = exec_stop,
    .reload = exec_reload,
    .work_item = exec_work_item,
};
static const struct shmf_ops_policy il_policy = {
    .sync = SHMF_OPS_SYNC_CO,
    .guard = SHMF_OPS_GUARD_RUNTIME,
    .nic_queues = true,
    .stop = exec_stop,
    .reload = exec_reload,
    .exclusive = shmf__exec_run_exclusive,
    .work_item = exec_work_item,
};

void shmf__exec_set_policy(struct exec_state *s, bool interleaved)
{
    _Static_assert(offsetof(struct exec_state, ow) == 0, "the engine's world comes first");
    _Static_assert(offsetof(struct exec_cpu, o) == 0, "the engine's processor comes first");
    s->ow.pol = interleaved ? &il_policy : &seq_policy;
}

/* The observer's view of the op c just ran (op NULL: the first load). */
static void observe(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op)
{
    const struct shmf_op *ops = s->prog->ops;
    struct shmf_exec_event ev = {.op = op,
                                 .op_index = op ? shmf_exec_op_index() : -1,
                                 .cpu = s->il && shmf_interleave_active() ? (int)(c - s->cpu) : -1,
                                 .work_item = op && (op < ops || op >= ops + s->prog->nops),
                                 .out = &c->o.out,
                                 .params = op && c->o.out.kind == OUT_ALLOC ? &c->o.req : NULL,
                                 .own_blocks = s->ow.nblocks};
    s->observe(s->observe_ud, &ev);
}

void shmf__exec_op(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op)
{
    shmf_ops_run(&s->ow, &c->o, op);
    if (__builtin_expect(s->observe != NULL, 0))
        observe(s, c, op);
}

/* === Teardown and results === */

static void teardown(struct exec_state *s, struct exec_cpu *c)
{
    if (s->trace && !shmf__exec_stop())
        fputs("  ---- teardown: lower IRQL, run deferred work, halt, unload\n", s->trace);
    shmf_ops_cpu_finish(&s->ow, &c->o);
    halt(s);
}

static void fill_result(const struct shmf_prog *prog, uint32_t ran, struct shmf_exec_result *res)
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
    shmf_ops_cpu_reset(&c->o);
    c->cur_op = -1;
    c->nops = c->done = 0;
}

void shmf_exec_run(const struct shmf_target *t, const struct shmf_prog *prog,
                   const struct shmf_exec_opts *opts, struct shmf_exec_result *res)
{
    static struct shmf_nic *nic;
    struct exec_state *s = &S;
    struct shmf_fault_plan plan = {.fail_nth = prog->hdr.fail_nth,
                                   .fail_every = prog->hdr.fail_every,
                                   .first_per_site =
                                       (prog->hdr.fault_flags & SHMF_FAULT_F_FIRST_PER_SITE) != 0};
    if (!nic && !(nic = shmf_nic_create()))
        return;
    memset(s, 0, offsetof(struct exec_state, cpu));
    shmf__exec_reset_cpu(&s->cpu[0]);
    shmf__exec_set_policy(s, false);
    s->ow.nic = nic;
    s->t = t;
    s->prog = prog;
    s->trace = opts ? opts->trace : NULL;
    s->observe = opts ? opts->observe : NULL;
    s->observe_ud = opts ? opts->observe_ud : NULL;
    s->ow.record = s->trace || s->observe;
    s->ow.keep_request = s->observe != NULL;
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
        c->o.out = (struct exec_out){OUT_RELOAD, .a = s->ow.loaded};
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
            shmf__exec_trace_result(s->trace, i, -1, &prog->ops[i], &c->o.out);
        assert(shmf_ops_world_is_valid(&s->ow) && shmf_ops_cpu_is_valid(&c->o));
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
