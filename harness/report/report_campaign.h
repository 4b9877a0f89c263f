/*
 * report_campaign.h -- private to `shmfuzz report`: the renderers that turn a
 * campaign.json document (schema shmfuzz-campaign/1, built by cmd_report.c) into
 * campaign.sarif (report_sarif.c) and campaign.html (report_html.c).
 *
 * Contract: `camp` is a complete campaign.json object; it is only read, never
 * changed or stolen.  Constructors return NULL on allocation failure.
 */
#ifndef SHMF_REPORT_CAMPAIGN_H
#define SHMF_REPORT_CAMPAIGN_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Number at `key` of object `j`; 0 when absent or not a number (j may be NULL). */
static inline double num(const json_t *j, const char *key)
{
    return json_number_value(json_object_get(j, key));
}

/* String at `key` of object `j`, or `dflt` when absent or not a string. */
static inline const char *str(const json_t *j, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : dflt;
}

/* campaign.sarif: one SARIF 2.1.0 run, one rule per finding kind, one result per
   finding.  NULL on allocation failure. */
json_t *shmf__campaign_sarif(const json_t *camp);

/* campaign.html: a self-contained page (inline CSS, inline Chart.js charts).
   `details` maps a finding's signature to {"finding": its finding.json, "trace":
   the input's op trace with the failing op marked, "minimized": the text of its
   minimized program} (each may be absent).
   Returns a malloc'ed, NUL-terminated buffer of *len bytes, or NULL on
   allocation failure. */
char *shmf__campaign_html(const json_t *camp, const json_t *details, size_t *len);

/* The "Over time" section of campaign.html: canvases, the data island, Chart.js
   (inlined from SHMF_CHARTJS or Debian's libjs-chart.js) and the drawing script. */
void shmf__html_charts(FILE *f, const json_t *camp);

#endif /* SHMF_REPORT_CAMPAIGN_H */
