/*
 * diff.h -- differential mode: one program through two providers, compared op
 * by op (docs/differential.md).
 *
 * The program runs on the provider under test ("provider", side 0) in a fresh
 * world with an observer recording each op's observable outcome as one value
 * per property of diff_props.h; the world is reset and the same program, with
 * the same fault plan, runs on the other provider ("against", side 1).  The two
 * records are compared op by op.  The result is a shmf_exec_result as
 * shmf_exec_run gives it:
 *   - the provider's own first finding, when it has one (a verifier kind says
 *     more than any difference);
 *   - otherwise the first difference that no rule allows, as a finding of kind
 *     `divergence` whose function (the place in its signature) is
 *     "<op>:<property>[:<detail>]", e.g. "alloc:accepted:length-zero";
 *   - otherwise none.
 * Allowed differences are counted per rule (shmf_diff_stats_json).
 *
 * Conventions: int functions return 0 or a negative errno with a one-line
 * reason in err.  Not reentrant (the executor is not).
 */
#ifndef SHMF_DIFF_H
#define SHMF_DIFF_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diff_props.h"
#include "exec.h"

#define SHMF_DIFF_SIDES 2
#define SHMF_DIFF_MAX_RULES 64

struct shmf_diff_rules; /* diff_rules.c */
struct diff_ev;         /* one op's record (diff.c) */

/* One side's record of the last run. */
struct shmf_diff_side {
    const char *name;   /* provider name or path, for reports */
    struct diff_ev *ev; /* events in the order they ran */
    uint32_t nev, cap;
    bool keep_text;    /* also format each outcome (replay) */
    bool pf_vports;    /* its characteristics declare PF VPorts */
    uint64_t injected; /* faults injected so far in the world */
    struct shmf_exec_result res;
};

/* The first difference no rule allows. */
struct shmf_diff_divergence {
    int32_t op_index; /* the op (nops: teardown) */
    uint32_t event;   /* index in both sides' events */
    enum shmf_diff_prop prop;
    uint8_t value[SHMF_DIFF_SIDES];
    char place[64]; /* "<op>:<property>[:<detail>]" */
};

/* Counters over every run since shmf_diff_open. */
struct shmf_diff_counts {
    uint64_t runs, events, divergences, desyncs, interleaved_skipped;
    uint64_t allowed_by_prop[SHMF_DIFF_PROP_COUNT];
    uint64_t allowed_by_rule[SHMF_DIFF_MAX_RULES];
};

struct shmf_diff {
    struct shmf_target against;
    struct shmf_diff_rules *rules;
    struct shmf_diff_side side[SHMF_DIFF_SIDES];
    struct shmf_diff_counts counts;
    bool diverged; /* last run */
    struct shmf_diff_divergence div;
    /* Called for each difference seen (allowed or not) and each alloc's pair
       of status classes: distinct values are coverage features for the
       engines (harness/fuzz).  NULL: none. */
    void (*feature)(void *ud, uint32_t hash);
    void *feature_ud;
};

/* Open the provider to compare against (a name or a .so, as --provider) and
   read the rules files (none: every difference is a divergence).  Returns 0,
   -ENOENT / -EINVAL (provider), or -EINVAL / -errno (rules) with err set. */
int shmf_diff_open(struct shmf_diff *d, const char *against, const char *const *allow,
                   unsigned nallow, char *err, size_t errlen);
void shmf_diff_close(struct shmf_diff *d);

/* Run prog on `provider` then on d->against, compare, and fill res (see the
   top).  opts as for shmf_exec_run (its observer is the differ's own). */
void shmf_diff_run(struct shmf_diff *d, const struct shmf_target *provider,
                   const struct shmf_prog *prog, const struct shmf_exec_opts *opts,
                   struct shmf_exec_result *res);

/* Names from the tables. */
const char *shmf_diff_prop_name(enum shmf_diff_prop p);
const char *shmf_diff_prop_description(enum shmf_diff_prop p);
const char *shmf_diff_value_name(unsigned v);
const char *shmf_diff_reason_name(unsigned r);
int shmf_diff_prop_from_name(const char *name);  /* or -1 */
int shmf_diff_value_from_name(const char *name); /* or -1 */

/* === Rules (diff_rules.c) === */

/* Read a rules file (format in docs/differential.md), appending to *rules
   (allocated when NULL).  Returns 0, or -EINVAL with "FILE:LINE: reason" in
   err, or -errno when it cannot be read. */
int shmf_diff_rules_load(struct shmf_diff_rules **rules, const char *path, char *err,
                         size_t errlen);
void shmf_diff_rules_free(struct shmf_diff_rules *rules);
unsigned shmf_diff_rules_count(const struct shmf_diff_rules *rules);
/* "FILE:LINE" and the rule's text. */
const char *shmf_diff_rule_where(const struct shmf_diff_rules *rules, unsigned i);
const char *shmf_diff_rule_text(const struct shmf_diff_rules *rules, unsigned i);

/* === Reports (diff_report.c) === */

/* finding.json's "differential" object for the last run (NULL when it did not
   diverge): both providers, the property, both outcomes, both traces. */
json_t *shmf_diff_finding_json(const struct shmf_diff *d, const struct shmf_prog *prog);
/* The counters: runs, events, divergences, allowed differences per property
   and per rule ("FILE:LINE" -> {rule, count}). */
json_t *shmf_diff_stats_json(const struct shmf_diff *d);
/* The two outcomes of every op side by side, the diverging op marked with '>'
   (needs keep_text on both sides during the run). */
void shmf_diff_print(FILE *f, const struct shmf_diff *d, const struct shmf_prog *prog);
/* One line per side: "<name>: <outcome of the diverging op>". */
void shmf_diff_print_outcomes(FILE *f, const struct shmf_diff *d);

/* === Commands (diff_cmd.c): replay and minimize with --against === */

/* Whether argv asks for differential mode (--against/-A given). */
bool shmf_diff_wanted(int argc, char **argv);
int shmf_diff_cmd_replay(int argc, char **argv);
int shmf_diff_cmd_minimize(int argc, char **argv);

#endif /* SHMF_DIFF_H */
