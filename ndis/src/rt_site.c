/*
 * rt_site.c -- call sites by source location.  The fault plan counts and
 * fails allocations per call site ("the first attempt from each site"); a
 * site is the return address of the allocation call, which depends on how
 * the provider was compiled: a helper that calls NdisAllocateMemory... is one
 * call instruction at -O0 and one per caller once -O2 inlines it.  So the same
 * input failed other allocations in a fuzz target (optimized) than in
 * `shmfuzz replay` (a debug build), and a finding did not replay.  Here every
 * return address maps to the first one seen with the same source location
 * (file, line and column of the call instruction, from the module's DWARF
 * line table, which names the inlined helper's own line), so a site is one
 * place in the source, whatever the build did with it.  Without line
 * information (a provider built without -g) an address stands for itself.
 *
 * A process loads each module once (the tools load one or two providers and
 * never unload one while another takes its addresses): the map is kept for
 * the process's life.  Lookups read it without a lock (entries are published
 * with release stores and never change); a miss takes the map's mutex and
 * asks libdw (elfutils), once per return address.
 * layer: 10 base (calls nothing of the runtime)
 */
#define _GNU_SOURCE
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_internal.h"

#define SITE_SLOTS 4096u /* power of two; past it, an address stands for itself */

/* Return address -> the first return address with its source location. */
static struct {
    uintptr_t ret, rep;
} map[SITE_SLOTS];
/* Source location (hash of module, file, line, column) -> its first address. */
static struct {
    uint64_t loc;
    uintptr_t rep;
} locs[SITE_SLOTS];
static pthread_mutex_t map_mutex = PTHREAD_MUTEX_INITIALIZER;
static Dwfl *dwfl;

static const Dwfl_Callbacks dwfl_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
};

static unsigned slot_of(uint64_t key)
{
    return (unsigned)((key * 0x9E3779B97F4A7C15ull) >> 52) & (SITE_SLOTS - 1);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* The modules of this process, as now mapped; NULL if libdw cannot read them. */
static Dwfl *modules(bool refresh)
{
    if (dwfl && !refresh)
        return dwfl;
    if (dwfl)
        dwfl_end(dwfl);
    dwfl = dwfl_begin(&dwfl_callbacks);
    if (dwfl &&
        (dwfl_linux_proc_report(dwfl, getpid()) != 0 || dwfl_report_end(dwfl, NULL, NULL) != 0)) {
        dwfl_end(dwfl);
        dwfl = NULL;
    }
    return dwfl;
}

static Dwfl_Module *module_of(Dwarf_Addr pc)
{
    Dwfl *d = modules(false);
    Dwfl_Module *mod = d ? dwfl_addrmodule(d, pc) : NULL;
    if (!mod && d) /* a module mapped since (a provider opened later) */
        mod = (d = modules(true)) ? dwfl_addrmodule(d, pc) : NULL;
    return mod;
}

/* Does the unit's code cover a (a module address)? */
static bool unit_covers(Dwarf_Die *cu, Dwarf_Addr a)
{
    Dwarf_Addr base, lo, hi;
    for (ptrdiff_t off = 0; (off = dwarf_ranges(cu, off, &base, &lo, &hi)) > 0;)
        if (lo <= a && a < hi)
            return true;
    return false;
}

/* The line-table row of pc, looked up unit by unit: clang emits no
   .debug_aranges, which dwfl_module_getsrc() needs. */
static Dwarf_Line *line_of(Dwfl_Module *mod, Dwarf_Addr pc)
{
    Dwarf_Addr bias;
    Dwarf *dw = mod ? dwfl_module_getdwarf(mod, &bias) : NULL;
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie;
    uint8_t unit_type;
    while (dw && dwarf_get_units(dw, cu, &cu, NULL, &unit_type, &cudie, NULL) == 0)
        if ((unit_type == DW_UT_compile || unit_type == DW_UT_partial) &&
            unit_covers(&cudie, pc - bias))
            return dwarf_getsrc_die(&cudie, pc - bias);
    return NULL;
}

/* Hash of the source location of the call before ret; 0 if unknown. */
static uint64_t location_of(uintptr_t ret)
{
    Dwfl_Module *mod = module_of((Dwarf_Addr)ret - 1);
    Dwarf_Line *l = line_of(mod, (Dwarf_Addr)ret - 1);
    int line = 0, col = 0;
    const char *file = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
    const char *name = mod ? dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL) : NULL;
    if (!file || dwarf_lineno(l, &line) != 0 || line <= 0)
        return 0;
    dwarf_linecol(l, &col);
    uint64_t h = fnv(0xcbf29ce484222325ull, name ? name : "", name ? strlen(name) : 0);
    h = fnv(h, file, strlen(file));
    h = fnv(h, &line, sizeof(line));
    h = fnv(fnv(h, &col, sizeof(col)), "", 1);
    return h ? h : 1;
}

/* The first address seen at loc (ret, if it is the first).  pre: map_mutex. */
static uintptr_t location_rep(uint64_t loc, uintptr_t ret)
{
    for (unsigned i = 0, k = slot_of(loc); i < SITE_SLOTS; i++, k = (k + 1) & (SITE_SLOTS - 1)) {
        if (locs[k].loc == loc)
            return locs[k].rep;
        if (locs[k].loc == 0) {
            locs[k].loc = loc;
            locs[k].rep = ret;
            return ret;
        }
    }
    return ret;
}

static uintptr_t lookup(uintptr_t ret)
{
    for (unsigned i = 0, k = slot_of(ret); i < SITE_SLOTS; i++, k = (k + 1) & (SITE_SLOTS - 1)) {
        /* acquire: pairs with the release store in shmf__site_canonical() */
        uintptr_t r = __atomic_load_n(&map[k].ret, __ATOMIC_ACQUIRE);
        if (r == ret)
            return map[k].rep;
        if (r == 0)
            return 0;
    }
    return ret; /* full: an address stands for itself */
}

uintptr_t shmf__site_canonical(uintptr_t ret)
{
    uintptr_t rep = ret ? lookup(ret) : ret;
    if (rep)
        return rep;
    pthread_mutex_lock(&map_mutex);
    rep = lookup(ret);
    if (!rep) {
        uint64_t loc = location_of(ret);
        rep = loc ? location_rep(loc, ret) : ret;
        for (unsigned k = slot_of(ret);; k = (k + 1) & (SITE_SLOTS - 1))
            if (map[k].ret == 0) {
                map[k].rep = rep;
                /* release: rep is written before the key that publishes it */
                __atomic_store_n(&map[k].ret, ret, __ATOMIC_RELEASE);
                break;
            }
    }
    pthread_mutex_unlock(&map_mutex);
    return rep;
}
