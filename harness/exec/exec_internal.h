/*
 * exec_internal.h -- what the executor's files share: the observer's event,
 * the trace printers (exec_trace.c prints what the op engine recorded), and the
 * executor's state (exec.c runs programs, exec_interleave.c interleaved ones).
 */
#ifndef SHMF_EXEC_INTERNAL_H
#define SHMF_EXEC_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "exec.h"
#include "interleave.h"
#include "nic.h"
#include "opstream.h"
#include "ops.h"

/* What the observer sees of one op (exec.h, shmf_exec_observe_fn). */
struct shmf_exec_event {
    const struct shmf_op *op;   /* NULL: the provider's first load */
    int32_t op_index;           /* op running (a work item: the op that ran it) */
    int cpu;                    /* -1, or the processor of an interleaved op */
    bool work_item;             /* a deferred request run by `work` or teardown */
    const struct exec_out *out; /* what it did (recorded as for the trace) */
    /* An alloc that called NdisAllocateSharedMemory: the request as made (the
       provider saw its first Header.Size bytes); else NULL. */
    const NDIS_SHARED_MEMORY_PARAMETERS *params;
    unsigned own_blocks; /* the miniport's live blocks after the op */
};

/* "-> outcome" for op (exec_trace.c). */
void shmf__exec_trace_out(FILE *f, const struct shmf_op *op, const struct exec_out *o);
/* "  i [cpu c] op fields" (cpu < 0: a sequential program). */
void shmf__exec_trace_op(FILE *f, uint32_t i, int cpu, const struct shmf_op *op);
/* The outcome line of op i, indented under it. */
void shmf__exec_trace_result(FILE *f, uint32_t i, int cpu, const struct shmf_op *op,
                             const struct exec_out *o);

/* === Executor state (exec.c, exec_interleave.c) === */

#define EXEC_MAX_CPUS 4       /* simulated processors of an interleaved program */
#define EXEC_SPIN_LIMIT 20000 /* consecutive spins/waits before `hang` */

/* Per-processor state: the op engine's (first: the engine's callbacks get it)
   and the interleaved program's bookkeeping. */
struct exec_cpu {
    struct shmf_ops_cpu o;
    int32_t cur_op;      /* op this processor is running */
    uint32_t nops, done; /* interleaved: ops in its list, ops run */
};

struct exec_state {
    struct shmf_ops_world ow; /* first: the engine's callbacks get &ow */
    const struct shmf_target *t;
    const struct shmf_prog *prog;
    FILE *trace;
    shmf_exec_observe_fn observe; /* opts->observe, or NULL */
    void *observe_ud;
    /* interleaved programs */
    bool il;
    unsigned ncpus;
    uint64_t seed;
    struct shmf_co_mutex excl_mu; /* one exclusive op (reload, qfree) at a time */
    unsigned busy;                /* processors inside an op */
    bool excl_pending;            /* an exclusive op waits for busy == 0 */
    bool have_first;
    int32_t first_op;
    shmf_finding_fn prev_handler;
    void *prev_ud;
    struct exec_cpu cpu[EXEC_MAX_CPUS];
};

/* The first finding stops the program. */
static inline bool shmf__exec_stop(void)
{
    return shmf_rt_finding_count() != 0;
}

/* exec.c */
/* One op through the op engine, with the observer's view of it. */
void shmf__exec_op(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op);
void shmf__exec_reset_cpu(struct exec_cpu *c);
/* The op engine's policy: sequential, or interleaved (co-mutexes, exclusive ops
   run alone). */
void shmf__exec_set_policy(struct exec_state *s, bool interleaved);

/* exec_interleave.c */
/* Reload and qfree (SHMF_OPF_EXCLUSIVE) run alone in an interleaved program. */
void shmf__exec_run_exclusive(struct shmf_ops_world *w, struct shmf_ops_cpu *c,
                              const struct shmf_op *op);
/* Highest `cpu` index in the program (-1: no cpu op), the first cpu op's index
   and the scheduler seed. */
int shmf__exec_scan_cpu_ops(const struct shmf_prog *prog, uint32_t *first, uint64_t *seed);
/* Run ops [first, nops) as processors' lists; the number of ops run, or -1 when
   the engine could not run (the caller then runs them sequentially). */
int64_t shmf__exec_run_interleaved(struct exec_state *s, const struct shmf_prog *prog, int maxidx,
                                   uint32_t first);

#endif
