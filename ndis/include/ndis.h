/*
 * ndis.h -- the user-mode subset of the WDK's ndis.h / wdm.h that an NDIS
 * shared-memory provider needs, with the WDK's names, field order and values
 * (x64 layout).  A provider that uses only these names compiles unmodified
 * against this header and against the real WDK.
 *
 * Every function declared here is implemented by the shmfuzz runtime
 * (ndis/src), which checks each call against its documented contract (IRQL,
 * ownership, pairing) and reports violations as verifier findings.
 *
 * It compiles as C11 and as C++ (C++17 and later).  Its parts live in ndis/
 * (SAL annotations, NET_BUFFER shared memory, the driver object, miniport and
 * filter driver registration) and are included from here; providers include
 * <ndis.h> only.
 *
 * Facts and sources: shared/ndis-facts.md.  Nothing in this file is shmfuzz
 * specific except the `Shmf*` plug-in ABI at the end and the `ShmfRt*` hooks
 * the WDK's inline routines and macros call (list checks, assertions,
 * PAGED_CODE).
 */
#ifndef SHMF_NDIS_H
#define SHMF_NDIS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

/* === C and C++ ===
 * The headers compile as C11 and as C++ (C++17 and later): the layout checks
 * and alignment go through these macros, and every declaration has C linkage.
 * EXTERN_C, C_ASSERT and DECLSPEC_ALIGN are the WDK's names for the same. */
#ifdef __cplusplus
#define SHMF_STATIC_ASSERT(e, m) static_assert(e, m)
#define SHMF_ALIGNAS(n) alignas(n)
#define SHMF_ALIGNOF(t) alignof(t)
#define SHMF_EXTERN_C_START extern "C" {
#define SHMF_EXTERN_C_END }
#ifndef EXTERN_C
#define EXTERN_C extern "C"
#endif
#else
#define SHMF_STATIC_ASSERT(e, m) _Static_assert(e, m)
#define SHMF_ALIGNAS(n) _Alignas(n)
#define SHMF_ALIGNOF(t) _Alignof(t)
#define SHMF_EXTERN_C_START
#define SHMF_EXTERN_C_END
#ifndef EXTERN_C
#define EXTERN_C extern
#endif
#endif
#ifndef EXTERN_C_START
#define EXTERN_C_START SHMF_EXTERN_C_START
#define EXTERN_C_END SHMF_EXTERN_C_END
#endif
#ifndef C_ASSERT
#define C_ASSERT(e) SHMF_STATIC_ASSERT(e, #e)
#endif
/* Enumerations have int as their underlying type in C++ too, as MSVC gives
   them: a provider reading a hostile value (Usage = 28) from a parameter block
   reads an int, not C++'s undefined behaviour for a value outside the enum. */
#ifdef __cplusplus
#define SHMF_ENUM_INT : int
#else
#define SHMF_ENUM_INT
#endif

/* === SAL annotations: empty so annotated WDK sources compile (ndis/sal.h) === */
#include <ndis/sal.h>

SHMF_EXTERN_C_START

/* === Base types (LLP64 widths: ULONG and LONG are 32 bits) === */
#define VOID void
typedef void *PVOID;
typedef unsigned char UCHAR, *PUCHAR;
typedef char CHAR, *PCHAR, CCHAR;
typedef unsigned short USHORT, *PUSHORT;
typedef short CSHORT;
typedef uint32_t ULONG, *PULONG;
typedef int32_t LONG, *PLONG;
typedef uint32_t UINT, *PUINT;
typedef uint64_t ULONG64, *PULONG64, ULONGLONG;
typedef int64_t LONGLONG, *PLONGLONG;
typedef int64_t LONG64, *PLONG64;
typedef short SHORT, *PSHORT;
typedef int INT, *PINT;
typedef intptr_t LONG_PTR, *PLONG_PTR;
typedef uint16_t UINT16;
typedef uint32_t UINT32;
typedef uint64_t UINT64;
typedef uint8_t UINT8;
typedef UCHAR BOOLEAN, *PBOOLEAN;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef size_t SIZE_T, *PSIZE_T;
typedef int32_t NTSTATUS;
typedef UCHAR KIRQL, *PKIRQL;
typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;
typedef CCHAR KPROCESSOR_MODE;
typedef ULONG64 PFN_NUMBER, *PPFN_NUMBER;
typedef ULONG NODE_REQUIREMENT;
typedef PVOID NDIS_HANDLE, *PNDIS_HANDLE;
typedef int NDIS_STATUS, *PNDIS_STATUS;

typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    struct {
        ULONG LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;
typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_SIZEOF_THROUGH_FIELD(type, field)                                                      \
    (FIELD_OFFSET(type, field) + RTL_FIELD_SIZE(type, field))
/* offsetof rather than the WDK's &((type *)0)->field, which UBSan flags. */
#define CONTAINING_RECORD(address, type, field) ((type *)((PUCHAR)(address)-offsetof(type, field)))
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define MAXULONG 0xffffffffu
#define MAXULONG64 0xffffffffffffffffull
#define RTL_NUMBER_OF(A) (sizeof(A) / sizeof((A)[0]))
#ifndef ARRAYSIZE
#define ARRAYSIZE(A) RTL_NUMBER_OF(A)
#endif

/* Alignment (ntdef.h): round a length or an address down or up to a power of two. */
/* (clang-format would print "(alignment)-1", as if a cast.) */
/* clang-format off */
#define ALIGN_DOWN_BY(length, alignment) ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment) - 1))
#define ALIGN_UP_BY(length, alignment)                                                             \
    (ALIGN_DOWN_BY(((ULONG_PTR)(length) + (alignment) - 1), alignment))
#define ALIGN_DOWN_POINTER_BY(address, alignment)                                                  \
    ((PVOID)((ULONG_PTR)(address) & ~((ULONG_PTR)(alignment) - 1)))
#define ALIGN_UP_POINTER_BY(address, alignment)                                                    \
    (ALIGN_DOWN_POINTER_BY(((ULONG_PTR)(address) + (alignment) - 1), alignment))
/* clang-format on */
#define ALIGN_DOWN(length, type) ALIGN_DOWN_BY(length, sizeof(type))
#define ALIGN_UP(length, type) ALIGN_UP_BY(length, sizeof(type))
#define ALIGN_DOWN_POINTER(address, type) ALIGN_DOWN_POINTER_BY(address, sizeof(type))
#define ALIGN_UP_POINTER(address, type) ALIGN_UP_POINTER_BY(address, sizeof(type))

/* Memory barriers: MemoryBarrier orders loads and stores against the other
   processors (a full fence); the compiler-only forms order them for this one. */
#define MemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define KeMemoryBarrier() MemoryBarrier()
#define KeMemoryBarrierWithoutFence() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define _ReadWriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)

/* === Assertions ===
 * As in a checked (DBG) build: ASSERT, NT_ASSERT and the rest evaluate their
 * expression, and a false one is an assertion-failed finding naming the
 * expression, file and line (the run goes on, as after "ignore" in a
 * debugger).  -DSHMF_NO_DRIVER_ASSERTS makes them what a free build has:
 * ASSERT and NT_ASSERT evaluate nothing, NT_VERIFY and NT_FRE_ASSERT still
 * evaluate (NT_FRE_ASSERT still reports). */
VOID ShmfRtAssertFailed(const char *Expression, const char *File, ULONG Line);

FORCEINLINE BOOLEAN ShmfRtAssertCheck(BOOLEAN Ok, const char *Expression, const char *File,
                                      ULONG Line)
{
    if (!Ok)
        ShmfRtAssertFailed(Expression, File, Line);
    return Ok;
}

#define SHMF_ASSERT_CHECK_(e, text) ShmfRtAssertCheck((e) ? TRUE : FALSE, text, __FILE__, __LINE__)
#define NT_FRE_ASSERT(e) ((void)SHMF_ASSERT_CHECK_(e, #e))
#define NT_FRE_ASSERTMSG(msg, e) ((void)SHMF_ASSERT_CHECK_(e, msg))
#ifndef SHMF_NO_DRIVER_ASSERTS
#define ASSERT(e) ((void)SHMF_ASSERT_CHECK_(e, #e))
#define ASSERTMSG(msg, e) ((void)SHMF_ASSERT_CHECK_(e, msg))
#define NT_ASSERT(e) ((void)SHMF_ASSERT_CHECK_(e, #e))
#define NT_ASSERTMSG(msg, e) ((void)SHMF_ASSERT_CHECK_(e, msg))
#define NT_ASSERTMSGW(msg, e) ((void)SHMF_ASSERT_CHECK_(e, #e))
#define NT_VERIFY(e) SHMF_ASSERT_CHECK_(e, #e)
#define NT_VERIFYMSG(msg, e) SHMF_ASSERT_CHECK_(e, msg)
#else
#define ASSERT(e) ((void)0)
#define ASSERTMSG(msg, e) ((void)0)
#define NT_ASSERT(e) ((void)0)
#define NT_ASSERTMSG(msg, e) ((void)0)
#define NT_ASSERTMSGW(msg, e) ((void)0)
#define NT_VERIFY(e) ((e) ? TRUE : FALSE)
#define NT_VERIFYMSG(msg, e) ((e) ? TRUE : FALSE)
#endif

/* PAGED_CODE() marks code that may page: the runtime reports irql-too-high when
   it runs above APC_LEVEL, as Driver Verifier's IRQL checking makes it fault. */
VOID ShmfRtPagedCode(const char *Function);
#define PAGED_CODE() ShmfRtPagedCode(__func__)
#define PAGED_CODE_LOCKED() ((void)0)

/* === Status codes === */
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define STATUS_PENDING ((NTSTATUS)0x00000103L)
#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define STATUS_NOT_SUPPORTED ((NTSTATUS)0xC00000BBL)

#define NDIS_STATUS_SUCCESS ((NDIS_STATUS)STATUS_SUCCESS)
#define NDIS_STATUS_PENDING ((NDIS_STATUS)STATUS_PENDING)
#define NDIS_STATUS_FAILURE ((NDIS_STATUS)STATUS_UNSUCCESSFUL)
#define NDIS_STATUS_RESOURCES ((NDIS_STATUS)STATUS_INSUFFICIENT_RESOURCES)
#define NDIS_STATUS_INVALID_PARAMETER ((NDIS_STATUS)STATUS_INVALID_PARAMETER)
#define NDIS_STATUS_NOT_SUPPORTED ((NDIS_STATUS)STATUS_NOT_SUPPORTED)
#define NDIS_STATUS_NOT_ACCEPTED ((NDIS_STATUS)0x00010003L)
#define NDIS_STATUS_REQUEST_ABORTED ((NDIS_STATUS)0xC001000CL)
#define NDIS_STATUS_INVALID_LENGTH ((NDIS_STATUS)0xC0010014L)
#define NDIS_STATUS_RECEIVE_QUEUE_STATE ((NDIS_STATUS)0x4002000DL)

/* === IRQL === */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define CMCI_LEVEL 5
#define CLOCK_LEVEL 13
#define IPI_LEVEL 14
#define POWER_LEVEL 14
#define PROFILE_LEVEL 15
#define HIGH_LEVEL 15

/* === Pages === */
#define PAGE_SIZE 0x1000
#define PAGE_SHIFT 12L
#define BYTE_OFFSET(Va) ((ULONG)((LONG_PTR)(Va) & (PAGE_SIZE - 1)))
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~((ULONG_PTR)PAGE_SIZE - 1)))
#define BYTES_TO_PAGES(Size) (((Size) >> PAGE_SHIFT) + (((Size) & (PAGE_SIZE - 1)) != 0))
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size)                                                   \
    ((BYTE_OFFSET(Va) + ((SIZE_T)(Size)) + (PAGE_SIZE - 1)) >> PAGE_SHIFT)
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~((ULONG_PTR)PAGE_SIZE - 1))

