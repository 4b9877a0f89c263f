/*
 * test_diff.c -- differential mode (harness/diff/diff*.c, docs/differential.md):
 * the executor's observer, the comparison, the rules and their counters.
 *
 * The providers are loaded as shared objects (their paths come from the
 * build), the runtime is linked whole and exported for them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff.h"
#include "exec_internal.h"
#include "mutator.h"
#include "shmf_test.h"
#include "target.h"

#if !defined(SHMF_TEST_PROVIDER_DIR) || !defined(SHMF_TEST_RULES)
#error "SHMF_TEST_PROVIDER_DIR and SHMF_TEST_RULES must be defined"
#endif

static void provider(const char *name, struct shmf_target *t)
{
    char path[1024], err[600];
    snprintf(path, sizeof(path), "%s/libshmfprov_%s.so", SHMF_TEST_PROVIDER_DIR, name);
    if (shmf_target_open(path, t, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    t->provider.name = name;
}

static struct shmf_prog *parse(const char *text)
{
    char err[200];
    struct shmf_prog *p = shmf_prog_new();
    assert_non_null(p);
    if (shmf_prog_parse(p, text, strlen(text), err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return p;
}

static void open_diff(struct shmf_diff *d, const char *against, const char *rules)
{
    char path[1024], err[600];
    const char *allow[1] = {rules};
    snprintf(path, sizeof(path), "%s/libshmfprov_%s.so", SHMF_TEST_PROVIDER_DIR, against);
    if (shmf_diff_open(d, path, allow, rules ? 1 : 0, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    d->side[1].name = against;
}

/* Run text on provider `a` against `b`; the divergence's place, or "". */
static const char *diff_place(const char *a, const char *b, const char *rules, const char *text,
                              struct shmf_diff *d)
{
    static char place[64];
    struct shmf_target t;
    struct shmf_exec_result res;
    struct shmf_prog *p = parse(text);
    provider(a, &t);
    open_diff(d, b, rules);
    shmf_diff_run(d, &t, p, NULL, &res);
    place[0] = 0;
    if (res.findings) {
        assert_int_equal(res.first.kind, SHMF_KIND_DIVERGENCE);
        assert_string_equal(shmf_kind_name(res.first.kind), "divergence");
        assert_int_equal(res.failing_op, d->div.op_index);
        snprintf(place, sizeof(place), "%s", res.first.function);
    }
    shmf_prog_free(p);
    return place;
}

/* === The observer === */

struct seen {
    unsigned n, loads, allocs, work_items;
};

static void count(void *ud, const struct shmf_exec_event *ev)
{
    struct seen *s = ud;
    s->n++;
    s->loads += ev->op == NULL;
    s->allocs += ev->params != NULL;
    s->work_items += ev->work_item;
}

/* One event per op, one for the first load, and the deferred alloc once more
   when `work` runs it, with its request. */
static void observer_sees_every_op(void **state)
{
    (void)state;
    struct shmf_target t;
    struct seen s = {0};
    struct shmf_exec_result res;
    struct shmf_prog *p = parse("alloc usage=4 length=4096\n"
                                "raise level=2\n"
                                "alloc usage=4 length=8192\n"
                                "lower\n"
                                "work\n"
                                "free\n");
    struct shmf_exec_opts opts = {
        .verify_flags = SHMF_VERIFY_F_ALL, .observe = count, .observe_ud = &s};
    provider("reference", &t);
    shmf_exec_run(&t, p, &opts, &res);
    assert_int_equal(res.findings, 0);
    assert_int_equal(s.loads, 1);
    assert_int_equal(s.n, 1 + p->nops + 1);
    assert_int_equal(s.work_items, 1);
    assert_int_equal(s.allocs, 2);
    shmf_prog_free(p);
}

/* === Comparison === */

