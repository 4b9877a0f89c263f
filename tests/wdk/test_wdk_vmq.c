/*
 * test_wdk_vmq.c -- the netvmini-shaped VMQ consumer (vmq_consumer.c) against
 * every provider we ship, each loaded from its shared object as `shmfuzz`
 * loads it.
 *
 *   test_wdk_vmq clean  P.so...   the correct providers (the reference, alt/,
 *                                 gaps/ -- their gaps need requests a correct
 *                                 miniport does not make -- and the wdk test
 *                                 drivers): receive memory for two queues,
 *                                 used and checked, freed, zero findings; then
 *                                 the same under fault injection (fail the
 *                                 1st, 2nd, ... allocation of the run, and the
 *                                 first per call site): every failure is
 *                                 unwound, still zero findings and no leak.
 *   test_wdk_vmq report P.so...   the planted-bug providers (buggy/, deep/):
 *                                 one run each in a child process; prints what
 *                                 the consumer ran into (clean, a finding, a
 *                                 crash).  Fails only if a provider cannot be
 *                                 loaded.
 */
#include <ndis.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "shmf_test.h"
#include "target.h"
#include "wdk/vmq_consumer.h"

#define QUEUE 1u    /* a non-default VMQ queue */
#define BUFFERS 48u /* receive buffers asked for, per queue */
#define BUFSIZE 1514u
#define LOOKAHEAD 128u
#define SWEEP_MAX 400u

static int nprov;
static char **provs;
static bool report_mode;

struct outcome {
    NDIS_STATUS status[2]; /* queue 0, QUEUE */
    ULONG buffers[2];
    ULONG bad; /* segments VmqCheckReceiveMemory refused */
};

/* A fresh world with the provider loaded and QUEUE allocated. */
static void world(const struct shmf_target *t)
{
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    assert_int_equal(shmf_rt_provider_load(&t->provider), 0);
    shmf_rt_queue_allocated(QUEUE);
}

/* What a miniport does with its VMQ receive memory: allocate the default
   queue's and QUEUE's, use them, free them; then the queue is freed and the
   provider unloaded. */
static struct outcome consume(void)
{
    NDIS_HANDLE ndis = shmf_rt_driver_handle();
    const ULONG queues[2] = {NDIS_DEFAULT_RECEIVE_QUEUE_ID, QUEUE};
    PVMQ_RX_QUEUE q[2] = {NULL, NULL};
    struct outcome o;

    memset(&o, 0, sizeof(o));
    for (int i = 0; i < 2; i++) {
        o.status[i] = VmqAllocateReceiveMemory(ndis, queues[i], BUFFERS >> (1 - i), BUFSIZE,
                                               LOOKAHEAD, &q[i]);
        if (q[i] != NULL) {
            o.buffers[i] = VmqReceiveBufferCount(q[i]);
            o.bad += VmqCheckReceiveMemory(q[i]);
        }
    }
    for (int i = 1; i >= 0; i--)
        if (q[i] != NULL)
            VmqFreeReceiveMemory(ndis, q[i]);
    shmf_rt_queue_freed(QUEUE);
    shmf_rt_provider_unload();
    return o;
}

static void open_provider(const char *spec, struct shmf_target *t)
{
    char err[600];
    if (shmf_target_open(spec, t, err, sizeof(err)) != 0)
        fail_msg("%s", err);
}

/* === Correct providers === */

static void expect_clean_run(const char *name, const struct outcome *o, const char *when)
{
    if (shmf_rt_finding_count() != 0) {
        shmf_test_dump_findings();
        fail_msg("%s: %u findings %s", name, shmf_rt_finding_count(), when);
    }
    for (int i = 0; i < 2; i++) {
        bool ok = o->status[i] == NDIS_STATUS_SUCCESS || o->status[i] == NDIS_STATUS_RESOURCES;
        if (!ok)
            fail_msg("%s: queue allocation status %#x %s", name, (unsigned)o->status[i], when);
    }
    if (o->bad != 0)
        fail_msg("%s: %lu segments not described by their SG list %s", name, (unsigned long)o->bad,
                 when);
}

