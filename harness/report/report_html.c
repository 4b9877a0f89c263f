/*
 * report_html.c -- campaign.html for `shmfuzz report`: one self-contained page
 * (inline CSS, inline scripts, no external asset) that a person reads the
 * morning after a nightly run.  In order:
 *   - the campaign's status first: a run that is not ok says so in red with its
 *     reason, never "No findings" in green; budget used against budget given;
 *   - the findings table: kind (its catalogue description on hover), where
 *     (file:line of the faulting frame), function, failing op, count, first seen,
 *     reliability, new/known, links to every file of the finding, and the
 *     command that reproduces it with a copy button; each row opens to the
 *     finding's page: message, rule, frame, minimized program with the failing
 *     op marked, the fault-injection plan and the sites it reached; for a
 *     divergence, both providers' outcomes and traces side by side;
 *   - unreproduced crashes, apart;
 *   - the engines' health: status, reason, instances, execs, exec/s, CPU time
 *     (and the cores it amounts to), exec/s per CPU second, corpus, coverage,
 *     crashes and hangs of the engine itself;
 *   - source coverage (mode coverage) and the charts (report_html_charts.c).
 * Every string taken from the campaign is HTML-escaped.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_campaign.h"
#include "shmfuzz/findings.h"

static void html_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char *const html_css =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}"
    "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;"
    "padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}code,pre{font-size:12px}"
    "pre{background:#f7f7f7;padding:6px;overflow-x:auto;margin:4px 0}"
    ".ok{color:#17692b}.bad{color:#b00020;font-weight:600}.warn{color:#9a6700}"
    ".banner{border:2px solid #b00020;background:#fdecee;color:#b00020;padding:8px 12px;"
    "margin:1em 0}"
    ".tag{display:inline-block;padding:0 6px;border-radius:8px;background:#eee;font-size:12px}"
    "abbr{text-decoration:underline dotted}details summary{cursor:pointer;color:#1f4f99}"
    "tr.detail td{background:#fafafa;border-bottom:2px solid #ccc}"
    "button.copy{font-size:11px;margin-left:4px}"
    "table.diff td{width:50%;border:1px solid #ddd}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:8px}"
    ".charts canvas{border:1px solid #ddd;background:#fff}";

static void html_link(FILE *f, const char *path, const char *label)
{
    if (!path)
        return;
    fputs(" <a href=\"", f);
    html_text(f, path);
    fputs("\">", f);
    html_text(f, label);
    fputs("</a>", f);
}

/* A file of the finding's directory, linked by name. */
static void finding_file_link(FILE *f, const json_t *x, const char *name)
{
    char path[1200];
    const char *dir = str(x, "finding_dir", NULL);
    if (!dir)
        return;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    html_link(f, path, name);
}

/* === Status === */

/* A run that is not ok says so first, in red, with its reason. */
static void html_status_banner(FILE *f, const json_t *camp)
{
    const char *status = str(camp, "status", "failed");
    size_t i;
    json_t *r;
    if (!strcmp(status, "ok"))
        return;
    fputs("<div class=banner><b>Campaign ", f);
    html_text(f, status);
    fputs(":</b> ", f);
    html_text(f, str(camp, "error",
                     strcmp(status, "interrupted") ? "no reason recorded" : "stopped by a signal"));
    fputs(strcmp(status, "interrupted")
              ? "<br>This run did not fuzz as asked: its findings are not a verdict on the "
                "provider."
              : "<br>The engines were stopped before the budget ran out.",
          f);
    json_array_foreach(json_object_get(camp, "runs"), i, r) {
        if (!strcmp(str(r, "status", "ok"), "ok"))
            continue;
        fputs("<br>engine ", f);
        html_text(f, str(r, "engine", "?"));
        fputs(" ", f);
        html_text(f, str(r, "status", "?"));
        fputs(": ", f);
        html_text(f, str(r, "error", "no reason recorded"));
    }
    fputs("</div>\n", f);
}

