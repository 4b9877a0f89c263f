/*
 * AFL++ custom mutator for op-stream inputs (AFL++ docs/custom_mutators.md).
 *
 * Build as a shared library from this file plus harness/codec/mutator.c,
 * harness/codec/opstream.c and harness/codec/cmp.c, then run with
 *   AFL_CUSTOM_MUTATOR_LIBRARY=/path/libshmf_afl_mutator.so afl-fuzz ...
 * Campaigns run their main AFL++ instance with AFL_CUSTOM_MUTATOR_ONLY=1 (this
 * mutator alone: faster to every deep-tier bug than beside AFL's byte-level
 * havoc, docs/planted-bugs.md) and half the secondaries with havoc on; every
 * byte string decodes either way.
 *
 * SHMFUZZ_MUTATIONS chooses the record-level kinds as for libFuzzer (mutator.h,
 * shmf_mutations_parse; e.g. "none": the mutator without the guided kinds); a bad
 * value makes init fail, which stops afl-fuzz with a message.
 *
 * Provided hooks: init, fuzz (stacked record mutations, crossover with add_buf;
 * half the time it mutates its previous output again instead of the entry, for
 * up to SHMF_AFL_MAX_DEPTH calls in a row, as libFuzzer stacks mutations on the
 * input it has just run),
 * describe (names the mutations, used in AFL's file names), init_trim / trim /
 * post_trim (removes whole records, so trimming never breaks structure) and
 * deinit.  The mutator owns its output buffers; AFL only reads them until the
 * next call.
 *
 * Comparison operands (the "cmp" kind): init creates a shared ring of operand
 * tables (cmp.h) as a memfd and names it in SHMFUZZ_CMP_FD, which the target
 * inherits (afl-fuzz starts its fork servers after init); the target fills one
 * table per input with the provider's comparisons (cmplog_hooks.c).  fuzz looks
 * for the table of the entry it is given by the entry's hash (in the ring when
 * the entry has just run: saved, calibrated or trimmed) and keeps a copy, since
 * the ring moves on with every run; otherwise it takes the last run's table, as
 * libFuzzer's mutator does: as a rule a mutant of the same entry from the
 * previous call, whose comparisons are the ones the entry's neighbourhood
 * reached (cmp_exact 0).  On the deep tier that beat keeping every entry's own
 * table and always using it (docs/planted-bugs.md).  A target built otherwise
 * (a prebuilt .so) leaves the ring empty: "cmp" idles.
 *
 * SHMFUZZ_MUTATOR_STATS=path: at deinit, how "cmp" was fed (cmp.h).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cmp.h"
#include "mutator.h"
#include "opstream.h"

typedef struct afl_state afl_state_t; /* Opaque: this mutator never looks inside. */

/* The hooks stay visible when the library is built with -fvisibility=hidden, which
 * keeps the codec's shmf_ symbols private to the library. */
#define SHMF_AFL_EXPORT __attribute__((visibility("default")))

#define SHMF_AFL_MAX_STACK 4 /* at most this many mutations per fuzz call */
#define SHMF_AFL_MAX_DEPTH 8 /* outputs mutated again in a row, at most */

/* Record-removal trimming state. Windows [lo, hi) of `chunk` records are removed
 * from the end towards the start; each full pass halves the chunk. */
struct trim_state {
    size_t orig_size; /* trim output must not exceed the size given to init_trim */
    uint32_t lo, hi;
    uint32_t chunk, min_chunk;
    int32_t step, steps;
};

#define SHMF_AFL_TABLES 64u /* entries' tables kept, direct-mapped by hash */

