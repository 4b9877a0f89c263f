/*
 * diff.c -- differential mode: record each side's outcomes through the
 * executor's observer, compare them with the property table (diff_props.h),
 * and turn the first difference no rule allows into a `divergence` finding
 * (diff.h, docs/differential.md).
 *
 * The two worlds are in step until an allowed difference changes one of them
 * (a block one side served and the other refused, a queue one side could not
 * fill), their miniports hold different numbers of blocks, or a fault was
 * injected into either: from then on slot-addressed ops reach different
 * objects and each world's state is its own, so only the properties that
 * depend on the op alone (scope ALWAYS) are compared.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diff_internal.h"
#include "exec_internal.h"
#include "target.h"

/* === The tables === */

static const struct {
    const char *name, *description;
    bool sync;
    uint8_t canon;
} props[] = {
#define PROP_ROW(e, n, scope, canon, d) {n, d, SHMF_DIFF_SCOPE_##scope, SHMF_DV_##canon},
#define SHMF_DIFF_SCOPE_SYNC true
#define SHMF_DIFF_SCOPE_ALWAYS false
    SHMF_DIFF_PROPS(PROP_ROW)
#undef PROP_ROW
};
_Static_assert(sizeof(props) / sizeof(props[0]) == SHMF_DIFF_PROP_COUNT, "props");

static const char *const value_names[] = {
#define VALUE_NAME(e, n) n,
    SHMF_DIFF_VALUES(VALUE_NAME)
#undef VALUE_NAME
};
_Static_assert(sizeof(value_names) / sizeof(value_names[0]) == SHMF_DIFF_VALUE_COUNT, "values");

static const char *const reason_names[] = {"none",
#define REASON_NAME(e, n, d) n,
                                           SHMF_DIFF_REASONS(REASON_NAME)
#undef REASON_NAME
};
static const char *const reason_descriptions[] = {"",
#define REASON_DESC(e, n, d) d,
                                                  SHMF_DIFF_REASONS(REASON_DESC)
#undef REASON_DESC
};
_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) == SHMF_DIFF_REASON_COUNT, "reasons");

const char *shmf_diff_prop_name(enum shmf_diff_prop p)
{
    return (unsigned)p < SHMF_DIFF_PROP_COUNT ? props[p].name : "unknown";
}

const char *shmf_diff_prop_description(enum shmf_diff_prop p)
{
    return (unsigned)p < SHMF_DIFF_PROP_COUNT ? props[p].description : "";
}

const char *shmf_diff_value_name(unsigned v)
{
    return v < SHMF_DIFF_VALUE_COUNT ? value_names[v] : "?";
}

const char *shmf_diff_reason_name(unsigned r)
{
    return r < SHMF_DIFF_REASON_COUNT ? reason_names[r] : "?";
}

int shmf_diff_prop_from_name(const char *name)
{
    for (unsigned i = 0; i < SHMF_DIFF_PROP_COUNT; i++)
        if (strcmp(name, props[i].name) == 0)
            return (int)i;
    return -1;
}

