/*
 * exec.c -- the op-stream executor (see exec.h and docs/opstream.md).
 *
 * One world per program: reset -> load provider -> ops -> teardown as a correct
 * miniport halts (lower IRQL, run deferred work, halt the NIC, free every block)
 * -> unload -> leak check.  The first finding stops the program.
 */
#include <string.h>

#include "exec.h"
#include "nic.h"

#define EXEC_MAX_BLOCKS 256
#define EXEC_MAX_RAISES 8
#define EXEC_MAX_WORK 64
#define EXEC_MAX_SGLEN (64u * 1024)
#define EXEC_TOUCH_SLACK 64

struct exec_state {
    const struct shmf_target *t;
    const struct shmf_exec_opts *opts;
    struct shmf_nic *nic;                /* created once, reset per world */
    NDIS_HANDLE blocks[EXEC_MAX_BLOCKS]; /* the miniport's own allocations */
    unsigned nblocks;
    KIRQL raises[EXEC_MAX_RAISES];       /* IRQLs saved by `raise` */
    unsigned nraises;
    struct shmf_op work[EXEC_MAX_WORK];  /* requests deferred to PASSIVE_LEVEL */
    unsigned nwork;
    bool loaded;
};

static struct shmf_exec_regions regions;

const struct shmf_exec_regions *shmf_exec_regions(void)
{
    return &regions;
}

static bool stop(void)
{
    return shmf_rt_finding_count() != 0;
}

/* === Provider life cycle === */

static void load(struct exec_state *s)
{
    s->loaded = shmf_rt_provider_load(&s->t->provider) == 0;
    shmf_nic_set_ring_advance(s->nic, (shmf_ring_advance_fn)s->t->ring_advance);
    if (s->loaded)
        shmf_nic_reset(s->nic, shmf_rt_driver_handle());
}

static void free_own_blocks(struct exec_state *s)
{
    while (s->nblocks && !stop())
        NdisFreeSharedMemory(shmf_rt_driver_handle(), s->blocks[--s->nblocks]);
    s->nblocks = 0;
}

/* Halt as a correct miniport: every queue and block freed, then unload. */
static void halt(struct exec_state *s)
{
    if (!stop())
        free_own_blocks(s);
    if (s->loaded && !stop())
        shmf_nic_halt(s->nic);
    if (!stop())
        shmf_rt_provider_unload();
    s->loaded = false;
}

/* === Allocate and free === */

/* Field value, or `dflt` when the field is 0 (zero means "the correct value"). */
static uint32_t or_default(uint32_t v, uint32_t dflt)
{
    return v ? v : dflt;
}

static ULONG pick_queue(struct exec_state *s, uint32_t q)
{
    struct shmf_nic_queue_info qi;
    if (q >= 0x80)
        return q & 0x7f; /* raw queue id: NDIS validates it */
    if (shmf_nic_queue_info(s->nic, q, &qi) != 0)
        return NDIS_DEFAULT_RECEIVE_QUEUE_ID;
    return qi.qid;
}

static void fill_params(struct exec_state *s, const struct shmf_op *op,
                        NDIS_SHARED_MEMORY_PARAMETERS *p)
{
    const uint32_t *a = op->a;
    memset(p, 0, sizeof(*p));
    p->Header.Type = (UCHAR)or_default(a[SHMF_ARG_ALLOC_TYPE], NDIS_OBJECT_TYPE_DEFAULT);
    p->Header.Revision = (UCHAR)or_default(a[SHMF_ARG_ALLOC_REV], 2);
    p->Header.Size = (USHORT)or_default(a[SHMF_ARG_ALLOC_SIZE],
                                        p->Header.Revision == 1
                                            ? NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1
                                            : NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2);
    p->Flags = a[SHMF_ARG_ALLOC_FLAGS];
    p->QueueId = pick_queue(s, a[SHMF_ARG_ALLOC_QUEUE]);
    p->PreferredNode = a[SHMF_ARG_ALLOC_NODE];
    p->Usage = (NDIS_SHARED_MEMORY_USAGE)a[SHMF_ARG_ALLOC_USAGE];
    p->Length = a[SHMF_ARG_ALLOC_LENGTH];
    p->VPortId = a[SHMF_ARG_ALLOC_VPORT];
}

