/*
 * cmd_report.c -- `shmfuzz report --out DIR RUN_DIR...`: turn what a campaign
 * collected into campaign.json (schema shmfuzz-campaign/1), campaign.sarif (SARIF
 * 2.1.0) and a self-contained campaign.html.
 *
 * A run directory, as scripts/campaign.sh writes it (docs/campaigns.md):
 *   meta.json                    shmfuzz-campaign-meta/1: provider, mode, status, times
 *   runs/<engine>.json           shmfuzz-run/1: normalized engine stats and samples
 *   findings/<hash>/meta.json    shmfuzz-finding-meta/1: signature, count, reliability
 *   findings/<hash>/finding.json shmfuzz-finding/1 (optional here)
 * Several run directories merge into one report: runs are listed, findings are
 * deduplicated by signature (counts and reliability add up, first_seen is the
 * earliest). Every input is read and checked before anything is written, and each
 * output is written atomically, so bad input leaves no file behind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"

#define SHMF_CAMPAIGN_SCHEMA "shmfuzz-campaign/1"
#define SHMF_CAMPAIGN_META_SCHEMA "shmfuzz-campaign-meta/1"
#define SHMF_FINDING_META_SCHEMA "shmfuzz-finding-meta/1"
#define SHMF_REPORT_VERSION "0.1.0"
#define SARIF_SCHEMA_URI "https://json.schemastore.org/sarif-2.1.0.json"

struct campaign {
    const char *out;       /* --out directory (absolute) */
    json_t *meta;          /* the first run directory's meta.json (borrowed values) */
    json_t *metas;         /* every meta.json */
    json_t *runs;          /* array of normalized runs */
    json_t *findings;      /* object: signature -> finding summary */
    json_t *series;        /* array of {engine, t, execs, exec_per_s, corpus_size, coverage} */
    json_t *run_dirs;      /* array of strings */
    char err[600];
};

/* === Small helpers === */

static int fail(struct campaign *c, const char *fmt, const char *a, const char *b)
{
    snprintf(c->err, sizeof(c->err), fmt, a, b ? b : "");
    return -EINVAL;
}

