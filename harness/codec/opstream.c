/*
 * Op-stream v1 codec: metadata tables, binary decode/encode and the text form.
 * Every table here is generated from SHMF_OP_LIST in opstream.h.
 */
#include "opstream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* === Tables generated from SHMF_OP_LIST === */

#define NO_OP(U, l, ...)
#define NO_FIELD(O, U, l, w, fmt)
#define FMT_D false
#define FMT_X true

/* Global field indices. Each OP entry records the index of its first field as
 * FIRST_<OP> and steps the counter back so that the next field reuses that value. */
#define FIRST_MARK(U, l, ...) FIRST_##U, FIRST_BACK_##U = FIRST_##U - 1,
#define FIELD_INDEX(O, U, l, w, fmt) FIELD_##O##_##U,
enum { SHMF_OP_LIST(FIRST_MARK, FIELD_INDEX) FIELD_TOTAL };

#define OP_NAME(U, l, ...) #l,
static const char *const op_names[] = {SHMF_OP_LIST(OP_NAME, NO_FIELD)};

#define OP_FIRST(U, l, ...) FIRST_##U,
/* op_first[c] .. op_first[c + 1] is the range of op c's fields in field_table. */
static const uint8_t op_first[] = {SHMF_OP_LIST(OP_FIRST, NO_FIELD) FIELD_TOTAL};

#define FIELD_DESC(O, U, l, w, fmt) {#l, w, FMT_##fmt},
static const struct shmf_field_desc field_table[] = {SHMF_OP_LIST(NO_OP, FIELD_DESC)};

/* One byte-only struct per op mirrors its record, so sizeof gives the record size
 * at compile time. Each OP entry closes the previous struct and opens its own. */
#define REC_OPEN(U, l, ...)                                                                        \
    }                                                                                              \
    ;                                                                                              \
    struct rec_##U {                                                                               \
        uint8_t code;
#define REC_FIELD(O, U, l, w, fmt) uint8_t f_##U[w];
struct rec_start_ {
    uint8_t unused;
    SHMF_OP_LIST(REC_OPEN, REC_FIELD)
};

#define REC_MAX 32 /* no record is longer; checked below */
#define OP_SIZE(U, l, ...) sizeof(struct rec_##U),
static const uint8_t op_size[] = {SHMF_OP_LIST(OP_SIZE, NO_FIELD)};

#define FIELD_WIDTH(O, U, l, w, fmt) [SHMF_OP_##O][SHMF_ARG_##O##_##U] = w,
/* op_width[c][i] is the width of field i of op c; 0 past the op's last field. */
static const uint8_t op_width[SHMF_OP_COUNT][SHMF_OP_MAX_ARGS] = {SHMF_OP_LIST(NO_OP, FIELD_WIDTH)};

#define REC_CHECK(U, l, ...) _Static_assert(sizeof(struct rec_##U) <= REC_MAX, "record " #l);
SHMF_OP_LIST(REC_CHECK, NO_FIELD)

