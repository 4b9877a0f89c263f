/*
 * coherence.c -- bench/stress's machine context: what sharing costs on this
 * machine, measured beside the stress runner's 1- vs 2-thread figures.
 *
 * 1. round_trip_ns: two threads pass one cache line back and forth (each waits
 *    for its turn, then hands the turn over); the time per round trip is two
 *    cross-processor cache-line transfers.
 * 2. provider_model: the reference provider's own sharing alone, at the stress
 *    runner's op rate: each op is private work, and an alloc (a fraction of the
 *    ops) takes one shared spin lock twice (quota, then list insert) and a free
 *    once (list remove), as providers/reference/reference.c does.  The private
 *    work is calibrated so that one thread runs at OPS_PER_S; the figure is the
 *    2-thread rate over the 1-thread rate: the ceiling of the stress ratio if
 *    the runtime and the harness shared nothing.
 *
 * Usage: bench_coherence OPS_PER_S ALLOC_FREE_FRACTION SECONDS OUT.json
 *        bench_coherence --round-trip     (prints round_trip_ns only)
 */
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* === 1. Cache-line round trip === */

#define PP_ROUNDS 500000

static struct {
    int turn;
} __attribute__((aligned(64))) pp;

static void *pp_main(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < PP_ROUNDS; i++) {
        while (__atomic_load_n(&pp.turn, __ATOMIC_ACQUIRE) != me)
            relax();
        __atomic_store_n(&pp.turn, 1 - me, __ATOMIC_RELEASE);
    }
    return NULL;
}

static double round_trip_ns(void)
{
    pthread_t t[2];
    double t0 = now();
    for (intptr_t i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, pp_main, (void *)i);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return (now() - t0) / PP_ROUNDS * 1e9;
}

/* === 2. The provider's sharing alone === */

struct node {
    struct node *prev, *next;
} __attribute__((aligned(64)));

#define MODEL_LIVE 4096

static struct {
    unsigned word;
} __attribute__((aligned(64))) lock;
static struct {
    struct node head;
    unsigned long quota;
} __attribute__((aligned(64))) list;
static struct node nodes[2][MODEL_LIVE];
static int stop;
static long work_iters;
static double alloc_free;

static void acquire(void)
{
    while (__atomic_exchange_n(&lock.word, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&lock.word, __ATOMIC_RELAXED))
            relax();
}

static void release(void)
{
    __atomic_store_n(&lock.word, 0, __ATOMIC_RELEASE);
}

static void work(long iters)
{
    volatile uint64_t x = 1;
    for (long i = 0; i < iters; i++)
        x = x * 6364136223846793005ull + 1;
}

static void model_alloc(struct node *n)
{
    acquire();
    list.quota++;
    release();
    work(work_iters / 2);
    acquire();
    n->prev = list.head.prev;
    n->next = &list.head;
    list.head.prev->next = n;
    list.head.prev = n;
    release();
}

static void model_free(struct node *n)
{
    acquire();
    n->prev->next = n->next;
    n->next->prev = n->prev;
    list.quota--;
    release();
    work(work_iters / 2);
}

struct model_arg {
    int id;
    long ops;
};

static void *model_main(void *p)
{
    struct model_arg *a = p;
    uint64_t r = 0x9E3779B97F4A7C15ull * (uint64_t)(a->id + 1);
    int live = 0;
    for (a->ops = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); a->ops++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(r >> 11) * (1.0 / 9007199254740992.0);
        if (u < alloc_free / 2 && live < MODEL_LIVE)
            model_alloc(&nodes[a->id][live++]);
        else if (u < alloc_free && live > 0)
            model_free(&nodes[a->id][--live]);
        else
            work(work_iters / 2);
    }
    return NULL;
}

/* Ops per second with `threads` threads for `secs`. */
static double model_run(int threads, double secs)
{
    pthread_t t[2];
    struct model_arg a[2];
    list.head.prev = list.head.next = &list.head;
    __atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
    for (int i = 0; i < threads; i++) {
        a[i].id = i;
        pthread_create(&t[i], NULL, model_main, &a[i]);
    }
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    double t0 = now();
    nanosleep(&ts, NULL);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    long ops = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        ops += a[i].ops;
    }
    return (double)ops / (now() - t0);
}

/* Private work per op such that one thread runs at about `target` ops/s. */
static void calibrate(double target)
{
    work_iters = 64;
    for (int i = 0; i < 12; i++) {
        double r = model_run(1, 0.1);
        work_iters = (long)((double)work_iters * r / target);
        if (work_iters < 2)
            work_iters = 2;
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--round-trip") == 0)
        return printf("%.1f\n", round_trip_ns()) < 0;
    if (argc != 5)
        return fprintf(stderr, "usage: bench_coherence OPS_PER_S ALLOC_FREE_FRACTION SECONDS "
                               "OUT.json\n"),
               2;
    double target = atof(argv[1]), secs = atof(argv[3]);
    alloc_free = atof(argv[2]);
    if (target <= 0 || alloc_free < 0 || alloc_free > 1 || secs <= 0)
        return fprintf(stderr, "bench_coherence: bad arguments\n"), 2;
    double rt = round_trip_ns();
    calibrate(target);
    double one = model_run(1, secs), two = model_run(2, secs);
    json_t *j = json_pack("{s:f, s:{s:f, s:f, s:f, s:f, s:I}}", "round_trip_ns", rt,
                          "provider_model", "ops_per_s_1thread", one, "ops_per_s_2threads", two,
                          "ratio", one > 0 ? two / one : 0.0, "alloc_free_fraction", alloc_free,
                          "work_iters_per_op", (json_int_t)work_iters);
    int rc = shmf_json_write_atomic(j, argv[4]);
    json_decref(j);
    printf("coherence: cache-line round trip %.0f ns; provider-only sharing model %.3g -> %.3g "
           "ops/s (x%.2f)\n",
           rt, one, two, one > 0 ? two / one : 0.0);
    return rc ? 2 : 0;
}
