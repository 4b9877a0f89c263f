/*
 * stress.h -- the multi-processor stress runner (`shmfuzz stress`).  Its
 * interleave mode runs on the interleaving engine (interleave.h), which the
 * executor shares.
 *
 * Two modes, one world (DESIGN.md "The world of one input", shared by every
 * simulated processor instead of run per input):
 *   threads     T OS threads, each a simulated processor (shmf_rt_cpu_attach),
 *               really concurrent; finds races by probability.
 *   interleave  T coroutines on one OS thread, switched at the runtime's
 *               scheduling points (shmf_rt_set_yield_hook) by a seeded PRNG;
 *               the same seed and op budget give the same run and finding.
 *
 * Contract for every function here: pointer arguments are non-NULL unless
 * stated; int functions return 0 or a negative errno.  Not reentrant: one stress
 * run or interleave run per process at a time (the yield hook is global).
 */
#ifndef SHMF_STRESS_H
#define SHMF_STRESS_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "exec.h"
#include "interleave.h"
#include "opstream.h"

/* === The stress runner (stress.c) === */

enum shmf_stress_mode { SHMF_STRESS_THREADS, SHMF_STRESS_INTERLEAVE };

#define SHMF_STRESS_LOG 64        /* ops per processor shown in finding.json */
#define SHMF_STRESS_LOG_KEEP 1024 /* ops per processor kept for the replay */

struct shmf_stress_opts {
    const struct shmf_target *target;
    const char *provider; /* as given on the command line, for reports */
    unsigned threads;     /* 1..SHMF_MAX_CPUS */
    double seconds;       /* time bound; 0: none */
    uint64_t ops;         /* total op bound; 0: none (one of the two is set) */
    uint64_t seed;
    enum shmf_stress_mode mode;
    uint32_t verify_flags;              /* SHMF_VERIFY_F_* */
    bool progress;                      /* a status line on stderr once a second */
    const char *out_dir;                /* stress-finding.json, stress-repro.ops; NULL: "." */
    const char *json_out;               /* run.json path (also written on a crash); may be NULL */
    volatile sig_atomic_t *interrupted; /* set by SIGINT; may be NULL */
};

struct shmf_stress_result {
    unsigned findings;
    struct shmf_finding first;
    bool replayed;           /* a serialized replay reproduced the finding kind */
    bool hang;               /* processors never stopped (threads left running) */
    json_t *run;             /* run.json object (owned by the caller) */
    int write_error;         /* 0, or -errno: a report could not be written */
    char write_failed[4096]; /* ... this one */
};

/* Run the stress test.  Returns 0 (result filled, possibly with a finding) or
   a negative errno when the world could not be set up. */
int shmf_stress_run(const struct shmf_stress_opts *o, struct shmf_stress_result *r);

#endif /* SHMF_STRESS_H */