static ULONG sg_length(const struct shmf_op *op, ULONG length)
{
    uint64_t n;
    if (op->a[SHMF_ARG_ALLOC_SGMODE] == 0)
        n = sizeof(SCATTER_GATHER_LIST) +
            sizeof(SCATTER_GATHER_ELEMENT) * (BYTES_TO_PAGES((uint64_t)length) + 1);
    else
        n = op->a[SHMF_ARG_ALLOC_SGLEN];
    return (ULONG)(n > EXEC_MAX_SGLEN ? EXEC_MAX_SGLEN : n);
}

static void check_guards(void *params, void *sg)
{
    if (!shmf_rt_guard_intact(params))
        shmf_rt_report(SHMF_KIND_PARAMS_OUT_OF_BOUNDS, (uint64_t)(uintptr_t)params,
                       "AllocateSharedMemoryHandler", NULL,
                       "provider wrote past the %zu-byte parameters block at %p",
                       regions.params_len, params);
    else if (sg && !shmf_rt_guard_intact(sg))
        shmf_rt_report(SHMF_KIND_SG_BUFFER_OVERFLOW, (uint64_t)(uintptr_t)sg,
                       "AllocateSharedMemoryHandler", NULL,
                       "provider wrote past the %zu-byte SG buffer at %p", regions.sg_len, sg);
}

static void do_alloc(struct exec_state *s, const struct shmf_op *op)
{
    NDIS_SHARED_MEMORY_PARAMETERS p;
    NDIS_HANDLE h = NULL;
    fill_params(s, op, &p);
    size_t psize = p.Header.Size < sizeof(NDIS_OBJECT_HEADER) ? sizeof(NDIS_OBJECT_HEADER)
                                                                : p.Header.Size;
    ULONG sglen = sg_length(op, p.Length);
    unsigned char *params = shmf_rt_guarded_alloc(psize);
    void *sg = sglen ? shmf_rt_guarded_alloc(sglen) : NULL;
    if (!params || (sglen && !sg))
        goto out;
    p.SGListBufferLength = sglen;
    p.SGListBuffer = sg;
    memset(params, 0, psize);
    memcpy(params, &p, psize < sizeof(p) ? psize : sizeof(p));
    regions = (struct shmf_exec_regions){params, psize, sg, sglen};
    NDIS_STATUS st = NdisAllocateSharedMemory(shmf_rt_driver_handle(),
                                              (PNDIS_SHARED_MEMORY_PARAMETERS)params, &h);
    check_guards(params, sg);
    if (st == NDIS_STATUS_SUCCESS && h) {
        if (s->nblocks == EXEC_MAX_BLOCKS)
            NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
        else
            s->blocks[s->nblocks++] = h;
    }
out:
    regions = (struct shmf_exec_regions){0};
    shmf_rt_guarded_free(sg);
    shmf_rt_guarded_free(params);
}

static void do_free(struct exec_state *s, const struct shmf_op *op)
{
    if (s->nblocks == 0)
        return;
    unsigned i = op->a[SHMF_ARG_FREE_SLOT] % s->nblocks;
    NDIS_HANDLE h = s->blocks[i];
    s->blocks[i] = s->blocks[--s->nblocks];
    NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
}

/* Read or write the block's memory through its virtual address.  Writes stay
   inside the block; reads may reach the slack of its last page. */
