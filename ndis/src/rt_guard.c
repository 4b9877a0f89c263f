/*
 * rt_guard.c -- guarded buffers for the parameters block and the SG buffer the
 * harness passes to NdisAllocateSharedMemory: an overrun is caught at the
 * faulting access.  Under SHMF_LK_GUARD.
 * layer: 20 subsystem (calls rt_base.c)
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_internal.h"

/* With ASan, a heap buffer kept across inputs whose bytes after n are
 * user-poisoned: the first byte past the block is reported at once.  (A malloc
 * per buffer put fresh pages behind every SG buffer, as ASan's quarantine keeps
 * freed ones away: page faults on every input.)  Without, the block ends at a
 * page boundary followed by an inaccessible page; the alignment slack between
 * n and the 8-byte rounded size holds a canary. */

#define SHMF_GUARD_CANARY 0xC5
#define SHMF_GUARDED_MAX 32

#if SHMF_HAVE_ASAN
#define SHMF_GUARD_PAD 64 /* poisoned bytes at least after a buffer */

static struct {
    char *buf;
    size_t cap;
    bool live;
} gslot[SHMF_GUARDED_MAX];

/* A free slot whose buffer holds n bytes and the pad, else a free slot to grow. */
static int guarded_pick(size_t n)
{
    int spare = -1;
    for (int i = 0; i < SHMF_GUARDED_MAX; i++) {
        if (gslot[i].live)
            continue;
        if (gslot[i].buf && gslot[i].cap >= n + SHMF_GUARD_PAD)
            return i;
        if (spare < 0 || !gslot[i].buf)
            spare = i;
    }
    return spare;
}

void *shmf_rt_guarded_alloc(size_t n)
{
    char *p = NULL;
    shmf__lock(SHMF_LK_GUARD);
    int i = guarded_pick(n);
    if (i >= 0 && gslot[i].cap < n + SHMF_GUARD_PAD) {
        size_t cap = ((n + SHMF_GUARD_PAD) + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
        free(gslot[i].buf);
        gslot[i].buf = malloc(cap);
        gslot[i].cap = gslot[i].buf ? cap : 0;
    }
    if (i >= 0 && gslot[i].buf) {
        p = gslot[i].buf;
        gslot[i].live = true;
        SHMF_UNPOISON(p, n);
        SHMF_POISON(p + n, gslot[i].cap - n);
    }
    shmf__unlock(SHMF_LK_GUARD);
    return p;
}

bool shmf_rt_guard_intact(const void *p)
{
    return p != NULL;
}

void shmf_rt_guarded_free(void *p)
{
    shmf__lock(SHMF_LK_GUARD);
    for (int i = 0; p && i < SHMF_GUARDED_MAX; i++) {
        if (gslot[i].live && gslot[i].buf == p) {
            gslot[i].live = false;
            SHMF_POISON(gslot[i].buf, gslot[i].cap);
        }
    }
    shmf__unlock(SHMF_LK_GUARD);
}

/* Invariant: a live slot has a buffer; a buffer has its capacity. */
bool shmf__guard_is_valid(void)
{
    bool ok = true;
    shmf__lock(SHMF_LK_GUARD);
    for (int i = 0; i < SHMF_GUARDED_MAX && ok; i++)
        ok = (!gslot[i].live || gslot[i].buf) && (gslot[i].buf != NULL) == (gslot[i].cap != 0);
    shmf__unlock(SHMF_LK_GUARD);
    return ok;
}
#else

struct guarded {
    char *user;
    char *map;
    size_t n, rounded, map_len;
};
static struct guarded guarded_live[SHMF_GUARDED_MAX];

static struct guarded *guarded_slot(const void *p)
{
    for (int i = 0; i < SHMF_GUARDED_MAX; i++)
        if (guarded_live[i].user == p)
            return &guarded_live[i];
    return NULL;
}

/* Mappings released by shmf_rt_guarded_free, kept for reuse: an mmap, an
   mprotect and the page faults per allocation would dominate an input's cost. */
static struct {
    char *map;
    size_t map_len;
} guarded_cache[SHMF_GUARDED_MAX];

static char *guarded_map(size_t map_len)
{
    for (int i = 0; i < SHMF_GUARDED_MAX; i++) {
        if (guarded_cache[i].map && guarded_cache[i].map_len == map_len) {
            char *m = guarded_cache[i].map;
            guarded_cache[i].map = NULL;
            return m;
        }
    }
    char *m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    mprotect(m + map_len - PAGE_SIZE, PAGE_SIZE, PROT_NONE);
    return m;
}

static void guarded_unmap(char *map, size_t map_len)
{
    for (int i = 0; i < SHMF_GUARDED_MAX; i++) {
        if (!guarded_cache[i].map) {
            guarded_cache[i].map = map;
            guarded_cache[i].map_len = map_len;
            return;
        }
    }
    munmap(map, map_len);
}

void *shmf_rt_guarded_alloc(size_t n)
{
    shmf__lock(SHMF_LK_GUARD);
    struct guarded *g = guarded_slot(NULL);
    size_t rounded = (n + 7) & ~(size_t)7;
    size_t data_len = (rounded + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
    char *m = g ? guarded_map(data_len + PAGE_SIZE) : NULL;
    if (m) {
        *g = (struct guarded){m + data_len - rounded, m, n, rounded, data_len + PAGE_SIZE};
        memset(g->user + n, SHMF_GUARD_CANARY, rounded - n);
    }
    shmf__unlock(SHMF_LK_GUARD);
    return m ? g->user : NULL;
}

bool shmf_rt_guard_intact(const void *p)
{
    struct guarded *g = guarded_slot(p);
    if (!g)
        return false;
    for (size_t i = g->n; i < g->rounded; i++)
        if ((unsigned char)g->user[i] != SHMF_GUARD_CANARY)
            return false;
    return true;
}

void shmf_rt_guarded_free(void *p)
{
    shmf__lock(SHMF_LK_GUARD);
    struct guarded *g = p ? guarded_slot(p) : NULL;
    if (g) {
        guarded_unmap(g->map, g->map_len);
        memset(g, 0, sizeof(*g));
    }
    shmf__unlock(SHMF_LK_GUARD);
}

/* Invariant: a live buffer lies in its mapping, before the inaccessible page,
   with its canary slack after n. */
bool shmf__guard_is_valid(void)
{
    bool ok = true;
    shmf__lock(SHMF_LK_GUARD);
    for (int i = 0; i < SHMF_GUARDED_MAX && ok; i++) {
        const struct guarded *g = &guarded_live[i];
        if (g->user)
            ok = g->map && g->user >= g->map && g->n <= g->rounded &&
                 g->user + g->rounded == g->map + g->map_len - PAGE_SIZE;
    }
    shmf__unlock(SHMF_LK_GUARD);
    return ok;
}
#endif
