/*
 * co_context.h -- execution contexts for the interleave engine's coroutines
 * (interleave.c): start a function on a stack of its own, switch between
 * contexts on one thread.
 *
 * On x86-64 a switch saves and restores only what the SysV ABI asks a callee to
 * keep (rbx, rbp, r12-r15, the stack pointer, the x87 control word and MXCSR):
 * swapcontext also saves the signal mask, with an rt_sigprocmask system call
 * per switch, which was half of an interleaved run's time.  Elsewhere the
 * contexts are ucontext_t.  Sanitizer fiber annotations stay with the caller.
 */
#ifndef SHMF_CO_CONTEXT_H
#define SHMF_CO_CONTEXT_H

#include <stddef.h>
#include <ucontext.h>

#if defined(__x86_64__) && defined(__ELF__)
#define SHMF_CO_FAST_SWITCH 1
#else
#define SHMF_CO_FAST_SWITCH 0
#endif

struct shmf_co_ctx {
#if SHMF_CO_FAST_SWITCH
    void *sp; /* the saved frame (see co_context.c) */
#else
    ucontext_t uc;
#endif
};

/* Make c start entry(), which must never return, on [stack, stack + size) the
   first time it is switched to.  @return 0, or -errno. */
int shmf_co_ctx_make(struct shmf_co_ctx *c, void *stack, size_t size, void (*entry)(void));

/* Save the running context in from and continue in to (where it last switched
   away, or at its entry).  Returns when something switches back to from. */
void shmf_co_ctx_switch(struct shmf_co_ctx *from, struct shmf_co_ctx *to);

#endif /* SHMF_CO_CONTEXT_H */