static void do_touch(struct exec_state *s, const struct shmf_op *op)
{
    struct shmf_block_info b;
    if (s->nblocks == 0)
        return;
    if (!shmf_rt_block_find(s->blocks[op->a[SHMF_ARG_TOUCH_SLOT] % s->nblocks], &b) ||
        b.length == 0)
        return;
    bool write = op->a[SHMF_ARG_TOUCH_WRITE] != 0;
    uint64_t limit = write ? b.length : ROUND_TO_PAGES((uint64_t)b.length);
    uint64_t off = op->a[SHMF_ARG_TOUCH_OFFSET] % limit;
    uint64_t len = op->a[SHMF_ARG_TOUCH_LEN] ? op->a[SHMF_ARG_TOUCH_LEN] : 1;
    if (off + len > limit)
        len = limit - off;
    volatile unsigned char *va = (unsigned char *)b.virtual_address + off;
    unsigned sum = 0;
    for (uint64_t i = 0; i < len; i++) {
        if (write)
            va[i] = (unsigned char)(off + i);
        else
            sum += va[i];
    }
    (void)sum;
}

/* === IRQL and deferred work === */

static void do_raise(struct exec_state *s, const struct shmf_op *op)
{
    KIRQL level = (KIRQL)(op->a[SHMF_ARG_RAISE_LEVEL] % 3);
    KIRQL old;
    if (level < KeGetCurrentIrql() || s->nraises == EXEC_MAX_RAISES)
        return;
    KeRaiseIrql(level, &old);
    s->raises[s->nraises++] = old;
}

static void do_lower(struct exec_state *s)
{
    if (s->nraises)
        KeLowerIrql(s->raises[--s->nraises]);
}

static bool needs_passive(unsigned code)
{
    return code == SHMF_OP_RELOAD || code == SHMF_OP_ALLOC || code == SHMF_OP_FREE ||
           code == SHMF_OP_QALLOC || code == SHMF_OP_QFREE;
}

static void defer(struct exec_state *s, const struct shmf_op *op)
{
    if (s->nwork < EXEC_MAX_WORK)
        s->work[s->nwork++] = *op;
}

static void exec_op(struct exec_state *s, const struct shmf_op *op);

static void run_work(struct exec_state *s)
{
    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        return;
    for (unsigned i = 0; i < s->nwork && !stop(); i++)
        exec_op(s, &s->work[i]);
    s->nwork = 0;
}

static void do_dpc(struct exec_state *s, const struct shmf_op *op)
{
    KIRQL old;
    if (KeGetCurrentIrql() > DISPATCH_LEVEL)
        return;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    shmf_nic_advance(s->nic, op->a[SHMF_ARG_DPC_QUEUE]);
    KeLowerIrql(old);
}

static void do_fault(const struct shmf_op *op)
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
    shmf_rt_set_fault_plan(&plan);
}

/* Free a queue: the miniport's own blocks of that queue go first, since all of
   a queue's shared memory is freed before the free completes. */
static void do_qfree(struct exec_state *s, const struct shmf_op *op)
{
    struct shmf_nic_queue_info qi;
    struct shmf_block_info b;
    if (shmf_nic_queue_info(s->nic, op->a[SHMF_ARG_QFREE_QUEUE], &qi) != 0 ||
        qi.qid == NDIS_DEFAULT_RECEIVE_QUEUE_ID)
        return;
    for (unsigned i = s->nblocks; i-- > 0 && !stop();) {
        if (!shmf_rt_block_find(s->blocks[i], &b) || b.queue_id != qi.qid)
            continue;
        NDIS_HANDLE h = s->blocks[i];
        s->blocks[i] = s->blocks[--s->nblocks];
        NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
    }
    if (!stop())
        shmf_nic_queue_free(s->nic, op->a[SHMF_ARG_QFREE_QUEUE]);
}

static void do_reload(struct exec_state *s)
{
    halt(s);
    if (!stop())
        load(s);
}

/* === Dispatch === */

