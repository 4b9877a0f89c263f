/*
 * cli.c -- the `shmfuzz` command: subcommand dispatch, usage and version, and the
 * input, option and output helpers the subcommands share (cli.h).
 * Exit codes everywhere: 0 clean, 1 findings, 2 usage / input / environment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_info.h"
#include "cli.h"
#include "shmfuzz/runtime.h"

/* === The subcommands and their usage === */

struct subcommand {
    const char *name;
    int (*fn)(int, char **);
    const char *synopsis; /* arguments; '\n' continues on an indented line */
    const char *summary;  /* one line */
    const char *details;  /* more lines for `shmfuzz CMD --help`, or NULL */
};

static const struct subcommand subcommands[] = {
    {"replay", shmf_cmd_replay,
     "[-p|--provider P] [-j|--json OUT] [-t|--trace] [-q|--quiet] [--verify-off]\n"
     "[--fail-nth N] [--fail-every K] [--fail-first-per-site]\n"
     "[--fault-random PERMILLE] [--fault-seed X] [-A|--against P2 [--allow RULES]...]\n"
     "FILE|DIR...",
     "replay inputs without an engine: the op trace, the failing op marked, the finding",
     "  P is a provider name or a .so (default: $SHMFUZZ_PROVIDER, else reference).\n"
     "  A DIR stands for its regular files (not dot files, not subdirectories), in\n"
     "  name order; a set of inputs that runs nothing is an error.  --json writes a\n"
     "  shmfuzz-run/1 document.  The fault options replace the inputs' header plans\n"
     "  (PERMILLE 0..1000).  --against runs each input on P2 too and reports where\n"
     "  the two part (a divergence; docs/differential.md), --trace side by side;\n"
     "  RULES declare allowed differences.\n"
     "  Exit 0 clean, 1 a finding, 2 error."},
    {"decode", shmf_cmd_decode, "FILE", "print a binary input as op-stream text", NULL},
    {"encode", shmf_cmd_encode, "FILE.ops -o|--out OUT", "write the binary form of a text input",
     NULL},
    {"minimize", shmf_cmd_minimize,
     "[-p|--provider P] -o|--out OUT.ops [-A|--against P2 [--allow RULES]...] FILE",
     "remove whole ops while the finding signature stays",
     "  P as for replay; with --against, the divergence's signature is kept.\n"
     "  Exit 1 when OUT.ops is written (it keeps the finding);\n"
     "  2 on an error, or when FILE has no finding to keep."},
    {"repro-c", shmf_cmd_repro_c, "[-o|--out OUT.c] FILE",
     "a standalone C program replaying the input (stdout without -o)", NULL},
    {"stress", shmf_cmd_stress,
     "-p|--provider P [-t|--threads T] [-s|--seconds S] [-n|--ops N] [-S|--seed X]\n"
     "[-m|--mode threads|interleave] [-j|--json OUT] [-o|--out DIR]\n"
     "[--verify-off] [-q|--quiet]",
     "concurrent simulated processors against one provider",
     "  P is required: a provider name or a .so (or set $SHMFUZZ_PROVIDER).\n"
     "  T simulated processors (default 2, at most 16) share one world.  The run ends\n"
     "  after S seconds (at most 30 days) or N ops, the first reached (default 10 s).\n"
     "  --mode interleave runs them as coroutines switched\n"
     "  by the seed's PRNG: with --ops the run and its finding are the same every time.\n"
     "  A finding writes DIR/stress-finding.json, DIR/stress-trace.ops and, when a\n"
     "  serialized replay reproduces it, DIR/stress-repro.ops (DIR defaults to .).\n"
     "  Exit 0 clean, 1 a finding, 2 error."},
    {"report", shmf_cmd_report, "-o|--out DIR RUN_DIR...",
     "campaign.json, campaign.sarif and campaign.html from campaign run directories",
     "  Every RUN_DIR is read and checked before DIR is created or written."},
    {"report-diff", shmf_cmd_report_diff, "OLD NEW [-j|--json OUT]",
     "new and fixed findings, coverage and exec/s change between two campaigns",
     "  OLD and NEW are campaign.json files or the directories holding them.\n"
     "  Exit 0 no new findings, 1 new findings, 2 error."},
    {"dict", shmf_cmd_dict, "",
     "print the libFuzzer / AFL++ dictionary (corpus/shmfuzz.dict) from the op table", NULL},
    {"kinds", shmf_cmd_kinds, "[--json]", "list the finding kinds", NULL},
    {"providers", shmf_cmd_providers, "", "list the providers found", NULL},
};
#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static const struct subcommand *find_subcommand(const char *name)
{
    for (size_t i = 0; i < NSUB; i++)
        if (strcmp(name, subcommands[i].name) == 0)
            return &subcommands[i];
    return NULL;
}

