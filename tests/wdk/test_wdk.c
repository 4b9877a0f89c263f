/*
 * test_wdk.c -- the runtime behind the WDK surface real drivers use (issue 17
 * item 1): NdisAllocateMdl / NdisFreeMdl, checked-build assertions,
 * PAGED_CODE, RemoveTailList, the alignment macros, and the NetAdapterCx
 * extensions of a shmfuzz ring.  Each rule has a negative test that commits
 * exactly that violation.  The driver registration path is in
 * test_wdk_driver.c.
 */
#include <ndis.h>
#include <net/checksum.h>
#include <net/ring.h>
#include <stdlib.h>
#include <string.h>

#include "shmf_test.h"

#define TAG 0x74736554u /* 'Test' */

void wdk_driver_tests(const struct CMUnitTest **tests, size_t *n);

static PHYSICAL_ADDRESS pa_of(LONGLONG v)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = v;
    return a;
}

static PVOID contiguous(SIZE_T bytes)
{
    return MmAllocateContiguousNodeMemory(bytes, pa_of(0), pa_of((LONGLONG)MAXULONG64), pa_of(0),
                                          PAGE_READWRITE, MM_ANY_NODE_OK);
}

/* === NdisAllocateMdl / NdisFreeMdl === */

static void mdl_over_pool(void **state)
{
    (void)state;
    PUCHAR buf = NdisAllocateMemoryWithTagPriority(NULL, 3000, TAG, NormalPoolPriority);
    assert_non_null(buf);
    PMDL mdl = NdisAllocateMdl(NULL, buf + 100, 2000);
    assert_non_null(mdl);
    assert_int_equal(MmGetMdlByteCount(mdl), 2000);
    assert_ptr_equal(MmGetMdlVirtualAddress(mdl), buf + 100);
    assert_int_equal(MmGetMdlByteOffset(mdl), BYTE_OFFSET(buf + 100));
    assert_true(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), buf + 100);
    NdisFreeMdl(mdl);
    NdisFreeMemoryWithTagPriority(NULL, buf, TAG);
    EXPECT_NO_FINDING();
}

static void mdl_over_shared_pages(void **state)
{
    (void)state;
    PUCHAR va = contiguous(3 * PAGE_SIZE);
    assert_non_null(va);
    PMDL mdl = NdisAllocateMdl(NULL, va + 0x800, 2 * PAGE_SIZE);
    assert_non_null(mdl);
    assert_int_equal(mdl->Size, sizeof(MDL) + 3 * sizeof(PFN_NUMBER));
    PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pfn[i] << PAGE_SHIFT,
                         (ULONG64)MmGetPhysicalAddress(va + i * PAGE_SIZE).QuadPart);
    NdisFreeMdl(mdl);
    MmFreeContiguousMemory(va);
    EXPECT_NO_FINDING();
}

static void mdl_over_stack(void **state)
{
    (void)state;
    UCHAR local[64];
    assert_null(NdisAllocateMdl(NULL, local, sizeof(local)));
    EXPECT_FINDING(SHMF_KIND_ROUTINE_MISUSE);
    assert_string_equal(shmf_rt_finding(0)->function, "NdisAllocateMdl");
}

static void mdl_past_its_pool_block(void **state)
{
    (void)state;
    PUCHAR buf = NdisAllocateMemoryWithTagPriority(NULL, 64, TAG, NormalPoolPriority);
    assert_null(NdisAllocateMdl(NULL, buf, 65));
    EXPECT_FINDING(SHMF_KIND_ROUTINE_MISUSE);
    NdisFreeMemoryWithTagPriority(NULL, buf, TAG);
}

static void mdl_irql_too_high(void **state)
{
    (void)state;
    PUCHAR buf = NdisAllocateMemoryWithTagPriority(NULL, 64, TAG, NormalPoolPriority);
    shmf_rt_irql_set(HIGH_LEVEL);
    PMDL mdl = NdisAllocateMdl(NULL, buf, 64);
    EXPECT_FINDING(SHMF_KIND_IRQL_TOO_HIGH);
    assert_string_equal(shmf_rt_finding(0)->function, "NdisAllocateMdl");
    shmf_rt_irql_set(PASSIVE_LEVEL);
    NdisFreeMdl(mdl);
    NdisFreeMemoryWithTagPriority(NULL, buf, TAG);
}

