/*
 * exec_internal.h -- what the executor's files share: the per-op outcome the
 * trace prints (exec.c records it, exec_trace.c prints it), and the executor's
 * state (exec.c runs ops, exec_interleave.c runs interleaved programs).
 */
#ifndef SHMF_EXEC_INTERNAL_H
#define SHMF_EXEC_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "exec.h"
#include "nic.h"
#include "opstream.h"
#include "stress.h"

/* What an op did, for the trace (recorded only when tracing). */
enum exec_out_kind {
    OUT_NONE,
    OUT_TEXT,     /* why */
    OUT_DEFERRED, /* a = IRQL */
    OUT_ALLOC,    /* a = status, h = handle */
    OUT_FREE,     /* h = handle */
    OUT_TOUCH,    /* a = len, b = offset, h = handle, why = "read"/"wrote" */
    OUT_RAISE,    /* a = new IRQL, b = old IRQL */
    OUT_LOWER,    /* a = IRQL */
    OUT_NIC,      /* a = rc, why = verb */
    OUT_WORK,     /* a = items run, b = items left */
    OUT_QALLOC,   /* a = rc, b = queue id */
    OUT_QFREE,    /* a = rc, b = queue id, h = blocks freed */
    OUT_FAULT,    /* a = mode, b = N */
    OUT_RELOAD,   /* a = loaded */
};

struct exec_out {
    uint8_t kind;
    int64_t a, b;
    const void *h;
    const char *why;
};

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
    unsigned own_blocks;        /* the miniport's live blocks after the op */
};

/* "-> outcome" for op (exec_trace.c). */
void shmf__exec_trace_out(FILE *f, const struct shmf_op *op, const struct exec_out *o);
/* "  i [cpu c] op fields" (cpu < 0: a sequential program). */
void shmf__exec_trace_op(FILE *f, uint32_t i, int cpu, const struct shmf_op *op);
/* The outcome line of op i, indented under it. */
void shmf__exec_trace_result(FILE *f, uint32_t i, int cpu, const struct shmf_op *op,
                             const struct exec_out *o);

/* === Executor state (exec.c, exec_interleave.c) === */

#define EXEC_MAX_BLOCKS 256
#define EXEC_MAX_RAISES 8
#define EXEC_MAX_WORK 64
#define EXEC_TOUCH_SLACK 64
#define EXEC_MAX_CPUS 4            /* simulated processors of an interleaved program */
#define EXEC_SPIN_LIMIT 20000      /* consecutive spins/waits before `hang` */

/* Per-processor state: raise stack, deferred work, the allocate call's buffers. */
struct exec_cpu {
    KIRQL raises[EXEC_MAX_RAISES]; /* IRQLs saved by `raise` */
    unsigned nraises;
    unsigned nwork;
    struct shmf_exec_regions regions;
    int32_t cur_op;                /* op this processor is running */
    uint32_t nops, done;           /* interleaved: ops in its list, ops run */
    struct exec_out out;
    NDIS_SHARED_MEMORY_PARAMETERS req;  /* the last alloc's request (observer only) */
    struct shmf_op work[EXEC_MAX_WORK]; /* requests deferred to PASSIVE_LEVEL */
};

struct exec_state {
    const struct shmf_target *t;
    const struct shmf_prog *prog;
    FILE *trace;
    shmf_exec_observe_fn observe;        /* opts->observe, or NULL */
    void *observe_ud;
    bool record;                         /* trace or observe: fill exec_cpu.out */
    struct shmf_nic *nic;                /* created once, reset per world */
    NDIS_HANDLE blocks[EXEC_MAX_BLOCKS]; /* the miniport's own allocations, shared */
    unsigned nblocks;
    bool loaded;
    /* interleaved programs */
    bool il;
    unsigned ncpus;
    uint64_t seed;
    struct shmf_co_mutex nic_mu;  /* every NIC model call */
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
void shmf__exec_dispatch(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op);
void shmf__exec_op(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op);
void shmf__exec_lower(struct exec_cpu *c);
void shmf__exec_run_work(struct exec_state *s, struct exec_cpu *c);
void shmf__exec_reset_cpu(struct exec_cpu *c);

/* exec_interleave.c */
/* Reload and qfree run alone in an interleaved program. */
bool shmf__exec_exclusive(unsigned code);
void shmf__exec_run_exclusive(struct exec_state *s, struct exec_cpu *c, const struct shmf_op *op);
/* Highest `cpu` index in the program (-1: no cpu op), the first cpu op's index
   and the scheduler seed. */
int shmf__exec_scan_cpu_ops(const struct shmf_prog *prog, uint32_t *first, uint64_t *seed);
/* Run ops [first, nops) as processors' lists; the number of ops run, or -1 when
   the engine could not run (the caller then runs them sequentially). */
int64_t shmf__exec_run_interleaved(struct exec_state *s, const struct shmf_prog *prog,
                                   int maxidx, uint32_t first);

#endif
