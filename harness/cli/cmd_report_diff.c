/*
 * cmd_report_diff.c -- `shmfuzz report-diff OLD NEW [--json OUT]`: compare two
 * campaign reports (shmfuzz-campaign/1), typically consecutive nightlies.
 *
 * OLD and NEW are campaign.json files or the directories holding them. Findings
 * are matched by signature: a signature only in NEW is a new finding, one only in
 * OLD is fixed. Coverage is compared per engine (the best `coverage.edges` of its
 * runs, in that engine's unit), throughput as totals.exec_per_s, and source
 * coverage (mode coverage) by percent where both reports carry it.
 *
 * A report whose status is failed or partial is refused: a run that did not run
 * has no findings to compare, and would show every old finding as fixed.
 *
 * Exit: 0 no new findings, 1 new findings, 2 bad input (one line on stderr).
 * Both inputs are read and checked before anything is written; --json is written
 * atomically (schema shmfuzz-report-diff/1, reports/schema/report-diff.json).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "report.h"

#define SHMF_CAMPAIGN_SCHEMA "shmfuzz-campaign/1"
#define SHMF_REPORT_DIFF_SCHEMA "shmfuzz-report-diff/1"

/* One side of the comparison. */
struct side {
    char path[PATH_MAX]; /* the campaign.json read */
    json_t *doc;         /* the whole report */
    json_t *by_sig;      /* signature -> finding (borrowed from doc) */
};

/* === Reading and checking a report === */

/* Resolve ARG (a file, or a directory holding campaign.json) into s->path. */
static int resolve_path(struct side *s, const char *arg, char *err, size_t errlen)
{
    struct stat st;
    int n;
    if (stat(arg, &st) != 0) {
        snprintf(err, errlen, "%s: %s", arg, strerror(errno));
        return -EINVAL;
    }
    n = S_ISDIR(st.st_mode) ? snprintf(s->path, sizeof(s->path), "%s/campaign.json", arg)
                            : snprintf(s->path, sizeof(s->path), "%s", arg);
    if (n < 0 || (size_t)n >= sizeof(s->path)) {
        snprintf(err, errlen, "%s: path too long", arg);
        return -EINVAL;
    }
    return 0;
}

/* The findings of a report by signature; every finding must be an object with a
   string signature. */
static int index_findings(struct side *s, char *err, size_t errlen)
{
    json_t *findings = json_object_get(s->doc, "findings"), *f;
    size_t i;
    s->by_sig = json_object();
    if (!s->by_sig)
        return -ENOMEM;
    json_array_foreach(findings, i, f) {
        const char *sig = json_string_value(json_object_get(f, "signature"));
        if (!json_is_object(f) || !sig) {
            snprintf(err, errlen, "%s: findings[%zu] has no signature", s->path, i);
            return -EINVAL;
        }
        if (json_object_set(s->by_sig, sig, f))
            return -ENOMEM;
    }
    return 0;
}

/* A campaign that did not run (failed) or ran only in part (partial) has no
   verdict: every finding of the other side would read as fixed or new. */
static int check_status(const struct side *s, char *err, size_t errlen)
{
    const char *status = json_string_value(json_object_get(s->doc, "status"));
    const char *why = json_string_value(json_object_get(s->doc, "error"));
    if (!status) {
        snprintf(err, errlen, "%s: no status", s->path);
        return -EINVAL;
    }
    if (strcmp(status, "failed") && strcmp(status, "partial"))
        return 0;
    snprintf(err, errlen, "%s: that campaign's status is %s (%s): refusing to compare it", s->path,
             status, why ? why : "no reason recorded");
    return -EINVAL;
}

/* Load s->path and check the parts the diff reads. */
static int load_side(struct side *s, const char *arg, char *err, size_t errlen)
{
    json_error_t e;
    const char *schema;
    int rc = resolve_path(s, arg, err, errlen);
    if (rc)
        return rc;
    s->doc = json_load_file(s->path, 0, &e);
    if (!s->doc) {
        if (e.line > 0)
            snprintf(err, errlen, "%s: line %d: %s", s->path, e.line, e.text);
        else
            snprintf(err, errlen, "%s", e.text);
        return -EINVAL;
    }
    schema = json_string_value(json_object_get(s->doc, "schema"));
    if (!json_is_object(s->doc) || !schema || strcmp(schema, SHMF_CAMPAIGN_SCHEMA)) {
        snprintf(err, errlen, "%s: not a %s report", s->path, SHMF_CAMPAIGN_SCHEMA);
        return -EINVAL;
    }
    if (!json_is_array(json_object_get(s->doc, "findings")) ||
        !json_is_array(json_object_get(s->doc, "runs")) ||
        !json_is_object(json_object_get(s->doc, "totals"))) {
        snprintf(err, errlen, "%s: findings, runs or totals missing", s->path);
        return -EINVAL;
    }
    rc = check_status(s, err, errlen);
    return rc ? rc : index_findings(s, err, errlen);
}