#define FIELD_CHECK(O, U, l, w, fmt)                                                               \
    _Static_assert(SHMF_ARG_##O##_##U < SHMF_OP_MAX_ARGS, "too many fields: " #O);                 \
    _Static_assert((w) == 1 || (w) == 2 || (w) == 4, "bad width: " #O "." #l);
SHMF_OP_LIST(NO_OP, FIELD_CHECK)

_Static_assert(SHMF_OP_COUNT <= 256, "opcodes must fit in a byte");
_Static_assert(sizeof(op_names) / sizeof(op_names[0]) == SHMF_OP_COUNT, "op names");
_Static_assert(sizeof(op_first) == SHMF_OP_COUNT + 1, "op field ranges");
_Static_assert(sizeof(field_table) / sizeof(field_table[0]) == FIELD_TOTAL, "fields");
_Static_assert(FIELD_TOTAL < 256, "field indices must fit in uint8_t");
_Static_assert(SHMF_HEADER_SIZE <= REC_MAX, "the header is read through a record window");

/* === Op and field metadata === */

const char *shmf_op_name(unsigned code)
{
    return code < SHMF_OP_COUNT ? op_names[code] : NULL;
}

static bool token_is(const char *tok, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(tok, name, len) == 0;
}

int shmf_op_from_name(const char *name, size_t len)
{
    for (unsigned c = 0; c < SHMF_OP_COUNT; c++)
        if (token_is(name, len, op_names[c]))
            return (int)c;
    return -EINVAL;
}

unsigned shmf_op_nargs(unsigned code)
{
    return code < SHMF_OP_COUNT ? (unsigned)(op_first[code + 1] - op_first[code]) : 0;
}

const struct shmf_field_desc *shmf_op_field(unsigned code, unsigned idx)
{
    if (idx >= shmf_op_nargs(code))
        return NULL;
    return &field_table[op_first[code] + idx];
}

int shmf_op_field_from_name(unsigned code, const char *name, size_t len)
{
    for (unsigned i = 0; i < shmf_op_nargs(code); i++)
        if (token_is(name, len, shmf_op_field(code, i)->name))
            return (int)i;
    return -EINVAL;
}

size_t shmf_op_encoded_size(unsigned code)
{
    return code < SHMF_OP_COUNT ? op_size[code] : 0;
}

uint32_t shmf_field_max(unsigned width)
{
    return width >= 4 ? UINT32_MAX : ((uint32_t)1 << (8 * width)) - 1;
}

/* === Programs === */

struct shmf_prog *shmf_prog_new(void)
{
    struct shmf_prog *p = malloc(sizeof(*p));

    if (p)
        shmf_prog_init(p);
    return p;
}

void shmf_prog_free(struct shmf_prog *p)
{
    free(p);
}

void shmf_prog_init(struct shmf_prog *p)
{
    memset(&p->hdr, 0, sizeof(p->hdr));
    p->hdr.version = SHMF_OPSTREAM_VERSION;
    p->nops = 0;
}

static bool header_equal(const struct shmf_header *a, const struct shmf_header *b)
{
    return a->version == b->version && a->fault_flags == b->fault_flags &&
           a->fail_nth == b->fail_nth && a->fail_every == b->fail_every &&
           a->reserved == b->reserved;
}

bool shmf_prog_equal(const struct shmf_prog *a, const struct shmf_prog *b)
{
    if (!header_equal(&a->hdr, &b->hdr) || a->nops != b->nops)
        return false;
    for (uint32_t i = 0; i < a->nops; i++) {
        if (a->ops[i].code != b->ops[i].code ||
            memcmp(a->ops[i].a, b->ops[i].a, sizeof(a->ops[i].a)) != 0)
            return false;
    }
    return true;
}

/* === Binary form === */

static uint32_t load_le(const uint8_t *d, unsigned width)
{
    switch (width) {
    case 1: return d[0];
    case 2: return (uint32_t)d[0] | (uint32_t)d[1] << 8;
    default:
        return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
    }
}

/* Point at `n` readable bytes of data[pos..): the input itself, or `tmp` holding
 * what is left followed by zeros. pre: n <= REC_MAX. */
static const uint8_t *window(const uint8_t *data, size_t size, size_t pos, size_t n,
                             uint8_t tmp[REC_MAX])
{
    size_t left = pos < size ? size - pos : 0;

    if (left >= n)
        return data + pos;
    memset(tmp, 0, REC_MAX);
    if (left)
        memcpy(tmp, data + pos, left);
    return tmp;
}

static void decode_op(const uint8_t *rec, struct shmf_op *op)
{
    unsigned code = rec[0] % SHMF_OP_COUNT;
    const uint8_t *d = rec + 1;

    memset(op, 0, sizeof(*op));
    op->code = (uint8_t)code;
    for (unsigned i = 0; i < SHMF_OP_MAX_ARGS && op_width[code][i]; i++) {
        op->a[i] = load_le(d, op_width[code][i]);
        d += op_width[code][i];
    }
}

void shmf_prog_decode(struct shmf_prog *p, const uint8_t *data, size_t size)
{
    uint8_t tmp[REC_MAX];
    const uint8_t *h = window(data, size, 0, SHMF_HEADER_SIZE, tmp);
    size_t pos = SHMF_HEADER_SIZE;

    p->hdr.version = h[0];
    p->hdr.fault_flags = h[1];
    p->hdr.fail_nth = (uint16_t)load_le(h + 2, 2);
    p->hdr.fail_every = (uint16_t)load_le(h + 4, 2);
    p->hdr.reserved = (uint16_t)load_le(h + 6, 2);
    p->nops = 0;
    while (pos < size && p->nops < SHMF_OPS_MAX) {
        size_t n = op_size[data[pos] % SHMF_OP_COUNT];
        decode_op(window(data, size, pos, n, tmp), &p->ops[p->nops++]);
        pos += n;
    }
}

static unsigned op_code(const struct shmf_op *op)
{
    return op->code % SHMF_OP_COUNT;
}

size_t shmf_prog_encoded_size(const struct shmf_prog *p)
{
    size_t n = SHMF_HEADER_SIZE;

    for (uint32_t i = 0; i < p->nops && i < SHMF_OPS_MAX; i++)
        n += shmf_op_encoded_size(op_code(&p->ops[i]));
    return n;
}

static uint8_t *write_le(uint8_t *out, uint32_t v, unsigned width)
{
    for (unsigned i = 0; i < width; i++)
        *out++ = (uint8_t)(v >> (8 * i));
    return out;
}

static uint8_t *encode_op(uint8_t *out, const struct shmf_op *op)
{
    unsigned code = op_code(op);

    *out++ = (uint8_t)code;
    for (unsigned i = 0; i < SHMF_OP_MAX_ARGS && op_width[code][i]; i++)
        out = write_le(out, op->a[i], op_width[code][i]);
    return out;
}

int shmf_prog_encode(const struct shmf_prog *p, uint8_t *buf, size_t size, size_t *len_out)
{
    size_t need = shmf_prog_encoded_size(p);
    uint8_t *out = buf;

    *len_out = need;
    if (size < need)
        return -ENOSPC;
    out = write_le(out, p->hdr.version, 1);
    out = write_le(out, p->hdr.fault_flags, 1);
    out = write_le(out, p->hdr.fail_nth, 2);
    out = write_le(out, p->hdr.fail_every, 2);
    out = write_le(out, p->hdr.reserved, 2);
    for (uint32_t i = 0; i < p->nops && i < SHMF_OPS_MAX; i++)
        out = encode_op(out, &p->ops[i]);
    return 0;
}

/* === Text output === */

/* Output sink for the printers: a FILE, or a buffer that counts what it needs. */
struct sink {
    FILE *f;
    char *buf;
    size_t size;
    size_t len;
    int err;
};

static void sink_printf(struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sink_printf(struct sink *s, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    if (s->f) {
        n = vfprintf(s->f, fmt, ap);
    } else {
        bool room = s->len < s->size;
        n = vsnprintf(room ? s->buf + s->len : NULL, room ? s->size - s->len : 0, fmt, ap);
    }
    va_end(ap);
    if (n < 0)
        s->err = -EIO;
    else
        s->len += (size_t)n;
}

static void print_op(struct sink *s, const struct shmf_op *op)
{
    unsigned code = op_code(op);

    sink_printf(s, "%s", op_names[code]);
    for (unsigned i = 0; i < shmf_op_nargs(code); i++) {
        const struct shmf_field_desc *fd = shmf_op_field(code, i);
        uint32_t v = op->a[i] & shmf_field_max(fd->width);
        sink_printf(s, fd->hex ? " %s=0x%x" : " %s=%u", fd->name, (unsigned)v);
    }
}

static void print_prog(struct sink *s, const struct shmf_prog *p, size_t marker)
{
    const struct shmf_header *h = &p->hdr;

    sink_printf(s, "shmfuzz-ops v=%u fault_flags=%u fail_nth=%u fail_every=%u", h->version,
                h->fault_flags, h->fail_nth, h->fail_every);
    if (h->reserved)
        sink_printf(s, " reserved=%u", h->reserved);
    sink_printf(s, "\n");
    for (uint32_t i = 0; i < p->nops && i < SHMF_OPS_MAX; i++) {
        if (marker != SHMF_MARKER_NONE)
            sink_printf(s, "%s", i == marker ? "> " : "  ");
        print_op(s, &p->ops[i]);
        sink_printf(s, "\n");
    }
}

int shmf_prog_print(FILE *f, const struct shmf_prog *p, size_t marker)
{
    struct sink s = {.f = f};

    print_prog(&s, p, marker);
    return s.err;
}

int shmf_prog_format(char *buf, size_t size, size_t *len_out, const struct shmf_prog *p,
                     size_t marker)
{
    struct sink s = {.buf = buf, .size = size};

    if (size > 0)
        buf[0] = '\0';
    print_prog(&s, p, marker);
    *len_out = s.len;
    if (s.err)
        return s.err;
    return s.len < size ? 0 : -ENOSPC;
}

size_t shmf_op_format(char *buf, size_t size, const struct shmf_op *op)
{
    struct sink s = {.buf = buf, .size = size};

    if (size > 0)
        buf[0] = '\0';
    print_op(&s, op);
    return s.len;
}

/* === Text input === */

/* A token is a slice of the input text. */
struct token {
    const char *s;
    size_t n;
};

struct parser {
    struct shmf_prog *p;
    unsigned line;
    bool seen_stmt; /* an op or header line came before */
    char *err;
    size_t errlen;
};

static int parse_error(struct parser *ps, int err, const char *what, struct token t)
{
    if (ps->errlen > 0)
        snprintf(ps->err, ps->errlen, "line %u: %s '%.*s'", ps->line, what,
                 (int)(t.n > 64 ? 64 : t.n), t.s);
    return err;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Take the next whitespace-separated token from *line; false at the end. */
static bool next_token(struct token *line, struct token *tok)
{
    while (line->n > 0 && is_space(*line->s))
        line->s++, line->n--;
    if (line->n == 0)
        return false;
    tok->s = line->s;
    while (line->n > 0 && !is_space(*line->s))
        line->s++, line->n--;
    tok->n = (size_t)(line->s - tok->s);
    return true;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20); /* only 'A'..'F' map into 'a'..'f' */
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parse decimal or 0x-hex into *v; false on an empty, malformed or > 32-bit value. */
static bool parse_u32(struct token t, uint32_t *v)
{
    unsigned base = 10;
    uint64_t acc = 0;

    if (t.n > 2 && t.s[0] == '0' && (t.s[1] == 'x' || t.s[1] == 'X'))
        base = 16, t.s += 2, t.n -= 2;
    if (t.n == 0)
        return false;
    for (size_t i = 0; i < t.n; i++) {
        int d = hex_digit(t.s[i]);
        if (d < 0 || (unsigned)d >= base)
            return false;
        acc = acc * base + (unsigned)d;
        if (acc > UINT32_MAX)
            return false;
    }
    *v = (uint32_t)acc;
    return true;
}

/* Split "key=value"; false when there is no '=' or the key is empty. */
static bool split_kv(struct token t, struct token *key, struct token *val)
{
    const char *eq = memchr(t.s, '=', t.n);

    if (!eq || eq == t.s)
        return false;
    *key = (struct token){t.s, (size_t)(eq - t.s)};
    *val = (struct token){eq + 1, t.n - (size_t)(eq + 1 - t.s)};
    return true;
}

/* Parse the value of a field of `width` bytes, reporting errors against `tok`. */
static int parse_value(struct parser *ps, struct token tok, struct token val, unsigned width,
                       uint32_t *v)
{
    if (!parse_u32(val, v))
        return parse_error(ps, -EINVAL, "bad number in", tok);
    if (*v > shmf_field_max(width)) {
        char what[48];
        snprintf(what, sizeof(what), "value too wide for a %u-byte field in", width);
        return parse_error(ps, -EINVAL, what, tok);
    }
    return 0;
}

static const struct {
    const char *name;
    unsigned width;
} header_fields[] = {
    {"v", 1}, {"fault_flags", 1}, {"fail_nth", 2}, {"fail_every", 2}, {"reserved", 2},
};

static void set_header_field(struct shmf_header *h, unsigned idx, uint32_t v)
{
    switch (idx) {
    case 0: h->version = (uint8_t)v; break;
    case 1: h->fault_flags = (uint8_t)v; break;
    case 2: h->fail_nth = (uint16_t)v; break;
    case 3: h->fail_every = (uint16_t)v; break;
    default: h->reserved = (uint16_t)v; break;
    }
}

static int header_field_index(struct token key)
{
    for (unsigned i = 0; i < sizeof(header_fields) / sizeof(header_fields[0]); i++)
        if (token_is(key.s, key.n, header_fields[i].name))
            return (int)i;
    return -1;
}

static int parse_header(struct parser *ps, struct token first, struct token rest)
{
    struct token tok, key, val;
    uint32_t v;
    int idx, err;

    if (ps->seen_stmt)
        return parse_error(ps, -EINVAL, "header must be the first line, got", first);
    while (next_token(&rest, &tok)) {
        if (!split_kv(tok, &key, &val))
            return parse_error(ps, -EINVAL, "expected field=value, got", tok);
        idx = header_field_index(key);
        if (idx < 0)
            return parse_error(ps, -EINVAL, "unknown header field", tok);
        err = parse_value(ps, tok, val, header_fields[idx].width, &v);
        if (err)
            return err;
        set_header_field(&ps->p->hdr, (unsigned)idx, v);
    }
    return 0;
}

static int parse_fields(struct parser *ps, struct shmf_op *op, struct token rest)
{
    struct token tok, key, val;
    uint32_t seen = 0;
    int idx, err;

    while (next_token(&rest, &tok)) {
        if (!split_kv(tok, &key, &val))
            return parse_error(ps, -EINVAL, "expected field=value, got", tok);
        idx = shmf_op_field_from_name(op->code, key.s, key.n);
        if (idx < 0)
            return parse_error(ps, -EINVAL, "unknown field", tok);
        if (seen & (1u << idx))
            return parse_error(ps, -EINVAL, "field given twice", tok);
        seen |= 1u << idx;
        err = parse_value(ps, tok, val, shmf_op_field(op->code, (unsigned)idx)->width, &op->a[idx]);
        if (err)
            return err;
    }
    return 0;
}

static int parse_op(struct parser *ps, struct token name, struct token rest)
{
    int code = shmf_op_from_name(name.s, name.n);
    struct shmf_op *op;

    if (code < 0)
        return parse_error(ps, -EINVAL, "unknown op", name);
    if (ps->p->nops >= SHMF_OPS_MAX)
        return parse_error(ps, -E2BIG, "too many ops (max 4096) at", name);
    op = &ps->p->ops[ps->p->nops++];
    memset(op, 0, sizeof(*op));
    op->code = (uint8_t)code;
    return parse_fields(ps, op, rest);
}

/* Parse one line with comments already removed. */
static int parse_line(struct parser *ps, struct token line)
{
    struct token first;
    int err;

    while (line.n > 0 && is_space(*line.s))
        line.s++, line.n--;
    if (line.n > 0 && line.s[0] == '>') /* marker prefix of printed traces */
        line.s++, line.n--;
    if (!next_token(&line, &first))
        return 0;
    if (token_is(first.s, first.n, "shmfuzz-ops"))
        err = parse_header(ps, first, line);
    else
        err = parse_op(ps, first, line);
    ps->seen_stmt = true;
    return err;
}

int shmf_prog_parse(struct shmf_prog *p, const char *text, size_t len, char *err, size_t errlen)
{
    struct parser ps = {.p = p, .line = 0, .err = err, .errlen = errlen};
    const char *end;

    shmf_prog_init(p);
    if (errlen > 0)
        err[0] = '\0';
    if (len == 0)
        return 0;
    end = text + len;
    while (text < end) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        const char *eol = nl ? nl : end;
        const char *hash = memchr(text, '#', (size_t)(eol - text));
        struct token line = {text, (size_t)((hash ? hash : eol) - text)};
        int rc;

        ps.line++;
        rc = parse_line(&ps, line);
        if (rc)
            return rc;
        text = nl ? nl + 1 : end;
    }
    return 0;
}
