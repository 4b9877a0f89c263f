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
 *
 * This file reads and merges the run directories and builds campaign.json;
 * report_sarif.c and report_html.c render that document (report_campaign.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "report_campaign.h"

#define SHMF_CAMPAIGN_SCHEMA "shmfuzz-campaign/1"
#define SHMF_CAMPAIGN_META_SCHEMA "shmfuzz-campaign-meta/1"
#define SHMF_FINDING_META_SCHEMA "shmfuzz-finding-meta/1"

struct campaign {
    const char *out;  /* --out directory (absolute) */
    json_t *meta;     /* the first run directory's meta.json (borrowed values) */
    json_t *metas;    /* every meta.json */
    json_t *runs;     /* array of normalized runs */
    json_t *findings; /* object: signature -> finding summary */
    json_t *series;   /* array of {engine, t, execs, exec_per_s, corpus_size, coverage} */
    json_t *run_dirs; /* array of strings */
    json_t *details;  /* signature -> {finding, trace, minimized} for the HTML */
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

/* x rounded to one decimal (rates and CPU seconds are written so). */
static double round1(double x)
{
    return (double)(long long)(x * 10 + (x < 0 ? -0.5 : 0.5)) / 10;
}

/* Executions per CPU second, or JSON null without CPU time. */
static json_t *per_cpu_json(double execs, double cpu_s)
{
    return cpu_s > 0 ? json_real(round1(execs / cpu_s)) : json_null();
}

/* An engine run's CPU time (run.json cpu_s: its processes and their children)
   and its executions per CPU second, into the campaign's run n.  A run.json
   without cpu_s (replay, stress, older campaigns) adds neither. */
static int add_run_cpu(json_t *n, const json_t *r)
{
    const json_t *cpu = json_object_get(r, "cpu_s");
    if (!json_is_number(cpu))
        return 0;
    if (json_object_set_new(n, "cpu_s", json_real(round1(json_number_value(cpu)))) ||
        json_object_set_new(n, "exec_per_cpu_s",
                            per_cpu_json(num(r, "execs"), json_number_value(cpu))))
        return -ENOMEM;
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
    n = json_pack(
        "{s:s, s:s, s:s, s:O*, s:f, s:I, s:f, s:O*, s:O*, s:s?, s:I, s:I, s:O*}", "engine", engine,
        "run_dir", run_dir, "status", str(r, "status", "ok"), "instances",
        json_object_get(r, "instances"), "duration_s", num(r, "duration_s"), "execs",
        (json_int_t)num(r, "execs"), "exec_per_s", num(r, "exec_per_s"), "corpus_size",
        json_object_get(r, "corpus_size"), "coverage", json_is_object(cov) ? cov : NULL, "error",
        json_string_value(json_object_get(r, "error")), "crashes", (json_int_t)num(r, "crashes"),
        "hangs", (json_int_t)num(r, "hangs"), "stats", json_object_get(r, "stats"));
    rc = n ? add_run_cpu(n, r) : -ENOMEM;
    if (rc)
        json_decref(n);
    else
        rc = json_array_append_new(c->runs, n);
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

/* A crash that the engine saw and no replay reproduced (triage marks it; older
   run directories only by its kind). */
static bool is_unreproduced(const json_t *m)
{
    return json_is_true(json_object_get(m, "unreproduced")) ||
           strncmp(str(m, "kind", ""), "crash-unreproduced", 18) == 0;
}

static json_t *new_finding(const struct campaign *c, const json_t *m, const char *fdir)
{
    json_t *rel = json_object_get(m, "reliability");
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:I, s:{s:I, s:I, s:b}, s:o, s:o, s:o, s:o, "
        "s:O*, s:O*, s:b, s:O*, s:O*, s:b}",
        "kind", str(m, "kind", "?"), "signature", str(m, "signature", "?"), "message",
        str(m, "message", ""), "function", str(m, "function", "?"), "first_seen",
        str(m, "first_seen", ""), "input_sha256", str(m, "input_sha256", ""), "first_seen_s",
        num(m, "first_seen_s"), "count", (json_int_t)num(m, "count"), "reliability", "attempts",
        (json_int_t)num(rel, "attempts"), "reproduced", (json_int_t)num(rel, "reproduced"),
        "reliable", json_is_true(json_object_get(rel, "reliable")), "minimized",
        finding_path(c, fdir, str(m, "minimized", NULL)), "input",
        finding_path(c, fdir, "input.bin"), "repro_c", finding_path(c, fdir, "repro.c"),
        "finding_dir", rel_to_out(c, fdir), "engines", json_object_get(m, "engines"), "location",
        json_object_get(m, "location"), "new", json_is_true(json_object_get(m, "new")),
        "minimized_ops", json_object_get(m, "minimized_ops"), "input_ops",
        json_object_get(m, "input_ops"), "unreproduced", is_unreproduced(m));
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

#define DETAIL_TEXT_MAX (64 * 1024)

/* A text file of a finding directory as a JSON string (at most DETAIL_TEXT_MAX
   bytes), or NULL when it cannot be read or is not text. */
static json_t *detail_text(const char *fdir, const char *name)
{
    char path[PATH_MAX + 64];
    uint8_t *data;
    size_t len;
    json_t *j;
    if (!name)
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", fdir, name);
    if (shmf_read_file(path, &data, &len) != 0)
        return NULL;
    if (len > DETAIL_TEXT_MAX)
        memcpy(data + DETAIL_TEXT_MAX - 4, "...\n", 5);
    /* NULL for text that is not UTF-8 (json_stringn checks it). */
    j = json_stringn((const char *)data, len > DETAIL_TEXT_MAX ? DETAIL_TEXT_MAX : len);
    free(data);
    return j;
}

/* What the finding's own files add: its failing op and reproduce command (into
   the campaign finding f) and, for the HTML, finding.json, the marked trace and
   the minimized program.  finding.json is optional: an unreadable one adds
   nothing. */
static void read_detail(struct campaign *c, const char *fdir, const char *sig, json_t *f)
{
    char path[PATH_MAX + 16];
    json_t *fj, *d;
    if (json_object_get(c->details, sig))
        return;
    snprintf(path, sizeof(path), "%s/finding.json", fdir);
    fj = json_load_file(path, 0, NULL);
    if (!json_is_object(fj)) {
        json_decref(fj);
        fj = NULL;
    }
    if (json_is_string(json_object_get(fj, "op")))
        json_object_set(f, "op", json_object_get(fj, "op"));
    if (json_is_string(json_object_get(fj, "reproduce")))
        json_object_set(f, "reproduce", json_object_get(fj, "reproduce"));
    d = json_pack("{s:o*, s:O*, s:o*}", "finding", fj, "trace", json_object_get(fj, "trace"),
                  "minimized",
                  detail_text(fdir, str(f, "minimized", NULL) ? "minimized.ops" : NULL));
    if (d)
        json_object_set_new(c->details, sig, d);
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
        else if (read_detail(c, fdir, sig, f), json_object_set(c->findings, sig, f))
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

/* The worst status of the run directories: failed, partial, interrupted, ok. */
static const char *overall_status(const struct campaign *c)
{
    static const char *const order[] = {"failed", "partial", "interrupted", "ok"};
    size_t worst = 3, i, k;
    json_t *m;
    json_array_foreach(c->metas, i, m) {
        const char *s = str(m, "status", "failed");
        for (k = 0; k < 3 && strcmp(s, order[k]); k++)
            ;
        worst = k < worst ? k : worst;
    }
    return order[worst];
}

/* The run directories' reasons, joined ("; "); NULL when none gave one. */
static json_t *overall_error(const struct campaign *c)
{
    char buf[2000] = "";
    size_t i, n = 0;
    json_t *m;
    json_array_foreach(c->metas, i, m) {
        const char *e = str(m, "error", NULL);
        if (e && *e && n < sizeof(buf))
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "; " : "", e);
    }
    return n ? json_string(buf) : json_null();
}

/* A fuzzing campaign that executed nothing did not run, whatever its run
   directories say: it must never read as a clean run. */
static void check_ran(const json_t *totals, json_t *camp)
{
    const char *mode = str(camp, "mode", "batch");
    bool fuzzing = !strcmp(mode, "batch") || !strcmp(mode, "code-change");
    if (!fuzzing || num(totals, "execs") > 0 || strcmp(str(camp, "status", ""), "ok"))
        return;
    json_object_set_new(camp, "status", json_string("failed"));
    json_object_set_new(camp, "error", json_string("no engine executed any input"));
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

/* The findings (unreproduced == false) or the unreproduced crashes (true) as an
   array ordered by first_seen, then signature. */
static json_t *findings_array(const struct campaign *c, bool unreproduced)
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
        if (json_is_true(json_object_get(f, "unreproduced")) == unreproduced)
            v[k++] = f;
    qsort(v, k, sizeof(*v), cmp_finding);
    for (n = k, k = 0; k < n; k++)
        json_array_append(arr, v[k]);
    free(v);
    return arr;
}

static json_t *totals_json(const struct campaign *c, const json_t *findings,
                           const json_t *unreproduced)
{
    json_int_t execs = 0, fresh = 0, unreliable = 0;
    double rate = 0, cpu = 0, cpu_execs = 0;
    bool have_cpu = false;
    size_t i;
    json_t *r;
    json_array_foreach(c->runs, i, r) {
        execs += (json_int_t)num(r, "execs");
        rate += num(r, "exec_per_s");
        if (json_is_number(json_object_get(r, "cpu_s"))) {
            have_cpu = true;
            cpu += num(r, "cpu_s");
            cpu_execs += num(r, "cpu_s") > 0 ? num(r, "execs") : 0;
        }
    }
    json_array_foreach(findings, i, r) {
        fresh += json_is_true(json_object_get(r, "new"));
        unreliable += !json_is_true(json_object_get(json_object_get(r, "reliability"), "reliable"));
    }
    /* CPU time: the runs that measured it (null when none did); executions per
       CPU second over those runs only. */
    return json_pack("{s:I, s:f, s:o, s:o, s:I, s:I, s:I, s:I}", "execs", execs, "exec_per_s",
                     round1(rate), "cpu_s", have_cpu ? json_real(round1(cpu)) : json_null(),
                     "exec_per_cpu_s", per_cpu_json(cpu_execs, cpu), "unique_findings",
                     (json_int_t)json_array_size(findings), "new_findings", fresh,
                     "unreliable_findings", unreliable, "unreproduced_crashes",
                     (json_int_t)json_array_size(unreproduced));
}

static json_t *campaign_json(const struct campaign *c)
{
    const json_t *m = c->meta;
    const json_t *last = json_array_get(c->metas, json_array_size(c->metas) - 1);
    json_t *findings = findings_array(c, false), *unrep = findings_array(c, true);
    json_t *totals = findings && unrep ? totals_json(c, findings, unrep) : NULL, *camp;
    if (!totals) {
        json_decref(findings);
        json_decref(unrep);
        return NULL;
    }
    camp = json_pack(
        "{s:s, s:s, s:s*, s:s, s:s, s:o, s:s, s:s, s:f, s:O*, s:O*, s:O, s:o, "
        "s:o, s:o, s:O, s:O*, s:O*, s:s, s:O}",
        "schema", SHMF_CAMPAIGN_SCHEMA, "provider", str(m, "provider", "?"), "provider_source",
        json_string_value(json_object_get(m, "provider_source")), "mode", str(m, "mode", "batch"),
        "status", overall_status(c), "error", overall_error(c), "started", str(m, "started", ""),
        "ended", str(last, "ended", ""), "duration_s", total_duration(c), "budget_s",
        json_object_get(m, "budget_s"), "jobs", json_object_get(m, "jobs"), "runs", c->runs,
        "findings", findings, "unreproduced", unrep, "totals", totals, "coverage_over_time",
        c->series, "corpus", json_object_get(last, "corpus"), "source_coverage",
        json_object_get(last, "coverage"), "build", shmf_build_string(), "run_dirs", c->run_dirs);
    if (camp)
        check_ran(json_object_get(camp, "totals"), camp);
    return camp;
}

/* === Writing === */

/* j as report text: sorted keys, indented, a final newline; NULL when out of
   memory. */
static char *report_text(const json_t *j)
{
    char *text = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2));
    size_t len = text ? strlen(text) : 0;
    char *line = text ? realloc(text, len + 2) : NULL;
    if (!line) {
        free(text);
        return NULL;
    }
    memcpy(line + len, "\n", 2);
    return line;
}

/* campaign.sarif, campaign.html and campaign.json as one set: all or none. */
static int write_outputs(const char *out, json_t *camp, json_t *sarif, const char *html,
                         size_t html_len)
{
    char paths[3][PATH_MAX + 32];
    char *texts[2] = {report_text(sarif), report_text(camp)};
    struct shmf_out_file files[3];
    unsigned failed = 0;
    int rc = texts[0] && texts[1] ? 0 : -ENOMEM;
    snprintf(paths[0], sizeof(paths[0]), "%s/campaign.sarif", out);
    snprintf(paths[1], sizeof(paths[1]), "%s/campaign.html", out);
    snprintf(paths[2], sizeof(paths[2]), "%s/campaign.json", out);
    files[0] = (struct shmf_out_file){paths[0], texts[0], texts[0] ? strlen(texts[0]) : 0};
    files[1] = (struct shmf_out_file){paths[1], html, html_len};
    files[2] = (struct shmf_out_file){paths[2], texts[1], texts[1] ? strlen(texts[1]) : 0};
    if (rc == 0)
        rc = shmf_write_files_atomic(files, 3, &failed);
    free(texts[0]);
    free(texts[1]);
    if (rc)
        return shmf_usage_error("report: cannot write %s: %s", paths[failed], strerror(-rc));
    return SHMF_EXIT_CLEAN;
}

/* === Command === */

/* c ready to read into, and c->out the absolute --out path.  DIR is not created
   here (*create says whether it must be, once every input has been read), but
   it, or the directory that will hold it, must exist and be writable. */
static int init_campaign(struct campaign *c, const char *out, bool *create)
{
    static char real_out[PATH_MAX];
    char parent[PATH_MAX], base[PATH_MAX], err[PATH_MAX + 200];
    struct stat st;
    memset(c, 0, sizeof(*c));
    *create = stat(out, &st) != 0;
    if (*create && errno != ENOENT)
        return shmf_usage_error("report: --out %s: %s", out, strerror(errno));
    if (!*create && !S_ISDIR(st.st_mode))
        return shmf_usage_error("report: --out %s is not a directory", out);
    if (!*create && !realpath(out, real_out))
        return shmf_usage_error("report: --out %s: %s", out, strerror(errno));
    if (*create) {
        size_t n = strlen(out);
        while (n > 1 && out[n - 1] == '/')
            n--;
        const char *slash = memrchr(out, '/', n);
        snprintf(base, sizeof(base), "%.*s", (int)(n - (slash ? (size_t)(slash + 1 - out) : 0)),
                 slash ? slash + 1 : out);
        snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - out) : 1,
                 slash ? (slash == out ? "/" : out) : ".");
        if (!realpath(parent, real_out))
            return shmf_usage_error("report: cannot create %s: %s: %s", out, parent,
                                    strerror(errno));
        size_t m = strlen(real_out);
        if (snprintf(real_out + m, sizeof(real_out) - m, "%s%s", m > 1 ? "/" : "", base) >=
            (int)(sizeof(real_out) - m))
            return shmf_usage_error("report: --out %s: %s", out, strerror(ENAMETOOLONG));
    }
    if (shmf_check_output_dir(*create ? parent : real_out, err, sizeof(err)) != 0)
        return shmf_usage_error("report: cannot write %s: %s", out, err);
    c->out = real_out;
    c->metas = json_array();
    c->runs = json_array();
    c->findings = json_object();
    c->series = json_array();
    c->run_dirs = json_array();
    c->details = json_object();
    if (!c->metas || !c->runs || !c->findings || !c->series || !c->run_dirs || !c->details)
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
    json_decref(c->details);
}

