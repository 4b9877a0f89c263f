/*
 * report.h -- JSON reports (Jansson), schema-versioned, keys sorted, written
 * atomically (temporary file + rename).  Schemas: reports/schema/.
 */
#ifndef SHMF_REPORT_H
#define SHMF_REPORT_H

#include <jansson.h>

#include "exec.h"
#include "report_fields.h"

#define SHMF_FINDING_SCHEMA "shmfuzz-finding/1"
#define SHMF_RUN_SCHEMA "shmfuzz-run/1"

/* What a finding report says about where the input came from. */
struct shmf_report_ctx {
    const char *provider;   /* name or path */
    const char *engine;     /* "replay", "libfuzzer", "afl", "stress" */
    const char *input_path; /* may be NULL */
    const uint8_t *input;   /* encoded input */
    size_t input_len;
};

/* JSON name of a finding's kind ("crash-<type>" for crashes). pre: buf >= 64. */
const char *shmf_finding_kind_name(const struct shmf_finding *f, char *buf, size_t n);
/* Stable signature "kind|function": the kind and the place (the provider
   function, or the routine that reported it); no addresses, no op index. */
void shmf_finding_signature(const struct shmf_finding *f, const struct shmf_prog *prog, char *buf,
                            size_t n);

/* Fault-injection counters of the world just run: attempts, injected, and per
   call site ("module+0xoffset", the runtime routine, attempts, injected). */
json_t *shmf_report_faults(void);

/* === The builders: one per schema, fields from report_fields.h ===
 *
 * A writer fills a fields struct (one json_t * per listed field, NULL = absent),
 * then calls the schema's build function, which steals every member (also on
 * failure), sets `schema`, checks each value's type and that every required field
 * is there, and returns the object, or NULL (allocation failure, or a writer's
 * bug: a missing required field or a wrong type, said on stderr). */

#define SHMF_FIELD_MEMBER(name, type, presence) json_t *name;
struct shmf_finding_fields {
    SHMF_FINDING_FIELDS(SHMF_FIELD_MEMBER)
};
struct shmf_run_fields {
    SHMF_RUN_FIELDS(SHMF_FIELD_MEMBER)
};

extern const struct shmf_report_field shmf_finding_field_descs[];
extern const size_t shmf_finding_field_count;
extern const struct shmf_report_field shmf_run_field_descs[];
extern const size_t shmf_run_field_count;

/* What every finding.json says about a finding, whoever found it. */
struct shmf_finding_src {
    const struct shmf_finding *f;
    const char *signature;         /* NULL: shmf_finding_signature() */
    const struct shmf_prog *trace; /* `trace`, the failing op marked; NULL: no trace */
    int32_t op_index;              /* failing op's index in `trace`; -1: none */
    const char *op;                /* failing op's name, or "teardown" */
    const uint8_t *input;          /* the encoded input, for `input_sha256` */
    size_t input_len;
    const char *input_path; /* `input`; NULL writes null */
    const char *provider;
    const char *engine;
    const char *reproduce; /* NULL: shmfuzz replay --provider P INPUT */
};

/* Fill the common fields of `ff` (zeroed first) from `src`.  0 or -ENOMEM (the
   members set so far are released). */
int shmf_finding_fields_fill(struct shmf_finding_fields *ff, const struct shmf_finding_src *src);
/* finding.json from `ff` (stolen). */
json_t *shmf_finding_build(struct shmf_finding_fields *ff);
/* run.json from `rf` (stolen); pre: rf->engine and rf->provider set. */
json_t *shmf_run_build(struct shmf_run_fields *rf);

/* finding.json object for the first finding of `res` (the fuzz targets' and
   replay's): the fields filled from `res`, plus findings_total and faults.
   NULL on allocation failure. */
json_t *shmf_report_finding(const struct shmf_exec_result *res, const struct shmf_prog *prog,
                            const struct shmf_report_ctx *ctx);
/* The same, with the caller's extra fields (e.g. differential; stolen): members of
   `extra` that are set override the ones filled from `res`. */
json_t *shmf_report_finding_with(const struct shmf_exec_result *res, const struct shmf_prog *prog,
                                 const struct shmf_report_ctx *ctx,
                                 struct shmf_finding_fields *extra);

/* Write `len` bytes of `data` to `path` atomically: a temporary file next to it,
   fsync, then rename.  Returns 0 or -errno (-ENAMETOOLONG for an overlong path);
   never leaves a partial file at `path`. */
int shmf_write_file_atomic(const char *path, const void *data, size_t len);

/* A set of files written together: every file goes to a temporary file first,
   and only when all were written are they renamed into place, so a failure
   leaves none of them new (a rename failure, rare, may leave some).  Returns 0
   or -errno with the failing file's index in *failed.  n <= 8. */
struct shmf_out_file {
    const char *path;
    const void *data;
    size_t len;
};
int shmf_write_files_atomic(const struct shmf_out_file *files, unsigned n, unsigned *failed);

/* Write `j` to `path` atomically with sorted keys and 2-space indent,
   followed by a newline, through shmf_write_file_atomic().  Returns 0 or -errno
   (-ENOMEM when the dump fails); never leaves a partial file at `path`. */
int shmf_json_write_atomic(json_t *j, const char *path);

/* Build string (compiler, sanitizers, commit). */
const char *shmf_build_string(void);

#endif /* SHMF_REPORT_H */