int shmf_diff_value_from_name(const char *name)
{
    for (unsigned i = 0; i < SHMF_DIFF_VALUE_COUNT; i++)
        if (strcmp(name, value_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *shmf__diff_op_name(const struct diff_ev *e)
{
    return e->code == SHMF_DIFF_OP_LOAD ? "load" : shmf_op_name(e->code);
}

/* === Recording (the executor's observer) === */

static uint8_t status_class(NDIS_STATUS st)
{
    switch (st) {
    case NDIS_STATUS_SUCCESS: return SHMF_DV_SUCCESS;
    case NDIS_STATUS_RESOURCES: return SHMF_DV_RESOURCES;
    case NDIS_STATUS_INVALID_PARAMETER: return SHMF_DV_INVALID_PARAMETER;
    case NDIS_STATUS_FAILURE: return SHMF_DV_FAILURE;
    default: return SHMF_DV_OTHER_STATUS;
    }
}

static uint8_t nic_class(int64_t rc)
{
    if (rc >= 0)
        return SHMF_DV_DONE;
    switch (-rc) {
    case EFAULT: return SHMF_DV_DMA_REFUSED;
    case EPROTO: return SHMF_DV_RING_RULE;
    case EAGAIN: return SHMF_DV_NOT_NOW;
    case ENOENT: return SHMF_DV_NO_QUEUE;
    case ENOSPC: return SHMF_DV_NO_QUEUE_ID;
    case ENOMEM: return SHMF_DV_NO_MEMORY;
    default: return SHMF_DV_NIC_ERROR;
    }
}

/* The first SHMF_DIFF_REASONS entry the request meets on a side whose
   characteristics do (pf_vports) or do not declare PF VPorts. */
static uint8_t contract_reason(const NDIS_SHARED_MEMORY_PARAMETERS *p, bool pf_vports)
{
    if (p->Flags & ~(ULONG)NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS)
        return SHMF_DR_FLAGS;
    if ((ULONG)p->Usage >= (ULONG)NdisSharedMemoryUsageMax)
        return SHMF_DR_USAGE;
    if (p->Length == 0)
        return SHMF_DR_LENGTH_ZERO;
    if (p->PreferredNode != MM_ANY_NODE_OK && p->PreferredNode > KeQueryHighestNodeNumber())
        return SHMF_DR_NODE;
    if (!pf_vports && p->Header.Revision >= NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
        p->Header.Size >= NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
        p->VPortId != NDIS_DEFAULT_VPORT_ID)
        return SHMF_DR_VPORT;
    if (!p->SGListBuffer ||
        p->SGListBufferLength < sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT))
        return SHMF_DR_SG_BUFFER;
    return SHMF_DR_NONE;
}

/* The block as the caller sees it. */
static void block_values(struct diff_ev *e, NDIS_HANDLE h, const NDIS_SHARED_MEMORY_PARAMETERS *p)
{
    struct shmf_block_info b;
    if (!shmf_rt_block_find(h, &b))
        return;
    uint64_t sum = 0, align = 64;
    bool contig = true;
    for (ULONG i = 0; i < b.sg_count; i++) {
        sum += b.sg[i].Length;
        if (i && (uint64_t)b.sg[i].Address.QuadPart !=
                     (uint64_t)b.sg[i - 1].Address.QuadPart + b.sg[i - 1].Length)
            contig = false;
    }
    e->v[SHMF_DP_BLOCK_LENGTH] = sum == p->Length  ? SHMF_DV_EQUAL
                                 : sum < p->Length ? SHMF_DV_SHORT
                                                   : SHMF_DV_LONG;
    uint64_t span = ADDRESS_AND_SIZE_TO_SPAN_PAGES(b.virtual_address, (uint64_t)b.length);
    e->v[SHMF_DP_SG_COUNT] = b.sg_count <= (span ? span : 1) ? SHMF_DV_WITHIN : SHMF_DV_MORE;
    if (p->Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS)
        e->v[SHMF_DP_CONTIGUOUS] = contig ? SHMF_DV_CONTIG : SHMF_DV_BROKEN;
    bool aligned = (uintptr_t)b.virtual_address % align == 0 &&
                   (b.sg_count == 0 || (uint64_t)b.sg[0].Address.QuadPart % align == 0);
    e->v[SHMF_DP_ALIGNMENT] = aligned ? SHMF_DV_ALIGNED : SHMF_DV_UNALIGNED;
}

/* A refused request: the bytes its queue, and all queues, would hold with it. */
static void refused_bytes(struct diff_ev *e, const NDIS_SHARED_MEMORY_PARAMETERS *p)
{
    struct shmf_block_info b;
    uint64_t q = 0, all = 0;
    for (unsigned i = 0; shmf_rt_block_get(i, &b); i++) {
        all += b.length;
        if (b.queue_id == p->QueueId)
            q += b.length;
    }
    e->queue_bytes = q + p->Length;
    e->total_bytes = all + p->Length;
}

/* A NIC op that found no memory: what the busiest queue, and all queues, hold
   (the NIC's own request is not seen). */
static void nic_bytes(struct diff_ev *e)
{
    struct shmf_block_info b;
    uint64_t q[SHMF_MAX_QUEUES] = {0}, all = 0, most = 0;
    for (unsigned i = 0; shmf_rt_block_get(i, &b); i++) {
        all += b.length;
        q[b.queue_id % SHMF_MAX_QUEUES] += b.length;
        if (q[b.queue_id % SHMF_MAX_QUEUES] > most)
            most = q[b.queue_id % SHMF_MAX_QUEUES];
    }
    e->queue_bytes = most;
    e->total_bytes = all;
}

static void observe_alloc(const struct shmf_diff_side *sd, struct diff_ev *e,
                          const struct shmf_exec_event *ev)
{
    const NDIS_SHARED_MEMORY_PARAMETERS *p = ev->params;
    NDIS_STATUS st = (NDIS_STATUS)ev->out->a;
    bool served = st == NDIS_STATUS_SUCCESS && ev->out->h;
    uint8_t cls = status_class(st);
    e->length = p->Length;
    e->pages = (uint32_t)BYTES_TO_PAGES((uint64_t)p->Length);
    e->contiguous = (p->Flags & NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS) != 0;
    e->sg_room = p->SGListBuffer && p->SGListBufferLength >= sizeof(SCATTER_GATHER_LIST)
                     ? (uint32_t)((p->SGListBufferLength - sizeof(SCATTER_GATHER_LIST)) /
                                  sizeof(SCATTER_GATHER_ELEMENT))
                     : 0;
    e->reason = contract_reason(p, sd->pf_vports);
    if (e->reason != SHMF_DR_NONE) {
        e->v[SHMF_DP_ACCEPTED] = served ? SHMF_DV_SERVED : SHMF_DV_REFUSED;
        if (!served)
            e->v[SHMF_DP_REFUSAL] = cls;
    } else {
        e->v[SHMF_DP_STATUS] = cls;
    }
    if (served)
        block_values(e, (NDIS_HANDLE)(uintptr_t)ev->out->h, p);
    else
        refused_bytes(e, p);
}

static struct diff_ev *ev_push(struct shmf_diff_side *sd)
{
    if (sd->nev == sd->cap) {
        uint32_t cap = sd->cap ? 2 * sd->cap : 256;
        struct diff_ev *v = realloc(sd->ev, cap * sizeof(*v));
        if (!v)
            return NULL;
        sd->ev = v;
        sd->cap = cap;
    }
    return &sd->ev[sd->nev++];
}

/* The outcome as the trace prints it, without its "-> ". */
static void format_text(struct diff_ev *e, const struct shmf_exec_event *ev)
{
    FILE *f = fmemopen(e->text, sizeof(e->text), "w");
    if (!f)
        return;
    if (ev->op == NULL)
        fputs(ev->out->a ? "-> loaded\n" : "-> provider did not load\n", f);
    else
        shmf__exec_trace_out(f, ev->op, ev->out);
    fclose(f);
    e->text[sizeof(e->text) - 1] = 0;
    size_t n = strcspn(e->text, "\n");
    e->text[n] = 0;
    if (strncmp(e->text, "-> ", 3) == 0)
        memmove(e->text, e->text + 3, strlen(e->text + 3) + 1);
}

static void observe(void *ud, const struct shmf_exec_event *ev)
{
    struct shmf_diff_side *sd = ud;
    struct diff_ev *e = ev_push(sd);
    if (!e)
        return;
    memset(e, 0, offsetof(struct diff_ev, op));
    e->text[0] = 0;
    e->op_index = ev->op_index;
    e->code = ev->op ? (uint8_t)ev->op->code : SHMF_DIFF_OP_LOAD;
    e->cpu = (int8_t)ev->cpu;
    e->work_item = ev->work_item;
    uint64_t injected = shmf_rt_faults_injected();
    e->injected = injected != sd->injected;
    sd->injected = injected;
    e->own_blocks = ev->own_blocks;
    e->v[SHMF_DP_FINDING] = shmf_rt_finding_count() ? SHMF_DV_FOUND : SHMF_DV_NONE;
    switch (ev->out->kind) {
    case OUT_ALLOC:
        if (ev->params)
            observe_alloc(sd, e, ev);
        break;
    case OUT_RELOAD:
        e->v[SHMF_DP_LOAD] = ev->out->a ? SHMF_DV_LOADED : SHMF_DV_NOT_LOADED;
        sd->pf_vports = ev->out->a && (shmf_rt_provider_flags() &
                                       NDIS_SHARED_MEMORY_PROVIDER_CHAR_SUPPORTS_PF_VPORTS);
        break;
    case OUT_NIC:
    case OUT_QALLOC:
    case OUT_QFREE:
        e->v[SHMF_DP_NIC] = nic_class(ev->out->a);
        if (e->v[SHMF_DP_NIC] == SHMF_DV_NO_MEMORY)
            nic_bytes(e);
        break;
    default: break;
    }
    if (sd->keep_text) {
        e->op = ev->op ? *ev->op : (struct shmf_op){.code = SHMF_OP_RELOAD};
        format_text(e, ev);
    }
}

/* === Comparing === */

static uint32_t fnv1a(uint32_t h, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        h = (h ^ ((v >> (8 * i)) & 0xff)) * 16777619u;
    return h;
}

static void feature(struct shmf_diff *d, const struct diff_ev *e, unsigned p, unsigned va,
                    unsigned vb)
{
    if (d->feature)
        d->feature(d->feature_ud,
                   fnv1a(fnv1a(fnv1a(2166136261u, e->code), p * 256 + e->reason), va * 256 + vb));
}

/* The detail of a divergence's place: the reason a request must be refused,
   the finding's kind, or the two values ("-" where a side has none). */
static void place_detail(const struct shmf_diff *d, enum shmf_diff_prop p, const struct diff_ev *a,
                         const struct diff_ev *b, char *buf, size_t n)
{
    unsigned va = a->v[p], vb = b->v[p];
    if (p == SHMF_DP_ACCEPTED) {
        snprintf(buf, n, "%s", shmf_diff_reason_name(va == SHMF_DV_SERVED ? a->reason : b->reason));
    } else if (p == SHMF_DP_FINDING) {
        const struct shmf_diff_side *s = &d->side[va == SHMF_DV_FOUND ? 0 : 1];
        snprintf(buf, n, "%s", s->res.findings ? shmf_kind_name(s->res.first.kind) : "?");
    } else {
        snprintf(buf, n, "%s/%s", va == SHMF_DV_NA ? "-" : shmf_diff_value_name(va),
                 vb == SHMF_DV_NA ? "-" : shmf_diff_value_name(vb));
    }
}

static void set_divergence(struct shmf_diff *d, uint32_t k, enum shmf_diff_prop p,
                           const struct diff_ev *a, const struct diff_ev *b)
{
    char detail[48];
    place_detail(d, p, a, b, detail, sizeof(detail));
    d->diverged = true;
    d->div = (struct shmf_diff_divergence){
        .op_index = a->op_index, .event = k, .prop = p, .value = {a->v[p], b->v[p]}};
    snprintf(d->div.place, sizeof(d->div.place), "%s:%s:%s", shmf__diff_op_name(a), props[p].name,
             detail);
    d->counts.divergences++;
}

/* Do the two values differ in a way the comparison sees? */
static bool differs(enum shmf_diff_prop p, unsigned va, unsigned vb)
{
    if (va == vb)
        return false;
    if (va != SHMF_DV_NA && vb != SHMF_DV_NA)
        return true;
    return props[p].canon != SHMF_DV_NA && (va == SHMF_DV_NA ? vb : va) != props[p].canon;
}

/* Compare event k of both sides; true at a divergence.  An allowed difference
   in a property that changes a world (everything but the block's shape)
   takes the worlds out of step. */
static bool compare_event(struct shmf_diff *d, uint32_t k, bool *desync)
{
    const struct diff_ev *a = &d->side[0].ev[k], *b = &d->side[1].ev[k];
    if (a->code == SHMF_OP_ALLOC)
        feature(d, a, SHMF_DP_STATUS, a->v[SHMF_DP_STATUS] | a->v[SHMF_DP_ACCEPTED] << 5,
                b->v[SHMF_DP_STATUS] | b->v[SHMF_DP_ACCEPTED] << 5);
    for (unsigned p = 0; p < SHMF_DIFF_PROP_COUNT; p++) {
        if (props[p].sync && *desync)
            continue;
        if (!differs(p, a->v[p], b->v[p]))
            continue;
        feature(d, a, p, a->v[p], b->v[p]);
        int r = shmf__diff_rules_match(d->rules, p, a, b, a->v[p], b->v[p]);
        if (r < 0) {
            set_divergence(d, k, p, a, b);
            return true;
        }
        d->counts.allowed_by_prop[p]++;
        if (r < SHMF_DIFF_MAX_RULES)
            d->counts.allowed_by_rule[r]++;
        bool shape = p == SHMF_DP_BLOCK_LENGTH || p == SHMF_DP_SG_COUNT ||
                     p == SHMF_DP_CONTIGUOUS || p == SHMF_DP_ALIGNMENT;
        if (!shape && !*desync) {
            *desync = true;
            d->counts.desyncs++;
        }
    }
    return false;
}

static bool same_op(const struct diff_ev *a, const struct diff_ev *b)
{
    return a->op_index == b->op_index && a->code == b->code && a->work_item == b->work_item;
}

/* A finding of the `against` side after its last op (teardown, or the op
   stream ended early): a divergence when the provider has none. */
static void teardown_finding(struct shmf_diff *d, const struct shmf_prog *prog)
{
    const struct shmf_diff_side *b = &d->side[1];
    d->diverged = true;
    d->div = (struct shmf_diff_divergence){.op_index = b->res.failing_op >= 0 ? b->res.failing_op
                                                                              : (int32_t)prog->nops,
                                           .event = b->nev,
                                           .prop = SHMF_DP_FINDING,
                                           .value = {SHMF_DV_NONE, SHMF_DV_FOUND}};
    const char *op = (uint32_t)d->div.op_index < prog->nops
                         ? shmf_op_name(prog->ops[d->div.op_index].code)
                         : "teardown";
    snprintf(d->div.place, sizeof(d->div.place), "%s:finding:%s", op,
             shmf_kind_name(b->res.first.kind));
    d->counts.divergences++;
}

static void compare(struct shmf_diff *d, const struct shmf_prog *prog)
{
    const struct shmf_diff_side *a = &d->side[0], *b = &d->side[1];
    uint32_t n = a->nev < b->nev ? a->nev : b->nev;
    bool desync = false;
    d->diverged = false;
    for (uint32_t k = 0; k < n && same_op(&a->ev[k], &b->ev[k]); k++) {
        if (a->ev[k].cpu >= 0 || b->ev[k].cpu >= 0) {
            d->counts.interleaved_skipped++;
            continue;
        }
        d->counts.events++;
        if (compare_event(d, k, &desync))
            return;
        /* Different live blocks, or a fault injected into either world (the
           Nth allocation of one provider is not the Nth of another, and a
           failure may change a world without changing the op's outcome). */
        if (!desync && (a->ev[k].own_blocks != b->ev[k].own_blocks || a->ev[k].injected ||
                        b->ev[k].injected)) {
            desync = true;
            d->counts.desyncs++;
        }
    }
    if (b->res.findings && !a->res.findings)
        teardown_finding(d, prog);
}

/* === Running === */

static struct shmf_finding divergence_finding(const struct shmf_diff *d)
{
    const struct shmf_diff_divergence *v = &d->div;
    struct shmf_finding f;
    memset(&f, 0, sizeof(f));
    f.kind = SHMF_KIND_DIVERGENCE;
    f.object = (uint64_t)(uint32_t)v->op_index;
    f.op_index = v->op_index;
    snprintf(f.function, sizeof(f.function), "%s", v->place);
    snprintf(f.rule, sizeof(f.rule), "differential: %s", props[v->prop].description);
    const char *an = d->side[0].name, *bn = d->side[1].name;
    if (v->prop == SHMF_DP_ACCEPTED) {
        bool a_served = v->value[0] == SHMF_DV_SERVED;
        const struct diff_ev *e = &d->side[a_served ? 0 : 1].ev[v->event];
        snprintf(f.message, sizeof(f.message),
                 "op %d: %s served a request the contract requires refused (%s: %s); %s %s it",
                 v->op_index, a_served ? an : bn, reason_names[e->reason],
                 reason_descriptions[e->reason], a_served ? bn : an,
                 v->value[a_served ? 1 : 0] == SHMF_DV_SERVED ? "served" : "refused");
    } else {
        snprintf(f.message, sizeof(f.message), "op %d: %s differs: %s has %s, %s has %s (%s)",
                 v->op_index, props[v->prop].name, an, shmf_diff_value_name(v->value[0]), bn,
                 v->value[1] == SHMF_DV_NA ? "none" : shmf_diff_value_name(v->value[1]),
                 props[v->prop].description);
    }
    return f;
}

static void run_side(struct shmf_diff *d, unsigned s, const struct shmf_target *t,
                     const struct shmf_prog *prog, struct shmf_exec_opts o)
{
    struct shmf_diff_side *sd = &d->side[s];
    sd->nev = 0;
    sd->injected = 0;
    sd->pf_vports = false;
    o.observe = observe;
    o.observe_ud = sd;
    shmf_exec_run(t, prog, &o, &sd->res);
}

void shmf_diff_run(struct shmf_diff *d, const struct shmf_target *provider,
                   const struct shmf_prog *prog, const struct shmf_exec_opts *opts,
                   struct shmf_exec_result *res)
{
    struct shmf_exec_opts o =
        opts ? *opts : (struct shmf_exec_opts){.verify_flags = SHMF_VERIFY_F_ALL};
    d->side[0].name = provider->provider.name ? provider->provider.name : provider->path;
    d->counts.runs++;
    d->diverged = false;
    run_side(d, 0, provider, prog, o);
    *res = d->side[0].res;
    if (res->findings) { /* the provider's own finding says more */
        d->side[1].nev = 0;
        memset(&d->side[1].res, 0, sizeof(d->side[1].res));
        return;
    }
    run_side(d, 1, &d->against, prog, o);
    compare(d, prog);
    if (!d->diverged)
        return;
    res->findings = 1;
    res->first = divergence_finding(d);
    res->failing_op = d->div.op_index;
}

int shmf_diff_open(struct shmf_diff *d, const char *against, const char *const *allow,
                   unsigned nallow, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    int rc = shmf_target_open(against, &d->against, err, errlen);
    if (rc)
        return rc;
    d->side[1].name = d->against.provider.name ? d->against.provider.name : against;
    for (unsigned i = 0; i < nallow && rc == 0; i++)
        rc = shmf_diff_rules_load(&d->rules, allow[i], err, errlen);
    if (rc)
        shmf_diff_close(d);
    return rc;
}

void shmf_diff_close(struct shmf_diff *d)
{
    for (unsigned s = 0; s < SHMF_DIFF_SIDES; s++)
        free(d->side[s].ev);
    shmf_diff_rules_free(d->rules);
    memset(d, 0, sizeof(*d));
}
