/*
 * net/ring.h -- the user-mode subset of the WDK's NetAdapterCx ring headers
 * (net/ring.h, net/ringcollection.h, net/packet.h, net/fragment.h, SDK
 * 10.0.22000), with the WDK's names, field order and x64 layout.
 *
 * Ownership (ndis-facts.md section 8): a ring of NumberOfElements (a power of
 * two, > 1) elements.  The client driver owns [BeginIndex, EndIndex); the OS
 * owns the rest.  The OS posts by advancing EndIndex, the driver returns
 * elements by advancing BeginIndex.  NextIndex splits the driver's range into
 * [BeginIndex, NextIndex), handed to hardware, and [NextIndex, EndIndex), not
 * yet handed to hardware.  Indices wrap through ElementIndexMask.
 *
 * Differences from the WDK, all layout-neutral: the read-only header fields are
 * not declared const (the shmfuzz OS side writes them; the verifier enforces
 * that the driver does not); Buffer is a flexible array instead of
 * ANYSIZE_ARRAY, so sizeof(NET_RING) is the header size (64).  The section
 * marked "shmfuzz extension" at the end is not WDK.
 */
#ifndef SHMF_NET_RING_H
#define SHMF_NET_RING_H

#include <ndis.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SYSTEM_CACHE_ALIGNMENT_SIZE
#define SYSTEM_CACHE_ALIGNMENT_SIZE 64
#endif

/* === NET_RING (net/ring.h) === */

typedef struct _NET_RING {
    /* Reserved for the OS; the driver must not touch it. */
    UINT16 OSReserved1;
    /* Read-only to the driver: bytes from one element to the next. */
    UINT16 ElementStride;
    /* Read-only to the driver: a power of two greater than 1. */
    UINT32 NumberOfElements;
    /* Read-only to the driver: NumberOfElements - 1, so x % N == x & mask. */
    UINT32 ElementIndexMask;
    /* Read-only to the driver: one past the last element the driver owns. */
    UINT32 EndIndex;
    /* Reserved for the OS. */
    union {
        UINT32 OSReserved0;
        void *OSReserved2[4];
    };
    /* First element the driver owns; the driver advances it to return elements. */
    UINT32 BeginIndex;
    /* First element not yet handed to hardware; Invariant: in [Begin, End]. */
    UINT32 NextIndex;
    /* Free for the driver's use. */
    void *Scratch;
    /* The elements, ElementStride bytes apart, starting at the next cache line. */
    _Alignas(SYSTEM_CACHE_ALIGNMENT_SIZE) unsigned char Buffer[];
} NET_RING;

/* Layout pinned to the WDK's x64 offsets. */
_Static_assert(offsetof(NET_RING, OSReserved1) == 0, "NET_RING.OSReserved1");
_Static_assert(offsetof(NET_RING, ElementStride) == 2, "NET_RING.ElementStride");
_Static_assert(offsetof(NET_RING, NumberOfElements) == 4, "NET_RING.NumberOfElements");
_Static_assert(offsetof(NET_RING, ElementIndexMask) == 8, "NET_RING.ElementIndexMask");
_Static_assert(offsetof(NET_RING, EndIndex) == 12, "NET_RING.EndIndex");
_Static_assert(offsetof(NET_RING, OSReserved0) == 16, "NET_RING.OSReserved0");
_Static_assert(offsetof(NET_RING, OSReserved2) == 16, "NET_RING.OSReserved2");
_Static_assert(offsetof(NET_RING, BeginIndex) == 48, "NET_RING.BeginIndex");
_Static_assert(offsetof(NET_RING, NextIndex) == 52, "NET_RING.NextIndex");
_Static_assert(offsetof(NET_RING, Scratch) == 56, "NET_RING.Scratch");
_Static_assert(offsetof(NET_RING, Buffer) == SYSTEM_CACHE_ALIGNMENT_SIZE, "NET_RING.Buffer");
_Static_assert(_Alignof(NET_RING) == SYSTEM_CACHE_ALIGNMENT_SIZE, "NET_RING alignment");

