/*
 * rt_irql.c -- the IRQL rules: the checks every ndis.h routine makes first,
 * KeRaiseIrql/KeLowerIrql, and the frames saved around each call into provider
 * code (a handler must return at its IRQL with no spin lock held).  Also the
 * list-integrity report of the wdm.h list macros.
 * layer: 12 base (calls rt_cpu.c, rt_findings.c)
 *
 * The raise stack records the IRQL each KeRaiseIrql returned, so KeLowerIrql
 * can insist on restoring exactly that value in LIFO order (IrqlKeRaiseLower2;
 * ndis-facts 9.20 item 9).
 */
#include "rt_internal.h"

#define this_cpu (*shmf__cpu())

/* === Checks === */

bool shmf__irql_check_max(KIRQL max, const char *function, const char *rule)
{
    if (this_cpu.irql <= max)
        return true;
    shmf__report(SHMF_KIND_IRQL_TOO_HIGH, this_cpu.irql, function, rule,
                 "%s called at IRQL %u; it requires IRQL <= %u", function, (unsigned)this_cpu.irql,
                 (unsigned)max);
    return false;
}

bool shmf__irql_check_eq(KIRQL level, const char *function, const char *rule)
{
    if (this_cpu.irql == level)
        return true;
    shmf__report(this_cpu.irql > level ? SHMF_KIND_IRQL_TOO_HIGH : SHMF_KIND_IRQL_NOT_RESTORED,
                 this_cpu.irql, function, rule, "%s called at IRQL %u; it requires IRQL == %u",
                 function, (unsigned)this_cpu.irql, (unsigned)level);
    return false;
}

/* === IRQL routines === */

KIRQL KeGetCurrentIrql(VOID)
{
    return this_cpu.irql;
}

KIRQL KfRaiseIrql(KIRQL NewIrql)
{
    shmf__yield("KeRaiseIrql");
    KIRQL old = this_cpu.irql;
    if (NewIrql < old || NewIrql > HIGH_LEVEL) {
        shmf__report(SHMF_KIND_IRQL_NOT_RESTORED, NewIrql, "KeRaiseIrql",
                     "KeRaiseIrql page; DV 0xC4/0x30", "KeRaiseIrql to IRQL %u from higher IRQL %u",
                     (unsigned)NewIrql, (unsigned)old);
        return old;
    }
    if (this_cpu.raise_depth < sizeof(this_cpu.raise_stack))
        this_cpu.raise_stack[this_cpu.raise_depth] = old;
    this_cpu.raise_depth++;
    this_cpu.irql = NewIrql;
    return old;
}

KIRQL KeRaiseIrqlToDpcLevel(VOID)
{
    shmf__irql_check_max(DISPATCH_LEVEL, "KeRaiseIrqlToDpcLevel", "IrqlKeDispatchLte");
    if (this_cpu.irql > DISPATCH_LEVEL)
        return this_cpu.irql;
    return KfRaiseIrql(DISPATCH_LEVEL);
}

VOID KeLowerIrql(KIRQL NewIrql)
{
    shmf__yield("KeLowerIrql");
    KIRQL now = this_cpu.irql;
    if (NewIrql > now) {
        shmf__report(
            SHMF_KIND_IRQL_NOT_RESTORED, NewIrql, "KeLowerIrql", "KeLowerIrql page; DV 0xC4/0x31",
            "KeLowerIrql to IRQL %u above the current IRQL %u", (unsigned)NewIrql, (unsigned)now);
        return;
    }
    if (this_cpu.raise_depth == 0) {
        shmf__report(SHMF_KIND_IRQL_NOT_RESTORED, NewIrql, "KeLowerIrql", "IrqlKeRaiseLower",
                     "KeLowerIrql to IRQL %u without a matching KeRaiseIrql", (unsigned)NewIrql);
        this_cpu.irql = NewIrql;
        return;
    }
    this_cpu.raise_depth--;
    KIRQL expect = this_cpu.raise_depth < sizeof(this_cpu.raise_stack)
                       ? this_cpu.raise_stack[this_cpu.raise_depth]
                       : NewIrql;
    if (NewIrql != expect)
        shmf__report(SHMF_KIND_IRQL_NOT_RESTORED, NewIrql, "KeLowerIrql", "IrqlKeRaiseLower2",
                     "KeLowerIrql to IRQL %u; the matching KeRaiseIrql saved IRQL %u",
                     (unsigned)NewIrql, (unsigned)expect);
    this_cpu.irql = NewIrql;
}

/* === Handler frames === */

void shmf__handler_enter(struct shmf_handler_frame *fr)
{
    struct shmf_cpu *c = shmf__cpu();
    fr->irql = c->irql;
    fr->locks_held = c->locks_held;
    fr->raise_depth = c->raise_depth;
}

void shmf__handler_exit(const struct shmf_handler_frame *fr, const char *handler)
{
    struct shmf_cpu *c = shmf__cpu();
    if (c->locks_held != fr->locks_held)
        shmf__report(SHMF_KIND_SPINLOCK_HELD_ON_RETURN, c->locks_held - fr->locks_held, handler,
                     "DDI rule SpinLock 0x00040009; NDIS SDV SpinLockBalanced",
                     "%s returned holding %u spin lock(s)", handler,
                     c->locks_held - fr->locks_held);
    else if (c->irql != fr->irql)
        shmf__report(SHMF_KIND_IRQL_NOT_RESTORED, c->irql, handler,
                     "handler must return at the IRQL it was called at",
                     "%s was called at IRQL %u and returned at IRQL %u", handler,
                     (unsigned)fr->irql, (unsigned)c->irql);
    c->irql = fr->irql;
    c->locks_held = fr->locks_held;
    c->raise_depth = fr->raise_depth;
}

ULONG NdisGetSharedDataAlignment(VOID)
{
    shmf__irql_check_max(DISPATCH_LEVEL, "NdisGetSharedDataAlignment",
                         "Irql_Miscellaneous_Function");
    return 64;
}

VOID ShmfRtListCorrupt(PLIST_ENTRY Entry)
{
    shmf__report(SHMF_KIND_LIST_CORRUPT, (uint64_t)(uintptr_t)Entry, "RemoveEntryList",
                 "wdm.h list integrity checks; bug check 0x139/3",
                 "LIST_ENTRY %p is corrupt (a link is NULL or does not point back)", (void *)Entry);
}