static void html_header(FILE *f, const json_t *camp)
{
    const json_t *t = json_object_get(camp, "totals");
    const char *status = str(camp, "status", "?");
    bool ok = !strcmp(status, "ok");
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>shmfuzz campaign: ",
          f);
    html_text(f, str(camp, "provider", "?"));
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>shmfuzz campaign: ", html_css);
    html_text(f, str(camp, "provider", "?"));
    fputs("</h1>\n", f);
    html_status_banner(f, camp);
    fprintf(f, "<p id=status>Status <b class=\"%s\">", ok ? "ok" : "bad");
    html_text(f, status);
    fputs("</b>, mode ", f);
    html_text(f, str(camp, "mode", "?"));
    fputs(", started ", f);
    html_text(f, str(camp, "started", "?"));
    fprintf(f, ", ran %.0f s of a %.0f s budget. %lld executions (%.0f/s", num(camp, "duration_s"),
            num(camp, "budget_s"), (long long)num(t, "execs"), num(t, "exec_per_s"));
    if (json_is_number(json_object_get(t, "cpu_s"))) {
        fprintf(f, "; %.1f CPU s", num(t, "cpu_s"));
        if (json_is_number(json_object_get(t, "exec_per_cpu_s")))
            fprintf(f, ", %.0f per CPU s", num(t, "exec_per_cpu_s"));
    }
    fprintf(f, "). <b class=\"%s\">%lld unique findings, %lld new</b>",
            num(t, "unique_findings") > 0 || !ok ? "bad" : "ok",
            (long long)num(t, "unique_findings"), (long long)num(t, "new_findings"));
    if (num(t, "unreproduced_crashes") > 0)
        fprintf(f, "; <span class=warn>%lld unreproduced crashes</span>",
                (long long)num(t, "unreproduced_crashes"));
    fputs(".</p>\n<p><a href=\"#findings\">findings</a> &middot; <a href=\"#engines\">"
          "engines</a> &middot; <a href=\"#charts\">charts</a> &middot; <a href=\"campaign.json\">"
          "campaign.json</a> &middot; <a href=\"campaign.sarif\">campaign.sarif</a></p>\n"
          "<p><small>Report written by: ",
          f);
    html_text(f, str(camp, "build", ""));
    fputs("</small></p>\n", f);
}

/* === Findings === */

/* file:line of a finding's location, linked to the coverage view of the file
   when a coverage report of this provider exists. */