struct shmf_afl {
    struct shmf_rng rng;
    struct shmf_cmp_ring *ring;  /* shared with the target, or NULL */
    struct shmf_cmp_table *kept; /* SHMF_AFL_TABLES copies; gen 0: an empty slot */
    struct shmf_cmp_stats stats;
    struct shmf_mut_ctx ctx;
    struct shmf_prog *prog;  /* the input being mutated, or the trim's best so far */
    struct shmf_prog *other; /* add_buf, or the trim candidate */
    struct shmf_prog *mixed; /* crossover result */
    struct shmf_prog *last;  /* the previous output, mutated again half the time */
    uint64_t last_entry;     /* hash of the entry the previous output came from */
    unsigned depth;          /* outputs mutated again in a row since the entry */
    uint8_t *out;
    size_t out_cap;
    struct trim_state trim;
    char desc[128];
};

/* === Helpers === */

static uint8_t *reserve(struct shmf_afl *s, size_t n)
{
    uint8_t *nb;

    if (n <= s->out_cap)
        return s->out;
    nb = realloc(s->out, n);
    if (!nb)
        return NULL;
    s->out = nb;
    s->out_cap = n;
    return nb;
}

/* Encode `p` within max bytes into the output buffer; returns the size, 0 on OOM. */
static size_t emit(struct shmf_afl *s, struct shmf_prog *p, size_t max)
{
    size_t need = shmf_prog_encoded_size(p);
    size_t cap = need < max ? need : max;

    if (cap == 0 || !reserve(s, cap))
        return 0;
    return shmf_prog_encode_fit(p, s->out, cap);
}

static void describe_add(struct shmf_afl *s, const char *name)
{
    size_t len = strlen(s->desc);

    snprintf(s->desc + len, sizeof(s->desc) - len, "%s%s", len ? "-" : "shmf-", name);
}

/* === Comparison tables === */

/* The shared ring, named in the environment for the fork servers to come;
   NULL (and "cmp" idle) when it cannot be made. */
static struct shmf_cmp_ring *ring_create(void)
{
    struct shmf_cmp_ring *r;
    char v[16];
    int fd = memfd_create("shmfuzz-cmp", 0); /* inherited: no MFD_CLOEXEC */

    if (fd < 0)
        return NULL;
    if (ftruncate(fd, sizeof(*r)) != 0) {
        close(fd);
        return NULL;
    }
    r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (r == MAP_FAILED) {
        close(fd);
        return NULL;
    }
    r->magic = SHMF_CMP_RING_MAGIC;
    snprintf(v, sizeof(v), "%d", fd);
    setenv(SHMF_CMP_FD_ENV, v, 1);
    return r;
}

/* The table for the input with this hash: its own (exact = 1), kept from an
   earlier call or still in the ring (kept now); else the last run's (exact =
   0); else NULL. */
static const struct shmf_cmp_table *table_for(struct shmf_afl *s, uint64_t h, int *exact)
{
    struct shmf_cmp_table *k = &s->kept[h % SHMF_AFL_TABLES];
    const struct shmf_cmp_table *t;

    *exact = 1;
    if (k->gen != 0 && k->input_hash == h) /* the ring hands out tables with gen != 0 */
        return k;
    t = shmf_cmp_ring_find(s->ring, h);
    if (t) {
        *k = *t;
        return k;
    }
    *exact = 0;
    return shmf_cmp_ring_latest(s->ring);
}

/* The table for the entry with hash h, or (last = 1) for the previous output,
   which has just run: the ring's latest is its own. */
static void set_table(struct shmf_afl *s, uint64_t h, int last)
{
    s->ctx.cmp = NULL;
    s->ctx.cmp_exact = 0;
    if (!s->ring || !(s->ctx.kinds & (1u << SHMF_MUT_CMP)))
        return;
    if (last) {
        s->ctx.cmp = shmf_cmp_ring_latest(s->ring);
        s->ctx.cmp_exact = s->ctx.cmp != NULL;
    } else {
        s->ctx.cmp = table_for(s, h, &s->ctx.cmp_exact);
    }
    shmf_cmp_stats_note(&s->stats, s->ctx.cmp, s->ctx.cmp_exact);
}

