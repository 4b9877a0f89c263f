/*
 * rt_world.c -- one world per input: reset, the runtime locks, provider load and
 * unload, handler frames, guarded buffers for the parameters block and SG buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_shm.h"

/* Read by every check on every processor, written only between runs: a cache
   line apart from anything written while processors run. */
static struct {
    uint32_t verify_flags;
    bool tearing_down;
    bool provider_loaded;
} __attribute__((aligned(64))) world = {.verify_flags = SHMF_VERIFY_F_ALL};
static struct shmf_provider provider;
static char driver_object[64]; /* what NdisDriverHandle points at */

/* === Runtime locks (order and rules in rt_internal.h) ===
 * Spin locks: every critical section is short (a table update, a page walk of
 * one block), and a thread that sleeps on a futex costs a context switch and,
 * in a VM, an idle exit and a wake-up IPI each, far more than the wait.  A
 * waiter spins on a read (no cache-line ping-pong), then yields the processor
 * in case the holder was preempted.  A recursive lock counts the calling
 * thread's depth; only the outermost acquire touches the lock word.  Each lock
 * word has its own cache line. */

#define LOCK_SPINS 256 /* pause loops before each sched_yield */

static struct {
    unsigned word; /* 0 free, 1 held; acquire/release pair the critical sections */
} __attribute__((aligned(64))) locks[SHMF_LK_COUNT];
static _Thread_local uint8_t lock_depth[SHMF_LK_COUNT];
static _Thread_local unsigned lock_held; /* bit l: this thread holds lock l */

#if SHMF_DEBUG >= 1
static const bool lock_recursive[SHMF_LK_COUNT] = {[SHMF_LK_PAGES] = true};

static void lock_order_check(enum shmf_lk l)
{
    const char *why = NULL;
    if (lock_depth[l] && !lock_recursive[l])
        why = "re-acquire of a non-recursive lock";
    else if (!lock_depth[l] && (lock_held & ~((2u << l) - 1)))
        why = "acquire after a later lock in the order";
    if (why) {
        fprintf(stderr, "shmfuzz runtime: lock order violated: %s (lock %d, held %#x)\n",
                why, (int)l, lock_held);
        abort();
    }
}
#else
#define lock_order_check(l) ((void)(l))
#endif

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void spin_acquire(unsigned *word)
{
    for (unsigned n = 1;; n++) {
        if (!__atomic_load_n(word, __ATOMIC_RELAXED) &&
            !__atomic_exchange_n(word, 1, __ATOMIC_ACQUIRE))
            return;
        if (n % LOCK_SPINS == 0)
            sched_yield();
        else
            cpu_relax();
    }
}

void shmf__lock(enum shmf_lk l)
{
    shmf__lock_home(l, &locks[l].word);
}

void shmf__unlock(enum shmf_lk l)
{
    shmf__unlock_home(l, &locks[l].word);
}

/* A home's own lock word at level l of the order: one home at a time (the
   non-recursive check sees a second home of the same level as a re-acquire). */
void shmf__lock_home(enum shmf_lk l, unsigned *word)
{
    lock_order_check(l);
    if (lock_depth[l]++ == 0) {
        spin_acquire(word); /* acquire pairs with the release in shmf__unlock_home */
        lock_held |= 1u << l;
    }
}

void shmf__unlock_home(enum shmf_lk l, unsigned *word)
{
    if (--lock_depth[l] == 0) {
        lock_held &= ~(1u << l);
        /* release pairs with the acquire exchange in spin_acquire */
        __atomic_store_n(word, 0, __ATOMIC_RELEASE);
    }
}

void shmf__world_lock(void)
{
    shmf__lock(SHMF_LK_PAGES);
}

void shmf__world_unlock(void)
{
    shmf__unlock(SHMF_LK_PAGES);
}

bool shmf__teardown_in_progress(void)
{
    return world.tearing_down;
}

uint32_t shmf__verify_flags(void)
{
    return world.verify_flags;
}

NDIS_HANDLE shmf_rt_driver_handle(void)
{
    return driver_object;
}

void shmf_rt_reset(uint32_t flags, const struct shmf_fault_plan *plan)
{
    shmf__world_lock();
    world.verify_flags = flags & SHMF_VERIFY_F_MASK;
    world.tearing_down = false;
    world.provider_loaded = false;
    memset(&provider, 0, sizeof(provider));
    shmf__driver_reset();
    shmf_rt_clear_findings();
    shmf_rt_set_op_index(-1);
    shmf__fault_reset();
    shmf_rt_set_fault_plan(plan);
    shmf__shm_reset();
    shmf__dma_reset();
    shmf__pool_reset();
    shmf__pages_reset();
    shmf__cpus_reset();
    shmf__world_unlock();
}

