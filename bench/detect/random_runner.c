/*
 * random_runner.c -- the unguided baseline of bench/detect: random op-stream
 * programs, generated from a seeded PRNG without coverage feedback, run with
 * shmf_exec_run against one linked-in provider until a finding of an expected
 * kind appears or the time budget ends.
 *
 * One executable per provider (bench_detect_random_<provider>, see
 * bench/CMakeLists.txt), built in the libfuzzer preset so it carries the same
 * sanitizers (ASan+UBSan) as the libFuzzer targets, without their coverage
 * instrumentation.
 *
 * Usage:
 *   bench_detect_random_<p> --seed S --seconds B --expect K1[,K2...|any]
 *                           [--start I] [--seeds DIR] [--out DIR] [--gen records|bytes]
 *
 * Program i of seed S is a pure function of (S, i): its generator is seeded with
 * splitmix64(S, i), so a run that died on a sanitizer report (the process cannot
 * go on) is continued by the driver with --start i+1.
 *
 * Generators (no feedback either way):
 *   records (default)  N records, each as the fuzzers' "insert a random record"
 *                      mutation makes it (uniform opcode, a quarter of the time one
 *                      of alloc/free/touch; alloc mostly plausible; fields from the
 *                      boundary-value table or uniform); the fault plan in the
 *                      header as the header mutation would set it, in 1 of 8.
 *   bytes              uniformly random bytes, decoded (every byte string is a
 *                      program).
 * N (records) or the byte length (bytes) is drawn from the seed corpus: the op
 * count / encoded size of a uniformly chosen seed of DIR, so random programs have
 * the same length distribution as the seeds the fuzzers start from.
 *
 * Output, one line on stderr per finding seen (expected or not):
 *   ==detect== kind=K t=SECONDS iter=I execs=N expected=0|1 crash=0|1
 * and at the end without an expected finding:
 *   ==detect== none t=SECONDS iter=I execs=N
 * Exit: 1 expected kind found, 0 budget over, 2 usage error; a sanitizer death
 * exits as the sanitizer does (after the line above, with crash=1).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crash.h"
#include "exec.h"
#include "mutator.h"
#include "report.h"

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE, NDIS_HANDLE);
VOID ShmfProviderUnload(NDIS_HANDLE) __attribute__((weak));
VOID ShmfProviderRingAdvance(void *, void *, ULONG) __attribute__((weak));
VOID ShmfProviderRingCancel(void *, void *, ULONG) __attribute__((weak));

#define MAX_SEEDS 4096
#define MAX_BYTES 65536

static unsigned seed_ops[MAX_SEEDS], seed_bytes[MAX_SEEDS], nseeds;
static const char *expect_list = "any";
static const char *out_dir;
static struct shmf_prog *cur;
static uint64_t cur_iter, execs;
static double t0;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* === Records: the same distribution as mutator.c's random record (insert) === */

static bool one_in(struct shmf_rng *r, uint64_t n)
{
    return shmf_rng_below(r, n) == 0;
}

static void random_record(struct shmf_op *op, struct shmf_rng *r)
{
    shmf_random_op(op, shmf_random_op_code(r), r);
}

static void random_header(struct shmf_header *h, struct shmf_rng *r)
{
    if (!one_in(r, 8))
        return;
    switch (shmf_rng_below(r, 3)) {
    case 0: h->fault_flags |= SHMF_FAULT_F_FIRST_PER_SITE; break;
    case 1: h->fail_nth = (uint16_t)(1 + shmf_rng_below(r, 16)); break;
    default: h->fail_every = (uint16_t)(1 + shmf_rng_below(r, 16)); break;
    }
}

static void gen_program(struct shmf_prog *p, uint64_t seed, uint64_t i, bool bytes)
{
    static uint8_t buf[MAX_BYTES];
    struct shmf_rng r;
    shmf_rng_seed(&r, seed ^ (i * 0xD1B54A32D192ED03ull));
    shmf_rng_next(&r);
    unsigned k = (unsigned)shmf_rng_below(&r, nseeds);
    if (bytes) {
        unsigned n = seed_bytes[k] < MAX_BYTES ? seed_bytes[k] : MAX_BYTES;
        for (unsigned j = 0; j < n; j++)
            buf[j] = (uint8_t)shmf_rng_next(&r);
        shmf_prog_decode(p, buf, n);
        return;
    }
    shmf_prog_init(p);
    random_header(&p->hdr, &r);
    unsigned n = seed_ops[k] < SHMF_OPS_MAX ? seed_ops[k] : SHMF_OPS_MAX;
    for (unsigned j = 0; j < n; j++)
        random_record(&p->ops[j], &r);
    p->nops = n;
}