static json_t *load_json(struct campaign *c, const char *path, const char *want_schema)
{
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    const char *schema;
    if (!j) {
        char where[300];
        snprintf(where, sizeof(where), "line %d: %s", e.line, e.text);
        fail(c, "%s: %s", path, access(path, R_OK) ? strerror(errno) : where);
        return NULL;
    }
    schema = json_string_value(json_object_get(j, "schema"));
    if (!json_is_object(j) || (want_schema && (!schema || strcmp(schema, want_schema)))) {
        fail(c, "%s: not a %s document", path, want_schema ? want_schema : "JSON object");
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Path of `path` relative to the --out directory when it lies inside it. */
static json_t *rel_to_out(const struct campaign *c, const char *path)
{
    char real[PATH_MAX];
    size_t n = strlen(c->out);
    if (!realpath(path, real))
        snprintf(real, sizeof(real), "%s", path);
    if (strncmp(real, c->out, n) == 0 && real[n] == '/')
        return json_string(real + n + 1);
    return json_string(real);
}

static double num(const json_t *j, const char *key)
{
    return json_number_value(json_object_get(j, key));
}

static const char *str(const json_t *j, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : dflt;
}

/* Names of the entries of dir (sorted); NULL-terminated; NULL when dir is absent. */
static char **list_dir(const char *dir)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    char **names;
    int k = 0;
    if (n < 0)
        return NULL;
    names = calloc((size_t)n + 1, sizeof(*names));
    for (int i = 0; i < n; i++) {
        if (names && ents[i]->d_name[0] != '.')
            names[k++] = strdup(ents[i]->d_name);
        free(ents[i]);
    }
    free(ents);
    return names;
}

static void free_list(char **names)
{
    for (char **p = names; p && *p; p++)
        free(*p);
    free(names);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* === Reading a run directory === */

static int add_samples(struct campaign *c, const char *engine, const json_t *samples)
{
    size_t i;
    json_t *s;
    json_array_foreach(samples, i, s) {
        json_t *p = json_pack("{s:s, s:O*, s:O*, s:O*, s:O*, s:O*}", "engine", engine, "t",
                              json_object_get(s, "t"), "execs", json_object_get(s, "execs"),
                              "exec_per_s", json_object_get(s, "exec_per_s"), "corpus_size",
                              json_object_get(s, "corpus_size"), "coverage",
                              json_object_get(s, "coverage"));
        if (!p || json_array_append_new(c->series, p))
            return -ENOMEM;
    }
    return 0;
}

static int add_run(struct campaign *c, const char *run_dir, const char *path)
{
    json_t *r = load_json(c, path, SHMF_RUN_SCHEMA);
    json_t *cov, *n;
    const char *engine;
    int rc;
    if (!r)
        return -EINVAL;
    engine = str(r, "engine", "?");
    cov = json_object_get(r, "coverage");
    n = json_pack("{s:s, s:s, s:s, s:O*, s:f, s:I, s:f, s:O*, s:O*, s:s?, s:I, s:I, s:O*}",
                  "engine", engine, "run_dir", run_dir, "status", str(r, "status", "ok"),
                  "instances", json_object_get(r, "instances"), "duration_s",
                  num(r, "duration_s"), "execs", (json_int_t)num(r, "execs"), "exec_per_s",
                  num(r, "exec_per_s"), "corpus_size", json_object_get(r, "corpus_size"),
                  "coverage", json_is_object(cov) ? cov : NULL, "error",
                  json_string_value(json_object_get(r, "error")), "crashes",
                  (json_int_t)num(r, "crashes"), "hangs", (json_int_t)num(r, "hangs"),
                  "stats", json_object_get(r, "stats"));
    rc = n ? json_array_append_new(c->runs, n) : -ENOMEM;
    if (rc == 0 && json_is_array(json_object_get(r, "samples")))
        rc = add_samples(c, engine, json_object_get(r, "samples"));
    json_decref(r);
    return rc ? -ENOMEM : 0;
}

static int read_runs(struct campaign *c, const char *run_dir)
{
    char dir[PATH_MAX], path[PATH_MAX];
    char **names;
    int rc = 0;
    snprintf(dir, sizeof(dir), "%s/runs", run_dir);
    names = list_dir(dir);
    for (char **p = names; p && *p && rc == 0; p++) {
        if (!ends_with(*p, ".json"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, *p);
        rc = add_run(c, run_dir, path);
    }
    free_list(names);
    return rc;
}

/* Paths inside one finding directory, relative to --out. */
static json_t *finding_path(const struct campaign *c, const char *fdir, const char *name)
{
    char path[PATH_MAX];
    if (!name)
        return json_null();
    snprintf(path, sizeof(path), "%s/%s", fdir, name);
    return rel_to_out(c, path);
}

static json_t *new_finding(const struct campaign *c, const json_t *m, const char *fdir)
{
    json_t *rel = json_object_get(m, "reliability");
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:I, s:{s:I, s:I, s:b}, s:o, s:o, s:o, s:o, "
        "s:O*, s:O*, s:b, s:O*, s:O*}",
        "kind", str(m, "kind", "?"), "signature", str(m, "signature", "?"), "message",
        str(m, "message", ""), "function", str(m, "function", "?"), "first_seen",
        str(m, "first_seen", ""), "input_sha256", str(m, "input_sha256", ""), "first_seen_s",
        num(m, "first_seen_s"), "count", (json_int_t)num(m, "count"), "reliability",
        "attempts", (json_int_t)num(rel, "attempts"), "reproduced",
        (json_int_t)num(rel, "reproduced"), "reliable", json_is_true(json_object_get(rel, "reliable")),
        "minimized", finding_path(c, fdir, str(m, "minimized", NULL)), "input",
        finding_path(c, fdir, "input.bin"), "repro_c", finding_path(c, fdir, "repro.c"),
        "finding_dir", rel_to_out(c, fdir), "engines", json_object_get(m, "engines"),
        "location", json_object_get(m, "location"), "new",
        json_is_true(json_object_get(m, "new")), "minimized_ops",
        json_object_get(m, "minimized_ops"), "input_ops", json_object_get(m, "input_ops"));
}

/* The same signature from another run directory: add up, keep the earliest. */
static void merge_finding(json_t *have, json_t *add)
{
    json_t *hr = json_object_get(have, "reliability"), *ar = json_object_get(add, "reliability");
    json_int_t att = json_integer_value(json_object_get(hr, "attempts")) +
                     json_integer_value(json_object_get(ar, "attempts"));
    json_int_t rep = json_integer_value(json_object_get(hr, "reproduced")) +
                     json_integer_value(json_object_get(ar, "reproduced"));
    json_object_set_new(have, "count",
                        json_integer(json_integer_value(json_object_get(have, "count")) +
                                     json_integer_value(json_object_get(add, "count"))));
    json_object_set_new(hr, "attempts", json_integer(att));
    json_object_set_new(hr, "reproduced", json_integer(rep));
    json_object_set_new(hr, "reliable", json_boolean(att > 0 && att == rep));
    if (strcmp(str(add, "first_seen", ""), str(have, "first_seen", "")) < 0)
        json_object_set(have, "first_seen", json_object_get(add, "first_seen"));
    if (json_is_true(json_object_get(add, "new")))
        json_object_set_new(have, "new", json_true());
}

static int read_findings(struct campaign *c, const char *run_dir)
{
    char dir[PATH_MAX], fdir[PATH_MAX], path[PATH_MAX + 16];
    char **names;
    int rc = 0;
    snprintf(dir, sizeof(dir), "%s/findings", run_dir);
    names = list_dir(dir);
    for (char **p = names; p && *p && rc == 0; p++) {
        snprintf(fdir, sizeof(fdir), "%s/%s", dir, *p);
        snprintf(path, sizeof(path), "%s/meta.json", fdir);
        json_t *m = load_json(c, path, SHMF_FINDING_META_SCHEMA);
        json_t *f = m ? new_finding(c, m, fdir) : NULL;
        const char *sig = str(m, "signature", NULL);
        if (!m || !sig)
            rc = m ? fail(c, "%s: no signature%s", path, NULL) : -EINVAL;
        else if (!f)
            rc = -ENOMEM;
        else if (json_object_get(c->findings, sig))
            merge_finding(json_object_get(c->findings, sig), f);
        else if (json_object_set(c->findings, sig, f))
            rc = -ENOMEM;
        json_decref(f);
        json_decref(m);
    }
    free_list(names);
    return rc;
}

static int read_run_dir(struct campaign *c, const char *arg)
{
    char run_dir[PATH_MAX], path[PATH_MAX + 16];
    struct stat st;
    json_t *meta;
    if (stat(arg, &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(c, "%s: not a run directory%s", arg, NULL);
    if (!realpath(arg, run_dir))
        return fail(c, "%s: %s", arg, strerror(errno));
    snprintf(path, sizeof(path), "%s/meta.json", run_dir);
    meta = load_json(c, path, SHMF_CAMPAIGN_META_SCHEMA);
    if (!meta)
        return -EINVAL;
    if (json_array_append_new(c->metas, meta) ||
        json_array_append_new(c->run_dirs, rel_to_out(c, run_dir)))
        return -ENOMEM;
    if (!c->meta)
        c->meta = meta;
    int rc = read_runs(c, run_dir);
    return rc ? rc : read_findings(c, run_dir);
}

/* === campaign.json === */

/* ok, or interrupted / failed when any run directory says so. */
static const char *overall_status(const struct campaign *c)
{
    const char *status = "ok";
    size_t i;
    json_t *m;
    json_array_foreach(c->metas, i, m) {
        const char *s = str(m, "status", "ok");
        if (!strcmp(s, "failed"))
            return "failed";
        if (!strcmp(s, "interrupted"))
            status = "interrupted";
    }
    return status;
}

static double total_duration(const struct campaign *c)
{
    double d = 0;
    size_t i;
    json_t *m;
    json_array_foreach(c->metas, i, m)
        d += num(m, "duration_s");
    return d;
}

static int cmp_finding(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int r = strcmp(str(x, "first_seen", ""), str(y, "first_seen", ""));
    return r ? r : strcmp(str(x, "signature", ""), str(y, "signature", ""));
}

/* Findings as an array ordered by first_seen, then signature. */
static json_t *findings_array(const struct campaign *c)
{
    size_t n = json_object_size(c->findings), k = 0;
    json_t **v = calloc(n ? n : 1, sizeof(*v)), *arr = json_array();
    const char *key;
    json_t *f;
    if (!v || !arr) {
        free(v);
        json_decref(arr);
        return NULL;
    }
    json_object_foreach(c->findings, key, f)
        v[k++] = f;
    qsort(v, n, sizeof(*v), cmp_finding);
    for (k = 0; k < n; k++)
        json_array_append(arr, v[k]);
    free(v);
    return arr;
}

static json_t *totals_json(const struct campaign *c, const json_t *findings)
{
    json_int_t execs = 0, fresh = 0, unreliable = 0;
    double rate = 0;
    size_t i;
    json_t *r;
    json_array_foreach(c->runs, i, r) {
        execs += (json_int_t)num(r, "execs");
        rate += num(r, "exec_per_s");
    }
    json_array_foreach(findings, i, r) {
        fresh += json_is_true(json_object_get(r, "new"));
        unreliable += !json_is_true(json_object_get(json_object_get(r, "reliability"), "reliable"));
    }
    rate = (double)(long long)(rate * 10 + 0.5) / 10;
    return json_pack("{s:I, s:f, s:I, s:I, s:I}", "execs", execs, "exec_per_s", rate,
                     "unique_findings", (json_int_t)json_array_size(findings), "new_findings",
                     fresh, "unreliable_findings", unreliable);
}

static json_t *campaign_json(const struct campaign *c)
{
    const json_t *m = c->meta;
    const json_t *last = json_array_get(c->metas, json_array_size(c->metas) - 1);
    json_t *findings = findings_array(c);
    if (!findings)
        return NULL;
    return json_pack("{s:s, s:s, s:s*, s:s, s:s, s:s, s:s, s:f, s:O*, s:O*, s:O, s:o, s:o, "
                     "s:O, s:O*, s:O*, s:s, s:O}",
                     "schema", SHMF_CAMPAIGN_SCHEMA, "provider", str(m, "provider", "?"),
                     "provider_source", json_string_value(json_object_get(m, "provider_source")),
                     "mode", str(m, "mode", "batch"), "status", overall_status(c), "started",
                     str(m, "started", ""), "ended", str(last, "ended", ""), "duration_s",
                     total_duration(c), "budget_s", json_object_get(m, "budget_s"), "jobs",
                     json_object_get(m, "jobs"), "runs", c->runs, "findings", findings,
                     "totals", totals_json(c, findings), "coverage_over_time", c->series,
                     "corpus", json_object_get(last, "corpus"), "source_coverage",
                     json_object_get(last, "coverage"), "build", shmf_build_string(),
                     "run_dirs", c->run_dirs);
}

/* === campaign.sarif === */

/* Catalogue rule of a finding kind: crash-<type> and unknown kinds map to "crash". */
static int rule_index(const char *kind)
{
    int k = shmf_kind_from_name(kind);
    return k >= 0 ? k : SHMF_KIND_CRASH;
}

static json_t *sarif_rules(void)
{
    json_t *rules = json_array();
    for (int k = 0; rules && k < SHMF_KIND_COUNT; k++) {
        enum shmf_kind kind = (enum shmf_kind)k;
        json_array_append_new(
            rules, json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}", "id",
                             shmf_kind_name(kind), "name", shmf_kind_name(kind),
                             "shortDescription", "text", shmf_kind_description(kind),
                             "fullDescription", "text", shmf_kind_description(kind), "help",
                             "text", shmf_kind_source(kind), "defaultConfiguration", "level",
                             "error"));
    }
    return rules;
}

static json_t *sarif_location(const json_t *f)
{
    const json_t *loc = json_object_get(f, "location");
    const char *file = str(loc, "file", NULL);
    json_t *region = NULL, *phys;
    if (!file)
        return json_array();
    if (json_integer_value(json_object_get(loc, "line")) > 0)
        region = json_pack("{s:O}", "startLine", json_object_get(loc, "line"));
    if (file[0] == '/')
        phys = json_pack("{s:{s:s++}, s:o*}", "artifactLocation", "uri", "file://", file,
                         "region", region);
    else
        phys = json_pack("{s:{s:s, s:s}, s:o*}", "artifactLocation", "uri", file, "uriBaseId",
                         "%SRCROOT%", "region", region);
    return json_pack("[{s:o}]", "physicalLocation", phys);
}

static json_t *sarif_result(const json_t *f)
{
    const char *kind = str(f, "kind", "crash");
    const json_t *rel = json_object_get(f, "reliability");
    int k = rule_index(kind);
    char text[1200];
    snprintf(text, sizeof(text), "%s: %s (in %s; seen %lld times; reproduced %lld/%lld)", kind,
             str(f, "message", ""), str(f, "function", "?"),
             (long long)json_integer_value(json_object_get(f, "count")),
             (long long)json_integer_value(json_object_get(rel, "reproduced")),
             (long long)json_integer_value(json_object_get(rel, "attempts")));
    return json_pack("{s:s, s:i, s:s, s:{s:s}, s:o, s:{s:s}, s:{s:s, s:O, s:O, s:O*, s:O}}",
                     "ruleId", shmf_kind_name((enum shmf_kind)k), "ruleIndex", k, "level",
                     "error", "message", "text", text, "locations", sarif_location(f),
                     "partialFingerprints", "shmfuzzSignature/v1", str(f, "signature", ""),
                     "properties", "kind", kind, "count", json_object_get(f, "count"),
                     "reliability", rel, "minimized", json_object_get(f, "minimized"), "new",
                     json_object_get(f, "new"));
}

static json_t *sarif_json(const json_t *camp)
{
    json_t *results = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(camp, "findings"), i, f)
        json_array_append_new(results, sarif_result(f));
    return json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:o}]}", "$schema",
                     SARIF_SCHEMA_URI, "version", "2.1.0", "runs", "tool", "driver", "name",
                     "shmfuzz", "semanticVersion", SHMF_REPORT_VERSION, "rules", sarif_rules(),
                     "results", results);
}