#define PAGE_NOACCESS 0x01
#define PAGE_READONLY 0x02
#define PAGE_READWRITE 0x04
#define PAGE_EXECUTE_READWRITE 0x40
#define PAGE_NOCACHE 0x200
#define PAGE_WRITECOMBINE 0x400

#define NDIS_MEMORY_CONTIGUOUS 0x00000001
#define NDIS_MEMORY_NONCACHED 0x00000002

typedef enum _MODE SHMF_ENUM_INT { KernelMode, UserMode, MaximumMode } MODE;

typedef enum _MEMORY_CACHING_TYPE SHMF_ENUM_INT {
    MmNotMapped = -1,
    MmNonCached = 0,
    MmCached = 1,
    MmWriteCombined = 2,
    MmFrameBufferCached = 2,
    MmHardwareCoherentCached = 3,
    MmNonCachedUnordered = 4,
    MmUSWCCached = 5,
    MmMaximumCacheType = 6
} MEMORY_CACHING_TYPE;

typedef enum _MM_PAGE_PRIORITY SHMF_ENUM_INT {
    LowPagePriority = 0,
    NormalPagePriority = 16,
    HighPagePriority = 32
} MM_PAGE_PRIORITY;
#define MdlMappingNoWrite 0x80000000u
#define MdlMappingNoExecute 0x40000000u

