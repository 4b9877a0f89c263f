/*
 * bench_ring.c -- bench/ring (issue 5): (a) the ring machinery alone, post n /
 * drain n in bursts of 32 with no payload, for the reference NET_RING with the
 * ring verifier off and on, beside DPDK's rte_ring SP/SC bulk enqueue/dequeue of
 * the same counts (when built with libdpdk); (b) the full packet path through the
 * NIC model and the reference provider: post -> DMA receive of 64- and 1500-byte
 * packets -> drain (advance) -> return, beside a plain memcpy of the same bytes.
 *
 * Usage: bench_ring SECONDS OUT.json
 *        bench_ring --bursts N PKTLEN   (the verifier-off packet loop only)
 */
#include <jansson.h>
#include <stdbool.h>
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
#define PKT_RING_ORDER 6u /* (b): 64 elements */
#define ROUNDS 16u        /* slices per figure, interleaved */

NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE, NDIS_HANDLE);
VOID ShmfProviderUnload(NDIS_HANDLE);

/* The reference provider's ring driver (ring_driver.c, linked in). */
VOID ShmfReferenceRingAdvance(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);
VOID ShmfReferenceRingCancel(NET_RING *FragmentRing, NET_RING *PacketRing, ULONG QueueId);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Items moved and the seconds they took, summed over the rounds. */
struct meas {
    double n, secs;
};

static void add(struct meas *acc, double n, double secs)
{
    acc->n += n;
    acc->secs += secs;
}

static double rate(struct meas m)
{
    return m.secs > 0 ? m.n / m.secs : 0;
}

/* === (a) ring machinery === */

/* Per element each side writes one 8-byte word and reads it back: rte_ring an
   object pointer, NET_RING the element's NET_FRAGMENT (the WDK part of the
   fragment; shmf_nic_post writes the rest of SHMF_NET_FRAGMENT_SHM, which is
   the packet path's work, measured in (b)).  Both check the room or the count
   once per burst, split the burst at the wrap and walk each run with a pointer,
   as rte_ring's enqueue and dequeue copies do. */

/* Elements [index, index + n) make at most two runs of consecutive elements:
   the length of the first. */
static UINT32 first_run(const NET_RING *r, UINT32 index, UINT32 n)
{
    UINT32 room = r->NumberOfElements - index;
    return n < room ? n : room;
}

static void post_run(SHMF_NET_FRAGMENT_SHM *e, UINT32 n)
{
    for (UINT32 i = 0; i < n; i++)
        e[i].Fragment = (NET_FRAGMENT){.Capacity = 2048};
}

static uint64_t drain_run(const SHMF_NET_FRAGMENT_SHM *e, UINT32 n)
{
    uint64_t sum = 0;
    for (UINT32 i = 0; i < n; i++)
        sum += e[i].Fragment.Capacity;
    return sum;
}

/* OS: post BURST elements at EndIndex. */
static void os_post(NET_RING *r)
{
    UINT32 end = r->EndIndex, n1 = first_run(r, end, BURST);

    if (shmf_ring_post_space(r) < BURST)
        abort();
    post_run(ShmfNetRingGetFragmentShmAtIndex(r, end), n1);
    post_run(ShmfNetRingGetFragmentShmAtIndex(r, 0), BURST - n1);
    r->EndIndex = NetRingAdvanceIndex(r, end, BURST);
}

/* Driver: drain BURST elements from BeginIndex (NextIndex follows); returns the
   sum of the capacities read. */
static uint64_t driver_drain(NET_RING *r)
{
    UINT32 begin = r->BeginIndex, n1 = first_run(r, begin, BURST);

    if (NetRingGetRangeCount(r, begin, r->EndIndex) < BURST)
        abort();
    uint64_t sum = drain_run(ShmfNetRingGetFragmentShmAtIndex(r, begin), n1) +
                   drain_run(ShmfNetRingGetFragmentShmAtIndex(r, 0), BURST - n1);
    r->BeginIndex = NetRingAdvanceIndex(r, begin, BURST);
    r->NextIndex = r->BeginIndex;
    return sum;
}

