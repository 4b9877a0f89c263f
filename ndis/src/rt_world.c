/*
 * rt_world.c -- one world per input, on top of everything: reset and release
 * of every subsystem, provider load and unload with the leak checks that
 * follow, and the invariant checks of every table.
 * layer: 30 top (calls every layer below; nothing calls it)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_shm.h"

/* Written at load and unload, while no processor runs provider code. */
static bool provider_loaded;
static struct shmf_provider provider;

/* === Invariants ===
 * Every table's checker, bottom up: run at the end of every op in debug builds
 * (the hook shmf_rt_set_op_index calls, rt_findings.c) and by the tests. */

static const struct {
    const char *name;
    bool (*is_valid)(void);
} checkers[] = {
    {"base (a runtime lock held between ops)", shmf__base_is_valid},
    {"fault", shmf__fault_is_valid},
    {"pages", shmf__pages_is_valid},
    {"mdl", shmf__mdl_is_valid},
    {"pool", shmf__pool_is_valid},
    {"queue", shmf__queue_is_valid},
    {"overlap", shmf__ovl_is_valid},
    {"shm", shmf__shm_is_valid},
    {"guard", shmf__guard_is_valid},
};

bool shmf_rt_check_invariants(void)
{
    bool ok = true;
    for (size_t i = 0; i < sizeof(checkers) / sizeof(checkers[0]); i++) {
        if (checkers[i].is_valid())
            continue;
        fprintf(stderr, "shmfuzz runtime: invariant of %s violated\n", checkers[i].name);
        ok = false;
    }
    return ok;
}

#ifndef NDEBUG
/* Corruption of the runtime's own tables: stop at once (debug builds). */
static void check_or_abort(void)
{
    if (!shmf_rt_check_invariants())
        abort();
}
#endif

/* === Reset === */

void shmf_rt_reset(uint32_t flags, const struct shmf_fault_plan *plan)
{
    shmf__world_lock();
    shmf__set_verify_flags(flags & SHMF_VERIFY_F_MASK);
    shmf__set_teardown(false);
    provider_loaded = false;
    memset(&provider, 0, sizeof(provider));
    shmf__driver_reset();
    shmf_rt_clear_findings();
    shmf_rt_set_op_index(-1);
    shmf__fault_reset();
    shmf_rt_set_fault_plan(plan);
    shmf__shm_reset();
    shmf__queue_reset();
    shmf__pool_reset();
    shmf__pages_reset();
    shmf__mdl_reset();
    shmf__cpus_reset();
#ifndef NDEBUG
    shmf__op_end_hook = check_or_abort; /* every op's end, in debug builds */
#endif
    shmf__world_unlock();
}

void shmf_rt_release(void)
{
    shmf__world_lock();
    provider_loaded = false;
    shmf__shm_reset();
    shmf__pool_reset();
    shmf__pages_reset();
    shmf__mdl_reset();
    shmf__world_unlock();
}

/* === Providers === */

bool shmf_rt_provider_loaded(void)
{
    return provider_loaded;
}

/* The short form: ShmfProviderSetOptions with the NDIS driver handle. */
static int load_short_form(const struct shmf_provider *p)
{
    struct shmf_handler_frame fr;
    shmf__handler_enter(&fr);
    NDIS_STATUS st = p->set_options(shmf_rt_driver_handle(), NULL);
    shmf__handler_exit(&fr, "ShmfProviderSetOptions");
    return st == NDIS_STATUS_SUCCESS ? 0 : -ENODEV; /* e.g. under fault injection */
}

int shmf_rt_provider_load(const struct shmf_provider *p)
{
    if (!p || (!p->set_options && !p->driver_entry))
        return -EINVAL;
    provider = *p;
    int rc = p->set_options ? load_short_form(p) : shmf__driver_load(p->driver_entry);
    if (rc != 0)
        return rc;
    const char *who = p->set_options ? "ShmfProviderSetOptions" : "DriverEntry";
    if (!shmf__shm_registered()) {
        shmf__report(SHMF_KIND_REGISTER_MISSING_HANDLER, 0, who, "NdisSetOptionalHandlers page",
                     "%s returned success without registering shared-memory provider "
                     "characteristics%s",
                     who, p->set_options ? "" : " (from the driver's SetOptionsHandler)");
        if (!p->set_options)
            shmf__driver_unload(); /* give the driver back its registration */
        return -EINVAL;
    }
    provider_loaded = true;
    return 0;
}

void shmf_rt_provider_unload(void)
{
    struct shmf_handler_frame fr;
    shmf__set_teardown(true);
    if (provider_loaded && !provider.set_options) {
        shmf__driver_unload(); /* a driver: its driver object's DriverUnload */
    } else if (provider_loaded && provider.unload) { /* the short form */
        shmf__handler_enter(&fr);
        provider.unload(shmf_rt_driver_handle());
        shmf__handler_exit(&fr, "ShmfProviderUnload");
    }
    provider_loaded = false;
    if (shmf__verify_flags() & SHMF_VERIFY_F_SHM)
        shmf__shm_check_leaks();
    if (shmf__verify_flags() & SHMF_VERIFY_F_POOL) {
        shmf__pool_check_all();
        shmf__pool_check_leaks();
        shmf__pages_check_freed();
        shmf__pages_check_leaks();
    }
    shmf__shm_reset();
    shmf__set_teardown(false);
}
