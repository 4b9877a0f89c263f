/*
 * nic_data.c -- the NIC model's data path: the OS posts buffers and takes
 * indications, the driver's ring routines run under the ring verifier, the NIC
 * DMAs packets in and out.  Contract in nic.h, private types in nic_internal.h.
 */
#include "nic_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shmfuzz/runtime.h"

#define PKT_SENTINEL 0xA5C3F00Du
#define PKT_HEADER 12u

/* === Packet pattern ===
   Byte j of packet seq: the sentinel (little endian) at 0..3 and 8..11, seq at
   4..7, and (seq * 31 + j) & 0xff from PKT_HEADER on: the window of nic->ramp
   that starts at phase(seq), so the body is built and checked a run at a time. */

static unsigned phase(uint32_t seq)
{
    return (seq * 31u) & 0xffu;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_header(unsigned char *p, uint32_t seq)
{
    uint64_t v = PKT_SENTINEL | (uint64_t)seq << 32;

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, sizeof(v));
    put_le32(p + 8, PKT_SENTINEL);
}

static void make_packet(const struct shmf_nic *nic, unsigned char *p, uint32_t seq, unsigned n)
{
    unsigned char h[PKT_HEADER];

    put_header(h, seq);
    memcpy(p, h, n < PKT_HEADER ? n : PKT_HEADER);
    if (n > PKT_HEADER)
        memcpy(p + PKT_HEADER, nic->ramp + phase(seq) + PKT_HEADER, n - PKT_HEADER);
}

/* pktlen raised to the pattern header and cut to the room (and the NIC's
   buffer); 0 when there is no room at all. */
static unsigned packet_length(unsigned pktlen, uint64_t room)
{
    unsigned n = pktlen < SHMF_NIC_MIN_PKTLEN ? SHMF_NIC_MIN_PKTLEN : pktlen;

    if (room > SHMF_NIC_MAX_BUFSIZE)
        room = SHMF_NIC_MAX_BUFSIZE;
    return n < room ? n : (unsigned)room;
}

/* Does p[0, n) hold a packet of the pattern: every byte (full), or the header
   and the last byte?  pre: n <= SHMF_NIC_MAX_BUFSIZE. */
static bool packet_ok(const struct shmf_nic *nic, const unsigned char *p, unsigned n, bool full)
{
    if (n < PKT_HEADER || get_le32(p) != PKT_SENTINEL || get_le32(p + 8) != PKT_SENTINEL)
        return false;
    const unsigned char *w = nic->ramp + phase(get_le32(p + 4));
    if (n == PKT_HEADER)
        return true;
    if (!full)
        return p[n - 1] == w[n - 1];
    return memcmp(p + PKT_HEADER, w + PKT_HEADER, n - PKT_HEADER) == 0;
}

/* === Driver calls under the ring verifier, and indications === */

/* A ring as one OS-side routine walks it: the header's layout fields read
   once (the driver does not run meanwhile, and the ring verifier checked them
   after its last call), indices taken modulo the ring.  ring.h's accessors
   reload them after every store to an element: 20 more instructions per
   packet on the receive path (bench/ring instructions_per_packet). */
struct ring_view {
    unsigned char *buf;
    UINT32 mask, stride;
};

static struct ring_view view_of(const NET_RING *r)
{
    return (struct ring_view){(unsigned char *)r->Buffer, r->ElementIndexMask, r->ElementStride};
}

static void *elem(struct ring_view v, UINT32 i)
{
    return v.buf + (size_t)(i & v.mask) * v.stride;
}

/* Fragment f held buffer b, bound to a returned packet of a running queue:
   the OS takes it as indicated and checks the payload. */
