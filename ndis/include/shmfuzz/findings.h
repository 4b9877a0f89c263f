/*
 * shmfuzz/findings.h -- the one catalogue of finding kinds.
 *
 * SHMF_FINDING_KINDS(X) is the only list: it generates the enum, the stable JSON
 * names (never renamed; new kinds are appended), a one-line description and the
 * rule it enforces (a WDK page, a Driver Verifier check or a DDI rule).
 *
 * X(ENUM_SUFFIX, "json-name", "description", "source")
 */
#ifndef SHMF_FINDINGS_H
#define SHMF_FINDINGS_H

#include <stdint.h>

#define SHMF_FINDING_KINDS(X)                                                                      \
    X(IRQL_TOO_HIGH, "irql-too-high",                                                              \
      "a routine was called above the highest IRQL its contract allows",                           \
      "DDI page IRQL; DV 0xC4 IRQL rules (IrqlExAllocatePool, IrqlMmApcLte, ...)")                 \
    X(IRQL_NOT_RESTORED, "irql-not-restored",                                                      \
      "a handler returned at another IRQL than it was called at, or raise/lower misused",          \
      "KeRaiseIrql/KeLowerIrql pages; DV 0xC4/0x30, 0x31; IrqlKeRaiseLower")                       \
    X(SPINLOCK_HELD_ON_RETURN, "spinlock-held-on-return",                                          \
      "a handler returned while still holding a spin lock",                                        \
      "DDI rule SpinLock 0x00040009; NDIS SDV rules SpinLock, SpinLockBalanced")                   \
    X(SPINLOCK_RECURSIVE_ACQUIRE, "spinlock-recursive-acquire",                                    \
      "a spin lock was acquired by the processor that already holds it",                           \
      "KeAcquireSpinLock page: recursion deadlocks; DDI rule SpinLock 0x00040009")                 \
    X(SPINLOCK_RELEASE_NOT_OWNER, "spinlock-release-not-owner",                                    \
      "a spin lock was released that this processor does not hold, or with the wrong pair",        \
      "NDIS SDV rule SpinLockRelease; DV 0xC4/0x32")                                               \
    X(SPINLOCK_DPR_BELOW_DISPATCH, "spinlock-dpr-below-dispatch",                                  \
      "NdisDprAcquire/ReleaseSpinLock called below DISPATCH_LEVEL",                                \
      "NdisDprAcquireSpinLock page; DV 0xC4/0x40, 0x41")                                           \
    X(REGISTER_INVALID_HEADER, "register-invalid-header",                                          \
      "provider characteristics with a wrong header type, revision or size",                       \
      "NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS page")                                          \
    X(REGISTER_MISSING_HANDLER, "register-missing-handler",                                        \
      "provider registered without an allocate or free handler, or never registered",              \
      "NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS page")                                          \
    X(ALLOC_STATUS_INVALID, "alloc-status-invalid",                                                \
      "the allocate handler returned a status outside the documented set",                         \
      "ALLOCATE_SHARED_MEMORY_HANDLER page: SUCCESS, RESOURCES, INVALID_PARAMETER, FAILURE")       \
    X(ALLOC_OUTPUT_MISSING, "alloc-output-missing",                                                \
      "success without VirtualAddress, SharedMemoryHandle, provider context or SG list",           \
      "NDIS_SHARED_MEMORY_PARAMETERS page (Out fields filled before return)")                      \
    X(ALLOC_WROTE_ON_FAILURE, "alloc-wrote-on-failure",                                            \
      "the allocate handler failed but wrote outputs or the SG buffer",                            \
      "NdisAllocateSharedMemory page: handle is NULL on failure")                                  \
    X(ALLOC_CONTEXT_DUPLICATE, "alloc-context-duplicate",                                          \
      "the provider context of a new block equals that of a live block",                           \
      "FREE_SHARED_MEMORY_HANDLER page: the context identifies one allocation")                    \
    X(SG_BUFFER_OVERFLOW, "sg-buffer-overflow",                                                    \
      "the SG list does not fit in SGListBufferLength bytes",                                      \
      "NDIS_SHARED_MEMORY_PARAMETERS page: _Out_writes_bytes_(SGListBufferLength)")                \
    X(SG_LENGTH_MISMATCH, "sg-length-mismatch", "the SG element lengths do not add up to Length",  \
      "SCATTER_GATHER_LIST page")                                                                  \
    X(SG_ELEMENT_OUT_OF_BLOCK, "sg-element-out-of-block",                                          \
      "an SG element describes memory outside the block's pages",                                  \
      "SCATTER_GATHER_LIST page; DV DMA verification")                                             \
    X(SG_OVERLAP, "sg-overlap", "two SG elements of one block describe the same physical memory",  \
      "SCATTER_GATHER_LIST page; DV DMA verification")                                             \
    X(CONTIGUOUS_VIOLATED, "contiguous-violated",                                                  \
      "CONTIGUOUS was requested but the block is not physically contiguous",                       \
      "NDIS_SHARED_MEMORY_PARAMETERS page: NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS")                 \
    X(BLOCK_OVERLAP, "block-overlap",                                                              \
      "a new block shares virtual or physical memory with another live block",                     \
      "NdisAllocateSharedMemory page; DV DMA verification")                                        \
    X(POOL_DOUBLE_FREE, "pool-double-free", "a pool block, MDL or page run was freed twice",       \
      "ExFreePool page; DV 0xC4/0x13, 0x14; BAD_POOL_CALLER 0xC2/0x06")                            \
    X(POOL_FREE_UNKNOWN, "pool-free-unknown",                                                      \
      "free of an address no allocator returned, with the wrong routine or wrong tag",             \
      "DV 0xC4/0x10, 0x16; BAD_POOL_CALLER 0xC2/0x0A, 0x60")                                       \
    X(POOL_OVERRUN, "pool-overrun",                                                                \
      "a pool block's redzone canary was overwritten (found at free or teardown)",                 \
      "Special Pool; DV 0xC1 and 0xC4/0x51-0x54")                                                  \
    X(PARAMS_OUT_OF_BOUNDS, "params-out-of-bounds",                                                \
      "the provider touched the parameters block past Header.Size",                                \
      "NDIS_SHARED_MEMORY_PARAMETERS revisions and NDIS_SIZEOF_* sizes")                           \
    X(USE_AFTER_FREE, "use-after-free",                                                            \
      "freed memory was written (canary or poison changed) or touched",                            \
      "Special Pool 0xCC; KFENCE use-after-free")                                                  \
    X(DMA_TO_FREED_MEMORY, "dma-to-freed-memory",                                                  \
      "the NIC was made to DMA into memory that is no longer allocated",                           \
      "DV DMA verification; freeing a VM queue (ndis-facts 5)")                                    \
    X(DMA_OUT_OF_BLOCK, "dma-out-of-block",                                                        \
      "a DMA reached outside the block or into another queue's block", "DV DMA verification")      \
    X(DMA_AFTER_STOP, "dma-after-stop", "a DMA into a queue's memory after its DMA was stopped",   \
      "Freeing a VM queue: stop DMA before freeing (ndis-facts 5)")                                \
    X(QUEUE_FREED_WITH_MEMORY, "queue-freed-with-memory",                                          \
      "a queue was freed while its shared memory is still allocated or referenced",                \
      "OID_RECEIVE_FILTER_FREE_QUEUE: free all shared memory before completing")                   \
    X(RING_INDEX_OUT_OF_RANGE, "ring-index-out-of-range",                                          \
      "a ring index left its range or Begin moved past End",                                       \
      "NET_RING: BeginIndex/NextIndex/EndIndex ownership; NetAdapterCx InvalidRingBeginIndex")     \
    X(RING_OWNERSHIP_VIOLATED, "ring-ownership-violated",                                          \
      "an element owned by the OS was modified by the driver",                                     \
      "NetAdapterCx FailureCode_InvalidRingImmutableFrameworkElement")                             \
    X(RING_IMMUTABLE_MODIFIED, "ring-immutable-modified",                                          \
      "an immutable ring header field was modified",                                               \
      "NetAdapterCx FailureCode_InvalidRingImmutable")                                             \
    X(LEAK_POOL, "leak-pool", "pool still allocated when the provider unloaded",                   \
      "Pool Tracking; DV 0xC4/0x62")                                                               \
    X(LEAK_PAGES, "leak-pages",                                                                    \
      "pages, MDLs or contiguous memory still allocated when the provider unloaded",               \
      "Pool Tracking; DV 0xCB")                                                                    \
    X(LEAK_SHARED_MEMORY, "leak-shared-memory",                                                    \
      "a shared-memory block whose memory was not released by the free handler",                   \
      "FREE_SHARED_MEMORY_HANDLER page")                                                           \
    X(HANG, "hang", "an input ran past its time or step budget", "libFuzzer -timeout")             \
    X(LIST_CORRUPT, "list-corrupt",                                                                \
      "a LIST_ENTRY integrity check failed (double remove, uninitialized head)",                   \
      "wdm.h list checks; bug check 0x139 parameter 3")                                            \
    X(ROUTINE_MISUSE, "routine-misuse", "a routine was called with parameters its page forbids",   \
      "DDI pages (zero-byte pool, BugCheckOnFailure, overlapping copy: DV 0xC4/0x00,0x82,0xF0)")   \
    X(CRASH, "crash", "the provider crashed (signal or sanitizer report)",                         \
      "ClusterFuzz crash-* signatures")                                                            \
    X(ASSERTION_FAILED, "assertion-failed",                                                        \
      "a driver assertion (ASSERT, NT_ASSERT, NT_VERIFY, NT_FRE_ASSERT) was false",                \
      "checked-build ASSERT / NT_ASSERT: RtlAssert, bug check 0x139 or a debugger break")          \
    X(DRIVER_CHARACTERISTICS_INVALID, "driver-characteristics-invalid",                            \
      "miniport or filter driver characteristics with a wrong header type, revision or "           \
      "size, an NDIS major version other than 6, or a required handler missing",                   \
      "NdisMRegisterMiniportDriver / NdisFRegisterFilterDriver pages: "                            \
      "NDIS_STATUS_BAD_CHARACTERISTICS, NDIS_STATUS_BAD_VERSION")                                  \
    X(DRIVER_NOT_REGISTERED, "driver-not-registered",                                              \
      "DriverEntry returned success without a registered miniport or filter driver",               \
      "DriverEntry: NdisMRegisterMiniportDriver / NdisFRegisterFilterDriver, else fail")           \
    X(DRIVER_NOT_DEREGISTERED, "driver-not-deregistered",                                          \
      "the driver unloaded (or DriverEntry failed) with its miniport or filter driver "            \
      "still registered",                                                                          \
      "MiniportDriverUnload / FilterUnload: NdisMDeregisterMiniportDriver, "                       \
      "NdisFDeregisterFilterDriver")                                                               \
    X(DIVERGENCE, "divergence",                                                                    \
      "differential mode: two providers' observable outcomes of one op differ where the "          \
      "contract or the rules file says they must not",                                             \
      "docs/differential.md: contract-required refusals, the block as the caller sees it")         \
    X(RING_RX_PACKET_UNWRITTEN, "ring-rx-packet-unwritten",                                        \
      "a receive packet the driver returned, or a fragment it names, still holds a value "         \
      "the OS poisoned before the advance (FragmentIndex, FragmentCount, a layer type, "           \
      "ValidLength, Offset), or has FragmentCount 0",                                              \
      "NetAdapterCx verifier: InvalidRingUnmodifiedRxPacket, InvalidRingModifiedRxFragment, "      \
      "InvalidRingRxPacketFragmentCountZero")                                                      \
    X(RING_RX_PACKET_INVALID, "ring-rx-packet-invalid",                                            \
      "a receive packet the driver returned describes no possible packet: a layer type out "       \
      "of range, a header length its type forbids, or Offset + ValidLength > Capacity",            \
      "NetAdapterCx verifier: InvalidRingRxPacketLayer*Type*, "                                    \
      "InvalidRingRxPacketFragmentLengthInvalid")                                                  \
    X(RING_ELEMENT_IMMUTABLE_MODIFIED, "ring-element-immutable-modified",                          \
      "the driver changed a field of an element in its own range that it must leave: "             \
      "reserved bits, an Ignore packet (but the bit), a receive fragment's Capacity, on "          \
      "transmit anything but Scratch",                                                             \
      "NetAdapterCx verifier: InvalidRingModifiedRxPacket, "                                       \
      "InvalidRingImmutableDriverRxPacketIgnore, InvalidRingUnmodifiedRxFragment, "                \
      "InvalidRingImmutableDriverTx*")

enum shmf_kind {
#define SHMF_KIND_ENUM(e, n, d, s) SHMF_KIND_##e,
    SHMF_FINDING_KINDS(SHMF_KIND_ENUM)
#undef SHMF_KIND_ENUM
        SHMF_KIND_COUNT
};

/* Name, description and rule of a kind; "unknown" for out-of-range values. */
const char *shmf_kind_name(enum shmf_kind kind);
const char *shmf_kind_description(enum shmf_kind kind);
const char *shmf_kind_source(enum shmf_kind kind);
/* Kind with this JSON name, or -1. */
int shmf_kind_from_name(const char *name);

#endif /* SHMF_FINDINGS_H */
