/*
 * net/ring.h -- NET_RING and its index helpers, the user-mode subset of the
 * SDK's NetAdapterCx net/ring.h (SDK 10.0.22000), with the WDK's names, field
 * order and x64 layout.  It also includes the rest of the ring headers
 * (net/packet.h, net/fragment.h, net/ringcollection.h, net/extension.h and the
 * fragment extensions), as the SDK's netadaptercx.h does, so code written
 * against this header alone keeps compiling.
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
 * ANYSIZE_ARRAY, so sizeof(NET_RING) is the header size (64);
 * NetRingGetElementAtIndex traps on an index past the ring, where the SDK does
 * not check; NetRingAdvanceIndex takes its Distance as UINT32 where the SDK
 * has INT32 (the same result through the mask).  The section marked "shmfuzz
 * extension" at the end is not WDK.
 *
 * The net/ headers compile as C11 and as C++17, like <ndis.h>.
 */
#ifndef SHMF_NET_RING_H
#define SHMF_NET_RING_H

#include <ndis.h>

SHMF_EXTERN_C_START

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
    SHMF_ALIGNAS(SYSTEM_CACHE_ALIGNMENT_SIZE) unsigned char Buffer[];
} NET_RING;

/* Layout pinned to the WDK's x64 offsets. */
SHMF_STATIC_ASSERT(offsetof(NET_RING, OSReserved1) == 0, "NET_RING.OSReserved1");
SHMF_STATIC_ASSERT(offsetof(NET_RING, ElementStride) == 2, "NET_RING.ElementStride");
SHMF_STATIC_ASSERT(offsetof(NET_RING, NumberOfElements) == 4, "NET_RING.NumberOfElements");
SHMF_STATIC_ASSERT(offsetof(NET_RING, ElementIndexMask) == 8, "NET_RING.ElementIndexMask");
SHMF_STATIC_ASSERT(offsetof(NET_RING, EndIndex) == 12, "NET_RING.EndIndex");
SHMF_STATIC_ASSERT(offsetof(NET_RING, OSReserved0) == 16, "NET_RING.OSReserved0");
SHMF_STATIC_ASSERT(offsetof(NET_RING, OSReserved2) == 16, "NET_RING.OSReserved2");
SHMF_STATIC_ASSERT(offsetof(NET_RING, BeginIndex) == 48, "NET_RING.BeginIndex");
SHMF_STATIC_ASSERT(offsetof(NET_RING, NextIndex) == 52, "NET_RING.NextIndex");
SHMF_STATIC_ASSERT(offsetof(NET_RING, Scratch) == 56, "NET_RING.Scratch");
SHMF_STATIC_ASSERT(offsetof(NET_RING, Buffer) == SYSTEM_CACHE_ALIGNMENT_SIZE, "NET_RING.Buffer");
SHMF_STATIC_ASSERT(SHMF_ALIGNOF(NET_RING) == SYSTEM_CACHE_ALIGNMENT_SIZE, "NET_RING alignment");

/* Address of element Index.  The SDK's NetRingGetElementAtIndex checks nothing
   (an early NetAdapterCx preview had NT_ASSERT(Index < NumberOfElements), in
   checked builds only): an index past the ring reads or writes past it.  Here
   an index above ElementIndexMask traps at once (a shmfuzz addition), so the
   driver's bad index is the crash, not what it overwrote. */
FORCEINLINE void *NetRingGetElementAtIndex(NET_RING const *Ring, UINT32 Index)
{
    if (Index > Ring->ElementIndexMask)
        __builtin_trap();
    return (void *)&Ring->Buffer[(SIZE_T)Index * Ring->ElementStride];
}

/* Number of elements in [StartIndex, EndIndex), modulo the ring size.  The SDK
   asserts both indices are below NumberOfElements with NT_ASSERT, which a free
   build compiles out; here, as in a free build, nothing is checked. */
FORCEINLINE UINT32 NetRingGetRangeCount(NET_RING const *Ring, UINT32 StartIndex, UINT32 EndIndex)
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

SHMF_EXTERN_C_END

/* The rest of the ring headers, as netadaptercx.h includes them. */
#include <net/packet.h>
#include <net/fragment.h>
#include <net/ringcollection.h>
#include <net/extension.h>
#include <net/logicaladdress.h>
#include <net/virtualaddress.h>

SHMF_EXTERN_C_START

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

SHMF_STATIC_ASSERT(offsetof(SHMF_NET_FRAGMENT_SHM, Fragment) == 0, "Fragment first");
SHMF_STATIC_ASSERT(sizeof(SHMF_NET_FRAGMENT_SHM) == 48, "SHMF_NET_FRAGMENT_SHM size");
SHMF_STATIC_ASSERT(offsetof(SHMF_NET_FRAGMENT_SHM, LogicalAddress) == 8,
                   "LogicalAddress: where the ms_fragment_logicaladdress extension reads");
SHMF_STATIC_ASSERT(offsetof(SHMF_NET_FRAGMENT_SHM, VirtualAddress) == 16,
                   "VirtualAddress: where the ms_fragment_virtualaddress extension reads");

FORCEINLINE SHMF_NET_FRAGMENT_SHM *ShmfNetRingGetFragmentShmAtIndex(NET_RING const *Ring,
                                                                    UINT32 Index)
{
    return (SHMF_NET_FRAGMENT_SHM *)NetRingGetElementAtIndex(Ring, Index);
}

/* The NetAdapterCx extensions of a shmfuzz ring (what NetRxQueueGetExtension /
 * NetTxQueueGetExtension return to a NetAdapterCx driver).  A fragment ring of
 * SHMF_NET_FRAGMENT_SHM elements has the logical-address and virtual-address
 * fragment extensions, version 1, read in place from each element's
 * LogicalAddress and VirtualAddress (the NIC model's values).  Any other
 * query, or a ring of another element type, gets a disabled extension
 * (Enabled FALSE), as NetAdapterCx returns for an extension it did not
 * register. */
FORCEINLINE VOID ShmfNetRingGetExtension(NET_RING const *Ring, NET_EXTENSION_QUERY const *Query,
                                         NET_EXTENSION *Extension)
{
    SIZE_T offset = 0;
    RtlZeroMemory(Extension, sizeof(*Extension));
    if (Query->Type != NetExtensionTypeFragment || Query->Version != 1 || Query->Name == NULL ||
        Ring->ElementStride < sizeof(SHMF_NET_FRAGMENT_SHM))
        return;
    if (wcscmp(Query->Name, NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_NAME) == 0)
        offset = offsetof(SHMF_NET_FRAGMENT_SHM, LogicalAddress);
    else if (wcscmp(Query->Name, NET_FRAGMENT_EXTENSION_VIRTUAL_ADDRESS_NAME) == 0)
        offset = offsetof(SHMF_NET_FRAGMENT_SHM, VirtualAddress);
    else
        return;
    Extension->Reserved[0] = (void *)((unsigned char *)Ring->Buffer + offset);
    Extension->Reserved[1] = (void *)(ULONG_PTR)Ring->ElementStride;
    Extension->Enabled = TRUE;
}

SHMF_EXTERN_C_END
#endif /* SHMF_NET_RING_H */
