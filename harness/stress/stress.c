/*
 * stress.c -- the stress runner: T simulated processors share one world and
 * drive the provider with randomized ops from the fuzzer's vocabulary (see
 * stress.h and docs/stress.md).
 *
 * Sharing rules (the harness is a correct, multi-processor miniport):
 * - The miniport's own blocks live in one table under tab_lock.  A free takes
 *   its handle out of the table before NdisFreeSharedMemory, so no two
 *   processors free the same handle; a touch pins its entry so the block is not
 *   freed under it.  No harness lock is held while calling
 *   NdisAllocateSharedMemory / NdisFreeSharedMemory directly.
 * - The NIC model is not thread-safe: every call to it holds nic_lock (so its
 *   own allocations for queues run under that lock; provider handlers called
 *   from other processors still run concurrently with them).
 * - Allocate, free and queue changes need PASSIVE_LEVEL: made while raised,
 *   they are deferred to the processor's work list, as the executor does.
 * Each op is executed exactly as exec.c would execute it, so a serialized log
 * of the processors' ops is a meaningful single-threaded program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stress_internal.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool shmf__stopping(struct st_world *w)
{
    if (w->o->interrupted && *w->o->interrupted)
        atomic_store(&w->stop, true);
    return atomic_load_explicit(&w->stop, memory_order_relaxed);
}

static struct st_cpu *this_cpu(struct st_world *w)
{
    return &w->cpus[KeGetCurrentProcessorNumber() % w->ncpus];
}

/* === Op generation: mostly valid requests from the fuzzer's vocabulary === */

/* An op code drawn with the weights of SHMF_OP_LIST (weight 0: never). */
static uint8_t pick_code(struct shmf_rng *r)
{
    unsigned total = 0;
    for (unsigned c = 0; c < SHMF_OP_COUNT; c++)
        total += shmf_op_weight(c);
    unsigned x = (unsigned)shmf_rng_below(r, total);
    for (unsigned c = 0; c < SHMF_OP_COUNT; c++) {
        if (x < shmf_op_weight(c))
            return (uint8_t)c;
        x -= shmf_op_weight(c);
    }
    return SHMF_OP_TOUCH;
}

static uint32_t pick_length(struct shmf_rng *r)
{
    switch (shmf_rng_below(r, 8)) {
    case 0: return 1 + (uint32_t)shmf_rng_below(r, 256);
    case 1: return PAGE_SIZE * (1 + (uint32_t)shmf_rng_below(r, 16));
    case 2: return 1 + (uint32_t)shmf_rng_below(r, 256 * 1024);
    default: return 1 + (uint32_t)shmf_rng_below(r, 4 * PAGE_SIZE);
    }
}

/* Alloc with valid parameters, one field in ten made hostile. */
static void gen_alloc(struct shmf_rng *r, struct shmf_op *op)
{
    uint32_t *a = op->a;
    a[SHMF_ARG_ALLOC_REV] = shmf_rng_below(r, 10) == 0 ? 1 : 0;
    a[SHMF_ARG_ALLOC_FLAGS] = shmf_rng_below(r, 8) == 0 ? NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS : 0;
    a[SHMF_ARG_ALLOC_NODE] =
        shmf_rng_below(r, 4) == 0 ? (uint32_t)shmf_rng_below(r, 2) : MM_ANY_NODE_OK;
    a[SHMF_ARG_ALLOC_USAGE] = (uint32_t)shmf_rng_below(r, NdisSharedMemoryUsageMax);
    a[SHMF_ARG_ALLOC_LENGTH] = pick_length(r);
    if (shmf_rng_below(r, 10) != 0)
        return;
    switch (shmf_rng_below(r, 7)) {
    case 0: a[SHMF_ARG_ALLOC_TYPE] = (uint32_t)shmf_rng_below(r, 256); break;
    case 1: a[SHMF_ARG_ALLOC_SIZE] = (uint32_t)shmf_rng_below(r, 0x100); break;
    case 2: a[SHMF_ARG_ALLOC_FLAGS] = (uint32_t)shmf_rng_next(r); break;
    case 3: a[SHMF_ARG_ALLOC_QUEUE] = 0x80 | (32 + (uint32_t)shmf_rng_below(r, 32)); break;
    case 4: a[SHMF_ARG_ALLOC_NODE] = (uint32_t)shmf_rng_next(r); break;
    case 5: a[SHMF_ARG_ALLOC_USAGE] = (uint32_t)shmf_rng_below(r, 256); break;
    default:
        a[SHMF_ARG_ALLOC_SGMODE] = 1;
        a[SHMF_ARG_ALLOC_SGLEN] = (uint32_t)shmf_rng_below(r, 64);
        break;
    }
}

