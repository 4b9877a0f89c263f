/*
 * report_fields.h -- the top-level fields of finding.json and run.json, each
 * schema's list in this one place (STYLE.md item 8, DESIGN.md "Reports": one
 * writer per report file).
 *
 * F(name, type, presence) per field:
 *   name      the JSON key, spelled as in reports/schema/<file>.json;
 *   type      one of the SHMF_FT_* masks below (the JSON types allowed);
 *   presence  required | optional (the schema's `required` list).
 *
 * From each list come: the struct the builder fills (struct shmf_finding_fields,
 * struct shmf_run_fields in report.h: one json_t * member per field, so a writer
 * cannot emit a field that is not listed), the descriptor table the builder checks
 * types and required fields against (report.c), and the table `report_fields`
 * (tests/report/fields.c) prints for the schema test (tests/report/schema_fields.py),
 * which compares it with the `properties` and `required` of reports/schema/finding.json, run.json
 * and validates what every writer wrote.
 *
 * Adding a field: one line here, a property in the schema, a value in the writer.
 */
#ifndef SHMF_REPORT_FIELDS_H
#define SHMF_REPORT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

/* JSON types, as bits: a field's type is the set of types it may take. */
#define SHMF_JT_STRING 0x01u
#define SHMF_JT_INTEGER 0x02u
#define SHMF_JT_REAL 0x04u
#define SHMF_JT_BOOLEAN 0x08u
#define SHMF_JT_OBJECT 0x10u
#define SHMF_JT_ARRAY 0x20u
#define SHMF_JT_NULL 0x40u

#define SHMF_FT_string SHMF_JT_STRING
#define SHMF_FT_integer SHMF_JT_INTEGER
#define SHMF_FT_number (SHMF_JT_INTEGER | SHMF_JT_REAL)
#define SHMF_FT_boolean SHMF_JT_BOOLEAN
#define SHMF_FT_object SHMF_JT_OBJECT
#define SHMF_FT_array SHMF_JT_ARRAY
#define SHMF_FT_string_or_null (SHMF_JT_STRING | SHMF_JT_NULL)
#define SHMF_FT_integer_or_null (SHMF_JT_INTEGER | SHMF_JT_NULL)
/* A 64-bit seed: an integer up to INT64_MAX, else a "0x..." string (STYLE.md 10). */
#define SHMF_FT_integer_or_string (SHMF_JT_INTEGER | SHMF_JT_STRING)

#define SHMF_FP_required true
#define SHMF_FP_optional false

/* finding.json (shmfuzz-finding/1): one finding.  Written by shmf_finding_build()
   for the fuzz targets, `replay` (and its differential mode) and the stress runner;
   the campaign's findings/<h>/finding.json is replay's with engine, input and
   reproduce set by scripts/campaign/triage.py. */
#define SHMF_FINDING_FIELDS(F)                                                                     \
    F(schema, string, required)                                                                    \
    F(kind, string, required)                                                                      \
    F(signature, string, required)                                                                 \
    F(message, string, required)                                                                   \
    F(input_sha256, string, required)                                                              \
    F(provider, string, required)                                                                  \
    F(engine, string, required)                                                                    \
    F(reproduce, string, required)                                                                 \
    F(op, string, optional)                                                                        \
    F(function, string, optional)                                                                  \
    F(rule, string, optional)                                                                      \
    F(description, string, optional)                                                               \
    F(object, string, optional)                                                                    \
    F(op_index, integer, optional)                                                                 \
    F(cpu, integer, optional)                                                                      \
    F(trace, string, optional)                                                                     \
    F(input, string_or_null, optional)                                                             \
    F(build, string, optional)                                                                     \
    F(findings_total, integer, optional)                                                           \
    F(frame, object, optional)                                                                     \
    F(faults, object, optional)                                                                    \
    F(differential, object, optional)                                                              \
    /* The stress runner's (engine "stress") */                                                    \
    F(mode, string, optional)                                                                      \
    F(seed, integer_or_string, optional)                                                           \
    F(threads, integer, optional)                                                                  \
    F(seq, integer, optional)                                                                      \
    F(failing_op, string, optional)                                                                \
    F(teardown, boolean, optional)                                                                 \
    F(processors, array, optional)                                                                 \
    F(replay, object, optional)                                                                    \
    F(reproduce_serialized, string, optional)

/* run.json (shmfuzz-run/1): one engine, replay or stress run.  Written by
   shmf_run_build() for `replay` and the stress runner; the campaign's
   runs/<engine>.json by scripts/campaign/engines.py (Engine.run_json), checked
   against this list and the schema by tests/report/schema_fields.py. */
#define SHMF_RUN_FIELDS(F)                                                                         \
    F(schema, string, required)                                                                    \
    F(engine, string, required)                                                                    \
    F(provider, string, required)                                                                  \
    F(duration_s, number, optional)                                                                \
    F(execs, integer, optional)                                                                    \
    F(exec_per_s, number, optional)                                                                \
    F(findings, array, optional)                                                                   \
    F(build, string, optional)                                                                     \
    /* Engine runs of a campaign (libfuzzer, afl) */                                               \
    F(status, string, optional)                                                                    \
    F(error, string_or_null, optional)                                                             \
    F(instances, integer, optional)                                                                \
    F(started_s, number, optional)                                                                 \
    F(cpu_s, number, optional)                                                                     \
    F(corpus_size, integer_or_null, optional)                                                      \
    F(coverage, object, optional)                                                                  \
    F(crashes, integer, optional)                                                                  \
    F(hangs, integer, optional)                                                                    \
    F(command, array, optional)                                                                    \
    F(logs, array, optional)                                                                       \
    F(samples, array, optional)                                                                    \
    F(stats, object, optional)                                                                     \
    /* replay */                                                                                   \
    F(inputs, integer, optional)                                                                   \
    F(inputs_with_findings, integer, optional)                                                     \
    F(differential, object, optional)                                                              \
    /* stress */                                                                                   \
    F(mode, string, optional)                                                                      \
    F(seed, integer_or_string, optional)                                                           \
    F(threads, integer, optional)                                                                  \
    F(per_thread, array, optional)                                                                 \
    F(op_mix, object, optional)                                                                    \
    F(contention, object, optional)                                                                \
    F(findings_total, integer, optional)                                                           \
    F(verify, boolean, optional)                                                                   \
    F(interrupted, boolean, optional)                                                              \
    F(ops_limit, integer, optional)                                                                \
    F(seconds_limit, number, optional)

/* One field of a list, for the builder's checks and the schema test. */
struct shmf_report_field {
    const char *name;
    unsigned types; /* SHMF_JT_* */
    bool required;
    size_t offset; /* of its json_t * in the fields struct */
};

#endif /* SHMF_REPORT_FIELDS_H */
