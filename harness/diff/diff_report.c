/*
 * diff_report.c -- what differential mode shows: both sides' outcomes op by op
 * (side by side on a terminal, one trace per side in finding.json), the
 * divergence, and the counters of allowed differences (diff.h).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "diff_internal.h"

#define COLUMN 46 /* width of the provider's column in the side-by-side view */

/* "  <index> <op text>" for an event ("work item: ..." for deferred ones). */
static void op_line(FILE *f, const struct diff_ev *e, bool marked)
{
    char text[256];
    if (e->code == SHMF_DIFF_OP_LOAD) {
        fprintf(f, "%c      (load)\n", marked ? '>' : ' ');
        return;
    }
    shmf_op_format(text, sizeof(text), &e->op);
    if (e->work_item)
        fprintf(f, "%c        work item: %s\n", marked ? '>' : ' ', text);
    else
        fprintf(f, "%c %4d %s%s\n", marked ? '>' : ' ', e->op_index, e->cpu >= 0 ? "[cpu] " : "",
                text);
}

static bool is_marked(const struct shmf_diff *d, uint32_t k)
{
    return d->diverged && k == d->div.event;
}

void shmf_diff_print(FILE *f, const struct shmf_diff *d, const struct shmf_prog *prog)
{
    const struct shmf_diff_side *a = &d->side[0], *b = &d->side[1];
    uint32_t n = a->nev > b->nev ? a->nev : b->nev;
    (void)prog;
    fprintf(f, "         %-*s | %s\n", COLUMN, a->name ? a->name : "provider",
            b->name ? b->name : "against");
    for (uint32_t k = 0; k < n; k++) {
        const struct diff_ev *e = k < a->nev ? &a->ev[k] : &b->ev[k];
        op_line(f, e, is_marked(d, k));
        fprintf(f, "       -> %-*s | %s\n", COLUMN, k < a->nev ? a->ev[k].text : "(stopped)",
                k < b->nev ? b->ev[k].text : "(stopped)");
    }
}

static const char *outcome_text(const struct shmf_diff *d, unsigned s)
{
    const struct shmf_diff_side *sd = &d->side[s];
    if (d->div.event < sd->nev)
        return sd->ev[d->div.event].text;
    return sd->res.findings ? sd->res.first.message : "(stopped)";
}

void shmf_diff_print_outcomes(FILE *f, const struct shmf_diff *d)
{
    if (!d->diverged)
        return;
    for (unsigned s = 0; s < SHMF_DIFF_SIDES; s++)
        fprintf(f, "  %s: %s (%s %s)\n", d->side[s].name, outcome_text(d, s),
                shmf_diff_prop_name(d->div.prop), shmf_diff_value_name(d->div.value[s]));
}

/* One side's trace: each op and its outcome, the diverging op marked. */
static json_t *trace_json(const struct shmf_diff *d, unsigned s)
{
    const struct shmf_diff_side *sd = &d->side[s];
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    for (uint32_t k = 0; k < sd->nev; k++) {
        op_line(f, &sd->ev[k], is_marked(d, k));
        fprintf(f, "       -> %s\n", sd->ev[k].text);
    }
    if (sd->res.findings)
        fprintf(f, "finding: %s: %s\n", shmf_kind_name(sd->res.first.kind), sd->res.first.message);
    fclose(f);
    json_t *j = json_string(buf ? buf : "");
    free(buf);
    return j;
}

static json_t *outcome_json(const struct shmf_diff *d, unsigned s)
{
    return json_pack("{s:s, s:s, s:s}", "provider", d->side[s].name ? d->side[s].name : "", "value",
                     shmf_diff_value_name(d->div.value[s]), "outcome", outcome_text(d, s));
}

static json_t *rules_json(const struct shmf_diff *d)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < shmf_diff_rules_count(d->rules); i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "where", shmf_diff_rule_where(d->rules, i),
                                           "rule", shmf_diff_rule_text(d->rules, i)));
    return a;
}

json_t *shmf_diff_finding_json(const struct shmf_diff *d, const struct shmf_prog *prog)
{
    if (!d->diverged)
        return NULL;
    const char *op = (uint32_t)d->div.op_index < prog->nops
                         ? shmf_op_name(prog->ops[d->div.op_index].code)
                         : "teardown";
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:{s:o, s:o}, s:{s:o*, s:o*}, s:o}",
                     "provider", d->side[0].name ? d->side[0].name : "", "against",
                     d->side[1].name ? d->side[1].name : "", "property",
                     shmf_diff_prop_name(d->div.prop), "property_description",
                     shmf_diff_prop_description(d->div.prop), "place", d->div.place, "op_index",
                     (json_int_t)d->div.op_index, "op", op, "outcomes", "provider",
                     outcome_json(d, 0), "against", outcome_json(d, 1), "traces", "provider",
                     trace_json(d, 0), "against", trace_json(d, 1), "rules", rules_json(d));
}

json_t *shmf_diff_stats_json(const struct shmf_diff *d)
{
    const struct shmf_diff_counts *c = &d->counts;
    json_t *by_prop = json_object(), *by_rule = json_array();
    uint64_t total = 0;
    for (unsigned p = 0; p < SHMF_DIFF_PROP_COUNT; p++) {
        total += c->allowed_by_prop[p];
        if (c->allowed_by_prop[p])
            json_object_set_new(by_prop, shmf_diff_prop_name(p),
                                json_integer((json_int_t)c->allowed_by_prop[p]));
    }
    for (unsigned i = 0; i < shmf_diff_rules_count(d->rules) && i < SHMF_DIFF_MAX_RULES; i++)
        json_array_append_new(by_rule, json_pack("{s:s, s:s, s:I}", "where",
                                                 shmf_diff_rule_where(d->rules, i), "rule",
                                                 shmf_diff_rule_text(d->rules, i), "count",
                                                 (json_int_t)c->allowed_by_rule[i]));
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:o, s:o}}", "against",
                     d->side[1].name ? d->side[1].name : "", "runs", (json_int_t)c->runs,
                     "ops_compared", (json_int_t)c->events, "divergences",
                     (json_int_t)c->divergences, "desyncs", (json_int_t)c->desyncs,
                     "interleaved_skipped", (json_int_t)c->interleaved_skipped, "allowed", "total",
                     (json_int_t)total, "by_property", by_prop, "by_rule", by_rule);
}