/* === campaign.html === */

static void html_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char *const html_css =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}"
    "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;"
    "padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px}"
    ".ok{color:#17692b}.bad{color:#b00020;font-weight:600}.warn{color:#9a6700}"
    ".tag{display:inline-block;padding:0 6px;border-radius:8px;background:#eee;font-size:12px}"
    "svg{background:#fcfcfc;border:1px solid #ddd}";

static const char *const engine_colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

/* Engines that appear in the series, in first-seen order (at most 4). */
static size_t series_engines(const json_t *series, const char *names[4])
{
    size_t n = 0, i, k;
    json_t *s;
    json_array_foreach(series, i, s) {
        const char *e = str(s, "engine", "?");
        for (k = 0; k < n && strcmp(names[k], e); k++)
            ;
        if (k == n && n < 4)
            names[n++] = e;
    }
    return n;
}

static void series_range(const json_t *series, const char *key, double *tmax, double *vmax)
{
    size_t i;
    json_t *s;
    *tmax = 1;
    *vmax = 1;
    json_array_foreach(series, i, s) {
        *tmax = num(s, "t") > *tmax ? num(s, "t") : *tmax;
        *vmax = num(s, key) > *vmax ? num(s, key) : *vmax;
    }
}

/* One inline SVG line plot of `key` over time, one polyline per engine. */
static void html_plot(FILE *f, const json_t *series, const char *key, const char *title)
{
    const double w = 520, h = 170, x0 = 60, y0 = 10;
    const char *names[4];
    size_t ne = series_engines(series, names), i;
    double tmax, vmax;
    json_t *s;
    series_range(series, key, &tmax, &vmax);
    fprintf(f, "<figure><figcaption>%s</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" "
               "width=\"600\" height=\"210\" role=\"img\">", title);
    fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#999\"/>"
               "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#999\"/>",
            x0, y0, x0, y0 + h, x0, y0 + h, x0 + w, y0 + h);
    fprintf(f, "<text x=\"4\" y=\"%g\" font-size=\"11\">%.0f</text>"
               "<text x=\"4\" y=\"%g\" font-size=\"11\">0</text>"
               "<text x=\"%g\" y=\"%g\" font-size=\"11\" text-anchor=\"end\">%.0f s</text>",
            y0 + 10, vmax, y0 + h, x0 + w, y0 + h + 16, tmax);
    for (size_t e = 0; e < ne; e++) {
        fprintf(f, "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"%s\" points=\"",
                engine_colors[e]);
        json_array_foreach(series, i, s) {
            if (strcmp(str(s, "engine", "?"), names[e]) == 0)
                fprintf(f, "%.1f,%.1f ", x0 + w * num(s, "t") / tmax,
                        y0 + h - h * num(s, key) / vmax);
        }
        fprintf(f, "\"/><text x=\"%g\" y=\"%g\" font-size=\"12\" fill=\"%s\">", x0 + 10,
                y0 + 14 + 14 * (double)e, engine_colors[e]);
        html_text(f, names[e]);
        fputs("</text>", f);
    }
    fputs("</svg></figure>\n", f);
}

