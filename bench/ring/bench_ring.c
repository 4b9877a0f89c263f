/*
 * bench_ring.c -- bench/ring (issue 5): (a) the ring machinery alone, post n /
 * drain n in bursts of 32 with no payload, for the reference NET_RING with the
 * ring verifier off and on, beside DPDK's rte_ring SP/SC bulk enqueue/dequeue of
 * the same counts (when built with libdpdk); (b) the full packet path through the
 * NIC model and the reference provider: post -> DMA receive of 64- and 1500-byte
 * packets -> drain (advance) -> return, beside a plain memcpy of the same bytes.
 *
 * Usage: bench_ring SECONDS OUT.json
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nic.h"
#include "report.h"
#include "ring_verify.h"
#include "shmfuzz/runtime.h"

#ifdef SHMF_HAVE_DPDK
#include <rte_ring.h>
#endif

#define BURST 32u
#define RING_N 256u

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE, NDIS_HANDLE);
VOID ShmfProviderUnload(NDIS_HANDLE);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* === (a) ring machinery === */

/* Elements per second through one NET_RING: the OS posts BURST elements at
   EndIndex, the driver drains BURST from BeginIndex (Next follows), optionally
   under the verifier (snapshot before, compare after). */
static double net_ring_rate(bool verify, double secs)
{
    NET_RING *r = shmf_ring_create(RING_N, sizeof(SHMF_NET_FRAGMENT_SHM));
    struct shmf_ring_snapshot snap;
    uint64_t n = 0;
    double t0 = now(), t1;
    shmf_ring_snapshot_init(&snap);
    do {
        for (int k = 0; k < 1024; k++) {
            for (UINT32 i = 0; i < BURST; i++) { /* OS: post */
                SHMF_NET_FRAGMENT_SHM *e = ShmfNetRingGetFragmentShmAtIndex(r, r->EndIndex);
                e->Fragment.Capacity = 2048;
                e->HardwareStatus = SHMF_HW_IDLE;
                r->EndIndex = NetRingIncrementIndex(r, r->EndIndex);
            }
            if (verify)
                shmf_ring_snapshot_take(&snap, r);
            /* driver: drain the burst */
            r->BeginIndex = NetRingAdvanceIndex(r, r->BeginIndex, BURST);
            r->NextIndex = r->BeginIndex;
            if (verify && shmf_ring_verify(&snap, r, "bench") != 0)
                abort();
            n += BURST;
        }
        t1 = now();
    } while (t1 - t0 < secs);
    shmf_ring_snapshot_fini(&snap);
    shmf_ring_destroy(r);
    return (double)n / (t1 - t0);
}

#ifdef SHMF_HAVE_DPDK
static double rte_ring_rate(double secs)
{
    ssize_t sz = rte_ring_get_memsize(RING_N);
    struct rte_ring *r = aligned_alloc(128, (size_t)((sz + 127) / 128 * 128));
    void *objs[BURST];
    uint64_t n = 0;
    double t0 = now(), t1;
    if (!r || rte_ring_init(r, "bench", RING_N, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0)
        return 0;
    for (unsigned i = 0; i < BURST; i++)
        objs[i] = (void *)(uintptr_t)(i + 1);
    do {
        for (int k = 0; k < 1024; k++) {
            if (rte_ring_sp_enqueue_bulk(r, objs, BURST, NULL) != BURST ||
                rte_ring_sc_dequeue_bulk(r, objs, BURST, NULL) != BURST)
                abort();
            n += BURST;
        }
        t1 = now();
    } while (t1 - t0 < secs);
    free(r);
    return (double)n / (t1 - t0);
}
#endif

/* === (b) packet path === */

static struct shmf_nic *world(uint32_t flags)
{
    static struct shmf_nic *nic;
    static const struct shmf_provider prov = {"reference", ShmfProviderSetOptions,
                                              ShmfProviderUnload};
    if (!nic)
        nic = shmf_nic_create();
    shmf_rt_reset(flags, NULL);
    if (shmf_rt_provider_load(&prov) != 0)
        abort();
    shmf_nic_set_ring_advance(nic, NULL);
    shmf_nic_reset(nic, shmf_rt_driver_handle());
    return nic;
}

static void advance(struct shmf_nic *nic)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    shmf_nic_advance(nic, 0);
    KeLowerIrql(old);
}

/* Packets per second through post -> rx (DMA) -> advance (drain) -> return. */
static double packet_rate(uint32_t flags, unsigned pktlen, double secs)
{
    struct shmf_nic *nic = world(flags);
    struct shmf_nic_stats st;
    double t0 = now(), t1;
    do {
        for (int k = 0; k < 64; k++) {
            shmf_nic_post(nic, 0, BURST);
            advance(nic);                     /* driver hands the posts to hardware */
            shmf_nic_rx(nic, 0, BURST, pktlen); /* NIC DMAs packets in */
            advance(nic);                     /* driver drains, OS indicates */
            shmf_nic_return(nic, 0, BURST);
        }
        t1 = now();
    } while (t1 - t0 < secs);
    shmf_nic_get_stats(nic, &st);
    if (shmf_rt_finding_count() != 0 || st.data_errors != 0)
        fprintf(stderr, "bench_ring: findings %u, data errors %llu\n", shmf_rt_finding_count(),
                (unsigned long long)st.data_errors);
    shmf_nic_halt(nic);
    shmf_rt_provider_unload();
    return (double)st.indicated / (t1 - t0);
}

