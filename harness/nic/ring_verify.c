/*
 * ring_verify.c -- NET_RING utilities and the ring verifier.  Contract in
 * ring_verify.h; the checks follow NetAdapterCx's Verifier_VerifyRingImmutable,
 * Verifier_VerifyRingBeginIndex and Verifier_VerifyRingImmutableFrameworkElements,
 * with two additions: indices must stay within ElementIndexMask, and a
 * NextIndex the driver writes must lie in [Begin, End].  The element rules of a
 * queue follow Verifier_VerifyRingImmutableDriverRx and ...DriverTx*, with one
 * difference: a packet's whole fragment span must lie in the fragments it
 * returned, where NetAdapterCx checks its first and last fragment.
 */
#include "ring_verify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shmfuzz/runtime.h"

#define RULE_IMMUTABLE                                                                             \
    "NET_RING: header fields before BeginIndex are read-only to the driver "                       \
    "(NetAdapterCx FailureCode_InvalidRingImmutable)"
#define RULE_INDEX                                                                                 \
    "NET_RING: Begin moves forward in [Begin, End), Next in [Begin, End], indices <= "             \
    "mask (NetAdapterCx InvalidRingBeginIndex)"
#define RULE_OWNERSHIP                                                                             \
    "NET_RING: elements in [End, Begin) belong to the OS "                                         \
    "(NetAdapterCx FailureCode_InvalidRingImmutableFrameworkElement)"
/* The element rules; each names NetAdapterCx's failure code (under 128 bytes). */
#define RULE_UNWRITTEN_PACKET                                                                      \
    "Rx: a returned packet's FragmentIndex, FragmentCount, Layer types are written, "              \
    "count > 0 (InvalidRingUnmodifiedRxPacket)"
#define RULE_UNWRITTEN_FRAGMENT                                                                    \
    "Rx: a returned packet's fragments have ValidLength and Offset written "                       \
    "(InvalidRingModifiedRxFragment)"
#define RULE_FRAGMENT_RANGE                                                                        \
    "Rx: a returned packet's fragments were in the driver's range and are returned "               \
    "(InvalidRingRxPacketFragment*Range)"
#define RULE_FRAGMENT_ORDER                                                                        \
    "Rx: returned packets' fragments ascend and do not overlap "                                   \
    "(InvalidRingRxPacketFragment*Overlap)"
#define RULE_LAYOUT                                                                                \
    "Rx: layer types in range, header lengths their type allows "                                  \
    "(InvalidRingRxPacketLayer*)"
#define RULE_FRAGMENT_LENGTH                                                                       \
    "Rx: Offset + ValidLength <= Capacity (InvalidRingRxPacketFragmentLengthInvalid)"
#define RULE_RESERVED "Rx: a packet's reserved bits are the OS's (InvalidRingModifiedRxPacket)"
#define RULE_IGNORE                                                                                \
    "Rx: a packet marked Ignore is not otherwise modified "                                        \
    "(InvalidRingImmutableDriverRxPacketIgnore)"
#define RULE_CAPACITY                                                                              \
    "Rx: a returned fragment's Capacity and reserved bit are the OS's "                            \
    "(InvalidRingUnmodifiedRxFragment)"
#define RULE_TX                                                                                    \
    "Tx: only Scratch of the driver's packets and fragments may change "                           \
    "(InvalidRingImmutableDriverTx*)"

/* A finding's rule holds 127 characters: the failure code at the end stays. */
#define RULE_FITS(r) _Static_assert(sizeof(r) <= sizeof(((struct shmf_finding *)0)->rule), #r)
RULE_FITS(RULE_IMMUTABLE);
RULE_FITS(RULE_INDEX);
RULE_FITS(RULE_OWNERSHIP);
RULE_FITS(RULE_UNWRITTEN_PACKET);
RULE_FITS(RULE_UNWRITTEN_FRAGMENT);
RULE_FITS(RULE_FRAGMENT_RANGE);
RULE_FITS(RULE_FRAGMENT_ORDER);
RULE_FITS(RULE_LAYOUT);
RULE_FITS(RULE_FRAGMENT_LENGTH);
RULE_FITS(RULE_RESERVED);
RULE_FITS(RULE_IGNORE);
RULE_FITS(RULE_CAPACITY);
RULE_FITS(RULE_TX);

