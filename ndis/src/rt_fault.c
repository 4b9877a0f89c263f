/*
 * rt_fault.c -- deterministic fault injection, carried in the input.
 *
 * Modes (may be combined): fail the Nth allocation attempt (then every Kth after
 * it), and fail the first attempt from each call site (Driver Verifier's
 * systematic low-resources simulation).  Never unseeded chance.
 */
#include <string.h>

#include "rt_internal.h"

#define SHMF_SITE_SLOTS 256 /* power of two */

static struct shmf_fault_plan plan;
static uint64_t attempts;
static uint64_t injected;
static uintptr_t sites[SHMF_SITE_SLOTS];

void shmf_rt_set_fault_plan(const struct shmf_fault_plan *p)
{
    shmf__world_lock();
    if (p)
        plan = *p;
    else
        memset(&plan, 0, sizeof(plan));
    shmf__world_unlock();
}

void shmf__fault_reset(void)
{
    attempts = 0;
    injected = 0;
    memset(sites, 0, sizeof(sites));
}

uint64_t shmf_rt_alloc_attempts(void)
{
    return attempts;
}

uint64_t shmf_rt_faults_injected(void)
{
    return injected;
}

/* True the first time `site` is seen in this world (open addressing). */
static bool first_time_at(uintptr_t site)
{
    uintptr_t h = (site * 0x9E3779B97F4A7C15ull) >> 56;
    for (unsigned i = 0; i < SHMF_SITE_SLOTS; i++) {
        uintptr_t *slot = &sites[(h + i) & (SHMF_SITE_SLOTS - 1)];
        if (*slot == site)
            return false;
        if (*slot == 0) {
            *slot = site;
            return true;
        }
    }
    return false; /* table full: stop injecting for new sites */
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
    (void)function;
    shmf__world_lock();
    uint64_t n = ++attempts;
    bool fail = nth_hit(n);
    if (plan.first_per_site && first_time_at(site ^ (uintptr_t)function))
        fail = true;
    if (fail)
        injected++;
    shmf__world_unlock();
    return fail;
}
