/*
 * Unit and property tests for the guided record-level mutations (mutator.h:
 * cmp, repeat, clone, fault, refill), the kind mask and the comparison-operand
 * table (cmp.h).  The base kinds are tested in test_opstream.c.  Everything is
 * seeded: a failure reproduces with the same binary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmp.h"
#include "mutator.h"
#include "opstream.h"

#define RUNS 2000
#define BUF_MAX (SHMF_HEADER_SIZE + SHMF_OPS_MAX * 28 + 64)

struct fixture {
    struct shmf_prog *p, *q;
    struct shmf_cmp_table *t;
    uint8_t *bin, *bin2, *canon;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->p = shmf_prog_new();
    f->q = shmf_prog_new();
    f->t = calloc(1, sizeof(*f->t));
    f->bin = malloc(BUF_MAX);
    f->bin2 = malloc(BUF_MAX);
    f->canon = malloc(BUF_MAX);
    assert_true(f->p && f->q && f->t && f->bin && f->bin2 && f->canon);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    shmf_prog_free(f->p);
    shmf_prog_free(f->q);
    free(f->t);
    free(f->bin);
    free(f->bin2);
    free(f->canon);
    free(f);
    return 0;
}

static uint64_t test_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

static size_t random_input(uint64_t *s, uint8_t *buf, size_t max)
{
    size_t len = (size_t)(test_rand(s) % (test_rand(s) % 4 == 0 ? max : 400));

    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)test_rand(s);
    return len;
}

static void parse(struct shmf_prog *p, const char *text)
{
    char err[200];

    if (shmf_prog_parse(p, text, strlen(text), err, sizeof(err)) != 0)
        fail_msg("parse: %s", err);
}

static struct shmf_mut_ctx only(enum shmf_mutation m, const struct shmf_cmp_table *t)
{
    return (struct shmf_mut_ctx){.kinds = 1u << m, .cmp = t, .cmp_exact = t != NULL};
}

static unsigned count_code(const struct shmf_prog *p, unsigned code)
{
    unsigned n = 0;

    for (uint32_t i = 0; i < p->nops; i++)
        n += p->ops[i].code == code;
    return n;
}

/* === The kind mask === */

