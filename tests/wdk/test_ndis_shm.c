/*
 * test_ndis_shm.c -- what NDIS itself does around a shared-memory provider
 * (issue 17 item 4, docs/porting.md "What NDIS does around your handlers"):
 * after the allocate handler returns, NDIS validates the SG list and keeps its
 * own copy; a block it refuses -- a CONTIGUOUS block of more than one SG
 * element above all -- goes back through the provider's free handler and the
 * caller gets a failure; without a registered provider the call fails.
 *
 * The test provider takes contiguous pages and describes them the way `shape`
 * says; it counts the frees NDIS makes on its behalf.
 */
#include <ndis.h>
#include <string.h>

#include "shmf_test.h"

/* === A provider whose SG list has a chosen shape === */

enum shape {
    ONE,           /* one element: right for every request */
    PAGES,         /* one element per page, adjacent: not for CONTIGUOUS */
    PAGES_SWAPPED, /* the same, first two swapped: not physically in order */
    SG_SHORT,      /* one element a byte short of Length */
    NO_CONTEXT,    /* success without a provider context */
    SAME_CONTEXT,  /* the context of the previous block */
};

static enum shape shape;
static bool leaky_free; /* the free handler releases nothing */
static unsigned frees;  /* free handler calls */
static NDIS_HANDLE last_context;

typedef struct {
    PVOID va;
} TP_BLOCK;

static PHYSICAL_ADDRESS pa(LONGLONG v)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = v;
    return a;
}

static void fill_sg(PNDIS_SHARED_MEMORY_PARAMETERS P, PVOID va)
{
    PSCATTER_GATHER_LIST sg = P->SGListBuffer;
    ULONG n = shape == PAGES || shape == PAGES_SWAPPED ? (ULONG)BYTES_TO_PAGES(P->Length) : 1;
    ULONG chunk = n == 1 ? P->Length : PAGE_SIZE;

    sg->NumberOfElements = n;
    for (ULONG i = 0; i < n; i++) {
        sg->Elements[i].Address = MmGetPhysicalAddress((PUCHAR)va + i * chunk);
        sg->Elements[i].Length = i + 1 < n ? chunk : P->Length - i * chunk;
        sg->Elements[i].Reserved = 0;
    }
    if (shape == PAGES_SWAPPED) {
        SCATTER_GATHER_ELEMENT e0 = sg->Elements[0];
        sg->Elements[0] = sg->Elements[1];
        sg->Elements[1] = e0;
    }
    if (shape == SG_SHORT)
        sg->Elements[0].Length -= 1;
}

static NDIS_STATUS tp_allocate(NDIS_HANDLE Ctx, PNDIS_SHARED_MEMORY_PARAMETERS P, PNDIS_HANDLE pCtx)
{
    TP_BLOCK *b;

    (void)Ctx;
    b = NdisAllocateMemoryWithTagPriority(shmf_rt_driver_handle(), sizeof(*b), 'sNtT',
                                          NormalPoolPriority);
    if (b == NULL)
        return NDIS_STATUS_RESOURCES;
    b->va = MmAllocateContiguousNodeMemory(ROUND_TO_PAGES(P->Length), pa(0), pa(-1), pa(0),
                                           PAGE_READWRITE, MM_ANY_NODE_OK);
    if (b->va == NULL) {
        NdisFreeMemoryWithTagPriority(shmf_rt_driver_handle(), b, 'sNtT');
        return NDIS_STATUS_RESOURCES;
    }
    fill_sg(P, b->va);
    P->VirtualAddress = b->va;
    P->SharedMemoryHandle = b;
    *pCtx = shape == NO_CONTEXT ? NULL : shape == SAME_CONTEXT ? last_context : b;
    if (shape != SAME_CONTEXT)
        last_context = b;
    return NDIS_STATUS_SUCCESS;
}

static VOID tp_free(NDIS_HANDLE Ctx, NDIS_HANDLE Block)
{
    TP_BLOCK *b = Block;

    (void)Ctx;
    frees++;
    if (leaky_free)
        return;
    MmFreeContiguousMemory(b->va);
    NdisFreeMemoryWithTagPriority(shmf_rt_driver_handle(), b, 'sNtT');
}

