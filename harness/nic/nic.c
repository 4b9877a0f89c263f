/*
 * nic.c -- the NIC model's queue life cycle and shared memory (the miniport's
 * part).  Contract in nic.h, private types in nic_internal.h, the data path in
 * nic_data.c; the model is described in docs/rings.md.
 */
#include "nic_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "shmfuzz/runtime.h"

unsigned shmf__nic_clamp(unsigned v, unsigned lo, unsigned hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

struct nic_queue *shmf__nic_queue_at(const struct shmf_nic *nic, unsigned slot)
{
    return nic->nqueues == 0 ? NULL : nic->queues[slot % nic->nqueues];
}

/* === Shared memory (PASSIVE_LEVEL) === */

static void block_free(struct shmf_nic *nic, struct nic_block *b)
{
    if (b->alloc != NULL)
        NdisFreeSharedMemory(nic->miniport, b->alloc);
    free(b->sg);
    memset(b, 0, sizeof(*b));
}

/* Keep what the miniport needs from a successful allocation. */
static int block_record(const NDIS_SHARED_MEMORY_PARAMETERS *p, const SCATTER_GATHER_LIST *sg,
                        ULONG sg_cap, NDIS_HANDLE h, struct nic_block *out)
{
    ULONG n = sg->NumberOfElements < sg_cap ? sg->NumberOfElements : sg_cap;

    out->alloc = h;
    out->smh = p->SharedMemoryHandle;
    out->va = p->VirtualAddress;
    out->length = p->Length;
    out->nsg = 0;
    out->sg = NULL;
    if (n == 0 || out->va == NULL)
        return 0;
    out->sg = malloc(n * sizeof(SCATTER_GATHER_ELEMENT));
    if (out->sg == NULL)
        return -ENOMEM;
    memcpy(out->sg, sg->Elements, n * sizeof(SCATTER_GATHER_ELEMENT));
    out->nsg = n;
    return 0;
}

static void params_init(NDIS_SHARED_MEMORY_PARAMETERS *p, ULONG qid, NDIS_SHARED_MEMORY_USAGE usage,
                        ULONG length, SCATTER_GATHER_LIST *sg, ULONG sg_len)
{
    memset(p, 0, NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2);
    p->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p->Header.Revision = NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2;
    p->Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2;
    p->QueueId = qid;
    p->PreferredNode = MM_ANY_NODE_OK;
    p->Usage = usage;
    p->Length = length;
    p->SGListBufferLength = sg_len;
    p->SGListBuffer = sg;
    p->VPortId = NDIS_DEFAULT_VPORT_ID;
}

/* One NdisAllocateSharedMemory call with guarded, exactly sized parameters and
   SG buffer (one element per page).  @return 0; -EAGAIN; -ENOMEM. */
int shmf__nic_block_alloc(struct shmf_nic *nic, ULONG qid, NDIS_SHARED_MEMORY_USAGE usage,
                          ULONG length, bool contiguous, struct nic_block *out)
{
    if (shmf_rt_irql() != PASSIVE_LEVEL)
        return -EAGAIN;
    ULONG pages = (ULONG)BYTES_TO_PAGES(length);
    ULONG sg_len = (ULONG)(sizeof(SCATTER_GATHER_LIST) + pages * sizeof(SCATTER_GATHER_ELEMENT));
    NDIS_SHARED_MEMORY_PARAMETERS *p =
        shmf_rt_guarded_alloc(NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2);
    SCATTER_GATHER_LIST *sg = shmf_rt_guarded_alloc(sg_len);
    NDIS_HANDLE h = NULL;
    int rc = -ENOMEM;

    if (p != NULL && sg != NULL) {
        memset(sg, 0, sg_len);
        params_init(p, qid, usage, length, sg, sg_len);
        if (contiguous)
            p->Flags |= NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS;
        if (NdisAllocateSharedMemory(nic->miniport, p, &h) == NDIS_STATUS_SUCCESS && h != NULL)
            rc = block_record(p, sg, pages, h, out);
        if (rc < 0 && h != NULL)
            NdisFreeSharedMemory(nic->miniport, h);
    }
    if (p != NULL)
        shmf_rt_guarded_free(p);
    if (sg != NULL)
        shmf_rt_guarded_free(sg);
    return rc;
}

/* === Carving receive buffers === */

static void add_buf(struct nic_queue *q, const struct nic_block *b, uint64_t off, uint64_t la)
{
    struct nic_buf *buf = &q->bufs[q->nbufs++];

    buf->va = b->va + off;
    buf->la = la;
    buf->smh = b->smh;
    buf->offset = (ULONG)off;
    buf->length = q->bufsize;
    buf->state = BUF_FREE;
}

/* Carve buffers, q->stride apart, from block b.  A buffer never straddles two
   SG elements (the runtime checks each DMA against one element, as a NIC with
   one descriptor per buffer needs): a buffer that would is moved to the start
   of the next element. */
static void carve_block(struct nic_queue *q, const struct nic_block *b, ULONG align)
{
    uint64_t off = 0, el_start = 0;

    for (ULONG e = 0; e < b->nsg && q->nbufs < q->count; e++) {
        uint64_t el_end = el_start + b->sg[e].Length;

        if (off < el_start)
            off = (el_start + align - 1) / align * align;
        while (off + q->bufsize <= el_end && off + q->bufsize <= b->length && q->nbufs < q->count) {
            add_buf(q, b, off, (uint64_t)b->sg[e].Address.QuadPart + (off - el_start));
            off += q->stride;
        }
        el_start = el_end;
    }
}

/* netvmini's policy: ask for everything, halve on failure, stop below one
   buffer; blocks are added until every ring element has a buffer. */
static int queue_memory_alloc(struct shmf_nic *nic, struct nic_queue *q, ULONG align)
{
    uint64_t want = (uint64_t)q->count * q->stride;
    bool contiguous = q->stride > PAGE_SIZE;

    while (q->nbufs < q->count && q->nblocks < NIC_MAX_BLOCKS) {
        uint64_t need = (uint64_t)(q->count - q->nbufs) * q->stride;
        if (want > need)
            want = need;
        if (want < q->stride)
            break;
        int rc = shmf__nic_block_alloc(nic, q->qid, NdisSharedMemoryUsageReceive, (ULONG)want,
                                       contiguous, &q->blocks[q->nblocks]);
        if (rc == -EAGAIN)
            return rc;
        if (rc < 0) {
            want = want / 2 / q->stride * q->stride;
            continue;
        }
        unsigned before = q->nbufs;
        carve_block(q, &q->blocks[q->nblocks++], align);
        if (q->nbufs == before)
            break;
    }
    return q->nbufs >= SHMF_NIC_MIN_BUFFERS ? 0 : -ENOMEM;
}

/* === Queue objects === */

/* A queue object and its buffer table go to the NIC's spare list rather than
   back to malloc: every provider load makes queue 0 again, and a malloc per
   load churned ASan's quarantine in the fuzz targets.  The table is made for
   the largest ring, so any spare fits any queue. */
#define NIC_BUFS_MAX (1u << SHMF_NIC_MAX_ORDER)

static void queue_destroy(struct shmf_nic *nic, struct nic_queue *q)
{
    for (unsigned i = 0; i < q->nblocks; i++)
        free(q->blocks[i].sg);
    free(q->xmit.sg);
    free(q->ring_buf);
    free(q->claimed);
    shmf_ring_destroy(q->fring);
    shmf_ring_destroy(q->pring);
    q->spare_next = nic->spare;
    nic->spare = q;
}

static struct nic_queue *queue_get(struct shmf_nic *nic)
{
    struct nic_queue *q = nic->spare;
    struct nic_buf *bufs;

    if (q != NULL) {
        nic->spare = q->spare_next;
        bufs = q->bufs;
    } else if ((q = malloc(sizeof(*q))) == NULL) {
        return NULL;
    } else if ((bufs = malloc(NIC_BUFS_MAX * sizeof(*bufs))) == NULL) {
        free(q);
        return NULL;
    }
    memset(q, 0, sizeof(*q));
    q->bufs = bufs;
    return q;
}

static struct nic_queue *queue_new(struct shmf_nic *nic, ULONG qid, unsigned order,
                                   unsigned bufsize, ULONG align)
{
    struct nic_queue *q = queue_get(nic);

    if (q == NULL)
        return NULL;
    q->qid = qid;
    q->state = SHMF_NIC_Q_ALLOCATED;
    q->count = 1u << shmf__nic_clamp(order, SHMF_NIC_MIN_ORDER, SHMF_NIC_MAX_ORDER);
    q->bufsize = shmf__nic_clamp(bufsize, SHMF_NIC_MIN_BUFSIZE, SHMF_NIC_MAX_BUFSIZE);
    q->stride = (q->bufsize + align - 1) / align * align;
    memset(q->bufs, 0, q->count * sizeof(*q->bufs));
    return q;
}

static int queue_rings_create(struct nic_queue *q)
{
    q->fring = shmf_ring_create(q->count, sizeof(SHMF_NET_FRAGMENT_SHM));
    q->pring = shmf_ring_create(q->count, sizeof(NET_PACKET));
    q->ring_buf = malloc(q->count * sizeof(*q->ring_buf));
    q->claimed = calloc(q->count, sizeof(*q->claimed));
    q->claim_gen = 1;
    if (!q->fring || !q->pring || !q->ring_buf || !q->claimed)
        return -ENOMEM;
    for (UINT32 i = 0; i < q->count; i++)
        q->ring_buf[i] = NO_BUF;
    return 0;
}

static ULONG shared_alignment(void)
{
    ULONG a = NdisGetSharedDataAlignment();

    return (a == 0 || (a & (a - 1)) != 0 || a > PAGE_SIZE) ? 64 : a;
}

/* Allocation complete: memory, rings, Running.  On failure the queue's blocks
   are freed and the queue stays without a data path. */
static int queue_start(struct shmf_nic *nic, struct nic_queue *q, ULONG align)
{
    int rc = queue_memory_alloc(nic, q, align);

    if (rc == 0)
        rc = queue_rings_create(q);
    if (rc < 0) {
        for (unsigned i = 0; i < q->nblocks; i++)
            block_free(nic, &q->blocks[i]);
        q->nblocks = 0;
        q->nbufs = 0;
        return rc;
    }
    q->state = SHMF_NIC_Q_RUNNING;
    return 0;
}

/* === Freeing a queue (documented order, ndis-facts.md section 5) === */

static void queue_teardown(struct shmf_nic *nic, struct nic_queue *q)
{
    shmf_rt_queue_dma_stop(q->qid, true);
    q->state = SHMF_NIC_Q_DMA_STOPPED;
    if (q->fring != NULL && q->pring != NULL)
        shmf__nic_cancel_ring(nic, q);
    q->state = SHMF_NIC_Q_FREEING;
    for (unsigned i = 0; i < q->nbufs; i++) {
        if (q->bufs[i].state == BUF_INDICATED)
            nic->stats.returned++;
        q->bufs[i].state = BUF_FREE;
    }
    for (unsigned i = 0; i < q->nblocks; i++)
        block_free(nic, &q->blocks[i]);
    q->nblocks = 0;
    block_free(nic, &q->xmit);
    shmf_rt_queue_dma_stop(q->qid, false);
    if (q->qid != NDIS_DEFAULT_RECEIVE_QUEUE_ID)
        shmf_rt_queue_freed(q->qid);
}

static void queue_remove(struct shmf_nic *nic, unsigned idx)
{
    queue_destroy(nic, nic->queues[idx]);
    memmove(&nic->queues[idx], &nic->queues[idx + 1],
            (nic->nqueues - idx - 1) * sizeof(nic->queues[0]));
    nic->queues[--nic->nqueues] = NULL;
}

/* === World === */

struct shmf_nic *shmf_nic_create(void)
{
    struct shmf_nic *nic = calloc(1, sizeof(*nic));

    if (nic != NULL) {
        nic->verify = true;
        shmf_nic_set_ring_advance(nic, NULL);
        shmf_nic_set_ring_cancel(nic, NULL);
        shmf_ring_snapshot_init(&nic->fsnap);
        shmf_ring_snapshot_init(&nic->psnap);
        for (size_t i = 0; i < sizeof(nic->ramp); i++)
            nic->ramp[i] = (unsigned char)i;
    }
    return nic;
}

static void forget_queues(struct shmf_nic *nic)
{
    while (nic->nqueues > 0)
        queue_remove(nic, nic->nqueues - 1);
}

void shmf_nic_clear(struct shmf_nic *nic)
{
    forget_queues(nic);
}

void shmf_nic_destroy(struct shmf_nic *nic)
{
    if (nic == NULL)
        return;
    forget_queues(nic);
    while (nic->spare != NULL) {
        struct nic_queue *q = nic->spare;
        nic->spare = q->spare_next;
        free(q->bufs);
        free(q);
    }
    shmf_ring_snapshot_fini(&nic->fsnap);
    shmf_ring_snapshot_fini(&nic->psnap);
    free(nic);
}

/* Queue 0 exists from the start and is Running, but its memory and rings are
   allocated on the first post / advance / rx / tx that needs them: most inputs
   never touch the default queue, and its allocation and free were a large part
   of an input's cost.  A miniport allocates this memory in MiniportInitializeEx
   at PASSIVE_LEVEL; when the first use comes at a raised IRQL, the allocation
   runs as the deferred initialization it stands for, at PASSIVE_LEVEL. */
int shmf_nic_reset(struct shmf_nic *nic, NDIS_HANDLE miniport_handle)
{
    forget_queues(nic);
    memset(&nic->stats, 0, sizeof(nic->stats));
    nic->seq = 0;
    nic->miniport = miniport_handle;
    nic->queues[0] = queue_new(nic, NDIS_DEFAULT_RECEIVE_QUEUE_ID, SHMF_NIC_DEFAULT_ORDER,
                               SHMF_NIC_DEFAULT_BUFSIZE, shared_alignment());
    if (nic->queues[0] == NULL)
        return -ENOMEM;
    nic->queues[0]->state = SHMF_NIC_Q_RUNNING;
    nic->queues[0]->lazy = true;
    nic->nqueues = 1;
    return 0;
}

int shmf__nic_queue_materialize(struct shmf_nic *nic, struct nic_queue *q)
{
    if (!q->lazy)
        return 0;
    q->lazy = false;
    uint64_t saved = shmf_rt_irql_enter(PASSIVE_LEVEL);
    int rc = queue_start(nic, q, shared_alignment());
    shmf_rt_irql_leave(saved);
    if (rc < 0)
        q->state = SHMF_NIC_Q_ALLOCATED; /* no data path, as a failed init */
    return rc;
}

void shmf_nic_set_verify(struct shmf_nic *nic, bool on)
{
    nic->verify = on;
}

/* === Ring driver routines ===
   The reference provider's routines noted so far: written under ref_lock, the
   entry before the count that publishes it (release store in
   shmf_nic_note_reference_ring, paired with the acquire load in is_reference). */
static struct {
    shmf_ring_advance_fn advance;
    shmf_ring_cancel_fn cancel;
} ref_routines[SHMF_NIC_MAX_REFERENCE];
static atomic_uint ref_count;
static pthread_mutex_t ref_lock = PTHREAD_MUTEX_INITIALIZER;

static bool is_reference(shmf_ring_advance_fn advance, shmf_ring_cancel_fn cancel)
{
    unsigned n = atomic_load_explicit(&ref_count, memory_order_acquire);

    for (unsigned i = 0; i < n; i++) {
        if ((advance != NULL && ref_routines[i].advance == advance) ||
            (cancel != NULL && ref_routines[i].cancel == cancel))
            return true;
    }
    return false;
}

void shmf_nic_note_reference_ring(shmf_ring_advance_fn advance, shmf_ring_cancel_fn cancel)
{
    if ((advance == NULL && cancel == NULL) || is_reference(advance, cancel))
        return;
    pthread_mutex_lock(&ref_lock);
    unsigned n = atomic_load_explicit(&ref_count, memory_order_relaxed);
    if (n < SHMF_NIC_MAX_REFERENCE) {
        ref_routines[n].advance = advance;
        ref_routines[n].cancel = cancel;
        atomic_store_explicit(&ref_count, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&ref_lock);
}

void shmf_nic_set_ring_advance(struct shmf_nic *nic, shmf_ring_advance_fn fn)
{
    nic->advance = fn;
    nic->advance_name = fn != NULL && is_reference(fn, NULL) ? "ShmfReferenceRingAdvance"
                                                             : "ShmfProviderRingAdvance";
}

void shmf_nic_set_ring_cancel(struct shmf_nic *nic, shmf_ring_cancel_fn fn)
{
    nic->cancel = fn;
    nic->cancel_name =
        fn != NULL && is_reference(NULL, fn) ? "ShmfReferenceRingCancel" : "ShmfProviderRingCancel";
}

void shmf_nic_halt(struct shmf_nic *nic)
{
    while (nic->nqueues > 0) {
        queue_teardown(nic, nic->queues[nic->nqueues - 1]);
        queue_remove(nic, nic->nqueues - 1);
    }
}

/* === Queue life cycle === */

static ULONG lowest_free_qid(const struct shmf_nic *nic)
{
    for (ULONG id = 1; id < SHMF_MAX_QUEUES; id++) {
        bool used = false;
        for (unsigned i = 0; i < nic->nqueues && !used; i++)
            used = nic->queues[i]->qid == id;
        if (!used)
            return id;
    }
    return 0;
}

int shmf_nic_queue_alloc(struct shmf_nic *nic, unsigned order, unsigned bufsize, ULONG *qid_out)
{
    if (shmf_rt_irql() != PASSIVE_LEVEL)
        return -EAGAIN;
    ULONG qid = lowest_free_qid(nic);
    if (nic->nqueues >= SHMF_NIC_MAX_QUEUES || qid == 0)
        return -ENOSPC;
    ULONG align = shared_alignment();
    struct nic_queue *q = queue_new(nic, qid, order, bufsize, align);
    if (q == NULL)
        return -ENOMEM;
    shmf_rt_queue_allocated(qid);
    int rc = queue_start(nic, q, align);
    if (rc < 0) {
        shmf_rt_queue_freed(qid);
        queue_destroy(nic, q);
        return rc;
    }
    nic->queues[nic->nqueues++] = q;
    if (qid_out != NULL)
        *qid_out = qid;
    return 0;
}

int shmf_nic_queue_free(struct shmf_nic *nic, unsigned slot)
{
    if (nic->nqueues == 0)
        return -ENOENT;
    unsigned idx = slot % nic->nqueues;
    if (nic->queues[idx]->qid == NDIS_DEFAULT_RECEIVE_QUEUE_ID)
        return 0;
    if (shmf_rt_irql() != PASSIVE_LEVEL)
        return -EAGAIN;
    queue_teardown(nic, nic->queues[idx]);
    queue_remove(nic, idx);
    return 0;
}

int shmf_nic_queue_pause(struct shmf_nic *nic, unsigned slot, bool paused)
{
    struct nic_queue *q = shmf__nic_queue_at(nic, slot);

    if (q == NULL)
        return -ENOENT;
    if (q->state != SHMF_NIC_Q_RUNNING && q->state != SHMF_NIC_Q_PAUSED)
        return -EAGAIN;
    q->state = paused ? SHMF_NIC_Q_PAUSED : SHMF_NIC_Q_RUNNING;
    return 0;
}

/* === Queries === */

unsigned shmf_nic_queue_count(const struct shmf_nic *nic)
{
    return nic->nqueues;
}

bool shmf_nic_owns(const struct shmf_nic *nic, NDIS_HANDLE allocation_handle)
{
    if (allocation_handle == NULL)
        return false;
    for (unsigned i = 0; i < nic->nqueues; i++) {
        const struct nic_queue *q = nic->queues[i];
        if (q->xmit.alloc == allocation_handle)
            return true;
        for (unsigned b = 0; b < q->nblocks; b++)
            if (q->blocks[b].alloc == allocation_handle)
                return true;
    }
    return false;
}

int shmf_nic_queue_info(const struct shmf_nic *nic, unsigned slot, struct shmf_nic_queue_info *out)
{
    const struct nic_queue *q = shmf__nic_queue_at(nic, slot);

    if (q == NULL)
        return -ENOENT;
    memset(out, 0, sizeof(*out));
    out->qid = q->qid;
    out->state = q->state;
    out->ring_size = q->fring ? q->count : 0;
    out->bufsize = q->bufsize;
    out->buffers = q->nbufs;
    for (unsigned i = 0; i < q->nbufs; i++) {
        out->free += q->bufs[i].state == BUF_FREE;
        out->posted += q->bufs[i].state == BUF_POSTED;
        out->indicated += q->bufs[i].state == BUF_INDICATED;
    }
    out->blocks = q->nblocks;
    out->has_xmit = q->xmit.alloc != NULL;
    out->fragment_ring = q->fring;
    out->packet_ring = q->pring;
    return 0;
}

void shmf_nic_get_stats(const struct shmf_nic *nic, struct shmf_nic_stats *out)
{
    *out = nic->stats;
}

void shmf_nic_dump(FILE *f, const struct shmf_nic *nic)
{
    struct shmf_nic_queue_info qi;

    fprintf(f, "nic: %u queues, seq %u\n", nic->nqueues, nic->seq);
    for (unsigned i = 0; i < nic->nqueues; i++) {
        shmf_nic_queue_info(nic, i, &qi);
        fprintf(f,
                " queue %lu state %d: %u x %u bytes in %u blocks (free %u posted %u "
                "indicated %u)%s\n",
                (unsigned long)qi.qid, (int)qi.state, qi.buffers, qi.bufsize, qi.blocks, qi.free,
                qi.posted, qi.indicated, qi.has_xmit ? ", xmit" : "");
        if (qi.fragment_ring != NULL) {
            shmf_ring_dump(f, qi.fragment_ring);
            shmf_ring_dump(f, qi.packet_ring);
        }
    }
}
