/*
 * bench_diff.c -- cost of differential mode: executions per second of the same
 * programs run differentially (the provider, then the reference, compared op
 * by op with the shipped rules) against the provider run alone (the
 * baseline), interleaved in one run so both see the same machine.  The issue's
 * target: differential >= 0.4x single.
 *
 * Usage: bench_diff PROVIDER_DIR RULES SECONDS_PER_ROUND ROUNDS OUT.json
 * Programs: 64 deterministic random programs from the record-level mutator
 * (seeded, as bench/verifier), with their fault plans.
 * Pairs: reference / reference, alt_pfvport / reference, alt_small / reference.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff.h"
#include "mutator.h"
#include "report.h"
#include "target.h"

#define NPROGS 64

static struct shmf_prog *progs[NPROGS];
static const char *pairs[][2] = {
    {"reference", "reference"}, {"alt_pfvport", "reference"}, {"alt_small", "reference"}};
#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void make_programs(void)
{
    uint8_t buf[2048];
    for (unsigned i = 0; i < NPROGS; i++) {
        size_t n = 8;
        memset(buf, 0, sizeof(buf));
        for (unsigned k = 0; k < 24; k++)
            n = shmf_mutate(buf, n, sizeof(buf), i * 1000 + k);
        progs[i] = shmf_prog_new();
        shmf_prog_decode(progs[i], buf, n);
    }
}

/* Every program repeatedly for secs: exec/s, alone (d NULL) or against d's. */
static double measure(const struct shmf_target *t, struct shmf_diff *d, double secs,
                      uint64_t *divergences)
{
    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL};
    struct shmf_exec_result res;
    uint64_t execs = 0;
    double t0 = now(), t1;
    do {
        for (unsigned i = 0; i < NPROGS; i++, execs++) {
            if (d) {
                shmf_diff_run(d, t, progs[i], &opts, &res);
                *divergences += d->diverged;
            } else {
                shmf_exec_run(t, progs[i], &opts, &res);
            }
        }
        t1 = now();
    } while (t1 - t0 < secs);
    return (double)execs / (t1 - t0);
}

static int open_pair(const char *dir, const char *rules, unsigned k, struct shmf_target *t,
                     struct shmf_diff *d)
{
    char a[1024], b[1024], err[600];
    const char *allow[1] = {rules};
    snprintf(a, sizeof(a), "%s/libshmfprov_%s.so", dir, pairs[k][0]);
    snprintf(b, sizeof(b), "%s/libshmfprov_%s.so", dir, pairs[k][1]);
    if (shmf_target_open(a, t, err, sizeof(err)) != 0 ||
        shmf_diff_open(d, b, allow, 1, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_diff: %s\n", err);
        return -1;
    }
    t->provider.name = pairs[k][0];
    d->side[1].name = pairs[k][1];
    return 0;
}

static json_t *figure(const char *name, const char *unit, double value, double base)
{
    return json_pack("{s:s, s:s, s:f, s:f, s:f}", "name", name, "unit", unit, "value", value,
                     "baseline", base, "ratio", base > 0 ? value / base : 0.0);
}

int main(int argc, char **argv)
{
    if (argc != 6)
        return fprintf(stderr, "usage: bench_diff PROVIDER_DIR RULES SECONDS ROUNDS OUT.json\n"), 2;
    double secs = atof(argv[3]), worst = 1e9;
    int rounds = atoi(argv[4]);
    json_t *figs = json_array(), *divs = json_object();
    make_programs();
    for (unsigned k = 0; k < NPAIRS; k++) {
        struct shmf_target t;
        struct shmf_diff d;
        double single = 0, diff = 0;
        uint64_t ndiv = 0;
        if (open_pair(argv[1], argv[2], k, &t, &d) != 0)
            return 2;
        for (int r = 0; r < rounds; r++) { /* interleaved: the same noise for both */
            single += measure(&t, NULL, secs, NULL);
            diff += measure(&t, &d, secs, &ndiv);
        }
        single /= rounds, diff /= rounds;
        char name[128];
        snprintf(name, sizeof(name), "execs_per_s_differential_%s_vs_%s", pairs[k][0], pairs[k][1]);
        json_array_append_new(figs, figure(name, "exec/s", diff, single));
        json_object_set_new(divs, name, json_integer((json_int_t)ndiv));
        printf("%-12s vs %-9s: differential %7.0f exec/s, alone %7.0f exec/s: %.2fx "
               "(target >= 0.4x), %llu divergences\n",
               pairs[k][0], pairs[k][1], diff, single, diff / single, (unsigned long long)ndiv);
        if (diff / single < worst)
            worst = diff / single;
        shmf_diff_close(&d);
    }
    json_t *j = json_pack(
        "{s:s, s:s, s:o, s:o, s:f, s:f, s:b, s:s, s:f, s:i, s:i}", "bench", "diff", "baseline",
        "the provider alone (shmf_exec_run), same programs, same run", "figures", figs,
        "divergences", divs, "ratio_min", worst, "target", 0.4, "met", worst >= 0.4, "build",
        shmf_build_string(), "seconds_per_round", secs, "rounds", rounds, "programs", NPROGS);
    int rc = shmf_json_write_atomic(j, argv[5]);
    json_decref(j);
    return rc ? 2 : worst >= 0.4 ? 0 : 1;
}