/* === Rings === */

static bool count_ok(UINT32 count)
{
    return count >= 2 && count <= (1u << SHMF_RING_MAX_ORDER) && (count & (count - 1)) == 0;
}

NET_RING *shmf_ring_create(UINT32 count, UINT16 stride)
{
    if (!count_ok(count) || stride == 0)
        return NULL;
    size_t bytes = sizeof(NET_RING) + (size_t)count * stride;
    bytes = (bytes + SYSTEM_CACHE_ALIGNMENT_SIZE - 1) & ~(size_t)(SYSTEM_CACHE_ALIGNMENT_SIZE - 1);
    NET_RING *ring = aligned_alloc(SYSTEM_CACHE_ALIGNMENT_SIZE, bytes);
    if (ring == NULL)
        return NULL;
    memset(ring, 0, bytes);
    ring->ElementStride = stride;
    ring->NumberOfElements = count;
    ring->ElementIndexMask = count - 1;
    return ring;
}

void shmf_ring_destroy(NET_RING *ring)
{
    free(ring);
}

bool shmf_ring_is_valid(const NET_RING *ring)
{
    if (ring == NULL || !count_ok(ring->NumberOfElements) || ring->ElementStride == 0)
        return false;
    if (ring->ElementIndexMask != ring->NumberOfElements - 1)
        return false;
    UINT32 mask = ring->ElementIndexMask;
    return ring->BeginIndex <= mask && ring->NextIndex <= mask && ring->EndIndex <= mask;
}

static void dump_element(FILE *f, const NET_RING *ring, UINT32 i)
{
    const unsigned char *e = &ring->Buffer[(size_t)i * ring->ElementStride];

    fprintf(f, "  [%3u]", i);
    for (UINT16 b = 0; b < ring->ElementStride && b < 48; b++)
        fprintf(f, "%s%02x", (b % 8) == 0 ? " " : "", e[b]);
    fputc('\n', f);
}

void shmf_ring_dump(FILE *f, const NET_RING *ring)
{
    fprintf(f, "NET_RING %p: stride %u, %u elements, mask %#x, os1 %#x, os0 %#x\n",
            (const void *)ring, ring->ElementStride, ring->NumberOfElements, ring->ElementIndexMask,
            ring->OSReserved1, ring->OSReserved0);
    fprintf(f, "  Begin %u Next %u End %u Scratch %p (%s)\n", ring->BeginIndex, ring->NextIndex,
            ring->EndIndex, ring->Scratch, shmf_ring_is_valid(ring) ? "valid" : "INVALID");
    if (!count_ok(ring->NumberOfElements))
        return;
    for (UINT32 i = 0; i < ring->NumberOfElements && i < 16; i++)
        dump_element(f, ring, i);
}

/* === Snapshots === */

void shmf_ring_snapshot_init(struct shmf_ring_snapshot *s)
{
    memset(s, 0, sizeof(*s));
}

void shmf_ring_snapshot_fini(struct shmf_ring_snapshot *s)
{
    free(s->elems);
    memset(s, 0, sizeof(*s));
}

static void take_header(struct shmf_ring_snapshot *s, const NET_RING *ring)
{
    s->ring = ring;
    s->os_reserved1 = ring->OSReserved1;
    s->stride = ring->ElementStride;
    s->count = ring->NumberOfElements;
    s->mask = ring->ElementIndexMask;
    s->end = ring->EndIndex;
    memcpy(s->os_reserved2, ring->OSReserved2, sizeof(s->os_reserved2));
    s->begin = ring->BeginIndex;
    s->next = ring->NextIndex;
    s->scratch = ring->Scratch;
    s->has_elements = false;
}

int shmf_ring_snapshot_take_header(struct shmf_ring_snapshot *s, const NET_RING *ring)
{
    if (!shmf_ring_is_valid(ring))
        return -EINVAL;
    take_header(s, ring);
    return 0;
}

