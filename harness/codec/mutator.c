/*
 * Record-level mutators over the op-stream codec. Each function is pure: its result
 * depends only on its arguments and the generator state passed in.
 */
#include "mutator.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp.h"

/* === Random numbers === */

void shmf_rng_seed(struct shmf_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t shmf_rng_next(struct shmf_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t shmf_rng_below(struct shmf_rng *r, uint64_t n)
{
    return n ? shmf_rng_next(r) % n : 0;
}

/* True with probability 1/n. */
static bool one_in(struct shmf_rng *r, uint64_t n)
{
    return shmf_rng_below(r, n) == 0;
}

/* === Mutation kinds === */

#define MUT_NAME(U, l, w) #l,
#define MUT_WEIGHT(U, l, w) w,
static const char *const mutation_names[] = {SHMF_MUTATION_LIST(MUT_NAME)};
static const unsigned mutation_weights[] = {SHMF_MUTATION_LIST(MUT_WEIGHT)};
_Static_assert(sizeof(mutation_names) / sizeof(mutation_names[0]) == SHMF_MUT_COUNT,
               "mutation names");

const char *shmf_mutation_name(enum shmf_mutation m)
{
    return (unsigned)m < SHMF_MUT_COUNT ? mutation_names[m] : NULL;
}

/* A kind by weight among those in `kinds`.  The guided kinds come last in the
   list, so with them all off the picks are those of the mutator before them. */
static enum shmf_mutation pick_mutation(struct shmf_rng *r, uint32_t kinds)
{
    unsigned total = 0, x;

    for (unsigned m = 0; m < SHMF_MUT_COUNT; m++)
        total += kinds & (1u << m) ? mutation_weights[m] : 0;
    x = (unsigned)shmf_rng_below(r, total);
    for (unsigned m = 0; m < SHMF_MUT_COUNT; m++) {
        unsigned w = kinds & (1u << m) ? mutation_weights[m] : 0;
        if (x < w)
            return (enum shmf_mutation)m;
        x -= w;
    }
    return SHMF_MUT_TWEAK;
}

/* Measured one by one on the deep tier (docs/planted-bugs.md, "Guidance"). */
uint32_t shmf_mutations_default(void)
{
    return SHMF_MUT_BASE_MASK | SHMF_MUT_GUIDED_MASK;
}

int shmf_mutations_parse(const char *spec, uint32_t *kinds, char *err, size_t errlen)
{
    uint32_t k = shmf_mutations_default();
    const char *p = spec ? spec : "";

    while (*p) {
        /* A token runs to the next ',' or ' ', or to the next '+' / '-' (so
           "none+cmp" is "none" then "+cmp"). */
        size_t n = 1 + strcspn(p + 1, ", +-");
        char tok[32];
        bool del = false;
        unsigned m;

        if (*p == ',' || *p == ' ') {
            p++;
            continue;
        }
        if (n >= sizeof(tok)) {
            snprintf(err, errlen, "unknown mutation '%.*s'", (int)n, p);
            return -1;
        }
        memcpy(tok, p, n);
        tok[n] = '\0';
        p += n;
        if (!strcmp(tok, "none")) {
            k = SHMF_MUT_BASE_MASK;
            continue;
        }
        if (!strcmp(tok, "all")) {
            k = SHMF_MUT_BASE_MASK | SHMF_MUT_GUIDED_MASK;
            continue;
        }
        if (!strcmp(tok, "default")) {
            k = shmf_mutations_default();
            continue;
        }
        char *name = tok;
        if (*name == '+' || *name == '-')
            del = *name++ == '-';
        for (m = 0; m < SHMF_MUT_COUNT; m++)
            if (!strcmp(name, mutation_names[m]))
                break;
        if (m == SHMF_MUT_COUNT) {
            snprintf(err, errlen,
                     "unknown mutation '%s' (none, all, default, or a kind: "
                     "insert ... refill)",
                     tok);
            return -1;
        }
        k = del ? k & ~(1u << m) : k | (1u << m);
    }
    *kinds = k;
    return 0;
}

/* === Values === */

/* Boundary values for sizes, lengths, offsets and flags; masked to the field width. */
static const uint32_t interesting[] = {
    0,    1,    2,    3,     4,     7,          8,          16,         32,         63,   64,
    0x44, 127,  128,  255,   256,   512,        1024,       1500,       1514,       2048, 4095,
    4096, 4097, 8192, 65535, 65536, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF,
};

static uint32_t interesting_value(struct shmf_rng *r, unsigned width)
{
    uint32_t v;

    if (one_in(r, 4)) {
        v = (uint32_t)1 << shmf_rng_below(r, 8 * width);
        if (one_in(r, 3))
            v += one_in(r, 2) ? 1 : (uint32_t)-1;
    } else {
        v = interesting[shmf_rng_below(r, sizeof(interesting) / sizeof(interesting[0]))];
    }
    return v & shmf_field_max(width);
}

static uint32_t random_value(struct shmf_rng *r, unsigned width)
{
    if (!one_in(r, 4))
        return interesting_value(r, width);
    return (uint32_t)shmf_rng_next(r) & shmf_field_max(width);
}

/* Change `v` by a bit flip, +-1, an interesting or a random value; never returns v. */
static uint32_t tweak_value(struct shmf_rng *r, uint32_t v, unsigned width)
{
    uint32_t max = shmf_field_max(width);
    uint32_t flip = (uint32_t)1 << shmf_rng_below(r, 8 * width);
    uint32_t nv;

    switch (shmf_rng_below(r, 5)) {
    case 0: nv = v ^ flip; break;
    case 1: nv = v + 1; break;
    case 2: nv = v - 1; break;
    case 3: nv = interesting_value(r, width); break;
    default: nv = (uint32_t)shmf_rng_next(r); break;
    }
    nv &= max;
    return nv != v ? nv : (v ^ flip) & max;
}

/* An SG buffer length at or next to a whole number of elements for a block of
   `length` bytes (header 16 bytes, 24 per element): where providers' "does
   the list fit" checks are off by one.  A uniformly random 32-bit value almost
   never lands there. */
static uint32_t sg_boundary_value(struct shmf_rng *r, uint32_t length)
{
    static const int32_t nudge[] = {0, 0, -1, 1, -8, 8, -24};
    uint64_t pages = ((uint64_t)length + 4095) / 4096;
    uint64_t k = shmf_rng_below(r, (pages > 256 ? 256 : pages) + 3);
    int64_t v = 16 + 24 * (int64_t)k + nudge[shmf_rng_below(r, 7)];
    return v < 0 ? 0 : (uint32_t)v;
}

/* === Records === */

/* Fill an alloc that passes NDIS's own checks, so mutations start near valid use:
 * type NDIS_OBJECT_TYPE_DEFAULT, revision 1 or 2 with its size and a page-multiple
 * length. The node is mostly 0, which is valid whether the executor reads it raw or
 * as "0 = MM_ANY_NODE_OK". */
static void plausible_alloc(struct shmf_op *op, struct shmf_rng *r)
{
    bool rev2 = one_in(r, 2);

    op->a[SHMF_ARG_ALLOC_TYPE] = 0x80;
    op->a[SHMF_ARG_ALLOC_REV] = rev2 ? 2 : 1;
    op->a[SHMF_ARG_ALLOC_SIZE] = rev2 ? 0x44 : 0x40;
    op->a[SHMF_ARG_ALLOC_FLAGS] = one_in(r, 4) ? 1 : 0;
    op->a[SHMF_ARG_ALLOC_QUEUE] = one_in(r, 2) ? 0 : (uint32_t)shmf_rng_below(r, 4);
    op->a[SHMF_ARG_ALLOC_NODE] = one_in(r, 4) ? 0x80000000u : 0;
    op->a[SHMF_ARG_ALLOC_USAGE] = one_in(r, 2) ? 4 : (uint32_t)shmf_rng_below(r, 11);
    op->a[SHMF_ARG_ALLOC_LENGTH] =
        one_in(r, 4) ? interesting_value(r, 4) : 4096 * (1 + (uint32_t)shmf_rng_below(r, 16));
    if (one_in(r, 4)) { /* an explicit SG buffer length near an element boundary */
        op->a[SHMF_ARG_ALLOC_SGMODE] = 1;
        op->a[SHMF_ARG_ALLOC_SGLEN] = sg_boundary_value(r, op->a[SHMF_ARG_ALLOC_LENGTH]);
    }
}

unsigned shmf_random_op_code(struct shmf_rng *r)
{
    static const uint8_t core_ops[] = {SHMF_OP_ALLOC, SHMF_OP_FREE, SHMF_OP_TOUCH};
    return one_in(r, 4) ? core_ops[shmf_rng_below(r, sizeof(core_ops))]
                        : (unsigned)shmf_rng_below(r, SHMF_OP_COUNT);
}

void shmf_random_op(struct shmf_op *op, unsigned code, struct shmf_rng *r)
{
    memset(op, 0, sizeof(*op));
    op->code = (uint8_t)code;
    if (code == SHMF_OP_ALLOC && !one_in(r, 3)) {
        plausible_alloc(op, r);
        return;
    }
    for (unsigned i = 0; i < shmf_op_nargs(code); i++)
        op->a[i] = random_value(r, shmf_op_field(code, i)->width);
}

/* Bytes the program may still grow by within max_size. */
static size_t room_left(const struct shmf_prog *p, size_t max_size)
{
    size_t used = shmf_prog_encoded_size(p);

    return used < max_size ? max_size - used : 0;
}

/* Insert `op` before index `at`. pre: p->nops < SHMF_OPS_MAX, at <= p->nops. */
static void insert_at(struct shmf_prog *p, uint32_t at, const struct shmf_op *op)
{
    memmove(&p->ops[at + 1], &p->ops[at], (p->nops - at) * sizeof(p->ops[0]));
    p->ops[at] = *op;
    p->nops++;
}

/* === Mutations; each returns false when it does not apply to `p` === */

/* Insert a random record, favouring the allocate/free/touch core a little. */
static bool mut_insert(struct shmf_prog *p, size_t room, struct shmf_rng *r)
{
    unsigned code = shmf_random_op_code(r);
    struct shmf_op op;

    if (p->nops >= SHMF_OPS_MAX || room < shmf_op_encoded_size(code))
        return false;
    shmf_random_op(&op, code, r);
    insert_at(p, (uint32_t)shmf_rng_below(r, p->nops + 1), &op);
    return true;
}

static bool mut_delete(struct shmf_prog *p, struct shmf_rng *r)
{
    uint32_t i;

    if (p->nops == 0)
        return false;
    i = (uint32_t)shmf_rng_below(r, p->nops);
    memmove(&p->ops[i], &p->ops[i + 1], (p->nops - i - 1) * sizeof(p->ops[0]));
    p->nops--;
    return true;
}

static bool mut_duplicate(struct shmf_prog *p, size_t room, struct shmf_rng *r)
{
    uint32_t i;
    struct shmf_op op;

    if (p->nops == 0 || p->nops >= SHMF_OPS_MAX)
        return false;
    i = (uint32_t)shmf_rng_below(r, p->nops);
    if (room < shmf_op_encoded_size(p->ops[i].code % SHMF_OP_COUNT))
        return false;
    op = p->ops[i];
    /* Mostly repeat the op right after itself; sometimes copy it elsewhere. */
    insert_at(p, one_in(r, 2) ? i + 1 : (uint32_t)shmf_rng_below(r, p->nops + 1), &op);
    return true;
}

static bool mut_swap(struct shmf_prog *p, struct shmf_rng *r)
{
    uint32_t i, j;
    struct shmf_op t;

    if (p->nops < 2)
        return false;
    i = (uint32_t)shmf_rng_below(r, p->nops);
    j = (uint32_t)shmf_rng_below(r, p->nops - 1);
    j += j >= i; /* j != i */
    t = p->ops[i];
    p->ops[i] = p->ops[j];
    p->ops[j] = t;
    return true;
}

static bool mut_tweak(struct shmf_prog *p, struct shmf_rng *r)
{
    struct shmf_op *op;
    unsigned n, f;

    if (p->nops == 0)
        return false;
    op = &p->ops[shmf_rng_below(r, p->nops)];
    n = shmf_op_nargs(op->code % SHMF_OP_COUNT);
    if (n == 0)
        return false;
    f = (unsigned)shmf_rng_below(r, n);
    if (op->code % SHMF_OP_COUNT == SHMF_OP_ALLOC && f == SHMF_ARG_ALLOC_SGLEN) {
        /* sglen counts only in explicit mode: switch it on, and mostly aim at
           an element boundary of the block's length. */
        op->a[SHMF_ARG_ALLOC_SGMODE] |= op->a[SHMF_ARG_ALLOC_SGMODE] ? 0 : 1;
        if (!one_in(r, 3)) {
            op->a[f] = sg_boundary_value(r, op->a[SHMF_ARG_ALLOC_LENGTH]);
            return true;
        }
    }
    op->a[f] = tweak_value(r, op->a[f], shmf_op_field(op->code % SHMF_OP_COUNT, f)->width);
    return true;
}

/* Change the fault plan. The version byte is left alone so inputs stay current. */
static void mut_header(struct shmf_header *h, struct shmf_rng *r)
{
    switch (shmf_rng_below(r, 3)) {
    case 0:
        h->fault_flags ^=
            one_in(r, 4) ? (uint8_t)(1u << shmf_rng_below(r, 8)) : SHMF_FAULT_F_FIRST_PER_SITE;
        break;
    case 1:
        h->fail_nth = one_in(r, 2) ? (uint16_t)(1 + shmf_rng_below(r, 16))
                                   : (uint16_t)tweak_value(r, h->fail_nth, 2);
        break;
    default:
        h->fail_every = one_in(r, 2) ? (uint16_t)shmf_rng_below(r, 17)
                                     : (uint16_t)tweak_value(r, h->fail_every, 2);
        break;
    }
}

/* === Guided mutations === */

static bool is_alloc(const struct shmf_op *op)
{
    return op->code % SHMF_OP_COUNT == SHMF_OP_ALLOC;
}

/* Index of a random op for which want(op) holds, or -1 when there is none. */
static int32_t pick_op(const struct shmf_prog *p, bool (*want)(const struct shmf_op *),
                       struct shmf_rng *r)
{
    uint32_t n = 0, k;

    for (uint32_t i = 0; i < p->nops; i++)
        n += want(&p->ops[i]);
    if (n == 0)
        return -1;
    k = (uint32_t)shmf_rng_below(r, n);
    for (uint32_t i = 0; i < p->nops; i++)
        if (want(&p->ops[i]) && k-- == 0)
            return (int32_t)i;
    return -1;
}

/* Insert `n` copies of ops[lo, lo + len) at `at`.  pre: it fits (nops, room). */
static void insert_copies(struct shmf_prog *p, uint32_t at, uint32_t lo, uint32_t len, uint32_t n)
{
    struct shmf_op run[8];

    memcpy(run, &p->ops[lo], len * sizeof(run[0])); /* len <= 8 */
    memmove(&p->ops[at + n * len], &p->ops[at], (p->nops - at) * sizeof(p->ops[0]));
    for (uint32_t k = 0; k < n; k++)
        memcpy(&p->ops[at + k * len], run, len * sizeof(run[0]));
    p->nops += n * len;
}

static size_t ops_size(const struct shmf_prog *p, uint32_t lo, uint32_t len)
{
    size_t n = 0;

    for (uint32_t i = lo; i < lo + len; i++)
        n += shmf_op_encoded_size(p->ops[i].code % SHMF_OP_COUNT);
    return n;
}

/* repeat: one op (mostly an alloc) or a run of 2-4 ops, 1-4 times or up to 65
   (slot tables, per-queue quotas, caches fill after N of the same request). */
static bool mut_repeat(struct shmf_prog *p, size_t room, struct shmf_rng *r)
{
    static const uint8_t many[] = {7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65};
    int32_t i = one_in(r, 2) ? pick_op(p, is_alloc, r) : -1;
    uint32_t len, n, fit;
    size_t sz;

    if (p->nops == 0)
        return false;
    if (i < 0)
        i = (int32_t)shmf_rng_below(r, p->nops);
    len = one_in(r, 3) ? 2 + (uint32_t)shmf_rng_below(r, 3) : 1;
    if (len > p->nops - (uint32_t)i)
        len = p->nops - (uint32_t)i;
    n = one_in(r, 2) ? 1 + (uint32_t)shmf_rng_below(r, 4) : many[shmf_rng_below(r, sizeof(many))];
    sz = ops_size(p, (uint32_t)i, len);
    fit = (uint32_t)((SHMF_OPS_MAX - p->nops) / len);
    if (sz && room / sz < fit)
        fit = (uint32_t)(room / sz);
    if (n > fit)
        n = fit;
    if (n == 0)
        return false;
    insert_copies(p, (uint32_t)i + len, (uint32_t)i, len, n);
    return true;
}

/* The fields that say which object an alloc is for, and its amounts. */
static const uint8_t alloc_ident[] = {SHMF_ARG_ALLOC_QUEUE, SHMF_ARG_ALLOC_NODE,
                                      SHMF_ARG_ALLOC_VPORT, SHMF_ARG_ALLOC_USAGE,
                                      SHMF_ARG_ALLOC_FLAGS};

static void tweak_amount(struct shmf_op *op, struct shmf_rng *r)
{
    uint32_t *a = op->a;

    switch (shmf_rng_below(r, 4)) {
    case 0: /* explicit SG buffer near an element boundary */
        a[SHMF_ARG_ALLOC_SGMODE] = 1;
        a[SHMF_ARG_ALLOC_SGLEN] = sg_boundary_value(r, a[SHMF_ARG_ALLOC_LENGTH]);
        break;
    case 1: /* another whole number of pages */
        a[SHMF_ARG_ALLOC_LENGTH] = 4096 * (1 + (uint32_t)shmf_rng_below(r, 64));
        break;
    case 2: a[SHMF_ARG_ALLOC_LENGTH] = tweak_value(r, a[SHMF_ARG_ALLOC_LENGTH], 4); break;
    default:
        a[SHMF_ARG_ALLOC_FLAGS] ^= 1; /* CONTIGUOUS */
        break;
    }
}

/* clone: the same object again with another amount (a copy of an alloc placed
   later, one of length / SG buffer / CONTIGUOUS changed), or two allocs made
   to share an object (one identity field copied from the other). */
static bool mut_clone(struct shmf_prog *p, size_t room, struct shmf_rng *r)
{
    int32_t i = pick_op(p, is_alloc, r), j;
    struct shmf_op op;

    if (i < 0)
        return false;
    if (one_in(r, 2)) {
        j = pick_op(p, is_alloc, r);
        if (j != i) {
            unsigned f = alloc_ident[shmf_rng_below(r, sizeof(alloc_ident))];
            if (p->ops[j].a[f] != p->ops[i].a[f]) {
                p->ops[j].a[f] = p->ops[i].a[f];
                return true;
            }
        }
    }
    if (p->nops >= SHMF_OPS_MAX || room < shmf_op_encoded_size(SHMF_OP_ALLOC))
        return false;
    op = p->ops[i];
    tweak_amount(&op, r);
    insert_at(p, (uint32_t)i + 1 + (uint32_t)shmf_rng_below(r, p->nops - (uint32_t)i), &op);
    return true;
}

static bool allocates(const struct shmf_op *op)
{
    return shmf_op_is(op->code % SHMF_OP_COUNT, SHMF_OPF_ALLOCATES);
}

/* fault: fail one of the next few allocations, right before an op that makes
   them (the 2nd attempt of a request is its memory after its descriptor). */
static bool mut_fault(struct shmf_prog *p, size_t room, struct shmf_rng *r)
{
    int32_t i = pick_op(p, allocates, r);
    struct shmf_op op;

    if (p->nops >= SHMF_OPS_MAX || room < shmf_op_encoded_size(SHMF_OP_FAULT))
        return false;
    if (i < 0)
        i = (int32_t)shmf_rng_below(r, p->nops + 1);
    memset(&op, 0, sizeof(op));
    op.code = SHMF_OP_FAULT;
    if (one_in(r, 4)) {
        op.a[SHMF_ARG_FAULT_MODE] = SHMF_FAULT_FIRST_PER_SITE;
    } else {
        op.a[SHMF_ARG_FAULT_MODE] = SHMF_FAULT_NTH;
        op.a[SHMF_ARG_FAULT_N] = 1 + (uint32_t)shmf_rng_below(r, one_in(r, 4) ? 16 : 4);
    }
    insert_at(p, (uint32_t)i, &op);
    return true;
}

/* refill: free every block (a `free slot=0` per alloc so far), then run a range
   of earlier ops again: caches, holes and recycled regions meet the same
   requests a second time. */
static bool mut_refill(struct shmf_prog *p, size_t room, struct shmf_rng *r)
{
    uint32_t lo, hi, allocs = 0, len;
    struct shmf_op fr;

    if (p->nops == 0)
        return false;
    hi = 1 + (uint32_t)shmf_rng_below(r, p->nops);
    lo = (uint32_t)shmf_rng_below(r, hi);
    if (hi - lo > 8)
        lo = hi - 8;
    len = hi - lo;
    for (uint32_t i = 0; i < hi; i++)
        allocs += is_alloc(&p->ops[i]);
    if (allocs == 0 || allocs > 64 || p->nops + allocs + len > SHMF_OPS_MAX ||
        room < allocs * shmf_op_encoded_size(SHMF_OP_FREE) + ops_size(p, lo, len))
        return false;
    memset(&fr, 0, sizeof(fr));
    fr.code = SHMF_OP_FREE;
    insert_copies(p, hi, lo, len, 1); /* the range again, after hi */
    for (uint32_t k = 0; k < allocs; k++)
        insert_at(p, hi, &fr);
    return true;
}

/* --- cmp: a field set to the value the provider compared it with --- */

/* The SG buffer length an alloc gives the provider (exec_args.c). */
static uint32_t alloc_sglen(const struct shmf_op *op)
{
    uint64_t n = op->a[SHMF_ARG_ALLOC_SGMODE]
                     ? op->a[SHMF_ARG_ALLOC_SGLEN]
                     : 16 + 24 * (((uint64_t)op->a[SHMF_ARG_ALLOC_LENGTH] + 4095) / 4096 + 1);
    return (uint32_t)(n > 65536 ? 65536 : n);
}

/* Field f of op as the provider sees it (a 0 type/rev/size is the correct value). */
static uint32_t seen_value(const struct shmf_op *op, unsigned f)
{
    const uint32_t *a = op->a;

    if (!is_alloc(op))
        return a[f];
    switch (f) {
    case SHMF_ARG_ALLOC_TYPE: return a[f] ? a[f] : 0x80;
    case SHMF_ARG_ALLOC_REV: return a[f] ? a[f] : 2;
    case SHMF_ARG_ALLOC_SIZE: return a[f] ? a[f] : (a[SHMF_ARG_ALLOC_REV] == 1 ? 0x40u : 0x44u);
    case SHMF_ARG_ALLOC_SGLEN: return alloc_sglen(op);
    default: return a[f];
    }
}

struct cmp_hit {
    uint32_t op;
    uint8_t field;
    uint32_t value; /* the field's new raw value */
};

/* Would field f of op, compared as x with y, become y?  Directly, or through the
   page count / page-rounded size of a length, or the element capacity of an SG
   buffer (what providers compute before they compare).  Sets *nv. */
static bool cmp_match(const struct shmf_op *op, unsigned f, uint32_t x, uint32_t y, uint32_t *nv)
{
    unsigned code = op->code % SHMF_OP_COUNT;
    uint32_t max = shmf_field_max(shmf_op_field(code, f)->width);
    uint32_t v = seen_value(op, f);
    uint64_t want;

    if (code == SHMF_OP_ALLOC && f == SHMF_ARG_ALLOC_QUEUE)
        return false; /* the provider sees a live queue's id, not this */
    if (v == x) {
        want = y;
    } else if (code == SHMF_OP_ALLOC && f == SHMF_ARG_ALLOC_LENGTH && v) {
        uint64_t pages = ((uint64_t)v + 4095) / 4096;
        if (pages == x && y && y <= (1u << 20))
            want = (uint64_t)y * 4096;
        else if (pages * 4096 == x)
            want = y;
        else
            return false;
    } else if (code == SHMF_OP_ALLOC && f == SHMF_ARG_ALLOC_SGLEN && v >= 16 &&
               (v - 16) / 24 == x && y < 2730) {
        want = 16 + 24 * (uint64_t)y;
    } else {
        return false;
    }
    if (want > max || want == op->a[f])
        return false;
    *nv = (uint32_t)want;
    return true;
}

static unsigned field_hits(const struct shmf_op *op, uint32_t i, uint32_t x, uint32_t y,
                           struct cmp_hit *hits, unsigned n, unsigned cap)
{
    unsigned code = op->code % SHMF_OP_COUNT;

    for (unsigned f = 0; f < shmf_op_nargs(code) && n < cap; f++) {
        uint32_t nv;
        if (cmp_match(op, f, x, y, &nv))
            hits[n++] = (struct cmp_hit){i, (uint8_t)f, nv};
    }
    return n;
}

static bool mut_cmp(struct shmf_prog *p, const struct shmf_mut_ctx *ctx, struct shmf_rng *r)
{
    const struct shmf_cmp_table *t = ctx ? ctx->cmp : NULL;
    struct cmp_hit hits[16];

    if (!t || t->count == 0 || p->nops == 0)
        return false;
    for (int attempt = 0; attempt < 8; attempt++) {
        uint32_t k = shmf_cmp_next(t, (uint32_t)shmf_rng_below(r, SHMF_CMP_SLOTS));
        const struct shmf_cmp_entry *e;
        unsigned n = 0;

        if (k == SHMF_CMP_SLOTS)
            k = shmf_cmp_next(t, 0);
        if (k == SHMF_CMP_SLOTS)
            return false;
        e = &t->e[k];
        for (int side = 0; side < 2; side++) {
            uint32_t x = side ? e->b : e->a, y = side ? e->a : e->b;
            /* The op that made the comparison when the table is this program's;
               otherwise (or when none of its fields match) any op. */
            if (ctx->cmp_exact && e->op >= 0 && (uint32_t)e->op < p->nops)
                n = field_hits(&p->ops[e->op], (uint32_t)e->op, x, y, hits, n, 16);
        }
        if (n == 0) {
            uint32_t start = (uint32_t)shmf_rng_below(r, p->nops);
            for (uint32_t j = 0; j < p->nops && n < 16; j++) {
                uint32_t i = (start + j) % p->nops;
                n = field_hits(&p->ops[i], i, e->a, e->b, hits, n, 16);
                n = field_hits(&p->ops[i], i, e->b, e->a, hits, n, 16);
            }
        }
        if (n) {
            const struct cmp_hit *h = &hits[shmf_rng_below(r, n)];
            struct shmf_op *op = &p->ops[h->op];
            uint32_t max = shmf_field_max(shmf_op_field(op->code % SHMF_OP_COUNT, h->field)->width);
            uint32_t v = h->value;
            if (one_in(r, 4)) /* `<` against `<=`: one either side */
                v = (one_in(r, 2) ? v + 1 : v - 1) & max;
            op->a[h->field] = v;
            if (is_alloc(op) && h->field == SHMF_ARG_ALLOC_SGLEN)
                op->a[SHMF_ARG_ALLOC_SGMODE] = 1;
            return true;
        }
    }
    return false;
}

/* Past SOFT_OPS records, growing gets rarer (probability SOFT_OPS / nops), so
   programs settle around a few dozen ops instead of filling -max_len: provider
   bugs sit a handful of ops deep, and a long program runs slower and more
   often stops at a finding unrelated to the op just changed.  (libFuzzer turns
   its own -len_control off when a custom mutator is present.) */
#define SOFT_OPS 16u

static bool may_grow(const struct shmf_prog *p, struct shmf_rng *r)
{
    return p->nops < SOFT_OPS || shmf_rng_below(r, p->nops) < SOFT_OPS;
}

static bool apply(struct shmf_prog *p, enum shmf_mutation m, size_t max_size, struct shmf_rng *r,
                  const struct shmf_mut_ctx *ctx)
{
    switch (m) {
    case SHMF_MUT_INSERT: return mut_insert(p, room_left(p, max_size), r);
    case SHMF_MUT_DELETE: return mut_delete(p, r);
    case SHMF_MUT_DUPLICATE: return mut_duplicate(p, room_left(p, max_size), r);
    case SHMF_MUT_SWAP: return mut_swap(p, r);
    case SHMF_MUT_TWEAK: return mut_tweak(p, r);
    case SHMF_MUT_CMP: return mut_cmp(p, ctx, r);
    case SHMF_MUT_REPEAT: return mut_repeat(p, room_left(p, max_size), r);
    case SHMF_MUT_CLONE: return mut_clone(p, room_left(p, max_size), r);
    case SHMF_MUT_FAULT: return mut_fault(p, room_left(p, max_size), r);
    case SHMF_MUT_REFILL: return mut_refill(p, room_left(p, max_size), r);
    default: return false;
    }
}

bool shmf_prog_apply(struct shmf_prog *p, enum shmf_mutation m, size_t max_size, struct shmf_rng *r,
                     const struct shmf_mut_ctx *ctx)
{
    if (m == SHMF_MUT_HEADER) {
        mut_header(&p->hdr, r);
        return true;
    }
    return apply(p, m, max_size, r, ctx);
}

/* Kinds that add records and so obey may_grow (repeat, which makes the long
   programs of counted state, does not). */
static bool grows(enum shmf_mutation m)
{
    return m == SHMF_MUT_INSERT || m == SHMF_MUT_DUPLICATE || m == SHMF_MUT_CLONE ||
           m == SHMF_MUT_FAULT || m == SHMF_MUT_REFILL;
}

static enum shmf_mutation mutate_once(struct shmf_prog *p, size_t max_size, struct shmf_rng *r,
                                      const struct shmf_mut_ctx *ctx)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        enum shmf_mutation m = pick_mutation(r, ctx->kinds);
        if (grows(m) && !may_grow(p, r))
            m = SHMF_MUT_DELETE;
        if (m != SHMF_MUT_HEADER && apply(p, m, max_size, r, ctx))
            return m;
        if (m == SHMF_MUT_HEADER)
            break;
    }
    mut_header(&p->hdr, r);
    return SHMF_MUT_HEADER;
}