/* === Seeds: only their length distribution is used === */

static void load_seeds(const char *dir)
{
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    static uint8_t buf[MAX_BYTES];
    struct shmf_prog *p = shmf_prog_new();
    while (d && (e = readdir(d)) != NULL && nseeds < MAX_SEEDS) {
        char path[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        shmf_prog_decode(p, buf, n);
        seed_ops[nseeds] = p->nops ? p->nops : 1;
        seed_bytes[nseeds] = (unsigned)n;
        nseeds++;
    }
    if (d)
        closedir(d);
    shmf_prog_free(p);
    if (nseeds == 0) { /* no seeds: 1..16 ops */
        for (unsigned i = 0; i < 16; i++) {
            seed_ops[i] = i + 1;
            seed_bytes[i] = SHMF_HEADER_SIZE + 8 * (i + 1);
        }
        nseeds = 16;
    }
}

/* === Findings === */

static bool expected(const char *kind)
{
    if (strcmp(expect_list, "any") == 0)
        return true;
    size_t n = strlen(kind);
    for (const char *p = expect_list; *p;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == n && strncmp(p, kind, n) == 0)
            return true;
        p += len + (c ? 1 : 0);
    }
    return false;
}

static void save_input(const char *tag)
{
    static uint8_t buf[MAX_BYTES * 2];
    size_t len = 0;
    if (!out_dir || !cur || shmf_prog_encode(cur, buf, sizeof(buf), &len) != 0)
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s-%llu", out_dir, tag, (unsigned long long)cur_iter);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, len, f);
        fclose(f);
    }
}

static void report(const char *kind, bool crash)
{
    static unsigned quiet;
    bool hit = expected(kind);
    if (!hit && !crash && ++quiet > 16) /* enough to see what else it finds */
        return;
    fprintf(stderr, "==detect== kind=%s t=%.4f iter=%llu execs=%llu expected=%d crash=%d\n", kind,
            now() - t0, (unsigned long long)cur_iter, (unsigned long long)execs, hit, crash);
    if (hit || crash)
        save_input(hit ? "found" : "crash");
}

static void crash_sink(const struct shmf_finding *f, void *ud)
{
    char kind[96];
    (void)ud;
    report(shmf_finding_kind_name(f, kind, sizeof(kind)), true);
}

static int usage(void)
{
    fprintf(stderr,
            "usage: bench_detect_random_<provider> --seed S --seconds B --expect K[,K..]|any "
            "[--start I] [--seeds DIR] [--out DIR] [--gen records|bytes]\n");
    return 2;
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, start = 0;
    double budget = 60;
    const char *seeds = NULL;
    bool bytes = false;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        if (!strcmp(a, "--seed"))
            seed = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--seconds"))
            budget = atof(v);
        else if (!strcmp(a, "--expect"))
            expect_list = v;
        else if (!strcmp(a, "--start"))
            start = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--seeds"))
            seeds = v;
        else if (!strcmp(a, "--out"))
            out_dir = v;
        else if (!strcmp(a, "--gen") && (!strcmp(v, "records") || !strcmp(v, "bytes")))
            bytes = !strcmp(v, "bytes");
        else
            return usage();
    }
    t0 = now();
    load_seeds(seeds);
    struct shmf_target t;
    memset(&t, 0, sizeof(t));
    t.provider.name = "linked";
    t.provider.set_options = ShmfProviderSetOptions;
    t.provider.unload = ShmfProviderUnload;
    t.ring_advance = (void *)ShmfProviderRingAdvance; /* ring_driver.c's, or the provider's */
    t.ring_cancel = (void *)ShmfProviderRingCancel;
    cur = shmf_prog_new();
    if (!cur)
        return 2;
    shmf_crash_install(crash_sink, NULL);
    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = NULL};
    struct shmf_exec_result res;
    for (cur_iter = start;; cur_iter++) {
        if ((execs & 15) == 0 && now() - t0 >= budget)
            break;
        gen_program(cur, seed, cur_iter, bytes);
        shmf_exec_run(&t, cur, &opts, &res);
        execs++;
        if (res.findings) {
            char kind[96];
            shmf_finding_kind_name(&res.first, kind, sizeof(kind));
            report(kind, false);
            if (expected(kind))
                return 1;
        }
    }
    fprintf(stderr, "==detect== none t=%.4f iter=%llu execs=%llu\n", now() - t0,
            (unsigned long long)cur_iter, (unsigned long long)execs);
    return 0;
}