typedef enum _EX_POOL_PRIORITY SHMF_ENUM_INT {
    LowPoolPriority = 0,
    LowPoolPrioritySpecialPoolOverrun = 8,
    LowPoolPrioritySpecialPoolUnderrun = 9,
    NormalPoolPriority = 16,
    NormalPoolPrioritySpecialPoolOverrun = 24,
    NormalPoolPrioritySpecialPoolUnderrun = 25,
    HighPoolPriority = 32,
    HighPoolPrioritySpecialPoolOverrun = 40,
    HighPoolPrioritySpecialPoolUnderrun = 41
} EX_POOL_PRIORITY;

#define MM_ANY_NODE_OK 0x80000000u

#define MM_DONT_ZERO_ALLOCATION 0x00000001
#define MM_ALLOCATE_FROM_LOCAL_NODE_ONLY 0x00000002
#define MM_ALLOCATE_FULLY_REQUIRED 0x00000004
#define MM_ALLOCATE_NO_WAIT 0x00000008
#define MM_ALLOCATE_PREFER_CONTIGUOUS 0x00000010
#define MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS 0x00000020
#define MM_ALLOCATE_FAST_LARGE_PAGES 0x00000040
#define MM_ALLOCATE_TRIM_IF_NECESSARY 0x00000080
#define MM_ALLOCATE_AND_HOT_REMOVE 0x00000100
#define MM_FREE_MDL_PAGES_ZERO 0x00000001

/* === Lists === */
typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

/* Called by the list routines when an integrity check fails: a NULL link, or a
   neighbour that does not point back (the WDK fast-fails
   with FAST_FAIL_CORRUPT_LIST_ENTRY, bug check 0x139/3). */
VOID ShmfRtListCorrupt(PLIST_ENTRY Entry);
/* shmfuzz only: a scheduling point between a list routine's reads and writes, so
   the stress runner's deterministic mode can interleave an unlocked list update
   with another processor's (a no-op unless that mode is on). */
VOID ShmfRtListYield(VOID);

FORCEINLINE VOID InitializeListHead(PLIST_ENTRY ListHead)
{
    ListHead->Flink = ListHead->Blink = ListHead;
}

FORCEINLINE BOOLEAN IsListEmpty(const LIST_ENTRY *ListHead)
{
    return (BOOLEAN)(ListHead->Flink == ListHead);
}

FORCEINLINE BOOLEAN RemoveEntryList(PLIST_ENTRY Entry)
{
    PLIST_ENTRY Flink = Entry->Flink, Blink = Entry->Blink;
    if (!Flink || !Blink || Flink->Blink != Entry || Blink->Flink != Entry) {
        ShmfRtListCorrupt(Entry);
        return FALSE;
    }
    ShmfRtListYield();
    Blink->Flink = Flink;
    Flink->Blink = Blink;
    return (BOOLEAN)(Flink == Blink);
}

