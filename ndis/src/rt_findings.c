/*
 * rt_findings.c -- the finding catalogue's tables and the recorder.
 * layer: 11 base (calls rt_base.c, rt_cpu.c)
 *
 * Findings are kept in a small fixed array (the first SHMF_MAX_FINDINGS of a
 * world); the count keeps growing so callers can tell that more happened.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "rt_internal.h"

/* === Catalogue === */

static const char *const kind_names[] = {
#define SHMF_KIND_NAME(e, n, d, s) n,
    SHMF_FINDING_KINDS(SHMF_KIND_NAME)
#undef SHMF_KIND_NAME
};
static const char *const kind_descriptions[] = {
#define SHMF_KIND_DESC(e, n, d, s) d,
    SHMF_FINDING_KINDS(SHMF_KIND_DESC)
#undef SHMF_KIND_DESC
};
static const char *const kind_sources[] = {
#define SHMF_KIND_SRC(e, n, d, s) s,
    SHMF_FINDING_KINDS(SHMF_KIND_SRC)
#undef SHMF_KIND_SRC
};
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == SHMF_KIND_COUNT, "names");
_Static_assert(sizeof(kind_sources) / sizeof(kind_sources[0]) == SHMF_KIND_COUNT, "srcs");

const char *shmf_kind_name(enum shmf_kind kind)
{
    return (unsigned)kind < SHMF_KIND_COUNT ? kind_names[kind] : "unknown";
}

const char *shmf_kind_description(enum shmf_kind kind)
{
    return (unsigned)kind < SHMF_KIND_COUNT ? kind_descriptions[kind] : "unknown";
}

const char *shmf_kind_source(enum shmf_kind kind)
{
    return (unsigned)kind < SHMF_KIND_COUNT ? kind_sources[kind] : "unknown";
}

int shmf_kind_from_name(const char *name)
{
    for (int i = 0; i < SHMF_KIND_COUNT; i++)
        if (strcmp(kind_names[i], name) == 0)
            return i;
    /* Sanitizer crashes are reported as crash-<type>; they all map to CRASH. */
    if (strncmp(name, "crash-", 6) == 0)
        return SHMF_KIND_CRASH;
    return -1;
}

/* === Recorder === */

static struct shmf_finding findings[SHMF_MAX_FINDINGS]; /* written under SHMF_LK_FINDINGS */
static atomic_uint finding_count;
static atomic_int current_op = -1;
static shmf_finding_fn finding_handler;
static void *finding_handler_ud;

void shmf_rt_set_finding_handler(shmf_finding_fn fn, void *ud)
{
    finding_handler = fn;
    finding_handler_ud = ud;
}

static shmf_locate_fn locator;

void shmf_rt_set_locator(shmf_locate_fn fn)
{
    locator = fn;
}

void shmf_rt_get_finding_handler(shmf_finding_fn *fn, void **ud)
{
    *fn = finding_handler;
    *ud = finding_handler_ud;
}

unsigned shmf_rt_finding_count(void)
{
    return atomic_load(&finding_count);
}

const struct shmf_finding *shmf_rt_finding(unsigned i)
{
    unsigned n = shmf_rt_finding_count();
    if (i >= n || i >= SHMF_MAX_FINDINGS)
        return NULL;
    return &findings[i];
}

void (*shmf__op_end_hook)(void);

void shmf_rt_set_op_index(int32_t op_index)
{
#ifndef NDEBUG
    /* The executor calls this before each op: the one before (or the load)
       has ended. */
    if (op_index >= 0 && shmf__op_end_hook)
        shmf__op_end_hook();
#endif
    atomic_store(&current_op, op_index);
}

int32_t shmf_rt_op_index(void)
{
    return atomic_load(&current_op);
}

void shmf_rt_clear_findings(void)
{
    shmf__lock(SHMF_LK_FINDINGS);
    atomic_store(&finding_count, 0);
    memset(findings, 0, sizeof(findings));
    shmf__unlock(SHMF_LK_FINDINGS);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void record(enum shmf_kind kind, uint64_t object, const char *function, const char *rule,
                   const char *fmt, va_list ap)
{
    struct shmf_finding f;
    memset(&f, 0, sizeof(f));
    f.kind = kind;
    f.object = object;
    f.op_index = atomic_load(&current_op);
    f.cpu = shmf__cpu()->index;
    copy_str(f.function, sizeof(f.function), function);
    copy_str(f.rule, sizeof(f.rule), rule ? rule : shmf_kind_source(kind));
    vsnprintf(f.message, sizeof(f.message), fmt, ap);
    if (locator && atomic_load(&finding_count) < SHMF_MAX_FINDINGS)
        locator(&f);

    /* Innermost lock: any subsystem may report while it holds its own.  The
       handler runs under it, so handlers see findings one at a time. */
    shmf__lock(SHMF_LK_FINDINGS);
    unsigned i = atomic_fetch_add(&finding_count, 1);
    if (i < SHMF_MAX_FINDINGS)
        findings[i] = f;
    if (finding_handler)
        finding_handler(&f, finding_handler_ud);
    shmf__unlock(SHMF_LK_FINDINGS);
}

void shmf__report(enum shmf_kind kind, uint64_t object, const char *function, const char *rule,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(kind, object, function, rule, fmt, ap);
    va_end(ap);
}

void shmf_rt_report(enum shmf_kind kind, uint64_t object, const char *function, const char *rule,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(kind, object, function, rule, fmt, ap);
    va_end(ap);
}