static void test_parse_kinds(void **state)
{
    uint32_t k;
    char err[160];

    (void)state;
    assert_int_equal(shmf_mutations_parse(NULL, &k, err, sizeof(err)), 0);
    assert_int_equal(k, shmf_mutations_default());
    assert_int_equal(shmf_mutations_parse("none", &k, err, sizeof(err)), 0);
    assert_int_equal(k, SHMF_MUT_BASE_MASK);
    assert_int_equal(shmf_mutations_parse("all", &k, err, sizeof(err)), 0);
    assert_int_equal(k, SHMF_MUT_BASE_MASK | SHMF_MUT_GUIDED_MASK);
    assert_int_equal(shmf_mutations_parse("none+cmp+repeat", &k, err, sizeof(err)), 0);
    assert_int_equal(k, SHMF_MUT_BASE_MASK | (1u << SHMF_MUT_CMP) | (1u << SHMF_MUT_REPEAT));
    assert_int_equal(shmf_mutations_parse("all, -cmp", &k, err, sizeof(err)), 0);
    assert_int_equal(k, (SHMF_MUT_BASE_MASK | SHMF_MUT_GUIDED_MASK) & ~(1u << SHMF_MUT_CMP));
    assert_int_equal(shmf_mutations_parse("none,fault", &k, err, sizeof(err)), 0);
    assert_int_equal(k, SHMF_MUT_BASE_MASK | (1u << SHMF_MUT_FAULT));
    assert_int_equal(shmf_mutations_parse("none+bogus", &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bogus"));
    assert_int_equal(shmf_mutations_parse("-", &k, err, sizeof(err)), -1);
}

/* With the guided kinds off, no guided kind is ever picked. */
static void test_none_is_base(void **state)
{
    struct fixture *f = *state;
    struct shmf_mut_ctx ctx = {.kinds = SHMF_MUT_BASE_MASK, .cmp = f->t, .cmp_exact = 1};
    struct shmf_rng r;

    shmf_cmp_reset(f->t, 0);
    shmf_cmp_add(f->t, 4096, 8192, 0);
    shmf_rng_seed(&r, 7);
    parse(f->p, "alloc usage=4 length=4096\nfree\n");
    for (int run = 0; run < RUNS; run++) {
        enum shmf_mutation m = shmf_prog_mutate_ctx(f->p, 4096, &r, &ctx);
        assert_true(SHMF_MUT_BASE_MASK & (1u << m));
    }
}

/* cmp_applied counts each applied "cmp" mutation, stacked ones too, and no other. */
static void test_cmp_applied_counted(void **state)
{
    struct fixture *f = *state;
    unsigned long long n = 0;
    struct shmf_mut_ctx ctx = {
        .kinds = SHMF_MUT_BASE_MASK, .cmp = f->t, .cmp_exact = 1, .cmp_applied = &n};
    struct shmf_rng r;

    shmf_cmp_reset(f->t, 0);
    shmf_cmp_add(f->t, 4096, 8192, 0);
    shmf_rng_seed(&r, 9);
    parse(f->q, "alloc usage=4 length=4096\nfree\n");
    for (int run = 0; run < 200; run++) {
        *f->p = *f->q;
        shmf_prog_mutate_ctx(f->p, 4096, &r, &ctx);
    }
    assert_int_equal(n, 0);
    ctx.kinds = 1u << SHMF_MUT_CMP; /* alone: every mutation, first or stacked, is one */
    for (int run = 0; run < 200; run++) {
        *f->p = *f->q;
        shmf_prog_mutate_ctx(f->p, 4096, &r, &ctx);
    }
    assert_true(n > 200);
}

/* === Every byte string, every kind: deterministic, canonical, within max === */

static void test_guided_property(void **state)
{
    struct fixture *f = *state;
    uint64_t s = 0x5EED0101;
    unsigned changed = 0, runs = 0;

    for (int run = 0; run < RUNS; run++) {
        size_t n = random_input(&s, f->bin, 3000), len;
        size_t max = n + (size_t)(test_rand(&s) % 2000);
        unsigned seed = (unsigned)test_rand(&s);
        struct shmf_mut_ctx ctx = {.kinds = (uint32_t)test_rand(&s) &
                                            (SHMF_MUT_BASE_MASK | SHMF_MUT_GUIDED_MASK),
                                   .cmp = f->t,
                                   .cmp_exact = (int)(test_rand(&s) & 1)};
        size_t m1, m2;

        if (run % 10 == 0)
            max = (size_t)(test_rand(&s) % 12), n = n < max ? n : max;
        ctx.kinds |= 1u << (SHMF_MUT_CMP + run % 5); /* each guided kind in turn */
        /* A table of random operands, with some of the input's own values. */
        shmf_cmp_reset(f->t, test_rand(&s));
        for (int k = (int)(test_rand(&s) % 64); k > 0; k--) {
            uint32_t a = n >= 4 ? (uint32_t)f->bin[test_rand(&s) % n] << (8 * (k % 4))
                                : (uint32_t)test_rand(&s);
            shmf_cmp_add(f->t, a, (uint32_t)test_rand(&s) >> (test_rand(&s) % 32),
                         (int32_t)(test_rand(&s) % 40) - 1);
        }
        memcpy(f->bin2, f->bin, n);
        shmf_prog_decode(f->p, f->bin, n);
        m1 = shmf_mutate_ctx(f->bin, n, max, seed, &ctx);
        m2 = shmf_mutate_ctx(f->bin2, n, max, seed, &ctx);
        assert_true(m1 <= max);
        assert_int_equal(m1, m2);
        assert_memory_equal(f->bin, f->bin2, m1);
        if (m1 < SHMF_HEADER_SIZE || shmf_prog_encoded_size(f->p) > max)
            continue;
        /* canonical: decodes and re-encodes to itself */
        shmf_prog_decode(f->q, f->bin, m1);
        assert_int_equal(shmf_prog_encode(f->q, f->canon, BUF_MAX, &len), 0);
        assert_int_equal(len, m1);
        assert_memory_equal(f->canon, f->bin, m1);
        runs++;
        changed += !shmf_prog_equal(f->p, f->q);
    }
    assert_true(runs > RUNS / 2);
    assert_true(changed > runs * 9 / 10);
}

/* === cmp === */

/* The slab has 61440 bytes left; the provider compared the 65536 asked for with
   it: the length becomes 61440 (or one either side). */
static void test_cmp_sets_compared_value(void **state)
{
    struct fixture *f = *state;
    unsigned exact = 0;

    parse(f->q, "alloc usage=7 length=131072\nalloc usage=7 length=65536\nalloc usage=7\n");
    shmf_cmp_reset(f->t, 1);
    shmf_cmp_add(f->t, 61440, 65536, 1);
    shmf_cmp_add(f->t, 0, 65536, 1);   /* Length == 0 */
    shmf_cmp_add(f->t, 4096, 8192, 0); /* a loop bound of another op */
    for (unsigned seed = 0; seed < 400; seed++) {
        struct shmf_mut_ctx ctx = only(SHMF_MUT_CMP, f->t);
        struct shmf_rng r;
        *f->p = *f->q;
        shmf_rng_seed(&r, seed);
        assert_true(shmf_prog_apply(f->p, SHMF_MUT_CMP, 4096, &r, &ctx));
        /* one field of one op changed, to an operand of an entry (or one off) */
        unsigned diffs = 0;
        for (uint32_t i = 0; i < f->p->nops; i++)
            for (unsigned k = 0; k < SHMF_OP_MAX_ARGS; k++)
                diffs += f->p->ops[i].a[k] != f->q->ops[i].a[k];
        assert_int_equal(diffs, 1);
        assert_int_equal(f->p->ops[0].a[SHMF_ARG_ALLOC_LENGTH], 131072);
        exact += f->p->ops[1].a[SHMF_ARG_ALLOC_LENGTH] == 61440;
    }
    assert_true(exact > 100);
}

/* Through the page count and the SG capacity the provider computes first. */
static void test_cmp_transforms(void **state)
{
    struct fixture *f = *state;
    unsigned len_hits = 0, sg_hits = 0;

    parse(f->q, "alloc usage=4 length=5000 sgmode=1 sglen=40\n");
    shmf_cmp_reset(f->t, 1);
    shmf_cmp_add(f->t, 2, 63, 0); /* pages(5000) == 2 compared with a 63-page hole */
    shmf_cmp_add(f->t, 1, 3, 0);  /* capacity((40 - 16) / 24) == 1 compared with 3 */
    for (unsigned seed = 0; seed < 400; seed++) {
        struct shmf_mut_ctx ctx = only(SHMF_MUT_CMP, f->t);
        struct shmf_rng r;
        *f->p = *f->q;
        shmf_rng_seed(&r, seed);
        assert_true(shmf_prog_apply(f->p, SHMF_MUT_CMP, 4096, &r, &ctx));
        len_hits += f->p->ops[0].a[SHMF_ARG_ALLOC_LENGTH] == 63 * 4096;
        sg_hits += f->p->ops[0].a[SHMF_ARG_ALLOC_SGLEN] == 16 + 3 * 24 &&
                   f->p->ops[0].a[SHMF_ARG_ALLOC_SGMODE] == 1;
    }
    assert_true(len_hits > 20);
    assert_true(sg_hits > 20);
}

/* Without a table (or an empty one) cmp does not apply: another kind runs. */
static void test_cmp_needs_table(void **state)
{
    struct fixture *f = *state;
    struct shmf_rng r;

    parse(f->p, "alloc usage=4 length=4096\n");
    shmf_rng_seed(&r, 3);
    struct shmf_mut_ctx ctx = only(SHMF_MUT_CMP, NULL);
    assert_false(shmf_prog_apply(f->p, SHMF_MUT_CMP, 4096, &r, &ctx));
    assert_int_equal(shmf_prog_mutate_ctx(f->p, 4096, &r, &ctx), SHMF_MUT_HEADER);
    shmf_cmp_reset(f->t, 0);
    ctx = only(SHMF_MUT_CMP, f->t);
    assert_false(shmf_prog_apply(f->p, SHMF_MUT_CMP, 4096, &r, &ctx));
    /* operands no field holds: nothing to set */
    shmf_cmp_add(f->t, 12345, 678, 0);
    assert_false(shmf_prog_apply(f->p, SHMF_MUT_CMP, 4096, &r, &ctx));
}

/* === repeat, clone, fault, refill === */

static void test_repeat(void **state)
{
    struct fixture *f = *state;
    unsigned long_runs = 0;

    for (unsigned seed = 0; seed < 300; seed++) {
        struct shmf_mut_ctx ctx = only(SHMF_MUT_REPEAT, NULL);
        struct shmf_rng r;
        parse(f->p, "qalloc order=3 bufsize=2048\nalloc usage=8 length=4096\n");
        shmf_rng_seed(&r, seed);
        assert_true(shmf_prog_apply(f->p, SHMF_MUT_REPEAT, 1 << 16, &r, &ctx));
        assert_true(f->p->nops > 2);
        /* only copies of the two ops, at most 65 of each */
        assert_int_equal(count_code(f->p, SHMF_OP_ALLOC) + count_code(f->p, SHMF_OP_QALLOC),
                         f->p->nops);
        assert_true(count_code(f->p, SHMF_OP_ALLOC) <= 66);
        assert_true(count_code(f->p, SHMF_OP_QALLOC) <= 66);
        for (uint32_t i = 0; i < f->p->nops; i++)
            if (f->p->ops[i].code == SHMF_OP_ALLOC)
                assert_int_equal(f->p->ops[i].a[SHMF_ARG_ALLOC_USAGE], 8);
        long_runs += count_code(f->p, SHMF_OP_ALLOC) >= 9;
    }
    assert_true(long_runs > 30);
    /* no room: it does not apply */
    parse(f->p, "alloc usage=8 length=4096\n");
    {
        struct shmf_mut_ctx ctx = only(SHMF_MUT_REPEAT, NULL);
        struct shmf_rng r;
        shmf_rng_seed(&r, 1);
        size_t max = shmf_prog_encoded_size(f->p);
        assert_false(shmf_prog_apply(f->p, SHMF_MUT_REPEAT, max, &r, &ctx));
        assert_int_equal(f->p->nops, 1);
    }
}

static void test_clone(void **state)
{
    struct fixture *f = *state;
    unsigned copies = 0, shares = 0;

    for (unsigned seed = 0; seed < 300; seed++) {
        struct shmf_mut_ctx ctx = only(SHMF_MUT_CLONE, NULL);
        struct shmf_rng r;
        parse(f->q, "alloc usage=4 length=4096 vport=3 queue=1 node=1\nfree\n"
                    "alloc usage=7 length=8192\n");
        *f->p = *f->q;
        shmf_rng_seed(&r, seed);
        assert_true(shmf_prog_apply(f->p, SHMF_MUT_CLONE, 4096, &r, &ctx));
        if (f->p->nops > f->q->nops) {
            /* a later copy of one alloc: same identity, another amount */
            unsigned same_ident = 0;
            for (uint32_t i = 0; i < f->p->nops; i++) {
                const uint32_t *a = f->p->ops[i].a;
                if (f->p->ops[i].code != SHMF_OP_ALLOC)
                    continue;
                if ((a[SHMF_ARG_ALLOC_VPORT] == 3 && a[SHMF_ARG_ALLOC_QUEUE] == 1 &&
                     a[SHMF_ARG_ALLOC_NODE] == 1 && a[SHMF_ARG_ALLOC_USAGE] == 4) ||
                    a[SHMF_ARG_ALLOC_USAGE] == 7)
                    same_ident++;
            }
            assert_int_equal(same_ident, 3);
            copies++;
        } else {
            /* one identity field of one alloc set to the other's */
            unsigned diffs = 0;
            for (uint32_t i = 0; i < f->p->nops; i++)
                for (unsigned k = 0; k < SHMF_OP_MAX_ARGS; k++)
                    diffs += f->p->ops[i].a[k] != f->q->ops[i].a[k];
            assert_int_equal(f->p->nops, f->q->nops);
            assert_int_equal(diffs, 1);
            shares++;
        }
    }
    assert_true(copies > 50);
    assert_true(shares > 20);
}

static void test_fault(void **state)
{
    struct fixture *f = *state;

    for (unsigned seed = 0; seed < 300; seed++) {
        struct shmf_mut_ctx ctx = only(SHMF_MUT_FAULT, NULL);
        struct shmf_rng r;
        parse(f->p, "touch\nalloc node=1 usage=4 length=8192\nfree\nwork\n");
        shmf_rng_seed(&r, seed);
        assert_true(shmf_prog_apply(f->p, SHMF_MUT_FAULT, 4096, &r, &ctx));
        assert_int_equal(f->p->nops, 5);
        assert_int_equal(count_code(f->p, SHMF_OP_FAULT), 1);
        /* the first fault op is right before the alloc */
        for (uint32_t i = 0; i < f->p->nops; i++) {
            const struct shmf_op *op = &f->p->ops[i];
            if (op->code != SHMF_OP_FAULT)
                continue;
            assert_true(i + 1 < f->p->nops);
            assert_int_equal(f->p->ops[i + 1].code, SHMF_OP_ALLOC);
            if (op->a[SHMF_ARG_FAULT_MODE] == SHMF_FAULT_NTH)
                assert_in_range(op->a[SHMF_ARG_FAULT_N], 1, 16);
            else
                assert_int_equal(op->a[SHMF_ARG_FAULT_MODE], SHMF_FAULT_FIRST_PER_SITE);
            break;
        }
    }
}

static void test_refill(void **state)
{
    struct fixture *f = *state;
    unsigned whole = 0;

    for (unsigned seed = 0; seed < 300; seed++) {
        struct shmf_mut_ctx ctx = only(SHMF_MUT_REFILL, NULL);
        struct shmf_rng r;
        parse(f->q, "alloc usage=4 length=4096\nalloc usage=4 length=262144\n");
        *f->p = *f->q;
        shmf_rng_seed(&r, seed);
        assert_true(shmf_prog_apply(f->p, SHMF_MUT_REFILL, 4096, &r, &ctx));
        /* prefix, one free per alloc before the cut, then the range again */
        uint32_t i = 0;
        while (i < f->p->nops && f->p->ops[i].code == SHMF_OP_ALLOC)
            i++;
        uint32_t cut = i, frees = 0;
        while (i < f->p->nops && f->p->ops[i].code == SHMF_OP_FREE)
            i++, frees++;
        assert_int_equal(frees, count_code(f->q, SHMF_OP_ALLOC) - (2 - cut));
        for (; i < f->p->nops; i++)
            assert_int_equal(f->p->ops[i].code, SHMF_OP_ALLOC);
        whole += f->p->nops == 2 + 2 + 2 && cut == 2;
    }
    assert_true(whole > 10);
}

/* === The operand table === */

static void test_cmp_table(void **state)
{
    struct fixture *f = *state;
    struct shmf_cmp_table *t = f->t;
    unsigned n = 0;

    memset(t, 0, sizeof(*t));
    shmf_cmp_add(t, 1, 2, 0); /* before the first reset: ignored */
    assert_int_equal(t->count, 0);
    shmf_cmp_reset(t, 42);
    assert_int_equal(t->input_hash, 42);
    shmf_cmp_add(t, 5, 5, 0);              /* equal: nothing to learn */
    shmf_cmp_add(t, 0x100000000ull, 5, 0); /* wider than a field */
    assert_int_equal(t->count, 0);
    assert_int_equal(shmf_cmp_next(t, 0), SHMF_CMP_SLOTS);
    shmf_cmp_add(t, 61440, 65536, 1);
    shmf_cmp_add(t, 61440, 65536, 1); /* the same triple once */
    shmf_cmp_add(t, 61440, 65536, 2);
    assert_int_equal(t->count, 2);
    for (uint32_t k = shmf_cmp_next(t, 0); k < SHMF_CMP_SLOTS; k = shmf_cmp_next(t, k + 1)) {
        assert_int_equal(t->e[k].a, 61440);
        assert_int_equal(t->e[k].b, 65536);
        n++;
    }
    assert_int_equal(n, 2);
    shmf_cmp_reset(t, 43); /* a new input: every entry is stale */
    assert_int_equal(t->count, 0);
    assert_int_equal(shmf_cmp_next(t, 0), SHMF_CMP_SLOTS);
    /* generation wrap: old entries never come back */
    shmf_cmp_add(t, 7, 8, 0);
    t->gen = UINT32_MAX;
    shmf_cmp_reset(t, 44);
    assert_int_equal(t->gen, 1);
    assert_int_equal(shmf_cmp_next(t, 0), SHMF_CMP_SLOTS);
    /* a full table overwrites: count never passes the slots */
    for (uint32_t i = 0; i < 4 * SHMF_CMP_SLOTS; i++)
        shmf_cmp_add(t, i, i + 1, 0);
    assert_true(t->count <= SHMF_CMP_SLOTS);
    assert_int_equal(shmf_cmp_hash((const uint8_t *)"", 0), 0xcbf29ce484222325ull);
}

/* The AFL++ ring (the target writes, the custom mutator reads): the last
   SHMF_CMP_RING inputs' tables, found by input hash, newest first; a table
   without entries is never handed out. */
static void test_cmp_ring(void **state)
{
    struct shmf_cmp_ring *r = calloc(1, sizeof(*r));
    struct shmf_cmp_table *t;

    (void)state;
    assert_non_null(r);
    assert_null(shmf_cmp_ring_latest(r));
    assert_null(shmf_cmp_ring_find(r, 0)); /* a zeroed ring matches nothing */
    for (uint64_t h = 1; h <= SHMF_CMP_RING + 1; h++) {
        t = shmf_cmp_ring_begin(r, h);
        assert_int_equal(t->input_hash, h);
        shmf_cmp_add(t, (uint32_t)h, 1000, 0);
    }
    assert_null(shmf_cmp_ring_find(r, 1)); /* overwritten by input SHMF_CMP_RING + 1 */
    for (uint64_t h = 2; h <= SHMF_CMP_RING + 1; h++) {
        t = (struct shmf_cmp_table *)shmf_cmp_ring_find(r, h);
        assert_non_null(t);
        assert_int_equal(t->input_hash, h);
        assert_int_equal(t->count, 1);
        assert_int_equal(t->e[shmf_cmp_next(t, 0)].a, (uint32_t)h);
    }
    assert_int_equal(shmf_cmp_ring_latest(r)->input_hash, SHMF_CMP_RING + 1);
    /* An input that made no comparison: not found, and not the latest. */
    shmf_cmp_ring_begin(r, 99);
    assert_null(shmf_cmp_ring_find(r, 99));
    assert_int_equal(shmf_cmp_ring_latest(r)->input_hash, SHMF_CMP_RING + 1);
    /* The same input run again: its newest table wins. */
    t = shmf_cmp_ring_begin(r, 3);
    shmf_cmp_add(t, 77, 78, 5);
    assert_ptr_equal(shmf_cmp_ring_find(r, 3), t);
    assert_ptr_equal(shmf_cmp_ring_latest(r), t);
    /* A ring index out of range (the memory is shared) stays in bounds. */
    r->next = 0xFFFFFFFFu;
    t = shmf_cmp_ring_begin(r, 5);
    assert_true(t >= r->t && t < r->t + SHMF_CMP_RING);
    assert_true(r->next < SHMF_CMP_RING);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_kinds),
        cmocka_unit_test_setup_teardown(test_none_is_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmp_applied_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_guided_property, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmp_sets_compared_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmp_transforms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmp_needs_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmp_table, setup, teardown),
        cmocka_unit_test(test_cmp_ring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