static NDIS_STATUS tp_set_options(NDIS_HANDLE h, NDIS_HANDLE ctx)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS c;

    (void)ctx;
    memset(&c, 0, sizeof(c));
    c.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    c.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    c.AllocateSharedMemoryHandler = tp_allocate;
    c.FreeSharedMemoryHandler = tp_free;
    return NdisSetOptionalHandlers(h, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&c);
}

static const struct shmf_provider tp = {"shape-provider", tp_set_options, NULL, NULL};

/* === The miniport side === */

/* NdisAllocateSharedMemory on queue 0 with an SG buffer of one element per
   page; *sg_out (optional) gets the caller's SG buffer, freed by the caller. */
static NDIS_STATUS allocate(ULONG length, ULONG flags, NDIS_HANDLE *h, PSCATTER_GATHER_LIST *sg_out)
{
    NDIS_SHARED_MEMORY_PARAMETERS p;
    ULONG sglen = sizeof(SCATTER_GATHER_LIST) +
                  (ULONG)BYTES_TO_PAGES(length) * sizeof(SCATTER_GATHER_ELEMENT);
    NDIS_STATUS st;

    memset(&p, 0, sizeof(p));
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NDIS_SHARED_MEMORY_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1;
    p.Flags = flags;
    p.QueueId = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
    p.PreferredNode = MM_ANY_NODE_OK;
    p.Usage = NdisSharedMemoryUsageReceive;
    p.Length = length;
    p.SGListBufferLength = sglen;
    p.SGListBuffer = shmf_rt_guarded_alloc(sglen);
    st = NdisAllocateSharedMemory(shmf_rt_driver_handle(), &p, h);
    if (sg_out != NULL)
        *sg_out = p.SGListBuffer;
    else
        shmf_rt_guarded_free(p.SGListBuffer);
    return st;
}

static int setup(void **state)
{
    (void)state;
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    shape = ONE;
    leaky_free = false;
    frees = 0;
    last_context = NULL;
    return shmf_rt_provider_load(&tp) == 0 ? 0 : -1;
}

/* Unload with nothing left: a refused block freed back leaks nothing. */
static int teardown(void **state)
{
    (void)state;
    shmf_rt_clear_findings();
    shmf_rt_provider_unload();
    EXPECT_NO_FINDING();
    return 0;
}

/* === Tests === */

static void test_contiguous_one_element(void **state)
{
    NDIS_HANDLE h = NULL;

    (void)state;
    assert_int_equal(allocate(3 * PAGE_SIZE, NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS, &h, NULL),
                     NDIS_STATUS_SUCCESS);
    assert_non_null(h);
    EXPECT_NO_FINDING();
    NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
    assert_int_equal(frees, 1);
}

/* Adjacent elements are still more than one: refused, freed back through the
   provider, the caller gets NDIS_STATUS_FAILURE and no handle. */
static void test_contiguous_many_adjacent(void **state)
{
    NDIS_HANDLE h = (NDIS_HANDLE)1;

    (void)state;
    shape = PAGES;
    assert_int_equal(allocate(3 * PAGE_SIZE, NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS, &h, NULL),
                     NDIS_STATUS_FAILURE);
    assert_null(h);
    assert_int_equal(frees, 1);
    assert_int_equal(shmf_rt_block_count(), 0);
    assert_int_equal(shmf_rt_finding_count(), 1);
    EXPECT_FINDING(SHMF_KIND_CONTIGUOUS_VIOLATED);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "3 SG elements"));
}

static void test_contiguous_out_of_order(void **state)
{
    NDIS_HANDLE h = NULL;

    (void)state;
    shape = PAGES_SWAPPED;
    assert_int_equal(allocate(2 * PAGE_SIZE, NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS, &h, NULL),
                     NDIS_STATUS_FAILURE);
    assert_int_equal(frees, 1);
    EXPECT_FINDING(SHMF_KIND_CONTIGUOUS_VIOLATED);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "breaks between"));
}

/* Without CONTIGUOUS, one element per page is fine. */
static void test_pages_without_contiguous(void **state)
{
    NDIS_HANDLE h = NULL;

    (void)state;
    shape = PAGES;
    assert_int_equal(allocate(3 * PAGE_SIZE, 0, &h, NULL), NDIS_STATUS_SUCCESS);
    EXPECT_NO_FINDING();
    NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
}

