/*
 * Unit and property tests for the op-stream codec and the record-level mutators.
 * Everything is seeded: a failure reproduces with the same binary.
 *
 * Define SHMF_TEST_AFL and link harness/fuzz/afl_mutator.c to also test the AFL++
 * custom-mutator hooks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mutator.h"
#include "opstream.h"

#define PROPERTY_RUNS 2000
#define BUF_MAX (SHMF_HEADER_SIZE + SHMF_OPS_MAX * 28 + 64)

/* Per-test scratch: programs and buffers too large for the stack. */
struct fixture {
    struct shmf_prog *p, *q, *r;
    uint8_t *bin, *bin2, *bin3, *bin4, *canon;
    char *text;
    size_t text_size;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->p = shmf_prog_new();
    f->q = shmf_prog_new();
    f->r = shmf_prog_new();
    f->bin = malloc(BUF_MAX);
    f->bin2 = malloc(BUF_MAX);
    f->bin3 = malloc(BUF_MAX);
    f->bin4 = malloc(BUF_MAX);
    f->canon = malloc(BUF_MAX);
    f->text_size = 1 << 20;
    f->text = malloc(f->text_size);
    assert_true(f->p && f->q && f->r && f->bin && f->bin2 && f->bin3 && f->bin4 && f->canon &&
                f->text);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    shmf_prog_free(f->p);
    shmf_prog_free(f->q);
    shmf_prog_free(f->r);
    free(f->bin);
    free(f->bin2);
    free(f->bin3);
    free(f->bin4);
    free(f->canon);
    free(f->text);
    free(f);
    return 0;
}

/* The tests' own generator (xorshift64*), independent of the mutator's. */
static uint64_t test_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

/* Random bytes, sometimes from a small alphabet of boundary values. */
static size_t random_input(uint64_t *s, uint8_t *buf, size_t max)
{
    static const uint8_t alphabet[] = {0, 1, 2, 16, 17, 18, 0x40, 0x44, 0x80, 0xFF};
    size_t len = (size_t)(test_rand(s) % (test_rand(s) % 4 == 0 ? max : 300));
    bool small = test_rand(s) % 3 == 0;

    for (size_t i = 0; i < len; i++) {
        uint64_t x = test_rand(s);
        buf[i] = small ? alphabet[x % sizeof(alphabet)] : (uint8_t)x;
    }
    return len;
}

/* Reference canonicaliser written from the format description, not the codec:
 * zero-pad the header, reduce opcodes, zero-pad the last record, stop at the max. */
static size_t canonicalise(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t ip = 0, op = 0;

    for (; op < SHMF_HEADER_SIZE; op++, ip++)
        out[op] = ip < n ? in[ip] : 0;
    for (unsigned ops = 0; ip < n && ops < SHMF_OPS_MAX; ops++) {
        unsigned code = in[ip] % SHMF_OP_COUNT;
        size_t rec = shmf_op_encoded_size(code);
        out[op++] = (uint8_t)code;
        for (size_t k = 1; k < rec; k++)
            out[op++] = ip + k < n ? in[ip + k] : 0;
        ip += rec;
    }
    return op;
}

static void encode_ok(const struct shmf_prog *p, uint8_t *buf, size_t *len)
{
    assert_int_equal(shmf_prog_encode(p, buf, BUF_MAX, len), 0);
    assert_int_equal(*len, shmf_prog_encoded_size(p));
}

/* === Metadata === */

