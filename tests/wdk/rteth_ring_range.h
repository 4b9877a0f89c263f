/*
 * rteth_ring_range.h -- ranges of a NetAdapterCx queue's rings, for the
 * RtEthSample-shaped receive queue (rteth_rx.cpp).  The samples walk rings
 * with small iterators that copy an index, move it, and write it back into
 * the ring at the end (netringiterator.h); this is our own C++ take on that
 * idea: a RingRange over [index, end) of one ring of a NET_RING_COLLECTION
 * that, when committed, stores its index into BeginIndex or NextIndex.
 *
 * Sees only <ndis.h> and the net/ headers.  C++17.
 */
#ifndef SHMF_RTETH_RING_RANGE_H
#define SHMF_RTETH_RING_RANGE_H

#include <ndis.h>
#include <net/ringcollection.h>

namespace rteth {

class RingRange {
  public:
    /* [Begin, End) or [Next, End) etc. of ring `type`; Commit() stores the
       position into *target (BeginIndex or NextIndex of the same ring), or
       nowhere when target is nullptr. */
    RingRange(NET_RING_COLLECTION const *rings, NET_RING_TYPE type, UINT32 *target, UINT32 from,
              UINT32 to)
        : m_ring(rings->Rings[type]), m_target(target), m_index(from), m_end(to)
    {
    }

    bool HasAny() const { return m_index != m_end; }
    UINT32 Index() const { return m_index; }
    UINT32 Count() const { return NetRingGetRangeCount(m_ring, m_index, m_end); }
    void Advance() { m_index = NetRingIncrementIndex(m_ring, m_index); }
    void AdvanceToEnd() { m_index = m_end; }
    void Commit() const
    {
        if (m_target != nullptr)
            *m_target = m_index;
    }
    NET_RING *Ring() const { return m_ring; }

  private:
    NET_RING *m_ring;
    UINT32 *m_target;
    UINT32 m_index;
    UINT32 m_end;
};

/* Fragments the driver handed to hardware and may return: [Begin, Next). */
inline RingRange DrainFragments(NET_RING_COLLECTION const *rings)
{
    NET_RING *r = NetRingCollectionGetFragmentRing(rings);
    return RingRange(rings, NetRingTypeFragment, &r->BeginIndex, r->BeginIndex, r->NextIndex);
}

/* Fragments the OS gave and hardware does not have yet: [Next, End). */
inline RingRange PostFragments(NET_RING_COLLECTION const *rings)
{
    NET_RING *r = NetRingCollectionGetFragmentRing(rings);
    return RingRange(rings, NetRingTypeFragment, &r->NextIndex, r->NextIndex, r->EndIndex);
}

/* Every fragment the driver owns: [Begin, End). */
inline RingRange AllFragments(NET_RING_COLLECTION const *rings)
{
    NET_RING *r = NetRingCollectionGetFragmentRing(rings);
    return RingRange(rings, NetRingTypeFragment, &r->BeginIndex, r->BeginIndex, r->EndIndex);
}

/* Every packet the driver owns: [Begin, End). */
inline RingRange AllPackets(NET_RING_COLLECTION const *rings)
{
    NET_RING *r = NetRingCollectionGetPacketRing(rings);
    return RingRange(rings, NetRingTypePacket, &r->BeginIndex, r->BeginIndex, r->EndIndex);
}

inline NET_PACKET *PacketAt(RingRange const &range)
{
    return NetRingGetPacketAtIndex(range.Ring(), range.Index());
}

inline NET_FRAGMENT *FragmentAt(RingRange const &range)
{
    return NetRingGetFragmentAtIndex(range.Ring(), range.Index());
}

} // namespace rteth

#endif /* SHMF_RTETH_RING_RANGE_H */
