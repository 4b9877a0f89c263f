/*
 * co_context.c -- coroutine contexts (contract in co_context.h).
 */
#define _GNU_SOURCE
#include "co_context.h"

#include <errno.h>
#include <stdint.h>

#if SHMF_CO_FAST_SWITCH

/* shmf__co_switch(save, load): push the callee-saved registers and an 8-byte
   control slot (x87 control word at +0, MXCSR at +4), store the stack pointer
   in *save, take load as the stack pointer, and undo the same frame from it:
   the `ret` continues wherever that context called shmf__co_switch -- or, for
   a new context, at its entry (shmf_co_ctx_make builds such a frame). */
__asm__(".text\n"
        ".p2align 4\n"
        ".globl shmf__co_switch\n"
        ".hidden shmf__co_switch\n"
        ".type shmf__co_switch,@function\n"
        "shmf__co_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    subq $8, %rsp\n"
        "    fnstcw (%rsp)\n"
        "    stmxcsr 4(%rsp)\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    fldcw (%rsp)\n"
        "    ldmxcsr 4(%rsp)\n"
        "    addq $8, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size shmf__co_switch, .-shmf__co_switch\n");

void shmf__co_switch(void **save, void *load);

#define FRAME_REGS 6 /* rbp, rbx, r12-r15 */

/* The frame shmf__co_switch undoes, at the top of the stack: control slot,
   six zeroed registers, entry as the return address, and a zero above it,
   where entry finds its own "return address" with the stack aligned as after
   a call (rsp + 8 a multiple of 16). */
int shmf_co_ctx_make(struct shmf_co_ctx *c, void *stack, size_t size, void (*entry)(void))
{
    uint16_t fcw;
    uint32_t mxcsr;
    uint64_t *top = (uint64_t *)(((uintptr_t)stack + size) & ~(uintptr_t)15);

    if (size < 4096)
        return -EINVAL;
    __asm__ volatile("fnstcw %0" : "=m"(fcw));
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    top[-1] = 0;
    top[-2] = (uint64_t)(uintptr_t)entry;
    for (int i = 0; i < FRAME_REGS; i++)
        top[-3 - i] = 0;
    top[-3 - FRAME_REGS] = (uint64_t)fcw | (uint64_t)mxcsr << 32;
    c->sp = &top[-3 - FRAME_REGS];
    return 0;
}

void shmf_co_ctx_switch(struct shmf_co_ctx *from, struct shmf_co_ctx *to)
{
    shmf__co_switch(&from->sp, to->sp);
}

#else /* ucontext */

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CO_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(CO_ASAN)
#define CO_ASAN 1
#endif

int shmf_co_ctx_make(struct shmf_co_ctx *c, void *stack, size_t size, void (*entry)(void))
{
    if (getcontext(&c->uc) != 0)
        return -errno;
    c->uc.uc_stack.ss_sp = stack;
    c->uc.uc_stack.ss_size = size;
    c->uc.uc_link = NULL;
    makecontext(&c->uc, entry, 0);
#ifdef CO_ASAN
    /* ASan's swapcontext interceptor clears the shadow of the target's whole
       uc_stack on every switch, by remapping it (an mmap and a TLB shootdown
       per switch).  The caller annotates its switches with the fiber API and
       clears stale redzones itself, so hide the stack from it: nothing reads
       uc_stack once makecontext is done. */
    c->uc.uc_stack.ss_size = 0;
#endif
    return 0;
}

void shmf_co_ctx_switch(struct shmf_co_ctx *from, struct shmf_co_ctx *to)
{
    swapcontext(&from->uc, &to->uc);
}

#endif