static void test_tables(void **state)
{
    (void)state;
    assert_int_equal(SHMF_OP_COUNT, 17);
    assert_string_equal(shmf_op_name(SHMF_OP_RELOAD), "reload");
    assert_string_equal(shmf_op_name(SHMF_OP_CPU), "cpu");
    assert_null(shmf_op_name(SHMF_OP_COUNT));
    for (unsigned c = 0; c < SHMF_OP_COUNT; c++) {
        const char *name = shmf_op_name(c);
        assert_int_equal(shmf_op_from_name(name, strlen(name)), (int)c);
        assert_true(shmf_op_nargs(c) <= SHMF_OP_MAX_ARGS);
    }
    assert_int_equal(shmf_op_from_name("allocx", 6), -EINVAL);
    assert_int_equal(shmf_op_nargs(SHMF_OP_ALLOC), 11);
    assert_int_equal(shmf_op_encoded_size(SHMF_OP_ALLOC), 28);
    assert_int_equal(shmf_op_encoded_size(SHMF_OP_RELOAD), 1);
    assert_int_equal(shmf_op_encoded_size(SHMF_OP_TOUCH), 8);
    assert_int_equal(shmf_op_encoded_size(SHMF_OP_RX), 5);
    assert_int_equal(shmf_op_encoded_size(SHMF_OP_COUNT), 0);
    assert_int_equal(SHMF_ARG_ALLOC_TYPE, 0);
    assert_int_equal(SHMF_ARG_ALLOC_SGLEN, 10);
    assert_int_equal(SHMF_ARG_TOUCH_LEN, 3);
    assert_int_equal(SHMF_ARG_FAULT_N, 1);
    assert_string_equal(shmf_op_field(SHMF_OP_ALLOC, SHMF_ARG_ALLOC_LENGTH)->name, "length");
    assert_int_equal(shmf_op_field(SHMF_OP_ALLOC, SHMF_ARG_ALLOC_SIZE)->width, 2);
    assert_null(shmf_op_field(SHMF_OP_LOWER, 0));
    assert_int_equal(shmf_op_field_from_name(SHMF_OP_RX, "pktlen", 6), SHMF_ARG_RX_PKTLEN);
    assert_int_equal(shmf_op_field_from_name(SHMF_OP_RX, "slot", 4), -EINVAL);
}

/* === Binary form === */

static void test_empty_input(void **state)
{
    struct fixture *f = *state;
    size_t len;

    shmf_prog_decode(f->p, NULL, 0);
    assert_int_equal(f->p->hdr.version, 0);
    assert_int_equal(f->p->nops, 0);
    encode_ok(f->p, f->bin, &len);
    assert_int_equal(len, SHMF_HEADER_SIZE);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(f->bin[i], 0);
}

static void test_header_kept(void **state)
{
    struct fixture *f = *state;
    const uint8_t in[] = {7, 0xFE, 0x34, 0x12, 0x02, 0x01, 0xCD, 0xAB};
    size_t len;

    shmf_prog_decode(f->p, in, sizeof(in));
    assert_int_equal(f->p->hdr.version, 7);
    assert_int_equal(f->p->hdr.fault_flags, 0xFE);
    assert_int_equal(f->p->hdr.fail_nth, 0x1234);
    assert_int_equal(f->p->hdr.fail_every, 0x0102);
    assert_int_equal(f->p->hdr.reserved, 0xABCD);
    encode_ok(f->p, f->bin, &len);
    assert_memory_equal(f->bin, in, sizeof(in));
    shmf_prog_decode(f->p, in, 3); /* truncated header */
    assert_int_equal(f->p->hdr.fail_nth, 0x34);
    assert_int_equal(f->p->hdr.reserved, 0);
}

static void test_truncated_record(void **state)
{
    struct fixture *f = *state;
    const uint8_t in[] = {1, 0, 0, 0, 0, 0, 0, 0, SHMF_OP_ALLOC, 0x80, 2, 0x44};
    size_t len;

    shmf_prog_decode(f->p, in, sizeof(in));
    assert_int_equal(f->p->nops, 1);
    assert_int_equal(f->p->ops[0].code, SHMF_OP_ALLOC);
    assert_int_equal(f->p->ops[0].a[SHMF_ARG_ALLOC_TYPE], 0x80);
    assert_int_equal(f->p->ops[0].a[SHMF_ARG_ALLOC_REV], 2);
    assert_int_equal(f->p->ops[0].a[SHMF_ARG_ALLOC_SIZE], 0x44);
    assert_int_equal(f->p->ops[0].a[SHMF_ARG_ALLOC_SGLEN], 0);
    encode_ok(f->p, f->bin, &len);
    assert_int_equal(len, SHMF_HEADER_SIZE + 28);
    assert_memory_equal(f->bin, in, sizeof(in));
    for (size_t i = sizeof(in); i < len; i++)
        assert_int_equal(f->bin[i], 0);
}

