/*
 * rt_lock.c -- NDIS spin locks with the Driver Verifier / SDV spin-lock rules.
 *
 * The lock word (NDIS_SPIN_LOCK.SpinLock) is 0 when free, otherwise the owning
 * processor's index + 1, with SHMF_LOCK_DPR set when it was taken with
 * NdisDprAcquireSpinLock.  The IRQL saved at acquire lives in the lock, as in the
 * WDK (ndis-facts 9.16).  A recursive acquire is reported and not performed, so a
 * buggy provider does not deadlock the harness.
 * layer: 20 subsystem (calls the base only)
 */
#include <sched.h>

#include "rt_internal.h"

#define SHMF_LOCK_DPR ((ULONG_PTR)1 << 31)
#define SHMF_LOCK_OWNER_MASK (SHMF_LOCK_DPR - 1)

static ULONG_PTR owner_word(bool dpr)
{
    return (ULONG_PTR)(shmf__cpu()->index + 1) | (dpr ? SHMF_LOCK_DPR : 0);
}

static bool held_by_me(PNDIS_SPIN_LOCK l)
{
    /* acquire: pairs with the release store in drop() */
    ULONG_PTR w = __atomic_load_n(&l->SpinLock, __ATOMIC_ACQUIRE);
    return (w & SHMF_LOCK_OWNER_MASK) == shmf__cpu()->index + 1u;
}

static void take(PNDIS_SPIN_LOCK l, bool dpr)
{
    ULONG_PTR want = owner_word(dpr);
    for (;;) {
        ULONG_PTR expect = 0;
        /* acquire: pairs with the release store in drop() by the last holder */
        if (__atomic_compare_exchange_n(&l->SpinLock, &expect, want, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            break;
        if (shmf__yield_hook)
            shmf__yield_hook("spin");
        else
            sched_yield();
    }
    shmf__cpu()->locks_held++;
}

static void drop(PNDIS_SPIN_LOCK l)
{
    struct shmf_cpu *c = shmf__cpu();
    if (c->locks_held)
        c->locks_held--;
    /* release: pairs with the acquire CAS in take() by the next holder (and
       the acquire loads in held_by_me() and check_release()) */
    __atomic_store_n(&l->SpinLock, 0, __ATOMIC_RELEASE);
}

static bool check_recursive(PNDIS_SPIN_LOCK l, const char *fn)
{
    if (!held_by_me(l))
        return false;
    shmf__report(SHMF_KIND_SPINLOCK_RECURSIVE_ACQUIRE, (uint64_t)(uintptr_t)l, fn,
                 "DDI rule SpinLock 0x00040009", "%s of lock %p already held by processor %u", fn,
                 (void *)l, shmf__cpu()->index);
    return true;
}

/* Release checks: the caller holds the lock, taken with the matching routine. */
static bool check_release(PNDIS_SPIN_LOCK l, const char *fn, bool dpr)
{
    /* acquire: pairs with the release store in drop() */
    ULONG_PTR w = __atomic_load_n(&l->SpinLock, __ATOMIC_ACQUIRE);
    if (!held_by_me(l)) {
        shmf__report(SHMF_KIND_SPINLOCK_RELEASE_NOT_OWNER, (uint64_t)(uintptr_t)l, fn,
                     "NDIS SDV rule SpinLockRelease; DV 0xC4/0x32",
                     "%s of lock %p not held by processor %u (lock word %#lx)", fn, (void *)l,
                     shmf__cpu()->index, (unsigned long)w);
        return false;
    }
    if (((w & SHMF_LOCK_DPR) != 0) != dpr) {
        shmf__report(SHMF_KIND_SPINLOCK_RELEASE_NOT_OWNER, (uint64_t)(uintptr_t)l, fn,
                     "NdisAcquireSpinLock/NdisDprAcquireSpinLock pairing",
                     "%s of lock %p taken with %s", fn, (void *)l,
                     dpr ? "NdisAcquireSpinLock" : "NdisDprAcquireSpinLock");
        return false;
    }
    return true;
}

VOID NdisAllocateSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    SpinLock->SpinLock = 0;
    SpinLock->OldIrql = PASSIVE_LEVEL;
}

VOID NdisFreeSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    if (held_by_me(SpinLock))
        shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)(uintptr_t)SpinLock, "NdisFreeSpinLock",
                     "NdisFreeSpinLock page", "NdisFreeSpinLock of lock %p while it is held",
                     (void *)SpinLock);
}

VOID NdisAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    shmf__yield("NdisAcquireSpinLock");
    if (!shmf__irql_check_max(DISPATCH_LEVEL, "NdisAcquireSpinLock",
                              "IrqlKeDispatchLte; DV 0xC4/0x42"))
        return;
    if (check_recursive(SpinLock, "NdisAcquireSpinLock"))
        return;
    KIRQL old = shmf__cpu()->irql;
    take(SpinLock, false);
    SpinLock->OldIrql = old;
    shmf__irql_set(DISPATCH_LEVEL);
}

VOID NdisReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    shmf__yield("NdisReleaseSpinLock");
    if (!check_release(SpinLock, "NdisReleaseSpinLock", false))
        return;
    shmf__irql_check_eq(DISPATCH_LEVEL, "NdisReleaseSpinLock", "IrqlKeReleaseSpinLock");
    KIRQL old = SpinLock->OldIrql;
    drop(SpinLock);
    shmf__irql_set(old);
}

VOID NdisDprAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    shmf__yield("NdisDprAcquireSpinLock");
    if (shmf__cpu()->irql != DISPATCH_LEVEL) {
        shmf__report(SHMF_KIND_SPINLOCK_DPR_BELOW_DISPATCH, (uint64_t)(uintptr_t)SpinLock,
                     "NdisDprAcquireSpinLock", "NdisDprAcquireSpinLock page; DV 0xC4/0x40",
                     "NdisDprAcquireSpinLock of lock %p at IRQL %u", (void *)SpinLock,
                     (unsigned)shmf__cpu()->irql);
        return;
    }
    if (check_recursive(SpinLock, "NdisDprAcquireSpinLock"))
        return;
    take(SpinLock, true);
}

VOID NdisDprReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    shmf__yield("NdisDprReleaseSpinLock");
    if (shmf__cpu()->irql != DISPATCH_LEVEL) {
        shmf__report(SHMF_KIND_SPINLOCK_DPR_BELOW_DISPATCH, (uint64_t)(uintptr_t)SpinLock,
                     "NdisDprReleaseSpinLock", "NdisDprReleaseSpinLock page; DV 0xC4/0x41",
                     "NdisDprReleaseSpinLock of lock %p at IRQL %u", (void *)SpinLock,
                     (unsigned)shmf__cpu()->irql);
        return;
    }
    if (!check_release(SpinLock, "NdisDprReleaseSpinLock", true))
        return;
    drop(SpinLock);
}