/* The four validation gaps, each at its op and property. */
static void gaps_diverge(void **state)
{
    (void)state;
    struct shmf_diff d;
    assert_string_equal(diff_place("gaps_length_zero", "reference", NULL,
                                   "alloc usage=4 length=4096\nalloc usage=4 length=0\n", &d),
                        "alloc:accepted:length-zero");
    assert_int_equal(d.div.op_index, 1);
    shmf_diff_close(&d);
    assert_string_equal(diff_place("gaps_usage_range", "reference", SHMF_TEST_RULES,
                                   "alloc usage=12 length=4096\n", &d),
                        "alloc:accepted:usage-out-of-range");
    shmf_diff_close(&d);
    assert_string_equal(diff_place("gaps_vport_ignored", "reference", SHMF_TEST_RULES,
                                   "alloc usage=4 length=4096 vport=7\n", &d),
                        "alloc:accepted:vport-unsupported");
    shmf_diff_close(&d);
    assert_string_equal(diff_place("gaps_quota_short", "reference", SHMF_TEST_RULES,
                                   "alloc usage=4 length=1048576\nalloc usage=4 length=1572864\n",
                                   &d),
                        "alloc:block-length:short/equal");
    shmf_diff_close(&d);
}

/* Either side may be the one that is wrong: the reference against a gap. */
static void gap_on_either_side(void **state)
{
    (void)state;
    struct shmf_diff d;
    assert_string_equal(
        diff_place("reference", "gaps_length_zero", NULL, "alloc usage=4 length=0\n", &d),
        "alloc:accepted:length-zero");
    assert_int_equal(d.div.value[0], SHMF_DV_REFUSED);
    assert_int_equal(d.div.value[1], SHMF_DV_SERVED);
    shmf_diff_close(&d);
}

/* A provider that declares PF VPorts may serve a VPort the reference refuses;
   one that does not may not. */
static void pf_vports_follow_the_flags(void **state)
{
    (void)state;
    struct shmf_diff d;
    assert_string_equal(diff_place("alt_pfvport", "reference", SHMF_TEST_RULES,
                                   "alloc usage=4 length=4096 vport=2\nfree\n", &d),
                        "");
    shmf_diff_close(&d);
    assert_string_equal(diff_place("gaps_vport_ignored", "alt_pfvport", SHMF_TEST_RULES,
                                   "alloc usage=4 length=4096 vport=2\n", &d),
                        "alloc:accepted:vport-unsupported");
    shmf_diff_close(&d);
}

/* A provider-limit refusal is a divergence without rules, allowed and counted
   with them; the worlds then go out of step and later status differences are
   not compared, while contract refusals still are. */
static void rules_allow_and_count(void **state)
{
    (void)state;
    static const char text[] = "alloc usage=4 length=2097152\n"
                               "alloc usage=4 length=4096\n"
                               "free\n";
    struct shmf_diff d;
    assert_string_equal(diff_place("alt_small", "reference", NULL, text, &d),
                        "alloc:status:INVALID_PARAMETER/SUCCESS");
    shmf_diff_close(&d);
    assert_string_equal(diff_place("alt_small", "reference", SHMF_TEST_RULES, text, &d), "");
    assert_int_equal(d.counts.allowed_by_prop[SHMF_DP_STATUS], 1);
    assert_int_equal(d.counts.desyncs, 1);
    unsigned counted = 0;
    for (unsigned i = 0; i < shmf_diff_rules_count(d.rules); i++)
        if (d.counts.allowed_by_rule[i]) {
            counted++;
            assert_non_null(strstr(shmf_diff_rule_text(d.rules, i), "length>1M"));
        }
    assert_int_equal(counted, 1);
    json_t *j = shmf_diff_stats_json(&d);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "allowed"), "total")),
                     1);
    json_decref(j);
    shmf_diff_close(&d);
    assert_string_equal(diff_place("gaps_length_zero", "reference", SHMF_TEST_RULES,
                                   "alloc usage=4 length=16777216\nalloc usage=4 length=0\n", &d),
                        "alloc:accepted:length-zero");
    shmf_diff_close(&d);
}

/* The same provider on both sides never diverges, whatever the program
   (the fuzzers' record mix, faults included). */
static void reference_against_itself(void **state)
{
    (void)state;
    struct shmf_target t;
    struct shmf_diff d;
    struct shmf_exec_result res;
    struct shmf_prog *p = shmf_prog_new();
    uint8_t buf[2048];
    provider("reference", &t);
    open_diff(&d, "reference", NULL);
    for (unsigned i = 0; i < 200; i++) {
        size_t n = 8;
        memset(buf, 0, sizeof(buf));
        for (unsigned k = 0; k < 16; k++)
            n = shmf_mutate(buf, n, sizeof(buf), i * 977 + k);
        shmf_prog_decode(p, buf, n);
        shmf_diff_run(&d, &t, p, NULL, &res);
        if (res.findings)
            fail_msg("program %u: %s: %s", i, res.first.function, res.first.message);
    }
    assert_int_equal(d.counts.divergences, 0);
    assert_true(d.counts.events > 200);
    shmf_diff_close(&d);
    shmf_prog_free(p);
}

