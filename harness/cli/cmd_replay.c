/*
 * cmd_replay.c -- `shmfuzz replay`: run inputs without an engine, print the op
 * trace with the failing op marked and the finding, optionally write JSON.
 * Deterministic: the same input gives the same trace and finding.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "crash.h"
#include "diff.h"
#include "report.h"
#include "target.h"

struct replay {
    struct shmf_target target;
    const char *provider;
    const char *json_out;
    bool trace, quiet;
    uint32_t verify_flags;
    bool fault_cli;               /* a --fail-* / --fault-* option was given */
    struct shmf_fault_plan fault; /* ...and the plan it makes */
    char **files;                 /* the files to replay, in order (malloc'ed) */
    size_t nfiles, cap;
    json_t *findings; /* array of finding objects */
    unsigned inputs, with_findings;
    /* the input being replayed, for the crash sink */
    const char *cur_path;
    struct shmf_prog *cur_prog;
    const uint8_t *cur_bytes;
    size_t cur_len;
};

/* run.json through the one builder (shmf_run_build). */
static json_t *replay_json(struct replay *r)
{
    struct shmf_run_fields rf = {
        .engine = json_string("replay"),
        .provider = json_string(r->provider),
        .inputs = json_integer((json_int_t)r->inputs),
        .inputs_with_findings = json_integer((json_int_t)r->with_findings),
        .findings = json_incref(r->findings),
    };
    return shmf_run_build(&rf);
}

/* --json OUT, when given; returns 0 or -errno after printing one line. */
static int write_json(struct replay *r)
{
    if (!r->json_out)
        return 0;
    json_t *j = replay_json(r);
    int rc = j ? shmf_json_write_atomic(j, r->json_out) : -ENOMEM;
    json_decref(j);
    if (rc)
        shmf_usage_error("replay: cannot write %s: %s", r->json_out, strerror(-rc));
    return rc;
}

static void print_finding(const struct replay *r, const struct shmf_exec_result *res, FILE *f)
{
    char kind[80], sig[256];
    shmf_finding_kind_name(&res->first, kind, sizeof(kind));
    shmf_finding_signature(&res->first, r->cur_prog, sig, sizeof(sig));
    if (!r->quiet)
        shmf_prog_print(f, r->cur_prog,
                        res->failing_op < 0 ? SHMF_MARKER_NONE : (size_t)res->failing_op);
    fprintf(f, "finding: %s: %s\n  function: %s\n  rule: %s\n  op: %d%s\n  signature: %s\n", kind,
            res->first.message, res->first.function, res->first.rule, res->failing_op,
            (uint32_t)res->failing_op == r->cur_prog->nops ? " (teardown)" : "", sig);
}

static void add_finding(struct replay *r, const struct shmf_exec_result *res)
{
    struct shmf_report_ctx ctx = {r->provider, "replay", r->cur_path, r->cur_bytes, r->cur_len};
    json_t *j = shmf_report_finding(res, r->cur_prog, &ctx);
    if (j)
        json_array_append_new(r->findings, j);
}

/* The provider crashed: report it as a finding and exit 1. */
static void crash_sink(const struct shmf_finding *f, void *ud)
{
    struct replay *r = ud;
    struct shmf_exec_result res;
    memset(&res, 0, sizeof(res));
    res.findings = 1;
    res.first = *f;
    res.failing_op = f->op_index >= 0 ? f->op_index : -1;
    if (r->cur_prog) {
        r->with_findings++;
        print_finding(r, &res, stdout);
        add_finding(r, &res);
        if (write_json(r) != 0) {
            fflush(stdout);
            _exit(SHMF_EXIT_USAGE);
        }
    }
    fflush(stdout);
    _exit(SHMF_EXIT_FINDING);
}

static int replay_one(struct replay *r, const char *path)
{
    char err[512];
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = shmf_load_input(path, r->cur_prog, &bytes, &len, err, sizeof(err));
    if (rc)
        return shmf_usage_error("replay: %s", err);
    r->cur_path = path;
    r->cur_bytes = bytes;
    r->cur_len = len;
    r->inputs++;
    struct shmf_exec_opts opts = {.verify_flags = r->verify_flags,
                                  .trace = r->trace ? stdout : NULL,
                                  .fault_override = r->fault_cli ? &r->fault : NULL};
    struct shmf_exec_result res;
    if (!r->quiet)
        printf("== %s (%u ops)\n", path, r->cur_prog->nops);
    shmf_exec_run(&r->target, r->cur_prog, &opts, &res);
    if (res.findings) {
        r->with_findings++;
        print_finding(r, &res, stdout);
        add_finding(r, &res);
    } else if (!r->quiet) {
        printf("clean\n");
    }
    free(bytes);
    r->cur_bytes = NULL;
    return res.findings ? SHMF_EXIT_FINDING : SHMF_EXIT_CLEAN;
}

/* === The inputs === */