static void test_opcode_wrap(void **state)
{
    struct fixture *f = *state;
    const uint8_t in[] = {1, 0, 0, 0, 0, 0, 0, 0, 17, 18 + SHMF_OP_FREE - 1, 9, 255};
    size_t len;

    shmf_prog_decode(f->p, in, sizeof(in));
    assert_int_equal(f->p->nops, 3);
    assert_int_equal(f->p->ops[0].code, SHMF_OP_RELOAD);
    assert_int_equal(f->p->ops[1].code, SHMF_OP_FREE);
    assert_int_equal(f->p->ops[1].a[SHMF_ARG_FREE_SLOT], 9);
    assert_int_equal(f->p->ops[2].code, 255 % SHMF_OP_COUNT);
    encode_ok(f->p, f->bin, &len);
    assert_int_equal(f->bin[8], SHMF_OP_RELOAD);
    assert_int_equal(f->bin[9], SHMF_OP_FREE);
}

static void test_max_ops(void **state)
{
    struct fixture *f = *state;
    size_t n = SHMF_HEADER_SIZE + SHMF_OPS_MAX + 100, len;

    memset(f->bin2, SHMF_OP_WORK, n);
    shmf_prog_decode(f->p, f->bin2, n);
    assert_int_equal(f->p->nops, SHMF_OPS_MAX);
    encode_ok(f->p, f->bin, &len);
    assert_int_equal(len, SHMF_HEADER_SIZE + SHMF_OPS_MAX);
    assert_int_equal(shmf_prog_encode(f->p, f->bin, len - 1, &len), -ENOSPC);
}

/* decode -> encode -> decode is the identity, and encode(decode(b)) is canonical b. */
static void test_binary_property(void **state)
{
    struct fixture *f = *state;
    uint64_t s = 0x5EED0001;

    for (int run = 0; run < PROPERTY_RUNS; run++) {
        size_t n = random_input(&s, f->bin2, 20000), len, clen;
        shmf_prog_decode(f->p, f->bin2, n);
        encode_ok(f->p, f->bin, &len);
        clen = canonicalise(f->bin2, n, f->canon);
        assert_int_equal(len, clen);
        assert_memory_equal(f->bin, f->canon, len);
        shmf_prog_decode(f->q, f->bin, len);
        assert_true(shmf_prog_equal(f->p, f->q));
    }
}

/* === Text form === */

static void parse_ok(struct shmf_prog *p, const char *text)
{
    char err[256];
    int rc = shmf_prog_parse(p, text, strlen(text), err, sizeof(err));

    if (rc)
        fail_msg("parse failed: %s", err);
}

static void test_text_property(void **state)
{
    struct fixture *f = *state;
    uint64_t s = 0x5EED0002;
    size_t len;

    for (int run = 0; run < PROPERTY_RUNS; run++) {
        size_t n = random_input(&s, f->bin2, 3000);
        size_t marker = run % 3 ? SHMF_MARKER_NONE : (size_t)(test_rand(&s) % 50);
        shmf_prog_decode(f->p, f->bin2, n);
        assert_int_equal(shmf_prog_format(f->text, f->text_size, &len, f->p, marker), 0);
        assert_int_equal(strlen(f->text), len);
        parse_ok(f->q, f->text);
        assert_true(shmf_prog_equal(f->p, f->q));
    }
}

