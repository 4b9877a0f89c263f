/*
 * rt_fault.c -- deterministic fault injection, carried in the input.
 *
 * Modes (may be combined): fail the Nth allocation attempt (then every Kth after
 * it); fail the first attempt from each call site (Driver Verifier's systematic
 * low-resources simulation); fail with a probability decided by a hash of a
 * recorded seed and the attempt number (its randomized simulation, made
 * replayable).  Never unseeded chance.  Counters are kept per call site.
 *
 * Per-processor homes (docs/stress.md, "Homes").  While the plan injects
 * nothing (no mode on: the stress runner, most fuzz inputs until a fault op),
 * an attempt only counts: it goes to the calling processor's home (its own
 * lock, attempt counter and call-site table) and takes no shared lock.  With a
 * mode on, attempts take the shared path (SHMF_LK_FAULT), numbered after every
 * attempt counted in the homes, so fail_nth means the same Nth attempt as with
 * one shared counter; a site is "fresh" for first_per_site only if no home has
 * seen it either.  Every site entry carries the attempt number that first saw
 * it, so the merged site list keeps the first-seen order.
 * layer: 20 subsystem (calls the base only)
 */
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

#define SHMF_SITE_SLOTS 256 /* power of two */

/* An open-addressed table of call sites, plus their first-seen order. */
struct site_table {
    struct shmf_fault_site s[SHMF_SITE_SLOTS];
    uint64_t first[SHMF_SITE_SLOTS]; /* attempt number (1-based) that added s[k] */
    uint16_t order[SHMF_SITE_SLOTS];
    unsigned n;
};

/* Access under SHMF_LK_FAULT. */
static struct shmf_fault_plan plan;
static uint64_t attempts; /* attempts on the shared path; atomic: the homes read it */
static uint64_t injected;
static struct site_table sites;
/* plan has a mode on.  Written under SHMF_LK_FAULT with release; read with
   acquire by shmf__fault_should_fail before it picks its path. */
static bool plan_active;

/* One processor's counting home.  `attempts` is written under `lock` and read
   relaxed by the shared path and the readers (a sum of counters that are frozen
   while the plan is active); the table is accessed under `lock`. */
static struct fault_home {
    unsigned lock; /* level SHMF_LK_FAULT_HOME */
    uint64_t attempts;
    struct site_table sites;
} __attribute__((aligned(64))) fhomes[SHMF_MAX_CPUS];

static struct fault_home *fhome_lock(unsigned h)
{
    shmf__lock_home(SHMF_LK_FAULT_HOME, &fhomes[h].lock);
    return &fhomes[h];
}

static void fhome_unlock(struct fault_home *H)
{
    shmf__unlock_home(SHMF_LK_FAULT_HOME, &H->lock);
}

static uint64_t homes_attempts(void)
{
    uint64_t n = 0;
    for (unsigned h = 0; h < SHMF_MAX_CPUS; h++)
        n += __atomic_load_n(&fhomes[h].attempts, __ATOMIC_RELAXED);
    return n;
}

void shmf_rt_set_fault_plan(const struct shmf_fault_plan *p)
{
    shmf__lock(SHMF_LK_FAULT);
    if (p)
        plan = *p;
    else
        memset(&plan, 0, sizeof(plan));
    /* release: pairs with the acquire load in shmf__fault_should_fail() */
    __atomic_store_n(&plan_active,
                     plan.fail_nth != 0 || plan.random_permille != 0 || plan.first_per_site,
                     __ATOMIC_RELEASE);
    shmf__unlock(SHMF_LK_FAULT);
}

