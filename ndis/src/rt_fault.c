/*
 * rt_fault.c -- deterministic fault injection, carried in the input.
 *
 * Modes (may be combined): fail the Nth allocation attempt (then every Kth after
 * it); fail the first attempt from each call site (Driver Verifier's systematic
 * low-resources simulation); fail with a probability decided by a hash of a
 * recorded seed and the attempt number (its randomized simulation, made
 * replayable).  Never unseeded chance.  Counters are kept per call site.
 */
#include <string.h>

#include "rt_internal.h"

#define SHMF_SITE_SLOTS 256 /* power of two */

/* Access under SHMF_LK_FAULT. */
static struct shmf_fault_plan plan;
static uint64_t attempts;
static uint64_t injected;
/* Open-addressed table of call sites, plus their first-seen order. */
static struct shmf_fault_site sites[SHMF_SITE_SLOTS];
static uint16_t site_order[SHMF_SITE_SLOTS];
static unsigned nsites;

void shmf_rt_set_fault_plan(const struct shmf_fault_plan *p)
{
    shmf__lock(SHMF_LK_FAULT);
    if (p)
        plan = *p;
    else
        memset(&plan, 0, sizeof(plan));
    shmf__unlock(SHMF_LK_FAULT);
}

void shmf__fault_reset(void)
{
    shmf__lock(SHMF_LK_FAULT);
    attempts = 0;
    injected = 0;
    memset(sites, 0, sizeof(sites));
    nsites = 0;
    shmf__unlock(SHMF_LK_FAULT);
}

uint64_t shmf_rt_alloc_attempts(void)
{
    shmf__lock(SHMF_LK_FAULT);
    uint64_t n = attempts;
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

/* The counters of `site`, added on first sight (*fresh set); NULL when full. */
static struct shmf_fault_site *site_slot(uintptr_t site, const char *function, bool *fresh)
{
    uintptr_t h = (site * 0x9E3779B97F4A7C15ull) >> 56;
    *fresh = false;
    for (unsigned i = 0; i < SHMF_SITE_SLOTS; i++) {
        unsigned k = (unsigned)((h + i) & (SHMF_SITE_SLOTS - 1));
        if (sites[k].site == site && sites[k].function == function)
            return &sites[k];
        if (sites[k].site == 0) {
            sites[k] = (struct shmf_fault_site){site, function, 0, 0};
            site_order[nsites++] = (uint16_t)k;
            *fresh = true;
            return &sites[k];
        }
    }
    return NULL;
}

void shmf_rt_fault_sites(void (*fn)(const struct shmf_fault_site *s, void *ud), void *ud)
{
    shmf__lock(SHMF_LK_FAULT);
    for (unsigned i = 0; i < nsites; i++)
        fn(&sites[site_order[i]], ud);
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

bool shmf__fault_should_fail(const char *function, uintptr_t site)
{
    bool fresh;
    shmf__lock(SHMF_LK_FAULT);
    uint64_t n = ++attempts;
    struct shmf_fault_site *s = site_slot(site, function, &fresh);
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