static int add_input(struct replay *r, const char *path)
{
    if (r->nfiles == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        char **v = realloc(r->files, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        r->files = v;
        r->cap = cap;
    }
    r->files[r->nfiles] = strdup(path);
    return r->files[r->nfiles++] ? 0 : -ENOMEM;
}

static int not_regular(const char *path)
{
    return shmf_usage_error("replay: %s: not a regular file (FIFO, socket or device)", path);
}

/* The regular files of dir, in name order; dot files and subdirectories are
   skipped, anything else that is not a readable regular file is an error. */
static int add_dir(struct replay *r, const char *dir)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort), rc = SHMF_CONTINUE;
    if (n < 0)
        return shmf_usage_error("replay: cannot read directory %s: %s", dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        struct stat st;
        const char *name = ents[i]->d_name;
        if (rc == SHMF_CONTINUE && name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s", dir, name);
            if (stat(path, &st) != 0)
                rc = shmf_usage_error("replay: cannot read %s: %s", path, strerror(errno));
            else if (S_ISREG(st.st_mode) && add_input(r, path) != 0)
                rc = shmf_usage_error("out of memory");
            else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
                rc = not_regular(path);
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

/* Every FILE|DIR argument into r->files, checked before anything runs. */
static int collect_inputs(struct replay *r, int first, int argc, char **argv)
{
    for (int i = first; i < argc; i++) {
        struct stat st;
        int rc = SHMF_CONTINUE;
        if (stat(argv[i], &st) != 0)
            rc = shmf_usage_error("replay: cannot read %s: %s", argv[i], strerror(errno));
        else if (S_ISDIR(st.st_mode))
            rc = add_dir(r, argv[i]);
        else if (!S_ISREG(st.st_mode))
            rc = not_regular(argv[i]);
        else if (add_input(r, argv[i]) != 0)
            rc = shmf_usage_error("out of memory");
        if (rc != SHMF_CONTINUE)
            return rc;
    }
    if (r->nfiles == 0)
        return shmf_usage_error("replay: no inputs in %s%s", argv[first],
                                argc - first > 1 ? " ..." : "");
    return SHMF_CONTINUE;
}

/* === Options === */

static int parse_args(struct replay *r, int argc, char **argv)
{
    static const struct option opts[] = {{"provider", required_argument, 0, 'p'},
                                         {"json", required_argument, 0, 'j'},
                                         {"trace", no_argument, 0, 't'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"verify-off", no_argument, 0, 'V'},
                                         {"fail-nth", required_argument, 0, 'N'},
                                         {"fail-every", required_argument, 0, 'E'},
                                         {"fail-first-per-site", no_argument, 0, 'F'},
                                         {"fault-random", required_argument, 0, 'R'},
                                         {"fault-seed", required_argument, 0, 'S'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = shmf_getopt("replay", argc, argv, "p:j:tqh", opts)) != -1) {
        if (c != SHMF_OPT_ERROR && strchr("NEFRS", c)) {
            if (shmf_fault_option("replay", &r->fault, c, optarg) != SHMF_CONTINUE)
                return SHMF_EXIT_USAGE;
            r->fault_cli = true;
            continue;
        }
        switch (c) {
        case 'p': r->provider = optarg; break;
        case 'j': r->json_out = optarg; break;
        case 't': r->trace = true; break;
        case 'q': r->quiet = true; break;
        case 'V': r->verify_flags = 0; break;
        case 'h': return shmf_print_usage("replay");
        default: return SHMF_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return shmf_usage_error("replay: no input given (FILE|DIR...)");
    return SHMF_CONTINUE;
}

/* Everything replay allocated, on every path. */
static void replay_fini(struct replay *r)
{
    for (size_t i = 0; i < r->nfiles; i++)
        free(r->files[i]);
    free(r->files);
    json_decref(r->findings);
    shmf_prog_free(r->cur_prog);
    memset(r, 0, sizeof(*r));
}

static int replay_all(struct replay *r)
{
    char err[PATH_MAX + 200], spec[PATH_MAX];
    const char *provider = shmf_provider_arg(r->provider, spec, sizeof(spec));
    if (shmf_target_open(provider, &r->target, err, sizeof(err)) != 0)
        return shmf_usage_error("%s", err);
    r->findings = json_array();
    r->cur_prog = shmf_prog_new();
    if (!r->findings || !r->cur_prog)
        return shmf_usage_error("out of memory");
    shmf_crash_install(crash_sink, r);
    int worst = SHMF_EXIT_CLEAN;
    for (size_t i = 0; i < r->nfiles && worst != SHMF_EXIT_USAGE; i++) {
        int rc = replay_one(r, r->files[i]);
        worst = rc > worst ? rc : worst;
    }
    if (worst != SHMF_EXIT_USAGE && write_json(r) != 0)
        worst = SHMF_EXIT_USAGE;
    return worst;
}

int shmf_cmd_replay(int argc, char **argv)
{
    if (shmf_diff_wanted(argc, argv)) /* differential mode: diff_cmd.c */
        return shmf_diff_cmd_replay(argc, argv);
    static struct replay r;
    char err[PATH_MAX + 200];
    memset(&r, 0, sizeof(r));
    r.provider = getenv("SHMFUZZ_PROVIDER") ? getenv("SHMFUZZ_PROVIDER") : "reference";
    r.verify_flags = SHMF_VERIFY_F_ALL;
    int rc = parse_args(&r, argc, argv);
    if (rc != SHMF_CONTINUE)
        return rc;
    if (r.json_out && shmf_check_output_file(r.json_out, err, sizeof(err)) != 0)
        rc = shmf_usage_error("replay: %s", err);
    else
        rc = collect_inputs(&r, optind, argc, argv);
    if (rc == SHMF_CONTINUE)
        rc = replay_all(&r);
    replay_fini(&r);
    return rc;
}