static void test_text_features(void **state)
{
    struct fixture *f = *state;
    const char *text = "# a comment\r\n"
                       "\n"
                       "shmfuzz-ops fail_nth=3 v=1   # trailing comment\n"
                       "  alloc length=0x1000 type=0x80\trev=2\n"
                       "> free\n"
                       "touch write=1 len=255 offset=4294967295\n"
                       "fault mode=1 n=65535";

    parse_ok(f->p, text);
    assert_int_equal(f->p->hdr.version, 1);
    assert_int_equal(f->p->hdr.fail_nth, 3);
    assert_int_equal(f->p->nops, 4);
    assert_int_equal(f->p->ops[0].a[SHMF_ARG_ALLOC_LENGTH], 4096);
    assert_int_equal(f->p->ops[0].a[SHMF_ARG_ALLOC_TYPE], 0x80);
    assert_int_equal(f->p->ops[0].a[SHMF_ARG_ALLOC_REV], 2);
    assert_int_equal(f->p->ops[0].a[SHMF_ARG_ALLOC_QUEUE], 0);
    assert_int_equal(f->p->ops[1].code, SHMF_OP_FREE);
    assert_int_equal(f->p->ops[2].a[SHMF_ARG_TOUCH_OFFSET], 0xFFFFFFFFu);
    assert_int_equal(f->p->ops[3].a[SHMF_ARG_FAULT_N], 65535);
    parse_ok(f->q, "reload\n");
    assert_int_equal(f->q->hdr.version, SHMF_OPSTREAM_VERSION);
    parse_ok(f->q, "");
    assert_int_equal(f->q->nops, 0);
}

static void test_text_output(void **state)
{
    struct fixture *f = *state;
    char small[16];
    size_t len;

    parse_ok(f->p, "raise level=2\nlower\n");
    assert_int_equal(shmf_prog_format(f->text, f->text_size, &len, f->p, 1), 0);
    assert_string_equal(f->text, "shmfuzz-ops v=1 fault_flags=0 fail_nth=0 fail_every=0\n"
                                 "  raise level=2\n"
                                 "> lower\n");
    assert_int_equal(shmf_prog_format(small, sizeof(small), &len, f->p, 1), -ENOSPC);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_int_equal(shmf_op_format(small, sizeof(small), &f->p->ops[0]), 13);
    assert_string_equal(small, "raise level=2");
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    assert_int_equal(shmf_prog_print(tmp, f->p, SHMF_MARKER_NONE), 0);
    rewind(tmp);
    len = fread(f->text, 1, f->text_size - 1, tmp);
    f->text[len] = '\0';
    fclose(tmp);
    assert_string_equal(f->text, "shmfuzz-ops v=1 fault_flags=0 fail_nth=0 fail_every=0\n"
                                 "raise level=2\n"
                                 "lower\n");
}

/* Each bad text must give -EINVAL and a message naming the line and the token. */
static void test_parse_errors(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *text, *line, *token;
    } cases[] = {
        {"reload\n\nbogus x=1\n", "line 3", "'bogus'"},
        {"free slot=1 colour=2\n", "line 1", "'colour=2'"},
        {"free\nfree slot=12a\n", "line 2", "'slot=12a'"},
        {"free slot=-1\n", "line 1", "'slot=-1'"},
        {"free slot=256\n", "line 1", "'slot=256'"},
        {"qalloc bufsize=0x10000\n", "line 1", "'bufsize=0x10000'"},
        {"touch offset=4294967296\n", "line 1", "'offset=4294967296'"},
        {"free slot=\n", "line 1", "'slot='"},
        {"free slot\n", "line 1", "'slot'"},
        {"free slot=1 slot=2\n", "line 1", "'slot=2'"},
        {"free 0x\n", "line 1", "'0x'"},
        {"reload\nshmfuzz-ops v=1\n", "line 2", "'shmfuzz-ops'"},
        {"shmfuzz-ops v=256\n", "line 1", "'v=256'"},
        {"shmfuzz-ops bogus=1\n", "line 1", "'bogus=1'"},
    };
    char err[128];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = shmf_prog_parse(f->p, cases[i].text, strlen(cases[i].text), err, sizeof(err));
        assert_int_equal(rc, -EINVAL);
        if (!strstr(err, cases[i].line) || !strstr(err, cases[i].token))
            fail_msg("case %zu: message '%s' lacks %s / %s", i, err, cases[i].line, cases[i].token);
    }
    assert_int_equal(shmf_prog_parse(f->p, "x\n", 2, NULL, 0), -EINVAL);
}

