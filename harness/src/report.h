/*
 * report.h -- JSON reports (Jansson), schema-versioned, keys sorted, written
 * atomically (temporary file + rename).  Schemas: reports/schema/.
 */
#ifndef SHMF_REPORT_H
#define SHMF_REPORT_H

#include <jansson.h>

#include "exec.h"

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
void shmf_finding_signature(const struct shmf_finding *f, const struct shmf_prog *prog,
                            char *buf, size_t n);

/* Fault-injection counters of the world just run: attempts, injected, and per
   call site ("module+0xoffset", the runtime routine, attempts, injected). */
json_t *shmf_report_faults(void);

/* finding.json object for the first finding of `res`; NULL on allocation failure. */
json_t *shmf_report_finding(const struct shmf_exec_result *res, const struct shmf_prog *prog,
                            const struct shmf_report_ctx *ctx);

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
