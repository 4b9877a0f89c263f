/*
 * diff_cmd.c -- `shmfuzz replay --against P2` and `shmfuzz minimize --against
 * P2`: the differential forms of replay and minimize (diff.h).  cmd_replay.c
 * and cmd_tools.c hand their arguments here when --against is among them.
 *
 *   replay   [-p P] -A|--against P2 [--allow RULES]... [-j OUT] [-t] [-q]
 *            [--verify-off] [--fail-nth N] [--fail-every K] [--fail-first-per-site]
 *            [--fault-random PERMILLE] [--fault-seed X] FILE|DIR...
 *   minimize [-p P] -A|--against P2 [--allow RULES]... -o OUT.ops FILE
 *
 * Exit codes as everywhere: 0 clean, 1 a finding (a divergence or the
 * provider's own), 2 error.
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

#define MAX_ALLOW 8

struct dcmd {
    const char *cmd; /* "replay" or "minimize" */
    const char *provider, *against, *json_out, *out;
    const char *allow[MAX_ALLOW];
    unsigned nallow;
    bool trace, quiet;
    uint32_t verify_flags;
    bool fault_cli;               /* a --fail-* / --fault-* option was given */
    struct shmf_fault_plan fault; /* ...the plan it makes, for both sides */
    struct shmf_target target;
    struct shmf_diff diff;
    bool diff_open;
    char **files;
    size_t nfiles, cap;
    json_t *findings;
    unsigned inputs, with_findings;
    struct shmf_prog *prog; /* the input being run */
    const char *cur_path;
    const uint8_t *cur_bytes;
    size_t cur_len;
};

bool shmf_diff_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "-A") == 0 || strcmp(argv[i], "--against") == 0 ||
            strncmp(argv[i], "--against=", 10) == 0)
            return true;
    }
    return false;
}

/* === Options === */