static void free_side(struct side *s)
{
    json_decref(s->by_sig);
    json_decref(s->doc);
}

/* === Comparing === */

static double num(const json_t *j)
{
    return json_is_number(j) ? json_number_value(j) : 0.0;
}

/* {old, new, delta, percent} of two numbers (integers stay integers; a missing
   side counts as 0); percent is null when old is 0. */
static json_t *change(const json_t *oj, const json_t *nj)
{
    double old = num(oj), new = num(nj);
    int ints = (!oj || json_is_integer(oj)) && (!nj || json_is_integer(nj));
    json_t *pct = old != 0.0 ? json_real((new - old) * 100.0 / old) : json_null();
    if (ints)
        return json_pack("{s:I, s:I, s:I, s:o}", "old", (json_int_t)old, "new", (json_int_t) new,
                         "delta", (json_int_t)(new - old), "percent", pct);
    return json_pack("{s:f, s:f, s:f, s:o}", "old", old, "new", new, "delta", new - old, "percent",
                     pct);
}

/* A short summary of one finding for the diff. */
static json_t *finding_summary(const json_t *f)
{
    const json_t *rel = json_object_get(f, "reliability");
    return json_pack("{s:O, s:O*, s:O*, s:O*, s:O*, s:O*, s:O*}", "signature",
                     json_object_get(f, "signature"), "kind", json_object_get(f, "kind"), "message",
                     json_object_get(f, "message"), "count", json_object_get(f, "count"),
                     "first_seen", json_object_get(f, "first_seen"), "minimized",
                     json_object_get(f, "minimized"), "reliability", rel);
}

