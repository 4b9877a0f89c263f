/*
 * cmd_stress.c -- `shmfuzz stress`: several simulated processors against one
 * provider in one world (see stress.h, docs/stress.md).
 * Exit: 0 clean, 1 finding, 2 usage or environment error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
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

static const char usage_text[] =
    "usage: shmfuzz stress --provider P [--threads T] [--seconds S | --ops N] [--seed X]\n"
    "                      [--mode threads|interleave] [--json OUT] [--out DIR]\n"
    "                      [--verify-off] [--quiet]\n"
    "  T simulated processors (default 2, at most 16) share one world; default bound\n"
    "  10 s.  --mode interleave runs them as coroutines switched by the seed's PRNG:\n"
    "  with --ops the run and its finding are the same every time.\n"
    "  A finding writes DIR/stress-finding.json, DIR/stress-trace.ops and, when a\n"
    "  serialized replay reproduces it, DIR/stress-repro.ops (DIR defaults to .).\n";

int shmf_cmd_stress(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"provider", required_argument, 0, 'p'}, {"threads", required_argument, 0, 't'},
        {"seconds", required_argument, 0, 's'},  {"ops", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 'S'},     {"json", required_argument, 0, 'j'},
        {"mode", required_argument, 0, 'm'},     {"out", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},          {"verify-off", no_argument, 0, 'V'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    struct shmf_stress_opts o;
    struct shmf_target target;
    bool quiet = false;
    uint64_t v;
    char err[600];
    int c;
    memset(&o, 0, sizeof(o));
    o.provider = getenv("SHMFUZZ_PROVIDER") ? getenv("SHMFUZZ_PROVIDER") : "reference";
    o.threads = 2;
    o.seed = 1;
    o.verify_flags = SHMF_VERIFY_F_ALL;
    o.mode = SHMF_STRESS_THREADS;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:t:s:n:S:j:m:o:qh", lopts, NULL)) != -1) {
        switch (c) {
        case 'p': o.provider = optarg; break;
        case 't':
            if (parse_u64(optarg, &v) || v < 1 || v > SHMF_MAX_CPUS)
                return shmf_usage_error("stress: --threads must be 1..%d", SHMF_MAX_CPUS);
            o.threads = (unsigned)v;
            break;
        case 's': {
            char *end;
            o.seconds = strtod(optarg, &end);
            if (end == optarg || *end || !(o.seconds > 0))
                return shmf_usage_error("stress: --seconds must be a positive number");
            break;
        }
        case 'n':
            if (parse_u64(optarg, &o.ops) || o.ops == 0)
                return shmf_usage_error("stress: --ops must be a positive integer");
            break;
        case 'S':
            if (parse_u64(optarg, &o.seed))
                return shmf_usage_error("stress: --seed must be an unsigned integer");
            break;
        case 'j': o.json_out = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 'm':
            if (!strcmp(optarg, "threads"))
                o.mode = SHMF_STRESS_THREADS;
            else if (!strcmp(optarg, "interleave"))
                o.mode = SHMF_STRESS_INTERLEAVE;
            else
                return shmf_usage_error("stress: --mode must be threads or interleave");
            break;
        case 'q': quiet = true; break;
        case 'V': o.verify_flags = 0; break;
        case 'h': fputs(usage_text, stdout); return SHMF_EXIT_CLEAN;
        default: fputs(usage_text, stderr); return SHMF_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return shmf_usage_error("stress: unexpected argument '%s'", argv[optind]);
    if (o.seconds == 0 && o.ops == 0)
        o.seconds = 10;
    struct stat st;
    if (o.out_dir && (stat(o.out_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        return shmf_usage_error("stress: --out %s is not a directory", o.out_dir);
    if (shmf_target_open(o.provider, &target, err, sizeof(err)) != 0)
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
    int rc = shmf_stress_run(&o, &r);
    sigaction(SIGINT, &old, NULL);
    if (rc)
        return shmf_usage_error("stress: cannot run: %s", strerror(-rc));
    if (!quiet) {
        json_t *run = r.run;
        printf("stress: %s mode, %u processors, %.1f s, %lld ops (%.0f ops/s), %u finding(s)\n",
               o.mode == SHMF_STRESS_INTERLEAVE ? "interleave" : "threads", o.threads,
               json_real_value(json_object_get(run, "duration")),
               (long long)json_integer_value(json_object_get(run, "ops")),
               json_real_value(json_object_get(run, "ops_per_s")), r.findings);
    }
    json_decref(r.run);
    int code = r.findings ? SHMF_EXIT_FINDING : SHMF_EXIT_CLEAN;
    if (r.hang) {
        /* Processors are still spinning: leave without running exit handlers. */
        fflush(NULL);
        _exit(code);
    }
    return code;
}