static int parse_args(struct dcmd *c, int argc, char **argv)
{
    static const struct option opts[] = {{"provider", required_argument, 0, 'p'},
                                         {"against", required_argument, 0, 'A'},
                                         {"allow", required_argument, 0, 'a'},
                                         {"json", required_argument, 0, 'j'},
                                         {"out", required_argument, 0, 'o'},
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
    bool replay = strcmp(c->cmd, "replay") == 0;
    int ch;
    optind = 1;
    while ((ch = shmf_getopt(c->cmd, argc, argv, replay ? "p:A:j:tqh" : "p:A:o:h", opts)) != -1) {
        if (ch != SHMF_OPT_ERROR && strchr("NEFRS", ch)) {
            if (!replay)
                return shmf_usage_error("minimize: option not supported here (see 'shmfuzz "
                                        "minimize --help')");
            if (shmf_fault_option("replay", &c->fault, ch, optarg) != SHMF_CONTINUE)
                return SHMF_EXIT_USAGE;
            c->fault_cli = true;
            continue;
        }
        switch (ch) {
        case 'p': c->provider = optarg; break;
        case 'A': c->against = optarg; break;
        case 'a':
            if (c->nallow == MAX_ALLOW)
                return shmf_usage_error("%s: at most %d --allow files", c->cmd, MAX_ALLOW);
            c->allow[c->nallow++] = optarg;
            break;
        case 'j': c->json_out = optarg; break;
        case 'o': c->out = optarg; break;
        case 't': c->trace = true; break;
        case 'q': c->quiet = true; break;
        case 'V': c->verify_flags = 0; break;
        case 'h': return shmf_print_usage(c->cmd);
        default: return SHMF_EXIT_USAGE;
        }
    }
    if ((!replay && (c->json_out || c->trace || c->quiet || !c->verify_flags)) ||
        (replay && c->out))
        return shmf_usage_error("%s: option not supported here (see 'shmfuzz %s --help')", c->cmd,
                                c->cmd);
    if (optind >= argc)
        return shmf_usage_error("%s: no input given (FILE%s)", c->cmd, replay ? "|DIR..." : "");
    if (!replay && optind + 1 < argc)
        return shmf_usage_error("minimize: unexpected argument '%s' (one FILE only)",
                                argv[optind + 1]);
    if (!replay && !c->out)
        return shmf_usage_error("minimize: -o|--out OUT.ops is required");
    return SHMF_CONTINUE;
}

/* === Inputs (as replay takes them: files, and the regular files of a DIR) === */

static int add_input(struct dcmd *c, const char *path)
{
    if (c->nfiles == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        char **v = realloc(c->files, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        c->files = v;
        c->cap = cap;
    }
    c->files[c->nfiles] = strdup(path);
    return c->files[c->nfiles++] ? 0 : -ENOMEM;
}

static int add_dir(struct dcmd *c, const char *dir)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort), rc = SHMF_CONTINUE;
    if (n < 0)
        return shmf_usage_error("%s: cannot read directory %s: %s", c->cmd, dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
        if (rc == SHMF_CONTINUE && ents[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
            S_ISREG(st.st_mode) && add_input(c, path) != 0)
            rc = shmf_usage_error("out of memory");
        free(ents[i]);
    }
    free(ents);
    return rc;
}

static int collect_inputs(struct dcmd *c, int first, int argc, char **argv)
{
    for (int i = first; i < argc; i++) {
        struct stat st;
        int rc = SHMF_CONTINUE;
        if (stat(argv[i], &st) != 0)
            rc = shmf_usage_error("%s: cannot read %s: %s", c->cmd, argv[i], strerror(errno));
        else if (S_ISDIR(st.st_mode))
            rc = add_dir(c, argv[i]);
        else if (!S_ISREG(st.st_mode))
            rc = shmf_usage_error("%s: %s: not a regular file (FIFO, socket or device)", c->cmd,
                                  argv[i]);
        else if (add_input(c, argv[i]) != 0)
            rc = shmf_usage_error("out of memory");
        if (rc != SHMF_CONTINUE)
            return rc;
    }
    if (c->nfiles == 0)
        return shmf_usage_error("%s: no inputs in %s", c->cmd, argv[first]);
    return SHMF_CONTINUE;
}

/* The provider and the one to compare against, the rules. */
static int open_targets(struct dcmd *c)
{
    char err[PATH_MAX + 200], spec[PATH_MAX], spec2[PATH_MAX];
    if (shmf_target_open(shmf_provider_arg(c->provider, spec, sizeof(spec)), &c->target, err,
                         sizeof(err)) != 0)
        return shmf_usage_error("%s: %s", c->cmd, err);
    const char *against = shmf_provider_arg(c->against, spec2, sizeof(spec2));
    if (shmf_diff_open(&c->diff, against, c->allow, c->nallow, err, sizeof(err)) != 0)
        return shmf_usage_error("%s: --against: %s", c->cmd, err);
    c->diff_open = true;
    c->diff.side[0].name = c->target.provider.name ? c->target.provider.name : c->provider;
    c->diff.side[0].keep_text = c->diff.side[1].keep_text = true;
    return SHMF_CONTINUE;
}

static void dcmd_fini(struct dcmd *c)
{
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i]);
    free(c->files);
    json_decref(c->findings);
    shmf_prog_free(c->prog);
    if (c->diff_open)
        shmf_diff_close(&c->diff);
}

/* === Replay === */

static json_t *reproduce_json(const struct dcmd *c)
{
    char cmd[2400];
    int n = snprintf(cmd, sizeof(cmd), "shmfuzz replay --provider %s --against %s", c->provider,
                     c->against);
    for (unsigned i = 0; i < c->nallow && n > 0 && (size_t)n < sizeof(cmd); i++)
        n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " --allow %s", c->allow[i]);
    if (n > 0 && (size_t)n < sizeof(cmd))
        snprintf(cmd + n, sizeof(cmd) - (size_t)n, " %s", c->cur_path ? c->cur_path : "INPUT");
    return json_string(cmd);
}

static void add_finding(struct dcmd *c, const struct shmf_exec_result *res)
{
    struct shmf_report_ctx ctx = {c->provider, "replay", c->cur_path, c->cur_bytes, c->cur_len};
    struct shmf_finding_fields extra = {.reproduce = reproduce_json(c),
                                        .differential = shmf_diff_finding_json(&c->diff, c->prog)};
    json_t *j = shmf_report_finding_with(res, c->prog, &ctx, &extra);
    if (j)
        json_array_append_new(c->findings, j);
}

static int write_json(struct dcmd *c)
{
    if (!c->json_out)
        return 0;
    struct shmf_run_fields rf = {
        .engine = json_string("replay"),
        .provider = json_string(c->provider),
        .inputs = json_integer((json_int_t)c->inputs),
        .inputs_with_findings = json_integer((json_int_t)c->with_findings),
        .findings = json_incref(c->findings),
        .differential = shmf_diff_stats_json(&c->diff),
    };
    json_t *j = shmf_run_build(&rf);
    int rc = j ? shmf_json_write_atomic(j, c->json_out) : -ENOMEM;
    json_decref(j);
    if (rc)
        shmf_usage_error("replay: cannot write %s: %s", c->json_out, strerror(-rc));
    return rc;
}