static void mdl_freed_with_exfreepool(void **state)
{
    (void)state;
    PUCHAR buf = NdisAllocateMemoryWithTagPriority(NULL, 64, TAG, NormalPoolPriority);
    PMDL mdl = NdisAllocateMdl(NULL, buf, 64);
    ExFreePool(mdl);
    EXPECT_FINDING(SHMF_KIND_POOL_FREE_UNKNOWN);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "only NdisFreeMdl"));
}

static void mdl_free_of_a_pool_block(void **state)
{
    (void)state;
    PUCHAR buf = NdisAllocateMemoryWithTagPriority(NULL, 64, TAG, NormalPoolPriority);
    NdisFreeMdl((PMDL)buf);
    EXPECT_FINDING(SHMF_KIND_POOL_FREE_UNKNOWN);
    assert_string_equal(shmf_rt_finding(0)->function, "NdisFreeMdl");
}

static void mdl_double_free(void **state)
{
    (void)state;
    PUCHAR buf = NdisAllocateMemoryWithTagPriority(NULL, 64, TAG, NormalPoolPriority);
    PMDL mdl = NdisAllocateMdl(NULL, buf, 64);
    NdisFreeMdl(mdl);
    NdisFreeMdl(mdl);
    EXPECT_FINDING(SHMF_KIND_POOL_DOUBLE_FREE);
}

static void mdl_leaked(void **state)
{
    (void)state;
    PUCHAR buf = NdisAllocateMemoryWithTagPriority(NULL, 64, TAG, NormalPoolPriority);
    PMDL mdl = NdisAllocateMdl(NULL, buf, 64);
    assert_non_null(mdl);
    NdisFreeMemoryWithTagPriority(NULL, buf, TAG);
    shmf_rt_provider_unload(); /* the leak check */
    EXPECT_FINDING(SHMF_KIND_LEAK_POOL);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "MDL"));
}

static void mdl_fault_injected(void **state)
{
    (void)state;
    struct shmf_fault_plan plan = {.fail_nth = 2};
    shmf_rt_set_fault_plan(&plan);
    PUCHAR buf = NdisAllocateMemoryWithTagPriority(NULL, 64, TAG, NormalPoolPriority);
    assert_null(NdisAllocateMdl(NULL, buf, 64)); /* the second allocation attempt */
    NdisFreeMemoryWithTagPriority(NULL, buf, TAG);
    EXPECT_NO_FINDING();
}

/* === Assertions and PAGED_CODE === */

static void assert_true_is_silent(void **state)
{
    (void)state;
    int x = 1;
    ASSERT(x == 1);
    NT_ASSERT(x == 1);
    NT_FRE_ASSERT(x);
    assert_true(NT_VERIFY(x == 1));
    EXPECT_NO_FINDING();
}

static void assert_false_is_a_finding(void **state)
{
    (void)state;
    int refs = 0;
    ASSERT(refs > 0);
    EXPECT_FINDING(SHMF_KIND_ASSERTION_FAILED);
    const struct shmf_finding *f = shmf_rt_finding(0);
    assert_non_null(strstr(f->message, "refs > 0"));
    assert_non_null(strstr(f->message, "test_wdk.c"));
}

static void nt_verify_returns_its_value(void **state)
{
    (void)state;
    void *p = NULL;
    assert_false(NT_VERIFY(p != NULL));
    EXPECT_FINDING(SHMF_KIND_ASSERTION_FAILED);
}

static void paged_code_at_passive(void **state)
{
    (void)state;
    PAGED_CODE();
    EXPECT_NO_FINDING();
}

static void paged_code_at_dispatch(void **state)
{
    (void)state;
    KIRQL old = KeRaiseIrqlToDpcLevel();
    PAGED_CODE();
    KeLowerIrql(old);
    EXPECT_FINDING(SHMF_KIND_IRQL_TOO_HIGH);
    assert_string_equal(shmf_rt_finding(0)->function, "paged_code_at_dispatch");
}

/* === Lists and macros === */

static void remove_tail_list(void **state)
{
    (void)state;
    LIST_ENTRY head, a, b;
    InitializeListHead(&head);
    assert_ptr_equal(RemoveTailList(&head), &head); /* empty: the head */
    InsertTailList(&head, &a);
    InsertTailList(&head, &b);
    assert_ptr_equal(RemoveTailList(&head), &b);
    assert_ptr_equal(RemoveTailList(&head), &a);
    assert_true(IsListEmpty(&head));
    EXPECT_NO_FINDING();
}