/* One mutation, or a short stack of them (as AFL's havoc stacks): a bug that
   needs two changes at once, say an op inserted and a field of another
   tweaked, is one step away instead of two, of which the first may give no new
   coverage and be dropped. */
enum shmf_mutation shmf_prog_mutate_ctx(struct shmf_prog *p, size_t max_size, struct shmf_rng *r,
                                        const struct shmf_mut_ctx *ctx)
{
    enum shmf_mutation m = mutate_once(p, max_size, r, ctx), k = m;
    unsigned more = one_in(r, 2) ? (unsigned)shmf_rng_below(r, 4) : 0;

    for (;;) {
        if (ctx->cmp_applied && k == SHMF_MUT_CMP)
            (*ctx->cmp_applied)++;
        if (!more--)
            return m;
        k = mutate_once(p, max_size, r, ctx);
    }
}

enum shmf_mutation shmf_prog_mutate(struct shmf_prog *p, size_t max_size, struct shmf_rng *r)
{
    struct shmf_mut_ctx ctx = {.kinds = shmf_mutations_default()};
    return shmf_prog_mutate_ctx(p, max_size, r, &ctx);
}

/* === Crossover === */

/* Append ops[lo, hi) of `src` to `out`, as many as fit under SHMF_OPS_MAX. */
static void append_range(struct shmf_prog *out, const struct shmf_prog *src, uint32_t lo,
                         uint32_t hi)
{
    uint32_t n = hi > lo ? hi - lo : 0;

    if (n > SHMF_OPS_MAX - out->nops)
        n = SHMF_OPS_MAX - out->nops;
    memcpy(&out->ops[out->nops], &src->ops[lo], n * sizeof(src->ops[0]));
    out->nops += n;
}