static void html_runs(FILE *f, const json_t *camp)
{
    size_t i;
    json_t *r;
    fputs("<h2>Engines</h2><table><tr><th>engine</th><th>status</th><th>instances</th>"
          "<th>duration</th><th>execs</th><th>exec/s</th><th>corpus</th><th>coverage</th>"
          "<th>crashes</th><th>hangs</th></tr>\n", f);
    json_array_foreach(json_object_get(camp, "runs"), i, r) {
        const json_t *cov = json_object_get(r, "coverage");
        fputs("<tr><td>", f);
        html_text(f, str(r, "engine", "?"));
        fprintf(f, "</td><td class=\"%s\">", strcmp(str(r, "status", ""), "ok") ? "warn" : "ok");
        html_text(f, str(r, "status", "?"));
        fprintf(f, "</td><td class=n>%lld</td><td class=n>%.0f s</td><td class=n>%lld</td>"
                   "<td class=n>%.0f</td><td class=n>%lld</td><td class=n>%lld ",
                (long long)num(r, "instances"), num(r, "duration_s"), (long long)num(r, "execs"),
                num(r, "exec_per_s"), (long long)num(r, "corpus_size"),
                (long long)num(cov, "edges"));
        html_text(f, str(cov, "unit", ""));
        fprintf(f, "</td><td class=n>%lld</td><td class=n>%lld</td></tr>\n",
                (long long)num(r, "crashes"), (long long)num(r, "hangs"));
    }
    fputs("</table>\n", f);
}

