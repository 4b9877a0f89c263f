/*
 * report_html.c -- campaign.html for `shmfuzz report`: one self-contained page
 * (inline CSS, no scripts) with the campaign summary, the findings table, the
 * per-engine table and inline SVG plots of the sampled engine statistics.
 * Every string taken from the campaign is HTML-escaped.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_campaign.h"

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
    ".banner{border:2px solid #b00020;background:#fdecee;color:#b00020;padding:8px 12px;"
    "margin:1em 0}"
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

/* file:line (function) of a finding's location, or nothing. */
static void html_where(FILE *f, const json_t *loc)
{
    const char *file = str(loc, "file", NULL);
    if (!file)
        return;
    fputs("<code>", f);
    html_text(f, file);
    if (num(loc, "line") > 0)
        fprintf(f, ":%lld", (long long)num(loc, "line"));
    fputs("</code>", f);
    if (str(loc, "function", NULL)) {
        fputs(" (", f);
        html_text(f, str(loc, "function", ""));
        fputs(")", f);
    }
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
    fprintf(f, "<h2>Unreproduced crashes (%zu)</h2>\n<p class=warn>An engine recorded these "
               "crashes but the replay build did not reproduce them; they do not count as "
               "findings (campaign.sh --strict makes them count).</p>\n<table><tr><th>signature"
               "</th><th>engines</th><th>seen</th><th>reproduced</th><th>input</th></tr>\n",
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
        html_link(f, x, "input", "input.bin");
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void html_findings(FILE *f, const json_t *camp)
{
    size_t i;
    json_t *x;
    const json_t *all = json_object_get(camp, "findings");
    fprintf(f, "<h2>Findings (%zu unique)</h2>\n", json_array_size(all));
    if (!json_array_size(all)) {
        if (!strcmp(str(camp, "status", "failed"), "ok"))
            fputs("<p class=ok>No findings.</p>\n", f);
        else
            fputs("<p class=bad>No findings recorded, but the campaign did not run as asked "
                  "(see above): this is not a clean result.</p>\n", f);
        return;
    }
    fputs("<table><tr><th>kind</th><th>signature</th><th>message</th><th>where</th>"
          "<th>first seen</th><th>count</th><th>reproduced</th><th>files</th></tr>\n", f);
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
        html_where(f, json_object_get(x, "location"));
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
    html_text(f, str(camp, "error", strcmp(status, "interrupted") ? "no reason recorded"
                                                                   : "stopped by a signal"));
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
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>shmfuzz campaign: ", f);
    html_text(f, str(camp, "provider", "?"));
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>shmfuzz campaign: ", html_css);
    html_text(f, str(camp, "provider", "?"));
    fputs("</h1>\n", f);
    html_status_banner(f, camp);
    fprintf(f, "<p>Status <b class=\"%s\">", strcmp(status, "ok") ? "bad" : "ok");
    html_text(f, status);
    fputs("</b>, mode ", f);
    html_text(f, str(camp, "mode", "?"));
    fputs(", started ", f);
    html_text(f, str(camp, "started", "?"));
    fprintf(f, ", %.0f s. %lld executions (%.0f/s). <b class=\"%s\">%lld unique findings, "
               "%lld new</b>.</p>\n<p><small>",
            num(camp, "duration_s"), (long long)num(t, "execs"), num(t, "exec_per_s"),
            num(t, "unique_findings") > 0 || strcmp(status, "ok") ? "bad" : "ok",
            (long long)num(t, "unique_findings"),
            (long long)num(t, "new_findings"));
    html_text(f, str(camp, "build", ""));
    fputs("</small></p>\n", f);
}

char *shmf__campaign_html(const json_t *camp, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    const json_t *series = json_object_get(camp, "coverage_over_time");
    if (!f)
        return NULL;
    html_header(f, camp);
    html_findings(f, camp);
    html_unreproduced(f, camp);
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