void shmf_prog_crossover(struct shmf_prog *out, const struct shmf_prog *a,
                         const struct shmf_prog *b, struct shmf_rng *r)
{
    uint32_t cut = (uint32_t)shmf_rng_below(r, a->nops + 1);
    uint32_t lo = (uint32_t)shmf_rng_below(r, b->nops + 1);

    out->hdr = one_in(r, 4) ? b->hdr : a->hdr;
    out->nops = 0;
    append_range(out, a, 0, cut);
    if (one_in(r, 2)) {
        append_range(out, b, lo, b->nops); /* a's prefix, then b's suffix */
    } else {
        uint32_t hi = lo + (uint32_t)shmf_rng_below(r, b->nops - lo + 1);
        append_range(out, b, lo, hi); /* b's range inserted into a */
        append_range(out, a, cut, a->nops);
    }
}

/* === Byte-level entry points === */

size_t shmf_prog_encode_fit(struct shmf_prog *p, uint8_t *buf, size_t max)
{
    size_t need = shmf_prog_encoded_size(p), len;
    uint8_t hdr[SHMF_HEADER_SIZE];

    if (p->nops > SHMF_OPS_MAX)
        p->nops = SHMF_OPS_MAX;
    while (p->nops > 0 && need > max)
        need -= shmf_op_encoded_size(p->ops[--p->nops].code % SHMF_OP_COUNT);
    if (need <= max) {
        shmf_prog_encode(p, buf, max, &len);
        return len;
    }
    shmf_prog_encode(p, hdr, sizeof(hdr), &len);
    memcpy(buf, hdr, max);
    return max;
}