/* Address of element Index.  The WDK asserts Index <= ElementIndexMask even in
   free builds (NT_FRE_ASSERT, a bug check); here an out-of-range index traps. */
FORCEINLINE void *NetRingGetElementAtIndex(NET_RING const *Ring, UINT32 Index)
{
    if (Index > Ring->ElementIndexMask)
        __builtin_trap();
    return (void *)&Ring->Buffer[(SIZE_T)Index * Ring->ElementStride];
}

/* Number of elements in [StartIndex, EndIndex), modulo the ring size. */
FORCEINLINE UINT32 NetRingGetRangeCount(NET_RING const *Ring, UINT32 StartIndex,
                                        UINT32 EndIndex)
{
    return (EndIndex - StartIndex) & Ring->ElementIndexMask;
}

FORCEINLINE UINT32 NetRingAdvanceIndex(NET_RING const *Ring, UINT32 Index, UINT32 Distance)
{
    return (Index + Distance) & Ring->ElementIndexMask;
}

FORCEINLINE UINT32 NetRingIncrementIndex(NET_RING const *Ring, UINT32 Index)
{
    return (Index + 1) & Ring->ElementIndexMask;
}

/* === NET_PACKET (net/packet.h) === */

/* 5 bytes of bit fields.  The WDK mixes UINT8 and UINT16 bases, which MSVC packs
   into 5 bytes; packed UINT8/UINT16 bit fields give the same bits here. */
typedef struct __attribute__((packed)) _NET_PACKET_LAYOUT {
    UINT8 Layer2HeaderLength : 7;
    UINT16 Layer3HeaderLength : 9;
    UINT8 Layer4HeaderLength : 8;
    UINT8 Layer2Type : 4;
    UINT8 Layer3Type : 4;
    UINT8 Layer4Type : 4;
    UINT8 Reserved0 : 4;
} NET_PACKET_LAYOUT;

typedef struct _NET_PACKET {
    /* First fragment of the packet in the fragment ring. */
    UINT32 FragmentIndex;
    /* Number of fragments; non-zero for a received packet that is not ignored. */
    UINT16 FragmentCount;
    NET_PACKET_LAYOUT Layout;
    /* Set by the driver on a packet the OS must drop (Rx cancel). */
    UINT8 Ignore : 1;
    /* Free for the driver's use. */
    UINT8 Scratch : 1;
    UINT8 Reserved1 : 6;
} NET_PACKET;

_Static_assert(sizeof(NET_PACKET_LAYOUT) == 5, "NET_PACKET_LAYOUT size");
_Static_assert(sizeof(NET_PACKET) == 12, "NET_PACKET size");
_Static_assert(offsetof(NET_PACKET, FragmentCount) == 4, "NET_PACKET.FragmentCount");
_Static_assert(offsetof(NET_PACKET, Layout) == 6, "NET_PACKET.Layout");

FORCEINLINE NET_PACKET *NetRingGetPacketAtIndex(NET_RING const *Ring, UINT32 Index)
{
    return (NET_PACKET *)NetRingGetElementAtIndex(Ring, Index);
}

/* === NET_FRAGMENT (net/fragment.h) === */

typedef struct _NET_FRAGMENT {
    /* Bytes of valid data, written by the driver for a received fragment. */
    UINT64 ValidLength : 26;
    /* Bytes the fragment's buffer can hold, written by the OS when it posts. */
    UINT64 Capacity : 26;
    /* Offset of the valid data in the buffer. */
    UINT64 Offset : 10;
    /* Free for the driver's use. */
    UINT64 Scratch : 1;
    UINT64 OsReserved_Bounced : 1;
} NET_FRAGMENT;

_Static_assert(sizeof(NET_FRAGMENT) == 8, "NET_FRAGMENT size");

