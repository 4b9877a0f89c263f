/*
 * exec.h -- the op-stream executor: runs one program against a provider in a
 * fresh world, as a correct miniport and its NIC would.
 *
 * The executor never calls provider handlers directly; it calls ndis.h routines
 * (NdisAllocateSharedMemory, ...) and the NIC model.  It is a correct caller of
 * the IRQL rules: a request that needs PASSIVE_LEVEL made while the processor is
 * raised is deferred to a work item (run by the `work` op or at teardown).
 */
#ifndef SHMF_EXEC_H
#define SHMF_EXEC_H

#include <stdbool.h>
#include <stdio.h>

#include "opstream.h"
#include "shmfuzz/runtime.h"

struct shmf_target {
    struct shmf_provider provider;
    void *ring_advance; /* ShmfProviderRingAdvance, or NULL: reference ring driver */
    char path[512];     /* where it was loaded from ("" if linked in) */
    void *ring_cancel;  /* ShmfProviderRingCancel, or NULL: reference ring driver */
};

/* Observer (differential mode, diff.h): when set, called after every op that
   ran, was deferred or was skipped, work items included, and once after the
   provider's first load (ev->op NULL).  The event (exec_internal.h) is valid
   only during the call.  NULL: nothing is recorded, as without a trace. */
struct shmf_exec_event;
typedef void (*shmf_exec_observe_fn)(void *ud, const struct shmf_exec_event *ev);

struct shmf_exec_opts {
    uint32_t verify_flags; /* SHMF_VERIFY_F_* (default all) */
    FILE *trace;           /* op trace while running, or NULL */
    /* Fault plan from the command line: when set, it replaces the input
       header's plan (the `fault` op still changes it mid-program). */
    const struct shmf_fault_plan *fault_override;
    shmf_exec_observe_fn observe; /* or NULL */
    void *observe_ud;
};

struct shmf_exec_result {
    unsigned findings;         /* total recorded */
    struct shmf_finding first; /* valid when findings > 0 */
    int32_t failing_op;        /* op index of the first finding; nops = teardown */
    uint32_t ops_run;
    unsigned ncpus; /* simulated processors (1 unless the program has `cpu` ops) */
    uint64_t alloc_attempts, faults_injected;
};

/* The parameters block an `alloc` op asks for (a 0 in type, rev or size means
   the correct value; docs/opstream.md), for queue `queue_id`. */
void shmf_exec_alloc_params(const struct shmf_op *op, ULONG queue_id,
                            NDIS_SHARED_MEMORY_PARAMETERS *p);
/* SG buffer length an `alloc` op asks for (capped at SHMF_EXEC_MAX_SGLEN). */
#define SHMF_EXEC_MAX_SGLEN (64u * 1024)
ULONG shmf_exec_sg_length(const struct shmf_op *op, ULONG length);

/* The bytes a `touch` op reaches in block b (writes stay inside it, reads may
   reach its last page's slack); returns whether it writes. pre: b->length != 0. */
bool shmf_exec_touch_range(const struct shmf_block_info *b, const struct shmf_op *op, uint64_t *off,
                           uint64_t *len);
/* Read or write [off, off+len) of b through its virtual address. */
void shmf_exec_touch_bytes(const struct shmf_block_info *b, uint64_t off, uint64_t len, bool write);

/* Run `prog` against `t` in a fresh world.  Stops at the first finding.
   A program with at least one `cpu` op runs interleaved (docs/opstream.md, `cpu`):
   its ops are split into per-processor lists that run as coroutines of the
   interleaving engine (stress.h), switched at the runtime's scheduling points in
   an order seeded from the input.  Not reentrant. */
void shmf_exec_run(const struct shmf_target *t, const struct shmf_prog *prog,
                   const struct shmf_exec_opts *opts, struct shmf_exec_result *res);

/* Regions the crash classifier attributes faults to (the parameters block and SG
   buffer of the current processor's allocate call in progress). */
struct shmf_exec_regions {
    const void *params;
    size_t params_len;
    const void *sg;
    size_t sg_len;
};
const struct shmf_exec_regions *shmf_exec_regions(void);

/* The op the current simulated processor is executing (for the crash
   classifier): in an interleaved program, that processor's op; otherwise
   shmf_rt_op_index().  prog->nops during teardown, -1 before the first op. */
int32_t shmf_exec_op_index(void);

#endif /* SHMF_EXEC_H */