/* Any block NDIS refuses after a success goes back, not only CONTIGUOUS. */
static void test_refused_block_freed_back(void **state)
{
    NDIS_HANDLE h = NULL;

    (void)state;
    shape = SG_SHORT;
    assert_int_equal(allocate(PAGE_SIZE, 0, &h, NULL), NDIS_STATUS_FAILURE);
    assert_null(h);
    assert_int_equal(frees, 1);
    EXPECT_FINDING(SHMF_KIND_SG_LENGTH_MISMATCH);
}

/* A provider whose free handler keeps the refused block's memory: found at
   unload like any freed block's. */
static void test_freed_back_block_leaks(void **state)
{
    NDIS_HANDLE h = NULL;

    (void)state;
    shape = PAGES;
    leaky_free = true;
    assert_int_equal(allocate(2 * PAGE_SIZE, NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS, &h, NULL),
                     NDIS_STATUS_FAILURE);
    assert_int_equal(frees, 1);
    shmf_rt_clear_findings();
    shmf_rt_provider_unload();
    EXPECT_FINDING(SHMF_KIND_LEAK_SHARED_MEMORY);
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL); /* a new world for the teardown */
    assert_int_equal(shmf_rt_provider_load(&tp), 0);
}

/* No context, or a live block's context: nothing NDIS could free safely. */
static void test_no_free_back_without_own_context(void **state)
{
    NDIS_HANDLE h1 = NULL, h2 = NULL;

    (void)state;
    shape = NO_CONTEXT;
    assert_int_equal(allocate(PAGE_SIZE, 0, &h2, NULL), NDIS_STATUS_FAILURE);
    EXPECT_FINDING(SHMF_KIND_ALLOC_OUTPUT_MISSING);
    assert_int_equal(frees, 0);
    shmf_rt_clear_findings();
    shape = ONE;
    assert_int_equal(allocate(PAGE_SIZE, 0, &h1, NULL), NDIS_STATUS_SUCCESS);
    shape = SAME_CONTEXT;
    assert_int_equal(allocate(PAGE_SIZE, 0, &h2, NULL), NDIS_STATUS_FAILURE);
    EXPECT_FINDING(SHMF_KIND_ALLOC_CONTEXT_DUPLICATE);
    assert_int_equal(frees, 0);
    shmf_rt_clear_findings();
    NdisFreeSharedMemory(shmf_rt_driver_handle(), h1); /* the live block still frees */
    assert_int_equal(frees, 1);
    EXPECT_NO_FINDING();
    /* The two blocks without a context of their own stay with the provider:
       their pages leak at unload.  Forget them for the teardown. */
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    assert_int_equal(shmf_rt_provider_load(&tp), 0);
}

/* NDIS keeps its own copy of the SG list: what the caller later writes into
   its buffer changes neither the block's list nor what DMA may reach. */
static void test_sg_list_copied(void **state)
{
    NDIS_HANDLE h = NULL;
    PSCATTER_GATHER_LIST sg = NULL;
    struct shmf_block_info bi;

    (void)state;
    assert_int_equal(allocate(2 * PAGE_SIZE, 0, &h, &sg), NDIS_STATUS_SUCCESS);
    LONGLONG la = sg->Elements[0].Address.QuadPart;
    sg->Elements[0].Address.QuadPart = 0x1000;
    sg->NumberOfElements = 0;
    assert_true(shmf_rt_block_find(h, &bi));
    assert_int_equal(bi.sg_count, 1);
    assert_int_equal(bi.sg[0].Address.QuadPart, la);
    shmf_rt_guarded_free(sg);
    NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
    EXPECT_NO_FINDING();
}

/* Without a registered provider: NDIS_STATUS_RESOURCES, no handle, no
   finding (Windows would fall back to its own allocator). */
static void test_no_provider(void **state)
{
    NDIS_HANDLE h = (NDIS_HANDLE)1;

    (void)state;
    shmf_rt_provider_unload();
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    assert_int_equal(allocate(PAGE_SIZE, 0, &h, NULL), NDIS_STATUS_RESOURCES);
    assert_null(h);
    assert_int_equal(frees, 0);
    EXPECT_NO_FINDING();
    assert_int_equal(shmf_rt_provider_load(&tp), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_contiguous_one_element),
        T(test_contiguous_many_adjacent),
        T(test_contiguous_out_of_order),
        T(test_pages_without_contiguous),
        T(test_refused_block_freed_back),
        T(test_freed_back_block_leaks),
        T(test_no_free_back_without_own_context),
        T(test_sg_list_copied),
        T(test_no_provider),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