FORCEINLINE PLIST_ENTRY RemoveHeadList(PLIST_ENTRY ListHead)
{
    PLIST_ENTRY Entry = ListHead->Flink, Flink = Entry ? Entry->Flink : NULL;
    if (!Flink || Entry->Blink != ListHead || Flink->Blink != Entry) {
        ShmfRtListCorrupt(ListHead);
        return ListHead;
    }
    ShmfRtListYield();
    ListHead->Flink = Flink;
    Flink->Blink = ListHead;
    return Entry;
}

FORCEINLINE VOID InsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry)
{
    PLIST_ENTRY Blink = ListHead->Blink;
    if (!Blink || Blink->Flink != ListHead) {
        ShmfRtListCorrupt(ListHead);
        return;
    }
    ShmfRtListYield();
    Entry->Flink = ListHead;
    Entry->Blink = Blink;
    Blink->Flink = Entry;
    ListHead->Blink = Entry;
}

FORCEINLINE VOID InsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry)
{
    PLIST_ENTRY Flink = ListHead->Flink;
    if (!Flink || Flink->Blink != ListHead) {
        ShmfRtListCorrupt(ListHead);
        return;
    }
    ShmfRtListYield();
    Entry->Flink = Flink;
    Entry->Blink = ListHead;
    Flink->Blink = Entry;
    ListHead->Flink = Entry;
}

/* Removes and returns the last entry; ListHead itself if the list is empty. */
FORCEINLINE PLIST_ENTRY RemoveTailList(PLIST_ENTRY ListHead)
{
    PLIST_ENTRY Entry = ListHead->Blink, Blink = Entry ? Entry->Blink : NULL;
    if (!Blink || Entry->Flink != ListHead || Blink->Flink != Entry) {
        ShmfRtListCorrupt(ListHead);
        return ListHead;
    }
    ShmfRtListYield();
    ListHead->Blink = Blink;
    Blink->Flink = ListHead;
    return Entry;
}

/* === MDL === */
typedef struct _MDL {
    struct _MDL *Next;
    CSHORT Size;
    CSHORT MdlFlags;
    struct _EPROCESS *Process;
    PVOID MappedSystemVa;
    PVOID StartVa;
    ULONG ByteCount;
    ULONG ByteOffset;
} MDL, *PMDL;

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ 0x0040
#define MDL_WRITE_OPERATION 0x0080
#define MDL_LOCKED_PAGE_TABLES 0x0100
#define MDL_PARENT_MAPPED_SYSTEM_VA MDL_LOCKED_PAGE_TABLES
#define MDL_FREE_EXTRA_PTES 0x0200
#define MDL_DESCRIBES_AWE 0x0400
#define MDL_IO_SPACE 0x0800
#define MDL_NETWORK_HEADER 0x1000
#define MDL_MAPPING_CAN_FAIL 0x2000
#define MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define MDL_ALLOCATED_MUST_SUCCEED MDL_PAGE_CONTENTS_INVARIANT
#define MDL_INTERNAL 0x8000

#define MmGetMdlPfnArray(Mdl) ((PPFN_NUMBER)((PMDL)(Mdl) + 1))
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((ULONG_PTR)((Mdl)->StartVa) + (Mdl)->ByteOffset))

/* === Scatter-gather === */
typedef struct _SCATTER_GATHER_ELEMENT {
    PHYSICAL_ADDRESS Address;
    ULONG Length;
    ULONG_PTR Reserved;
} SCATTER_GATHER_ELEMENT, *PSCATTER_GATHER_ELEMENT;

typedef struct _SCATTER_GATHER_LIST {
    ULONG NumberOfElements;
    ULONG_PTR Reserved;
    SCATTER_GATHER_ELEMENT Elements[];
} SCATTER_GATHER_LIST, *PSCATTER_GATHER_LIST;

