/*
 * report_sarif.c -- campaign.sarif for `shmfuzz report`: the campaign's findings
 * as one SARIF 2.1.0 run.  Rules come from the finding-kind catalogue (one rule
 * per kind); each result carries the finding's signature as a partial fingerprint
 * so code-scanning tools keep tracking it across campaigns.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmfuzz/findings.h"
#include "report_campaign.h"

#define SHMF_REPORT_VERSION "0.1.0"
#define SARIF_SCHEMA_URI "https://json.schemastore.org/sarif-2.1.0.json"

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
                             shmf_kind_name(kind), "name", shmf_kind_name(kind), "shortDescription",
                             "text", shmf_kind_description(kind), "fullDescription", "text",
                             shmf_kind_description(kind), "help", "text", shmf_kind_source(kind),
                             "defaultConfiguration", "level", "error"));
    }
    return rules;
}

/* A file: URI of an absolute path (RFC 8089), percent-encoding what a URI
   path may not carry.  NULL on allocation failure. */
static json_t *file_uri(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(path);
    char *buf = malloc(3 * n + sizeof("file://"));
    char *o = buf;
    json_t *j;
    if (!buf)
        return NULL;
    o += sprintf(o, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (isalnum(*p) || strchr("/-._~!$&'()*+,;=:@", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = 0;
    j = json_string(buf);
    free(buf);
    return j;
}

/* The finding's place: the provider frame where the fault was seen. */
static json_t *sarif_location(const json_t *f)
{
    const json_t *loc = json_object_get(f, "location");
    const char *file = str(loc, "file", NULL);
    json_t *region = NULL, *artifact, *phys;
    if (!file)
        return json_array();
    if (json_integer_value(json_object_get(loc, "line")) > 0)
        region = json_pack("{s:O}", "startLine", json_object_get(loc, "line"));
    if (file[0] == '/')
        artifact = json_pack("{s:o}", "uri", file_uri(file));
    else
        artifact = json_pack("{s:s, s:s}", "uri", file, "uriBaseId", "%SRCROOT%");
    phys = json_pack("{s:o, s:o*}", "artifactLocation", artifact, "region", region);
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
                     "ruleId", shmf_kind_name((enum shmf_kind)k), "ruleIndex", k, "level", "error",
                     "message", "text", text, "locations", sarif_location(f), "partialFingerprints",
                     "shmfuzzSignature/v1", str(f, "signature", ""), "properties", "kind", kind,
                     "count", json_object_get(f, "count"), "reliability", rel, "minimized",
                     json_object_get(f, "minimized"), "new", json_object_get(f, "new"));
}

/* One toolExecutionNotification: level "error" or "warning" and a text. */
static json_t *notification(const char *level, const char *text)
{
    return json_pack("{s:s, s:{s:s}}", "level", level, "message", "text", text);
}

/* Why a run that is not ok did not run, as notifications: the campaign's reason,
   then each engine's. */
static void status_notifications(const json_t *camp, const char *status, json_t *out)
{
    const char *level = strcmp(status, "interrupted") ? "error" : "warning";
    char text[1200];
    size_t i;
    json_t *r;
    snprintf(text, sizeof(text), "campaign %s: %s", status,
             str(camp, "error",
                 strcmp(status, "interrupted") ? "no reason recorded" : "stopped by a signal"));
    json_array_append_new(out, notification(level, text));
    json_array_foreach(json_object_get(camp, "runs"), i, r) {
        if (!strcmp(str(r, "status", "ok"), "ok"))
            continue;
        snprintf(text, sizeof(text), "engine %s %s: %s", str(r, "engine", "?"),
                 str(r, "status", "?"), str(r, "error", "no reason recorded"));
        json_array_append_new(out, notification(level, text));
    }
}

/* A crash that no replay reproduced is not a result (nothing to fix at a place
   yet): it is a warning about this execution, with the input kept. */
static void unreproduced_notifications(const json_t *camp, json_t *out)
{
    char text[1200];
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(camp, "unreproduced"), i, f) {
        snprintf(text, sizeof(text),
                 "unreproduced crash %s: seen %lld times, reproduced %lld/%lld by the replay "
                 "build; input kept in %s",
                 str(f, "signature", "?"), (long long)num(f, "count"),
                 (long long)num(json_object_get(f, "reliability"), "reproduced"),
                 (long long)num(json_object_get(f, "reliability"), "attempts"),
                 str(f, "input", "?"));
        json_array_append_new(out, notification("warning", text));
    }
}

/* invocations[0]: executionSuccessful is true only for a campaign that ran
   (status ok), so code-scanning tools never close alerts on a broken run. */
static json_t *sarif_invocations(const json_t *camp)
{
    const char *status = str(camp, "status", "failed");
    bool ok = strcmp(status, "ok") == 0;
    json_t *notes = json_array();
    if (!ok)
        status_notifications(camp, status, notes);
    unreproduced_notifications(camp, notes);
    return json_pack("[{s:b, s:o, s:{s:s}}]", "executionSuccessful", ok,
                     "toolExecutionNotifications", notes, "properties", "status", status);
}

json_t *shmf__campaign_sarif(const json_t *camp)
{
    json_t *results = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(camp, "findings"), i, f)
        json_array_append_new(results, sarif_result(f));
    return json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:o, s:o}]}", "$schema",
                     SARIF_SCHEMA_URI, "version", "2.1.0", "runs", "tool", "driver", "name",
                     "shmfuzz", "semanticVersion", SHMF_REPORT_VERSION, "rules", sarif_rules(),
                     "invocations", sarif_invocations(camp), "results", results);
}