int shmf_ring_snapshot_take(struct shmf_ring_snapshot *s, const NET_RING *ring)
{
    if (!shmf_ring_is_valid(ring))
        return -EINVAL;
    size_t bytes = (size_t)ring->NumberOfElements * ring->ElementStride;
    if (bytes > s->cap) {
        unsigned char *p = realloc(s->elems, bytes);
        if (p == NULL)
            return -ENOMEM;
        s->elems = p;
        s->cap = bytes;
    }
    take_header(s, ring);
    memcpy(s->elems, ring->Buffer, bytes);
    s->has_elements = true;
    return 0;
}

void shmf_ring_restore(const struct shmf_ring_snapshot *s, NET_RING *ring)
{
    ring->OSReserved1 = s->os_reserved1;
    ring->ElementStride = s->stride;
    ring->NumberOfElements = s->count;
    ring->ElementIndexMask = s->mask;
    ring->EndIndex = s->end;
    memcpy(ring->OSReserved2, s->os_reserved2, sizeof(s->os_reserved2));
    ring->BeginIndex = s->begin;
    ring->NextIndex = s->next;
    ring->Scratch = s->scratch;
    if (s->has_elements)
        memcpy(ring->Buffer, s->elems, (size_t)s->count * s->stride);
}

/* === Checks === */

/* Name of the first immutable header field that differs, or NULL. */
static const char *changed_header_field(const struct shmf_ring_snapshot *s, const NET_RING *r,
                                        uint64_t *before, uint64_t *after)
{
#define SHMF_CMP(field, snap)                                                                      \
    if ((uint64_t)r->field != (uint64_t)s->snap) {                                                 \
        *before = (uint64_t)s->snap;                                                               \
        *after = (uint64_t)r->field;                                                               \
        return #field;                                                                             \
    }
    SHMF_CMP(OSReserved1, os_reserved1)
    SHMF_CMP(ElementStride, stride)
    SHMF_CMP(NumberOfElements, count)
    SHMF_CMP(ElementIndexMask, mask)
    SHMF_CMP(EndIndex, end)
#undef SHMF_CMP
    for (unsigned i = 0; i < 4; i++) {
        if (r->OSReserved2[i] != s->os_reserved2[i]) {
            *before = (uint64_t)(uintptr_t)s->os_reserved2[i];
            *after = (uint64_t)(uintptr_t)r->OSReserved2[i];
            return i == 0 ? "OSReserved0/OSReserved2[0]" : "OSReserved2";
        }
    }
    return NULL;
}

static unsigned check_immutable(const struct shmf_ring_snapshot *s, const NET_RING *r,
                                const char *function)
{
    uint64_t before = 0, after = 0;
    const char *field = changed_header_field(s, r, &before, &after);

    if (field == NULL)
        return 0;
    shmf_rt_report(SHMF_KIND_RING_IMMUTABLE_MODIFIED, (uint64_t)(uintptr_t)r, function,
                   RULE_IMMUTABLE, "%s modified NET_RING.%s of ring %p (%#llx -> %#llx)", function,
                   field, (const void *)r, (unsigned long long)before, (unsigned long long)after);
    return SHMF_RING_V_IMMUTABLE;
}

static UINT32 range(const struct shmf_ring_snapshot *s, UINT32 from, UINT32 to)
{
    return (to - from) & s->mask;
}

static unsigned report_index(const NET_RING *r, const char *function, const char *what,
                             UINT32 before, UINT32 after, const struct shmf_ring_snapshot *s)
{
    shmf_rt_report(SHMF_KIND_RING_INDEX_OUT_OF_RANGE, (uint64_t)(uintptr_t)r, function, RULE_INDEX,
                   "%s moved %s of ring %p from %u to %u; driver range was [%u, %u) of %u",
                   function, what, (const void *)r, before, after, s->begin, s->end, s->count);
    return SHMF_RING_V_INDEX;
}

/* BeginIndex: within the mask and Range(Begin, End) may only shrink.  NextIndex,
   when the driver wrote it: within the mask and inside [Begin, End]. */