/* === NDIS objects === */
typedef struct _NDIS_OBJECT_HEADER {
    UCHAR Type;
    UCHAR Revision;
    USHORT Size;
} NDIS_OBJECT_HEADER, *PNDIS_OBJECT_HEADER;

#define NDIS_OBJECT_TYPE_DEFAULT 0x80
#define NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS 0xB0

typedef ULONG NDIS_RECEIVE_QUEUE_ID, *PNDIS_RECEIVE_QUEUE_ID;
#define NDIS_DEFAULT_RECEIVE_QUEUE_ID 0
typedef ULONG NDIS_NIC_SWITCH_VPORT_ID, *PNDIS_NIC_SWITCH_VPORT_ID;
#define NDIS_DEFAULT_VPORT_ID 0

typedef enum _NDIS_SHARED_MEMORY_USAGE SHMF_ENUM_INT {
    NdisSharedMemoryUsageUndefined,
    NdisSharedMemoryUsageXmit,
    NdisSharedMemoryUsageXmitHeader,
    NdisSharedMemoryUsageXmitData,
    NdisSharedMemoryUsageReceive,
    NdisSharedMemoryUsageReceiveLookahead,
    NdisSharedMemoryUsageReceivePostLookahead,
    NdisSharedMemoryUsageReceiveHeader,
    NdisSharedMemoryUsageReceiveData,
    NdisSharedMemoryUsageOther,
    NdisSharedMemoryUsageMax
} NDIS_SHARED_MEMORY_USAGE,
    *PNDIS_SHARED_MEMORY_USAGE;

#define NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS 0x00000001
#define NDIS_SHARED_MEM_PARAMETERS_CONTIGOUS NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS

typedef struct _NDIS_SHARED_MEMORY_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    NDIS_RECEIVE_QUEUE_ID QueueId;
    NDIS_HANDLE SharedMemoryHandle;
    NODE_REQUIREMENT PreferredNode;
    NDIS_SHARED_MEMORY_USAGE Usage;
    ULONG Length;
    PVOID VirtualAddress;
    ULONG SGListBufferLength;
    PSCATTER_GATHER_LIST SGListBuffer;
    NDIS_NIC_SWITCH_VPORT_ID VPortId;
} NDIS_SHARED_MEMORY_PARAMETERS, *PNDIS_SHARED_MEMORY_PARAMETERS;

#define NDIS_SHARED_MEMORY_PARAMETERS_REVISION_1 1
#define NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 2
#define NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1                                            \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_SHARED_MEMORY_PARAMETERS, SGListBuffer)
#define NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2                                            \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_SHARED_MEMORY_PARAMETERS, VPortId)

#define NDIS_SHARED_MEM_HANDLE_HAL_ALLOCATED ((NDIS_HANDLE)(NULL))

typedef NDIS_STATUS (*ALLOCATE_SHARED_MEMORY_HANDLER)(
    NDIS_HANDLE ProviderContext, PNDIS_SHARED_MEMORY_PARAMETERS SharedMemoryParameters,
    PNDIS_HANDLE pSharedMemoryProviderContext);
typedef VOID (*FREE_SHARED_MEMORY_HANDLER)(NDIS_HANDLE ProviderContext,
                                           NDIS_HANDLE SharedMemoryProviderContext);

typedef struct _NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    NDIS_HANDLE ProviderContext;
    ALLOCATE_SHARED_MEMORY_HANDLER AllocateSharedMemoryHandler;
    FREE_SHARED_MEMORY_HANDLER FreeSharedMemoryHandler;
} NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS, *PNDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;

#define NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1 1
#define NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1                              \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS, FreeSharedMemoryHandler)
#define NDIS_SHARED_MEMORY_PROVIDER_CHAR_SUPPORTS_PF_VPORTS 0x00000001

/* NdisSetOptionalHandlers takes any of several characteristics structures, told
   apart by Header.Type; this one is the only kind shmfuzz implements. */