static void prog_copy(struct shmf_prog *dst, const struct shmf_prog *src)
{
    dst->hdr = src->hdr;
    dst->nops = src->nops;
    memcpy(dst->ops, src->ops, src->nops * sizeof(src->ops[0]));
}

/* The program this call mutates: half the time, while AFL++ stays on one entry
   and for at most SHMF_AFL_MAX_DEPTH calls in a row, the previous output again
   (mutations stack across calls, as libFuzzer's do on the input it has just
   run, with that input's own operand table); otherwise the entry. */
static void start_from(struct shmf_afl *s, const uint8_t *buf, size_t size)
{
    uint64_t h = shmf_cmp_hash(buf, size);
    int again = h == s->last_entry && s->depth < SHMF_AFL_MAX_DEPTH && shmf_rng_below(&s->rng, 2);

    set_table(s, h, again);
    if (again) {
        prog_copy(s->prog, s->last);
        s->depth++;
        describe_add(s, "again"); /* in AFL++'s file names: shmf-again-... */
    } else {
        shmf_prog_decode(s->prog, buf, size);
        s->depth = 0;
    }
    s->last_entry = h;
}

/* === Lifecycle === */

SHMF_AFL_EXPORT void *afl_custom_init(afl_state_t *afl, unsigned int seed)
{
    struct shmf_afl *s = calloc(1, sizeof(*s));
    char err[160];

    (void)afl;
    if (!s)
        return NULL;
    if (shmf_mutations_parse(getenv("SHMFUZZ_MUTATIONS"), &s->ctx.kinds, err, sizeof(err)) != 0) {
        fprintf(stderr, "shmfuzz: SHMFUZZ_MUTATIONS: %s\n", err);
        free(s);
        return NULL;
    }
    s->prog = shmf_prog_new();
    s->other = shmf_prog_new();
    s->mixed = shmf_prog_new();
    s->last = shmf_prog_new();
    if (!s->prog || !s->other || !s->mixed || !s->last) {
        shmf_prog_free(s->prog);
        shmf_prog_free(s->other);
        shmf_prog_free(s->mixed);
        shmf_prog_free(s->last);
        free(s);
        return NULL;
    }
    shmf_rng_seed(&s->rng, seed);
    s->ctx.cmp_applied = &s->stats.applied;
    if (s->ctx.kinds & (1u << SHMF_MUT_CMP)) {
        s->kept = calloc(SHMF_AFL_TABLES, sizeof(*s->kept));
        s->ring = s->kept ? ring_create() : NULL;
    }
    return s;
}

SHMF_AFL_EXPORT void afl_custom_deinit(void *data)
{
    struct shmf_afl *s = data;

    shmf_cmp_stats_write(&s->stats, s->ring ? "ring" : NULL);
    if (s->ring)
        munmap(s->ring, sizeof(*s->ring));
    free(s->kept);
    shmf_prog_free(s->prog);
    shmf_prog_free(s->other);
    shmf_prog_free(s->mixed);
    shmf_prog_free(s->last);
    free(s->out);
    free(s);
}

/* === Mutation === */

SHMF_AFL_EXPORT size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                                       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
    struct shmf_afl *s = data;
    struct shmf_prog *p = s->prog;
    unsigned n = 1 + (unsigned)shmf_rng_below(&s->rng, SHMF_AFL_MAX_STACK);
    size_t len;

    s->desc[0] = '\0';
    start_from(s, buf, buf_size);
    if (add_buf && add_buf_size && shmf_rng_below(&s->rng, 4) == 0) {
        shmf_prog_decode(s->other, add_buf, add_buf_size);
        shmf_prog_crossover(s->mixed, p, s->other, &s->rng);
        p = s->mixed;
        s->ctx.cmp_exact = 0; /* its op indices are the entry's, not the mix's */
        describe_add(s, shmf_mutation_name(SHMF_MUT_CROSSOVER));
    }
    for (unsigned i = 0; i < n; i++)
        describe_add(s, shmf_mutation_name(shmf_prog_mutate_ctx(p, max_size, &s->rng, &s->ctx)));
    len = emit(s, p, max_size);
    prog_copy(s->last, p); /* as emitted: emit drops ops that do not fit */
    if (len == 0) {        /* out of memory, or max_size == 0: hand back the input */
        *out_buf = buf;
        return buf_size < max_size ? buf_size : max_size;
    }
    *out_buf = s->out;
    return len;
}

