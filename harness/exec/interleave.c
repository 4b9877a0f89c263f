/*
 * interleave.c -- simulated processors as coroutines on one thread, switched
 * at the runtime's scheduling points (see interleave.h).
 *
 * Coroutines switch among themselves (co_context.h: no system call per
 * switch on x86-64); they return to the scheduler context only when they
 * finish or when the run is abandoned.
 * Sanitizers are told about every switch (ASan and TSan fiber annotations).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "co_context.h"
#include "interleave.h"
#include "mutator.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IL_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define IL_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(IL_ASAN)
#define IL_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(IL_TSAN)
#define IL_TSAN 1
#endif
#ifdef IL_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef IL_TSAN
#include <sanitizer/tsan_interface.h>
#endif

struct coro {
    struct shmf_co_ctx ctx;
    void *stack;
    unsigned cpu;
    bool done;
    bool spinning; /* last point was "spin" */
#ifdef IL_TSAN
    void *fiber;
#endif
};

struct engine {
    const struct shmf_interleave_opts *o;
    shmf_interleave_fn fn;
    void *ud;
    struct shmf_interleave_stats *st;
    struct coro co[SHMF_MAX_CPUS];
    struct shmf_co_ctx main_ctx;
#ifdef IL_TSAN
    void *main_fiber;
#endif
    const void *main_stack_bottom;
    size_t main_stack_size;
    struct coro *cur; /* NULL: the scheduler context */
    bool from_main;   /* the switch in progress left the scheduler context */
    struct shmf_rng rng;
    size_t choice_pos;
    uint64_t spin_streak;
    unsigned permille;
    uint64_t spin_limit;
    volatile bool stop;
    bool abandoning;
};

static struct engine *eng;
static void *stacks[SHMF_MAX_CPUS];      /* kept across runs */
static bool stacks_dirty[SHMF_MAX_CPUS]; /* abandoned mid-stack */
#define IL_STACK_TOP (16u << 10)         /* what a run that ends normally leaves poisoned */

/* === Context switches (with sanitizer annotations) === */

/* In the context just resumed: complete the sanitizer's switch, learning the
   scheduler stack's bounds when we came from it. */
static void finish_switch(void *fake)
{
#ifdef IL_ASAN
    const void *bottom;
    size_t size;
    __sanitizer_finish_switch_fiber(fake, &bottom, &size);
    if (eng->from_main) {
        eng->main_stack_bottom = bottom;
        eng->main_stack_size = size;
    }
#else
    (void)fake;
#endif
}

static void switch_to(struct shmf_co_ctx *from, struct shmf_co_ctx *to, struct coro *target,
                      bool leaving_forever)
{
#ifdef IL_ASAN
    void *fake = NULL;
    const void *bottom = target ? target->stack : eng->main_stack_bottom;
    size_t size = target ? SHMF_INTERLEAVE_STACK : eng->main_stack_size;
    __sanitizer_start_switch_fiber(leaving_forever ? NULL : &fake, bottom, size);
#else
    void *fake = NULL;
    (void)leaving_forever;
#endif
    (void)target;
#ifdef IL_TSAN
    __tsan_switch_to_fiber(target ? target->fiber : eng->main_fiber, 0);
#endif
    eng->from_main = from == &eng->main_ctx;
    shmf_co_ctx_switch(from, to);
    finish_switch(fake);
}

/* We are running in `c` again: make the thread its simulated processor. */
static void resumed(struct coro *c)
{
    eng->cur = c;
    if (c)
        shmf_rt_cpu_attach(c->cpu);
}

static void go(struct coro *to)
{
    struct coro *me = eng->cur;
    if (to == me)
        return;
    eng->st->switches++;
    eng->cur = to;
    switch_to(me ? &me->ctx : &eng->main_ctx, to ? &to->ctx : &eng->main_ctx, to, false);
    resumed(me);
}

/* === Scheduling decisions === */

static unsigned runnable(struct coro **out, const struct coro *except)
{
    unsigned n = 0;
    for (unsigned i = 0; i < eng->o->ncpus; i++)
        if (!eng->co[i].done && &eng->co[i] != except)
            out[n++] = &eng->co[i];
    return n;
}

/* Next decision value in [0, n). */
static uint64_t decide(uint64_t n)
{
    if (eng->o->choices && eng->choice_pos < eng->o->nchoices)
        return eng->o->choices[eng->choice_pos++] % n;
    return shmf_rng_below(&eng->rng, n);
}

static void abandon(void)
{
    eng->abandoning = true;
    for (unsigned i = 0; i < eng->o->ncpus; i++)
        stacks_dirty[i] = true;
    go(NULL); /* never returns: the scheduler drops every coroutine */
}

static void hang(struct coro *c)
{
    eng->st->hang = true;
    shmf_rt_report(SHMF_KIND_HANG, c->cpu, "NdisAcquireSpinLock",
                   "interleave: spin lock never released",
                   "processor %u spun %llu times on a spin lock that no runnable processor "
                   "releases (deadlock, or a lock held after its owner returned)",
                   c->cpu, (unsigned long long)eng->spin_streak);
    abandon();
}