/* Elements per second through one NET_RING: the OS posts BURST elements, the
   driver drains them, optionally under the ring verifier (full snapshot before
   the drain, compare after), as the NIC model runs a driver call. */
static void net_ring_run(struct meas *m, bool verify, double secs)
{
    NET_RING *r = shmf_ring_create(RING_N, sizeof(SHMF_NET_FRAGMENT_SHM));
    struct shmf_ring_snapshot snap;
    uint64_t n = 0, sum = 0;
    double t0 = now(), t1;
    shmf_ring_snapshot_init(&snap);
    do {
        for (int k = 0; k < 1024; k++) {
            os_post(r);
            if (verify && shmf_ring_snapshot_take(&snap, r) != 0)
                abort();
            sum += driver_drain(r);
            if (verify && shmf_ring_verify(&snap, r, "bench") != 0)
                abort();
            n += BURST;
        }
        t1 = now();
    } while (t1 - t0 < secs);
    if (sum != n * 2048)
        abort();
    shmf_ring_snapshot_fini(&snap);
    shmf_ring_destroy(r);
    add(m, (double)n, t1 - t0);
}

#ifdef SHMF_HAVE_DPDK
static void rte_ring_run(struct meas *m, double secs)
{
    ssize_t sz = rte_ring_get_memsize(RING_N);
    struct rte_ring *r = aligned_alloc(128, (size_t)((sz + 127) / 128 * 128));
    void *objs[BURST];
    uint64_t n = 0;
    double t0 = now(), t1;
    if (!r || rte_ring_init(r, "bench", RING_N, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0)
        abort();
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
    add(m, (double)n, t1 - t0);
}
#endif

/* === (b) packet path === */

/* A world with the reference provider and one queue of 2^PKT_RING_ORDER
   elements (2 KiB buffers), so that bursts of BURST fit (the default queue has
   16 elements); returns the queue's slot. */
static unsigned world(struct shmf_nic **out, bool verify)
{
    static struct shmf_nic *nic;
    static const struct shmf_provider prov = {"reference", ShmfProviderSetOptions,
                                              ShmfProviderUnload};
    if (!nic)
        nic = shmf_nic_create();
    shmf_rt_reset(verify ? SHMF_VERIFY_F_ALL : 0, NULL);
    if (shmf_rt_provider_load(&prov) != 0)
        abort();
    shmf_nic_set_ring_advance(nic, ShmfReferenceRingAdvance); /* ring_driver.c, linked */
    shmf_nic_set_ring_cancel(nic, ShmfReferenceRingCancel);
    shmf_nic_set_verify(nic, verify);
    shmf_nic_reset(nic, shmf_rt_driver_handle());
    if (shmf_nic_queue_alloc(nic, PKT_RING_ORDER, 2048, NULL) != 0)
        abort();
    *out = nic;
    return shmf_nic_queue_count(nic) - 1;
}

static void advance(struct shmf_nic *nic, unsigned slot)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    shmf_nic_advance(nic, slot);
    KeLowerIrql(old);
}

/* The packet path's steps, timed on their own by stage_run. */
enum { ST_POST, ST_HAND, ST_RX, ST_DRAIN, ST_RETURN, ST_COUNT };
static const char *const stage_names[ST_COUNT] = {"post", "advance_hand_to_hardware", "dma_receive",
                                                  "advance_drain_indicate", "return"};

/* With stage non-NULL: the seconds since *t go to stage[i], and *t moves on. */
static void step_done(double *stage, int i, double *t)
{
    if (stage) {
        double t1 = now();
        stage[i] += t1 - *t;
        *t = t1;
    }
}

/* One burst through post -> rx (DMA) -> advance (drain) -> return; every step
   must move the whole burst.  stage/t: see step_done (NULL: untimed). */
static void burst(struct shmf_nic *nic, unsigned slot, unsigned pktlen, double *stage, double *t)
{
    if (shmf_nic_post(nic, slot, BURST) != (int)BURST)
        abort();
    step_done(stage, ST_POST, t);
    advance(nic, slot); /* driver hands the posts to hardware */
    step_done(stage, ST_HAND, t);
    if (shmf_nic_rx(nic, slot, BURST, pktlen) != (int)BURST)
        abort(); /* NIC DMAs packets in */
    step_done(stage, ST_RX, t);
    advance(nic, slot); /* driver drains, OS indicates */
    step_done(stage, ST_DRAIN, t);
    if (shmf_nic_return(nic, slot, BURST) != (int)BURST)
        abort();
    step_done(stage, ST_RETURN, t);
}

