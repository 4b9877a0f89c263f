/*
 * report.c -- finding.json and atomic file and JSON writing (STYLE.md item 10).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "sha256.h"

#include "build_info.h"

const char *shmf_build_string(void)
{
    return SHMF_BUILD_INFO;
}

const char *shmf_finding_kind_name(const struct shmf_finding *f, char *buf, size_t n)
{
    if (f->kind == SHMF_KIND_CRASH && f->detail[0]) {
        snprintf(buf, n, "crash-%s", f->detail);
        return buf;
    }
    snprintf(buf, n, "%s", shmf_kind_name(f->kind));
    return buf;
}

static const char *failing_op_name(const struct shmf_finding *f, const struct shmf_prog *prog)
{
    if (!prog || f->op_index < 0 || (uint32_t)f->op_index >= prog->nops)
        return "teardown";
    return shmf_op_name(prog->ops[f->op_index].code);
}

void shmf_finding_signature(const struct shmf_finding *f, const struct shmf_prog *prog, char *buf,
                            size_t n)
{
    char kind[80];
    shmf_finding_kind_name(f, kind, sizeof(kind));
    (void)prog; /* the failing op moves when ops are removed: it is not the place */
    snprintf(buf, n, "%s|%s", kind, f->function[0] ? f->function : "?");
}

static json_t *trace_json(const struct shmf_prog *prog, int32_t marker)
{
    size_t len = 0;
    shmf_prog_format(NULL, 0, &len, prog, marker < 0 ? SHMF_MARKER_NONE : (size_t)marker);
    char *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    shmf_prog_format(buf, len + 1, &len, prog, marker < 0 ? SHMF_MARKER_NONE : (size_t)marker);
    json_t *j = json_string(buf);
    free(buf);
    return j;
}

static json_t *hex_u64(uint64_t v)
{
    char b[24];
    snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
    return json_string(b);
}

static json_t *reproduce_json(const struct shmf_report_ctx *ctx)
{
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "shmfuzz replay --provider %s %s",
             ctx->provider ? ctx->provider : "reference",
             ctx->input_path ? ctx->input_path : "INPUT");
    return json_string(cmd);
}

/* A call site as "module+0xoffset": stable across runs despite ASLR. */
static json_t *site_json(const struct shmf_fault_site *s)
{
    Dl_info info;
    char buf[300];
    const char *mod = "?";
    uintptr_t base = 0;
    if (dladdr((void *)s->site, &info) && info.dli_fname) {
        mod = strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1 : info.dli_fname;
        base = (uintptr_t)info.dli_fbase;
    }
    snprintf(buf, sizeof(buf), "%s+0x%lx", mod, (unsigned long)(s->site - base));
    return json_pack("{s:s, s:s, s:I, s:I}", "site", buf, "function", s->function, "attempts",
                     (json_int_t)s->attempts, "injected", (json_int_t)s->injected);
}

static void add_site(const struct shmf_fault_site *s, void *ud)
{
    json_array_append_new((json_t *)ud, site_json(s));
}

json_t *shmf_report_faults(void)
{
    json_t *sites = json_array();
    shmf_rt_fault_sites(add_site, sites);
    return json_pack("{s:I, s:I, s:o}", "attempts", (json_int_t)shmf_rt_alloc_attempts(),
                     "injected", (json_int_t)shmf_rt_faults_injected(), "sites", sites);
}

/* Where the finding was seen in the provider (file and line when known), or
   NULL when no provider frame was on the stack. */
static json_t *frame_json(const struct shmf_finding *f)
{
    if (!f->frame[0] || !strcmp(f->frame, "?"))
        return NULL;
    return json_pack("{s:s, s:s*, s:o*}", "function", f->frame, "file", f->file[0] ? f->file : NULL,
                     "line", f->line ? json_integer((json_int_t)f->line) : NULL);
}

/* === The builders (report_fields.h) === */

