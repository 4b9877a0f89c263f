/*
 * ring_verify.h -- NET_RING utilities for the OS side and the ring verifier,
 * modelled on NetAdapterCx's (netcx/adapter/verifier.cpp, NxQueueVerifier
 * PreAdvance / PostAdvance).
 *
 * Before each driver ring routine the OS side takes a snapshot of every ring
 * (header and all elements, or the header alone when element checks are off);
 * afterwards it compares, and every violation is recorded through
 * shmf_rt_report() as one of:
 *   ring-immutable-modified  a header field before BeginIndex changed
 *                            (OSReserved1, ElementStride, NumberOfElements,
 *                            ElementIndexMask, EndIndex, OSReserved0/2);
 *   ring-index-out-of-range  BeginIndex left the mask or did not move forward
 *                            inside [Begin, End) (Range(Begin, End) grew), or a
 *                            NextIndex the driver wrote is not in [Begin, End];
 *   ring-ownership-violated  an element the OS owned, [End, Begin), changed
 *                            (full snapshots only).
 * At most one finding of each kind is reported per ring and call.  The header
 * checks cost O(1); the element copy and comparison O(NumberOfElements).
 *
 * Conventions: int functions return 0 or a negative errno; pointers are
 * non-NULL unless stated.  Not thread-safe: one snapshot per ring and thread.
 */
#ifndef SHMF_RING_VERIFY_H
#define SHMF_RING_VERIFY_H

#include <ndis.h>
#include <net/ring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Largest ring the OS side creates (2^8 elements). */
#define SHMF_RING_MAX_ORDER 8u

/* Bits returned by shmf_ring_verify(), one per finding kind. */
#define SHMF_RING_V_IMMUTABLE 0x1u /**< ring-immutable-modified */
#define SHMF_RING_V_INDEX 0x2u     /**< ring-index-out-of-range */
#define SHMF_RING_V_OWNERSHIP 0x4u /**< ring-ownership-violated */
#define SHMF_RING_V_MASK 0x7u

/* A copy of one ring as it was before a driver call. */
struct shmf_ring_snapshot {
    const NET_RING *ring; /* ring the copy was taken of; NULL before the first */
    UINT16 os_reserved1;
    UINT16 stride;
    UINT32 count;
    UINT32 mask;
    UINT32 end;
    void *os_reserved2[4]; /* covers OSReserved0 */
    UINT32 begin;
    UINT32 next;
    void *scratch;
    bool has_elements;    /* elems holds the elements (a full snapshot) */
    unsigned char *elems; /* count * stride bytes; Invariant: cap >= that */
    size_t cap;
};

/* === Rings (OS structures, host memory) === */

/* A zeroed ring of `count` elements of `stride` bytes, cache aligned, with
   NumberOfElements, ElementIndexMask and ElementStride set.  Returns NULL when
   count is not a power of two in [2, 2^SHMF_RING_MAX_ORDER], stride is 0, or
   memory runs out. */
NET_RING *shmf_ring_create(UINT32 count, UINT16 stride);
/* Free a ring from shmf_ring_create (NULL is ignored). */
void shmf_ring_destroy(NET_RING *ring);

/* Elements the driver owns, Range(Begin, End). */
static inline UINT32 shmf_ring_driver_count(const NET_RING *ring)
{
    return NetRingGetRangeCount(ring, ring->BeginIndex, ring->EndIndex);
}

/* Elements the OS may still post: N - 1 - Range(Begin, End), since one element
   always stays with the OS to tell a full ring from an empty one. */
static inline UINT32 shmf_ring_post_space(const NET_RING *ring)
{
    return ring->NumberOfElements - 1 - shmf_ring_driver_count(ring);
}

/* The structural invariants: N a power of two >= 2, mask == N - 1, stride > 0,
   every index <= mask.  Next in [Begin, End] is not one of them: NextIndex is
   optional, and a driver that never writes it (packet rings) leaves it behind
   Begin.  For asserts and before snapshots. */
bool shmf_ring_is_valid(const NET_RING *ring);

/* Print the header, the ranges and the first elements in hex. */
void shmf_ring_dump(FILE *f, const NET_RING *ring);

/* === Verifier === */

void shmf_ring_snapshot_init(struct shmf_ring_snapshot *s);
/* Free the element copy; s can be initialized again. */
void shmf_ring_snapshot_fini(struct shmf_ring_snapshot *s);

/* Copy ring's header and elements into s (reusing s's buffer).
   pre: shmf_ring_is_valid(ring).
   @return 0; -EINVAL if the ring is not valid; -ENOMEM. */
int shmf_ring_snapshot_take(struct shmf_ring_snapshot *s, const NET_RING *ring);
/* Copy ring's header only, in O(1): shmf_ring_verify then checks the header
   and the indices but not element ownership, and shmf_ring_restore puts back
   the header only.  @return 0; -EINVAL if the ring is not valid. */
int shmf_ring_snapshot_take_header(struct shmf_ring_snapshot *s, const NET_RING *ring);

/* Compare ring with its snapshot after the driver routine `function` returned,
   report findings, and return the SHMF_RING_V_* bits violated (0: clean).
   pre: s was taken of this ring. */
unsigned shmf_ring_verify(const struct shmf_ring_snapshot *s, const NET_RING *ring,
                          const char *function);

/* Put ring back as it was when s was taken (header, and the elements of a full
   snapshot), so the OS side can go on from a consistent state after a
   violation. */
void shmf_ring_restore(const struct shmf_ring_snapshot *s, NET_RING *ring);

#endif /* SHMF_RING_VERIFY_H */