void shmf__fault_reset(void)
{
    shmf__lock(SHMF_LK_FAULT);
    __atomic_store_n(&attempts, 0, __ATOMIC_RELAXED);
    injected = 0;
    memset(&sites, 0, sizeof(sites));
    for (unsigned h = 0; h < SHMF_MAX_CPUS; h++) {
        struct fault_home *H = fhome_lock(h);
        if (H->attempts) {
            __atomic_store_n(&H->attempts, 0, __ATOMIC_RELAXED);
            memset(&H->sites, 0, sizeof(H->sites));
        }
        fhome_unlock(H);
    }
    shmf__unlock(SHMF_LK_FAULT);
}

uint64_t shmf_rt_alloc_attempts(void)
{
    shmf__lock(SHMF_LK_FAULT);
    uint64_t n = attempts + homes_attempts();
    shmf__unlock(SHMF_LK_FAULT);
    return n;
}

uint64_t shmf_rt_faults_injected(void)
{
    shmf__lock(SHMF_LK_FAULT);
    uint64_t n = injected;
    shmf__unlock(SHMF_LK_FAULT);
    return n;
}

/* The counters of `site` in t, added on first sight by attempt n (*fresh set,
   unless add is false: then NULL); NULL when full. */
static struct shmf_fault_site *site_slot(struct site_table *t, uintptr_t site, const char *function,
                                         uint64_t n, bool add, bool *fresh)
{
    uintptr_t h = (site * 0x9E3779B97F4A7C15ull) >> 56;
    *fresh = false;
    for (unsigned i = 0; i < SHMF_SITE_SLOTS; i++) {
        unsigned k = (unsigned)((h + i) & (SHMF_SITE_SLOTS - 1));
        if (t->s[k].site == site && t->s[k].function == function)
            return &t->s[k];
        if (t->s[k].site == 0) {
            if (!add)
                return NULL;
            t->s[k] = (struct shmf_fault_site){site, function, 0, 0};
            t->first[k] = n;
            t->order[t->n++] = (uint16_t)k;
            *fresh = true;
            return &t->s[k];
        }
    }
    return NULL;
}

struct merged_site {
    struct shmf_fault_site s;
    uint64_t first;
};

static int by_first(const void *a, const void *b)
{
    uint64_t x = ((const struct merged_site *)a)->first, y = ((const struct merged_site *)b)->first;
    return x < y ? -1 : x > y;
}

/* Add t's sites to m[0..*n), summing a site seen in several tables. */
static void merge_sites(struct merged_site *m, unsigned *n, const struct site_table *t)
{
    for (unsigned i = 0; i < t->n; i++) {
        unsigned k = t->order[i], j;
        for (j = 0; j < *n; j++)
            if (m[j].s.site == t->s[k].site && m[j].s.function == t->s[k].function)
                break;
        if (j == *n) {
            if (*n == SHMF_SITE_SLOTS)
                continue; /* as one full table would drop it */
            m[(*n)++] = (struct merged_site){t->s[k], t->first[k]};
            continue;
        }
        m[j].s.attempts += t->s[k].attempts;
        m[j].s.injected += t->s[k].injected;
        if (t->first[k] < m[j].first)
            m[j].first = t->first[k];
    }
}

void shmf_rt_fault_sites(void (*fn)(const struct shmf_fault_site *s, void *ud), void *ud)
{
    static struct merged_site m[SHMF_SITE_SLOTS]; /* under SHMF_LK_FAULT */
    unsigned n = 0;
    shmf__lock(SHMF_LK_FAULT);
    merge_sites(m, &n, &sites);
    for (unsigned h = 0; h < SHMF_MAX_CPUS; h++) {
        struct fault_home *H = fhome_lock(h);
        merge_sites(m, &n, &H->sites);
        fhome_unlock(H);
    }
    qsort(m, n, sizeof(m[0]), by_first);
    for (unsigned i = 0; i < n; i++)
        fn(&m[i].s, ud);
    shmf__unlock(SHMF_LK_FAULT);
}

/* splitmix64 of the seed and the attempt number: the same plan and the same
   sequence of attempts always fail the same ones. */
