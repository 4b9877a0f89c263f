/*
 * rt_cpu.c -- simulated processors: per-thread IRQL, KeRaiseIrql/KeLowerIrql
 * with their rules, processor and NUMA queries, interlocked operations.
 *
 * Each thread is one simulated processor.  The raise stack records the IRQL
 * each KeRaiseIrql returned, so KeLowerIrql can insist on restoring exactly that
 * value in LIFO order (IrqlKeRaiseLower2; ndis-facts 9.20 item 9).
 */
#include <stdatomic.h>

#include "rt_internal.h"

#define SHMF_NODE_COUNT 2

/* Simulated processors; each thread (or coroutine) points at one. */
static struct shmf_cpu cpus[SHMF_MAX_CPUS];
static _Thread_local struct shmf_cpu *cur;
shmf_yield_fn shmf__yield_hook;
/* KeQueryActiveProcessorCount: max(cpu_count_set, cpu_count_seen).  set: written
   between runs (shmf_rt_set_cpu_count); seen: raised by each attach (relaxed
   atomic max, read relaxed: a processor that queries has itself attached, so it
   sees at least its own index + 1), reset with the world. */
static uint32_t cpu_count_set = 1;
static uint32_t cpu_count_seen = 1;

#define this_cpu (*shmf__cpu())

struct shmf_cpu *shmf__cpu(void)
{
    if (!cur)
        cur = &cpus[0];
    return cur;
}

void shmf_rt_cpu_attach(uint32_t index)
{
    cur = &cpus[index % SHMF_MAX_CPUS];
    cur->index = index % SHMF_MAX_CPUS;
    uint32_t n = cur->index + 1;
    uint32_t seen = __atomic_load_n(&cpu_count_seen, __ATOMIC_RELAXED);
    while (seen < n && !__atomic_compare_exchange_n(&cpu_count_seen, &seen, n, true,
                                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

void shmf_rt_set_cpu_count(uint32_t n)
{
    cpu_count_set = n < 1 ? 1 : n > SHMF_MAX_CPUS ? SHMF_MAX_CPUS : n;
}

static uint32_t cpu_count(void)
{
    uint32_t seen = __atomic_load_n(&cpu_count_seen, __ATOMIC_RELAXED);
    return seen > cpu_count_set ? seen : cpu_count_set;
}

void shmf__cpus_reset(void)
{
    for (uint32_t i = 0; i < SHMF_MAX_CPUS; i++)
        cpus[i] = (struct shmf_cpu){.irql = PASSIVE_LEVEL, .index = i};
    __atomic_store_n(&cpu_count_seen, cur ? cur->index + 1 : 1, __ATOMIC_RELAXED);
}

void shmf_rt_set_yield_hook(shmf_yield_fn fn)
{
    shmf__yield_hook = fn;
}

void shmf__irql_set(KIRQL irql)
{
    this_cpu.irql = irql;
}

KIRQL shmf_rt_irql(void)
{
    return this_cpu.irql;
}

void shmf_rt_irql_set(KIRQL irql)
{
    this_cpu.irql = irql;
    this_cpu.raise_depth = 0;
}

uint64_t shmf_rt_irql_enter(KIRQL irql)
{
    uint64_t saved = (uint64_t)this_cpu.raise_depth << 8 | this_cpu.irql;
    this_cpu.irql = irql;
    this_cpu.raise_depth = 0;
    return saved;
}

void shmf_rt_irql_leave(uint64_t saved)
{
    this_cpu.irql = (KIRQL)(saved & 0xff);
    this_cpu.raise_depth = (uint32_t)(saved >> 8);
}

uint32_t shmf_rt_locks_held(void)
{
    return this_cpu.locks_held;
}

bool shmf__irql_check_max(KIRQL max, const char *function, const char *rule)
{
    if (this_cpu.irql <= max)
        return true;
    shmf__report(SHMF_KIND_IRQL_TOO_HIGH, this_cpu.irql, function, rule,
                 "%s called at IRQL %u; it requires IRQL <= %u", function,
                 (unsigned)this_cpu.irql, (unsigned)max);
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
                     "KeRaiseIrql page; DV 0xC4/0x30",
                     "KeRaiseIrql to IRQL %u from higher IRQL %u", (unsigned)NewIrql,
                     (unsigned)old);
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
        shmf__report(SHMF_KIND_IRQL_NOT_RESTORED, NewIrql, "KeLowerIrql",
                     "KeLowerIrql page; DV 0xC4/0x31",
                     "KeLowerIrql to IRQL %u above the current IRQL %u", (unsigned)NewIrql,
                     (unsigned)now);
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

/* === Processors and nodes === */

ULONG KeGetCurrentProcessorNumber(VOID)
{
    return this_cpu.index;
}

ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber)
{
    uint32_t i = this_cpu.index;
    if (ProcNumber)
        *ProcNumber = (PROCESSOR_NUMBER){.Group = 0, .Number = (UCHAR)i, .Reserved = 0};
    return i;
}

ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors)
{
    uint32_t n = cpu_count();
    if (ActiveProcessors)
        *ActiveProcessors = n >= 64 ? ~(KAFFINITY)0 : ((KAFFINITY)1 << n) - 1;
    return n;
}

USHORT KeQueryHighestNodeNumber(VOID)
{
    return SHMF_NODE_COUNT - 1;
}

USHORT KeGetCurrentNodeNumber(VOID)
{
    return (USHORT)(this_cpu.index % SHMF_NODE_COUNT);
}

/* === Interlocked operations and alignment === */

LONG NdisInterlockedIncrement(PLONG Addend)
{
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}

LONG NdisInterlockedDecrement(PLONG Addend)
{
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}

ULONG NdisGetSharedDataAlignment(VOID)
{
    shmf__irql_check_max(DISPATCH_LEVEL, "NdisGetSharedDataAlignment",
                         "Irql_Miscellaneous_Function");
    return 64;
}

VOID ShmfRtListYield(VOID)
{
    shmf__yield("list");
}
