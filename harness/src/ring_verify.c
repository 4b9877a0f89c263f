/*
 * ring_verify.c -- NET_RING utilities and the ring verifier.  Contract in
 * ring_verify.h; the checks follow NetAdapterCx's Verifier_VerifyRingImmutable,
 * Verifier_VerifyRingBeginIndex and Verifier_VerifyRingImmutableFrameworkElements,
 * with two additions: indices must stay within ElementIndexMask, and a
 * NextIndex the driver writes must lie in [Begin, End].
 */
#include "ring_verify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shmfuzz/runtime.h"

#define RULE_IMMUTABLE                                                                 \
    "NET_RING: header fields before BeginIndex are read-only to the driver "           \
    "(NetAdapterCx FailureCode_InvalidRingImmutable)"
#define RULE_INDEX                                                                     \
    "NET_RING: BeginIndex only moves forward inside [Begin, End), NextIndex lies in "  \
    "[Begin, End], indices <= ElementIndexMask (NetAdapterCx InvalidRingBeginIndex)"
#define RULE_OWNERSHIP                                                                 \
    "NET_RING: elements in [End, Begin) belong to the OS "                             \
    "(NetAdapterCx FailureCode_InvalidRingImmutableFrameworkElement)"

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
            (const void *)ring, ring->ElementStride, ring->NumberOfElements,
            ring->ElementIndexMask, ring->OSReserved1, ring->OSReserved0);
    fprintf(f, "  Begin %u Next %u End %u Scratch %p (%s)\n", ring->BeginIndex,
            ring->NextIndex, ring->EndIndex, ring->Scratch,
            shmf_ring_is_valid(ring) ? "valid" : "INVALID");
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
static const char *changed_header_field(const struct shmf_ring_snapshot *s,
                                        const NET_RING *r, uint64_t *before, uint64_t *after)
{
#define SHMF_CMP(field, snap)                                                          \
    if ((uint64_t)r->field != (uint64_t)s->snap) {                                     \
        *before = (uint64_t)s->snap;                                                   \
        *after = (uint64_t)r->field;                                                   \
        return #field;                                                                 \
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
                   RULE_IMMUTABLE, "%s modified NET_RING.%s of ring %p (%#llx -> %#llx)",
                   function, field, (const void *)r, (unsigned long long)before,
                   (unsigned long long)after);
    return SHMF_RING_V_IMMUTABLE;
}

static UINT32 range(const struct shmf_ring_snapshot *s, UINT32 from, UINT32 to)
{
    return (to - from) & s->mask;
}

static unsigned report_index(const NET_RING *r, const char *function, const char *what,
                             UINT32 before, UINT32 after, const struct shmf_ring_snapshot *s)
{
    shmf_rt_report(SHMF_KIND_RING_INDEX_OUT_OF_RANGE, (uint64_t)(uintptr_t)r, function,
                   RULE_INDEX,
                   "%s moved %s of ring %p from %u to %u; driver range was [%u, %u) of %u",
                   function, what, (const void *)r, before, after, s->begin, s->end,
                   s->count);
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