static void html_link(FILE *f, const json_t *f_, const char *key, const char *label)
{
    const char *p = str(f_, key, NULL);
    if (!p)
        return;
    fputs(" <a href=\"", f);
    html_text(f, p);
    fputs("\">", f);
    html_text(f, label);
    fputs("</a>", f);
}

static void html_findings(FILE *f, const json_t *camp)
{
    size_t i;
    json_t *x;
    const json_t *all = json_object_get(camp, "findings");
    fprintf(f, "<h2>Findings (%zu unique)</h2>\n", json_array_size(all));
    if (!json_array_size(all)) {
        fputs("<p class=ok>No findings.</p>\n", f);
        return;
    }
    fputs("<table><tr><th>kind</th><th>signature</th><th>message</th><th>first seen</th>"
          "<th>count</th><th>reproduced</th><th>files</th></tr>\n", f);
    json_array_foreach(all, i, x) {
        const json_t *rel = json_object_get(x, "reliability");
        bool reliable = json_is_true(json_object_get(rel, "reliable"));
        fputs("<tr><td class=bad>", f);
        html_text(f, str(x, "kind", "?"));
        if (json_is_true(json_object_get(x, "new")))
            fputs(" <span class=tag>new</span>", f);
        fputs("</td><td><code>", f);
        html_text(f, str(x, "signature", ""));
        fputs("</code></td><td>", f);
        html_text(f, str(x, "message", ""));
        fputs("</td><td>", f);
        html_text(f, str(x, "first_seen", ""));
        fprintf(f, " (+%.0f s)</td><td class=n>%lld</td><td class=\"n %s\">%lld/%lld%s</td><td>",
                num(x, "first_seen_s"), (long long)num(x, "count"), reliable ? "ok" : "warn",
                (long long)num(rel, "reproduced"), (long long)num(rel, "attempts"),
                reliable ? "" : " unreliable");
        html_link(f, x, "minimized", "minimized.ops");
        html_link(f, x, "input", "input.bin");
        html_link(f, x, "repro_c", "repro.c");
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void html_header(FILE *f, const json_t *camp)
{
    const json_t *t = json_object_get(camp, "totals");
    const char *status = str(camp, "status", "?");
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>shmfuzz campaign: ", f);
    html_text(f, str(camp, "provider", "?"));
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>shmfuzz campaign: ", html_css);
    html_text(f, str(camp, "provider", "?"));
    fprintf(f, "</h1>\n<p>Status <b class=\"%s\">", strcmp(status, "ok") ? "warn" : "ok");
    html_text(f, status);
    fputs("</b>, mode ", f);
    html_text(f, str(camp, "mode", "?"));
    fputs(", started ", f);
    html_text(f, str(camp, "started", "?"));
    fprintf(f, ", %.0f s. %lld executions (%.0f/s). <b class=\"%s\">%lld unique findings, "
               "%lld new</b>.</p>\n<p><small>",
            num(camp, "duration_s"), (long long)num(t, "execs"), num(t, "exec_per_s"),
            num(t, "unique_findings") > 0 ? "bad" : "ok", (long long)num(t, "unique_findings"),
            (long long)num(t, "new_findings"));
    html_text(f, str(camp, "build", ""));
    fputs("</small></p>\n", f);
}

static char *campaign_html(const json_t *camp, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    const json_t *series = json_object_get(camp, "coverage_over_time");
    if (!f)
        return NULL;
    html_header(f, camp);
    html_findings(f, camp);
    html_runs(f, camp);
    if (json_array_size(series)) {
        fputs("<h2>Over time</h2>\n", f);
        html_plot(f, series, "exec_per_s", "executions per second");
        html_plot(f, series, "corpus_size", "corpus size");
        html_plot(f, series, "coverage", "coverage (libFuzzer cov / AFL++ edges)");
    }
    fputs("<p><small>Machine-readable: campaign.json (shmfuzz-campaign/1), campaign.sarif "
          "(SARIF 2.1.0).</small></p>\n</body></html>\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* === Writing === */

static int write_text_atomic(const char *path, const char *text, size_t len)
{
    char tmp[PATH_MAX + 32];
    int fd, rc = 0;
    size_t off = 0;
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    while (rc == 0 && off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0)
            rc = -errno;
        else
            off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

static int write_outputs(const char *out, json_t *camp, json_t *sarif, const char *html,
                         size_t html_len)
{
    char path[PATH_MAX + 32];
    int rc;
    snprintf(path, sizeof(path), "%s/campaign.sarif", out);
    rc = shmf_json_write_atomic(sarif, path);
    if (rc == 0) {
        snprintf(path, sizeof(path), "%s/campaign.html", out);
        rc = write_text_atomic(path, html, html_len);
    }
    if (rc == 0) {
        snprintf(path, sizeof(path), "%s/campaign.json", out);
        rc = shmf_json_write_atomic(camp, path);
    }
    if (rc)
        return shmf_usage_error("report: cannot write %s: %s", path, strerror(-rc));
    return SHMF_EXIT_CLEAN;
}

/* === Command === */

static int init_campaign(struct campaign *c, const char *out)
{
    static char real_out[PATH_MAX];
    struct stat st;
    if (mkdir(out, 0755) != 0 && errno != EEXIST)
        return shmf_usage_error("report: cannot create %s: %s", out, strerror(errno));
    if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode) || !realpath(out, real_out))
        return shmf_usage_error("report: --out %s is not a directory", out);
    memset(c, 0, sizeof(*c));
    c->out = real_out;
    c->metas = json_array();
    c->runs = json_array();
    c->findings = json_object();
    c->series = json_array();
    c->run_dirs = json_array();
    if (!c->metas || !c->runs || !c->findings || !c->series || !c->run_dirs)
        return shmf_usage_error("out of memory");
    return 0;
}

static void free_campaign(struct campaign *c)
{
    json_decref(c->metas);
    json_decref(c->runs);
    json_decref(c->findings);
    json_decref(c->series);
    json_decref(c->run_dirs);
}

static int build_and_write(struct campaign *c)
{
    json_t *camp = campaign_json(c), *sarif = camp ? sarif_json(camp) : NULL;
    size_t html_len = 0;
    char *html = camp ? campaign_html(camp, &html_len) : NULL;
    int rc = camp && sarif && html ? write_outputs(c->out, camp, sarif, html, html_len)
                                   : shmf_usage_error("report: out of memory");
    if (rc == SHMF_EXIT_CLEAN)
        printf("%s/campaign.json\n%s/campaign.sarif\n%s/campaign.html\n", c->out, c->out,
               c->out);
    free(html);
    json_decref(sarif);
    json_decref(camp);
    return rc;
}

int shmf_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'}, {0, 0, 0, 0}};
    const char *out = NULL;
    struct campaign c;
    int ch, rc = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (ch != 'o')
            return shmf_usage_error("report: usage: shmfuzz report --out DIR RUN_DIR...");
        out = optarg;
    }
    if (!out || optind >= argc)
        return shmf_usage_error("report: usage: shmfuzz report --out DIR RUN_DIR...");
    rc = init_campaign(&c, out);
    if (rc)
        return rc;
    for (int i = optind; i < argc && rc == 0; i++)
        rc = read_run_dir(&c, argv[i]);
    if (rc)
        rc = shmf_usage_error("report: %s", rc == -ENOMEM ? "out of memory" : c.err);
    else
        rc = build_and_write(&c);
    free_campaign(&c);
    return rc;
}