/* Packets per second through the path, in bursts of BURST. */
static void packet_run(struct meas *m, bool verify, unsigned pktlen, double secs)
{
    struct shmf_nic *nic;
    unsigned slot = world(&nic, verify);
    struct shmf_nic_stats st;
    double t0 = now(), t1;
    do {
        for (int k = 0; k < 64; k++)
            burst(nic, slot, pktlen, NULL, NULL);
        t1 = now();
    } while (t1 - t0 < secs);
    shmf_nic_get_stats(nic, &st);
    if (shmf_rt_finding_count() != 0 || st.data_errors != 0)
        fprintf(stderr, "bench_ring: findings %u, data errors %llu\n", shmf_rt_finding_count(),
                (unsigned long long)st.data_errors);
    shmf_nic_halt(nic);
    shmf_rt_provider_unload();
    add(m, (double)st.indicated, t1 - t0);
}

/* Where a packet's time goes, verifier off: each step of the loop above timed
   on its own, in ns per packet.  Every step pays one clock read per burst
   (timer_ns, measured here too, divided by BURST). */
struct stages {
    double secs[ST_COUNT], packets, timer_ns;
};

static void stage_run(struct stages *s, unsigned pktlen, double secs)
{
    struct shmf_nic *nic;
    unsigned slot = world(&nic, false);
    double t0 = now(), t = t0;
    do {
        for (int k = 0; k < 64; k++) {
            burst(nic, slot, pktlen, s->secs, &t);
            s->packets += BURST;
        }
    } while (t - t0 < secs);
    shmf_nic_halt(nic);
    shmf_rt_provider_unload();
    t0 = now();
    for (int k = 0; k < 100000; k++)
        t = now();
    s->timer_ns = (t - t0) / 100000 * 1e9;
}

static json_t *stage_figures(const struct stages *s, unsigned pktlen)
{
    json_t *j = json_object();
    double total = 0;
    printf("(b) %u-byte packet stages, ns/packet:", pktlen);
    for (unsigned i = 0; i < ST_COUNT; i++) {
        double ns = s->packets > 0 ? s->secs[i] / s->packets * 1e9 : 0;
        json_object_set_new(j, stage_names[i], json_real(ns));
        printf(" %s %.2f", stage_names[i], ns);
        total += ns;
    }
    printf("\n");
    json_object_set_new(j, "total", json_real(total));
    json_object_set_new(j, "timer_ns_per_read", json_real(s->timer_ns));
    return j;
}

static void memcpy_run(struct meas *m, unsigned pktlen, double secs)
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
    add(m, (double)n, t1 - t0);
}

/* A figure beside its baseline.  A baseline that was not measured (base <= 0:
   DPDK missing) is null, never 0: "baseline", "ratio" and "met" are null and
   "baseline_missing" says why. */
static json_t *figure(const char *name, const char *unit, double value, double base,
                      const char *baseline, double target)
{
    bool have = base > 0;
    json_t *j = json_pack("{s:s, s:s, s:f, s:o, s:o, s:s}", "name", name, "unit", unit, "value",
                          value, "baseline", have ? json_real(base) : json_null(), "ratio",
                          have ? json_real(value / base) : json_null(), "baseline_name", baseline);
    if (!have)
        json_object_set_new(j, "baseline_missing", json_string(baseline));
    if (target > 0) {
        json_object_set_new(j, "target_ratio", json_real(target));
        json_object_set_new(j, "met", have ? json_boolean(value / base >= target) : json_null());
    }
    return j;
}

/* === Report === */

static const unsigned lens[] = {64, 1500};

struct results {
    struct meas ring_off, ring_on, rte;
    struct meas pk_off[2], pk_on[2], mc[2];
    struct stages stages[2];
    double round_ratio[2][ROUNDS]; /* (b) verifier off / memcpy, each round's slices */
};

