/*
 * exec_internal.h -- what the executor's files share: the per-op outcome the
 * trace prints (exec.c records it, exec_trace.c prints it).
 */
#ifndef SHMF_EXEC_INTERNAL_H
#define SHMF_EXEC_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "opstream.h"

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

/* "-> outcome" for op (exec_trace.c). */
void shmf__exec_trace_out(FILE *f, const struct shmf_op *op, const struct exec_out *o);
/* "  i [cpu c] op fields" (cpu < 0: a sequential program). */
void shmf__exec_trace_op(FILE *f, uint32_t i, int cpu, const struct shmf_op *op);
/* The outcome line of op i, indented under it. */
void shmf__exec_trace_result(FILE *f, uint32_t i, int cpu, const struct shmf_op *op,
                             const struct exec_out *o);

#endif
