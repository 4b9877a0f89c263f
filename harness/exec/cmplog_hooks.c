/*
 * cmplog_hooks.c -- the provider's comparisons into the shared operand ring
 * (cmp.h), in the AFL++ targets.
 *
 * afl-cc drops -fsanitize-coverage=trace-cmp, so the provider is compiled with
 * AFL++'s CMPLOG instrumentation instead: each comparison calls
 * __cmplog_ins_hook<size>(a, b, attr) when __afl_cmp_map is set.  The plain
 * AFL++ targets link with -Wl,--wrap for those symbols (SHMF_CMPLOG_WRAP_FLAGS:
 * afl_<name> by shmfuzz_add_provider, a campaign's provider afl.so at its own
 * link, which afl_generic then serves), so the provider's references land here:
 * the "is CMPLOG on" test reads __wrap___afl_cmp_map, always set, and the hooks
 * record the operands with the index of the op being run.  Only the provider
 * is CMPLOG-instrumented in those binaries, so only its comparisons are seen;
 * AFL++'s own map stays unset there.  The CMPLOG twins (afl-fuzz -c) are not
 * linked with the wraps: a provider built into afl_<name>_cmplog calls AFL++'s
 * hooks for RedQueen; a campaign's afl.so, wrapped at its own link, calls
 * these in afl_generic_cmplog too (RedQueen sees the harness and runtime
 * there, as before).
 *
 * The ring is the memfd that the custom mutator (afl_mutator.c) created and
 * named in SHMF_CMP_FD_ENV; without one (the target run outside afl-fuzz, or by
 * an afl-fuzz without our mutator) nothing is recorded.  The plain runner and
 * a persistent child map it at their first input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "cmp.h"
#include "exec.h"

static struct shmf_cmp_ring *ring; /* mapped at the first input, or NULL */
static struct shmf_cmp_table *live;
static int mapped;

static struct shmf_cmp_ring *map_ring(void)
{
    const char *v = getenv(SHMF_CMP_FD_ENV);
    struct shmf_cmp_ring *r;
    struct stat st;
    char *end;
    long fd;

    if (!v || !*v)
        return NULL;
    fd = strtol(v, &end, 10);
    if (*end || fd < 0 || fd > 65535 || fstat((int)fd, &st) != 0 || st.st_size != (off_t)sizeof(*r))
        return NULL;
    r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
    if (r == MAP_FAILED)
        return NULL;
    if (r->magic != SHMF_CMP_RING_MAGIC) {
        munmap(r, sizeof(*r));
        return NULL;
    }
    return r;
}

struct shmf_cmp_table *shmf_cmp_live(void)
{
    return live;
}

void shmf_cmp_begin(const uint8_t *data, size_t size)
{
    if (!mapped) {
        ring = map_ring();
        mapped = 1;
    }
    live = ring ? shmf_cmp_ring_begin(ring, shmf_cmp_hash(data, size)) : NULL;
}

static inline void record(uint64_t a, uint64_t b)
{
    if (live && a != b)
        shmf_cmp_add(live, a, b, shmf_exec_op_index());
}

/* Non-NULL, so the instrumentation's "is CMPLOG on" test passes. */
static char cmplog_on;
void *__wrap___afl_cmp_map = &cmplog_on;

#define SHMF_CMPLOG_HOOK(size, T)                                                                  \
    void __wrap___cmplog_ins_hook##size(T a, T b, uint8_t attr);                                   \
    void __wrap___cmplog_ins_hook##size(T a, T b, uint8_t attr)                                    \
    {                                                                                              \
        (void)attr;                                                                                \
        record(a, b);                                                                              \
    }

SHMF_CMPLOG_HOOK(1, uint8_t)
SHMF_CMPLOG_HOOK(2, uint16_t)
SHMF_CMPLOG_HOOK(4, uint32_t)
SHMF_CMPLOG_HOOK(8, uint64_t)