static void print_finding(const struct dcmd *c, const struct shmf_exec_result *res)
{
    char kind[80], sig[256];
    shmf_finding_kind_name(&res->first, kind, sizeof(kind));
    shmf_finding_signature(&res->first, c->prog, sig, sizeof(sig));
    if (!c->quiet && !c->trace)
        shmf_prog_print(stdout, c->prog,
                        res->failing_op < 0 ? SHMF_MARKER_NONE : (size_t)res->failing_op);
    printf("finding: %s: %s\n  function: %s\n  rule: %s\n  op: %d%s\n  signature: %s\n", kind,
           res->first.message, res->first.function, res->first.rule, res->failing_op,
           (uint32_t)res->failing_op == c->prog->nops ? " (teardown)" : "", sig);
    shmf_diff_print_outcomes(stdout, &c->diff);
}

/* A crash of either provider: reported as a finding, then exit 1. */
static void crash_sink(const struct shmf_finding *f, void *ud)
{
    struct dcmd *c = ud;
    struct shmf_exec_result res;
    memset(&res, 0, sizeof(res));
    res.findings = 1;
    res.first = *f;
    res.failing_op = f->op_index >= 0 ? f->op_index : -1;
    if (c->prog && c->cur_path) {
        c->with_findings++;
        c->diff.diverged = false;
        print_finding(c, &res);
        add_finding(c, &res);
        if (write_json(c) != 0) {
            fflush(stdout);
            _exit(SHMF_EXIT_USAGE);
        }
    }
    fflush(stdout);
    _exit(SHMF_EXIT_FINDING);
}

static int replay_one(struct dcmd *c, const char *path)
{
    char err[512];
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (shmf_load_input(path, c->prog, &bytes, &len, err, sizeof(err)) != 0)
        return shmf_usage_error("replay: %s", err);
    c->cur_path = path;
    c->cur_bytes = bytes;
    c->cur_len = len;
    c->inputs++;
    struct shmf_exec_opts opts = {.verify_flags = c->verify_flags,
                                  .fault_override = c->fault_cli ? &c->fault : NULL};
    struct shmf_exec_result res;
    if (!c->quiet)
        printf("== %s (%u ops): %s against %s\n", path, c->prog->nops, c->diff.side[0].name,
               c->diff.side[1].name);
    shmf_diff_run(&c->diff, &c->target, c->prog, &opts, &res);
    if (c->trace)
        shmf_diff_print(stdout, &c->diff, c->prog);
    if (res.findings) {
        c->with_findings++;
        print_finding(c, &res);
        add_finding(c, &res);
    } else if (!c->quiet) {
        printf("clean (no divergence)\n");
    }
    free(bytes);
    c->cur_bytes = NULL;
    return res.findings ? SHMF_EXIT_FINDING : SHMF_EXIT_CLEAN;
}

int shmf_diff_cmd_replay(int argc, char **argv)
{
    static struct dcmd c;
    char err[PATH_MAX + 200];
    memset(&c, 0, sizeof(c));
    c.cmd = "replay";
    c.provider = getenv("SHMFUZZ_PROVIDER") ? getenv("SHMFUZZ_PROVIDER") : "reference";
    c.verify_flags = SHMF_VERIFY_F_ALL;
    int rc = parse_args(&c, argc, argv);
    if (rc == SHMF_CONTINUE && c.json_out && shmf_check_output_file(c.json_out, err, sizeof(err)))
        rc = shmf_usage_error("replay: %s", err);
    if (rc == SHMF_CONTINUE)
        rc = collect_inputs(&c, optind, argc, argv);
    if (rc == SHMF_CONTINUE)
        rc = open_targets(&c);
    if (rc == SHMF_CONTINUE && (!(c.findings = json_array()) || !(c.prog = shmf_prog_new())))
        rc = shmf_usage_error("out of memory");
    if (rc == SHMF_CONTINUE) {
        shmf_crash_install(crash_sink, &c);
        int worst = SHMF_EXIT_CLEAN;
        for (size_t i = 0; i < c.nfiles && worst != SHMF_EXIT_USAGE; i++) {
            int r = replay_one(&c, c.files[i]);
            worst = r > worst ? r : worst;
        }
        if (worst != SHMF_EXIT_USAGE && write_json(&c) != 0)
            worst = SHMF_EXIT_USAGE;
        rc = worst;
    }
    dcmd_fini(&c);
    return rc;
}

