/*
 * cmd_tools.c -- `shmfuzz minimize` (op-level minimizer that keeps the finding
 * signature) and `shmfuzz repro-c` (a standalone C reproducer, in the spirit of
 * syzkaller's prog2c).
 *
 * Each minimization attempt runs in a forked child, so inputs whose finding is a
 * crash (the process dies) minimize as well as verifier findings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "crash.h"
#include "diff.h"
#include "report.h"
#include "target.h"

/* === Running one candidate in a child === */

static int sig_pipe = -1;
static const struct shmf_prog *child_prog;

static void send_signature(const struct shmf_finding *f, int32_t op)
{
    char sig[256];
    struct shmf_finding g = *f;
    g.op_index = op;
    shmf_finding_signature(&g, child_prog, sig, sizeof(sig));
    if (write(sig_pipe, sig, strlen(sig)) < 0)
        _exit(3);
}

static void child_crash(const struct shmf_finding *f, void *ud)
{
    (void)ud;
    send_signature(f, -1);
    _exit(1);
}

struct candidate {
    const struct shmf_target *t;
    const struct shmf_prog *p;
};

static void candidate_child(void *ud, int fd)
{
    const struct candidate *c = ud;
    sig_pipe = fd;
    child_prog = c->p;
    shmf_crash_install(child_crash, NULL);
    struct shmf_exec_result res;
    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = NULL};
    shmf_exec_run(c->t, c->p, &opts, &res);
    if (res.findings)
        send_signature(&res.first, res.first.op_index);
}

/* Signature of prog's first finding into sig ("" when clean). */
static void run_candidate(const struct shmf_target *t, const struct shmf_prog *p, char *sig,
                          size_t n)
{
    struct candidate c = {t, p};
    shmf_run_forked(candidate_child, &c, sig, n);
}

static bool same_finding(const char *a, const char *b)
{
    return a[0] && strcmp(a, b) == 0;
}

/* Remove chunks of ops, halving the chunk size, while the finding stays. */
static unsigned minimize(const struct shmf_target *t, struct shmf_prog *p, const char *want)
{
    struct shmf_prog *c = shmf_prog_new();
    char sig[256];
    unsigned runs = 0;
    for (uint32_t chunk = p->nops / 2 ? p->nops / 2 : 1; chunk >= 1 && c; chunk /= 2) {
        for (uint32_t at = 0; at < p->nops;) {
            uint32_t len = at + chunk > p->nops ? p->nops - at : chunk;
            *c = *p;
            memmove(&c->ops[at], &c->ops[at + len], (p->nops - at - len) * sizeof(c->ops[0]));
            c->nops = p->nops - len;
            run_candidate(t, c, sig, sizeof(sig));
            runs++;
            if (same_finding(sig, want))
                *p = *c;
            else
                at += len;
        }
    }
    shmf_prog_free(c);
    return runs;
}

/* Options of minimize: SHMF_CONTINUE with *provider, *out and optind at FILE, or an
   exit code. */