/* The provider's own finding wins over any difference, and the other side is
   not run at all. */
static void own_finding_first(void **state)
{
    (void)state;
    struct shmf_diff d;
    struct shmf_target t;
    struct shmf_exec_result res;
    struct shmf_prog *p = parse("alloc usage=4 length=0\nalloc usage=4 length=4096\n"
                                "free slot=0\nfree slot=0\n");
    provider("buggy_double_free", &t);
    open_diff(&d, "gaps_length_zero", NULL);
    shmf_diff_run(&d, &t, p, NULL, &res);
    assert_int_equal(res.findings >= 1, 1);
    assert_int_not_equal(res.first.kind, SHMF_KIND_DIVERGENCE);
    assert_false(d.diverged);
    assert_int_equal(d.side[1].nev, 0);
    shmf_diff_close(&d);
    shmf_prog_free(p);
}

/* === Rules files === */

static int load_text(const char *text, char *err, size_t n)
{
    char path[] = "/tmp/shmf-rules-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct shmf_diff_rules *r = NULL;
    int rc = shmf_diff_rules_load(&r, path, err, n);
    shmf_diff_rules_free(r);
    unlink(path);
    return rc;
}

static void rules_parse(void **state)
{
    (void)state;
    char err[300];
    struct shmf_diff_rules *r = NULL;
    assert_int_equal(shmf_diff_rules_load(&r, SHMF_TEST_RULES, err, sizeof(err)), 0);
    assert_true(shmf_diff_rules_count(r) >= 5);
    shmf_diff_rules_free(r);
    r = NULL;
    assert_int_equal(load_text("shmfuzz-rules v=1\n# c\n\nallow status length>=0x10 "
                               "value=RESOURCES !injected sg-room<pages op=alloc  # x\n"
                               "allow nic op=qalloc value=no-memory\nallow accepted "
                               "reason=length-zero\n",
                               err, sizeof(err)),
                     0);
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"allow colour\n", ":1: unknown property"},
        {"deny status\n", ":1: expected 'allow"},
        {"\nallow status size>1\n", ":2: unknown condition"},
        {"allow status length>lots\n", ":1: expected name OP NUMBER"},
        {"allow status value=PURPLE\n", ":1: expected name=VALUE"},
        {"allow status injected=1\n", ":1: a flag condition takes no value"},
        {"shmfuzz-rules v=2\n", ":1: unsupported header"},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(load_text(bad[i].text, err, sizeof(err)), -EINVAL);
        if (!strstr(err, bad[i].why))
            fail_msg("'%s': got '%s', want '%s'", bad[i].text, err, bad[i].why);
    }
    assert_int_equal(shmf_diff_rules_load(&r, "/nonexistent/rules", err, sizeof(err)), -ENOENT);
    shmf_diff_rules_free(r);
}

/* Every row of the table has a name and a description, and names map back. */
static void table_names(void **state)
{
    (void)state;
    for (unsigned p = 0; p < SHMF_DIFF_PROP_COUNT; p++) {
        assert_int_equal(shmf_diff_prop_from_name(shmf_diff_prop_name(p)), (int)p);
        assert_true(strlen(shmf_diff_prop_description(p)) > 10);
    }
    for (unsigned v = 0; v < SHMF_DIFF_VALUE_COUNT; v++)
        assert_int_equal(shmf_diff_value_from_name(shmf_diff_value_name(v)), (int)v);
    assert_int_equal(shmf_kind_from_name("divergence"), SHMF_KIND_DIVERGENCE);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(observer_sees_every_op),     T(gaps_diverge),          T(gap_on_either_side),
        T(pf_vports_follow_the_flags), T(rules_allow_and_count), T(reference_against_itself),
        T(own_finding_first),          T(rules_parse),           T(table_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