/* === Minimize: remove whole ops while the signature stays === */

static int sig_fd = -1;
static const struct shmf_prog *child_prog;

static void send_signature(const struct shmf_finding *f)
{
    char sig[256];
    shmf_finding_signature(f, child_prog, sig, sizeof(sig));
    if (write(sig_fd, sig, strlen(sig)) < 0)
        _exit(3);
}

static void child_crash(const struct shmf_finding *f, void *ud)
{
    (void)ud;
    send_signature(f);
    _exit(1);
}

struct candidate {
    struct dcmd *c;
    const struct shmf_prog *p;
};

static void candidate_child(void *ud, int fd)
{
    struct candidate *k = ud;
    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL};
    struct shmf_exec_result res;
    sig_fd = fd;
    child_prog = k->p;
    shmf_crash_install(child_crash, NULL);
    k->c->diff.side[0].keep_text = k->c->diff.side[1].keep_text = false;
    shmf_diff_run(&k->c->diff, &k->c->target, k->p, &opts, &res);
    if (res.findings)
        send_signature(&res.first);
}

static void run_candidate(struct dcmd *c, const struct shmf_prog *p, char *sig, size_t n)
{
    struct candidate k = {c, p};
    shmf_run_forked(candidate_child, &k, sig, n);
}

static unsigned minimize(struct dcmd *c, struct shmf_prog *p, const char *want)
{
    struct shmf_prog *t = shmf_prog_new();
    char sig[256];
    unsigned runs = 0;
    for (uint32_t chunk = p->nops / 2 ? p->nops / 2 : 1; chunk >= 1 && t; chunk /= 2) {
        for (uint32_t at = 0; at < p->nops;) {
            uint32_t len = at + chunk > p->nops ? p->nops - at : chunk;
            *t = *p;
            memmove(&t->ops[at], &t->ops[at + len], (p->nops - at - len) * sizeof(t->ops[0]));
            t->nops = p->nops - len;
            run_candidate(c, t, sig, sizeof(sig));
            runs++;
            if (sig[0] && strcmp(sig, want) == 0)
                *p = *t;
            else
                at += len;
        }
    }
    shmf_prog_free(t);
    return runs;
}

static int write_prog_text(const char *path, const struct shmf_prog *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -errno;
    int rc = shmf_prog_print(f, p, SHMF_MARKER_NONE) ? -EIO : 0;
    if (fclose(f) != 0 && rc == 0)
        rc = -ENOMEM;
    if (rc == 0)
        rc = shmf_write_file_atomic(path, buf, len);
    free(buf);
    return rc;
}

static int minimize_input(struct dcmd *c, const char *in)
{
    char err[PATH_MAX + 200], want[256];
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (shmf_load_input(in, c->prog, &bytes, &len, err, sizeof(err)) != 0)
        return shmf_usage_error("minimize: %s", err);
    free(bytes);
    run_candidate(c, c->prog, want, sizeof(want));
    if (!want[0])
        return shmf_usage_error("minimize: %s has no divergence or finding to keep", in);
    uint32_t before = c->prog->nops;
    unsigned runs = minimize(c, c->prog, want);
    int rc = write_prog_text(c->out, c->prog);
    if (rc)
        return shmf_usage_error("minimize: cannot write %s: %s", c->out, strerror(-rc));
    fprintf(stderr, "minimize: %u -> %u ops in %u runs, finding %s\n", before, c->prog->nops, runs,
            want);
    return SHMF_EXIT_FINDING;
}

int shmf_diff_cmd_minimize(int argc, char **argv)
{
    static struct dcmd c;
    char err[PATH_MAX + 200];
    memset(&c, 0, sizeof(c));
    c.cmd = "minimize";
    c.provider = getenv("SHMFUZZ_PROVIDER") ? getenv("SHMFUZZ_PROVIDER") : "reference";
    c.verify_flags = SHMF_VERIFY_F_ALL;
    int rc = parse_args(&c, argc, argv);
    if (rc == SHMF_CONTINUE && shmf_check_output_file(c.out, err, sizeof(err)) != 0)
        rc = shmf_usage_error("minimize: %s", err);
    if (rc == SHMF_CONTINUE && !(c.prog = shmf_prog_new()))
        rc = shmf_usage_error("out of memory");
    if (rc == SHMF_CONTINUE)
        rc = open_targets(&c);
    if (rc == SHMF_CONTINUE)
        rc = minimize_input(&c, argv[optind]);
    dcmd_fini(&c);
    return rc;
}