static void test_parse_too_many(void **state)
{
    struct fixture *f = *state;
    char err[128];
    size_t n = 0;

    for (int i = 0; i <= SHMF_OPS_MAX; i++)
        n += (size_t)snprintf(f->text + n, f->text_size - n, "work\n");
    assert_int_equal(shmf_prog_parse(f->p, f->text, n, err, sizeof(err)), -E2BIG);
    assert_non_null(strstr(err, "line 4097"));
}

/* === Mutators === */

static bool is_canonical(struct fixture *f, const uint8_t *buf, size_t n)
{
    size_t len;

    shmf_prog_decode(f->r, buf, n);
    encode_ok(f->r, f->canon, &len);
    return len == n && memcmp(f->canon, buf, n) == 0;
}

static void test_mutate_property(void **state)
{
    struct fixture *f = *state;
    uint64_t s = 0x5EED0003;
    unsigned runs = 0, changed = 0;

    for (int run = 0; run < PROPERTY_RUNS; run++) {
        size_t n = random_input(&s, f->bin, 2000);
        size_t max = n + (size_t)(test_rand(&s) % 64);
        unsigned seed = (unsigned)test_rand(&s);
        size_t m1, m2;
        if (run % 10 == 0) /* tiny limits, even below the header size */
            max = (size_t)(test_rand(&s) % 12), n = n < max ? n : max;
        memcpy(f->bin2, f->bin, n);
        shmf_prog_decode(f->p, f->bin, n);
        m1 = shmf_mutate(f->bin, n, max, seed);
        m2 = shmf_mutate(f->bin2, n, max, seed);
        assert_true(m1 <= max);
        assert_int_equal(m1, m2);
        assert_memory_equal(f->bin, f->bin2, m1);
        if (m1 < SHMF_HEADER_SIZE || shmf_prog_encoded_size(f->p) > max)
            continue;
        assert_true(is_canonical(f, f->bin, m1));
        shmf_prog_decode(f->q, f->bin, m1);
        runs++;
        changed += !shmf_prog_equal(f->p, f->q);
    }
    assert_true(runs > PROPERTY_RUNS / 2);
    assert_true(changed > runs * 95 / 100);
}

static void test_mutate_changes(void **state)
{
    struct fixture *f = *state;
    struct shmf_rng r;
    unsigned same = 0, kinds[SHMF_MUT_COUNT] = {0};

    shmf_rng_seed(&r, 42);
    shmf_prog_init(f->p);
    for (int run = 0; run < PROPERTY_RUNS; run++) {
        *f->q = *f->p;
        kinds[shmf_prog_mutate(f->p, 4096, &r)]++;
        assert_true(shmf_prog_encoded_size(f->p) <= 4096);
        same += shmf_prog_equal(f->p, f->q);
    }
    for (unsigned m = 0; m < SHMF_MUT_COUNT; m++)
        /* crossover needs two inputs, cmp an operand table (test_mutator.c) */
        if (m != SHMF_MUT_CROSSOVER && m != SHMF_MUT_CMP && kinds[m] == 0)
            fail_msg("mutation %s never applied", shmf_mutation_name(m));
    assert_true(same < PROPERTY_RUNS / 20); /* swaps of equal ops may be no-ops */
}

static bool op_in(const struct shmf_op *op, const struct shmf_prog *p)
{
    for (uint32_t i = 0; i < p->nops; i++)
        if (p->ops[i].code == op->code && memcmp(p->ops[i].a, op->a, sizeof(op->a)) == 0)
            return true;
    return false;
}

