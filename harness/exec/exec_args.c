/*
 * exec_args.c -- how an op's fields become a call: the allocate parameters and
 * SG buffer length, and the range a touch reads or writes.  Shared by the
 * executor and the stress runner.
 */
#include <string.h>

#include "exec.h"

/* Field value, or `dflt` when the field is 0 (zero means "the correct value"). */
static uint32_t or_default(uint32_t v, uint32_t dflt)
{
    return v ? v : dflt;
}

void shmf_exec_alloc_params(const struct shmf_op *op, ULONG queue_id,
                            NDIS_SHARED_MEMORY_PARAMETERS *p)
{
    const uint32_t *a = op->a;
    memset(p, 0, sizeof(*p));
    p->Header.Type = (UCHAR)or_default(a[SHMF_ARG_ALLOC_TYPE], NDIS_OBJECT_TYPE_DEFAULT);
    p->Header.Revision = (UCHAR)or_default(a[SHMF_ARG_ALLOC_REV], 2);
    p->Header.Size = (USHORT)or_default(a[SHMF_ARG_ALLOC_SIZE],
                                        p->Header.Revision == 1
                                            ? NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1
                                            : NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2);
    p->Flags = a[SHMF_ARG_ALLOC_FLAGS];
    p->QueueId = queue_id;
    p->PreferredNode = a[SHMF_ARG_ALLOC_NODE];
    p->Usage = (NDIS_SHARED_MEMORY_USAGE)a[SHMF_ARG_ALLOC_USAGE];
    p->Length = a[SHMF_ARG_ALLOC_LENGTH];
    p->VPortId = a[SHMF_ARG_ALLOC_VPORT];
}

ULONG shmf_exec_sg_length(const struct shmf_op *op, ULONG length)
{
    uint64_t n;
    if (op->a[SHMF_ARG_ALLOC_SGMODE] == 0)
        n = sizeof(SCATTER_GATHER_LIST) +
            sizeof(SCATTER_GATHER_ELEMENT) * (BYTES_TO_PAGES((uint64_t)length) + 1);
    else
        n = op->a[SHMF_ARG_ALLOC_SGLEN];
    return (ULONG)(n > SHMF_EXEC_MAX_SGLEN ? SHMF_EXEC_MAX_SGLEN : n);
}

bool shmf_exec_touch_range(const struct shmf_block_info *b, const struct shmf_op *op, uint64_t *off,
                           uint64_t *len)
{
    bool write = op->a[SHMF_ARG_TOUCH_WRITE] != 0;
    uint64_t limit = write ? b->length : ROUND_TO_PAGES((uint64_t)b->length);
    *off = op->a[SHMF_ARG_TOUCH_OFFSET] % limit;
    *len = op->a[SHMF_ARG_TOUCH_LEN] ? op->a[SHMF_ARG_TOUCH_LEN] : 1;
    if (*off + *len > limit)
        *len = limit - *off;
    return write;
}

void shmf_exec_touch_bytes(const struct shmf_block_info *b, uint64_t off, uint64_t len, bool write)
{
    /* Two processors (stress threads) may touch one block at once: that is the
       miniport's own sharing, not the provider's, so the bytes are accessed
       atomically (relaxed) and only races inside the provider show up under TSan. */
    unsigned char *va = (unsigned char *)b->virtual_address + off;
    unsigned sum = 0;
    for (uint64_t i = 0; i < len; i++) {
        if (write)
            __atomic_store_n(&va[i], (unsigned char)(off + i), __ATOMIC_RELAXED);
        else
            sum += __atomic_load_n(&va[i], __ATOMIC_RELAXED);
    }
    (void)sum;
}
