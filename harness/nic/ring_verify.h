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
 * With full snapshots of both rings of a queue, shmf_ring_verify_rx (receive)
 * or shmf_ring_verify_tx (transmit) then checks the elements of the driver's
 * range, as NetAdapterCx's Verifier_VerifyRingImmutableDriverRx / ...Tx* do:
 *   ring-rx-packet-unwritten a returned receive packet, or a fragment it
 *                            names, still holds the OS's poison (below), or
 *                            has FragmentCount 0;
 *   ring-index-out-of-range  a returned packet's fragments are not inside the
 *                            driver's range before the call and outside it
 *                            after, or not after the previous packet's;
 *   ring-rx-packet-invalid   a layer type out of range, a header length its
 *                            type forbids, Offset + ValidLength > Capacity;
 *   ring-element-immutable-modified  reserved bits, an Ignore packet (but the
 *                            bit), a returned fragment's Capacity changed; on
 *                            transmit, anything but Scratch.
 * At most one finding of each kind is reported per ring (per queue for the
 * element rules) and call.  The header checks cost O(1); the element copy and
 * comparisons O(NumberOfElements).
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
#include <string.h>

/* Largest ring the OS side creates (2^8 elements). */
#define SHMF_RING_MAX_ORDER 8u

/* Bits returned by shmf_ring_verify(), one per finding kind. */
#define SHMF_RING_V_IMMUTABLE 0x1u /**< ring-immutable-modified */
#define SHMF_RING_V_INDEX 0x2u     /**< ring-index-out-of-range */
#define SHMF_RING_V_OWNERSHIP 0x4u /**< ring-ownership-violated */
#define SHMF_RING_V_UNWRITTEN 0x8u /**< ring-rx-packet-unwritten */
#define SHMF_RING_V_PACKET 0x10u   /**< ring-rx-packet-invalid */
#define SHMF_RING_V_ELEMENT 0x20u  /**< ring-element-immutable-modified */
#define SHMF_RING_V_MASK 0x3fu

/* The OS's poison: NetAdapterCx's verifier writes these into the fields of
   every element it posts to a receive queue that the driver must write before
   it returns the element (NxQueueVerifier::PreAdvance), and each returned
   packet must hold none of them.  Layout's header lengths are poisoned too
   (all ones) but not checked: 0 is a valid length.  An Offset of 1023 is a
   valid value that reads as unwritten, as in NetAdapterCx. */
#define SHMF_RING_POISON_FRAGMENT_INDEX UINT32_MAX
#define SHMF_RING_POISON_FRAGMENT_COUNT UINT16_MAX
#define SHMF_RING_POISON_LAYER_TYPE 0xfu /* each of Layer2/3/4Type */
#define SHMF_RING_POISON_VALID_LENGTH 0x3ffffffu
#define SHMF_RING_POISON_OFFSET 0x3ffu

/* A receive packet as the OS posts it: the driver-written fields poisoned,
   Ignore, Scratch and the reserved bits 0. */
static inline NET_PACKET shmf_ring_poisoned_packet(void)
{
    NET_PACKET p;

    memset(&p, 0, sizeof(p));
    p.FragmentIndex = SHMF_RING_POISON_FRAGMENT_INDEX;
    p.FragmentCount = SHMF_RING_POISON_FRAGMENT_COUNT;
    p.Layout.Layer2HeaderLength = 0x7f;
    p.Layout.Layer3HeaderLength = 0x1ff;
    p.Layout.Layer4HeaderLength = 0xff;
    p.Layout.Layer2Type = SHMF_RING_POISON_LAYER_TYPE;
    p.Layout.Layer3Type = SHMF_RING_POISON_LAYER_TYPE;
    p.Layout.Layer4Type = SHMF_RING_POISON_LAYER_TYPE;
    return p;
}

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

/* The element rules of one call into a receive queue's driver (advance or
   cancel): every packet of the packet ring's range before the call, returned
   ([Begin before, Begin after)) or kept, and the fragments each returned
   packet names.  ps / fs are full snapshots of the packet ring pr and the
   fragment ring fr (NET_PACKET and NET_FRAGMENT-first elements), and
   shmf_ring_verify found no immutable or index violation in either.
   @return the SHMF_RING_V_* bits violated (0: clean). */
unsigned shmf_ring_verify_rx(const struct shmf_ring_snapshot *ps, const NET_RING *pr,
                             const struct shmf_ring_snapshot *fs, const NET_RING *fr,
                             const char *function);
/* The same for a transmit queue: in the driver's range before the call, only
   the Scratch bit of a packet or a fragment may change.  Same pre. */
unsigned shmf_ring_verify_tx(const struct shmf_ring_snapshot *ps, const NET_RING *pr,
                             const struct shmf_ring_snapshot *fs, const NET_RING *fr,
                             const char *function);

/* Both rings of a queue after one driver call: shmf_ring_verify on each, then,
   if neither broke a header or index rule and both snapshots are full, the
   element rules of a receive (rx true) or transmit queue.
   @return the SHMF_RING_V_* bits violated (0: clean). */
unsigned shmf_ring_verify_queue(const struct shmf_ring_snapshot *ps, const NET_RING *pr,
                                const struct shmf_ring_snapshot *fs, const NET_RING *fr, bool rx,
                                const char *function);

/* Put ring back as it was when s was taken (header, and the elements of a full
   snapshot), so the OS side can go on from a consistent state after a
   violation. */
void shmf_ring_restore(const struct shmf_ring_snapshot *s, NET_RING *ring);

#endif /* SHMF_RING_VERIFY_H */