static bool random_hit(uint64_t n)
{
    if (plan.random_permille == 0)
        return false;
    uint64_t z = plan.random_seed + n * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return z % 1000 < plan.random_permille;
}

static bool nth_hit(uint64_t n)
{
    if (plan.fail_nth == 0 || n < plan.fail_nth)
        return false;
    if (n == plan.fail_nth)
        return true;
    return plan.fail_every != 0 && (n - plan.fail_nth) % plan.fail_every == 0;
}

/* Has any processor's home seen `site` from `function`?  pre: SHMF_LK_FAULT. */
static bool homes_saw(uintptr_t site, const char *function)
{
    bool seen = false, fresh;
    for (unsigned h = 0; h < SHMF_MAX_CPUS && !seen; h++) {
        struct fault_home *H = fhome_lock(h);
        seen = H->sites.n && site_slot(&H->sites, site, function, 0, false, &fresh);
        fhome_unlock(H);
    }
    return seen;
}

bool shmf__fault_should_fail(const char *function, uintptr_t site)
{
    bool fresh;
    site = shmf__site_canonical(site); /* one place in the source, however compiled */
    /* acquire: pairs with the release store in shmf_rt_set_fault_plan() */
    if (!__atomic_load_n(&plan_active, __ATOMIC_ACQUIRE)) {
        /* Nothing to inject: count in this processor's home. */
        struct fault_home *H = fhome_lock(shmf__cpu()->index % SHMF_MAX_CPUS);
        uint64_t n = H->attempts + 1;
        __atomic_store_n(&H->attempts, n, __ATOMIC_RELAXED);
        /* first-seen stamp: exact with one processor (the other homes are
           empty), approximate across processors, where the order is a race. */
        struct shmf_fault_site *s = site_slot(
            &H->sites, site, function,
            __atomic_load_n(&attempts, __ATOMIC_RELAXED) + homes_attempts(), true, &fresh);
        if (s)
            s->attempts++;
        fhome_unlock(H);
        return false;
    }
    shmf__lock(SHMF_LK_FAULT);
    uint64_t n = __atomic_add_fetch(&attempts, 1, __ATOMIC_RELAXED) + homes_attempts();
    struct shmf_fault_site *s = site_slot(&sites, site, function, n, true, &fresh);
    if (fresh && plan.first_per_site)
        fresh = !homes_saw(site, function);
    bool fail = nth_hit(n) || random_hit(n) || (plan.first_per_site && fresh);
    if (s) {
        s->attempts++;
        s->injected += fail;
    }
    if (fail)
        injected++;
    shmf__unlock(SHMF_LK_FAULT);
    return fail;
}

/* === Invariants === */

/* Table t: its n entries are used slots, listed in first-seen order, and no
   site was injected more often than attempted. */
static bool site_table_is_valid(const struct site_table *t)
{
    unsigned used = 0;
    if (t->n > SHMF_SITE_SLOTS)
        return false;
    for (unsigned k = 0; k < SHMF_SITE_SLOTS; k++) {
        if (!t->s[k].site)
            continue;
        used++;
        if (t->s[k].injected > t->s[k].attempts)
            return false;
    }
    for (unsigned i = 0; i < t->n; i++)
        if (t->order[i] >= SHMF_SITE_SLOTS || !t->s[t->order[i]].site)
            return false;
    return used == t->n;
}

/* Invariant: every site table is consistent; no more faults injected than
   attempts made on the shared path. */
bool shmf__fault_is_valid(void)
{
    shmf__lock(SHMF_LK_FAULT);
    bool ok =
        site_table_is_valid(&sites) && injected <= __atomic_load_n(&attempts, __ATOMIC_RELAXED);
    for (unsigned h = 0; h < SHMF_MAX_CPUS && ok; h++) {
        struct fault_home *H = fhome_lock(h);
        ok = site_table_is_valid(&H->sites);
        fhome_unlock(H);
    }
    shmf__unlock(SHMF_LK_FAULT);
    return ok;
}