void shmf_rt_release(void)
{
    shmf__world_lock();
    world.provider_loaded = false;
    shmf__shm_reset();
    shmf__pool_reset();
    shmf__pages_reset();
    shmf__world_unlock();
}

/* === Handler frames === */

void shmf__handler_enter(struct shmf_handler_frame *fr)
{
    struct shmf_cpu *c = shmf__cpu();
    fr->irql = c->irql;
    fr->locks_held = c->locks_held;
    fr->raise_depth = c->raise_depth;
}

void shmf__handler_exit(const struct shmf_handler_frame *fr, const char *handler)
{
    struct shmf_cpu *c = shmf__cpu();
    if (c->locks_held != fr->locks_held)
        shmf__report(SHMF_KIND_SPINLOCK_HELD_ON_RETURN, c->locks_held - fr->locks_held,
                     handler, "DDI rule SpinLock 0x00040009; NDIS SDV SpinLockBalanced",
                     "%s returned holding %u spin lock(s)", handler,
                     c->locks_held - fr->locks_held);
    else if (c->irql != fr->irql)
        shmf__report(SHMF_KIND_IRQL_NOT_RESTORED, c->irql, handler,
                     "handler must return at the IRQL it was called at",
                     "%s was called at IRQL %u and returned at IRQL %u", handler,
                     (unsigned)fr->irql, (unsigned)c->irql);
    c->irql = fr->irql;
    c->locks_held = fr->locks_held;
    c->raise_depth = fr->raise_depth;
}

/* === Providers === */

bool shmf_rt_provider_loaded(void)
{
    return world.provider_loaded;
}

/* The short form: ShmfProviderSetOptions with the NDIS driver handle. */
static int load_short_form(const struct shmf_provider *p)
{
    struct shmf_handler_frame fr;
    shmf__handler_enter(&fr);
    NDIS_STATUS st = p->set_options(driver_object, NULL);
    shmf__handler_exit(&fr, "ShmfProviderSetOptions");
    return st == NDIS_STATUS_SUCCESS ? 0 : -ENODEV; /* e.g. under fault injection */
}

int shmf_rt_provider_load(const struct shmf_provider *p)
{
    if (!p || (!p->set_options && !p->driver_entry))
        return -EINVAL;
    provider = *p;
    int rc = p->set_options ? load_short_form(p) : shmf__driver_load(p->driver_entry);
    if (rc != 0)
        return rc;
    const char *who = p->set_options ? "ShmfProviderSetOptions" : "DriverEntry";
    if (!shmf__shm_registered()) {
        shmf__report(SHMF_KIND_REGISTER_MISSING_HANDLER, 0, who, "NdisSetOptionalHandlers page",
                     "%s returned success without registering shared-memory provider "
                     "characteristics%s",
                     who, p->set_options ? "" : " (from the driver's SetOptionsHandler)");
        if (!p->set_options)
            shmf__driver_unload(); /* give the driver back its registration */
        return -EINVAL;
    }
    world.provider_loaded = true;
    return 0;
}

void shmf_rt_provider_unload(void)
{
    struct shmf_handler_frame fr;
    world.tearing_down = true;
    if (world.provider_loaded && !provider.set_options) {
        shmf__driver_unload(); /* a driver: its driver object's DriverUnload */
    } else if (world.provider_loaded && provider.unload) { /* the short form */
        shmf__handler_enter(&fr);
        provider.unload(driver_object);
        shmf__handler_exit(&fr, "ShmfProviderUnload");
    }
    world.provider_loaded = false;
    if (world.verify_flags & SHMF_VERIFY_F_SHM)
        shmf__shm_check_leaks();
    if (world.verify_flags & SHMF_VERIFY_F_POOL) {
        shmf__pool_check_all();
        shmf__pool_check_leaks();
        shmf__pages_check_freed();
        shmf__pages_check_leaks();
    }
    shmf__shm_reset();
    world.tearing_down = false;
}

VOID ShmfRtListCorrupt(PLIST_ENTRY Entry)
{
    shmf__report(SHMF_KIND_LIST_CORRUPT, (uint64_t)(uintptr_t)Entry, "RemoveEntryList",
                 "wdm.h list integrity checks; bug check 0x139/3",
                 "LIST_ENTRY %p is corrupt (Flink/Blink do not point back)", (void *)Entry);
}

/* === Guarded buffers ===
 * With ASan, a heap buffer kept across inputs whose bytes after n are
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
#endif