typedef struct _NDIS_DRIVER_OPTIONAL_HANDLERS {
    NDIS_OBJECT_HEADER Header;
} NDIS_DRIVER_OPTIONAL_HANDLERS, *PNDIS_DRIVER_OPTIONAL_HANDLERS;

/* === Spin locks === */
typedef struct _NDIS_SPIN_LOCK {
    KSPIN_LOCK SpinLock;
    KIRQL OldIrql;
} NDIS_SPIN_LOCK, *PNDIS_SPIN_LOCK;

/* === Layout pinned to the WDK's x64 values (ndis-facts.md sections 2, 4, 6, 9.11) === */
SHMF_STATIC_ASSERT(sizeof(NDIS_OBJECT_HEADER) == 4, "NDIS_OBJECT_HEADER");
SHMF_STATIC_ASSERT(sizeof(NDIS_SHARED_MEMORY_PARAMETERS) == 0x48, "params size");
SHMF_STATIC_ASSERT(offsetof(NDIS_SHARED_MEMORY_PARAMETERS, Flags) == 0x4, "Flags");
SHMF_STATIC_ASSERT(offsetof(NDIS_SHARED_MEMORY_PARAMETERS, QueueId) == 0x8, "QueueId");
SHMF_STATIC_ASSERT(offsetof(NDIS_SHARED_MEMORY_PARAMETERS, SharedMemoryHandle) == 0x10, "SMH");
SHMF_STATIC_ASSERT(offsetof(NDIS_SHARED_MEMORY_PARAMETERS, PreferredNode) == 0x18, "Node");
SHMF_STATIC_ASSERT(offsetof(NDIS_SHARED_MEMORY_PARAMETERS, Usage) == 0x1C, "Usage");
SHMF_STATIC_ASSERT(offsetof(NDIS_SHARED_MEMORY_PARAMETERS, Length) == 0x20, "Length");
SHMF_STATIC_ASSERT(offsetof(NDIS_SHARED_MEMORY_PARAMETERS, VirtualAddress) == 0x28, "VA");
SHMF_STATIC_ASSERT(offsetof(NDIS_SHARED_MEMORY_PARAMETERS, SGListBufferLength) == 0x30, "SGLen");
SHMF_STATIC_ASSERT(offsetof(NDIS_SHARED_MEMORY_PARAMETERS, SGListBuffer) == 0x38, "SGBuf");
SHMF_STATIC_ASSERT(offsetof(NDIS_SHARED_MEMORY_PARAMETERS, VPortId) == 0x40, "VPortId");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1 == 0x40, "rev1 size");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2 == 0x44, "rev2 size");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1 == 0x20, "chars");
SHMF_STATIC_ASSERT(sizeof(SCATTER_GATHER_ELEMENT) == 24, "SG element");
SHMF_STATIC_ASSERT(sizeof(SCATTER_GATHER_LIST) == 16, "SG list header");
SHMF_STATIC_ASSERT(sizeof(MDL) == 48, "MDL");
SHMF_STATIC_ASSERT(offsetof(MDL, ByteOffset) == 44, "MDL.ByteOffset");
SHMF_STATIC_ASSERT(sizeof(PHYSICAL_ADDRESS) == 8, "PHYSICAL_ADDRESS");

SHMF_EXTERN_C_END

/* === The driver model: NET_BUFFER shared memory, driver objects, miniport and
   filter registration === */
#include <ndis/nbl.h>
#include <ndis/driver.h>
#include <ndis/miniport.h>
#include <ndis/filter.h>

SHMF_EXTERN_C_START

/* === Functions (implemented and verified by the shmfuzz runtime) === */

/* Registration and shared memory. */
NDIS_STATUS NdisSetOptionalHandlers(NDIS_HANDLE NdisHandle,
                                    PNDIS_DRIVER_OPTIONAL_HANDLERS OptionalHandlers);
NDIS_STATUS NdisAllocateSharedMemory(NDIS_HANDLE NdisHandle,
                                     PNDIS_SHARED_MEMORY_PARAMETERS SharedMemoryParameters,
                                     PNDIS_HANDLE pAllocationHandle);
