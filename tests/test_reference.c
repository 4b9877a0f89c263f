/*
 * test_reference.c -- the reference provider's error paths, driven through
 * NdisAllocateSharedMemory as a miniport would: every rejection returns its
 * documented status without writing outputs, and a chaos loop in the style of
 * Jansson's test_chaos fails the 1st, 2nd, 3rd ... runtime allocation inside an
 * allocate call until it succeeds, checking RESOURCES and no leak each time.
 */
#include <ndis.h>
#include <net/ring.h>
#include <string.h>

#include "exec.h"
#include "shmf_test.h"

/* The reference provider's ring driver exports (ring_driver.c, linked in). */
VOID ShmfProviderRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);
VOID ShmfProviderRingCancel(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);

static const struct shmf_provider reference = {"reference", ShmfProviderSetOptions,
                                               ShmfProviderUnload, NULL};

struct req {
    UCHAR rev;
    USHORT size;
    ULONG flags, queue, node, length, vport, sglen;
    NDIS_SHARED_MEMORY_USAGE usage;
};

static struct req good(void)
{
    return (struct req){2,
                        NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2,
                        0,
                        0,
                        MM_ANY_NODE_OK,
                        3 * PAGE_SIZE,
                        0,
                        16 + 24 * 4,
                        NdisSharedMemoryUsageReceive};
}

static NDIS_STATUS allocate(const struct req *r, NDIS_HANDLE *h)
{
    NDIS_SHARED_MEMORY_PARAMETERS p;
    memset(&p, 0, sizeof(p));
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = r->rev;
    p.Header.Size = r->size;
    p.Flags = r->flags;
    p.QueueId = r->queue;
    p.PreferredNode = r->node;
    p.Usage = r->usage;
    p.Length = r->length;
    p.VPortId = r->vport;
    p.SGListBufferLength = r->sglen;
    p.SGListBuffer = r->sglen ? shmf_rt_guarded_alloc(r->sglen) : NULL;
    PNDIS_SHARED_MEMORY_PARAMETERS g = shmf_rt_guarded_alloc(r->size);
    memcpy(g, &p, r->size);
    NDIS_STATUS st = NdisAllocateSharedMemory(shmf_rt_driver_handle(), g, h);
    assert_true(shmf_rt_guard_intact(g));
    if (p.SGListBuffer)
        assert_true(shmf_rt_guard_intact(p.SGListBuffer));
    shmf_rt_guarded_free(p.SGListBuffer);
    shmf_rt_guarded_free(g);
    return st;
}

static int setup(void **state)
{
    (void)state;
    shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
    return shmf_rt_provider_load(&reference);
}

static void expect_status(struct req r, NDIS_STATUS want)
{
    NDIS_HANDLE h = (NDIS_HANDLE)1;
    assert_int_equal(allocate(&r, &h), want);
    if (want == NDIS_STATUS_SUCCESS)
        NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
    else
        assert_null(h);
    EXPECT_NO_FINDING();
}

static void every_usage_and_both_revisions(void **state)
{
    (void)state;
    struct req r = good();
    for (int u = 0; u < NdisSharedMemoryUsageMax; u++) {
        r.usage = (NDIS_SHARED_MEMORY_USAGE)u;
        expect_status(r, NDIS_STATUS_SUCCESS);
    }
    r.rev = 1;
    r.size = NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1; /* no VPortId to read */
    expect_status(r, NDIS_STATUS_SUCCESS);
    r = good();
    r.flags = NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS;
    r.length = 5 * PAGE_SIZE + 7;
    r.sglen = 16 + 24;
    expect_status(r, NDIS_STATUS_SUCCESS);
    r.node = 1;
    expect_status(r, NDIS_STATUS_SUCCESS);
    shmf_rt_provider_unload();
    EXPECT_NO_FINDING();
}

static void rejections_use_documented_status(void **state)
{
    (void)state;
    struct req r = good();
    r.length = 0;
    expect_status(r, NDIS_STATUS_INVALID_PARAMETER);
    r = good(), r.length = 0xFFFFF001u; /* overflows when rounded to pages */
    expect_status(r, NDIS_STATUS_INVALID_PARAMETER);
    r = good(), r.flags = 0x100;
    expect_status(r, NDIS_STATUS_INVALID_PARAMETER);
    r = good(), r.usage = NdisSharedMemoryUsageMax;
    expect_status(r, NDIS_STATUS_INVALID_PARAMETER);
    r = good(), r.node = 7;
    expect_status(r, NDIS_STATUS_INVALID_PARAMETER);
    r = good(), r.vport = 3;
    expect_status(r, NDIS_STATUS_INVALID_PARAMETER);
    r = good(), r.sglen = 16 + 24; /* scattered pages need more elements */
    expect_status(r, NDIS_STATUS_INVALID_PARAMETER);
    r = good(), r.sglen = 8;
    expect_status(r, NDIS_STATUS_INVALID_PARAMETER);
    shmf_rt_provider_unload();
    EXPECT_NO_FINDING();
}

