/*
 * report_sarif.c -- campaign.sarif for `shmfuzz report`: the campaign's findings
 * as one SARIF 2.1.0 run.  Rules come from the finding-kind catalogue (one rule
 * per kind); each result carries the finding's signature as a partial fingerprint
 * so code-scanning tools keep tracking it across campaigns.
 */
#include <stdio.h>

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

json_t *shmf__campaign_sarif(const json_t *camp)
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