/* Every figure gets `secs` in all, in ROUNDS slices that take turns with the
   others, so a load that comes and goes on the machine hits each side alike. */
static void measure(struct results *r, double secs)
{
    double slice = secs / ROUNDS;

    for (unsigned k = 0; k < ROUNDS; k++) {
        net_ring_run(&r->ring_off, false, slice);
        net_ring_run(&r->ring_on, true, slice);
#ifdef SHMF_HAVE_DPDK
        rte_ring_run(&r->rte, slice);
#endif
        for (unsigned i = 0; i < 2; i++) {
            struct meas off = {0}, mc = {0};
            packet_run(&off, false, lens[i], slice);
            packet_run(&r->pk_on[i], true, lens[i], slice);
            memcpy_run(&mc, lens[i], slice);
            stage_run(&r->stages[i], lens[i], slice / 2);
            add(&r->pk_off[i], off.n, off.secs);
            add(&r->mc[i], mc.n, mc.secs);
            r->round_ratio[i][k] = rate(mc) > 0 ? rate(off) / rate(mc) : 0;
        }
    }
}

/* What to do when the rte_ring baseline is missing. */
#define DPDK_INSTALL                                                                               \
    "install Debian's dpdk-dev (or just libdpdk-dev: apt-get install libdpdk-dev), then "          \
    "rerun scripts/bench.sh ring"

static void ring_figures(json_t *figs, json_t *notes, const struct results *r)
{
    double off = rate(r->ring_off), on = rate(r->ring_on), rte = rate(r->rte);
#ifdef SHMF_HAVE_DPDK
    const char *rte_name = "DPDK rte_ring SP/SC bulk enqueue+dequeue, same count and burst";
    (void)notes;
#else
    const char *rte_name = "DPDK rte_ring: baseline missing (libdpdk-dev was not installed "
                           "when bench_ring was built; " DPDK_INSTALL ")";
    json_array_append_new(notes, json_string("rte_ring baseline missing: libdpdk-dev was not "
                                             "found when bench_ring was built, ours still "
                                             "measured; " DPDK_INSTALL));
#endif
    json_array_append_new(
        figs, figure("ring_verifier_off_elements_per_s", "element/s", off, rte, rte_name, 0.8));
    json_array_append_new(
        figs, figure("ring_verifier_on_elements_per_s", "element/s", on, rte, rte_name, 0));
    json_array_append_new(figs, figure("ring_verifier_on_vs_off", "element/s", on, off,
                                       "reference ring, verifier off", 0));
    if (rte > 0)
        printf("(a) ring: verifier off %.3g elem/s, on %.3g elem/s, rte_ring %.3g elem/s\n", off,
               on, rte);
    else
        printf("(a) ring: verifier off %.3g elem/s, on %.3g elem/s; rte_ring baseline missing "
               "(DPDK not installed: " DPDK_INSTALL ")\n",
               off, on);
}

/* Each round's 64- and 1500-byte verifier-off ratio: on a VM they move with
   the host's placement of the processors (docs/rings.md). */
static json_t *round_figures(const struct results *r)
{
    json_t *j = json_object();

    for (unsigned i = 0; i < 2; i++) {
        char name[16];
        json_t *a = json_array();
        for (unsigned k = 0; k < ROUNDS; k++)
            json_array_append_new(a, json_real(r->round_ratio[i][k]));
        snprintf(name, sizeof(name), "%u", lens[i]);
        json_object_set_new(j, name, a);
    }
    return j;
}