static void gen_op(struct st_world *w, struct st_cpu *c, struct shmf_op *op)
{
    struct shmf_rng *r = &c->rng;
    memset(op, 0, sizeof(*op));
    op->code = pick_code(r);
    if (op->code == SHMF_OP_ALLOC &&
        __atomic_load_n(&w->ow.nblocks, __ATOMIC_RELAXED) > ST_SOFT_BLOCKS)
        op->code = SHMF_OP_FREE;
    uint32_t *a = op->a;
    switch (op->code) {
    case SHMF_OP_ALLOC: gen_alloc(r, op); break;
    case SHMF_OP_FREE: a[SHMF_ARG_FREE_SLOT] = (uint32_t)shmf_rng_below(r, 256); break;
    case SHMF_OP_TOUCH:
        a[SHMF_ARG_TOUCH_SLOT] = (uint32_t)shmf_rng_below(r, 256);
        a[SHMF_ARG_TOUCH_WRITE] = (uint32_t)shmf_rng_below(r, 2);
        a[SHMF_ARG_TOUCH_OFFSET] = (uint32_t)shmf_rng_next(r);
        a[SHMF_ARG_TOUCH_LEN] = (uint32_t)shmf_rng_below(r, 256);
        break;
    case SHMF_OP_RAISE: a[SHMF_ARG_RAISE_LEVEL] = 1 + (uint32_t)shmf_rng_below(r, 2); break;
    case SHMF_OP_DPC: a[SHMF_ARG_DPC_QUEUE] = (uint32_t)shmf_rng_below(r, 8); break;
    case SHMF_OP_QALLOC:
        a[SHMF_ARG_QALLOC_ORDER] = 1 + (uint32_t)shmf_rng_below(r, 6);
        a[SHMF_ARG_QALLOC_BUFSIZE] = 64 + (uint32_t)shmf_rng_below(r, 4096);
        break;
    case SHMF_OP_QFREE: a[SHMF_ARG_QFREE_QUEUE] = (uint32_t)shmf_rng_below(r, 8); break;
    case SHMF_OP_POST:
        a[SHMF_ARG_POST_QUEUE] = (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_POST_COUNT] = 1 + (uint32_t)shmf_rng_below(r, 16);
        break;
    case SHMF_OP_DRAIN:
        a[SHMF_ARG_DRAIN_QUEUE] = (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_DRAIN_COUNT] = (uint32_t)shmf_rng_below(r, 2);
        break;
    case SHMF_OP_RET:
        a[SHMF_ARG_RET_QUEUE] = (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_RET_COUNT] = 1 + (uint32_t)shmf_rng_below(r, 16);
        break;
    case SHMF_OP_RX:
        a[SHMF_ARG_RX_QUEUE] = (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_RX_COUNT] = 1 + (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_RX_PKTLEN] = 16 + (uint32_t)shmf_rng_below(r, 1500);
        break;
    case SHMF_OP_TX:
        a[SHMF_ARG_TX_QUEUE] = (uint32_t)shmf_rng_below(r, 8);
        a[SHMF_ARG_TX_PKTLEN] = 16 + (uint32_t)shmf_rng_below(r, 1500);
        break;
    default: break;
    }
}

/* === Processors === */

/* Interleave mode: the time bound and the status line, from the coroutines. */
static void tick(struct st_world *w)
{
    double t = now();
    if (w->t_end > 0 && t >= w->t_end)
        atomic_store(&w->time_up, true);
    if (w->o->progress && t - w->last_progress >= 1.0) {
        w->last_progress = t;
        shmf__progress(w, t);
    }
}

