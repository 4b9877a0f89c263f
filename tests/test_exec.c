/*
 * test_exec.c -- the executor: interleaved programs (`cpu` ops, docs/opstream.md),
 * their determinism, and the trace's per-op outcomes.
 *
 * The racy provider (stress_racy_provider.c, a missing lock) crashes the process
 * when its race hits (ASan use-after-free), so it runs in a child process whose
 * crash sink reports the finding through a pipe, as `shmfuzz replay` does.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash.h"
#include "exec.h"
#include "ops.h"
#include "report.h"
#include "sha256.h"
#include "shmf_test.h"
#include "target.h"

#ifndef SHMF_TEST_RACY_SO
#error "SHMF_TEST_RACY_SO (path of libshmfprov_stress_racy.so) must be defined"
#endif

/* Four blocks allocated by the sequential prologue, then two processors free
   neighbouring ones.  The scheduler seed comes from `reserved` (and the cpu
   ops' indices); with this one the unlocked unlink of the racy provider
   interleaves with the other processor's. */
static const char racy_text[] = "shmfuzz-ops v=1 reserved=4\n"
                                "alloc usage=4 length=4096\n"
                                "alloc usage=4 length=4096\n"
                                "alloc usage=4 length=4096\n"
                                "alloc usage=4 length=4096\n"
                                "cpu index=0\n"
                                "free slot=1\n"
                                "cpu index=1\n"
                                "free slot=2\n";

/* Every kind of op on four processors, for the reference provider. */
static const char multi_text[] = "qalloc order=3 bufsize=2048\n"
                                 "alloc usage=4 length=8192\n"
                                 "cpu index=0\n"
                                 "alloc usage=4 length=4096 queue=1\n"
                                 "post queue=1 count=4\n"
                                 "rx queue=1 count=2 pktlen=128\n"
                                 "dpc queue=1\n"
                                 "ret queue=1 count=2\n"
                                 "raise level=2\n"
                                 "alloc usage=4 length=4096\n"
                                 "touch slot=0 write=1 offset=8 len=16\n"
                                 "lower\n"
                                 "work\n"
                                 "free slot=0\n"
                                 "tx queue=0 pktlen=256\n"
                                 "cpu index=1\n"
                                 "alloc usage=1 length=12288\n"
                                 "alloc usage=4 length=4096 flags=0x1\n"
                                 "raise level=1\n"
                                 "free slot=1\n"
                                 "lower\n"
                                 "work\n"
                                 "qalloc order=2 bufsize=1024\n"
                                 "post queue=2 count=2\n"
                                 "rx queue=2 count=1 pktlen=64\n"
                                 "dpc queue=2\n"
                                 "qfree queue=1\n"
                                 "cpu index=2\n"
                                 "reload\n"
                                 "alloc usage=4 length=4096\n"
                                 "touch slot=1 len=4\n"
                                 "post queue=0 count=3\n"
                                 "rx queue=0 count=3 pktlen=100\n"
                                 "dpc queue=0\n"
                                 "drain queue=0 count=1\n"
                                 "drain queue=0 count=0\n"
                                 "fault mode=1 n=1\n"
                                 "alloc usage=4 length=4096\n"
                                 "alloc usage=4 length=4096\n"
                                 "fault mode=0\n"
                                 "free slot=3\n"
                                 "cpu index=7\n" /* processor 7 % 4 = 3 */
                                 "qalloc order=2 bufsize=512\n"
                                 "alloc usage=4 length=20000 queue=2\n"
                                 "free slot=0\n"
                                 "free slot=0\n"
                                 "qfree queue=2\n"
                                 "cpu index=0\n"
                                 "alloc usage=4 length=4096\n"
                                 "free slot=2\n";

static struct shmf_prog *parse(const char *text)
{
    char err[256];
    struct shmf_prog *p = shmf_prog_new();
    assert_non_null(p);
    if (shmf_prog_parse(p, text, strlen(text), err, sizeof(err)) != 0)
        fail_msg("parse: %s", err);
    return p;
}

static void open_target(const char *spec, struct shmf_target *t)
{
    char err[600];
    if (shmf_target_open(spec, t, err, sizeof(err)) != 0)
        fail_msg("%s", err);
}

/* === The racy provider, in a child process === */

static int sink_fd = -1;

static void describe(const struct shmf_finding *f, int32_t op, char *buf, size_t n)
{
    char kind[80];
    shmf_finding_kind_name(f, kind, sizeof(kind));
    snprintf(buf, n, "%s|%s|op=%d|cpu=%u", kind, f->function, op, f->cpu);
}