/* Three programs of scratch per engine thread, made on first use and kept: the
   engines call the mutator for every input, and a 200 KB malloc per call is an
   mmap and munmap per call under ASan (and unbalanced mallocs and frees make
   libFuzzer re-run inputs looking for leaks). */
static struct shmf_prog *scratch(void)
{
    static _Thread_local struct shmf_prog *ps;
    if (!ps)
        ps = malloc(3 * sizeof(*ps));
    return ps;
}

size_t shmf_mutate_ctx(uint8_t *data, size_t size, size_t max_size, unsigned seed,
                       const struct shmf_mut_ctx *ctx)
{
    struct shmf_prog *p = scratch();
    struct shmf_mut_ctx def = {.kinds = shmf_mutations_default()};
    struct shmf_rng r;

    if (!p)
        return size < max_size ? size : max_size;
    shmf_rng_seed(&r, seed);
    shmf_prog_decode(p, data, size);
    shmf_prog_mutate_ctx(p, max_size, &r, ctx ? ctx : &def);
    return shmf_prog_encode_fit(p, data, max_size);
}

size_t shmf_mutate(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
    return shmf_mutate_ctx(data, size, max_size, seed, NULL);
}

size_t shmf_crossover(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, uint8_t *out,
                      size_t max_out, unsigned seed)
{
    struct shmf_prog *ps = scratch();
    struct shmf_rng r;
    size_t n;

    if (!ps) {
        n = s1 < max_out ? s1 : max_out;
        if (n)
            memcpy(out, d1, n);
        return n;
    }
    shmf_rng_seed(&r, seed);
    shmf_prog_decode(&ps[0], d1, s1);
    shmf_prog_decode(&ps[1], d2, s2);
    shmf_prog_crossover(&ps[2], &ps[0], &ps[1], &r);
    return shmf_prog_encode_fit(&ps[2], out, max_out);
}
