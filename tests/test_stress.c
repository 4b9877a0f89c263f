/*
 * test_stress.c -- the stress runner and the interleave engine (label `stress`).
 *
 * Usage: test_stress CASE SHMFUZZ REFERENCE_PROVIDER RACY_PROVIDER.so WORKDIR
 * Cases:
 *   reference-threads    2 threads, 20000 ops on the reference: exit 0, no finding.
 *   reference-threads64  64 threads on the reference: clean; 65 is a usage error.
 *   racy-threads         2 threads on the missing-lock provider: a finding.
 *   racy-interleave      interleave mode, fixed seed, twice: the same finding.
 *   reference-interleave interleave mode, 4 processors: clean and deterministic.
 *   engine               shmf_interleave_run itself: determinism, co-mutex, hang.
 *   tsan-reference       2 threads for ~5 s (registered for the tsan preset only).
 * Exit 0 pass, 1 fail (STYLE.md item 16).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stress.h"

#if defined(__SANITIZE_THREAD__)
#define SHMF_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SHMF_TEST_TSAN 1
#endif
#endif
#ifndef SHMF_TEST_TSAN
#define SHMF_TEST_TSAN 0
#endif

static int failures;

#define CHECK(cond_, ...)                                                                          \
    do {                                                                                           \
        if (!(cond_)) {                                                                            \
            fprintf(stderr, "%s:%d: check `%s` failed: ", __FILE__, __LINE__, #cond_);             \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a_, b_)                                                                       \
    CHECK((long long)(a_) == (long long)(b_), "`%s == %s` (%lld == %lld)", #a_, #b_,               \
          (long long)(a_), (long long)(b_))

static const char *shmfuzz, *ref_provider, *racy_provider, *workdir;

/* Run shmfuzz stress with args in its own output dir; returns the exit code. */
static int run_stress(const char *dir, const char *args)
{
    char cmd[4096];
    mkdir(dir, 0755);
    snprintf(cmd, sizeof(cmd),
             "%s stress --quiet --out %s --json %s/run.json %s >%s/stdout 2>%s/stderr", shmfuzz,
             dir, dir, args, dir, dir);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static json_t *load(const char *dir, const char *name)
{
    char path[4096];
    json_error_t e;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    json_t *j = json_load_file(path, 0, &e);
    if (!j)
        fprintf(stderr, "cannot load %s: %s\n", path, e.text);
    return j;
}

static void dump_dir(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "cat %s/stdout %s/stderr 1>&2", dir, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "(no output in %s)\n", dir);
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* === Cases driving the shmfuzz command === */

static void reference_threads(void)
{
    char dir[4096], args[1024];
    snprintf(dir, sizeof(dir), "%s/ref-threads", workdir);
    snprintf(args, sizeof(args), "--provider %s --threads 2 --ops 20000 --seed 7", ref_provider);
    int rc = run_stress(dir, args);
    CHECK_EQ_INT(rc, 0);
    json_t *run = load(dir, "run.json");
    CHECK(run != NULL, "run.json written");
    if (run) {
        CHECK_EQ_INT(json_integer_value(json_object_get(run, "execs")), 20000);
        CHECK_EQ_INT(json_array_size(json_object_get(run, "findings")), 0);
        CHECK_EQ_INT(json_array_size(json_object_get(run, "per_thread")), 2);
        CHECK(!strcmp(str(run, "schema"), "shmfuzz-run/1"), "schema %s", str(run, "schema"));
        CHECK(json_integer_value(json_object_get(json_object_get(run, "op_mix"), "alloc")) > 0,
              "op mix has allocs");
    }
    if (failures)
        dump_dir(dir);
    json_decref(run);
}

/* 64 processors (SHMF_MAX_CPUS), each attached as its own simulated processor
   with its own IRQL state, sharing every runtime home: clean, every processor ran. */
static void reference_threads64(void)
{
    char dir[4096], args[1024];
    snprintf(dir, sizeof(dir), "%s/ref-threads64", workdir);
    snprintf(args, sizeof(args), "--provider %s --threads 64 --ops 30000 --seed 9", ref_provider);
    int rc = run_stress(dir, args);
    CHECK_EQ_INT(rc, 0);
    json_t *run = load(dir, "run.json");
    CHECK(run != NULL, "run.json written");
    if (run) {
        CHECK_EQ_INT(json_array_size(json_object_get(run, "findings")), 0);
        CHECK_EQ_INT(json_integer_value(json_object_get(run, "threads")), 64);
        CHECK_EQ_INT(json_array_size(json_object_get(run, "per_thread")), 64);
    }
    snprintf(args, sizeof(args), "--provider %s --threads 65 --ops 10", ref_provider);
    CHECK_EQ_INT(run_stress(dir, args), 2);
    if (failures)
        dump_dir(dir);
    json_decref(run);
}

static void check_finding(const char *dir, json_t *f)
{
    CHECK(f != NULL, "stress-finding.json written");
    if (!f)
        return;
    CHECK(!strcmp(str(f, "schema"), "shmfuzz-finding/1"), "schema %s", str(f, "schema"));
    CHECK(!strcmp(str(f, "engine"), "stress"), "engine %s", str(f, "engine"));
    const char *kind = str(f, "kind");
    CHECK(!strcmp(kind, "list-corrupt") || !strcmp(kind, "use-after-free") ||
              !strncmp(kind, "crash", 5) || !strncmp(kind, "pool-", 5),
          "kind %s is one a corrupted list causes", kind);
    json_t *procs = json_object_get(f, "processors");
    CHECK_EQ_INT(json_array_size(procs), 2);
    size_t i;
    json_t *p;
    json_array_foreach(procs, i, p) {
        size_t n = json_array_size(json_object_get(p, "log"));
        CHECK(n > 0 && n <= SHMF_STRESS_LOG, "processor %zu log has %zu lines", i, n);
    }
    CHECK(json_object_get(f, "replay") != NULL, "replay attempt reported");
    (void)dir;
}

static void racy_threads(void)
{
    char dir[4096], args[1024];
    snprintf(dir, sizeof(dir), "%s/racy-threads", workdir);
    snprintf(args, sizeof(args), "--provider %s --threads 2 --seconds 60 --seed 3", racy_provider);
    int rc = run_stress(dir, args);
#if SHMF_TEST_TSAN
    /* TSan reports the race too and makes the exit status its own (66). */
    CHECK(rc == 1 || rc == 66, "rc %d, want 1 or TSan's 66", rc);
#else
    CHECK_EQ_INT(rc, 1);
#endif
    json_t *f = load(dir, "stress-finding.json");
    check_finding(dir, f);
    json_t *run = load(dir, "run.json");
    CHECK(run && json_array_size(json_object_get(run, "findings")) == 1, "run.json has it");
    if (failures)
        dump_dir(dir);
    json_decref(f);
    json_decref(run);
}

static void racy_interleave(void)
{
    char dir[2][4096], args[1024];
    json_t *f[2];
    snprintf(args, sizeof(args),
             "--provider %s --mode interleave --threads 2 --ops 50000 --seed 11", racy_provider);
    for (int k = 0; k < 2; k++) {
        snprintf(dir[k], sizeof(dir[k]), "%s/racy-interleave-%d", workdir, k);
        int rc = run_stress(dir[k], args);
        CHECK_EQ_INT(rc, 1);
        f[k] = load(dir[k], "stress-finding.json");
        check_finding(dir[k], f[k]);
    }
    if (f[0] && f[1]) {
        static const char *const same[] = {"kind", "signature", "function", "failing_op", "trace"};
        for (unsigned i = 0; i < sizeof(same) / sizeof(same[0]); i++)
            CHECK(!strcmp(str(f[0], same[i]), str(f[1], same[i])), "%s: '%s' vs '%s'", same[i],
                  str(f[0], same[i]), str(f[1], same[i]));
        CHECK(json_equal(json_object_get(f[0], "op_index"), json_object_get(f[1], "op_index")),
              "op_index equal");
        CHECK(json_equal(json_object_get(f[0], "cpu"), json_object_get(f[1], "cpu")), "cpu equal");
        CHECK(json_equal(json_object_get(f[0], "processors"), json_object_get(f[1], "processors")),
              "processor logs equal");
        printf("interleave finding (twice): %s at op %lld\n", str(f[0], "signature"),
               (long long)json_integer_value(json_object_get(f[0], "op_index")));
    }
    if (failures) {
        dump_dir(dir[0]);
        dump_dir(dir[1]);
    }
    json_decref(f[0]);
    json_decref(f[1]);
}

static void reference_interleave(void)
{
    char dir[2][4096], args[1024];
    json_t *run[2];
    snprintf(args, sizeof(args), "--provider %s --mode interleave --threads 4 --ops 5000 --seed 5",
             ref_provider);
    for (int k = 0; k < 2; k++) {
        snprintf(dir[k], sizeof(dir[k]), "%s/ref-interleave-%d", workdir, k);
        CHECK_EQ_INT(run_stress(dir[k], args), 0);
        run[k] = load(dir[k], "run.json");
    }
    if (run[0] && run[1]) {
        CHECK(json_equal(json_object_get(run[0], "op_mix"), json_object_get(run[1], "op_mix")),
              "same op mix");
        CHECK(json_equal(json_object_get(run[0], "contention"),
                         json_object_get(run[1], "contention")),
              "same switches and spins");
        CHECK(json_integer_value(
                  json_object_get(json_object_get(run[0], "contention"), "switches")) > 0,
              "coroutines switched");
    }
    if (failures)
        dump_dir(dir[0]);
    json_decref(run[0]);
    json_decref(run[1]);
}

static void tsan_reference(void)
{
    char dir[4096], args[1024];
    snprintf(dir, sizeof(dir), "%s/tsan-ref", workdir);
    snprintf(args, sizeof(args), "--provider %s --threads 2 --seconds 5", ref_provider);
    int rc = run_stress(dir, args);
    CHECK_EQ_INT(rc, 0);
    if (failures)
        dump_dir(dir);
}

/* === The engine itself === */

#define TRACE_MAX 4096
static unsigned trace[TRACE_MAX], ntrace;
static NDIS_SPIN_LOCK test_lock;
static struct shmf_co_mutex test_mutex;
static int in_mutex;

static void body_trace(unsigned cpu, void *ud)
{
    (void)ud;
    for (int i = 0; i < 200; i++) {
        KIRQL old;
        if (ntrace < TRACE_MAX)
            trace[ntrace++] = cpu;
        CHECK_EQ_INT(KeGetCurrentProcessorNumber(), cpu);
        PROCESSOR_NUMBER pn;
        CHECK_EQ_INT(KeGetCurrentProcessorNumberEx(&pn), cpu);
        CHECK(pn.Group == 0 && pn.Number == cpu, "group %u number %u", pn.Group, pn.Number);
        CHECK(cpu < KeQueryActiveProcessorCount(NULL), "cpu %u < active %lu", cpu,
              (unsigned long)KeQueryActiveProcessorCount(NULL));
        NdisAcquireSpinLock(&test_lock);
        NdisReleaseSpinLock(&test_lock);
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        KeLowerIrql(old);
        shmf_co_mutex_lock(&test_mutex);
        CHECK_EQ_INT(in_mutex, 0);
        in_mutex = 1;
        shmf_interleave_yield("test");
        in_mutex = 0;
        shmf_co_mutex_unlock(&test_mutex);
    }
}

static int leaked;

static void body_leak_lock(unsigned cpu, void *ud)
{
    (void)ud;
    if (cpu == 0) {
        NdisAcquireSpinLock(&test_lock); /* returns holding it */
        leaked = 1;
        return;
    }
    while (!leaked)
        shmf_interleave_yield("wait");
    NdisAcquireSpinLock(&test_lock); /* spins forever: hang */
    CHECK(0, "acquired a lock that is never released");
}

static void engine(void)
{
    struct shmf_interleave_stats st;
    struct shmf_interleave_opts o = {.ncpus = 3, .seed = 42};
    static unsigned first[TRACE_MAX];
    unsigned nfirst;
    for (int k = 0; k < 2; k++) {
        shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
        NdisAllocateSpinLock(&test_lock);
        ntrace = 0;
        CHECK_EQ_INT(shmf_interleave_run(&o, body_trace, NULL, &st), 0);
        CHECK_EQ_INT(shmf_rt_finding_count(), 0);
        CHECK_EQ_INT(ntrace, 600);
        CHECK(st.switches > 10, "switches %llu", (unsigned long long)st.switches);
        CHECK(!st.hang && !st.stopped, "ran to completion");
        if (k == 0) {
            memcpy(first, trace, sizeof(trace));
            nfirst = ntrace;
        } else {
            CHECK(nfirst == ntrace && !memcmp(first, trace, ntrace * sizeof(trace[0])),
                  "same seed, same schedule");
        }
    }
    o.seed = 43;
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    NdisAllocateSpinLock(&test_lock);
    ntrace = 0;
    shmf_interleave_run(&o, body_trace, NULL, &st);
    CHECK(memcmp(first, trace, ntrace * sizeof(trace[0])) != 0, "another seed, another schedule");

    /* A lock held after its owner finished: hang, and the run is abandoned. */
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    NdisAllocateSpinLock(&test_lock);
    struct shmf_interleave_opts h = {.ncpus = 2, .seed = 1, .spin_limit = 1000};
    CHECK_EQ_INT(shmf_interleave_run(&h, body_leak_lock, NULL, &st), 0);
    CHECK(st.hang, "hang detected");
    CHECK(shmf_rt_finding_count() >= 1 && shmf_rt_finding(0)->kind == SHMF_KIND_HANG,
          "hang finding");
    /* The engine is reusable after an abandoned run. */
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    NdisAllocateSpinLock(&test_lock);
    ntrace = 0;
    o.seed = 42;
    CHECK_EQ_INT(shmf_interleave_run(&o, body_trace, NULL, &st), 0);
    CHECK_EQ_INT(ntrace, 600);
    /* An explicit schedule is followed. */
    static const uint8_t choices[] = {1, 1, 1, 1};
    struct shmf_interleave_opts c = {
        .ncpus = 2, .seed = 9, .choices = choices, .nchoices = sizeof(choices)};
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    NdisAllocateSpinLock(&test_lock);
    ntrace = 0;
    CHECK_EQ_INT(shmf_interleave_run(&c, body_trace, NULL, &st), 0);
    CHECK_EQ_INT(trace[0], 1);
    CHECK_EQ_INT(
        shmf_interleave_run(&(struct shmf_interleave_opts){.ncpus = 0}, body_trace, NULL, &st),
        -EINVAL);
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: test_stress CASE SHMFUZZ REFERENCE RACY.so WORKDIR\n");
        return 2;
    }
    shmfuzz = argv[2];
    ref_provider = argv[3];
    racy_provider = argv[4];
    workdir = argv[5];
    mkdir(workdir, 0755);
    const char *c = argv[1];
    if (!strcmp(c, "reference-threads"))
        reference_threads();
    else if (!strcmp(c, "reference-threads64"))
        reference_threads64();
    else if (!strcmp(c, "racy-threads"))
        racy_threads();
    else if (!strcmp(c, "racy-interleave"))
        racy_interleave();
    else if (!strcmp(c, "reference-interleave"))
        reference_interleave();
    else if (!strcmp(c, "engine"))
        engine();
    else if (!strcmp(c, "tsan-reference"))
        tsan_reference();
    else {
        fprintf(stderr, "test_stress: unknown case %s\n", c);
        return 2;
    }
    printf("%s: %s\n", c, failures ? "FAIL" : "ok");
    return failures ? 1 : 0;
}