static void hook(const char *point)
{
    struct coro *c = eng ? eng->cur : NULL;
    struct coro *cand[SHMF_MAX_CPUS];
    if (!c)
        return; /* the scheduler context calling the runtime */
    eng->st->points++;
    if (eng->stop) {
        eng->st->stopped = true;
        abandon();
    }
    bool wait = point[0] == 's' ? strcmp(point, "spin") == 0 : strcmp(point, "wait") == 0;
    if (!wait) {
        c->spinning = false;
        eng->spin_streak = 0;
        if (shmf_rng_below(&eng->rng, 1000) >= eng->permille)
            return;
        unsigned n = runnable(cand, NULL);
        go(cand[decide(n)]);
        return;
    }
    if (point[0] == 's') {
        eng->st->spins++;
        if (!c->spinning)
            eng->st->contended++;
        c->spinning = true;
    }
    if (++eng->spin_streak > eng->spin_limit)
        hang(c);
    unsigned n = runnable(cand, c);
    if (n == 0)
        hang(c); /* nobody else can release it */
    go(cand[decide(n)]);
}

/* === Coroutines === */

static void trampoline(void)
{
    struct coro *c = eng->cur;
    finish_switch(NULL);
    resumed(c);
    eng->fn(c->cpu, eng->ud);
    c->done = true;
    eng->cur = NULL;
    switch_to(&c->ctx, &eng->main_ctx, NULL, true);
}

static int coro_init(struct coro *c, unsigned cpu)
{
    if (!stacks[cpu]) {
        void *s = mmap(NULL, SHMF_INTERLEAVE_STACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (s == MAP_FAILED)
            return -ENOMEM;
        stacks[cpu] = s;
    }
#ifdef IL_ASAN
    /* Frames that never returned left their redzones poisoned: after a normal
       run only the few at the top (trampoline's last switch), after an
       abandoned one anywhere.  Unpoisoning the whole 1 MiB every run made ASan
       remap its shadow (mmap, TLB shootdown, page faults): most of an input's
       time. */
    if (stacks_dirty[cpu])
        ASAN_UNPOISON_MEMORY_REGION(stacks[cpu], SHMF_INTERLEAVE_STACK);
    else
        ASAN_UNPOISON_MEMORY_REGION((char *)stacks[cpu] + SHMF_INTERLEAVE_STACK - IL_STACK_TOP,
                                    IL_STACK_TOP);
#endif
    stacks_dirty[cpu] = false;
    memset(c, 0, sizeof(*c));
    c->cpu = cpu;
    c->stack = stacks[cpu];
    int rc = shmf_co_ctx_make(&c->ctx, c->stack, SHMF_INTERLEAVE_STACK, trampoline);
    if (rc != 0)
        return rc;
#ifdef IL_TSAN
    c->fiber = __tsan_create_fiber(0);
#endif
    return 0;
}

int shmf_interleave_run(const struct shmf_interleave_opts *o, shmf_interleave_fn fn, void *ud,
                        struct shmf_interleave_stats *st)
{
    static struct engine e;
    struct coro *cand[SHMF_MAX_CPUS];
    int rc = 0;
    if (o->ncpus == 0 || o->ncpus > SHMF_MAX_CPUS)
        return -EINVAL;
    if (eng)
        return -EBUSY;
    memset(&e, 0, sizeof(e));
    memset(st, 0, sizeof(*st));
    e.o = o;
    e.fn = fn;
    e.ud = ud;
    e.st = st;
    e.permille = o->switch_permille ? o->switch_permille : 500;
    e.spin_limit = o->spin_limit ? o->spin_limit : 100000;
    shmf_rng_seed(&e.rng, o->seed);
    eng = &e;
    for (unsigned i = 0; i < o->ncpus && rc == 0; i++)
        rc = coro_init(&e.co[i], i);
#ifdef IL_TSAN
    e.main_fiber = __tsan_get_current_fiber();
#endif
    if (rc == 0) {
        shmf_rt_set_yield_hook(hook);
        unsigned n;
        while (!e.abandoning && (n = runnable(cand, NULL)) > 0) {
            if (e.stop) {
                st->stopped = true;
                break;
            }
            go(cand[decide(n)]);
        }
        shmf_rt_set_yield_hook(NULL);
    }
#ifdef IL_TSAN
    for (unsigned i = 0; i < o->ncpus; i++)
        if (e.co[i].fiber)
            __tsan_destroy_fiber(e.co[i].fiber);
#endif
    eng = NULL;
    shmf_rt_cpu_attach(0);
    return rc;
}

void shmf_interleave_stop(void)
{
    if (eng)
        eng->stop = true;
}

bool shmf_interleave_active(void)
{
    return eng && eng->cur;
}

void shmf_interleave_yield(const char *point)
{
    if (shmf_interleave_active())
        hook(point);
}

void shmf_co_mutex_lock(struct shmf_co_mutex *m)
{
    while (m->held && shmf_interleave_active())
        shmf_interleave_yield("wait");
    m->held = 1;
}

void shmf_co_mutex_unlock(struct shmf_co_mutex *m)
{
    m->held = 0;
}