/* "shmfuzz NAME SYNOPSIS" with continuation lines aligned under the first. */
static void print_synopsis(FILE *f, const char *prefix, const struct subcommand *s)
{
    int indent = (int)(strlen(prefix) + strlen(s->name) + 2);
    const char *p = s->synopsis;
    fprintf(f, "%s %s", prefix, s->name);
    while (*p) {
        size_t n = strcspn(p, "\n");
        fprintf(f, " %.*s", (int)n, p);
        p += n;
        if (*p == '\n') {
            p++;
            fprintf(f, "\n%*s", indent - 1, "");
        }
    }
    fputc('\n', f);
}

int shmf_print_usage(const char *cmd)
{
    const struct subcommand *s = find_subcommand(cmd);
    if (!s)
        return shmf_usage_error("no such command '%s' (try 'shmfuzz --help')", cmd);
    print_synopsis(stdout, "usage: shmfuzz", s);
    printf("%s\n", s->summary);
    if (s->details)
        printf("%s\n", s->details);
    return SHMF_EXIT_CLEAN;
}

static void usage(void)
{
    printf("usage: shmfuzz COMMAND [ARGS]     (shmfuzz COMMAND --help for its options)\n"
           "       shmfuzz -V|--version\n\ncommands:\n");
    for (size_t i = 0; i < NSUB; i++)
        printf("  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
    printf("\nexit codes: 0 clean, 1 findings, 2 usage/input/environment error\n");
}

/* === Version === */

/* path of an executable named name in $PATH, into buf; NULL when there is none. */
static const char *find_in_path(const char *name, char *buf, size_t n)
{
    const char *path = getenv("PATH");
    while (path && *path) {
        size_t len = strcspn(path, ":");
        if (len > 0 && (size_t)snprintf(buf, n, "%.*s/%s", (int)len, path, name) < n &&
            access(buf, X_OK) == 0)
            return buf;
        path += len + (path[len] == ':');
    }
    return NULL;
}

static int version(void)
{
    char afl[PATH_MAX];
    const char *lf = SHMF_LIBFUZZER_RUNTIME;
    printf("shmfuzz %s\n", SHMF_VERSION);
    printf("commit: %s\n", SHMF_GIT_COMMIT);
    printf("compiler: %s\n", SHMF_COMPILER);
    printf("build: %s, sanitizers %s\n", SHMF_BUILD_TYPE,
           SHMF_SANITIZERS[0] ? SHMF_SANITIZERS : "none");
    printf("libfuzzer: %s\n", lf[0] && access(lf, R_OK) == 0
                                  ? lf
                                  : "not found (libclang_rt.fuzzer; Debian libclang-rt-14-dev)");
    printf("afl-fuzz: %s\n",
           find_in_path("afl-fuzz", afl, sizeof(afl)) ? afl : "not found (Debian afl++)");
    return fflush(stdout) == 0 ? SHMF_EXIT_CLEAN : SHMF_EXIT_USAGE;
}

/* === Errors and options === */

int shmf_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("shmfuzz: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return SHMF_EXIT_USAGE;
}

/* The option as the user wrote it: "--name" (without "=value") or "-c". */
static void option_text(char *buf, size_t n, const char *arg, int c)
{
    if (arg && !strncmp(arg, "--", 2))
        snprintf(buf, n, "%.*s", (int)strcspn(arg, "="), arg);
    else
        snprintf(buf, n, "-%c", c);
}

int shmf_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
                const struct option *longopts)
{
    char opts[64], name[80];
    int longindex = -1;
    snprintf(opts, sizeof(opts), ":%s", shortopts);
    opterr = 0;
    int c = getopt_long(argc, argv, opts, longopts, &longindex);
    const char *last = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;
    if (c == '?') {
        if (optopt)
            snprintf(name, sizeof(name), "-%c", optopt);
        else
            option_text(name, sizeof(name), last, '?');
        shmf_usage_error("%s: unknown option '%s' (see 'shmfuzz %s --help')", cmd, name, cmd);
        return SHMF_OPT_ERROR;
    }
    if (c == ':') {
        option_text(name, sizeof(name), last, optopt);
        shmf_usage_error("%s: option '%s' needs a value", cmd, name);
        return SHMF_OPT_ERROR;
    }
    if (c != -1 && optarg && !strncmp(optarg, "--", 2) && optarg[2]) {
        if (longindex >= 0)
            snprintf(name, sizeof(name), "--%s", longopts[longindex].name);
        else
            snprintf(name, sizeof(name), "-%c", c);
        shmf_usage_error("%s: option '%s' needs a value, not the option '%s'", cmd, name, optarg);
        return SHMF_OPT_ERROR;
    }
    return c;
}

