/*
 * rt_base.c -- the base every other piece of the runtime stands on: the
 * runtime's own locks (order and rules in rt_internal.h), the world's flags
 * read by every check, the byte scan of freed memory, and the mappings at
 * fixed addresses that simulated memory lives in.
 * layer: 10 base (calls nothing of the runtime)
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "rt_internal.h"

#if defined(__SANITIZE_THREAD__)
#define SHMF_HAVE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SHMF_HAVE_TSAN 1
#endif
#endif
#ifndef SHMF_HAVE_TSAN
#define SHMF_HAVE_TSAN 0
#endif

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000 /* Linux 4.17; older kernels take it as a hint */
#endif

/* Read by every check on every processor, written only between runs (by
   rt_world.c): a cache line apart from anything written while processors run. */
static struct {
    uint32_t verify_flags;
    bool tearing_down;
} __attribute__((aligned(64))) flags = {.verify_flags = SHMF_VERIFY_F_ALL};

uint32_t shmf__verify_flags(void)
{
    return flags.verify_flags;
}

void shmf__set_verify_flags(uint32_t f)
{
    flags.verify_flags = f;
}

bool shmf__teardown_in_progress(void)
{
    return flags.tearing_down;
}

void shmf__set_teardown(bool on)
{
    flags.tearing_down = on;
}

/* === Runtime locks ===
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
        fprintf(stderr, "shmfuzz runtime: lock order violated: %s (lock %d, held %#x)\n", why,
                (int)l, lock_held);
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
        /* relaxed: only a hint that the word is free; the exchange orders.
           acquire: pairs with the release store in shmf__unlock_home(). */
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
        spin_acquire(word); /* acquire: pairs with the release in shmf__unlock_home() */
        lock_held |= 1u << l;
    }
}

void shmf__unlock_home(enum shmf_lk l, unsigned *word)
{
    if (--lock_depth[l] == 0) {
        lock_held &= ~(1u << l);
        /* release: pairs with the acquire exchange in spin_acquire() (the
           next holder's shmf__lock_home()) */
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

bool shmf__base_is_valid(void)
{
    for (unsigned l = 0; l < SHMF_LK_COUNT; l++)
        if (lock_depth[l] != 0)
            return false;
    return lock_held == 0;
}

/* === Byte scans === */

/* Offset of the first byte of [p, p+n) that is not `byte`, or n.  Reads
   ASan-poisoned memory on purpose, hence not instrumented (nor
   coverage-instrumented: it runs for every freed page and pool block, and its
   branches say nothing about the provider).  64 bytes at a time, branch-free
   inside a chunk, so it vectorizes. */
__attribute__((no_sanitize("address", "coverage"))) size_t shmf__first_not(const void *mem,
                                                                           size_t n, uint8_t byte)
{
    const uint8_t *p = mem;
    const uint64_t word = 0x0101010101010101ull * byte;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        uint64_t acc = 0;
        for (size_t j = 0; j < 64; j += 8) {
            uint64_t v;
            __builtin_memcpy(&v, p + i + j, 8); /* inlined: no interceptor */
            acc |= v ^ word;
        }
        if (acc != 0)
            break;
    }
    while (i < n && p[i] == byte)
        i++;
    return i;
}

/* === Mappings of simulated memory === */

void *shmf__map_at(uintptr_t at, size_t len, int prot, size_t align)
{
    const int fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    void *m = MAP_FAILED;
#if !SHMF_HAVE_TSAN /* ThreadSanitizer keeps its own heap there and aborts */
    m = mmap((void *)at, len, prot, fl | MAP_FIXED_NOREPLACE, -1, 0);
    if (m != MAP_FAILED && (uintptr_t)m != at) { /* a kernel that took it as a hint */
        munmap(m, len);
        m = MAP_FAILED;
    }
#endif
    if (m != MAP_FAILED)
        return m;
    /* Elsewhere: reserve align more and keep the aligned part. */
    uint8_t *r = mmap(NULL, len + align, prot, fl, -1, 0);
    if (r == MAP_FAILED)
        return NULL;
    uintptr_t base = ((uintptr_t)r + align - 1) & ~(uintptr_t)(align - 1);
    if (base > (uintptr_t)r)
        munmap(r, base - (uintptr_t)r);
    munmap((void *)(base + len), (uintptr_t)r + align - base); /* never empty: base < r + align */
    return (void *)base;
}