static unsigned check_indices(const struct shmf_ring_snapshot *s, const NET_RING *r,
                              const char *function)
{
    UINT32 begin = r->BeginIndex, next = r->NextIndex;

    if (begin > s->mask || range(s, begin, s->end) > range(s, s->begin, s->end))
        return report_index(r, function, "BeginIndex", s->begin, begin, s);
    if (next == s->next)
        return 0;
    if (next > s->mask || range(s, begin, next) > range(s, begin, s->end))
        return report_index(r, function, "NextIndex", s->next, next, s);
    return 0;
}

/* First element of [from, from + n) (no wrap) that differs from the snapshot,
   or UINT32_MAX.  One memcmp for the whole run: a clean run costs no more than
   the copy did. */
static UINT32 first_changed(const struct shmf_ring_snapshot *s, const NET_RING *r, UINT32 from,
                            UINT32 n)
{
    size_t off = (size_t)from * s->stride;

    if (n == 0 || memcmp(s->elems + off, &r->Buffer[off], (size_t)n * s->stride) == 0)
        return UINT32_MAX;
    for (UINT32 i = from;; i++, off += s->stride)
        if (memcmp(s->elems + off, &r->Buffer[off], s->stride) != 0)
            return i;
}

/* Every element of [End, Begin) as snapshotted must be unchanged.  The OS owns
   N - Range(Begin, End) elements, all N when Begin == End; they are compared as
   the (at most two) runs they make in the buffer, in ring order from End. */
static unsigned check_ownership(const struct shmf_ring_snapshot *s, const NET_RING *r,
                                const char *function)
{
    UINT32 os_count = s->count - range(s, s->begin, s->end);
    UINT32 first_run = s->count - s->end < os_count ? s->count - s->end : os_count;
    UINT32 idx = first_changed(s, r, s->end, first_run);

    if (idx == UINT32_MAX)
        idx = first_changed(s, r, 0, os_count - first_run);
    if (idx == UINT32_MAX)
        return 0;
    shmf_rt_report(SHMF_KIND_RING_OWNERSHIP_VIOLATED,
                   (uint64_t)(uintptr_t)&r->Buffer[(size_t)idx * s->stride], function,
                   RULE_OWNERSHIP,
                   "%s modified element %u of ring %p, owned by the OS ([End %u, Begin %u))",
                   function, idx, (const void *)r, s->end, s->begin);
    return SHMF_RING_V_OWNERSHIP;
}

unsigned shmf_ring_verify(const struct shmf_ring_snapshot *s, const NET_RING *ring,
                          const char *function)
{
    unsigned bad = 0;

    if (function == NULL)
        function = "EvtPacketQueueAdvance";
    bad |= check_immutable(s, ring, function);
    bad |= check_indices(s, ring, function);
    if (s->has_elements)
        bad |= check_ownership(s, ring, function);
    return bad;
}

/* === Element rules of a queue === */

/* One call's view of a queue: the elements before (snapshots) and after. */
struct queue_view {
    const struct shmf_ring_snapshot *ps, *fs;
    const NET_RING *pr, *fr;
    const char *function;
    unsigned bad; /* SHMF_RING_V_* reported so far: one finding per kind */
};

static const NET_PACKET *packet_before(const struct queue_view *v, UINT32 i)
{
    return (const NET_PACKET *)(v->ps->elems + (size_t)i * v->ps->stride);
}

static const NET_PACKET *packet_after(const struct queue_view *v, UINT32 i)
{
    return (const NET_PACKET *)&v->pr->Buffer[(size_t)i * v->ps->stride];
}

static const NET_FRAGMENT *fragment_before(const struct queue_view *v, UINT32 i)
{
    return (const NET_FRAGMENT *)(v->fs->elems + (size_t)i * v->fs->stride);
}

static const NET_FRAGMENT *fragment_after(const struct queue_view *v, UINT32 i)
{
    return (const NET_FRAGMENT *)&v->fr->Buffer[(size_t)i * v->fs->stride];
}