static void cpu_body(struct st_world *w, struct st_cpu *c)
{
    struct shmf_op op;
    while (!shmf__stopping(w) && !atomic_load_explicit(&w->time_up, memory_order_relaxed)) {
        uint64_t n = atomic_fetch_add(&w->issued, 1);
        if (w->o->ops && n >= w->o->ops)
            break;
        if (w->interleave && (c->ops & 255) == 0)
            tick(w);
        gen_op(w, c, &op);
        struct log_ent *e = &c->log[c->nlog % SHMF_STRESS_LOG_KEEP];
        e->seq = n;
        e->op = op;
        c->nlog++;
        c->cur_seq = n;
        c->cur_op = op;
        c->in_op = true;
        shmf_ops_run(&w->ow, &c->oc, &op);
        c->in_op = false;
        c->mix[op.code]++;
        __atomic_store_n(&c->ops, c->ops + 1, __ATOMIC_RELAXED);
    }
    /* As the executor's teardown: back to PASSIVE, then the deferred work. */
    shmf_ops_cpu_finish(&w->ow, &c->oc);
    atomic_store(&c->finished, true);
}

static void *thread_main(void *arg)
{
    struct st_cpu *c = arg;
    shmf_rt_cpu_attach(c->index);
    cpu_body(c->w, c);
    return NULL;
}

static void interleave_main(unsigned cpu, void *ud)
{
    struct st_world *w = ud;
    cpu_body(w, &w->cpus[cpu]);
}

/* === Hooks: findings, contention, crashes === */

static struct st_world *the_world; /* for the hooks, which carry no context */

static void on_finding(const struct shmf_finding *f, void *ud)
{
    struct st_world *w = ud;
    if (!w->have_first) {
        struct st_cpu *c = &w->cpus[f->cpu % w->ncpus];
        w->have_first = true;
        w->first_teardown = atomic_load(&w->in_teardown) || !c->in_op;
        w->first_seq = c->cur_seq;
        w->first_op = c->cur_op;
    }
    atomic_store(&w->stop, true);
    if (w->interleave)
        shmf_interleave_stop();
}

/* Threads mode: count spinning on held spin locks, then yield as the runtime
   would without a hook. */
static void threads_yield_hook(const char *point)
{
    struct st_cpu *c = this_cpu(the_world);
    if (point[0] == 's' && point[1] == 'p') {
        c->spins++;
        if (!c->spinning)
            c->contended++;
        c->spinning = true;
        sched_yield();
    } else {
        c->spinning = false;
    }
}

/* A crash of the provider on some processor: report what we have and die. */
static const char *crash_run_path;
static void crash_sink(const struct shmf_finding *cf, void *ud)
{
    struct st_world *w = ud;
    struct shmf_finding f = *cf;
    atomic_store(&w->stop, true);
    w->crashed = true;
    f.cpu = KeGetCurrentProcessorNumber() % w->ncpus;
    for (unsigned i = 0; i < w->ncpus; i++) {
        bool p;
        if (shmf_ops_guard_hit(&w->cpus[i].oc, (uintptr_t)f.object, &p)) {
            f.kind = p ? SHMF_KIND_PARAMS_OUT_OF_BOUNDS : SHMF_KIND_SG_BUFFER_OVERFLOW;
            snprintf(f.message, sizeof(f.message),
                     "%s at %#" PRIx64 ": past the %s of processor %u",
                     f.detail[0] ? f.detail : "fault", f.object,
                     p ? "parameters block" : "SG buffer", i);
            snprintf(f.rule, sizeof(f.rule), "%s", shmf_kind_source(f.kind));
        }
    }
    if (!w->have_first) {
        struct st_cpu *c = &w->cpus[f.cpu];
        w->have_first = true;
        w->first_teardown = atomic_load(&w->in_teardown) || !c->in_op;
        w->first_seq = c->cur_seq;
        w->first_op = c->cur_op;
    }
    w->finding_json = shmf__finding_json(w, &f, false);
    char failed[4096];
    int wrc = shmf__write_reports(w, now() - w->t0, crash_run_path, failed, sizeof(failed));
    shmf__print_finding(w, &f);
    if (wrc) { /* a finding whose report is missing is not a result */
        fprintf(stderr, "shmfuzz: stress: cannot write %s: %s\n", failed, strerror(-wrc));
        _exit(SHMF_EXIT_USAGE);
    }
    _exit(SHMF_EXIT_FINDING);
}