SHMF_AFL_EXPORT const char *afl_custom_describe(void *data, size_t max_description_len)
{
    struct shmf_afl *s = data;

    if (max_description_len == 0)
        return "";
    if (max_description_len <= sizeof(s->desc))
        s->desc[max_description_len - 1] = '\0';
    return s->desc;
}

/* === Trimming === */

static uint32_t pow2_floor(uint32_t n)
{
    uint32_t p = 1;

    while (p <= n / 2)
        p *= 2;
    return p;
}

/* Count the trim steps a pass schedule needs if nothing is ever removed. */
static int32_t count_steps(uint32_t nops, uint32_t chunk, uint32_t min_chunk)
{
    int32_t steps = 0;

    for (; chunk >= min_chunk && chunk > 0; chunk /= 2)
        steps += (int32_t)((nops + chunk - 1) / chunk);
    return steps;
}

SHMF_AFL_EXPORT int32_t afl_custom_init_trim(void *data, uint8_t *buf, size_t buf_size)
{
    struct shmf_afl *s = data;
    struct trim_state *t = &s->trim;
    uint32_t n;

    shmf_prog_decode(s->prog, buf, buf_size);
    n = s->prog->nops;
    memset(t, 0, sizeof(*t));
    if (n == 0)
        return 0;
    t->orig_size = buf_size;
    t->chunk = pow2_floor(n / 8 ? n / 8 : 1);
    /* Stop at about 512 windows per pass so long inputs do not cost 4096 runs. */
    t->min_chunk = pow2_floor(n / 512 ? n / 512 : 1);
    t->hi = n;
    t->lo = n > t->chunk ? n - t->chunk : 0;
    t->steps = count_steps(n, t->chunk, t->min_chunk);
    return t->steps;
}

SHMF_AFL_EXPORT size_t afl_custom_trim(void *data, uint8_t **out_buf)
{
    struct shmf_afl *s = data;
    struct trim_state *t = &s->trim;
    struct shmf_prog *c = s->other;
    size_t len;

    c->hdr = s->prog->hdr;
    c->nops = 0;
    memcpy(c->ops, s->prog->ops, t->lo * sizeof(c->ops[0]));
    memcpy(&c->ops[t->lo], &s->prog->ops[t->hi], (s->prog->nops - t->hi) * sizeof(c->ops[0]));
    c->nops = s->prog->nops - (t->hi - t->lo);
    /* Clipping to the original size only drops zero padding of a truncated last
     * record, which decodes the same. */
    len = emit(s, c, t->orig_size);
    *out_buf = s->out;
    return len;
}

SHMF_AFL_EXPORT int32_t afl_custom_post_trim(void *data, uint8_t success)
{
    struct shmf_afl *s = data;
    struct trim_state *t = &s->trim;
    struct shmf_prog *p = s->prog;

    if (success) {
        memmove(&p->ops[t->lo], &p->ops[t->hi], (p->nops - t->hi) * sizeof(p->ops[0]));
        p->nops -= t->hi - t->lo;
    }
    t->hi = t->lo;
    if (t->hi == 0) {
        t->chunk /= 2;
        t->hi = p->nops;
        if (t->chunk < t->min_chunk || t->chunk == 0 || p->nops == 0)
            return t->steps; /* done */
    }
    t->lo = t->hi > t->chunk ? t->hi - t->chunk : 0;
    t->step++;
    return t->step < t->steps ? t->step : t->steps - 1;
}
