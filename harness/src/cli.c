/*
 * cli.c -- the `shmfuzz` command: subcommand dispatch and input helpers.
 * Exit codes everywhere: 0 clean, 1 findings, 2 usage / input / environment.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct subcommand {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
};

static const struct subcommand subcommands[] = {
    {"replay", shmf_cmd_replay,
     "[--provider P] [--json OUT] [--trace] [--verify-off] [--fail-nth N] [--fail-every K]\n"
     "             [--fail-first-per-site] [--fault-random PERMILLE --fault-seed X] FILE|DIR...\n"
     "             replay inputs (fault options replace the inputs' header plans)"},
    {"decode", shmf_cmd_decode, "FILE             print a binary input as op-stream text"},
    {"encode", shmf_cmd_encode, "FILE.ops -o OUT  write the binary form of a text input"},
    {"minimize", shmf_cmd_minimize,
     "[--provider P] -o OUT FILE  remove whole ops while the finding signature stays"},
    {"repro-c", shmf_cmd_repro_c, "[-o OUT.c] FILE  emit a standalone C reproducer"},
    {"stress", shmf_cmd_stress,
     "--provider P [--threads T] [--seconds S|--ops N] [--seed X] [--json OUT]"},
    {"report", shmf_cmd_report,
     "--out DIR RUN_DIR...  campaign.json, campaign.sarif and campaign.html from run dirs"},
    {"report-diff", shmf_cmd_report_diff,
     "OLD NEW [--json OUT]  new and fixed findings, coverage and exec/s change"},
    {"kinds", shmf_cmd_kinds, "[--json]         list the finding kinds"},
    {"providers", shmf_cmd_providers, "              list the providers found"},
};
#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

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

int shmf_read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int rc = ferror(f) ? -EIO : buf ? 0 : -ENOMEM;
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}

int shmf_parse_in_out(int argc, char **argv, const char **in, const char **out)
{
    *in = NULL;
    *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            *out = argv[++i];
        else if (!*in)
            *in = argv[i];
        else
            return -EINVAL;
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int shmf_load_input(const char *path, struct shmf_prog *p, uint8_t **bytes, size_t *len,
                    char *err, size_t errlen)
{
    uint8_t *data;
    size_t n;
    int rc = shmf_read_file(path, &data, &n);
    if (rc) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
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
    if (!*bytes)
        return -ENOMEM;
    shmf_prog_encode(p, *bytes, need, len);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: shmfuzz COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < NSUB; i++)
        fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].help);
    fprintf(f, "\nexit codes: 0 clean, 1 findings, 2 usage/input/environment error\n");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr), SHMF_EXIT_USAGE;
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
        return usage(stdout), SHMF_EXIT_CLEAN;
    for (size_t i = 0; i < NSUB; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].fn(argc - 1, argv + 1);
    return shmf_usage_error("unknown command '%s' (try 'shmfuzz --help')", argv[1]);
}