/* === Driving the world === */

static void world_teardown(struct st_world *w)
{
    atomic_store(&w->in_teardown, true);
    shmf_rt_cpu_attach(0);
    shmf_ops_free_blocks(&w->ow);
    if (w->ow.loaded && !shmf__stopping(w))
        shmf_nic_halt(w->ow.nic);
    if (!shmf__stopping(w))
        shmf_rt_provider_unload();
    w->ow.loaded = false;
}

/* Threads mode: watch the bounds and progress until the processors finish. */
static void monitor(struct st_world *w)
{
    for (;;) {
        bool all = true;
        double t = now();
        for (unsigned i = 0; i < w->ncpus; i++) {
            struct st_cpu *c = &w->cpus[i];
            if (atomic_load(&c->finished))
                continue;
            all = false;
            uint64_t ops = __atomic_load_n(&c->ops, __ATOMIC_RELAXED);
            if (ops != c->hang_ops || c->hang_since == 0) {
                c->hang_ops = ops;
                c->hang_since = t;
            } else if (t - c->hang_since > ST_HANG_SECONDS && !atomic_load(&w->stop)) {
                shmf_rt_report(SHMF_KIND_HANG, i, "stress", "stress watchdog",
                               "processor %u made no progress for %.0f s (op: %s)", i,
                               ST_HANG_SECONDS, shmf_op_name(c->cur_op.code));
            }
        }
        if (all)
            return;
        if (w->t_end > 0 && t >= w->t_end)
            atomic_store(&w->time_up, true);
        if (w->o->interrupted && *w->o->interrupted)
            atomic_store(&w->stop, true);
        if (w->o->progress && t - w->last_progress >= 1.0) {
            w->last_progress = t;
            shmf__progress(w, t);
        }
        if (atomic_load(&w->stop) || atomic_load(&w->time_up)) {
            /* Give the processors a moment to finish their op. */
            double deadline = t + ST_JOIN_SECONDS;
            while (now() < deadline) {
                bool done = true;
                for (unsigned i = 0; i < w->ncpus; i++)
                    done = done && atomic_load(&w->cpus[i].finished);
                if (done)
                    return;
                usleep(1000);
            }
            return;
        }
        usleep(20000);
    }
}

static int run_threads(struct st_world *w, bool *stuck)
{
    int rc = 0;
    shmf_rt_set_yield_hook(threads_yield_hook);
    for (unsigned i = 0; i < w->ncpus && rc == 0; i++) {
        rc = -pthread_create(&w->cpus[i].th, NULL, thread_main, &w->cpus[i]);
        w->cpus[i].started = rc == 0;
    }
    if (rc) {
        atomic_store(&w->stop, true);
        for (unsigned i = 0; i < w->ncpus; i++)
            atomic_store(&w->cpus[i].finished,
                         !w->cpus[i].started || atomic_load(&w->cpus[i].finished));
    }
    monitor(w);
    *stuck = false;
    for (unsigned i = 0; i < w->ncpus; i++) {
        if (!w->cpus[i].started)
            continue;
        if (atomic_load(&w->cpus[i].finished))
            pthread_join(w->cpus[i].th, NULL);
        else
            *stuck = true;
    }
    shmf_rt_set_yield_hook(NULL);
    return rc;
}