static enum shmf_kind kind_of(unsigned bit)
{
    switch (bit) {
    case SHMF_RING_V_UNWRITTEN: return SHMF_KIND_RING_RX_PACKET_UNWRITTEN;
    case SHMF_RING_V_PACKET: return SHMF_KIND_RING_RX_PACKET_INVALID;
    case SHMF_RING_V_ELEMENT: return SHMF_KIND_RING_ELEMENT_IMMUTABLE_MODIFIED;
    default: return SHMF_KIND_RING_INDEX_OUT_OF_RANGE;
    }
}

/* Report a violation of `rule` by element `index` (at `at`) of the packet or
   fragment ring (`elem`), unless this call already has a finding of that kind.
   Always returns false, so a check can end with `return violation(...)`. */
static __attribute__((cold, noinline)) bool violation(struct queue_view *v, unsigned bit,
                                                      const void *at, const char *elem,
                                                      UINT32 index, const char *rule,
                                                      const char *what)
{
    if (v->bad & bit)
        return false;
    v->bad |= bit;
    shmf_rt_report(kind_of(bit), (uint64_t)(uintptr_t)at, v->function, rule, "%s: %s %u (%p) %s",
                   v->function, elem, index, at, what);
    return false;
}

static bool packet_fields_equal(const NET_PACKET *a, const NET_PACKET *b)
{
    return a->FragmentIndex == b->FragmentIndex && a->FragmentCount == b->FragmentCount &&
           memcmp(&a->Layout, &b->Layout, sizeof(a->Layout)) == 0 && a->Reserved1 == b->Reserved1;
}

/* A packet in the driver's range before the call, returned or kept: Ignore
   may be set on an otherwise unchanged packet; the reserved bits stay. */
static bool packet_kept_fields(struct queue_view *v, UINT32 i)
{
    const NET_PACKET *b = packet_before(v, i), *a = packet_after(v, i);

    if (a->Ignore)
        return packet_fields_equal(b, a) ||
               violation(v, SHMF_RING_V_ELEMENT, a, "packet", i, RULE_IGNORE,
                         "is marked Ignore and was modified");
    if (b->Reserved1 != a->Reserved1 || b->Layout.Reserved0 != a->Layout.Reserved0)
        return violation(v, SHMF_RING_V_ELEMENT, a, "packet", i, RULE_RESERVED,
                         "had its reserved bits (Reserved1, Layout.Reserved0) modified");
    return true;
}

static bool packet_written(struct queue_view *v, UINT32 i, const NET_PACKET *a)
{
    const char *what = NULL;

    if (a->FragmentIndex == SHMF_RING_POISON_FRAGMENT_INDEX)
        what = "was returned with FragmentIndex unwritten (the OS's poison)";
    else if (a->FragmentCount == SHMF_RING_POISON_FRAGMENT_COUNT)
        what = "was returned with FragmentCount unwritten (the OS's poison)";
    else if (a->Layout.Layer2Type == SHMF_RING_POISON_LAYER_TYPE ||
             a->Layout.Layer3Type == SHMF_RING_POISON_LAYER_TYPE ||
             a->Layout.Layer4Type == SHMF_RING_POISON_LAYER_TYPE)
        what = "was returned with a Layout layer type unwritten (the OS's poison)";
    else if (a->FragmentCount == 0)
        what = "was returned with FragmentCount 0";
    return what == NULL ||
           violation(v, SHMF_RING_V_UNWRITTEN, a, "packet", i, RULE_UNWRITTEN_PACKET, what);
}

/* Offset of fragment index x from the fragment ring's Begin before the call. */
static UINT32 frag_offset(const struct queue_view *v, UINT32 x)
{
    return (x - v->fs->begin) & v->fs->mask;
}

/* The packet's fragments lie in the ones returned in this call,
   [fs->begin, fr->BeginIndex), after the previous packet's (*next: the offset
   the next packet's first fragment must reach). */