static void test_crossover_property(void **state)
{
    struct fixture *f = *state;
    uint64_t s = 0x5EED0004;
    uint8_t *d2 = f->bin3, *out2 = f->bin4;

    for (int run = 0; run < PROPERTY_RUNS / 4; run++) {
        size_t n1 = random_input(&s, f->bin, 3000), n2 = random_input(&s, d2, 3000);
        size_t max = 1 + (size_t)(test_rand(&s) % 4000);
        unsigned seed = (unsigned)test_rand(&s);
        size_t m1 = shmf_crossover(f->bin, n1, d2, n2, f->bin2, max, seed);
        size_t m2 = shmf_crossover(f->bin, n1, d2, n2, out2, max, seed);
        assert_true(m1 <= max);
        assert_int_equal(m1, m2);
        assert_memory_equal(f->bin2, out2, m1);
        if (m1 < SHMF_HEADER_SIZE)
            continue;
        assert_true(is_canonical(f, f->bin2, m1));
        shmf_prog_decode(f->p, f->bin, n1);
        shmf_prog_decode(f->q, d2, n2);
        for (uint32_t i = 0; i < f->r->nops; i++)
            assert_true(op_in(&f->r->ops[i], f->p) || op_in(&f->r->ops[i], f->q));
    }
}

#ifdef SHMF_TEST_AFL
typedef struct afl_state afl_state_t;
void *afl_custom_init(afl_state_t *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
const char *afl_custom_describe(void *data, size_t max_description_len);
int32_t afl_custom_init_trim(void *data, uint8_t *buf, size_t buf_size);
size_t afl_custom_trim(void *data, uint8_t **out_buf);
int32_t afl_custom_post_trim(void *data, uint8_t success);
void afl_custom_deinit(void *data);

/* Trimming keeps whole records and never grows; accepting every step empties it. */
static void test_afl_hooks(void **state)
{
    struct fixture *f = *state;
    void *m = afl_custom_init(NULL, 7);
    uint64_t s = 0x5EED0005;
    uint8_t *out;

    assert_non_null(m);
    for (int run = 0; run < 200; run++) {
        size_t n = random_input(&s, f->bin, 3000), a = random_input(&s, f->bin2, 300);
        size_t len = afl_custom_fuzz(m, f->bin, n, &out, f->bin2, a, 4000);
        assert_true(len <= 4000 && len > 0);
        assert_true(is_canonical(f, out, len));
        assert_non_null(strstr(afl_custom_describe(m, 64), "shmf-"));
        int32_t steps = afl_custom_init_trim(m, f->bin, n), step = 0;
        while (step < steps) {
            len = afl_custom_trim(m, &out);
            assert_true(len <= n);
            step = afl_custom_post_trim(m, run % 2);
        }
        if (run % 2 && steps > 0) {
            len = afl_custom_trim(m, &out);
            assert_int_equal(len, SHMF_HEADER_SIZE); /* only the header is left */
        }
    }
    afl_custom_deinit(m);
}

/* On one entry, about half the calls mutate the previous output again ("again"
   in the description), never more than 8 in a row; a new entry each call never
   does. */
static void test_afl_again(void **state)
{
    struct fixture *f = *state;
    void *m = afl_custom_init(NULL, 11);
    uint64_t s = 0x5EED0006;
    unsigned again = 0, row = 0, most = 0;
    size_t n = random_input(&s, f->bin, 2000);
    uint8_t *out;

    assert_non_null(m);
    for (int run = 0; run < 400; run++) {
        assert_true(afl_custom_fuzz(m, f->bin, n, &out, NULL, 0, 4000) > 0);
        if (strncmp(afl_custom_describe(m, 64), "shmf-again", 10) == 0) {
            again++;
            row++;
            most = row > most ? row : most;
        } else {
            row = 0;
        }
    }
    assert_true(again > 100 && again < 300);
    assert_true(most >= 2 && most <= 8);
    for (int run = 0; run < 200; run++) {
        n = random_input(&s, f->bin, 2000) + 8;
        f->bin[n - 1] = (uint8_t)run; /* every input differs */
        afl_custom_fuzz(m, f->bin, n, &out, NULL, 0, 4000);
        assert_null(strstr(afl_custom_describe(m, 64), "again"));
    }
    afl_custom_deinit(m);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),
        cmocka_unit_test_setup_teardown(test_empty_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_opcode_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_property, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_property, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_too_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutate_property, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutate_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crossover_property, setup, teardown),
#ifdef SHMF_TEST_AFL
        cmocka_unit_test_setup_teardown(test_afl_hooks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_afl_again, setup, teardown),
#endif
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
