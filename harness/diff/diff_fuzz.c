/*
 * diff_fuzz.c -- differential mode in the engine targets (fuzz_common.h):
 *
 *   SHMFUZZ_AGAINST=P2        compare each input with provider P2 (name or .so)
 *   SHMFUZZ_ALLOW=F1[:F2...]  rules files (docs/differential.md)
 *   SHMFUZZ_DIFF_STATS=DIR    write DIR/diff-<pid>.json (shmf_diff_stats_json)
 *                             every few seconds and at exit, for campaign.json
 *
 * The engines steer toward divergence: every difference the comparison sees
 * (allowed or not) and every alloc's pair of outcomes is a coverage feature,
 * through libFuzzer's extra counters and, in AFL++ builds, the AFL++ map, so
 * an input that makes the providers part in a new way is kept.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../fuzz/fuzz_common.h"
#include "diff.h"
#include "report.h"

#define FEATURES 4096
#define STATS_EVERY_S 5

/* libFuzzer reads the bytes of this section as extra coverage counters. */
__attribute__((section("__libfuzzer_extra_counters"), used)) static uint8_t counters[FEATURES];
/* The AFL++ map and its size, looked up at run time in AFL++ builds (absent
   elsewhere).  Not declared here: afl-clang-fast's pass owns those names, and a
   weak declaration in instrumented code is renamed (__afl_area_ptr.N) and fails
   to link. */
static uint8_t **afl_area;
static uint32_t *afl_map_size;

static struct shmf_diff diff;
static bool on;
static char stats_path[PATH_MAX];
static time_t stats_last;

static void feature(void *ud, uint32_t hash)
{
    (void)ud;
    uint8_t *c = &counters[hash % FEATURES];
    if (*c != 0xff)
        (*c)++;
    if (afl_area && *afl_area && afl_map_size && *afl_map_size)
        (*afl_area)[hash % *afl_map_size]++;
}

static void write_stats(void)
{
    if (!stats_path[0])
        return;
    json_t *j = shmf_diff_stats_json(&diff);
    if (j)
        shmf_json_write_atomic(j, stats_path);
    json_decref(j);
    stats_last = time(NULL);
}

/* Every rules file of a colon-separated list. */
static int load_rules(const char *list, char *err, size_t n)
{
    char *copy = strdup(list), *save = NULL;
    int rc = copy ? 0 : -1;
    for (char *f = copy ? strtok_r(copy, ":", &save) : NULL; f && rc == 0;
         f = strtok_r(NULL, ":", &save))
        rc = shmf_diff_rules_load(&diff.rules, f, err, n);
    free(copy);
    return rc;
}

int shmf_fuzz_diff_init(void)
{
    const char *against = getenv("SHMFUZZ_AGAINST"), *allow = getenv("SHMFUZZ_ALLOW");
    const char *dir = getenv("SHMFUZZ_DIFF_STATS");
    char err[600];
    if (!against || !*against)
        return 0;
    if (shmf_diff_open(&diff, against, NULL, 0, err, sizeof(err)) != 0 ||
        (allow && *allow && load_rules(allow, err, sizeof(err)) != 0)) {
        fprintf(stderr, "shmfuzz: SHMFUZZ_AGAINST: %s\n", err);
        return -1;
    }
    diff.feature = feature;
    afl_area = (uint8_t **)dlsym(RTLD_DEFAULT, "__afl_area_ptr");
    afl_map_size = (uint32_t *)dlsym(RTLD_DEFAULT, "__afl_map_size");
    if (dir && *dir) {
        snprintf(stats_path, sizeof(stats_path), "%s/diff-%ld.json", dir, (long)getpid());
        atexit(write_stats);
    }
    on = true;
    return 0;
}

int shmf_fuzz_diff_run(const struct shmf_target *t, const struct shmf_prog *prog,
                       const struct shmf_exec_opts *opts, struct shmf_exec_result *res)
{
    if (!on)
        return 0;
    shmf_diff_run(&diff, t, prog, opts, res);
    if (stats_path[0] && ((diff.counts.runs & 255) == 0 || res->findings) &&
        time(NULL) - stats_last >= STATS_EVERY_S)
        write_stats();
    if (res->findings && stats_path[0])
        write_stats(); /* the engine aborts next */
    return 1;
}
