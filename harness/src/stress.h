/*
 * stress.h -- the multi-processor stress runner (`shmfuzz stress`) and the
 * deterministic interleaving engine it shares with the executor.
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
#include "opstream.h"

/* === Deterministic interleaving (stress_interleave.c) ===
 *
 * shmf_interleave_run runs fn(cpu, ud) for cpu = 0..ncpus-1 as coroutines on the
 * calling thread, each attached to simulated processor `cpu`.  While it runs it
 * owns the runtime's yield hook: at every scheduling point the running
 * coroutine may hand the processor to another one, chosen from `choices` while
 * they last, then from a splitmix64 PRNG seeded with `seed`.  Spinning on a
 * spin lock (point "spin") always switches to another coroutine.  A coroutine
 * that spins more than spin_limit times in a row with no progress elsewhere
 * (the lock's owner finished or was abandoned) is a deadlock: a `hang` finding
 * is recorded and the run is abandoned.  shmf_interleave_stop() (e.g. from a
 * finding handler) abandons every coroutine at its next scheduling point.
 * Abandoned coroutines never resume; their stacks are reused by the next run. */

#define SHMF_INTERLEAVE_STACK (1u << 20) /* per coroutine */

struct shmf_interleave_opts {
    unsigned ncpus;           /* 1..SHMF_MAX_CPUS */
    uint64_t seed;            /* scheduler PRNG */
    const uint8_t *choices;   /* optional schedule: one byte per decision */
    size_t nchoices;          /* 0: PRNG only */
    unsigned switch_permille; /* chance to switch at a non-spin point; 0: 500 */
    uint64_t spin_limit;      /* consecutive spins before `hang`; 0: 100000 */
};

struct shmf_interleave_stats {
    uint64_t points;    /* scheduling points seen */
    uint64_t switches;  /* coroutine switches */
    uint64_t spins;     /* "spin" points (a lock held by another processor) */
    uint64_t contended; /* acquires that had to spin at least once */
    bool hang;          /* abandoned on a deadlock */
    bool stopped;       /* abandoned by shmf_interleave_stop */
};

typedef void (*shmf_interleave_fn)(unsigned cpu, void *ud);

/* Run the coroutines to completion (or until stopped).  Returns 0, -EINVAL
   (bad ncpus), -EBUSY (already running) or -ENOMEM.  The calling thread is
   attached to processor 0 afterwards. */
int shmf_interleave_run(const struct shmf_interleave_opts *o, shmf_interleave_fn fn,
                        void *ud, struct shmf_interleave_stats *st);
/* Abandon the run at the next scheduling point.  Safe from a finding handler. */
void shmf_interleave_stop(void);
/* True inside a coroutine of a running shmf_interleave_run. */
bool shmf_interleave_active(void);
/* A scheduling point raised by the harness itself (same rules as the runtime's;
   a point named "spin" or "wait" always switches away). */
void shmf_interleave_yield(const char *point);

/* A harness lock for state shared between coroutines (e.g. the NIC model):
   waiting on it switches to another coroutine instead of blocking the thread.
   Zero-initialised is unlocked.  Outside a run it is a no-op flag. */
struct shmf_co_mutex {
    int held;
};
void shmf_co_mutex_lock(struct shmf_co_mutex *m);
void shmf_co_mutex_unlock(struct shmf_co_mutex *m);

/* === The stress runner (stress.c) === */

enum shmf_stress_mode { SHMF_STRESS_THREADS, SHMF_STRESS_INTERLEAVE };

#define SHMF_STRESS_LOG 64        /* ops per processor shown in finding.json */
#define SHMF_STRESS_LOG_KEEP 1024 /* ops per processor kept for the replay */

struct shmf_stress_opts {
    const struct shmf_target *target;
    const char *provider;   /* as given on the command line, for reports */
    unsigned threads;       /* 1..SHMF_MAX_CPUS */
    double seconds;         /* time bound; 0: none */
    uint64_t ops;           /* total op bound; 0: none (one of the two is set) */
    uint64_t seed;
    enum shmf_stress_mode mode;
    uint32_t verify_flags;  /* SHMF_VERIFY_F_* */
    bool progress;          /* a status line on stderr once a second */
    const char *out_dir;    /* stress-finding.json, stress-repro.ops; NULL: "." */
    const char *json_out;   /* run.json path (also written on a crash); may be NULL */
    volatile sig_atomic_t *interrupted; /* set by SIGINT; may be NULL */
};

struct shmf_stress_result {
    unsigned findings;
    struct shmf_finding first;
    bool replayed;          /* a serialized replay reproduced the finding kind */
    bool hang;              /* processors never stopped (threads left running) */
    json_t *run;            /* run.json object (owned by the caller) */
    int write_error;        /* 0, or -errno: a report could not be written */
    char write_failed[4096]; /* ... this one */
};

/* Run the stress test.  Returns 0 (result filled, possibly with a finding) or
   a negative errno when the world could not be set up. */
int shmf_stress_run(const struct shmf_stress_opts *o, struct shmf_stress_result *r);

#endif /* SHMF_STRESS_H */