static int build_and_write(struct campaign *c)
{
    json_t *camp = campaign_json(c), *sarif = camp ? shmf__campaign_sarif(camp) : NULL;
    size_t html_len = 0;
    char *html = camp ? shmf__campaign_html(camp, c->details, &html_len) : NULL;
    int rc = camp && sarif && html ? write_outputs(c->out, camp, sarif, html, html_len)
                                   : shmf_usage_error("report: out of memory");
    if (rc == SHMF_EXIT_CLEAN)
        printf("%s/campaign.json\n%s/campaign.sarif\n%s/campaign.html\n", c->out, c->out, c->out);
    free(html);
    json_decref(sarif);
    json_decref(camp);
    return rc;
}

int shmf_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL;
    struct campaign c;
    bool create = false;
    int ch, rc = 0;
    optind = 1;
    while ((ch = shmf_getopt("report", argc, argv, "o:h", opts)) != -1) {
        if (ch == 'h')
            return shmf_print_usage("report");
        if (ch != 'o')
            return SHMF_EXIT_USAGE;
        out = optarg;
    }
    if (!out)
        return shmf_usage_error("report: -o|--out DIR is required (see 'shmfuzz report --help')");
    if (optind >= argc)
        return shmf_usage_error("report: no RUN_DIR given (see 'shmfuzz report --help')");
    rc = init_campaign(&c, out, &create);
    /* Every run directory is read and checked before DIR is created. */
    for (int i = optind; i < argc && rc == 0; i++)
        if ((rc = read_run_dir(&c, argv[i])) != 0)
            rc = shmf_usage_error("report: %s", rc == -ENOMEM ? "out of memory" : c.err);
    if (rc == 0 && create && mkdir(c.out, 0755) != 0 && errno != EEXIST)
        rc = shmf_usage_error("report: cannot create %s: %s", out, strerror(errno));
    if (rc == 0) {
        rc = build_and_write(&c);
        if (rc != SHMF_EXIT_CLEAN && create)
            rmdir(c.out); /* only when nothing was written into it */
    }
    free_campaign(&c);
    return rc;
}