static void remove_tail_list_corrupt(void **state)
{
    (void)state;
    LIST_ENTRY head, a, stray;
    InitializeListHead(&head);
    InsertTailList(&head, &a);
    a.Flink = &stray; /* the tail no longer points back at the head */
    assert_ptr_equal(RemoveTailList(&head), &head);
    EXPECT_FINDING(SHMF_KIND_LIST_CORRUPT);
}

static void alignment_macros(void **state)
{
    (void)state;
    assert_int_equal(ALIGN_UP_BY(100, 64), 128);
    assert_int_equal(ALIGN_UP_BY(128, 64), 128);
    assert_int_equal(ALIGN_DOWN_BY(127, 64), 64);
    assert_int_equal(ALIGN_UP(9, ULONG64), 16);
    assert_int_equal(ALIGN_DOWN(9, ULONG64), 8);
    assert_ptr_equal(ALIGN_UP_POINTER_BY((PVOID)0x1001, 0x1000), (PVOID)0x2000);
    assert_ptr_equal(ALIGN_DOWN_POINTER_BY((PVOID)0x1fff, 0x1000), (PVOID)0x1000);
    assert_ptr_equal(ALIGN_UP_POINTER((PVOID)0x1001, ULONG), (PVOID)0x1004);
    UNICODE_STRING s;
    RtlInitUnicodeString(&s, L"abc");
    assert_int_equal(s.Length, 3 * sizeof(WCHAR));
    assert_int_equal(s.MaximumLength, 4 * sizeof(WCHAR));
    UNICODE_STRING c = RTL_CONSTANT_STRING(L"abcd");
    assert_int_equal(c.Length, 4 * sizeof(WCHAR));
    MemoryBarrier();
    EXPECT_NO_FINDING();
}

/* === NetAdapterCx extensions of a shmfuzz ring === */

#define RING_N 8

static NET_RING *fragment_ring(void)
{
    size_t bytes = sizeof(NET_RING) + RING_N * sizeof(SHMF_NET_FRAGMENT_SHM);
    NET_RING *r = aligned_alloc(SYSTEM_CACHE_ALIGNMENT_SIZE, bytes);
    memset(r, 0, bytes);
    r->ElementStride = sizeof(SHMF_NET_FRAGMENT_SHM);
    r->NumberOfElements = RING_N;
    r->ElementIndexMask = RING_N - 1;
    for (UINT32 i = 0; i < RING_N; i++) {
        SHMF_NET_FRAGMENT_SHM *f = ShmfNetRingGetFragmentShmAtIndex(r, i);
        f->LogicalAddress = 0x100000ull + i * 0x800;
        f->VirtualAddress = (PVOID)(uintptr_t)(0x7000 + i);
    }
    return r;
}

static void extension_logical_address(void **state)
{
    (void)state;
    NET_RING *r = fragment_ring();
    NET_EXTENSION_QUERY q;
    NET_EXTENSION ext;
    NET_EXTENSION_QUERY_INIT(&q, NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_NAME,
                             NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_VERSION_1,
                             NetExtensionTypeFragment);
    ShmfNetRingGetExtension(r, &q, &ext);
    assert_true(ext.Enabled);
    for (UINT32 i = 0; i < RING_N; i++)
        assert_int_equal(NetExtensionGetFragmentLogicalAddress(&ext, i)->LogicalAddress,
                         ShmfNetRingGetFragmentShmAtIndex(r, i)->LogicalAddress);
    NET_EXTENSION_QUERY_INIT(&q, NET_FRAGMENT_EXTENSION_VIRTUAL_ADDRESS_NAME,
                             NET_FRAGMENT_EXTENSION_VIRTUAL_ADDRESS_VERSION_1,
                             NetExtensionTypeFragment);
    ShmfNetRingGetExtension(r, &q, &ext);
    assert_true(ext.Enabled);
    assert_ptr_equal(NetExtensionGetFragmentVirtualAddress(&ext, 5)->VirtualAddress,
                     (PVOID)(uintptr_t)0x7005);
    free(r);
}

