/*
 * cmd_stress.c -- `shmfuzz stress`: several simulated processors against one
 * provider in one world (see stress.h, docs/stress.md).
 * Exit: 0 clean, 1 finding, 2 usage or environment error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "stress.h"
#include "target.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-')
        return -EINVAL;
    *out = v;
    return 0;
}

#define SHMF_STRESS_MAX_SECONDS (30.0 * 86400) /* as scripts/campaign.sh --time */

/* One option of stress into o; SHMF_CONTINUE or an exit code. */
static int stress_option(struct shmf_stress_opts *o, int c, const char *arg, bool *quiet)
{
    uint64_t v;
    char *end;
    switch (c) {
    case 'p': o->provider = arg; break;
    case 't':
        if (parse_u64(arg, &v) || v < 1 || v > SHMF_MAX_CPUS)
            return shmf_usage_error("stress: --threads must be 1..%d, not '%s'", SHMF_MAX_CPUS,
                                    arg);
        o->threads = (unsigned)v;
        break;
    case 's':
        o->seconds = strtod(arg, &end);
        if (end == arg || *end || !isfinite(o->seconds) || !(o->seconds > 0) ||
            o->seconds > SHMF_STRESS_MAX_SECONDS)
            return shmf_usage_error("stress: --seconds must be a number in (0, %.0f], not '%s'",
                                    SHMF_STRESS_MAX_SECONDS, arg);
        break;
    case 'n':
        if (parse_u64(arg, &o->ops) || o->ops == 0)
            return shmf_usage_error("stress: --ops must be a positive integer, not '%s'", arg);
        break;
    case 'S':
        if (parse_u64(arg, &o->seed))
            return shmf_usage_error("stress: --seed must be an unsigned integer, not '%s'", arg);
        break;
    case 'j': o->json_out = arg; break;
    case 'o': o->out_dir = arg; break;
    case 'm':
        if (!strcmp(arg, "threads"))
            o->mode = SHMF_STRESS_THREADS;
        else if (!strcmp(arg, "interleave"))
            o->mode = SHMF_STRESS_INTERLEAVE;
        else
            return shmf_usage_error("stress: --mode must be threads or interleave, not '%s'", arg);
        break;
    case 'q': *quiet = true; break;
    case 'V': o->verify_flags = 0; break;
    case 'h': return shmf_print_usage("stress");
    default: return SHMF_EXIT_USAGE;
    }
    return SHMF_CONTINUE;
}

/* Options, then the checks that need no provider: SHMF_CONTINUE or an exit code. */
static int stress_args(struct shmf_stress_opts *o, int argc, char **argv, bool *quiet)
{
    static const struct option lopts[] = {
        {"provider", required_argument, 0, 'p'}, {"threads", required_argument, 0, 't'},
        {"seconds", required_argument, 0, 's'},  {"ops", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 'S'},     {"json", required_argument, 0, 'j'},
        {"mode", required_argument, 0, 'm'},     {"out", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},          {"verify-off", no_argument, 0, 'V'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    char err[PATH_MAX + 200];
    int c, rc;
    optind = 1;
    while ((c = shmf_getopt("stress", argc, argv, "p:t:s:n:S:j:m:o:qh", lopts)) != -1)
        if ((rc = stress_option(o, c, optarg, quiet)) != SHMF_CONTINUE)
            return rc;
    if (optind < argc)
        return shmf_usage_error("stress: unexpected argument '%s'", argv[optind]);
    if (!o->provider || !o->provider[0])
        return shmf_usage_error("stress: --provider P is required (or set SHMFUZZ_PROVIDER)");
    if (o->seconds == 0 && o->ops == 0)
        o->seconds = 10;
    if (o->out_dir && shmf_check_output_dir(o->out_dir, err, sizeof(err)) != 0)
        return shmf_usage_error("stress: --out %s", err);
    if (o->json_out && shmf_check_output_file(o->json_out, err, sizeof(err)) != 0)
        return shmf_usage_error("stress: %s", err);
    return SHMF_CONTINUE;
}

int shmf_cmd_stress(int argc, char **argv)
{
    struct shmf_stress_opts o;
    struct shmf_target target;
    bool quiet = false;
    char err[PATH_MAX + 200], spec[PATH_MAX];
    memset(&o, 0, sizeof(o));
    o.provider = getenv("SHMFUZZ_PROVIDER");
    o.threads = 2;
    o.seed = 1;
    o.verify_flags = SHMF_VERIFY_F_ALL;
    o.mode = SHMF_STRESS_THREADS;
    int rc = stress_args(&o, argc, argv, &quiet);
    if (rc != SHMF_CONTINUE)
        return rc;
    if (shmf_target_open(shmf_provider_arg(o.provider, spec, sizeof(spec)), &target, err,
                         sizeof(err)) != 0)
        return shmf_usage_error("%s", err);
    o.target = &target;
    o.progress = !quiet && isatty(STDERR_FILENO);
    o.interrupted = &interrupted;

    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);

    struct shmf_stress_result r;
    rc = shmf_stress_run(&o, &r);
    sigaction(SIGINT, &old, NULL);
    if (rc)
        return shmf_usage_error("stress: cannot run: %s", strerror(-rc));
    if (!quiet) {
        json_t *run = r.run;
        printf("stress: %s mode, %u processors, %.1f s, %lld ops (%.0f ops/s), %u finding(s)\n",
               o.mode == SHMF_STRESS_INTERLEAVE ? "interleave" : "threads", o.threads,
               json_real_value(json_object_get(run, "duration_s")),
               (long long)json_integer_value(json_object_get(run, "execs")),
               json_real_value(json_object_get(run, "exec_per_s")), r.findings);
    }
    json_decref(r.run);
    int code = r.findings ? SHMF_EXIT_FINDING : SHMF_EXIT_CLEAN;
    /* A report that could not be written: never a clean (or finding) exit. */
    if (r.write_error)
        code = shmf_usage_error("stress: cannot write %s: %s", r.write_failed,
                                strerror(-r.write_error));
    if (r.hang) {
        /* Processors are still spinning: leave without running exit handlers. */
        fflush(NULL);
        _exit(code);
    }
    return code;
}