static void child_sink(const struct shmf_finding *f, void *ud)
{
    char line[256];
    (void)ud;
    describe(f, f->op_index, line, sizeof(line));
    if (write(sink_fd, line, strlen(line)) < 0)
        _exit(3);
    _exit(1);
}

/* Run `text` against the racy provider in a child (stderr, with the sanitizer
   report, discarded when quiet); *out gets "kind|function|
   op=N|cpu=C" of the finding (crash or verifier), or "" when clean. */
static void run_racy_child(const char *text, char *out, size_t n, bool quiet)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct shmf_target t;
        struct shmf_exec_result res;
        struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = NULL};
        char line[256] = "";
        close(fds[0]);
        sink_fd = fds[1];
        if (quiet && !freopen("/dev/null", "w", stderr))
            _exit(3);
        open_target(SHMF_TEST_RACY_SO, &t);
        struct shmf_prog *p = parse(text);
        shmf_crash_install(child_sink, NULL);
        shmf_exec_run(&t, p, &opts, &res);
        if (res.findings)
            describe(&res.first, res.failing_op, line, sizeof(line));
        if (write(fds[1], line, strlen(line)) < 0)
            _exit(3);
        _exit(res.findings ? 1 : 0);
    }
    close(fds[1]);
    ssize_t got = 0, r;
    while ((size_t)got < n - 1 && (r = read(fds[0], out + got, n - 1 - (size_t)got)) > 0)
        got += r;
    out[got > 0 ? got : 0] = 0;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
}

static void racy_found_deterministically(void **state)
{
    char first[256], again[256];
    (void)state;
    run_racy_child(racy_text, first, sizeof(first), false);
    print_message("racy: %s\n", first);
    /* The unlink of a stale neighbour writes into a freed tracking block. */
    assert_true(strncmp(first, "use-after-free|RacyFree|", 24) == 0);
    /* The failing op is one of the two frees, not the prologue or teardown. */
    assert_true(strstr(first, "|op=5|") || strstr(first, "|op=7|"));
    for (int i = 0; i < 19; i++) {
        run_racy_child(racy_text, again, sizeof(again), true);
        assert_string_equal(first, again);
    }
}

/* Sequential (no cpu op), the same provider is correct. */
static void racy_clean_without_cpu_ops(void **state)
{
    char out[256];
    (void)state;
    const char *seq = strstr(racy_text, "alloc");
    char text[512];
    snprintf(text, sizeof(text), "%s", seq);
    /* Drop the cpu lines: the frees then run one after the other. */
    for (char *c; (c = strstr(text, "cpu index="));) {
        char *e = strchr(c, '\n');
        memmove(c, e + 1, strlen(e + 1) + 1);
    }
    run_racy_child(text, out, sizeof(out), false);
    assert_string_equal(out, "");
}

/* === The reference provider === */

static void reference_clean_multi_cpu(void **state)
{
    struct shmf_target t;
    struct shmf_exec_result res;
    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = NULL};
    char text[sizeof(multi_text) + 64];
    (void)state;
    open_target("reference", &t);
    for (unsigned seed = 0; seed < 64; seed++) {
        snprintf(text, sizeof(text), "shmfuzz-ops v=1 reserved=%u\n%s", seed, multi_text);
        struct shmf_prog *p = parse(text);
        shmf_exec_run(&t, p, &opts, &res);
        if (res.findings)
            fail_msg("seed %u: %s in %s at op %d: %s", seed, shmf_kind_name(res.first.kind),
                     res.first.function, res.failing_op, res.first.message);
        assert_int_equal(res.ncpus, 4);
        shmf_prog_free(p);
    }
}

/* Each processor has its own IRQL: processor 1 stays at DISPATCH_LEVEL while
   processor 0 allocates at PASSIVE_LEVEL (not deferred). */
static void irql_is_per_processor(void **state)
{
    struct shmf_target t;
    struct shmf_exec_result res;
    char *buf = NULL;
    size_t len = 0;
    FILE *tr = open_memstream(&buf, &len);
    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = tr};
    (void)state;
    open_target("reference", &t);
    struct shmf_prog *p = parse("cpu index=1\nraise level=2\nraise level=2\n"
                                "cpu index=0\nalloc usage=4 length=4096\nfree\n"
                                "cpu index=1\nlower\nlower\n");
    shmf_exec_run(&t, p, &opts, &res);
    fclose(tr);
    assert_int_equal(res.findings, 0);
    assert_int_equal(res.ncpus, 2);
    assert_non_null(strstr(buf, "[cpu 0] -> SUCCESS handle=0x"));
    assert_non_null(strstr(buf, "[cpu 0] -> freed handle=0x"));
    assert_null(strstr(buf, "[cpu 0] -> deferred"));
    free(buf);
    shmf_prog_free(p);
}

