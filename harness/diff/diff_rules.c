/*
 * diff_rules.c -- the rules that declare legitimate differences between two
 * providers (--allow FILE; format in docs/differential.md):
 *
 *   # a comment
 *   shmfuzz-rules v=1                      (optional, first)
 *   allow PROPERTY [CONDITION ...]         [# comment]
 *
 * A difference in PROPERTY is allowed when every CONDITION holds; the first
 * rule that allows it is the one counted.  Conditions, one list:
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_internal.h"

/* X(ENUM, "name", form, "what it tests")
   form NAME: name=VALUE; NUM: name OP (NUMBER|NUM-NAME), OP one of
   < <= > >= = !=, NUMBER decimal or 0x hex with an optional K, M or G (KiB,
   MiB, GiB); FLAG: name, or !name for its negation. */
#define DIFF_CONDS(X)                                                                              \
    X(OP, "op", NAME, "the op is NAME (alloc, qalloc, rx, load, ...)")                             \
    X(VALUE, "value", NAME, "one side's value of the property is NAME")                            \
    X(REASON, "reason", NAME, "the contract reason of the request (accepted, refusal)")            \
    X(LENGTH, "length", NUM, "the request's Length")                                               \
    X(PAGES, "pages", NUM, "pages the request's Length spans")                                     \
    X(SG_ROOM, "sg-room", NUM, "SG elements the request's SG buffer holds")                        \
    X(QUEUE_BYTES, "queue-bytes", NUM,                                                             \
      "bytes the request's queue would hold with it, on a side that refused it (a NIC "            \
      "op that found no memory: what that side's busiest queue holds)")                            \
    X(TOTAL_BYTES, "total-bytes", NUM,                                                             \
      "bytes all queues would hold with it, on a side that refused it (a NIC op: hold)")           \
    X(CONTIGUOUS, "contiguous", FLAG, "the request asked for CONTIGUOUS")                          \
    X(INJECTED, "injected", FLAG, "a fault was injected during the op, on either side")

enum cond_kind {
#define COND_ENUM(e, n, form, d) C_##e,
    DIFF_CONDS(COND_ENUM)
#undef COND_ENUM
        C_COUNT
};

enum cond_form { F_NAME, F_NUM, F_FLAG };

static const struct {
    const char *name;
    enum cond_form form;
} conds[] = {
#define COND_ROW(e, n, form, d) {n, F_##form},
    DIFF_CONDS(COND_ROW)
#undef COND_ROW
};
_Static_assert(sizeof(conds) / sizeof(conds[0]) == C_COUNT, "conds");

enum cmp { LT, LE, GT, GE, EQ, NE };

struct cond {
    enum cond_kind kind;
    enum cmp cmp;
    bool negate;  /* FLAG */
    int rhs;      /* NUM: another NUM condition's kind, or -1 for num */
    uint64_t num; /* NUM: the number; NAME: the value / op / reason */
};

#define MAX_CONDS 8

struct rule {
    int prop;
    unsigned nconds;
    struct cond c[MAX_CONDS];
    char where[160]; /* "FILE:LINE" */
    char text[200];
};

struct shmf_diff_rules {
    unsigned n;
    struct rule r[SHMF_DIFF_MAX_RULES];
};

/* === Parsing === */

