/*
 * exec_interleave.c -- programs with `cpu` ops (exec.c's header comment): their
 * ops split into one list per simulated processor, run as coroutines of the
 * interleaving engine (interleave.h), with reload and qfree run alone.
 */
#include <stdio.h>

#include "exec_internal.h"

static uint16_t cpu_ops[EXEC_MAX_CPUS][SHMF_OPS_MAX]; /* each processor's op indices */

/* Interleaved programs: reload and qfree (SHMF_OPF_EXCLUSIVE) tear down state
   other processors use, so they run alone, as a miniport serializes halt and
   queue teardown against its own requests: they wait until no other processor
   is inside an op, and no op starts meanwhile. */
static void op_enter(struct exec_state *s)
{
    while (s->excl_pending && !shmf__exec_stop())
        shmf_interleave_yield("wait");
    s->busy++;
}

static void op_leave(struct exec_state *s)
{
    s->busy--;
}

void shmf__exec_run_exclusive(struct shmf_ops_world *w, struct shmf_ops_cpu *c,
                              const struct shmf_op *op)
{
    struct exec_state *s = (struct exec_state *)w;
    s->busy--;
    shmf_co_mutex_lock(&s->excl_mu);
    s->excl_pending = true;
    while (s->busy && !shmf__exec_stop())
        shmf_interleave_yield("wait");
    if (!shmf__exec_stop())
        shmf_ops_dispatch(w, c, op);
    s->excl_pending = false;
    shmf_co_mutex_unlock(&s->excl_mu);
    s->busy++;
}

/* One processor: its ops in program order, then its teardown (back to
   PASSIVE_LEVEL, its deferred work). */
static void cpu_main(unsigned cpu, void *ud)
{
    struct exec_state *s = ud;
    struct exec_cpu *c = &s->cpu[cpu];
    const struct shmf_prog *prog = s->prog;
    for (uint32_t k = 0; k < c->nops && !shmf__exec_stop(); k++) {
        uint32_t i = cpu_ops[cpu][k];
        op_enter(s);
        if (shmf__exec_stop()) {
            op_leave(s);
            break;
        }
        c->cur_op = (int32_t)i;
        shmf_rt_set_op_index((int32_t)i);
        if (__builtin_expect(s->trace != NULL, 0))
            shmf__exec_trace_op(s->trace, i, (int)cpu, &prog->ops[i]);
        shmf__exec_op(s, c, &prog->ops[i]);
        if (__builtin_expect(s->trace != NULL, 0))
            shmf__exec_trace_result(s->trace, i, (int)cpu, &prog->ops[i], &c->o.out);
        c->done++;
        op_leave(s);
    }
    c->cur_op = (int32_t)prog->nops;
    if (shmf__exec_stop())
        return;
    op_enter(s);
    shmf_rt_set_op_index((int32_t)prog->nops);
    shmf_ops_cpu_finish(&s->ow, &c->o);
    op_leave(s);
}

static void on_finding(const struct shmf_finding *f, void *ud)
{
    struct exec_state *s = ud;
    if (!s->have_first) {
        s->have_first = true;
        s->first_op = s->cpu[f->cpu % s->ncpus].cur_op;
    }
    shmf_interleave_stop();
    if (s->prev_handler)
        s->prev_handler(f, s->prev_ud);
}

/* The seed is FNV-1a over the header's reserved field and every cpu op's index. */
int shmf__exec_scan_cpu_ops(const struct shmf_prog *prog, uint32_t *first, uint64_t *seed)
{
    int max = -1;
    *first = prog->nops;
    uint64_t h = 0xcbf29ce484222325ull;
    h = (h ^ (prog->hdr.reserved & 0xff)) * 0x100000001b3ull;
    h = (h ^ (prog->hdr.reserved >> 8)) * 0x100000001b3ull;
    for (uint32_t i = 0; i < prog->nops; i++) {
        if (prog->ops[i].code != SHMF_OP_CPU)
            continue;
        int idx = (int)prog->ops[i].a[SHMF_ARG_CPU_INDEX];
        if (max < 0)
            *first = i;
        max = idx > max ? idx : max;
        h = (h ^ (uint64_t)idx) * 0x100000001b3ull;
    }
    *seed = h;
    return max;
}

int64_t shmf__exec_run_interleaved(struct exec_state *s, const struct shmf_prog *prog, int maxidx,
                                   uint32_t first)
{
    unsigned n = (unsigned)maxidx + 1 > EXEC_MAX_CPUS ? EXEC_MAX_CPUS : (unsigned)maxidx + 1;
    unsigned cur = 0;
    for (unsigned k = 1; k < n; k++)
        shmf__exec_reset_cpu(&s->cpu[k]);
    s->cpu[0].nops = s->cpu[0].done = 0;
    for (uint32_t i = first; i < prog->nops; i++) {
        if (prog->ops[i].code == SHMF_OP_CPU)
            cur = prog->ops[i].a[SHMF_ARG_CPU_INDEX] % n;
        else
            cpu_ops[cur][s->cpu[cur].nops++] = (uint16_t)i;
    }
    s->ncpus = n;
    s->il = true;
    shmf__exec_set_policy(s, true);
    if (s->trace) {
        fprintf(s->trace, "  ---- interleaved: %u processors, schedule seed 0x%016llx, ops", n,
                (unsigned long long)s->seed);
        for (unsigned k = 0; k < n; k++)
            fprintf(s->trace, "%s%u", k ? "/" : " ", s->cpu[k].nops);
        fputc('\n', s->trace);
    }
    shmf_rt_get_finding_handler(&s->prev_handler, &s->prev_ud);
    shmf_rt_set_finding_handler(on_finding, s);
    struct shmf_interleave_opts io = {.ncpus = n, .seed = s->seed, .spin_limit = EXEC_SPIN_LIMIT};
    struct shmf_interleave_stats st;
    int rc = shmf_interleave_run(&io, cpu_main, s, &st);
    shmf_rt_set_finding_handler(s->prev_handler, s->prev_ud);
    s->il = false;
    shmf__exec_set_policy(s, false);
    if (rc != 0) {
        s->ncpus = 1;
        return -1;
    }
    int64_t ran = 0;
    for (unsigned k = 0; k < n; k++)
        ran += s->cpu[k].done;
    return ran;
}