/* Programs without a cpu op run on one processor, as before. */
static void no_cpu_op_is_sequential(void **state)
{
    struct shmf_target t;
    struct shmf_exec_result res;
    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = NULL};
    (void)state;
    open_target("reference", &t);
    struct shmf_prog *p = parse("alloc usage=4 length=4096\nraise level=2\nfree\nlower\nwork\n");
    shmf_exec_run(&t, p, &opts, &res);
    assert_int_equal(res.findings, 0);
    assert_int_equal(res.ncpus, 1);
    assert_int_equal(res.ops_run, 5);
    shmf_prog_free(p);
}

/* === Trace === */

static void trace_shows_outcomes(void **state)
{
    struct shmf_target t;
    struct shmf_exec_result res;
    char *buf = NULL;
    size_t len = 0;
    FILE *tr = open_memstream(&buf, &len);
    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL, .trace = tr};
    (void)state;
    open_target("reference", &t);
    struct shmf_prog *p = parse("free\n"
                                "alloc usage=4 length=4096\n"
                                "alloc usage=4 length=4096 type=0x7\n"
                                "raise level=2\n"
                                "alloc usage=4 length=4096\n"
                                "lower\n"
                                "work\n"
                                "touch write=1 len=8\n");
    shmf_exec_run(&t, p, &opts, &res);
    fclose(tr);
    assert_int_equal(res.findings, 0);
    print_message("%s", buf);
    assert_non_null(strstr(buf, "     0 free slot=0\n       -> no live block\n"));
    assert_non_null(strstr(buf, "       -> SUCCESS handle=0x"));
    assert_non_null(strstr(buf, "       -> INVALID_PARAMETER\n"));
    assert_non_null(strstr(buf, "       -> deferred to PASSIVE_LEVEL (IRQL 2)\n"));
    assert_non_null(strstr(buf, "work item: alloc"));
    assert_non_null(strstr(buf, "       -> ran 1 work items\n"));
    assert_non_null(strstr(buf, "       -> wrote 8 bytes at offset 0 of handle=0x"));
    free(buf);
    shmf_prog_free(p);
}

/* The op engine's checkers: clean tables pass; each broken invariant fails. */
static bool never_stop(struct shmf_ops_world *w)
{
    (void)w;
    return false;
}

static void ops_checkers(void **state)
{
    (void)state;
    static const struct shmf_ops_policy pol = {.stop = never_stop};
    static struct shmf_ops_world w;
    struct shmf_ops_cpu c = {0};
    int dummy;
    w.pol = &pol;
    assert_true(shmf_ops_world_is_valid(&w) && shmf_ops_cpu_is_valid(&c));
    w.blocks[0] = (struct shmf_ops_blk){&dummy, 0};
    w.nblocks = 1;
    assert_true(shmf_ops_world_is_valid(&w));
    w.blocks[0].users = 1; /* pinned between ops */
    assert_false(shmf_ops_world_is_valid(&w));
    w.blocks[0] = (struct shmf_ops_blk){NULL, 0}; /* a hole in the table */
    assert_false(shmf_ops_world_is_valid(&w));
    w.nblocks = SHMF_OPS_MAX_BLOCKS + 1;
    assert_false(shmf_ops_world_is_valid(&w));
    w.nblocks = 0;
    w.pol = NULL;
    assert_false(shmf_ops_world_is_valid(&w));
    c.nraises = SHMF_OPS_MAX_RAISES + 1;
    assert_false(shmf_ops_cpu_is_valid(&c));
    c.nraises = 0;
    c.regions.params = &dummy; /* an allocate call left in progress */
    assert_false(shmf_ops_cpu_is_valid(&c));
}

/* Inputs are named by SHA-256 (FIPS 180-4 test vectors, through Nettle). */
static void sha256_names_inputs(void **state)
{
    (void)state;
    char hex[65];
    shmf_sha256_hex((const uint8_t *)"", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    shmf_sha256_hex((const uint8_t *)"abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(racy_found_deterministically),
        T(racy_clean_without_cpu_ops),
        T(reference_clean_multi_cpu),
        T(irql_is_per_processor),
        T(no_cpu_op_is_sequential),
        T(trace_shows_outcomes),
        T(ops_checkers),
        T(sha256_names_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
