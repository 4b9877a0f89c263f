/*
 * exec_trace.c -- the executor's op trace: each op in text form and what it did.
 */
#include <errno.h>
#include <ndis.h>
#include <shmfuzz/runtime.h>

#include "exec_internal.h"

static const char *status_name(NDIS_STATUS st, char *buf, size_t n)
{
    switch (st) {
    case NDIS_STATUS_SUCCESS: return "SUCCESS";
    case NDIS_STATUS_PENDING: return "PENDING";
    case NDIS_STATUS_FAILURE: return "FAILURE";
    case NDIS_STATUS_RESOURCES: return "RESOURCES";
    case NDIS_STATUS_INVALID_PARAMETER: return "INVALID_PARAMETER";
    case NDIS_STATUS_NOT_SUPPORTED: return "NOT_SUPPORTED";
    case NDIS_STATUS_NOT_ACCEPTED: return "NOT_ACCEPTED";
    case NDIS_STATUS_REQUEST_ABORTED: return "REQUEST_ABORTED";
    case NDIS_STATUS_INVALID_LENGTH: return "INVALID_LENGTH";
    case NDIS_STATUS_RECEIVE_QUEUE_STATE: return "RECEIVE_QUEUE_STATE";
    default: snprintf(buf, n, "status 0x%08x", (unsigned)st); return buf;
    }
}

static const char *errno_text(int64_t rc)
{
    switch (-rc) {
    case ENOENT: return "no live queue";
    case EAGAIN: return "not allowed in the queue's state or at this IRQL (EAGAIN)";
    case ENOSPC: return "no queue id left";
    case ENOMEM: return "out of memory";
    case EFAULT: return "DMA refused";
    case EPROTO: return "driver broke a ring rule";
    default: return "error";
    }
}

void shmf__exec_trace_out(FILE *f, const struct shmf_op *op, const struct exec_out *o)
{
    char b[40];
    fputs("-> ", f);
    switch (o->kind) {
    case OUT_TEXT: fprintf(f, "%s\n", o->why); break;
    case OUT_DEFERRED: fprintf(f, "deferred to PASSIVE_LEVEL (IRQL %d)\n", (int)o->a); break;
    case OUT_ALLOC:
        if (o->a == NDIS_STATUS_SUCCESS && o->h)
            fprintf(f, "SUCCESS handle=%p\n", o->h);
        else
            fprintf(f, "%s\n", status_name((NDIS_STATUS)o->a, b, sizeof(b)));
        break;
    case OUT_FREE: fprintf(f, "freed handle=%p\n", o->h); break;
    case OUT_TOUCH:
        fprintf(f, "%s %lld bytes at offset %lld of handle=%p\n", o->why, (long long)o->a,
                (long long)o->b, o->h);
        break;
    case OUT_RAISE: fprintf(f, "IRQL %d (was %d)\n", (int)o->a, (int)o->b); break;
    case OUT_LOWER: fprintf(f, "IRQL %d\n", (int)o->a); break;
    case OUT_NIC:
        if (o->a >= 0 && op->code == SHMF_OP_DRAIN)
            fprintf(f, "%s\n", o->why);
        else if (o->a >= 0)
            fprintf(f, "%s %lld\n", o->why, (long long)o->a);
        else
            fprintf(f, "%s\n", errno_text(o->a));
        break;
    case OUT_WORK:
        if (o->why)
            fprintf(f, "%s: %lld work items pending\n", o->why, (long long)o->b);
        else
            fprintf(f, "ran %lld work items%s\n", (long long)o->a, o->b ? " (stopped)" : "");
        break;
    case OUT_QALLOC:
        if (o->a == 0)
            fprintf(f, "queue id %lld\n", (long long)o->b);
        else
            fprintf(f, "%s\n", errno_text(o->a));
        break;
    case OUT_QFREE:
        fprintf(f, "queue id %lld: %llu own blocks freed, queue %s\n", (long long)o->b,
                (unsigned long long)(uintptr_t)o->h, o->a ? errno_text(o->a) : "freed");
        break;
    case OUT_FAULT:
        if (o->a == SHMF_FAULT_NTH)
            fprintf(f, "fail allocation attempt #%lld\n", (long long)o->b);
        else
            fprintf(f, "%s\n",
                    o->a == SHMF_FAULT_FIRST_PER_SITE ? "fail the first allocation per call site"
                                                      : "fault injection off");
        break;
    case OUT_RELOAD: fprintf(f, "%s\n", o->a ? "reloaded" : "provider did not load"); break;
    default: fputs("done\n", f); break;
    }
}

void shmf__exec_trace_op(FILE *f, uint32_t i, int cpu, const struct shmf_op *op)
{
    char line[256];
    shmf_op_format(line, sizeof(line), op);
    if (cpu < 0)
        fprintf(f, "  %4u %s\n", i, line);
    else
        fprintf(f, "  %4u [cpu %d] %s\n", i, cpu, line);
}

void shmf__exec_trace_result(FILE *f, uint32_t i, int cpu, const struct shmf_op *op,
                             const struct exec_out *o)
{
    if (cpu < 0)
        fputs("       ", f);
    else
        fprintf(f, "  %4u [cpu %d] ", i, cpu);
    shmf__exec_trace_out(f, op, o);
}