static void indicate(struct shmf_nic *nic, struct nic_queue *q, struct ring_view fv, UINT32 f,
                     uint32_t b)
{
    const SHMF_NET_FRAGMENT_SHM *e = elem(fv, f);
    struct nic_buf *buf = &q->bufs[b];
    uint64_t vl = e->Fragment.ValidLength, off = e->Fragment.Offset;

    buf->state = BUF_INDICATED;
    if (vl + off > buf->length || !packet_ok(nic, buf->va + off, (unsigned)vl, nic->verify))
        nic->stats.data_errors++;
}

/* Does a packet bind fragments [first, first + count) that were all returned
   with it ([f0, f0 + drained)) and are not bound yet in this advance? */
static bool binding_ok(const struct nic_queue *q, UINT32 mask, UINT32 first, UINT32 count,
                       UINT32 f0, UINT32 drained)
{
    if (count == 0 || first > mask || ((first - f0) & mask) + count > drained)
        return false;
    for (UINT32 k = 0; k < count; k++)
        if (q->claimed[(first + k) & mask] == q->claim_gen)
            return false;
    return true;
}

static void report_binding(const struct nic_queue *q, const NET_PACKET *pk, UINT32 f0,
                           UINT32 drained, const char *fn)
{
    shmf_rt_report(SHMF_KIND_RING_INDEX_OUT_OF_RANGE, (uint64_t)(uintptr_t)pk, fn,
                   "NetAdapterCx Rx: a returned packet has FragmentCount != 0 and binds "
                   "fragments returned with it, each once",
                   "%s returned packet %p of queue %lu bound to fragments %u+%u, "
                   "outside the %u fragments returned from %u or bound twice",
                   fn, (const void *)pk, (unsigned long)q->qid, pk->FragmentIndex,
                   pk->FragmentCount, drained, f0);
}

/* Element f no longer names a buffer; a posted buffer it still named goes
   back to the OS unindicated (returned with no packet, or the queue is not
   running). */
static void drop_fragment(struct shmf_nic *nic, struct nic_queue *q, UINT32 f)
{
    uint32_t b = q->ring_buf[f];

    q->ring_buf[f] = NO_BUF;
    if (b != NO_BUF && q->bufs[b].state == BUF_POSTED) {
        q->bufs[b].state = BUF_FREE;
        nic->stats.dropped++;
    }
}

/* Fragment f is bound to a returned packet: its buffer is indicated when the
   queue runs, dropped otherwise.  @return 1 if indicated. */
static unsigned claim_fragment(struct shmf_nic *nic, struct nic_queue *q, struct ring_view fv,
                               UINT32 f, bool live)
{
    q->claimed[f] = q->claim_gen;
    if (!live || q->ring_buf[f] == NO_BUF) {
        drop_fragment(nic, q, f);
        return 0;
    }
    indicate(nic, q, fv, f, q->ring_buf[f]);
    q->ring_buf[f] = NO_BUF;
    return 1;
}

/* The next advance's stamp: claims of this one are stale at once, with no
   pass over the elements (but for the wrap of the counter). */
static void next_claim_gen(struct nic_queue *q)
{
    if (++q->claim_gen == 0) {
        memset(q->claimed, 0, q->count * sizeof(*q->claimed));
        q->claim_gen = 1;
    }
}

/* Take the packets the driver returned ([p0, pBegin)) as indications when the
   queue runs, and give back fragments no packet kept. */