static void html_where(FILE *f, const json_t *loc)
{
    const char *file = str(loc, "file", NULL);
    if (!file)
        return;
    fputs("<code>", f);
    html_text(f, strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
    if (num(loc, "line") > 0)
        fprintf(f, ":%lld", (long long)num(loc, "line"));
    fputs("</code><br><small>", f);
    html_text(f, file);
    fputs("</small>", f);
}

static void html_kind_cell(FILE *f, const json_t *x)
{
    const char *kind = str(x, "kind", "?");
    int k = shmf_kind_from_name(kind);
    fputs("<td class=bad><abbr title=\"", f);
    html_text(f, shmf_kind_description(k >= 0 ? (enum shmf_kind)k : SHMF_KIND_CRASH));
    fputs("\">", f);
    html_text(f, kind);
    fputs("</abbr>", f);
    fputs(json_is_true(json_object_get(x, "new")) ? " <span class=tag>new</span>"
                                                  : " <span class=tag>known</span>",
          f);
    fputs("</td>", f);
}

static void html_repro(FILE *f, const json_t *x, size_t i)
{
    const char *cmd = str(x, "reproduce", NULL);
    if (!cmd)
        return;
    fprintf(f, "<br><code id=repro-%zu>", i);
    html_text(f, cmd);
    fprintf(f, "</code><button class=copy data-target=repro-%zu>copy</button>", i);
}

/* Seconds as h:mm:ss or m:ss. */
static void html_clock(FILE *f, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        fprintf(f, "%ld:%02ld:%02ld", t / 3600, t % 3600 / 60, t % 60);
    else
        fprintf(f, "%ld:%02ld", t / 60, t % 60);
}

static void html_finding_row(FILE *f, const json_t *x, size_t i)
{
    const json_t *rel = json_object_get(x, "reliability");
    bool reliable = json_is_true(json_object_get(rel, "reliable"));
    fprintf(f, "<tr class=finding id=f-%zu>", i);
    html_kind_cell(f, x);
    fputs("<td>", f);
    html_where(f, json_object_get(x, "location"));
    fputs("</td><td><code>", f);
    html_text(f, str(x, "function", "?"));
    fputs("</code></td><td>", f);
    html_text(f, str(x, "op", "?"));
    fputs("</td><td>", f);
    html_text(f, str(x, "first_seen", ""));
    fputs("<br>+", f);
    html_clock(f, num(x, "first_seen_s"));
    fprintf(f, " into the run</td><td class=n>%lld</td><td class=\"n %s\">%lld/%lld%s</td><td>",
            (long long)num(x, "count"), reliable ? "ok" : "warn", (long long)num(rel, "reproduced"),
            (long long)num(rel, "attempts"), reliable ? "" : " unreliable");
    html_link(f, str(x, "minimized", NULL), "minimized.ops");
    finding_file_link(f, x, "input.ops");
    html_link(f, str(x, "input", NULL), "input.bin");
    finding_file_link(f, x, "finding.json");
    html_link(f, str(x, "repro_c", NULL), "repro.c");
    html_repro(f, x, i);
    fputs("</td></tr>\n", f);
}

/* One side of a divergence: the provider, its outcome at the diverging op and
   its whole trace (the diverging op marked). */
static void html_diff_side(FILE *f, const json_t *outcome, const char *trace)
{
    fputs("<td><b>", f);
    html_text(f, str(outcome, "provider", "?"));
    fputs("</b>: <code>", f);
    html_text(f, str(outcome, "outcome", "?"));
    fputs("</code> (", f);
    html_text(f, str(outcome, "value", "?"));
    fputs(")<pre>", f);
    html_text(f, trace);
    fputs("</pre></td>", f);
}

/* A divergence: both providers' outcomes and traces side by side. */
static void html_differential(FILE *f, const json_t *d)
{
    const json_t *out = json_object_get(d, "outcomes"), *tr = json_object_get(d, "traces");
    fputs("<p>Differential: ", f);
    html_text(f, str(d, "property_description", str(d, "property", "?")));
    fputs("</p><table class=diff><tr>", f);
    html_diff_side(f, json_object_get(out, "provider"), str(tr, "provider", ""));
    html_diff_side(f, json_object_get(out, "against"), str(tr, "against", ""));
    fputs("</tr></table>", f);
}

/* The finding's page, as a row that opens: message, rule, frame, the minimized
   program with the failing op marked, the fault plan and the sites it reached. */
static void html_finding_detail(FILE *f, const json_t *x, const json_t *d)
{
    const json_t *fj = json_object_get(d, "finding"), *frame = json_object_get(fj, "frame");
    const json_t *faults = json_object_get(fj, "faults"), *s;
    size_t i;
    fputs("<tr class=detail><td colspan=8><details><summary>", f);
    html_text(f, str(x, "message", ""));
    fputs("</summary><p>Signature <code>", f);
    html_text(f, str(x, "signature", ""));
    fputs("</code>; rule: ", f);
    html_text(f, str(fj, "rule", "?"));
    if (frame) {
        fputs("<br>Seen in <code>", f);
        html_text(f, str(frame, "function", "?"));
        fputs("</code> at <code>", f);
        html_text(f, str(frame, "file", "?"));
        fprintf(f, ":%lld</code>", (long long)num(frame, "line"));
    }
    fputs("</p>", f);
    if (json_is_object(json_object_get(fj, "differential")))
        html_differential(f, json_object_get(fj, "differential"));
    if (str(d, "minimized", NULL)) {
        fputs("<p>Minimized program:</p><pre>", f);
        html_text(f, str(d, "minimized", ""));
        fputs("</pre>", f);
    }
    if (str(d, "trace", NULL)) {
        fputs("<p>The input's op trace (<code>&gt;</code> marks the failing op):</p><pre>", f);
        html_text(f, str(d, "trace", ""));
        fputs("</pre>", f);
    }
    if (faults) {
        fprintf(f, "<p>Fault injection: %lld allocation attempts, %lld failed on purpose.",
                (long long)num(faults, "attempts"), (long long)num(faults, "injected"));
        json_array_foreach(json_object_get(faults, "sites"), i, s) {
            fputs("<br><code>", f);
            html_text(f, str(s, "function", "?"));
            fputs("</code> at ", f);
            html_text(f, str(s, "site", "?"));
            fprintf(f, ": %lld attempts, %lld injected", (long long)num(s, "attempts"),
                    (long long)num(s, "injected"));
        }
        fputs("</p>", f);
    }
    fputs("</details></td></tr>\n", f);
}

static void html_findings(FILE *f, const json_t *camp, const json_t *details)
{
    size_t i;
    json_t *x;
    const json_t *all = json_object_get(camp, "findings");
    fprintf(f, "<h2 id=findings>Findings (%zu unique)</h2>\n", json_array_size(all));
    if (!json_array_size(all)) {
        if (!strcmp(str(camp, "status", "failed"), "ok"))
            fputs("<p class=ok>No findings.</p>\n", f);
        else
            fputs("<p class=bad>No findings recorded, but the campaign did not run as asked "
                  "(see above): this is not a clean result.</p>\n",
                  f);
        return;
    }
    fputs("<table><tr><th>kind</th><th>where</th><th>function</th><th>failing op</th>"
          "<th>first seen</th><th>count</th><th>reproduced</th><th>files and command</th>"
          "</tr>\n",
          f);
    json_array_foreach(all, i, x) {
        html_finding_row(f, x, i);
        html_finding_detail(f, x, json_object_get(details, str(x, "signature", "")));
    }
    fputs("</table>\n", f);
}

/* Crashes an engine saw that no replay reproduced: kept apart, with their
   inputs, as ClusterFuzz keeps unreproducible testcases. */
static void html_unreproduced(FILE *f, const json_t *camp)
{
    const json_t *all = json_object_get(camp, "unreproduced");
    size_t i;
    json_t *x;
    if (!json_array_size(all))
        return;
    fprintf(f,
            "<h2 id=unreproduced>Unreproduced crashes (%zu)</h2>\n<p class=warn>An engine "
            "recorded these crashes but the replay build did not reproduce them; they do "
            "not count as findings (campaign.sh --strict makes them count).</p>\n<table>"
            "<tr><th>signature</th><th>engines</th><th>seen</th><th>reproduced</th>"
            "<th>input</th></tr>\n",
            json_array_size(all));
    json_array_foreach(all, i, x) {
        const json_t *rel = json_object_get(x, "reliability");
        const char *eng;
        json_t *n;
        fputs("<tr><td><code>", f);
        html_text(f, str(x, "signature", ""));
        fputs("</code></td><td>", f);
        json_object_foreach((json_t *)json_object_get(x, "engines"), eng, n) {
            html_text(f, eng);
            fprintf(f, " &times;%lld ", (long long)json_integer_value(n));
        }
        fprintf(f, "</td><td class=n>%lld</td><td class=n>%lld/%lld</td><td>",
                (long long)num(x, "count"), (long long)num(rel, "reproduced"),
                (long long)num(rel, "attempts"));
        html_link(f, str(x, "input", NULL), "input.bin");
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* === Engines and coverage === */

/* The CPU cells of an engine's row: its CPU seconds (processes and children)
   with the cores they amount to over its duration, and its executions per CPU
   second; "-" for a run that did not measure CPU time. */
static void html_run_cpu(FILE *f, const json_t *r)
{
    const json_t *per = json_object_get(r, "exec_per_cpu_s");
    double cpu = num(r, "cpu_s"), dur = num(r, "duration_s");
    if (!json_is_number(json_object_get(r, "cpu_s"))) {
        fputs("<td class=n>-</td><td class=n>-</td>", f);
        return;
    }
    fprintf(f, "<td class=n>%.1f s", cpu);
    if (dur > 0)
        fprintf(f, " <small>(%.2f cores)</small>", cpu / dur);
    if (json_is_number(per))
        fprintf(f, "</td><td class=n>%.0f</td>", json_number_value(per));
    else
        fputs("</td><td class=n>-</td>", f);
}

static void html_run_row(FILE *f, const json_t *r)
{
    const json_t *cov = json_object_get(r, "coverage");
    bool ok = !strcmp(str(r, "status", ""), "ok");
    fputs("<tr><td>", f);
    html_text(f, str(r, "engine", "?"));
    fprintf(f, "</td><td class=\"%s\">", ok ? "ok" : "bad");
    html_text(f, str(r, "status", "?"));
    if (!ok && str(r, "error", NULL)) {
        fputs(": ", f);
        html_text(f, str(r, "error", ""));
    }
    fprintf(f,
            "</td><td class=n>%lld</td><td class=n>%.0f s</td><td class=n>%lld</td>"
            "<td class=n>%.0f</td>",
            (long long)num(r, "instances"), num(r, "duration_s"), (long long)num(r, "execs"),
            num(r, "exec_per_s"));
    html_run_cpu(f, r);
    fprintf(f, "<td class=n>%lld</td><td class=n>%lld ", (long long)num(r, "corpus_size"),
            (long long)num(cov, "edges"));
    html_text(f, str(cov, "unit", ""));
    fprintf(f, "</td><td class=n>%lld</td><td class=n>%lld</td></tr>\n",
            (long long)num(r, "crashes"), (long long)num(r, "hangs"));
}

static void html_runs(FILE *f, const json_t *camp)
{
    size_t i;
    json_t *r;
    fputs("<h2 id=engines>Engines</h2><table><tr><th>engine</th><th>status</th>"
          "<th>instances</th><th>duration</th><th>execs</th><th>exec/s</th>"
          "<th title=\"CPU seconds of the engine's processes and their children; cores: "
          "CPU seconds over the duration\">CPU</th>"
          "<th title=\"executions per CPU second: what one core gives; with more --jobs, "
          "exec/s should grow and this stay\">exec/CPU s</th><th>corpus</th>"
          "<th>coverage</th><th>crash artifacts</th><th>hang artifacts</th></tr>\n",
          f);
    json_array_foreach(json_object_get(camp, "runs"), i, r)
        html_run_row(f, r);
    fputs("</table>\n", f);
}

/* llvm-cov's totals of the provider (mode coverage). */
static void html_source_coverage(FILE *f, const json_t *camp)
{
    static const char *const keys[] = {"lines", "branches", "functions", "regions"};
    const json_t *sc = json_object_get(camp, "source_coverage");
    if (!json_is_object(sc))
        return;
    fputs("<h2 id=source-coverage>Source coverage of the provider (llvm-cov)</h2><table>"
          "<tr><th>measure</th><th>covered</th><th>total</th><th>percent</th></tr>\n",
          f);
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        const json_t *m = json_object_get(sc, keys[k]);
        if (!m)
            continue;
        fprintf(f,
                "<tr><td>%s</td><td class=n>%lld</td><td class=n>%lld</td>"
                "<td class=n>%.1f%%</td></tr>\n",
                keys[k], (long long)num(m, "covered"), (long long)num(m, "count"),
                num(m, "percent"));
    }
    fputs("</table>", f);
    html_link(f, str(sc, "html", NULL), "line-by-line coverage");
    fputs("\n", f);
}

char *shmf__campaign_html(const json_t *camp, const json_t *details, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    html_header(f, camp);
    html_findings(f, camp, details);
    html_unreproduced(f, camp);
    html_runs(f, camp);
    html_source_coverage(f, camp);
    shmf__html_charts(f, camp);
    fputs("<p><small>Machine-readable: campaign.json (shmfuzz-campaign/1), campaign.sarif "
          "(SARIF 2.1.0).</small></p>\n</body></html>\n",
          f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