static bool packet_fragments_placed(struct queue_view *v, UINT32 i, const NET_PACKET *a,
                                    UINT32 *next)
{
    UINT32 owned = range(v->fs, v->fs->begin, v->fs->end);
    UINT32 returned = range(v->fs, v->fs->begin, v->fr->BeginIndex);
    uint64_t first = frag_offset(v, a->FragmentIndex), end = first + a->FragmentCount;

    if (a->FragmentIndex > v->fs->mask || end > owned)
        return violation(v, SHMF_RING_V_INDEX, a, "packet", i, RULE_FRAGMENT_RANGE,
                         "names fragments outside the driver's range before the call");
    if (end > returned)
        return violation(v, SHMF_RING_V_INDEX, a, "packet", i, RULE_FRAGMENT_RANGE,
                         "names fragments the driver did not return");
    if (first < *next)
        return violation(v, SHMF_RING_V_INDEX, a, "packet", i, RULE_FRAGMENT_ORDER,
                         "names fragments before or inside the previous packet's");
    *next = (UINT32)end;
    return true;
}

/* What is impossible about a layout, or NULL: types within their enums,
   header lengths their type allows (0: not given). */
static const char *layout_problem(const NET_PACKET_LAYOUT *l)
{
    unsigned l2 = l->Layer2HeaderLength, l3 = l->Layer3HeaderLength, l4 = l->Layer4HeaderLength;
    bool ipv4 = l->Layer3Type >= NetPacketLayer3TypeIPv4UnspecifiedOptions &&
                l->Layer3Type <= NetPacketLayer3TypeIPv4NoOptions;

    if (l->Layer2Type > NetPacketLayer2TypeIeee80211)
        return "has a Layer2Type past NetPacketLayer2TypeIeee80211";
    if (l->Layer3Type > NetPacketLayer3TypeIPv6NoExtensions)
        return "has a Layer3Type past NetPacketLayer3TypeIPv6NoExtensions";
    if (l->Layer4Type > NetPacketLayer4TypeIPNotFragment)
        return "has a Layer4Type past NetPacketLayer4TypeIPNotFragment";
    if (l->Layer2Type == NetPacketLayer2TypeNull && l2 != 0)
        return "has a Null layer 2 with a header length";
    if (l->Layer2Type == NetPacketLayer2TypeEthernet && l2 != 0 && l2 < 14)
        return "has an Ethernet header shorter than 14 bytes";
    if (ipv4 && l3 != 0 && l3 < 20)
        return "has an IPv4 header shorter than 20 bytes";
    if (l->Layer3Type >= NetPacketLayer3TypeIPv6UnspecifiedExtensions && l3 != 0 && l3 < 40)
        return "has an IPv6 header shorter than 40 bytes";
    if (l->Layer4Type == NetPacketLayer4TypeTcp && l4 != 0 && (l4 < 20 || l4 > 60 || l4 % 4))
        return "has a TCP header length outside 20..60 or not a multiple of 4";
    if (l->Layer4Type == NetPacketLayer4TypeUdp && l4 != 0 && l4 < 8)
        return "has a UDP header shorter than 8 bytes";
    return NULL;
}

/* Each fragment of returned packet a: written, Capacity and the reserved bit
   kept, its data inside its buffer. */
static bool packet_fragments_ok(struct queue_view *v, const NET_PACKET *a)
{
    for (UINT32 k = 0; k < a->FragmentCount; k++) {
        UINT32 f = (a->FragmentIndex + k) & v->fs->mask;
        const NET_FRAGMENT *b = fragment_before(v, f), *x = fragment_after(v, f);
        if (x->ValidLength == SHMF_RING_POISON_VALID_LENGTH || x->Offset == SHMF_RING_POISON_OFFSET)
            return violation(v, SHMF_RING_V_UNWRITTEN, x, "fragment", f, RULE_UNWRITTEN_FRAGMENT,
                             "was returned with ValidLength or Offset unwritten (the OS's poison)");
        if (x->Capacity != b->Capacity || x->OsReserved_Bounced != b->OsReserved_Bounced)
            return violation(v, SHMF_RING_V_ELEMENT, x, "fragment", f, RULE_CAPACITY,
                             "had its Capacity or OsReserved_Bounced modified");
        if ((uint64_t)x->Offset + x->ValidLength > x->Capacity)
            return violation(v, SHMF_RING_V_PACKET, x, "fragment", f, RULE_FRAGMENT_LENGTH,
                             "has Offset + ValidLength past its Capacity");
    }
    return true;
}