static void queue_quota_gives_resources(void **state)
{
    (void)state;
    struct req r = good();
    NDIS_HANDLE h[64];
    unsigned n = 0;
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    r.length = 1024 * 1024;
    r.sglen = 16 + 24 * 260;
    while (n < 64 && (st = allocate(&r, &h[n])) == NDIS_STATUS_SUCCESS)
        n++;
    assert_int_equal(st, NDIS_STATUS_RESOURCES);
    assert_true(n >= 4);
    EXPECT_NO_FINDING();
    while (n)
        NdisFreeSharedMemory(shmf_rt_driver_handle(), h[--n]);
    shmf_rt_provider_unload();
    EXPECT_NO_FINDING();
}

/* test_chaos: fail the Nth runtime allocation inside one allocate call. */
static void chaos_loop(ULONG flags)
{
    for (uint32_t nth = 1;; nth++) {
        shmf_rt_reset(SHMF_VERIFY_F_ALL, NULL);
        assert_int_equal(shmf_rt_provider_load(&reference), 0);
        struct shmf_fault_plan plan = {.fail_nth = (uint32_t)shmf_rt_alloc_attempts() + nth};
        shmf_rt_set_fault_plan(&plan);
        struct req r = good();
        r.flags = flags;
        NDIS_HANDLE h = NULL;
        NDIS_STATUS st = allocate(&r, &h);
        shmf_rt_set_fault_plan(NULL);
        if (st == NDIS_STATUS_SUCCESS)
            NdisFreeSharedMemory(shmf_rt_driver_handle(), h);
        else
            assert_int_equal(st, NDIS_STATUS_RESOURCES);
        shmf_rt_provider_unload();
        EXPECT_NO_FINDING();
        if (st == NDIS_STATUS_SUCCESS) {
            assert_true(nth > 1); /* at least one allocation was failed */
            return;
        }
        assert_true(nth < 32);
    }
}

static void chaos_scattered(void **state)
{
    (void)state;
    chaos_loop(0);
}

static void chaos_contiguous(void **state)
{
    (void)state;
    chaos_loop(NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS);
}

/* Fault sweep through the whole harness: N = 1..K over a program with queues. */
static void fault_sweep_over_program(void **state)
{
    (void)state;
    static const char text[] = "shmfuzz-ops v=1\n"
                               "alloc length=8192\nalloc length=100 flags=0x1\n"
                               "qalloc order=3 bufsize=1500\npost queue=1 count=8\n"
                               "rx queue=1 count=4 pktlen=200\ndpc queue=1\n"
                               "ret queue=1 count=4\ntx queue=1 pktlen=64\nqfree queue=1\n"
                               "reload\nalloc length=20000\n";
    struct shmf_prog *p = shmf_prog_new();
    char err[128];
    assert_int_equal(shmf_prog_parse(p, text, sizeof(text) - 1, err, sizeof(err)), 0);
    struct shmf_target t = {reference, (void *)ShmfProviderRingAdvance, "",
                            (void *)ShmfProviderRingCancel}; /* ring_driver.c, linked */
    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = NULL};
    struct shmf_exec_result res;
    for (uint16_t nth = 0; nth <= 40; nth++) {
        p->hdr.fail_nth = nth;
        shmf_exec_run(&t, p, &opts, &res);
        if (res.findings)
            print_message("fail_nth=%u: %s: %s\n", nth, shmf_kind_name(res.first.kind),
                          res.first.message);
        assert_int_equal(res.findings, 0);
    }
    shmf_prog_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(every_usage_and_both_revisions, setup),
        cmocka_unit_test_setup(rejections_use_documented_status, setup),
        cmocka_unit_test_setup(queue_quota_gives_resources, setup),
        cmocka_unit_test(chaos_scattered),
        cmocka_unit_test(chaos_contiguous),
        cmocka_unit_test(fault_sweep_over_program),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