static int world_init(struct st_world *w, const struct shmf_stress_opts *o)
{
    memset(w, 0, sizeof(*w));
    w->o = o;
    w->interleave = o->mode == SHMF_STRESS_INTERLEAVE;
    w->ncpus = o->threads;
    shmf__stress_policy(w);
    w->cpus = aligned_alloc(_Alignof(struct st_cpu), w->ncpus * sizeof(*w->cpus));
    if (w->cpus)
        memset(w->cpus, 0, w->ncpus * sizeof(*w->cpus));
    w->ow.nic = shmf_nic_create();
    if (!w->cpus || !w->ow.nic)
        return -ENOMEM;
    for (unsigned i = 0; i < w->ncpus; i++) {
        struct st_cpu *c = &w->cpus[i];
        c->w = w;
        c->index = i;
        /* Per-processor stream: the seed and the processor's id. */
        shmf_rng_seed(&c->rng, o->seed ^ (0x9E3779B97F4A7C15ull * (i + 1)));
        if (shmf_ops_cpu_init(&c->oc))
            return -ENOMEM;
    }
    return 0;
}

static void world_fini(struct st_world *w)
{
    for (unsigned i = 0; w->cpus && i < w->ncpus; i++)
        shmf_ops_cpu_fini(&w->cpus[i].oc);
    free(w->cpus);
    shmf_nic_destroy(w->ow.nic);
    json_decref(w->finding_json);
}

int shmf_stress_run(const struct shmf_stress_opts *o, struct shmf_stress_result *r)
{
    static struct st_world w;
    bool stuck = false;
    memset(r, 0, sizeof(*r));
    if (o->threads == 0 || o->threads > SHMF_MAX_CPUS)
        return -EINVAL;
    int rc = world_init(&w, o);
    if (rc) {
        world_fini(&w);
        return rc;
    }
    the_world = &w;
    crash_run_path = o->json_out;
    shmf_crash_install(crash_sink, &w);

    shmf_rt_set_cpu_count(w.ncpus); /* KeQueryActiveProcessorCount */
    shmf_rt_reset(o->verify_flags, NULL);
    shmf_rt_cpu_attach(0);
    shmf_rt_set_finding_handler(on_finding, &w);
    w.ow.loaded = shmf_rt_provider_load(&o->target->provider) == 0;
    shmf_nic_set_ring_advance(w.ow.nic, (shmf_ring_advance_fn)o->target->ring_advance);
    shmf_nic_set_ring_cancel(w.ow.nic, (shmf_ring_cancel_fn)o->target->ring_cancel);
    /* As in the executor: the ring element checks go with the DMA checks. */
    shmf_nic_set_verify(w.ow.nic, (o->verify_flags & SHMF_VERIFY_F_DMA) != 0);
    if (w.ow.loaded)
        shmf_nic_reset(w.ow.nic, shmf_rt_driver_handle());
    w.t0 = now();
    w.last_progress = w.t0;
    w.t_end = o->seconds > 0 ? w.t0 + o->seconds : 0;

    if (w.ow.loaded && !atomic_load(&w.stop)) {
        if (w.interleave) {
            struct shmf_interleave_opts io = {.ncpus = w.ncpus, .seed = o->seed};
            rc = shmf_interleave_run(&io, interleave_main, &w, &w.il);
            if (w.il.hang)
                atomic_store(&w.stop, true);
        } else {
            rc = run_threads(&w, &stuck);
        }
    }
    double duration = now() - w.t0;
    if (o->progress) {
        shmf__progress(&w, now());
        fputc('\n', stderr);
    }
    if (!stuck && !atomic_load(&w.stop) && rc == 0)
        world_teardown(&w);
    shmf_rt_set_finding_handler(NULL, NULL);
    shmf_crash_install(NULL, NULL);
    shmf_rt_set_cpu_count(1);

    r->findings = shmf_rt_finding_count();
    r->hang = stuck;
    if (r->findings) {
        const struct shmf_finding *f = shmf_rt_finding(0);
        r->first = *f;
        w.finding_json = shmf__finding_json(&w, f, !stuck);
        json_t *rep = json_object_get(w.finding_json, "replay");
        r->replayed = json_is_true(json_object_get(rep, "reproduced"));
        shmf__print_finding(&w, f);
    }
    r->write_error =
        shmf__write_reports(&w, duration, o->json_out, r->write_failed, sizeof(r->write_failed));
    r->run = shmf__run_json(&w, duration);
    if (!stuck)
        world_fini(&w);
    the_world = NULL;
    return rc;
}
