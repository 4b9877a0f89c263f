/*
 * report.c -- finding.json and atomic file and JSON writing (STYLE.md item 10).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

void shmf_finding_signature(const struct shmf_finding *f, const struct shmf_prog *prog,
                            char *buf, size_t n)
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
    return json_pack("{s:s, s:s*, s:o*}", "function", f->frame, "file",
                     f->file[0] ? f->file : NULL, "line",
                     f->line ? json_integer((json_int_t)f->line) : NULL);
}

json_t *shmf_report_finding(const struct shmf_exec_result *res, const struct shmf_prog *prog,
                            const struct shmf_report_ctx *ctx)
{
    const struct shmf_finding *f = &res->first;
    char kind[80], sig[256], sha[65];
    shmf_finding_kind_name(f, kind, sizeof(kind));
    shmf_finding_signature(f, prog, sig, sizeof(sig));
    shmf_sha256_hex(ctx->input, ctx->input_len, sha);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:s, s:o*, s:s, s:s, "
                     "s:s, s:s?, s:s, s:o, s:I, s:o, s:o*}",
                     "schema", SHMF_FINDING_SCHEMA, "kind", kind, "signature", sig, "op",
                     failing_op_name(f, prog),
                     "message", f->message, "function", f->function, "rule", f->rule,
                     "object", hex_u64(f->object), "op_index", (json_int_t)res->failing_op,
                     "cpu", (json_int_t)f->cpu, "description", shmf_kind_description(f->kind),
                     "trace", trace_json(prog, res->failing_op), "input_sha256", sha,
                     "provider", ctx->provider ? ctx->provider : "", "engine",
                     ctx->engine ? ctx->engine : "replay", "input", ctx->input_path,
                     "build", shmf_build_string(), "reproduce", reproduce_json(ctx),
                     "findings_total", (json_int_t)res->findings, "faults",
                     shmf_report_faults(), "frame", frame_json(f));
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