static int consume(struct shmf_nic *nic, struct nic_queue *q, UINT32 f0, UINT32 p0, const char *fn)
{
    struct ring_view fv = view_of(q->fring), pv = view_of(q->pring);
    UINT32 drained = (q->fring->BeginIndex - f0) & fv.mask, pend = q->pring->BeginIndex;
    bool live = q->state == SHMF_NIC_Q_RUNNING;
    unsigned indicated = 0;
    UINT32 claimed = 0;

    for (UINT32 p = p0; p != pend; p = (p + 1) & pv.mask) {
        const NET_PACKET *pk = elem(pv, p);
        UINT32 first = pk->FragmentIndex, count = pk->FragmentCount;
        if (pk->Ignore)
            continue;
        if (!binding_ok(q, fv.mask, first, count, f0, drained)) {
            report_binding(q, pk, f0, drained, fn);
            continue;
        }
        for (UINT32 k = 0; k < count; k++)
            indicated += claim_fragment(nic, q, fv, (first + k) & fv.mask, live);
        claimed += count;
    }
    for (UINT32 i = 0; claimed != drained && i < drained; i++) /* each claimed once */
        if (q->claimed[(f0 + i) & fv.mask] != q->claim_gen)
            drop_fragment(nic, q, (f0 + i) & fv.mask);
    next_claim_gen(q);
    nic->stats.indicated += indicated;
    return (int)indicated;
}

/* The element rules of a receive queue, after the header and index checks
   passed on full snapshots.  Out of line, so that run_driver's inlined
   consume loop keeps its registers (2 instructions per packet). */
static __attribute__((noinline)) unsigned verify_elements(struct shmf_nic *nic, struct nic_queue *q,
                                                          const char *name)
{
    return shmf_ring_verify_rx(&nic->psnap, q->pring, &nic->fsnap, q->fring, name);
}

/* Snapshot both rings (whole, or their headers with the verifier off), call the
   driver routine, verify (the element rules of a receive queue with full
   snapshots only), then consume. */
static int run_driver(struct shmf_nic *nic, struct nic_queue *q, shmf_ring_advance_fn fn,
                      const char *name)
{
    int (*take)(struct shmf_ring_snapshot *, const NET_RING *) =
        nic->verify ? shmf_ring_snapshot_take : shmf_ring_snapshot_take_header;

    if (take(&nic->fsnap, q->fring) < 0 || take(&nic->psnap, q->pring) < 0)
        return -ENOMEM;
    fn(q->fring, q->pring, q->qid);
    unsigned bad = shmf_ring_verify(&nic->fsnap, q->fring, name);
    bad |= shmf_ring_verify(&nic->psnap, q->pring, name);
    if (bad == 0 && nic->verify)
        bad = verify_elements(nic, q, name);
    if (bad != 0) {
        shmf_ring_restore(&nic->fsnap, q->fring);
        shmf_ring_restore(&nic->psnap, q->pring);
        return -EPROTO;
    }
    return consume(nic, q, nic->fsnap.begin, nic->psnap.begin, name);
}

/* One advance at `irql`, or at the caller's IRQL when it is 0xff.  Without a
   driver, nothing moves. */
static int advance_at(struct shmf_nic *nic, struct nic_queue *q, KIRQL irql)
{
    if (nic->advance == NULL)
        return 0;
    bool moved = irql != 0xff && shmf_rt_irql() != irql;
    uint64_t saved = moved ? shmf_rt_irql_enter(irql) : 0;
    int rc = run_driver(nic, q, nic->advance, nic->advance_name);

    if (moved)
        shmf_rt_irql_leave(saved);
    return rc;
}

/* One advance at the IRQL NetAdapterCx's verifier gives it: that verifier
   raises to DISPATCH_LEVEL around every other advance (the 1st, 3rd, ...) and
   leaves the others at the caller's PASSIVE_LEVEL, so a driver that assumes
   either IRQL is caught.  With the model's checks on, advances alternate the
   same way whatever the caller runs at (the dpc op: DISPATCH_LEVEL); with them
   off, an advance runs at the caller's IRQL. */
static int run_advance(struct shmf_nic *nic, struct nic_queue *q)
{
    if (!nic->verify)
        return advance_at(nic, q, 0xff);
    return advance_at(nic, q, ++q->advances & 1 ? DISPATCH_LEVEL : PASSIVE_LEVEL);
}

/* Elements the driver still owns in both rings of q. */
static UINT32 driver_held(const struct nic_queue *q)
{
    return shmf_ring_driver_count(q->fring) + shmf_ring_driver_count(q->pring);
}