static int minimize_args(int argc, char **argv, const char **provider, const char **out)
{
    static const struct option opts[] = {{"provider", required_argument, 0, 'p'},
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = shmf_getopt("minimize", argc, argv, "p:o:h", opts)) != -1) {
        switch (c) {
        case 'p': *provider = optarg; break;
        case 'o': *out = optarg; break;
        case 'h': return shmf_print_usage("minimize");
        default: return SHMF_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return shmf_usage_error("minimize: no input FILE given (see 'shmfuzz minimize --help')");
    if (optind + 1 < argc)
        return shmf_usage_error("minimize: unexpected argument '%s' (one FILE only)",
                                argv[optind + 1]);
    if (!*out)
        return shmf_usage_error("minimize: -o|--out OUT.ops is required");
    return SHMF_CONTINUE;
}

/* p as op-stream text, atomically into path.  Returns 0 or -errno. */
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

int shmf_cmd_minimize(int argc, char **argv)
{
    if (shmf_diff_wanted(argc, argv)) /* differential mode: diff_cmd.c */
        return shmf_diff_cmd_minimize(argc, argv);
    const char *provider = getenv("SHMFUZZ_PROVIDER") ? getenv("SHMFUZZ_PROVIDER") : "reference";
    const char *out = NULL, *in;
    char err[PATH_MAX + 200], want[256], spec[PATH_MAX];
    struct shmf_target t;
    uint8_t *bytes;
    size_t len;
    int rc = minimize_args(argc, argv, &provider, &out);
    if (rc != SHMF_CONTINUE)
        return rc;
    in = argv[optind];
    if (shmf_check_output_file(out, err, sizeof(err)) != 0)
        return shmf_usage_error("minimize: %s", err);
    struct shmf_prog *p = shmf_prog_new();
    if (!p)
        return shmf_usage_error("out of memory");
    if (shmf_load_input(in, p, &bytes, &len, err, sizeof(err)) != 0) {
        shmf_prog_free(p);
        return shmf_usage_error("minimize: %s", err);
    }
    free(bytes);
    if (shmf_target_open(shmf_provider_arg(provider, spec, sizeof(spec)), &t, err, sizeof(err)) !=
        0) {
        shmf_prog_free(p);
        return shmf_usage_error("%s", err);
    }
    run_candidate(&t, p, want, sizeof(want));
    if (!want[0]) {
        shmf_prog_free(p);
        return shmf_usage_error("minimize: %s has no finding to keep", in);
    }
    uint32_t before = p->nops;
    unsigned runs = minimize(&t, p, want);
    rc = write_prog_text(out, p);
    if (rc == 0)
        fprintf(stderr, "minimize: %u -> %u ops in %u runs, finding %s\n", before, p->nops, runs,
                want);
    shmf_prog_free(p);
    return rc ? shmf_usage_error("minimize: cannot write %s: %s", out, strerror(-rc))
              : SHMF_EXIT_FINDING;
}

/* === repro-c === */

/* The enum constant of each op, from the one op list. */
#define OP_ENUM_NAME(U, l, ...) "SHMF_OP_" #U,
static const char *const op_enum_names[] = {SHMF_OP_LIST(OP_ENUM_NAME, SHMF__NO_FIELD)};
#undef OP_ENUM_NAME

static void emit_op(FILE *f, const struct shmf_op *op)
{
    char text[256];
    shmf_op_format(text, sizeof(text), op);
    fprintf(f, "    {%s, {", op_enum_names[op->code]);
    for (unsigned i = 0; i < shmf_op_nargs(op->code); i++)
        fprintf(f, "%s%#x", i ? ", " : "", op->a[i]);
    fprintf(f, "}}, /* %s */\n", text);
}

static void emit_repro(FILE *f, const struct shmf_prog *p, const char *src)
{
    fprintf(
        f,
        "/*\n * Reproducer generated by `shmfuzz repro-c %s`.\n"
        " * Build: cc -I<shmfuzz>/ndis/include -I<shmfuzz>/harness/exec -I<shmfuzz>/harness/codec repro.c "
        "provider.c \\\n *        <shmfuzz>/providers/reference/ring_driver.c (unless the "
        "provider has its own) \\\n *        -L<build> -lshmf_harness -lshmf_runtime -ljansson -ldw -ldl "
        "-lpthread\n * It replays the ops below through the shmfuzz runtime against "
        "the provider\n * linked with it and prints the first finding.\n */\n",
        src);
    fprintf(
        f,
        "#include <stdio.h>\n#include <stdlib.h>\n#include <ndis.h>\n#include <net/ring.h>\n"
        "#include \"exec.h\"\n#include \"target.h\"\n\n"
        "/* The provider's entry points: the short form, or DriverEntry alone; its\n"
        "   ring driver if it has one (else the reference provider's, docs/rings.md). */\n"
        "NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE, NDIS_HANDLE) __attribute__((weak));\n"
        "VOID ShmfProviderUnload(NDIS_HANDLE) __attribute__((weak));\n"
        "NTSTATUS DriverEntry(PDRIVER_OBJECT, PUNICODE_STRING) __attribute__((weak));\n"
        "VOID ShmfProviderRingAdvance(NET_RING *, NET_RING *, ULONG) __attribute__((weak));\n"
        "VOID ShmfProviderRingCancel(NET_RING *, NET_RING *, ULONG) __attribute__((weak));\n"
        "VOID ShmfReferenceRingAdvance(NET_RING *, NET_RING *, ULONG) __attribute__((weak));\n"
        "VOID ShmfReferenceRingCancel(NET_RING *, NET_RING *, ULONG) __attribute__((weak));\n\n");
    fprintf(f, "static const struct shmf_op ops[] = {\n");
    for (uint32_t i = 0; i < p->nops; i++)
        emit_op(f, &p->ops[i]);
    if (p->nops == 0)
        fprintf(f, "    {SHMF_OP_RELOAD, {0}},\n");
    fprintf(
        f,
        "};\n\nint main(void)\n{\n"
        "    struct shmf_prog *p = shmf_prog_new();\n"
        "    struct shmf_target t = {0};\n"
        "    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = stdout};\n"
        "    struct shmf_exec_result res;\n"
        "    t.provider.name = \"repro\";\n"
        "    t.provider.set_options = ShmfProviderSetOptions;\n"
        "    t.provider.unload = ShmfProviderUnload;\n"
        "    t.provider.driver_entry = ShmfProviderSetOptions ? NULL : DriverEntry;\n"
        "    char err[600];\n"
        "    if (shmf_target_linked_ring(&t, (void *)ShmfProviderRingAdvance,\n"
        "                                (void *)ShmfProviderRingCancel,\n"
        "                                (void *)ShmfReferenceRingAdvance,\n"
        "                                (void *)ShmfReferenceRingCancel, err, sizeof(err)) != 0) {\n"
        "        fprintf(stderr, \"repro: %%s\\n\", err);\n"
        "        shmf_prog_free(p);\n"
        "        return 2;\n"
        "    }\n"
        "    p->hdr.fault_flags = %u;\n    p->hdr.fail_nth = %u;\n    p->hdr.fail_every = %u;\n"
        "    p->nops = %u;\n"
        "    for (unsigned i = 0; i < p->nops; i++)\n        p->ops[i] = ops[i];\n"
        "    shmf_exec_run(&t, p, &opts, &res);\n"
        "    if (res.findings)\n"
        "        printf(\"finding: %%s at op %%d: %%s\\n\", shmf_kind_name(res.first.kind),\n"
        "               res.failing_op, res.first.message);\n"
        "    shmf_prog_free(p);\n    return res.findings ? 1 : 0;\n}\n",
        p->hdr.fault_flags, p->hdr.fail_nth, p->hdr.fail_every, p->nops ? p->nops : 1);
}

/* The reproducer to stdout, or atomically to `out`.  Returns 0 or -errno. */
static int write_repro(const char *out, const struct shmf_prog *p, const char *in)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = out ? open_memstream(&buf, &len) : stdout;
    if (!f)
        return -errno;
    emit_repro(f, p, in);
    int rc = ferror(f) ? -EIO : 0;
    if (out && fclose(f) != 0 && rc == 0)
        rc = -ENOMEM;
    if (out && rc == 0)
        rc = shmf_write_file_atomic(out, buf, len);
    if (!out && rc == 0 && fflush(stdout) != 0)
        rc = -EIO;
    free(buf);
    return rc;
}

int shmf_cmd_repro_c(int argc, char **argv)
{
    const char *out, *in;
    char err[PATH_MAX + 200];
    uint8_t *bytes;
    size_t len;
    int rc = shmf_parse_in_out("repro-c", argc, argv, &in, &out, false);
    if (rc != SHMF_CONTINUE)
        return rc;
    if (out && shmf_check_output_file(out, err, sizeof(err)) != 0)
        return shmf_usage_error("repro-c: %s", err);
    struct shmf_prog *p = shmf_prog_new();
    if (!p)
        return shmf_usage_error("out of memory");
    if (shmf_load_input(in, p, &bytes, &len, err, sizeof(err)) != 0) {
        shmf_prog_free(p);
        return shmf_usage_error("repro-c: %s", err);
    }
    free(bytes);
    rc = write_repro(out, p, in);
    shmf_prog_free(p);
    if (rc)
        return shmf_usage_error("repro-c: cannot write %s: %s", out ? out : "stdout",
                                strerror(-rc));
    return SHMF_EXIT_CLEAN;
}
