/*
 * stress_internal.h -- private to the stress runner (stress.c, stress_ops.c,
 * stress_report.c): the shared world, processor and guarded-buffer types, and
 * the functions used across those files.  See stress.c for the sharing rules.
 */
#ifndef SHMF_STRESS_INTERNAL_H
#define SHMF_STRESS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exit_codes.h"
#include "crash.h"
#include "mutator.h"
#include "nic.h"
#include "ops.h"
#include "report.h"
#include "stress.h"

#define ST_SOFT_BLOCKS 48 /* above this, an alloc is generated as a free */
#define ST_HANG_SECONDS 10.0
#define ST_JOIN_SECONDS 3.0

struct log_ent {
    uint64_t seq;
    struct shmf_op op;
};

/* One per processor, written by its thread on every op: own cache lines (the
   array is allocated 64-byte aligned), the monitor's fields on a line apart. */
struct st_cpu {
    struct st_world *w;
    unsigned index;
    pthread_t th;
    bool started;
    struct shmf_rng rng;
    struct shmf_ops_cpu oc; /* raise stack, work list, guarded buffers */
    struct log_ent log[SHMF_STRESS_LOG_KEEP];
    uint64_t nlog;
    uint64_t ops; /* written by the owner, read relaxed by the monitor */
    uint64_t mix[SHMF_OP_COUNT];
    uint64_t spins, contended;
    bool spinning;
    uint64_t cur_seq;
    struct shmf_op cur_op;
    bool in_op;
    atomic_bool finished;
    _Alignas(64) uint64_t hang_ops; /* the monitor's */
    double hang_since;
} __attribute__((aligned(64)));

struct st_world {
    struct shmf_ops_world ow; /* first: the op engine's callbacks get &ow */
    struct shmf_ops_policy pol;
    const struct shmf_stress_opts *o;
    bool interleave;
    _Alignas(64) atomic_uint_fast64_t issued; /* bumped by every op: own line */
    _Alignas(64) atomic_bool stop;
    atomic_bool time_up;
    atomic_bool in_teardown;
    struct st_cpu *cpus;
    unsigned ncpus;
    double t0, t_end, last_progress;
    /* first finding, as seen by the finding handler */
    bool have_first;
    bool first_teardown;
    uint64_t first_seq;
    struct shmf_op first_op;
    struct shmf_interleave_stats il;
    json_t *finding_json;
    bool crashed;
};

/* stress.c */
bool shmf__stopping(struct st_world *w);

/* stress_ops.c: the op engine's policy for the stress runner */
void shmf__stress_policy(struct st_world *w);

/* stress_report.c */
json_t *shmf__finding_json(struct st_world *w, const struct shmf_finding *f, bool replay);
json_t *shmf__run_json(struct st_world *w, double duration);
void shmf__print_finding(struct st_world *w, const struct shmf_finding *f);
/* stress-finding.json (when there is a finding) and the run JSON (run_path, when
   given).  Returns 0, or -errno with the path that could not be written in
   failed. */
int shmf__write_reports(struct st_world *w, double duration, const char *run_path, char *failed,
                        size_t n);
void shmf__progress(struct st_world *w, double t);

#endif
