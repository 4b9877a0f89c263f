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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "crash.h"
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

/* Signature of prog's first finding into sig ("" when clean). */
static void run_candidate(const struct shmf_target *t, const struct shmf_prog *p, char *sig,
                          size_t n)
{
    int fds[2];
    sig[0] = 0;
    if (pipe(fds) != 0)
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        sig_pipe = fds[1];
        child_prog = p;
        shmf_crash_install(child_crash, NULL);
        struct shmf_exec_result res;
        struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = NULL};
        shmf_exec_run(t, p, &opts, &res);
        if (res.findings)
            send_signature(&res.first, res.first.op_index);
        _exit(0);
    }
    close(fds[1]);
    ssize_t got = pid > 0 ? read(fds[0], sig, n - 1) : -1;
    sig[got > 0 ? got : 0] = 0;
    close(fds[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
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

int shmf_cmd_minimize(int argc, char **argv)
{
    const char *provider = "reference", *out = NULL;
    char err[600], want[256];
    int c;
    struct shmf_target t;
    optind = 1;
    while ((c = getopt(argc, argv, "p:o:")) != -1) {
        if (c == 'p')
            provider = optarg;
        else if (c == 'o')
            out = optarg;
        else
            return shmf_usage_error("minimize: usage: shmfuzz minimize [-p P] -o OUT FILE");
    }
    if (!out || optind + 1 != argc)
        return shmf_usage_error("minimize: usage: shmfuzz minimize [-p P] -o OUT FILE");
    if (shmf_target_open(provider, &t, err, sizeof(err)) != 0)
        return shmf_usage_error("%s", err);
    struct shmf_prog *p = shmf_prog_new();
    uint8_t *bytes;
    size_t len;
    if (!p || shmf_load_input(argv[optind], p, &bytes, &len, err, sizeof(err)) != 0)
        return shmf_usage_error("%s", p ? err : "out of memory");
    free(bytes);
    run_candidate(&t, p, want, sizeof(want));
    if (!want[0]) {
        shmf_prog_free(p);
        return shmf_usage_error("minimize: %s has no finding to keep", argv[optind]);
    }
    uint32_t before = p->nops;
    unsigned runs = minimize(&t, p, want);
    FILE *f = fopen(out, "w");
    int rc = f ? shmf_prog_print(f, p, SHMF_MARKER_NONE) : -errno;
    if (f && fclose(f) != 0)
        rc = -EIO;
    fprintf(stderr, "minimize: %u -> %u ops in %u runs, finding %s\n", before, p->nops, runs,
            want);
    shmf_prog_free(p);
    return rc ? shmf_usage_error("cannot write %s", out) : SHMF_EXIT_FINDING;
}

/* === repro-c === */

static void emit_op(FILE *f, const struct shmf_op *op)
{
    char text[256];
    shmf_op_format(text, sizeof(text), op);
    fprintf(f, "    {SHMF_OP_%s, {", shmf_op_name(op->code));
    for (unsigned i = 0; i < shmf_op_nargs(op->code); i++)
        fprintf(f, "%s%#x", i ? ", " : "", op->a[i]);
    fprintf(f, "}}, /* %s */\n", text);
}

static void emit_repro(FILE *f, const struct shmf_prog *p, const char *src)
{
    fprintf(f, "/*\n * Reproducer generated by `shmfuzz repro-c %s`.\n"
               " * Build: cc -I<shmfuzz>/ndis/include -I<shmfuzz>/harness/src repro.c "
               "provider.c \\\n *        -L<build> -lshmf_harness -lshmf_runtime -ljansson -ldl "
               "-lpthread\n * It replays the ops below through the shmfuzz runtime against "
               "the provider\n * linked with it and prints the first finding.\n */\n", src);
    fprintf(f, "#include <stdio.h>\n#include <stdlib.h>\n#include <ndis.h>\n#include \"exec.h\"\n\n");
    fprintf(f, "static const struct shmf_op ops[] = {\n");
    for (uint32_t i = 0; i < p->nops; i++)
        emit_op(f, &p->ops[i]);
    if (p->nops == 0)
        fprintf(f, "    {SHMF_OP_RELOAD, {0}},\n");
    fprintf(f, "};\n\nint main(void)\n{\n"
               "    struct shmf_prog *p = shmf_prog_new();\n"
               "    struct shmf_target t = {{\"repro\", ShmfProviderSetOptions, ShmfProviderUnload}, 0, \"\"};\n"
               "    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = stdout};\n"
               "    struct shmf_exec_result res;\n"
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
    free(buf);
    return rc;
}

int shmf_cmd_repro_c(int argc, char **argv)
{
    const char *out, *in;
    char err[600];
    if (shmf_parse_in_out(argc, argv, &in, &out) != 0 || !in)
        return shmf_usage_error("repro-c: usage: shmfuzz repro-c [-o OUT.c] FILE");
    struct shmf_prog *p = shmf_prog_new();
    uint8_t *bytes;
    size_t len;
    if (!p || shmf_load_input(in, p, &bytes, &len, err, sizeof(err)) != 0)
        return shmf_usage_error("%s", p ? err : "out of memory");
    free(bytes);
    int rc = write_repro(out, p, in);
    shmf_prog_free(p);
    if (rc)
        return shmf_usage_error("cannot write %s: %s", out ? out : "stdout", strerror(-rc));
    return SHMF_EXIT_CLEAN;
}
