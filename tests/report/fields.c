/*
 * fields.c -- `report_fields`: print the field lists of harness/report/report_fields.h
 * (through the descriptor tables the builders check against) as JSON, for
 * tests/report/schema_fields.py to compare with reports/schema/finding.json and run.json:
 *
 *   {"finding.json": [{"name": ..., "types": ["string", ...], "required": true}, ...],
 *    "run.json": [...]}
 *
 * Types are JSON Schema names: an integer-or-real field is "number".
 */
#include <stdio.h>
#include <stdlib.h>

#include "report.h"

static json_t *types_json(unsigned t)
{
    json_t *a = json_array();
    if (t & SHMF_JT_STRING)
        json_array_append_new(a, json_string("string"));
    if ((t & SHMF_JT_INTEGER) && (t & SHMF_JT_REAL))
        json_array_append_new(a, json_string("number"));
    else if (t & SHMF_JT_INTEGER)
        json_array_append_new(a, json_string("integer"));
    if (t & SHMF_JT_BOOLEAN)
        json_array_append_new(a, json_string("boolean"));
    if (t & SHMF_JT_OBJECT)
        json_array_append_new(a, json_string("object"));
    if (t & SHMF_JT_ARRAY)
        json_array_append_new(a, json_string("array"));
    if (t & SHMF_JT_NULL)
        json_array_append_new(a, json_string("null"));
    return a;
}

static json_t *list_json(const struct shmf_report_field *d, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:o, s:b}", "name", d[i].name, "types",
                                           types_json(d[i].types), "required", d[i].required));
    return a;
}

int main(void)
{
    json_t *j = json_pack("{s:o, s:o}", "finding.json",
                          list_json(shmf_finding_field_descs, shmf_finding_field_count), "run.json",
                          list_json(shmf_run_field_descs, shmf_run_field_count));
    char *s = j ? json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
    if (!s)
        return 1;
    puts(s);
    free(s);
    json_decref(j);
    return 0;
}
