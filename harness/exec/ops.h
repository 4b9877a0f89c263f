/*
 * ops.h -- the op engine: runs one op of SHMF_OP_LIST against the world (the
 * runtime and the NIC model) as a correct miniport and its NIC would.  The fuzz
 * executor (exec.c), its interleave mode (exec_interleave.c) and the stress
 * runner (stress.c) all run their ops here; what differs between them is a
 * policy they pass (how shared state is locked, where the guarded buffers of an
 * allocate call come from, whether an alloc's queue field names a NIC queue,
 * what reload and an exclusive op do, what a work item runs through).
 *
 * Rules every caller gets (DESIGN.md, docs/opstream.md):
 * - an op whose SHMF_OPF_PASSIVE property is set, made while the processor is
 *   raised, is deferred to the processor's work list (run by `work` or at
 *   teardown); an op with SHMF_OPF_LOADED does nothing while the provider is not
 *   loaded;
 * - the miniport's own blocks live in one table; a free takes its handle out of
 *   the table before NdisFreeSharedMemory (a scheduling point), so no two
 *   processors free the same handle; with pin_touch a touch pins its entry so
 *   the block is not freed under it;
 * - every NIC model call holds the NIC lock (the model is not reentrant); no
 *   harness lock is held while calling NdisAllocateSharedMemory /
 *   NdisFreeSharedMemory directly.
 *
 * Calls: the runtime (shmfuzz/runtime.h, ndis.h), the NIC model (nic.h), the
 * interleaving engine's co-mutex (interleave.h), the codec (opstream.h).
 */
#ifndef SHMF_OPS_H
#define SHMF_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "interleave.h"
#include "nic.h"
#include "opstream.h"

#define SHMF_OPS_MAX_BLOCKS 256 /* the miniport's block table */
#define SHMF_OPS_MAX_RAISES 8
#define SHMF_OPS_MAX_WORK 64
#define SHMF_OPS_PARAMS_MAX 0x10000u /* largest parameters block (per-processor buffer) */

/* What an op did, for the executor's trace and observer (recorded only when the
   world's `record` is set). */