static void extension_not_on_the_ring(void **state)
{
    (void)state;
    NET_RING *r = fragment_ring();
    NET_EXTENSION_QUERY q;
    NET_EXTENSION ext;
    NET_EXTENSION_QUERY_INIT(&q, NET_PACKET_EXTENSION_CHECKSUM_NAME,
                             NET_PACKET_EXTENSION_CHECKSUM_VERSION_1, NetExtensionTypePacket);
    ShmfNetRingGetExtension(r, &q, &ext);
    assert_false(ext.Enabled);
    NET_EXTENSION_QUERY_INIT(&q, NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_NAME, 2,
                             NetExtensionTypeFragment);
    ShmfNetRingGetExtension(r, &q, &ext);
    assert_false(ext.Enabled); /* an unknown version */
    r->ElementStride = sizeof(NET_FRAGMENT);
    NET_EXTENSION_QUERY_INIT(&q, NET_FRAGMENT_EXTENSION_LOGICAL_ADDRESS_NAME, 1,
                             NetExtensionTypeFragment);
    ShmfNetRingGetExtension(r, &q, &ext);
    assert_false(ext.Enabled); /* plain NET_FRAGMENT elements carry no address */
    free(r);
}

static void net_buffer_shared_memory_chain(void **state)
{
    (void)state;
    NET_BUFFER_SHARED_MEMORY a, b;
    NET_BUFFER_SHARED_MEM_NEXT_SEGMENT(&a) = &b;
    NET_BUFFER_SHARED_MEM_NEXT_SEGMENT(&b) = NULL;
    NET_BUFFER_SHARED_MEM_OFFSET(&a) = 0;
    NET_BUFFER_SHARED_MEM_LENGTH(&a) = 128;
    NET_BUFFER_SHARED_MEM_OFFSET(&b) = 128;
    NET_BUFFER_SHARED_MEM_LENGTH(&b) = 1000;
    ULONG total = 0;
    for (PNET_BUFFER_SHARED_MEMORY s = &a; s; s = NET_BUFFER_SHARED_MEM_NEXT_SEGMENT(s))
        total += NET_BUFFER_SHARED_MEM_LENGTH(s);
    assert_int_equal(total, 1128);
    assert_int_equal(offsetof(NET_BUFFER_SHARED_MEMORY, SharedMemoryLength), 0x1C);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(mdl_over_pool, shmf_test_setup),
        cmocka_unit_test_setup(mdl_over_shared_pages, shmf_test_setup),
        cmocka_unit_test_setup(mdl_over_stack, shmf_test_setup),
        cmocka_unit_test_setup(mdl_past_its_pool_block, shmf_test_setup),
        cmocka_unit_test_setup(mdl_irql_too_high, shmf_test_setup),
        cmocka_unit_test_setup(mdl_freed_with_exfreepool, shmf_test_setup),
        cmocka_unit_test_setup(mdl_free_of_a_pool_block, shmf_test_setup),
        cmocka_unit_test_setup(mdl_double_free, shmf_test_setup),
        cmocka_unit_test_setup(mdl_leaked, shmf_test_setup),
        cmocka_unit_test_setup(mdl_fault_injected, shmf_test_setup),
        cmocka_unit_test_setup(assert_true_is_silent, shmf_test_setup),
        cmocka_unit_test_setup(assert_false_is_a_finding, shmf_test_setup),
        cmocka_unit_test_setup(nt_verify_returns_its_value, shmf_test_setup),
        cmocka_unit_test_setup(paged_code_at_passive, shmf_test_setup),
        cmocka_unit_test_setup(paged_code_at_dispatch, shmf_test_setup),
        cmocka_unit_test_setup(remove_tail_list, shmf_test_setup),
        cmocka_unit_test_setup(remove_tail_list_corrupt, shmf_test_setup),
        cmocka_unit_test_setup(alignment_macros, shmf_test_setup),
        cmocka_unit_test_setup(extension_logical_address, shmf_test_setup),
        cmocka_unit_test_setup(extension_not_on_the_ring, shmf_test_setup),
        cmocka_unit_test_setup(net_buffer_shared_memory_chain, shmf_test_setup),
    };
    const struct CMUnitTest *driver_tests;
    size_t n_driver;
    wdk_driver_tests(&driver_tests, &n_driver);
    int failed = cmocka_run_group_tests_name("wdk runtime", tests, NULL, NULL);
    failed +=
        _cmocka_run_group_tests("wdk driver registration", driver_tests, n_driver, NULL, NULL);
    return failed ? 1 : 0;
}
