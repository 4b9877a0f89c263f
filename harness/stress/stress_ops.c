/*
 * stress_ops.c -- the stress runner's policy for the op engine (ops.h): the
 * sharing rules described in stress.c.
 *
 * Threads mode locks the block table and the NIC model with spin locks that
 * yield the processor after a while (a futex wait costs a context switch and,
 * in a VM, an idle exit and a wake-up IPI, more than most waits here);
 * interleave mode with co-mutexes.  Each processor maps its guarded buffers
 * once (no system call per op).  An alloc's queue field asks for the default
 * queue (or a raw id): another processor may free a NIC queue between the
 * lookup and the call.  A touch pins its block.  Reload, fault and cpu are
 * never generated (weight 0 in SHMF_OP_LIST).
 */
#include "stress_internal.h"

static bool stress_stop(struct shmf_ops_world *ow)
{
    return shmf__stopping((struct st_world *)ow);
}

void shmf__stress_policy(struct st_world *w)
{
    _Static_assert(offsetof(struct st_world, ow) == 0, "the engine's world comes first");
    w->pol = (struct shmf_ops_policy){
        .sync = w->interleave ? SHMF_OPS_SYNC_CO : SHMF_OPS_SYNC_SPIN,
        .guard = SHMF_OPS_GUARD_PERCPU,
        .nic_queues = false,
        .pin_touch = true,
        .stop = stress_stop,
    };
    w->ow.pol = &w->pol;
}