static double memcpy_rate(unsigned pktlen, double secs)
{
    static unsigned char src[BURST][2048], dst[BURST][2048];
    uint64_t n = 0;
    double t0 = now(), t1;
    memset(src, 1, sizeof(src));
    do {
        for (int k = 0; k < 1024; k++) {
            for (unsigned i = 0; i < BURST; i++)
                memcpy(dst[i], src[(i + k) % BURST], pktlen);
            __asm__ volatile("" ::"r"(dst) : "memory");
            n += BURST;
        }
        t1 = now();
    } while (t1 - t0 < secs);
    return (double)n / (t1 - t0);
}

static json_t *figure(const char *name, const char *unit, double value, double base,
                      const char *baseline, double target)
{
    json_t *j = json_pack("{s:s, s:s, s:f, s:f, s:f, s:s}", "name", name, "unit", unit,
                          "value", value, "baseline", base, "ratio",
                          base > 0 ? value / base : 0.0, "baseline_name", baseline);
    if (target > 0) {
        json_object_set_new(j, "target_ratio", json_real(target));
        json_object_set_new(j, "met", json_boolean(base > 0 && value / base >= target));
    }
    return j;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return fprintf(stderr, "usage: bench_ring SECONDS OUT.json\n"), 2;
    double secs = atof(argv[1]);
    json_t *figs = json_array(), *notes = json_array();
    double off = net_ring_rate(false, secs), on = net_ring_rate(true, secs), rte = 0;
#ifdef SHMF_HAVE_DPDK
    rte = rte_ring_rate(secs);
    const char *rte_name = "DPDK rte_ring SP/SC bulk enqueue+dequeue, same count and burst";
#else
    const char *rte_name = "DPDK rte_ring: not available (libdpdk-dev not installed at build)";
    json_array_append_new(notes, json_string("libdpdk-dev was not found when bench_ring was "
                                             "built: no rte_ring baseline, ours still measured"));
#endif
    json_array_append_new(figs, figure("ring_verifier_off_elements_per_s", "element/s", off, rte,
                                       rte_name, 0.8));
    json_array_append_new(figs, figure("ring_verifier_on_elements_per_s", "element/s", on, rte,
                                       rte_name, 0));
    json_array_append_new(figs, figure("ring_verifier_on_vs_off", "element/s", on, off,
                                       "reference ring, verifier off", 0));
    printf("(a) ring: verifier off %.3g elem/s, on %.3g elem/s, rte_ring %.3g elem/s\n", off, on,
           rte);
    static const unsigned lens[] = {64, 1500};
    for (unsigned i = 0; i < 2; i++) {
        char name[96];
        double pk_off = packet_rate(0, lens[i], secs);
        double pk_on = packet_rate(SHMF_VERIFY_F_ALL, lens[i], secs);
        double mc = memcpy_rate(lens[i], secs);
        snprintf(name, sizeof(name), "packet_path_%u_verifier_off_packets_per_s", lens[i]);
        json_array_append_new(figs, figure(name, "packet/s", pk_off, mc, "memcpy of the same bytes", 0.5));
        snprintf(name, sizeof(name), "packet_path_%u_verifier_off_bytes_per_s", lens[i]);
        json_array_append_new(figs, figure(name, "byte/s", pk_off * lens[i], mc * lens[i],
                                           "memcpy of the same bytes", 0.5));
        snprintf(name, sizeof(name), "packet_path_%u_verifier_on_packets_per_s", lens[i]);
        json_array_append_new(figs, figure(name, "packet/s", pk_on, mc, "memcpy of the same bytes", 0));
        printf("(b) %u-byte packets: verifier off %.3g pkt/s, on %.3g pkt/s, memcpy %.3g pkt/s\n",
               lens[i], pk_off, pk_on, mc);
    }
    json_array_append_new(notes, json_string(
        "(b) 'verifier off' turns the runtime's checks off (SHMF_VERIFY_F_* = 0); the NIC "
        "model's ring verifier (snapshot/compare around each advance) always runs there"));
    json_t *j = json_pack("{s:s, s:o, s:o, s:s, s:f, s:i, s:i}", "bench", "ring", "figures", figs,
                          "notes", notes, "build", shmf_build_string(), "seconds_per_figure",
                          secs, "burst", BURST, "ring_elements", RING_N);
    json_object_set_new(j, "baseline", json_string("rte_ring (a), memcpy (b); same run"));
    json_object_set_new(j, "dpdk", json_boolean(rte > 0));
    int rc = shmf_json_write_atomic(j, argv[2]);
    json_decref(j);
    return rc ? 2 : 0;
}
