/*
 * shmfuzz/runtime.h -- the runtime as the harness (miniport + NIC model) sees it.
 *
 * Providers never include this header: they see only <ndis.h>.  The harness
 * resets a world per input, loads a provider, calls ndis.h routines as a correct
 * miniport would, moves data by DMA through logical addresses, and reads the
 * findings the verifier recorded.
 *
 * Conventions: int functions return 0 or a negative errno; functions that cannot
 * fail return void.  The runtime is thread-safe: each thread is one simulated
 * processor (shmf_rt_cpu_attach), shared tables are locked internally.
 */
#ifndef SHMF_RUNTIME_H
#define SHMF_RUNTIME_H

#include <ndis.h>
#include <stdbool.h>
#include <stdint.h>

#include "shmfuzz/findings.h"

#ifdef __cplusplus
extern "C" {
#endif

/* === Findings === */

#define SHMF_MAX_FINDINGS 8

struct shmf_finding {
    enum shmf_kind kind;
    uint64_t object;   /* address, handle, tag or lock the finding is about */
    int32_t op_index;  /* op being executed (-1: load/teardown) */
    uint32_t cpu;      /* simulated processor that raised it */
    char function[64]; /* routine or handler involved */
    char rule[128];    /* rule enforced */
    char message[320]; /* one line naming the object */
    char detail[48];   /* crash type for SHMF_KIND_CRASH ("heap-buffer-overflow") */
    /* Where it was seen, when a locator found provider code on the stack (see
       shmf_rt_set_locator): the provider's function, source file and line. */
    char frame[64];
    char file[192];
    uint32_t line; /* 0: unknown */
};

/* Called (under the runtime's lock) for each finding as it is recorded. */
typedef void (*shmf_finding_fn)(const struct shmf_finding *f, void *ud);
void shmf_rt_set_finding_handler(shmf_finding_fn fn, void *ud);
/* The handler installed now (NULL, NULL when none), to chain or restore it. */
void shmf_rt_get_finding_handler(shmf_finding_fn *fn, void **ud);

/* Fills f->frame, f->file and f->line from the current stack (the provider code
   that made the call being checked), or leaves them empty.  Called for each of the
   first SHMF_MAX_FINDINGS findings before it is recorded; it may be slow (it
   symbolizes), so the fuzz targets install none. */
typedef void (*shmf_locate_fn)(struct shmf_finding *f);
void shmf_rt_set_locator(shmf_locate_fn fn);

unsigned shmf_rt_finding_count(void);
/* i-th recorded finding (first SHMF_MAX_FINDINGS kept), or NULL. */
const struct shmf_finding *shmf_rt_finding(unsigned i);
/* Op index stamped on findings recorded from now on. */
void shmf_rt_set_op_index(int32_t op_index);
/* The op index stamped on findings now (e.g. for a crash classified outside the
   recorder). */
int32_t shmf_rt_op_index(void);
/* Record a finding raised outside the runtime (ring verifier, NIC model, crash
   classifier), with the same fields as the runtime's own. */
void shmf_rt_report(enum shmf_kind kind, uint64_t object, const char *function, const char *rule,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Forget the findings recorded so far (the harness does this per input). */
void shmf_rt_clear_findings(void);

/* === Verifier options === */

#define SHMF_VERIFY_F_IRQL 0x0001u /* IRQL and spin-lock rules */
#define SHMF_VERIFY_F_POOL 0x0002u /* redzones, quarantine, poison, leaks */
#define SHMF_VERIFY_F_SHM 0x0004u  /* registration, allocate results, SG lists */
#define SHMF_VERIFY_F_DMA 0x0008u  /* DMA checks */
#define SHMF_VERIFY_F_ALL 0x000Fu
#define SHMF_VERIFY_F_MASK 0x000Fu

/* === Fault injection (deterministic, carried in the input) === */

struct shmf_fault_plan {
    uint32_t fail_nth;        /* fail the Nth allocation attempt (1-based); 0: off */
    uint32_t fail_every;      /* then also every K-th after it; 0: only once */
    bool first_per_site;      /* fail the first attempt from each call site */
    uint32_t random_permille; /* fail each attempt with this probability (/1000)... */
    uint64_t random_seed;     /* ...decided by a hash of this seed and the attempt
                                 number: seeded, recorded, never unseeded chance */
};

/* Fault-injection counters of one call site (a provider's allocation call). */
struct shmf_fault_site {
    uintptr_t site;       /* return address of the allocation call */
    const char *function; /* the runtime routine called there */
    uint32_t attempts, injected;
};
/* Call fn for each call site seen in this world, in first-seen order. */
void shmf_rt_fault_sites(void (*fn)(const struct shmf_fault_site *s, void *ud), void *ud);

/* === World === */

/* Start a fresh world: IRQL PASSIVE on every processor, no provider, no blocks,
   no findings, verifier flags and fault plan as given.  Cheap: called per input. */
void shmf_rt_reset(uint32_t verify_flags, const struct shmf_fault_plan *plan);
/* Free the heap memory held by the world's objects (pool blocks, page and block
   records) once an input is done, keeping its findings and counters; the next
   use of the world starts with shmf_rt_reset.  A fuzz target that leaves an
   input's memory to the next input's reset mallocs more than it frees in some
   inputs, and libFuzzer re-runs those looking for leaks. */
void shmf_rt_release(void);
/* Run every runtime table's invariant checker (pool, pages, MDLs, shared-memory
   blocks, overlap index, queues, fault sites, guarded buffers) and check that
   the calling thread holds no runtime lock.  Prints each violated invariant to
   stderr.  Call between ops, never from provider code.  Debug builds (NDEBUG
   undefined) run it by themselves whenever shmf_rt_set_op_index(i >= 0) starts
   an op, and abort when it fails.  @return true when every invariant holds. */
bool shmf_rt_check_invariants(void);
void shmf_rt_set_fault_plan(const struct shmf_fault_plan *plan);
/* Counters for reports: allocation attempts seen and faults injected. */
uint64_t shmf_rt_alloc_attempts(void);
uint64_t shmf_rt_faults_injected(void);

/* Make the calling thread simulated processor `index` (default: 0). */
void shmf_rt_cpu_attach(uint32_t index);

/* === Providers === */

typedef NDIS_STATUS (*shmf_set_options_fn)(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext);
typedef VOID (*shmf_unload_fn)(NDIS_HANDLE NdisDriverHandle);
typedef NTSTATUS (*shmf_driver_entry_fn)(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

/* A provider comes in by one of two doors (DESIGN.md): the short form
   (set_options, with an optional unload), or as a driver (driver_entry alone,
   registering with NdisMRegisterMiniportDriver or NdisFRegisterFilterDriver,
   and unloading through its driver object).  set_options wins when both are
   set. */
struct shmf_provider {
    const char *name;
    shmf_set_options_fn set_options;   /* ShmfProviderSetOptions, or NULL */
    shmf_unload_fn unload;             /* ShmfProviderUnload (optional) */
    shmf_driver_entry_fn driver_entry; /* DriverEntry, used without set_options */
};

/* The NDIS handle given to the provider and used by the miniport. */
NDIS_HANDLE shmf_rt_driver_handle(void);

/* Load at PASSIVE_LEVEL: call ShmfProviderSetOptions; or DriverEntry with a
   driver object and registry path, whose registration call runs the driver's
   SetOptionsHandler.  Then check that shared-memory provider characteristics
   were registered.  Returns 0; -ENODEV when the provider failed its load (a
   legitimate failure, e.g. under fault injection); -EINVAL (findings
   recorded) when it is unusable. */
int shmf_rt_provider_load(const struct shmf_provider *p);
/* Unload at PASSIVE_LEVEL (every block must be freed first): call
   ShmfProviderUnload, or the driver object's DriverUnload routine (for a
   miniport, NDIS's, which calls MiniportDriverUnload) and check the driver
   deregistered; then check leaks of pool and pages. */
void shmf_rt_provider_unload(void);
bool shmf_rt_provider_loaded(void);
/* Flags of the registered NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS (e.g.
   NDIS_SHARED_MEMORY_PROVIDER_CHAR_SUPPORTS_PF_VPORTS); 0 when none. */
ULONG shmf_rt_provider_flags(void);

/* === Shared-memory blocks (as the verifier tracks them) === */

struct shmf_block_info {
    NDIS_HANDLE allocation_handle;
    NDIS_HANDLE shared_memory_handle;
    PVOID virtual_address;
    ULONG length;
    ULONG queue_id;
    NDIS_SHARED_MEMORY_USAGE usage;
    ULONG flags;
    ULONG sg_count;                   /* elements copied below */
    const SCATTER_GATHER_ELEMENT *sg; /* runtime's copy of the SG list */
};

/* Does the SG list at `list` fit an SG buffer of buffer_len bytes: its header,
   then list->NumberOfElements elements?  The one answer to this question in
   shmfuzz (the verifier's sg-buffer-overflow check after the allocate handler
   returns uses it).  *count (optional) receives the element count, 0 when not
   even the header fits (list is then not read); *need (optional) the bytes the
   list needs.  pre: list readable for buffer_len bytes. */
bool shmf_rt_sg_list_fits(const SCATTER_GATHER_LIST *list, ULONG buffer_len, ULONG *count,
                          uint64_t *need);

unsigned shmf_rt_block_count(void);
/* Info of the i-th live block (in allocation order); false if out of range. */
bool shmf_rt_block_get(unsigned i, struct shmf_block_info *out);
/* Info of the live block with this allocation handle. */
bool shmf_rt_block_find(NDIS_HANDLE allocation_handle, struct shmf_block_info *out);

/* === Guarded buffers (parameters block and SG buffer) ===
   n bytes with nothing accessible after them (ASan poison, or an inaccessible
   page without ASan), so an overrun is caught at the faulting access; contents
   after the end are also checked by shmf_rt_guard_intact. */
void *shmf_rt_guarded_alloc(size_t n);
bool shmf_rt_guard_intact(const void *p);
void shmf_rt_guarded_free(void *p);

/* === DMA (the NIC model) === */

/* Queue life cycle as the miniport reports it: a queue id becomes usable in
   NdisAllocateSharedMemory once allocated (queue 0 always is); freeing a queue
   that still has live shared memory is queue-freed-with-memory. */
#define SHMF_MAX_QUEUES 64
void shmf_rt_queue_allocated(ULONG queue_id);
void shmf_rt_queue_freed(ULONG queue_id);

/* Queue whose DMA is stopped: any DMA into its blocks is dma-after-stop. */
void shmf_rt_queue_dma_stop(ULONG queue_id, bool stopped);

/* DMA n bytes to/from logical address la on behalf of queue_id.  Checks the
   target lies in one live block of that queue (dma-out-of-block), that the pages
   are allocated (dma-to-freed-memory) and that the queue's DMA is not stopped
   (dma-after-stop).  Returns 0, or -EFAULT when the transfer was refused. */
int shmf_rt_dma_write(ULONG queue_id, uint64_t la, const void *src, size_t n);
int shmf_rt_dma_read(ULONG queue_id, uint64_t la, void *dst, size_t n);
/* A burst of writes, as a NIC's DMA engine works through its descriptors:
   x[i] writes its two segments' bytes, in order, to [la, la + their total),
   each transfer checked as shmf_rt_dma_write; the page lock is taken once.
   Stops at the first transfer refused.  @return the number done. */
struct shmf_dma_seg {
    const void *buf;
    size_t len; /* may be 0 */
};
struct shmf_dma_xfer {
    uint64_t la;
    struct shmf_dma_seg seg[2];
};
unsigned shmf_rt_dma_write_burst(ULONG queue_id, const struct shmf_dma_xfer *x, unsigned n);

/* === Deterministic interleaving ===
   When set, the hook is called at every scheduling point: spin-lock acquire and
   release, IRQL changes, and entry to runtime routines; and instead of spinning
   on a lock held by another simulated processor.  The stress runner's
   deterministic mode switches coroutines there.  NULL: no hook. */
typedef void (*shmf_yield_fn)(const char *point);
void shmf_rt_set_yield_hook(shmf_yield_fn fn);
/* Make the calling thread simulated processor `index` without resetting it. */
#define SHMF_MAX_CPUS 64
/* Processors the world reports active (KeQueryActiveProcessorCount): the larger
   of n (set by the stress runner to its thread count; kept across resets) and
   1 + the highest processor attached since the last reset.  1..SHMF_MAX_CPUS. */
void shmf_rt_set_cpu_count(uint32_t n);

/* === Processor state for the harness === */
KIRQL shmf_rt_irql(void);
/* Set this processor's IRQL as the OS would (e.g. DPC dispatch). */
void shmf_rt_irql_set(KIRQL irql);
/* Run at `irql` for a while (e.g. deferred initialization at PASSIVE_LEVEL) and
   come back with the raise stack intact: pass the result to shmf_rt_irql_leave. */
uint64_t shmf_rt_irql_enter(KIRQL irql);
void shmf_rt_irql_leave(uint64_t saved);
uint32_t shmf_rt_locks_held(void);

#ifdef __cplusplus
}
#endif
#endif /* SHMF_RUNTIME_H */