/* Summaries of the findings of `a` whose signature is not in `b`, sorted. */
static json_t *findings_not_in(const struct side *a, const struct side *b)
{
    json_t *out = json_array(), *f;
    const char *sig;
    if (!out)
        return NULL;
    json_object_foreach(a->by_sig, sig, f) {
        if (!json_object_get(b->by_sig, sig) && json_array_append_new(out, finding_summary(f))) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *signatures_in_both(const struct side *a, const struct side *b)
{
    json_t *out = json_array(), *f;
    const char *sig;
    if (!out)
        return NULL;
    json_object_foreach(a->by_sig, sig, f) {
        if (json_object_get(b->by_sig, sig) && json_array_append_new(out, json_string(sig))) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* engine -> {unit, edges}: the best coverage any run of that engine reached. */
static json_t *coverage_by_engine(const json_t *doc)
{
    json_t *out = json_object(), *run;
    size_t i;
    json_array_foreach(json_object_get(doc, "runs"), i, run) {
        const char *engine = json_string_value(json_object_get(run, "engine"));
        const json_t *cov = json_object_get(run, "coverage");
        const json_t *edges = json_object_get(cov, "edges");
        json_t *have;
        if (!out || !engine || !json_is_number(edges))
            continue;
        have = json_object_get(out, engine);
        if (have && num(json_object_get(have, "edges")) >= num(edges))
            continue;
        json_object_set_new(out, engine,
                            json_pack("{s:O, s:s}", "edges", edges, "unit",
                                      json_string_value(json_object_get(cov, "unit"))
                                          ? json_string_value(json_object_get(cov, "unit"))
                                          : "edges"));
    }
    return out;
}

/* One engine's coverage change; either side may be missing (null). */
static json_t *engine_change(const char *engine, const json_t *o, const json_t *n)
{
    const json_t *oe = json_object_get(o, "edges"), *ne = json_object_get(n, "edges");
    const char *unit = json_string_value(json_object_get(n ? n : o, "unit"));
    json_t *c = oe && ne ? change(oe, ne) : json_object();
    if (!c)
        return NULL;
    if (!(oe && ne) && (json_object_set_new(c, "old", oe ? json_copy((json_t *)oe) : json_null()) ||
                        json_object_set_new(c, "new", ne ? json_copy((json_t *)ne) : json_null()) ||
                        json_object_set_new(c, "delta", json_null()) ||
                        json_object_set_new(c, "percent", json_null()))) {
        json_decref(c);
        return NULL;
    }
    if (json_object_set_new(c, "engine", json_string(engine)) ||
        json_object_set_new(c, "unit", json_string(unit ? unit : "edges"))) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* [{engine, unit, old, new, delta, percent}] over the union of both sides' engines,
   sorted by engine. */
static json_t *coverage_changes(const json_t *old_doc, const json_t *new_doc)
{
    json_t *o = coverage_by_engine(old_doc), *n = coverage_by_engine(new_doc);
    json_t *all = json_object(), *out = json_array(), *v;
    const char *engine;
    int rc = !o || !n || !all || !out || json_object_update(all, o) || json_object_update(all, n);
    json_object_foreach(all, engine, v) {
        if (!rc)
            rc = json_array_append_new(
                out, engine_change(engine, json_object_get(o, engine), json_object_get(n, engine)));
    }
    json_decref(o);
    json_decref(n);
    json_decref(all);
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* {lines|branches|functions|regions: change of percent} where both reports carry
   source coverage (mode coverage); null otherwise. */
static json_t *source_coverage_changes(const json_t *old_doc, const json_t *new_doc)
{
    static const char *const keys[] = {"lines", "branches", "functions", "regions"};
    const json_t *o = json_object_get(old_doc, "source_coverage");
    const json_t *n = json_object_get(new_doc, "source_coverage");
    json_t *out;
    if (!json_is_object(o) || !json_is_object(n))
        return json_null();
    out = json_object();
    for (size_t i = 0; out && i < sizeof(keys) / sizeof(keys[0]); i++) {
        const json_t *op = json_object_get(json_object_get(o, keys[i]), "percent");
        const json_t *np = json_object_get(json_object_get(n, keys[i]), "percent");
        if (json_is_number(op) && json_is_number(np) &&
            json_object_set_new(out, keys[i], change(op, np))) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* What the diff says about one side. */
static json_t *side_json(const struct side *s)
{
    const json_t *d = s->doc;
    return json_pack("{s:s, s:O*, s:O*, s:O*, s:O*, s:I}", "path", s->path, "provider",
                     json_object_get(d, "provider"), "started", json_object_get(d, "started"),
                     "status", json_object_get(d, "status"), "mode", json_object_get(d, "mode"),
                     "unique_findings", (json_int_t)json_object_size(s->by_sig));
}

static json_t *diff_json(const struct side *o, const struct side *n)
{
    const json_t *ot = json_object_get(o->doc, "totals"), *nt = json_object_get(n->doc, "totals");
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "schema",
                     SHMF_REPORT_DIFF_SCHEMA, "old", side_json(o), "new", side_json(n),
                     "new_findings", findings_not_in(n, o), "fixed_findings", findings_not_in(o, n),
                     "unchanged_findings", signatures_in_both(n, o), "coverage",
                     coverage_changes(o->doc, n->doc), "exec_per_s",
                     change(json_object_get(ot, "exec_per_s"), json_object_get(nt, "exec_per_s")),
                     "execs", change(json_object_get(ot, "execs"), json_object_get(nt, "execs")),
                     "source_coverage", source_coverage_changes(o->doc, n->doc));
}

/* === Printing === */

/* A number, or "-" for a missing side. */
static void fmt_value(char *buf, size_t n, const json_t *v, const char *fmt)
{
    if (json_is_number(v))
        snprintf(buf, n, fmt, num(v));
    else
        snprintf(buf, n, "-");
}

static void print_change(const char *label, const json_t *c, const char *fmt)
{
    char o[48], n[48], d[48], pct[32] = "";
    const json_t *delta = json_object_get(c, "delta"), *p = json_object_get(c, "percent");
    fmt_value(o, sizeof(o), json_object_get(c, "old"), fmt);
    fmt_value(n, sizeof(n), json_object_get(c, "new"), fmt);
    if (!json_is_number(delta)) {
        printf("  %-30s %s -> %s\n", label, o, n);
        return;
    }
    fmt_value(d, sizeof(d), delta, fmt);
    if (json_is_number(p))
        snprintf(pct, sizeof(pct), ", %+.1f%%", num(p));
    printf("  %-30s %s -> %s (%s%s%s)\n", label, o, n, num(delta) >= 0 ? "+" : "", d, pct);
}

static void print_findings(const char *title, char mark, const json_t *list)
{
    size_t i;
    json_t *f;
    printf("%s: %zu\n", title, json_array_size(list));
    json_array_foreach(list, i, f) {
        const char *msg = json_string_value(json_object_get(f, "message"));
        printf("  %c %s  x%lld%s%s\n", mark, json_string_value(json_object_get(f, "signature")),
               (long long)json_integer_value(json_object_get(f, "count")), msg ? "  " : "",
               msg ? msg : "");
    }
}

static void print_side(const char *label, const json_t *s)
{
    printf("%s %s  %s  %s, %lld unique findings\n", label,
           json_string_value(json_object_get(s, "path")),
           json_string_value(json_object_get(s, "started"))
               ? json_string_value(json_object_get(s, "started"))
               : "?",
           json_string_value(json_object_get(s, "status"))
               ? json_string_value(json_object_get(s, "status"))
               : "?",
           (long long)json_integer_value(json_object_get(s, "unique_findings")));
}

static void print_diff(const json_t *d)
{
    size_t i;
    json_t *c;
    const char *key;
    print_side("old:", json_object_get(d, "old"));
    print_side("new:", json_object_get(d, "new"));
    print_findings("new findings", '+', json_object_get(d, "new_findings"));
    print_findings("fixed findings", '-', json_object_get(d, "fixed_findings"));
    printf("unchanged findings: %zu\n", json_array_size(json_object_get(d, "unchanged_findings")));
    printf("throughput and coverage:\n");
    print_change("exec/s", json_object_get(d, "exec_per_s"), "%.1f");
    print_change("execs", json_object_get(d, "execs"), "%.0f");
    json_array_foreach(json_object_get(d, "coverage"), i, c) {
        char label[96];
        snprintf(label, sizeof(label), "coverage %s (%s)",
                 json_string_value(json_object_get(c, "engine")),
                 json_string_value(json_object_get(c, "unit")));
        print_change(label, c, "%.0f");
    }
    json_object_foreach(json_object_get(d, "source_coverage"), key, c) {
        char label[64];
        snprintf(label, sizeof(label), "source %s %%", key);
        print_change(label, c, "%.2f");
    }
}

/* === Command === */

int shmf_cmd_report_diff(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", required_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *json_out = NULL;
    struct side o, n;
    char err[PATH_MAX + 200] = "";
    json_t *d = NULL;
    int ch, rc;
    memset(&o, 0, sizeof(o));
    memset(&n, 0, sizeof(n));
    optind = 1;
    while ((ch = shmf_getopt("report-diff", argc, argv, "j:h", opts)) != -1) {
        if (ch == 'h')
            return shmf_print_usage("report-diff");
        if (ch != 'j')
            return SHMF_EXIT_USAGE;
        json_out = optarg;
    }
    if (argc - optind < 2)
        return shmf_usage_error(
            "report-diff: needs OLD and NEW (see 'shmfuzz report-diff --help')");
    if (argc - optind > 2)
        return shmf_usage_error("report-diff: unexpected argument '%s'", argv[optind + 2]);
    if (json_out && shmf_check_output_file(json_out, err, sizeof(err)) != 0)
        return shmf_usage_error("report-diff: %s", err);
    rc = load_side(&o, argv[optind], err, sizeof(err));
    if (!rc)
        rc = load_side(&n, argv[optind + 1], err, sizeof(err));
    if (!rc && !(d = diff_json(&o, &n)))
        rc = -ENOMEM;
    if (!rc && json_out && (rc = shmf_json_write_atomic(d, json_out)) != 0)
        snprintf(err, sizeof(err), "cannot write %s: %s", json_out, strerror(-rc));
    if (rc) {
        rc = shmf_usage_error("report-diff: %s", *err ? err : strerror(-rc));
    } else {
        print_diff(d);
        rc = json_array_size(json_object_get(d, "new_findings")) ? SHMF_EXIT_FINDING
                                                                 : SHMF_EXIT_CLEAN;
    }
    json_decref(d);
    free_side(&o);
    free_side(&n);
    return rc;
}
