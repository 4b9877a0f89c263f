/*
 * bench_verifier.c -- cost of the verifier: executions per second of the same
 * programs against the reference provider with every check on, and with the
 * checks off (the baseline), interleaved in one run so both see the same machine.
 *
 * Usage: bench_verifier SECONDS_PER_ROUND ROUNDS OUT.json
 * Programs: 64 deterministic random programs from the record-level mutator
 * (seeded), so the mix is the fuzzers' mix.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"
#include "mutator.h"
#include "report.h"

#define NPROGS 64

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE, NDIS_HANDLE);
VOID ShmfProviderUnload(NDIS_HANDLE);
VOID ShmfProviderRingAdvance(void *, void *, ULONG); /* ring_driver.c */
VOID ShmfProviderRingCancel(void *, void *, ULONG);

static struct shmf_prog *progs[NPROGS];

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
        progs[i]->hdr.fail_nth = 0; /* no injected faults: measure the checks */
    }
}

/* Run all programs repeatedly for `secs`; returns execs/s, adds ops to *ops. */
static double measure(const struct shmf_target *t, uint32_t flags, double secs, double *ops_s)
{
    struct shmf_exec_opts opts = {.verify_flags = flags, .trace = NULL};
    struct shmf_exec_result res;
    uint64_t execs = 0, ops = 0;
    double t0 = now(), t1;
    do {
        for (unsigned i = 0; i < NPROGS; i++, execs++) {
            shmf_exec_run(t, progs[i], &opts, &res);
            ops += res.ops_run;
        }
        t1 = now();
    } while (t1 - t0 < secs);
    *ops_s = (double)ops / (t1 - t0);
    return (double)execs / (t1 - t0);
}

static json_t *figure(const char *name, const char *unit, double value, double base)
{
    return json_pack("{s:s, s:s, s:f, s:f, s:f}", "name", name, "unit", unit, "value", value,
                     "baseline", base, "ratio", base > 0 ? value / base : 0.0);
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return fprintf(stderr, "usage: bench_verifier SECONDS ROUNDS OUT.json\n"), 2;
    double secs = atof(argv[1]);
    int rounds = atoi(argv[2]);
    struct shmf_target t = {{"reference", ShmfProviderSetOptions, ShmfProviderUnload, NULL},
                            (void *)ShmfProviderRingAdvance,
                            "",
                            (void *)ShmfProviderRingCancel};
    double on = 0, off = 0, on_ops = 0, off_ops = 0, x;
    make_programs();
    for (int r = 0; r < rounds; r++) { /* interleave to share the machine's noise */
        off += measure(&t, 0, secs, &x);
        off_ops += x;
        on += measure(&t, SHMF_VERIFY_F_ALL, secs, &x);
        on_ops += x;
    }
    on /= rounds, off /= rounds, on_ops /= rounds, off_ops /= rounds;
    json_t *figs = json_array();
    json_array_append_new(figs, figure("execs_per_s_verifier_on", "exec/s", on, off));
    json_array_append_new(figs, figure("ops_per_s_verifier_on", "op/s", on_ops, off_ops));
    json_array_append_new(figs, figure("slowdown_verifier_on", "x", off / on, 1.0));
    json_t *j = json_pack("{s:s, s:s, s:o, s:s, s:f, s:i, s:i}", "bench", "verifier", "baseline",
                          "verifier off (SHMF_VERIFY_F_* = 0), same programs, same run", "figures",
                          figs, "build", shmf_build_string(), "seconds_per_round", secs, "rounds",
                          rounds, "programs", NPROGS);
    int rc = shmf_json_write_atomic(j, argv[3]);
    printf("verifier on: %.0f exec/s, off: %.0f exec/s, slowdown %.2fx (target <= 2x)\n", on, off,
           off / on);
    json_decref(j);
    return rc ? 2 : 0;
}