static void exec_op(struct exec_state *s, const struct shmf_op *op)
{
    const uint32_t *a = op->a;
    if (needs_passive(op->code) && KeGetCurrentIrql() != PASSIVE_LEVEL) {
        defer(s, op);
        return;
    }
    switch (op->code) {
    case SHMF_OP_RELOAD: do_reload(s); break;
    case SHMF_OP_ALLOC: if (s->loaded) do_alloc(s, op); break;
    case SHMF_OP_FREE: do_free(s, op); break;
    case SHMF_OP_TOUCH: do_touch(s, op); break;
    case SHMF_OP_RAISE: do_raise(s, op); break;
    case SHMF_OP_LOWER: do_lower(s); break;
    case SHMF_OP_DPC: if (s->loaded) do_dpc(s, op); break;
    case SHMF_OP_WORK: run_work(s); break;
    case SHMF_OP_QALLOC:
        if (s->loaded)
            shmf_nic_queue_alloc(s->nic, a[SHMF_ARG_QALLOC_ORDER], a[SHMF_ARG_QALLOC_BUFSIZE], NULL);
        break;
    case SHMF_OP_QFREE: if (s->loaded) do_qfree(s, op); break;
    case SHMF_OP_POST: if (s->loaded) shmf_nic_post(s->nic, a[SHMF_ARG_POST_QUEUE], a[SHMF_ARG_POST_COUNT]); break;
    case SHMF_OP_DRAIN: if (s->loaded) shmf_nic_queue_pause(s->nic, a[SHMF_ARG_DRAIN_QUEUE], a[SHMF_ARG_DRAIN_COUNT] & 1); break;
    case SHMF_OP_RET: if (s->loaded) shmf_nic_return(s->nic, a[SHMF_ARG_RET_QUEUE], a[SHMF_ARG_RET_COUNT]); break;
    case SHMF_OP_RX:
        if (s->loaded)
            shmf_nic_rx(s->nic, a[SHMF_ARG_RX_QUEUE], a[SHMF_ARG_RX_COUNT], a[SHMF_ARG_RX_PKTLEN]);
        break;
    case SHMF_OP_TX: if (s->loaded) shmf_nic_tx(s->nic, a[SHMF_ARG_TX_QUEUE], a[SHMF_ARG_TX_PKTLEN]); break;
    case SHMF_OP_FAULT: do_fault(op); break;
    case SHMF_OP_CPU: break; /* one processor per thread here; see the stress runner */
    default: break;
    }
}

static void teardown(struct exec_state *s)
{
    while (s->nraises && !stop())
        do_lower(s);
    if (!stop())
        run_work(s);
    halt(s);
}

static void fill_result(const struct shmf_prog *prog, uint32_t ran,
                        struct shmf_exec_result *res)
{
    memset(res, 0, sizeof(*res));
    res->findings = shmf_rt_finding_count();
    res->ops_run = ran;
    res->failing_op = -1;
    if (res->findings) {
        res->first = *shmf_rt_finding(0);
        res->failing_op = res->first.op_index < 0 ? (int32_t)prog->nops : res->first.op_index;
    }
    res->alloc_attempts = shmf_rt_alloc_attempts();
    res->faults_injected = shmf_rt_faults_injected();
}

static void trace_op(FILE *f, uint32_t i, const struct shmf_op *op)
{
    char line[256];
    shmf_op_format(line, sizeof(line), op);
    fprintf(f, "  %4u %s\n", i, line);
}

void shmf_exec_run(const struct shmf_target *t, const struct shmf_prog *prog,
                   const struct shmf_exec_opts *opts, struct shmf_exec_result *res)
{
    static struct exec_state s;
    static struct shmf_nic *nic;
    struct shmf_fault_plan plan = {prog->hdr.fail_nth, prog->hdr.fail_every,
                                   (prog->hdr.fault_flags & SHMF_FAULT_F_FIRST_PER_SITE) != 0};
    if (!nic && !(nic = shmf_nic_create()))
        return;
    memset(&s, 0, sizeof(s));
    s.nic = nic;
    s.t = t;
    s.opts = opts;
    shmf_rt_reset(opts ? opts->verify_flags : SHMF_VERIFY_F_ALL, &plan);
    load(&s);
    uint32_t i;
    for (i = 0; i < prog->nops && !stop(); i++) {
        shmf_rt_set_op_index((int32_t)i);
        if (opts && opts->trace)
            trace_op(opts->trace, i, &prog->ops[i]);
        exec_op(&s, &prog->ops[i]);
    }
    shmf_rt_set_op_index((int32_t)prog->nops);
    teardown(&s);
    fill_result(prog, i, res);
}