/* After cancel, NetAdapterCx goes on calling advance until the driver has
   returned every element of both rings (RtEthSample's EvtRxQueueCancel counts
   on it).  Here: until the rings are empty, a violation, or CANCEL_IDLE
   advances in a row that return nothing (the NIC is stopped: nothing will
   complete).  @return false after a ring-rule violation. */
#define CANCEL_IDLE 4u

static bool advance_until_empty(struct shmf_nic *nic, struct nic_queue *q, unsigned *calls)
{
    for (unsigned idle = 0; driver_held(q) != 0 && idle < CANCEL_IDLE; (*calls)++) {
        UINT32 before = driver_held(q);
        if ((nic->verify ? run_advance(nic, q) : advance_at(nic, q, DISPATCH_LEVEL)) == -EPROTO)
            return false;
        idle = driver_held(q) < before ? 0 : idle + 1;
    }
    return true;
}

/* Cancel must return every element, with the advances after it; otherwise the
   OS would wait for ever.  Without a cancel routine (no driver) the rings are
   dropped as they are. */
void shmf__nic_cancel_ring(struct shmf_nic *nic, struct nic_queue *q)
{
    const char *name = nic->cancel_name;
    unsigned kept = 0, calls = 0;
    bool clean = nic->cancel != NULL && run_driver(nic, q, nic->cancel, name) != -EPROTO &&
                 advance_until_empty(nic, q, &calls);
    UINT32 packets = shmf_ring_driver_count(q->pring);

    for (unsigned i = 0; i < q->nbufs; i++) {
        if (q->bufs[i].state == BUF_POSTED) {
            q->bufs[i].state = BUF_FREE;
            kept++;
        }
    }
    if (clean && (kept != 0 || packets != 0))
        shmf_rt_report(SHMF_KIND_HANG, (uint64_t)(uintptr_t)q->fring, name,
                       "NetAdapterCx Rx cancel, and the advances after it, must return every "
                       "element, or the queue is never deleted",
                       "%s and %u %s calls after it kept %u fragments and %u packets of "
                       "queue %lu; freeing the queue would hang",
                       name, calls, nic->advance_name, kept, (unsigned)packets,
                       (unsigned long)q->qid);
}

/* === Data path === */

/* The queue at slot if its data path is on, else NULL with *rc set. */
static struct nic_queue *running_queue(struct shmf_nic *nic, unsigned slot, int *rc)
{
    struct nic_queue *q = shmf__nic_queue_at(nic, slot);

    *rc = q == NULL ? -ENOENT : -EAGAIN;
    if (q != NULL && q->state == SHMF_NIC_Q_RUNNING && q->lazy)
        shmf__nic_queue_materialize(nic, q);
    return q != NULL && q->state == SHMF_NIC_Q_RUNNING ? q : NULL;
}

/* Fragment element e describes buffer buf, posted by the OS; ValidLength and
   Offset, which the driver must write, hold the OS's poison (ring_verify.h). */
static void post_fill(SHMF_NET_FRAGMENT_SHM *e, const struct nic_buf *buf)
{
    *e = (SHMF_NET_FRAGMENT_SHM){
        .Fragment = {.ValidLength = SHMF_RING_POISON_VALID_LENGTH,
                     .Capacity = buf->length,
                     .Offset = SHMF_RING_POISON_OFFSET},
        .LogicalAddress = buf->la,
        .VirtualAddress = buf->va,
        .SharedMemoryHandle = buf->smh,
        .SharedMemoryOffset = buf->offset,
        .SharedMemoryLength = buf->length,
        .HardwareStatus = SHMF_HW_IDLE,
    };
}

/* Post free buffers round-robin from post_cursor (which then moves by the
   number posted), as long as the fragment ring has room; EndIndex is
   published once, after the elements. */
