/*
 * interleave.h -- the deterministic interleaving engine (interleave.c), used by
 * the executor for programs with `cpu` ops (exec_interleave.c) and by the stress
 * runner's interleave mode (stress.c).
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
 * Abandoned coroutines never resume; their stacks are reused by the next run.
 *
 * Calls: the runtime (yield hook, processors) and co_context.h.  Not reentrant:
 * one run per process at a time (the yield hook is global).
 */
#ifndef SHMF_INTERLEAVE_H
#define SHMF_INTERLEAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shmfuzz/runtime.h"

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
int shmf_interleave_run(const struct shmf_interleave_opts *o, shmf_interleave_fn fn, void *ud,
                        struct shmf_interleave_stats *st);
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

#endif /* SHMF_INTERLEAVE_H */