/* A packet the driver returned in this call, not marked Ignore. */
static void returned_packet(struct queue_view *v, UINT32 i, UINT32 *next)
{
    const NET_PACKET *a = packet_after(v, i);

    if (!packet_written(v, i, a) || !packet_fragments_placed(v, i, a, next))
        return;
    const char *problem = layout_problem(&a->Layout);
    if (problem != NULL) {
        violation(v, SHMF_RING_V_PACKET, a, "packet", i, RULE_LAYOUT, problem);
        return;
    }
    packet_fragments_ok(v, a);
}

/* Did any element of [from, to) (ring order, to != from or the whole ring)
   change since the snapshot?  At most two memcmp runs. */
static bool run_changed(const struct shmf_ring_snapshot *s, const NET_RING *r, UINT32 from,
                        UINT32 to)
{
    UINT32 n = range(s, from, to);
    UINT32 first = s->count - from < n ? s->count - from : n;

    return first_changed(s, r, from, first) != UINT32_MAX ||
           first_changed(s, r, 0, n - first) != UINT32_MAX;
}

unsigned shmf_ring_verify_rx(const struct shmf_ring_snapshot *ps, const NET_RING *pr,
                             const struct shmf_ring_snapshot *fs, const NET_RING *fr,
                             const char *function)
{
    struct queue_view v = {ps, fs, pr, fr, function ? function : "EvtPacketQueueAdvance", 0};
    UINT32 next = 0, i;

    for (i = ps->begin; i != pr->BeginIndex; i = (i + 1) & ps->mask)
        if (packet_kept_fields(&v, i) && !packet_after(&v, i)->Ignore)
            returned_packet(&v, i, &next);
    /* The packets the driver keeps: usually untouched, one compare for all. */
    if (i != ps->end && run_changed(ps, pr, i, ps->end))
        for (; i != ps->end; i = (i + 1) & ps->mask)
            packet_kept_fields(&v, i);
    return v.bad;
}

unsigned shmf_ring_verify_tx(const struct shmf_ring_snapshot *ps, const NET_RING *pr,
                             const struct shmf_ring_snapshot *fs, const NET_RING *fr,
                             const char *function)
{
    struct queue_view v = {ps, fs, pr, fr, function ? function : "EvtPacketQueueAdvance", 0};

    for (UINT32 i = ps->begin; i != ps->end && !v.bad; i = (i + 1) & ps->mask) {
        const NET_PACKET *b = packet_before(&v, i), *a = packet_after(&v, i);
        if (!packet_fields_equal(b, a) || b->Ignore != a->Ignore)
            violation(&v, SHMF_RING_V_ELEMENT, a, "packet", i, RULE_TX,
                      "was modified in other fields than Scratch");
    }
    for (UINT32 i = fs->begin; i != fs->end && !v.bad; i = (i + 1) & fs->mask) {
        const NET_FRAGMENT *b = fragment_before(&v, i), *a = fragment_after(&v, i);
        if (b->ValidLength != a->ValidLength || b->Capacity != a->Capacity ||
            b->Offset != a->Offset || b->OsReserved_Bounced != a->OsReserved_Bounced)
            violation(&v, SHMF_RING_V_ELEMENT, a, "fragment", i, RULE_TX,
                      "was modified in other fields than Scratch");
    }
    return v.bad;
}

unsigned shmf_ring_verify_queue(const struct shmf_ring_snapshot *ps, const NET_RING *pr,
                                const struct shmf_ring_snapshot *fs, const NET_RING *fr, bool rx,
                                const char *function)
{
    unsigned bad = shmf_ring_verify(fs, fr, function) | shmf_ring_verify(ps, pr, function);

    if (bad != 0 || !ps->has_elements || !fs->has_elements)
        return bad;
    return rx ? shmf_ring_verify_rx(ps, pr, fs, fr, function)
              : shmf_ring_verify_tx(ps, pr, fs, fr, function);
}