static unsigned post_buffers(struct nic_queue *q, unsigned count)
{
    NET_RING *r = q->fring;
    struct ring_view fv = view_of(r);
    unsigned space = shmf_ring_post_space(r), moved = 0, nbufs = q->nbufs;
    unsigned want = count < space ? count : space;
    UINT32 end = r->EndIndex;

    if (nbufs == 0)
        return 0;
    for (unsigned i = 0, b = q->post_cursor % nbufs; i < nbufs && moved < want; i++) {
        struct nic_buf *buf = &q->bufs[b];
        if (buf->state == BUF_FREE) {
            post_fill(elem(fv, end), buf);
            q->ring_buf[end] = b;
            buf->state = BUF_POSTED;
            end = (end + 1) & fv.mask;
            moved++;
        }
        b = b + 1 == nbufs ? 0 : b + 1;
    }
    r->EndIndex = end;
    q->post_cursor = (q->post_cursor + moved) % nbufs;
    return moved;
}

/* Give the driver every packet element the ring has room for, poisoned
   (ring_verify.h). */
static void post_packets(NET_RING *r)
{
    struct ring_view pv = view_of(r);
    UINT32 end = r->EndIndex;
    const NET_PACKET poisoned = shmf_ring_poisoned_packet();

    for (UINT32 n = shmf_ring_post_space(r); n > 0; n--) {
        *(NET_PACKET *)elem(pv, end) = poisoned;
        end = (end + 1) & pv.mask;
    }
    r->EndIndex = end;
}

int shmf_nic_post(struct shmf_nic *nic, unsigned slot, unsigned count)
{
    int rc;
    struct nic_queue *q = running_queue(nic, slot, &rc);

    if (q == NULL)
        return rc;
    unsigned moved = post_buffers(q, count);
    post_packets(q->pring);
    nic->stats.posted += moved;
    return (int)moved;
}

int shmf_nic_advance(struct shmf_nic *nic, unsigned slot)
{
    int rc;
    struct nic_queue *q = running_queue(nic, slot, &rc);

    if (q == NULL)
        return rc;
    nic->stats.advances++;
    return run_advance(nic, q);
}

/* Up to RX_BATCH packets are DMAed per call into the runtime.  Each header is
   written here well before the runtime copies it, so the copy's loads find it
   in the cache rather than stall on the store. */
#define RX_BATCH 32u

struct rx_batch {
    unsigned n;
    struct shmf_dma_xfer x[RX_BATCH];   /* header, then the body's ramp window */
    SHMF_NET_FRAGMENT_SHM *e[RX_BATCH]; /* the fragment each completes */
    unsigned char hdr[RX_BATCH][16];    /* PKT_HEADER bytes used */
};

/* Packet nic->seq + b->n, len bytes, into fragment e: its header, and its
   body's window of the ramp. */
static void rx_add(struct shmf_nic *nic, struct rx_batch *b, SHMF_NET_FRAGMENT_SHM *e, unsigned len)
{
    uint32_t seq = nic->seq + b->n;
    unsigned hn = len < PKT_HEADER ? len : PKT_HEADER;

    put_header(b->hdr[b->n], seq);
    b->x[b->n] = (struct shmf_dma_xfer){
        e->LogicalAddress, {{b->hdr[b->n], hn}, {nic->ramp + phase(seq) + hn, len - hn}}};
    b->e[b->n++] = e;
}

/* DMA the batch in one runtime call; complete the fragments it reached.
   @return the number done (fewer than b->n: one was refused). */
static unsigned rx_flush(struct shmf_nic *nic, const struct nic_queue *q, struct rx_batch *b)
{
    unsigned done = shmf_rt_dma_write_burst(q->qid, b->x, b->n);

    for (unsigned i = 0; i < done; i++) {
        b->e[i]->HardwareLength = (ULONG)(b->x[i].seg[0].len + b->x[i].seg[1].len);
        b->e[i]->HardwareStatus = SHMF_HW_DONE;
    }
    nic->seq += done;
    b->n = 0;
    return done;
}