#define SHMF_REPORT_FIELD_DESC(st, name, type, presence)                                           \
    {#name, SHMF_FT_##type, SHMF_FP_##presence, offsetof(struct st, name)},
#define FINDING_DESC(name, type, presence)                                                         \
    SHMF_REPORT_FIELD_DESC(shmf_finding_fields, name, type, presence)
#define RUN_DESC(name, type, presence) SHMF_REPORT_FIELD_DESC(shmf_run_fields, name, type, presence)

const struct shmf_report_field shmf_finding_field_descs[] = {SHMF_FINDING_FIELDS(FINDING_DESC)};
const size_t shmf_finding_field_count =
    sizeof(shmf_finding_field_descs) / sizeof(shmf_finding_field_descs[0]);
const struct shmf_report_field shmf_run_field_descs[] = {SHMF_RUN_FIELDS(RUN_DESC)};
const size_t shmf_run_field_count = sizeof(shmf_run_field_descs) / sizeof(shmf_run_field_descs[0]);

static json_t **member(void *fields, const struct shmf_report_field *d)
{
    return (json_t **)((char *)fields + d->offset);
}

static unsigned json_type_bit(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING: return SHMF_JT_STRING;
    case JSON_INTEGER: return SHMF_JT_INTEGER;
    case JSON_REAL: return SHMF_JT_REAL;
    case JSON_TRUE:
    case JSON_FALSE: return SHMF_JT_BOOLEAN;
    case JSON_OBJECT: return SHMF_JT_OBJECT;
    case JSON_ARRAY: return SHMF_JT_ARRAY;
    default: return SHMF_JT_NULL;
    }
}

/* The object of the listed fields that are set (all stolen), or NULL when one is
   missing, of a type the list does not allow, or on allocation failure.  A
   missing or mistyped field is a writer's bug: said on stderr. */
static json_t *assemble(const char *file, const struct shmf_report_field *descs, size_t n,
                        void *fields)
{
    json_t *j = json_object();
    bool ok = j != NULL;
    for (size_t i = 0; i < n; i++) {
        json_t **v = member(fields, &descs[i]);
        if (ok && !*v && descs[i].required) {
            fprintf(stderr, "shmfuzz: %s: required field '%s' not set\n", file, descs[i].name);
            ok = false;
        } else if (ok && *v && !(json_type_bit(*v) & descs[i].types)) {
            fprintf(stderr, "shmfuzz: %s: field '%s' has a type its list does not allow\n", file,
                    descs[i].name);
            ok = false;
        }
        if (ok && *v && json_object_set_new(j, descs[i].name, *v) != 0)
            ok = false;
        else if (!ok)
            json_decref(*v);
        *v = NULL;
    }
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static void release(const struct shmf_report_field *descs, size_t n, void *fields)
{
    for (size_t i = 0; i < n; i++) {
        json_t **v = member(fields, &descs[i]);
        json_decref(*v);
        *v = NULL;
    }
}

json_t *shmf_finding_build(struct shmf_finding_fields *ff)
{
    json_decref(ff->schema);
    ff->schema = json_string(SHMF_FINDING_SCHEMA);
    return assemble("finding.json", shmf_finding_field_descs, shmf_finding_field_count, ff);
}

json_t *shmf_run_build(struct shmf_run_fields *rf)
{
    json_decref(rf->schema);
    rf->schema = json_string(SHMF_RUN_SCHEMA);
    return assemble("run.json", shmf_run_field_descs, shmf_run_field_count, rf);
}

int shmf_finding_fields_fill(struct shmf_finding_fields *ff, const struct shmf_finding_src *s)
{
    const struct shmf_finding *f = s->f;
    char kind[80], sig[256], sha[65];
    memset(ff, 0, sizeof(*ff));
    shmf_finding_kind_name(f, kind, sizeof(kind));
    if (!s->signature)
        shmf_finding_signature(f, s->trace, sig, sizeof(sig));
    shmf_sha256_hex(s->input, s->input_len, sha);
    struct shmf_report_ctx rctx = {s->provider, s->engine, s->input_path, NULL, 0};
    ff->kind = json_string(kind);
    ff->signature = json_string(s->signature ? s->signature : sig);
    ff->message = json_string(f->message);
    ff->input_sha256 = json_string(sha);
    ff->provider = json_string(s->provider ? s->provider : "");
    ff->engine = json_string(s->engine ? s->engine : "replay");
    ff->reproduce = s->reproduce ? json_string(s->reproduce) : reproduce_json(&rctx);
    ff->op = json_string(s->op ? s->op : "teardown");
    ff->function = json_string(f->function);
    ff->rule = json_string(f->rule);
    ff->description = json_string(shmf_kind_description(f->kind));
    ff->object = hex_u64(f->object);
    ff->op_index = json_integer(s->op_index);
    ff->cpu = json_integer((json_int_t)f->cpu);
    ff->trace = s->trace ? trace_json(s->trace, s->op_index) : NULL;
    ff->input = s->input_path ? json_string(s->input_path) : json_null();
    ff->build = json_string(shmf_build_string());
    ff->frame = frame_json(f);
    bool ok = ff->kind && ff->signature && ff->message && ff->input_sha256 && ff->provider &&
              ff->engine && ff->reproduce && ff->op && ff->function && ff->rule &&
              ff->description && ff->object && ff->op_index && ff->cpu &&
              (ff->trace || !s->trace) && ff->input && ff->build;
    if (!ok) {
        release(shmf_finding_field_descs, shmf_finding_field_count, ff);
        return -ENOMEM;
    }
    return 0;
}

json_t *shmf_report_finding_with(const struct shmf_exec_result *res, const struct shmf_prog *prog,
                                 const struct shmf_report_ctx *ctx,
                                 struct shmf_finding_fields *extra)
{
    const struct shmf_finding *f = &res->first;
    struct shmf_finding_src src = {.f = f,
                                   .trace = prog,
                                   .op_index = res->failing_op,
                                   .op = failing_op_name(f, prog),
                                   .input = ctx->input,
                                   .input_len = ctx->input_len,
                                   .input_path = ctx->input_path,
                                   .provider = ctx->provider,
                                   .engine = ctx->engine};
    struct shmf_finding_fields ff;
    if (shmf_finding_fields_fill(&ff, &src) != 0) {
        if (extra)
            release(shmf_finding_field_descs, shmf_finding_field_count, extra);
        return NULL;
    }
    ff.findings_total = json_integer((json_int_t)res->findings);
    ff.faults = shmf_report_faults();
    for (size_t i = 0; extra && i < shmf_finding_field_count; i++) {
        json_t **mine = member(&ff, &shmf_finding_field_descs[i]);
        json_t **theirs = member(extra, &shmf_finding_field_descs[i]);
        if (*theirs) {
            json_decref(*mine);
            *mine = *theirs;
            *theirs = NULL;
        }
    }
    if (!ff.findings_total || !ff.faults) {
        release(shmf_finding_field_descs, shmf_finding_field_count, &ff);
        return NULL;
    }
    return shmf_finding_build(&ff);
}

json_t *shmf_report_finding(const struct shmf_exec_result *res, const struct shmf_prog *prog,
                            const struct shmf_report_ctx *ctx)
{
    return shmf_report_finding_with(res, prog, ctx, NULL);
}

/* === Atomic file writing === */

/* Write all `len` bytes of `data` to `fd`.  Returns 0 or -errno. */
static int write_full(int fd, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0)
            return -errno;
        off += (size_t)w;
    }
    return 0;
}