static int find_cond(const char *name, size_t len)
{
    for (unsigned i = 0; i < C_COUNT; i++)
        if (strlen(conds[i].name) == len && strncmp(conds[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* "123", "0x10", "4M": into *v; false if malformed. */
static bool parse_number(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 0);
    if (end == s || errno || *s == '-')
        return false;
    unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    if (shift)
        end++;
    if (*end || (shift && n > (UINT64_MAX >> shift)))
        return false;
    *v = (uint64_t)n << shift;
    return true;
}

static int parse_name_value(struct cond *c, const char *v)
{
    int x = -1;
    switch (c->kind) {
    case C_VALUE: x = shmf_diff_value_from_name(v); break;
    case C_REASON:
        for (unsigned r = 1; r < SHMF_DIFF_REASON_COUNT; r++)
            if (strcmp(v, shmf_diff_reason_name(r)) == 0)
                x = (int)r;
        break;
    default:
        if (strcmp(v, "load") == 0)
            x = SHMF_DIFF_OP_LOAD;
        for (unsigned o = 0; o < SHMF_OP_COUNT && x < 0; o++)
            if (strcmp(v, shmf_op_name(o)) == 0)
                x = (int)o;
        break;
    }
    c->num = (uint64_t)x;
    return x < 0 ? -EINVAL : 0;
}

static int parse_num(struct cond *c, const char *op)
{
    static const struct {
        const char *s;
        enum cmp c;
    } ops[] = {{"<=", LE}, {">=", GE}, {"!=", NE}, {"<", LT}, {">", GT}, {"=", EQ}};
    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t n = strlen(ops[i].s);
        if (strncmp(op, ops[i].s, n) != 0)
            continue;
        c->cmp = ops[i].c;
        const char *rhs = op + n;
        c->rhs = find_cond(rhs, strlen(rhs));
        if (c->rhs >= 0)
            return conds[c->rhs].form == F_NUM ? 0 : -EINVAL;
        return parse_number(rhs, &c->num) ? 0 : -EINVAL;
    }
    return -EINVAL;
}

/* One CONDITION token into c; -EINVAL with the reason in why. */
static int parse_cond(const char *tok, struct cond *c, const char **why)
{
    bool neg = tok[0] == '!';
    const char *name = tok + neg;
    size_t len = strcspn(name, "<>=!");
    int k = find_cond(name, len);
    memset(c, 0, sizeof(*c));
    *why = "unknown condition";
    if (k < 0)
        return -EINVAL;
    c->kind = (enum cond_kind)k;
    c->rhs = -1;
    switch (conds[k].form) {
    case F_FLAG:
        c->negate = neg;
        *why = "a flag condition takes no value";
        return name[len] ? -EINVAL : 0;
    case F_NAME:
        *why = "expected name=VALUE with a known value";
        return !neg && name[len] == '=' ? parse_name_value(c, name + len + 1) : -EINVAL;
    default:
        *why = "expected name OP NUMBER (OP one of < <= > >= = !=)";
        return neg ? -EINVAL : parse_num(c, name + len);
    }
}

static int parse_rule(struct rule *r, char *line, const char **why)
{
    char *save = NULL, *tok = strtok_r(line, " \t", &save);
    *why = "expected 'allow PROPERTY [CONDITION ...]'";
    if (!tok || strcmp(tok, "allow") != 0)
        return -EINVAL;
    tok = strtok_r(NULL, " \t", &save);
    *why = "unknown property";
    if (!tok || (r->prop = shmf_diff_prop_from_name(tok)) < 0)
        return -EINVAL;
    r->nconds = 0;
    while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
        if (r->nconds == MAX_CONDS) {
            *why = "too many conditions (at most 8)";
            return -EINVAL;
        }
        if (parse_cond(tok, &r->c[r->nconds++], why) != 0)
            return -EINVAL;
    }
    return 0;
}

/* Strip the comment and surrounding blanks; NULL for an empty line. */
static char *trim(char *line)
{
    line[strcspn(line, "#\r\n")] = 0;
    while (isspace((unsigned char)*line))
        line++;
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
        line[--n] = 0;
    return *line ? line : NULL;
}

static int load_lines(struct shmf_diff_rules *rs, FILE *f, const char *path, char *err,
                      size_t errlen)
{
    char buf[512];
    unsigned lineno = 0;
    bool first = true;
    while (fgets(buf, sizeof(buf), f)) {
        lineno++;
        char *line = trim(buf), text[200];
        const char *why = NULL;
        if (!line)
            continue;
        if (first && strncmp(line, "shmfuzz-rules", 13) == 0) {
            first = false;
            if (strcmp(line, "shmfuzz-rules v=1") != 0)
                why = "unsupported header (expected 'shmfuzz-rules v=1')";
        } else if (rs->n == SHMF_DIFF_MAX_RULES) {
            why = "too many rules (at most 64 in all files)";
        } else {
            first = false;
            snprintf(text, sizeof(text), "%s", line);
            struct rule *r = &rs->r[rs->n];
            if (parse_rule(r, line, &why) == 0) {
                snprintf(r->where, sizeof(r->where), "%s:%u", path, lineno);
                snprintf(r->text, sizeof(r->text), "%s", text);
                rs->n++;
                why = NULL;
            }
        }
        if (why) {
            snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
            return -EINVAL;
        }
    }
    return 0;
}

int shmf_diff_rules_load(struct shmf_diff_rules **rules, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int rc = -errno;
        snprintf(err, errlen, "cannot read rules file %s: %s", path, strerror(errno));
        return rc;
    }
    if (!*rules && !(*rules = calloc(1, sizeof(**rules)))) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int rc = load_lines(*rules, f, path, err, errlen);
    fclose(f);
    return rc;
}