/* Collect from element i on, up to RX_BATCH and `left` posted fragments with
   room for a packet.  @return the element after the last one looked at. */
static UINT32 rx_collect(struct shmf_nic *nic, const struct nic_queue *q, struct rx_batch *b,
                         UINT32 i, unsigned left, unsigned pktlen)
{
    struct ring_view fv = view_of(q->fring);
    UINT32 next = q->fring->NextIndex;

    for (; i != next && b->n < RX_BATCH && b->n < left; i = (i + 1) & fv.mask) {
        SHMF_NET_FRAGMENT_SHM *e = elem(fv, i);
        unsigned n = packet_length(pktlen, e->Fragment.Capacity);
        if (e->HardwareStatus == SHMF_HW_POSTED && n != 0)
            rx_add(nic, b, e, n);
    }
    return i;
}

int shmf_nic_rx(struct shmf_nic *nic, unsigned slot, unsigned count, unsigned pktlen)
{
    int rc;
    unsigned moved = 0;
    bool refused = false;
    struct nic_queue *q = running_queue(nic, slot, &rc);
    struct rx_batch b;

    if (q == NULL)
        return rc;
    b.n = 0;
    for (UINT32 i = q->fring->BeginIndex; moved < count && !refused;) {
        i = rx_collect(nic, q, &b, i, count - moved, pktlen);
        if (b.n == 0)
            break;
        unsigned want = b.n, done = rx_flush(nic, q, &b);
        moved += done;
        refused = done < want;
    }
    nic->stats.rx_packets += moved;
    return refused && moved == 0 ? -EFAULT : (int)moved;
}

static int xmit_ensure(struct shmf_nic *nic, struct nic_queue *q)
{
    if (q->xmit.alloc != NULL)
        return 0;
    return shmf__nic_block_alloc(nic, q->qid, NdisSharedMemoryUsageXmit, q->bufsize,
                                 q->bufsize > PAGE_SIZE, &q->xmit);
}

int shmf_nic_tx(struct shmf_nic *nic, unsigned slot, unsigned pktlen)
{
    int rc;
    struct nic_queue *q = running_queue(nic, slot, &rc);

    if (q == NULL || (rc = xmit_ensure(nic, q)) < 0)
        return rc;
    if (q->xmit.nsg == 0)
        return -EAGAIN;
    unsigned n = packet_length(pktlen, q->xmit.sg[0].Length < q->xmit.length ? q->xmit.sg[0].Length
                                                                             : q->xmit.length);
    if (n == 0)
        return -EAGAIN;
    make_packet(nic, nic->pkt, nic->seq++, n);
    memcpy(q->xmit.va, nic->pkt, n);
    if (shmf_rt_dma_read(q->qid, (uint64_t)q->xmit.sg[0].Address.QuadPart, nic->rd, n) < 0)
        return -EFAULT;
    if (memcmp(nic->rd, nic->pkt, n) != 0)
        nic->stats.data_errors++;
    nic->stats.tx_packets++;
    return 1;
}

int shmf_nic_return(struct shmf_nic *nic, unsigned slot, unsigned count)
{
    struct nic_queue *q = shmf__nic_queue_at(nic, slot);
    unsigned moved = 0;

    if (q == NULL)
        return -ENOENT;
    if (q->nbufs == 0)
        return 0;
    for (unsigned i = 0, b = q->return_cursor % q->nbufs; i < q->nbufs && moved < count; i++) {
        if (q->bufs[b].state == BUF_INDICATED) {
            q->bufs[b].state = BUF_FREE;
            moved++;
        }
        b = b + 1 == q->nbufs ? 0 : b + 1;
    }
    q->return_cursor = (q->return_cursor + moved) % q->nbufs;
    nic->stats.returned += moved;
    return (int)moved;
}