/* data into "<path>.tmp.<pid>" (its name into tmp), flushed to disk. */
static int write_temp(const char *path, const void *data, size_t len, char *tmp, size_t n)
{
    if (snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid()) >= (int)n)
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    int rc = write_full(fd, data, len);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int shmf_write_file_atomic(const char *path, const void *data, size_t len)
{
    char tmp[4096];
    int rc = write_temp(path, data, len, tmp, sizeof(tmp));
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -errno;
        unlink(tmp);
    }
    return rc;
}

int shmf_write_files_atomic(const struct shmf_out_file *files, unsigned n, unsigned *failed)
{
    char tmp[8][4096];
    unsigned i, k;
    int rc = 0;
    if (n > 8)
        return -E2BIG;
    for (i = 0; i < n && rc == 0; i++)
        rc = write_temp(files[i].path, files[i].data, files[i].len, tmp[i], sizeof(tmp[i]));
    if (rc != 0) {
        *failed = i - 1;
        for (k = 0; k + 1 < i; k++)
            unlink(tmp[k]);
        return rc;
    }
    for (i = 0; i < n; i++) {
        if (rename(tmp[i], files[i].path) != 0 && rc == 0) {
            rc = -errno;
            *failed = i;
            unlink(tmp[i]);
        }
    }
    return rc;
}

int shmf_json_write_atomic(json_t *j, const char *path)
{
    char *text = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2));
    size_t len = text ? strlen(text) : 0;
    char *line = text ? realloc(text, len + 2) : NULL;
    if (!line) {
        free(text);
        return -ENOMEM;
    }
    memcpy(line + len, "\n", 2);
    int rc = shmf_write_file_atomic(path, line, len + 1);
    free(line);
    return rc;
}