void shmf_diff_rules_free(struct shmf_diff_rules *rules)
{
    free(rules);
}

unsigned shmf_diff_rules_count(const struct shmf_diff_rules *rules)
{
    return rules ? rules->n : 0;
}

const char *shmf_diff_rule_where(const struct shmf_diff_rules *rules, unsigned i)
{
    return rules && i < rules->n ? rules->r[i].where : "";
}

const char *shmf_diff_rule_text(const struct shmf_diff_rules *rules, unsigned i)
{
    return rules && i < rules->n ? rules->r[i].text : "";
}

/* === Matching === */

static uint64_t max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* A NUM condition's quantity: the request's facts (the same on both sides
   unless the worlds are out of step: the larger), bytes on a refusing side. */
static uint64_t quantity(enum cond_kind k, const struct diff_ev *a, const struct diff_ev *b)
{
    switch (k) {
    case C_LENGTH: return max64(a->length, b->length);
    case C_PAGES: return max64(a->pages, b->pages);
    case C_SG_ROOM: return max64(a->sg_room, b->sg_room);
    case C_QUEUE_BYTES: return max64(a->queue_bytes, b->queue_bytes);
    case C_TOTAL_BYTES: return max64(a->total_bytes, b->total_bytes);
    default: return 0;
    }
}

static bool compare_num(enum cmp c, uint64_t x, uint64_t y)
{
    switch (c) {
    case LT: return x < y;
    case LE: return x <= y;
    case GT: return x > y;
    case GE: return x >= y;
    case EQ: return x == y;
    default: return x != y;
    }
}

static bool cond_holds(const struct cond *c, const struct diff_ev *a, const struct diff_ev *b,
                       unsigned va, unsigned vb)
{
    switch (c->kind) {
    case C_OP: return a->code == c->num;
    case C_VALUE: return va == c->num || vb == c->num;
    case C_REASON: return a->reason == c->num || b->reason == c->num;
    case C_CONTIGUOUS: return (a->contiguous || b->contiguous) != c->negate;
    case C_INJECTED: return (a->injected || b->injected) != c->negate;
    default: {
        uint64_t rhs = c->rhs >= 0 ? quantity((enum cond_kind)c->rhs, a, b) : c->num;
        return compare_num(c->cmp, quantity(c->kind, a, b), rhs);
    }
    }
}

int shmf__diff_rules_match(const struct shmf_diff_rules *rules, enum shmf_diff_prop p,
                           const struct diff_ev *a, const struct diff_ev *b, unsigned va,
                           unsigned vb)
{
    for (unsigned i = 0; rules && i < rules->n; i++) {
        const struct rule *r = &rules->r[i];
        bool ok = r->prop == (int)p;
        for (unsigned k = 0; ok && k < r->nconds; k++)
            ok = cond_holds(&r->c[k], a, b, va, vb);
        if (ok)
            return (int)i;
    }
    return -1;
}