/* Fail the nth allocation attempt of the run, for n = 1, 2, ... until a run
   makes fewer attempts than n; then fail the first attempt of every call
   site.  @return the runs made. */
static unsigned fault_sweep(const struct shmf_target *t, const char *name)
{
    unsigned n;
    char when[64];

    for (n = 1; n <= SWEEP_MAX; n++) {
        world(t);
        uint64_t base = shmf_rt_alloc_attempts();
        struct shmf_fault_plan plan = {.fail_nth = (uint32_t)(base + n)};
        shmf_rt_set_fault_plan(&plan);
        struct outcome o = consume();
        snprintf(when, sizeof(when), "with allocation %u failed", n);
        expect_clean_run(name, &o, when);
        if (shmf_rt_alloc_attempts() - base < n)
            break;
    }
    world(t);
    struct shmf_fault_plan per_site = {.first_per_site = true};
    shmf_rt_set_fault_plan(&per_site);
    struct outcome o = consume();
    expect_clean_run(name, &o, "with the first allocation of each call site failed");
    return n;
}

static void test_correct_providers(void **state)
{
    (void)state;
    for (int i = 0; i < nprov; i++) {
        struct shmf_target t;
        open_provider(provs[i], &t);
        world(&t);
        struct outcome o = consume();
        expect_clean_run(provs[i], &o, "");
        assert_int_equal(o.status[0], NDIS_STATUS_SUCCESS);
        assert_int_equal(o.status[1], NDIS_STATUS_SUCCESS);
        assert_int_equal(o.buffers[1], BUFFERS);
        unsigned runs = fault_sweep(&t, provs[i]);
        print_message("  %s: clean, %lu + %lu buffers; clean under %u fault-injection runs\n",
                      strrchr(provs[i], '/') ? strrchr(provs[i], '/') + 1 : provs[i],
                      (unsigned long)o.buffers[0], (unsigned long)o.buffers[1], runs + 1);
    }
}

/* === Planted-bug providers === */

/* One run in this (child) process; print what it ran into. */
static void report_one(const char *spec, const struct shmf_target *t)
{
    const char *name = strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec;

    world(t);
    struct outcome o = consume();
    if (shmf_rt_finding_count() != 0)
        printf("  %s: %s in %s: %s\n", name, shmf_kind_name(shmf_rt_finding(0)->kind),
               shmf_rt_finding(0)->function, shmf_rt_finding(0)->message);
    else if (o.bad != 0)
        printf("  %s: %lu segments not described by their SG list\n", name, (unsigned long)o.bad);
    else
        printf("  %s: clean (status %#x, %#x)\n", name, (unsigned)o.status[0],
               (unsigned)o.status[1]);
    fflush(stdout);
}

static void test_planted_providers(void **state)
{
    (void)state;
    for (int i = 0; i < nprov; i++) {
        struct shmf_target t;
        open_provider(provs[i], &t);
        fflush(stdout);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            report_one(provs[i], &t);
            _exit(0);
        }
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            printf("  %s: the run ended with %s %d\n",
                   strrchr(provs[i], '/') ? strrchr(provs[i], '/') + 1 : provs[i],
                   WIFSIGNALED(st) ? "signal" : "exit status",
                   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "clean") != 0 && strcmp(argv[1], "report") != 0)) {
        fprintf(stderr, "usage: test_wdk_vmq clean|report PROVIDER.so...\n");
        return 2;
    }
    report_mode = strcmp(argv[1], "report") == 0;
    provs = argv + 2;
    nprov = argc - 2;
    const struct CMUnitTest clean[] = {cmocka_unit_test(test_correct_providers)};
    const struct CMUnitTest report[] = {cmocka_unit_test(test_planted_providers)};
    return report_mode ? cmocka_run_group_tests(report, NULL, NULL)
                       : cmocka_run_group_tests(clean, NULL, NULL);
}