FORCEINLINE NET_FRAGMENT *NetRingGetFragmentAtIndex(NET_RING const *Ring, UINT32 Index)
{
    return (NET_FRAGMENT *)NetRingGetElementAtIndex(Ring, Index);
}

/* === NET_RING_COLLECTION (net/ringcollection.h) === */

typedef enum _NET_RING_TYPE {
    NetRingTypePacket = 0,
    NetRingTypeFragment = 1,
    NetRingTypeDataBuffer = 2,
} NET_RING_TYPE;

typedef struct _NET_RING_COLLECTION {
    NET_RING *Rings[NetRingTypeDataBuffer + 1];
} NET_RING_COLLECTION;

FORCEINLINE NET_RING *NetRingCollectionGetPacketRing(NET_RING_COLLECTION const *Rings)
{
    return Rings->Rings[NetRingTypePacket];
}

FORCEINLINE NET_RING *NetRingCollectionGetFragmentRing(NET_RING_COLLECTION const *Rings)
{
    return Rings->Rings[NetRingTypeFragment];
}

FORCEINLINE NET_RING *NetRingCollectionGetDataBufferRing(NET_RING_COLLECTION const *Rings)
{
    return Rings->Rings[NetRingTypeDataBuffer];
}

/* === shmfuzz extension (NOT WDK) ===
 *
 * The WDK keeps a fragment's addresses in fragment extensions (virtual address,
 * logical address, return context).  Over shared memory a received buffer is
 * also named by NET_BUFFER_SHARED_MEMORY semantics: the block's
 * SharedMemoryHandle plus an offset and length inside the allocation.  shmfuzz
 * fragment rings therefore hold SHMF_NET_FRAGMENT_SHM elements (ElementStride ==
 * sizeof(SHMF_NET_FRAGMENT_SHM)), whose first member is the WDK NET_FRAGMENT, so
 * NetRingGetFragmentAtIndex works unchanged.
 *
 * The two Hardware* fields model the NIC's receive descriptor:
 *   the OS posts an element with HardwareStatus == SHMF_HW_IDLE;
 *   the driver hands it to hardware by setting SHMF_HW_POSTED (then NextIndex);
 *   the NIC DMAs a packet into it and sets HardwareLength and SHMF_HW_DONE;
 *   the driver drains it: ValidLength = HardwareLength, status back to IDLE.
 */
#define SHMF_HW_IDLE 0u   /* not handed to hardware */
#define SHMF_HW_POSTED 1u /* owned by hardware, ready for a DMA */
#define SHMF_HW_DONE 2u   /* hardware wrote HardwareLength bytes */

typedef struct _SHMF_NET_FRAGMENT_SHM {
    NET_FRAGMENT Fragment;
    /* Device-visible address of the buffer (from the block's SG list). */
    UINT64 LogicalAddress;
    /* Host address of the buffer (block VirtualAddress + offset). */
    PVOID VirtualAddress;
    /* NET_BUFFER_SHARED_MEMORY: the block, and the buffer's place in it. */
    NDIS_HANDLE SharedMemoryHandle;
    ULONG SharedMemoryOffset;
    ULONG SharedMemoryLength;
    /* Receive descriptor: SHMF_HW_* and bytes written by the NIC. */
    UINT32 HardwareStatus;
    UINT32 HardwareLength;
} SHMF_NET_FRAGMENT_SHM;

_Static_assert(offsetof(SHMF_NET_FRAGMENT_SHM, Fragment) == 0, "Fragment first");
_Static_assert(sizeof(SHMF_NET_FRAGMENT_SHM) == 48, "SHMF_NET_FRAGMENT_SHM size");

FORCEINLINE SHMF_NET_FRAGMENT_SHM *ShmfNetRingGetFragmentShmAtIndex(NET_RING const *Ring,
                                                                  UINT32 Index)
{
    return (SHMF_NET_FRAGMENT_SHM *)NetRingGetElementAtIndex(Ring, Index);
}

#ifdef __cplusplus
}
#endif
#endif /* SHMF_NET_RING_H */
