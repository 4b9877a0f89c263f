/*
 * cmd_codec.c -- `shmfuzz decode`, `encode`, `kinds` and `providers`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "target.h"

int shmf_cmd_decode(int argc, char **argv)
{
    uint8_t *data;
    size_t len;
    if (argc != 2)
        return shmf_usage_error("decode: usage: shmfuzz decode FILE");
    int rc = shmf_read_file(argv[1], &data, &len);
    if (rc)
        return shmf_usage_error("cannot read %s: %s", argv[1], strerror(-rc));
    struct shmf_prog *p = shmf_prog_new();
    if (!p)
        return shmf_usage_error("out of memory");
    shmf_prog_decode(p, data, len);
    rc = shmf_prog_print(stdout, p, SHMF_MARKER_NONE);
    free(data);
    shmf_prog_free(p);
    return rc ? shmf_usage_error("cannot write output") : SHMF_EXIT_CLEAN;
}

int shmf_cmd_encode(int argc, char **argv)
{
    const char *in, *out;
    char err[512];
    if (shmf_parse_in_out(argc, argv, &in, &out) != 0 || !in || !out)
        return shmf_usage_error("encode: usage: shmfuzz encode FILE.ops -o OUT");
    struct shmf_prog *p = shmf_prog_new();
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!p)
        return shmf_usage_error("out of memory");
    int rc = shmf_load_input(in, p, &bytes, &len, err, sizeof(err));
    shmf_prog_free(p);
    if (rc)
        return shmf_usage_error("%s", err);
    rc = shmf_write_file_atomic(out, bytes, len);
    free(bytes);
    return rc ? shmf_usage_error("cannot write %s: %s", out, strerror(-rc)) : SHMF_EXIT_CLEAN;
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

int shmf_cmd_kinds(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--json")) {
        json_t *j = kinds_json();
        char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        if (s)
            puts(s);
        free(s);
        json_decref(j);
        return s ? SHMF_EXIT_CLEAN : shmf_usage_error("out of memory");
    }
    if (argc != 1)
        return shmf_usage_error("kinds: usage: shmfuzz kinds [--json]");
    for (int k = 0; k < SHMF_KIND_COUNT; k++) {
        const char *name = shmf_kind_name((enum shmf_kind)k);
        printf("%-28s %s\n%-28s   rule: %s\n", k == SHMF_KIND_CRASH ? "crash-*" : name,
               shmf_kind_description((enum shmf_kind)k), "", shmf_kind_source((enum shmf_kind)k));
    }
    return SHMF_EXIT_CLEAN;
}

int shmf_cmd_providers(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return shmf_usage_error("providers: usage: shmfuzz providers");
    shmf_target_list(stdout);
    return SHMF_EXIT_CLEAN;
}
