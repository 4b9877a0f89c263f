/*
 * cmd_codec.c -- `shmfuzz decode`, `encode`, `dict`, `kinds` and `providers`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "target.h"

/* Options of a command without option values: -h/--help prints the usage, any
   other option of opts sets *flag (kinds' --json).  Returns SHMF_CONTINUE, with
   optind at the first positional argument, or an exit code. */
static int help_only(const char *cmd, int argc, char **argv, const char *shortopts,
                     const struct option *opts, int *flag)
{
    int c;
    optind = 1;
    while ((c = shmf_getopt(cmd, argc, argv, shortopts, opts)) != -1) {
        if (c == SHMF_OPT_ERROR)
            return SHMF_EXIT_USAGE;
        if (c == 'h')
            return shmf_print_usage(cmd);
        *flag = 1;
    }
    return SHMF_CONTINUE;
}

static const struct option help_opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};

int shmf_cmd_decode(int argc, char **argv)
{
    uint8_t *data;
    size_t len;
    int unused = 0;
    int rc = help_only("decode", argc, argv, "h", help_opts, &unused);
    if (rc != SHMF_CONTINUE)
        return rc;
    if (optind >= argc)
        return shmf_usage_error("decode: no input FILE given (see 'shmfuzz decode --help')");
    if (optind + 1 < argc)
        return shmf_usage_error("decode: unexpected argument '%s' (one FILE only)",
                                argv[optind + 1]);
    const char *in = argv[optind];
    rc = shmf_read_file(in, &data, &len);
    if (rc)
        return shmf_usage_error("decode: cannot read %s: %s", in, shmf_read_strerror(rc));
    struct shmf_prog *p = shmf_prog_new();
    if (!p) {
        free(data);
        return shmf_usage_error("out of memory");
    }
    shmf_prog_decode(p, data, len);
    rc = shmf_prog_print(stdout, p, SHMF_MARKER_NONE);
    free(data);
    shmf_prog_free(p);
    if (rc == 0 && fflush(stdout) != 0)
        rc = -EIO;
    return rc ? shmf_usage_error("decode: cannot write the output") : SHMF_EXIT_CLEAN;
}

int shmf_cmd_encode(int argc, char **argv)
{
    const char *in, *out;
    char err[PATH_MAX + 200];
    int rc = shmf_parse_in_out("encode", argc, argv, &in, &out, true);
    if (rc != SHMF_CONTINUE)
        return rc;
    if (shmf_check_output_file(out, err, sizeof(err)) != 0)
        return shmf_usage_error("encode: %s", err);
    struct shmf_prog *p = shmf_prog_new();
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!p)
        return shmf_usage_error("out of memory");
    rc = shmf_load_input(in, p, &bytes, &len, err, sizeof(err));
    shmf_prog_free(p);
    if (rc)
        return shmf_usage_error("encode: %s", err);
    rc = shmf_write_file_atomic(out, bytes, len);
    free(bytes);
    return rc ? shmf_usage_error("encode: cannot write %s: %s", out, strerror(-rc))
              : SHMF_EXIT_CLEAN;
}

static json_t *kinds_json(void)
{
    json_t *arr = json_array();
    for (int k = 0; k < SHMF_KIND_COUNT && arr; k++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name",
                                             shmf_kind_name((enum shmf_kind)k), "description",
                                             shmf_kind_description((enum shmf_kind)k), "rule",
                                             shmf_kind_source((enum shmf_kind)k)));
    return arr;
}

int shmf_cmd_dict(int argc, char **argv)
{
    int unused = 0;
    int rc = help_only("dict", argc, argv, "h", help_opts, &unused);
    if (rc != SHMF_CONTINUE)
        return rc;
    if (optind < argc)
        return shmf_usage_error("dict: unexpected argument '%s'", argv[optind]);
    rc = shmf_dict_write(stdout);
    if (rc == 0 && fflush(stdout) != 0)
        rc = -EIO;
    if (rc == -EIO)
        return shmf_usage_error("dict: cannot write the dictionary: %s", strerror(errno));
    return rc ? SHMF_EXIT_USAGE : SHMF_EXIT_CLEAN;
}

int shmf_cmd_kinds(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int json = 0, rc = help_only("kinds", argc, argv, "h", opts, &json);
    if (rc != SHMF_CONTINUE)
        return rc;
    if (optind < argc)
        return shmf_usage_error("kinds: unexpected argument '%s'", argv[optind]);
    if (json) {
        json_t *j = kinds_json();
        char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        if (s)
            puts(s);
        free(s);
        json_decref(j);
        return s ? SHMF_EXIT_CLEAN : shmf_usage_error("out of memory");
    }
    int width = 0;
    for (int k = 0; k < SHMF_KIND_COUNT; k++) {
        int n = (int)strlen(shmf_kind_name((enum shmf_kind)k));
        width = n > width ? n : width;
    }
    for (int k = 0; k < SHMF_KIND_COUNT; k++) {
        const char *name = shmf_kind_name((enum shmf_kind)k);
        printf("%-*s %s\n%-*s   rule: %s\n", width, k == SHMF_KIND_CRASH ? "crash-*" : name,
               shmf_kind_description((enum shmf_kind)k), width, "",
               shmf_kind_source((enum shmf_kind)k));
    }
    return SHMF_EXIT_CLEAN;
}

int shmf_cmd_providers(int argc, char **argv)
{
    int unused = 0, rc = help_only("providers", argc, argv, "h", help_opts, &unused);
    if (rc != SHMF_CONTINUE)
        return rc;
    if (optind < argc)
        return shmf_usage_error("providers: unexpected argument '%s'", argv[optind]);
    shmf_target_list(stdout);
    return SHMF_EXIT_CLEAN;
}