enum shmf_ops_out_kind {
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

/* How shared state (block table, NIC model) is locked. */
enum shmf_ops_sync {
    SHMF_OPS_SYNC_NONE, /* one processor: no locking */
    SHMF_OPS_SYNC_CO,   /* coroutines of the interleaving engine: co-mutexes */
    SHMF_OPS_SYNC_SPIN, /* OS threads: spin locks that yield after a while */
};

/* Where an allocate call's parameters block and SG buffer come from. */
enum shmf_ops_guard {
    SHMF_OPS_GUARD_RUNTIME, /* shmf_rt_guarded_alloc per call (malloc+poison under ASan) */
    SHMF_OPS_GUARD_PERCPU,  /* a guarded mapping per processor, made once */
};

/* A buffer ending 8-byte aligned just before an inaccessible page; the rounding
   slack holds a canary (and is ASan-poisoned). */
struct shmf_ops_gbuf {
    unsigned char *map, *user;
    size_t data_len, map_len, n, rounded;
};

/* A lock on its own cache line: a spin word (SYNC_SPIN) or a co-mutex (SYNC_CO). */
struct shmf_ops_lock {
    unsigned word; /* 0 free, 1 held */
    struct shmf_co_mutex co;
} __attribute__((aligned(64)));

struct shmf_ops_blk {
    NDIS_HANDLE h;
    unsigned users; /* touches in progress (pin_touch) */
};

/* One simulated processor's op state. */
struct shmf_ops_cpu {
    KIRQL raises[SHMF_OPS_MAX_RAISES]; /* IRQLs saved by `raise` */
    unsigned nraises;
    unsigned nwork;
    struct shmf_exec_regions regions;       /* the allocate call in progress */
    struct exec_out out;                    /* what the last op did (record) */
    NDIS_SHARED_MEMORY_PARAMETERS req;      /* the last alloc's request (record) */
    struct shmf_ops_gbuf params, sg;        /* GUARD_PERCPU */
    struct shmf_op work[SHMF_OPS_MAX_WORK]; /* requests deferred to PASSIVE_LEVEL */
};

struct shmf_ops_world;

/* The caller's policy. */
struct shmf_ops_policy {
    enum shmf_ops_sync sync;
    enum shmf_ops_guard guard;
    bool nic_queues; /* alloc's queue field < 0x80 names a live NIC queue (slot);
                        else it asks for the default queue */
    bool pin_touch;  /* a touch pins its block against a concurrent free */
    /* True when the run stops (a finding, an interrupt): loops end early. */
    bool (*stop)(struct shmf_ops_world *w);
    /* `reload`: halt and load the provider again; NULL: ignored. */
    void (*reload)(struct shmf_ops_world *w, struct shmf_ops_cpu *c);
    /* An SHMF_OPF_EXCLUSIVE op; NULL: runs as any other (shmf_ops_dispatch). */
    void (*exclusive)(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op);
    /* A work item run by `work` or teardown; NULL: shmf_ops_run. */
    void (*work_item)(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op);
};

/* The state the processors share. */
struct shmf_ops_world {
    const struct shmf_ops_policy *pol;
    struct shmf_nic *nic;
    bool loaded;       /* the provider is loaded */
    bool record;       /* fill shmf_ops_cpu.out (trace, observer) */
    bool keep_request; /* fill shmf_ops_cpu.req (observer) */
    struct shmf_ops_lock tab_lock, nic_lock;
    unsigned nblocks; /* read relaxed by the stress generator */
    struct shmf_ops_blk blocks[SHMF_OPS_MAX_BLOCKS];
};

/* Record what an op did (only when the world records). */
#define SHMF_OPS_OUT(w, c, ...)                                                                    \
    do {                                                                                           \
        if (__builtin_expect((w)->record, 0))                                                      \
            (c)->out = (struct exec_out){__VA_ARGS__};                                             \
    } while (0)

/* Reset a processor's raise stack, work list and regions (keeps its buffers). */
void shmf_ops_cpu_reset(struct shmf_ops_cpu *c);
/* Map (GUARD_PERCPU) / unmap a processor's guarded buffers.  0 or -ENOMEM. */
int shmf_ops_cpu_init(struct shmf_ops_cpu *c);
void shmf_ops_cpu_fini(struct shmf_ops_cpu *c);
/* True when address a lies in one of c's guarded buffers or their guard page;
 *params tells which. */
bool shmf_ops_guard_hit(const struct shmf_ops_cpu *c, uintptr_t a, bool *params);

/* Run one op: deferred when it needs PASSIVE_LEVEL and the processor is raised,
   the policy's exclusive path for an exclusive op, else shmf_ops_dispatch. */
void shmf_ops_run(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op);
/* Run one op now (no deferral). */
void shmf_ops_dispatch(struct shmf_ops_world *w, struct shmf_ops_cpu *c, const struct shmf_op *op);
/* As a correct miniport ends a processor's part: back to PASSIVE_LEVEL, then
   its deferred work. */
void shmf_ops_cpu_finish(struct shmf_ops_world *w, struct shmf_ops_cpu *c);
/* Free every block left in the table (teardown), while the run does not stop. */
void shmf_ops_free_blocks(struct shmf_ops_world *w);

/* Invariants between ops (STYLE.md: *_is_valid checkers; called inside
   asserts).  The world: a policy, at most SHMF_OPS_MAX_BLOCKS entries, each a
   handle, none pinned.  A processor: stacks within bounds, no allocate call in
   progress.  Only while no processor is inside an op. */
bool shmf_ops_world_is_valid(const struct shmf_ops_world *w);
bool shmf_ops_cpu_is_valid(const struct shmf_ops_cpu *c);

/* The NIC lock around a model call made outside an op (load, halt). */
void shmf_ops_nic_enter(struct shmf_ops_world *w);
void shmf_ops_nic_leave(struct shmf_ops_world *w);

#endif /* SHMF_OPS_H */