VOID NdisFreeSharedMemory(NDIS_HANDLE NdisHandle, NDIS_HANDLE AllocationHandle);
ULONG NdisGetSharedDataAlignment(VOID);

/* IRQL, processors and nodes. */
KIRQL KeGetCurrentIrql(VOID);
KIRQL KfRaiseIrql(KIRQL NewIrql);
#define KeRaiseIrql(NewIrql, OldIrql) (*(OldIrql) = KfRaiseIrql(NewIrql))
VOID KeLowerIrql(KIRQL NewIrql);
KIRQL KeRaiseIrqlToDpcLevel(VOID);
ULONG KeGetCurrentProcessorNumber(VOID);
typedef struct _PROCESSOR_NUMBER {
    USHORT Group;
    UCHAR Number;
    UCHAR Reserved;
} PROCESSOR_NUMBER, *PPROCESSOR_NUMBER;
typedef ULONG_PTR KAFFINITY, *PKAFFINITY;
/* One processor group (group 0) of up to 64 processors, as on x64 Windows:
   Number == KeGetCurrentProcessorNumber() < KeQueryActiveProcessorCount(NULL). */
ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber);
ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors);
USHORT KeQueryHighestNodeNumber(VOID);
USHORT KeGetCurrentNodeNumber(VOID);

/* Spin locks and interlocked operations. */
VOID NdisAllocateSpinLock(PNDIS_SPIN_LOCK SpinLock);
VOID NdisFreeSpinLock(PNDIS_SPIN_LOCK SpinLock);
VOID NdisAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock);
VOID NdisReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock);
VOID NdisDprAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock);
VOID NdisDprReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock);
LONG NdisInterlockedIncrement(PLONG Addend);
LONG NdisInterlockedDecrement(PLONG Addend);

/* Pool. */
PVOID NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length, ULONG Tag,
                                        EX_POOL_PRIORITY Priority);
VOID NdisFreeMemoryWithTagPriority(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, ULONG Tag);
VOID NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags);
VOID ExFreePool(PVOID P);
VOID ExFreePoolWithTag(PVOID P, ULONG Tag);
VOID RtlZeroMemory(PVOID Destination, SIZE_T Length);
VOID RtlCopyMemory(PVOID Destination, const VOID *Source, SIZE_T Length);
#define NdisZeroMemory(Destination, Length) RtlZeroMemory((Destination), (Length))
#define NdisMoveMemory(Destination, Source, Length) RtlCopyMemory((Destination), (Source), (Length))

/* DMA-able pages. */
PVOID MmAllocateContiguousNodeMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
                                     PHYSICAL_ADDRESS HighestAcceptableAddress,
                                     PHYSICAL_ADDRESS BoundaryAddressMultiple, ULONG Protect,
                                     NODE_REQUIREMENT PreferredNode);
VOID MmFreeContiguousMemory(PVOID BaseAddress);
PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                             PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
                             MEMORY_CACHING_TYPE CacheType, ULONG Flags);
VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList);
PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                   ULONG BugCheckOnFailure, ULONG Priority);
VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList);
PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority);
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress);

/* MDLs for nonpaged buffers (pool or shared memory), <= DISPATCH_LEVEL. */
PMDL NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, UINT Length);
VOID NdisFreeMdl(PMDL Mdl);

/* === Provider entry points (DESIGN.md) ===
 * A provider exports DriverEntry, as a driver does (it registers with
 * NdisMRegisterMiniportDriver or NdisFRegisterFilterDriver, whose SetOptions
 * handler calls NdisSetOptionalHandlers), or the short form
 * ShmfProviderSetOptions (+ ShmfProviderUnload); the short form wins when a
 * provider has both.  Declared here with C linkage so a C++ provider's
 * definitions get it too. */
DRIVER_INITIALIZE DriverEntry;
NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext);
VOID ShmfProviderUnload(NDIS_HANDLE NdisDriverHandle);

SHMF_EXTERN_C_END
#endif /* SHMF_NDIS_H */