int shmf_fault_option(const char *cmd, struct shmf_fault_plan *plan, int c, const char *arg)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = arg ? strtoull(arg, &end, 0) : 0;
    bool bad = arg && (*arg == 0 || *end != 0 || errno || strchr(arg, '-'));
    if (bad || ((c == 'N' || c == 'E') && v > UINT32_MAX) || (c == 'R' && v > 1000))
        return shmf_usage_error("%s: bad value '%s' for --%s", cmd, arg,
                                c == 'N'   ? "fail-nth (0..4294967295)"
                                : c == 'E' ? "fail-every (0..4294967295)"
                                : c == 'R' ? "fault-random (0..1000)"
                                           : "fault-seed (an unsigned 64-bit integer)");
    switch (c) {
    case 'N': plan->fail_nth = (uint32_t)v; break;
    case 'E': plan->fail_every = (uint32_t)v; break;
    case 'F': plan->first_per_site = true; break;
    case 'R': plan->random_permille = (uint32_t)v; break;
    default: plan->random_seed = v; break;
    }
    return SHMF_CONTINUE;
}

int shmf_parse_in_out(const char *cmd, int argc, char **argv, const char **in, const char **out,
                      bool out_required)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    *in = NULL;
    *out = NULL;
    optind = 1;
    while ((c = shmf_getopt(cmd, argc, argv, "o:h", opts)) != -1) {
        if (c == SHMF_OPT_ERROR)
            return SHMF_EXIT_USAGE;
        if (c == 'h')
            return shmf_print_usage(cmd);
        *out = optarg;
    }
    if (optind >= argc)
        return shmf_usage_error("%s: no input FILE given (see 'shmfuzz %s --help')", cmd, cmd);
    if (optind + 1 < argc)
        return shmf_usage_error("%s: unexpected argument '%s' (one FILE only)", cmd,
                                argv[optind + 1]);
    if (out_required && !*out)
        return shmf_usage_error("%s: -o|--out OUT is required", cmd);
    *in = argv[optind];
    return SHMF_CONTINUE;
}

/* === Inputs === */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int shmf_load_input(const char *path, struct shmf_prog *p, uint8_t **bytes, size_t *len, char *err,
                    size_t errlen)
{
    uint8_t *data;
    size_t n;
    int rc = shmf_read_file(path, &data, &n);
    if (rc) {
        snprintf(err, errlen, "cannot read %s: %s", path, shmf_read_strerror(rc));
        return rc;
    }
    if (!ends_with(path, ".ops")) {
        shmf_prog_decode(p, data, n);
        *bytes = data;
        *len = n;
        return 0;
    }
    char perr[200];
    rc = shmf_prog_parse(p, (const char *)data, n, perr, sizeof(perr));
    free(data);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, perr);
        return -EINVAL;
    }
    size_t need = shmf_prog_encoded_size(p);
    *bytes = malloc(need ? need : 1);
    if (!*bytes) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    shmf_prog_encode(p, *bytes, need, len);
    return 0;
}

/* === Outputs === */

int shmf_check_output_dir(const char *dir, char *err, size_t errlen)
{
    char probe[PATH_MAX];
    struct stat st;
    if (stat(dir, &st) != 0) {
        int rc = -errno;
        snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
        return rc;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: %s", dir, strerror(ENOTDIR));
        return -ENOTDIR;
    }
    if ((size_t)snprintf(probe, sizeof(probe), "%s/.shmfuzz-probe.XXXXXX", dir) >= sizeof(probe)) {
        snprintf(err, errlen, "%s: %s", dir, strerror(ENAMETOOLONG));
        return -ENAMETOOLONG;
    }
    int fd = mkstemp(probe);
    if (fd < 0) {
        int rc = -errno;
        snprintf(err, errlen, "%s is not writable: %s", dir, strerror(-rc));
        return rc;
    }
    close(fd);
    unlink(probe);
    return 0;
}

int shmf_check_output_file(const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX], why[PATH_MAX + 64];
    struct stat st;
    const char *slash = strrchr(path, '/');
    if (!path[0] || (slash && !slash[1]) || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(EISDIR));
        return -EISDIR;
    }
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    int rc = shmf_check_output_dir(dir, why, sizeof(why));
    if (rc)
        snprintf(err, errlen, "cannot write %s: %s", path, why);
    return rc;
}

const char *shmf_provider_arg(const char *spec, char *buf, size_t n)
{
    struct stat st;
    if (spec && !strchr(spec, '/') && ends_with(spec, ".so") && stat(spec, &st) == 0 &&
        (size_t)snprintf(buf, n, "./%s", spec) < n)
        return buf;
    return spec;
}

/* === Dispatch === */

int main(int argc, char **argv)
{
    if (argc < 2)
        return shmf_usage_error("no command given (try 'shmfuzz --help')");
    const char *a = argv[1];
    if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help")) {
        if (argc == 3 && !strcmp(a, "help"))
            return shmf_print_usage(argv[2]);
        if (argc > 2)
            return shmf_usage_error("unexpected argument '%s' after %s", argv[2], a);
        usage();
        return SHMF_EXIT_CLEAN;
    }
    if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
        if (argc > 2)
            return shmf_usage_error("unexpected argument '%s' after %s", argv[2], a);
        return version();
    }
    const struct subcommand *s = find_subcommand(a);
    if (!s)
        return shmf_usage_error("unknown command '%s' (try 'shmfuzz --help')", a);
    return s->fn(argc - 1, argv + 1);
}