static void packet_figures(json_t *figs, json_t *stages, const struct results *r)
{
    for (unsigned i = 0; i < 2; i++) {
        char name[96];
        double pk_off = rate(r->pk_off[i]), pk_on = rate(r->pk_on[i]), mc = rate(r->mc[i]);
        snprintf(name, sizeof(name), "packet_path_%u_verifier_off_packets_per_s", lens[i]);
        json_array_append_new(
            figs, figure(name, "packet/s", pk_off, mc, "memcpy of the same bytes", 0.5));
        snprintf(name, sizeof(name), "packet_path_%u_verifier_off_bytes_per_s", lens[i]);
        json_array_append_new(figs, figure(name, "byte/s", pk_off * lens[i], mc * lens[i],
                                           "memcpy of the same bytes", 0.5));
        snprintf(name, sizeof(name), "packet_path_%u_verifier_on_packets_per_s", lens[i]);
        json_array_append_new(figs,
                              figure(name, "packet/s", pk_on, mc, "memcpy of the same bytes", 0));
        printf("(b) %u-byte packets: verifier off %.3g pkt/s, on %.3g pkt/s, memcpy %.3g pkt/s\n",
               lens[i], pk_off, pk_on, mc);
        snprintf(name, sizeof(name), "%u", lens[i]);
        json_object_set_new(stages, name, stage_figures(&r->stages[i], lens[i]));
    }
}

/* --bursts N PKTLEN: N bursts of the verifier-off packet loop and nothing
   else, for counting instructions (bench/ring/instructions.py). */
static int bursts_only(long n, unsigned pktlen)
{
    struct shmf_nic *nic;
    unsigned slot = world(&nic, false);

    for (long k = 0; k < n; k++)
        burst(nic, slot, pktlen, NULL, NULL);
    shmf_nic_halt(nic);
    shmf_rt_provider_unload();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--bursts") == 0 && atol(argv[2]) > 0 && atoi(argv[3]) > 0)
        return bursts_only(atol(argv[2]), (unsigned)atoi(argv[3]));
    if (argc != 3)
        return fprintf(stderr, "usage: bench_ring SECONDS OUT.json | --bursts N PKTLEN\n"), 2;
    double secs = atof(argv[1]);
    json_t *figs = json_array(), *notes = json_array(), *stages = json_object();
    struct results r = {0};

    measure(&r, secs);
    ring_figures(figs, notes, &r);
    packet_figures(figs, stages, &r);
    json_array_append_new(
        notes,
        json_string(
            "(a) both sides move BURST elements per call, one 8-byte word per element each way: "
            "rte_ring object pointers in and out, NET_RING the OS writes each element's "
            "NET_FRAGMENT and the driver reads it; room and count checked once per burst"));
    json_array_append_new(
        notes,
        json_string(
            "(b) 'verifier off' turns the runtime's checks off (SHMF_VERIFY_F_* = 0) and the NIC "
            "model's full checks (shmf_nic_set_verify false: header-only ring snapshots, payload "
            "checked at its header and last byte); 'on' runs all of them; one queue of 64 "
            "elements, bursts of 32"));
    json_array_append_new(
        notes,
        json_string(
            "packet_path_stages_ns_per_packet: the verifier-off loop of (b) with each step timed "
            "on its own (half a slice per round); each step includes one clock read per burst "
            "of 32 (timer_ns_per_read / 32 per packet)"));
    json_array_append_new(
        notes,
        json_string(
            "each figure is measured in 'rounds' slices that take turns with the other figures' "
            "(items and seconds summed over its slices), so load on the machine hits all alike; "
            "packet_path_verifier_off_ratio_per_round has (b)'s ratio of each round's slices"));
    json_t *j = json_pack("{s:s, s:o, s:o, s:s, s:f, s:i, s:i, s:i}", "bench", "ring", "figures",
                          figs, "notes", notes, "build", shmf_build_string(), "seconds_per_figure",
                          secs, "rounds", ROUNDS, "burst", BURST, "ring_elements", RING_N);
    json_object_set_new(j, "baseline", json_string("rte_ring (a), memcpy (b); same run"));
    json_object_set_new(j, "dpdk", json_boolean(rate(r.rte) > 0));
    if (rate(r.rte) <= 0)
        json_object_set_new(
            j, "baseline_missing",
            json_pack("{s:s}", "rte_ring",
                      "DPDK not installed when bench_ring was built: " DPDK_INSTALL));
    json_object_set_new(j, "packet_path_stages_ns_per_packet", stages);
    json_object_set_new(j, "packet_path_verifier_off_ratio_per_round", round_figures(&r));
    int rc = shmf_json_write_atomic(j, argv[2]);
    json_decref(j);
    return rc ? 2 : 0;
}
