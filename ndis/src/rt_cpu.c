/*
 * rt_cpu.c -- simulated processors: each thread's processor and its IRQL as
 * state, processor and NUMA queries, interlocked operations.  The IRQL rules
 * (KeRaiseIrql/KeLowerIrql, the checks every routine makes) are in rt_irql.c.
 * layer: 10 base (calls nothing of the runtime)
 *
 * Each thread is one simulated processor.
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

/* === Interlocked operations === */

LONG NdisInterlockedIncrement(PLONG Addend)
{
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}

LONG NdisInterlockedDecrement(PLONG Addend)
{
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}

VOID ShmfRtListYield(VOID)
{
    shmf__yield("list");
}
