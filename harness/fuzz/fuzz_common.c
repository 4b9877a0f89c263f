/*
 * fuzz_common.c -- one target source for every engine (STYLE.md item 21).
 *
 * Deterministic, never exits on its own, and each input runs in a fresh world,
 * so no state leaks between inputs.  A finding is reported on stderr and turned
 * into abort(), which both engines record as a crash.
 *
 * Differential mode (docs/differential.md): with SHMFUZZ_AGAINST=P2 (a name or
 * a .so) each input also runs on P2 and a divergence is a finding; rules files
 * come from SHMFUZZ_ALLOW (colon separated), and SHMFUZZ_DIFF_STATS=PATH gets
 * the counters of allowed differences (diff-<pid>.json in that directory).
 */
#include <ndis.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"

#ifndef SHMF_ENGINE_NAME /* set by the build: "libfuzzer", "afl" or "none" */
#define SHMF_ENGINE_NAME "none"
#endif
#include "report.h"
#include "target.h"
#include "target_check.h"

/* Linked-in provider, if any (weak: the generic targets have none). */
NDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE, NDIS_HANDLE) __attribute__((weak));
VOID ShmfProviderUnload(NDIS_HANDLE) __attribute__((weak));
VOID ShmfProviderRingAdvance(void *, void *, ULONG) __attribute__((weak));
VOID ShmfProviderRingCancel(void *, void *, ULONG) __attribute__((weak));
/* The reference ring driver, when linked (shmfuzz_add_provider links it beside a
   provider's objects): tells its weak ShmfProviderRing* aliases from a
   provider's own. */
VOID ShmfReferenceRingAdvance(void *, void *, ULONG) __attribute__((weak));
VOID ShmfReferenceRingCancel(void *, void *, ULONG) __attribute__((weak));
/* A provider that registers as a driver: DriverEntry alone (docs/porting.md). */
NTSTATUS DriverEntry(PDRIVER_OBJECT, PUNICODE_STRING) __attribute__((weak));

static struct shmf_target target;
static struct shmf_prog *prog;
static int ready;

int shmf_fuzz_init(void)
{
    char err[600];
    const char *spec = getenv("SHMFUZZ_PROVIDER");
    if (ready)
        return ready > 0 ? 0 : -1;
    ready = -1;
    if (spec && *spec) {
        if (shmf_target_open(spec, &target, err, sizeof(err)) != 0) {
            fprintf(stderr, "shmfuzz: %s\n", err);
            return -1;
        }
        if (shmf_engine_is_libfuzzer() &&
            shmf_target_check_instrumented(target.path, err, sizeof(err)) != 0)
            fprintf(stderr, "shmfuzz: warning: %s\n", err);
    } else if (ShmfProviderSetOptions || DriverEntry) {
        target.provider.name = SHMF_TARGET_NAME;
        target.provider.set_options = ShmfProviderSetOptions;
        target.provider.unload = ShmfProviderUnload;
        target.provider.driver_entry = ShmfProviderSetOptions ? NULL : DriverEntry;
        if (shmf_target_linked_ring(&target, (void *)ShmfProviderRingAdvance,
                                    (void *)ShmfProviderRingCancel,
                                    (void *)ShmfReferenceRingAdvance,
                                    (void *)ShmfReferenceRingCancel, err, sizeof(err)) != 0) {
            fprintf(stderr, "shmfuzz: %s\n", err);
            return -1;
        }
    } else {
        fprintf(stderr, "shmfuzz: this target has no provider linked in; set "
                        "SHMFUZZ_PROVIDER=path/to/libprovider.so\n");
        return -1;
    }
    prog = shmf_prog_new();
    if (!prog)
        return -1;
    if (shmf_fuzz_diff_init() != 0)
        return -1;
    ready = 1;
    return 0;
}

/* The finding as one line of JSON (finding.json's fields) for log scrapers. */
static void print_finding_json(const uint8_t *data, size_t size, const struct shmf_exec_result *res)
{
    struct shmf_report_ctx ctx = {target.provider.name, SHMF_ENGINE_NAME, NULL, data, size};
    json_t *j = shmf_report_finding(res, prog, &ctx);
    char *text = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    if (text)
        fprintf(stderr, "==shmfuzz== json: %s\n", text);
    free(text);
    json_decref(j);
}

void shmf_fuzz_one(const uint8_t *data, size_t size)
{
    struct shmf_exec_result res;
    struct shmf_exec_opts opts = {.verify_flags = SHMF_VERIFY_F_ALL,
                                  .trace = getenv("FUZZ_VERBOSE") ? stderr : NULL};
    if (shmf_fuzz_init() != 0)
        abort(); /* misconfigured: fail loudly on the first input */
    shmf_prog_decode(prog, data, size);
    if (!shmf_fuzz_diff_run(&target, prog, &opts, &res))
        shmf_exec_run(&target, prog, &opts, &res);
    if (!res.findings)
        return;
    char kind[80], sig[256];
    shmf_finding_kind_name(&res.first, kind, sizeof(kind));
    shmf_finding_signature(&res.first, prog, sig, sizeof(sig));
    fprintf(stderr, "==shmfuzz== finding: %s: %s\n==shmfuzz== signature: %s (op %d)\n", kind,
            res.first.message, sig, res.failing_op);
    print_finding_json(data, size, &res);
    abort();
}
