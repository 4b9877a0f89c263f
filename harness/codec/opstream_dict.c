/*
 * opstream_dict.c -- the libFuzzer / AFL++ dictionary of op-stream inputs
 * (`shmfuzz dict`; corpus/shmfuzz.dict is its output, checked by the test
 * `dict_in_step`).
 *
 * Every token is written through this codec: headers and records from their
 * text form (records from SHMF_OP_DICT in opstream.h, one list entry per op at
 * least), so the dictionary follows the format when an op or a field changes.
 * Calls: the codec only (opstream.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "opstream.h"

struct dict_text {
    const char *token;
    const char *text; /* op-stream text: a header line and/or op lines ('\n') */
};

static const struct dict_text headers[] = {
    {"hdr_v1", "shmfuzz-ops v=1"},
    {"hdr_v1_first_per_site", "shmfuzz-ops v=1 fault_flags=1"},
    {"hdr_v1_fail_nth_1", "shmfuzz-ops v=1 fail_nth=1"},
    {"hdr_v1_fail_nth_2", "shmfuzz-ops v=1 fail_nth=2"},
    {"hdr_v1_fail_every_3", "shmfuzz-ops v=1 fail_every=3"},
};

static const struct dict_text sequences[] = {
    {"seq_alloc_touch_free", "alloc type=0x80 rev=2 size=0x44 usage=4 length=4096\n"
                             "touch slot=0 write=1 offset=0 len=16\nfree slot=0"},
    {"seq_raise_alloc_lower_work", "raise level=2\n"
                                   "alloc type=0x80 rev=2 size=0x44 usage=4 length=4096\n"
                                   "lower\nwork"},
    {"seq_qalloc_post_rx_dpc", "qalloc order=4 bufsize=2048\npost queue=1 count=8\n"
                               "rx queue=1 count=2 pktlen=1514\ndpc queue=1"},
};

#define DICT_OP_TEXT(U, tok, fields) {#tok, SHMF_OP_##U, fields},
static const struct {
    const char *token;
    unsigned code;
    const char *fields;
} records[] = {SHMF_OP_DICT(DICT_OP_TEXT)};

/* Little-endian values that fields are compared against (page and buffer
   sizes, limits, the object headers of both parameter revisions). */
static const struct {
    const char *token;
    unsigned width;
    uint32_t value;
} values[] = {
    {"u32_4096", 4, 4096},
    {"u32_4095", 4, 4095},
    {"u32_4097", 4, 4097},
    {"u32_8192", 4, 8192},
    {"u32_65536", 4, 65536},
    {"u32_max", 4, 0xffffffffu},
    {"u32_80000000", 4, 0x80000000u},
    {"u32_7fffffff", 4, 0x7fffffffu},
    {"u32_1", 4, 1},
    {"u16_1514", 2, 1514},
    {"u16_2048", 2, 2048},
    {"u16_4096", 2, 4096},
    {"u16_max", 2, 0xffff},
    {"u16_size_r1", 2, 0x40},
    {"u16_size_r2", 2, 0x44},
    {"objhdr_r1", 4, 0x00400180u},
    {"objhdr_r2", 4, 0x00440280u},
    {"type_default", 1, 0x80},
};

static int put_bytes(FILE *f, const char *token, const uint8_t *b, size_t n)
{
    fprintf(f, "%s=\"", token);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "\\x%02x", b[i]);
    fputs("\"\n", f);
    return ferror(f) ? -EIO : 0;
}

/* Encode `text` and write its header bytes (whole) or its records (!whole). */
static int put_text(FILE *f, struct shmf_prog *p, const char *token, const char *text, bool header)
{
    uint8_t buf[4096];
    char err[256];
    size_t len;
    int rc = shmf_prog_parse(p, text, strlen(text), err, sizeof(err));
    if (rc == 0)
        rc = shmf_prog_encode(p, buf, sizeof(buf), &len);
    if (rc != 0) {
        fprintf(stderr, "dict: token %s: %s\n", token, rc == -EINVAL ? err : strerror(-rc));
        return rc;
    }
    return header ? put_bytes(f, token, buf, SHMF_HEADER_SIZE)
                  : put_bytes(f, token, buf + SHMF_HEADER_SIZE, len - SHMF_HEADER_SIZE);
}

static int put_records(FILE *f, struct shmf_prog *p)
{
    char text[512];
    int rc = 0;
    for (size_t i = 0; i < sizeof(records) / sizeof(records[0]) && !rc; i++) {
        snprintf(text, sizeof(text), "%s %s", shmf_op_name(records[i].code), records[i].fields);
        rc = put_text(f, p, records[i].token, text, false);
    }
    return rc;
}

static int put_values(FILE *f)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]) && !rc; i++) {
        uint8_t b[4];
        for (unsigned k = 0; k < values[i].width; k++)
            b[k] = (uint8_t)(values[i].value >> (8 * k));
        rc = put_bytes(f, values[i].token, b, values[i].width);
    }
    return rc;
}

/* Every op has at least one record token. */
static int check_every_op(void)
{
    for (unsigned code = 0; code < SHMF_OP_COUNT; code++) {
        size_t i = 0;
        while (i < sizeof(records) / sizeof(records[0]) && records[i].code != code)
            i++;
        if (i == sizeof(records) / sizeof(records[0])) {
            fprintf(stderr, "dict: op %s has no SHMF_OP_DICT token (opstream.h)\n",
                    shmf_op_name(code));
            return -ENOENT;
        }
    }
    return 0;
}

int shmf_dict_write(FILE *f)
{
    int rc = check_every_op();
    if (rc)
        return rc;
    struct shmf_prog *p = shmf_prog_new();
    if (!p)
        return -ENOMEM;
    fputs("# AFL++ / libFuzzer dictionary for op-stream v1 inputs (see docs/opstream.md).\n"
          "# Tokens are whole headers, whole records and little-endian boundary values.\n"
          "# Generated by `shmfuzz dict` from the op table (SHMF_OP_LIST, SHMF_OP_DICT);\n"
          "# do not edit: the test dict_in_step compares this file with its output.\n\n"
          "# Headers: version 1; fault plans.\n",
          f);
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]) && !rc; i++)
        rc = put_text(f, p, headers[i].token, headers[i].text, true);
    if (!rc) {
        fputs("\n# Whole records, one op's at a time (SHMF_OP_DICT).\n", f);
        rc = put_records(f, p);
    }
    if (!rc)
        fputs("\n# Short sequences.\n", f);
    for (size_t i = 0; i < sizeof(sequences) / sizeof(sequences[0]) && !rc; i++)
        rc = put_text(f, p, sequences[i].token, sequences[i].text, false);
    if (!rc) {
        fputs("\n# Little-endian boundary values.\n", f);
        rc = put_values(f);
    }
    shmf_prog_free(p);
    return rc ? rc : (ferror(f) ? -EIO : 0);
}
