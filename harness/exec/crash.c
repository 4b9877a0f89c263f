/*
 * crash.c -- crash classification (see crash.h).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash.h"
#include "exec.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CRASH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CRASH_ASAN 1
#endif
#ifdef CRASH_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if __has_include(<sanitizer/common_interface_defs.h>)
#include <sanitizer/common_interface_defs.h>
#else
void __sanitizer_symbolize_pc(void *pc, const char *fmt, char *out_buf, size_t out_buf_size);
#endif
/* Present only when a sanitizer runtime (ASan, UBSan, ...) is linked in. */
#pragma weak __sanitizer_symbolize_pc

static shmf_crash_sink crash_sink;
static void *crash_ud;
static volatile sig_atomic_t crashing;

static bool in_region(uintptr_t a, const void *base, size_t len)
{
    uintptr_t b = (uintptr_t)base;
    /* The byte just past the region (and a little beyond) is its guard. */
    return base && a >= b && a < b + len + 64;
}

/* Frames the dladdr fallback passes over (sanitizer and classifier frames). */
static bool dladdr_skip(const char *name)
{
    static const char *const prefixes[] = {"__asan",        "__sanitizer", "__ubsan",
                                           "asan_",         "crash_",      "shmf_crash",
                                           "backtrace",     "_ZN6__asan",  "_ZN11__sanitizer",
                                           "__interceptor", "on_signal",   "on_asan_death",
                                           "__restore_rt",  NULL};
    for (int i = 0; prefixes[i]; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

/* Frames that are not the provider's: the sanitizers, libc's signal and abort
   path, this classifier, the runtime (WDK-named routines) and the harness. */
static bool runtime_frame(const char *name)
{
    static const char *const prefixes[] = {"__asan",
                                           "__sanitizer",
                                           "__ubsan",
                                           "__lsan",
                                           "__interceptor",
                                           "___interceptor",
                                           "asan_",
                                           "_ZN6__asan",
                                           "_ZN11__sanitizer",
                                           "_ZN7__ubsan",
                                           "__asan::",
                                           "__sanitizer::",
                                           "__ubsan::",
                                           "crash_",
                                           "shmf_",
                                           "backtrace",
                                           "on_signal",
                                           "on_asan_death",
                                           "__restore_rt",
                                           "__libc",
                                           "__GI_",
                                           "ShmfRt",
                                           NULL};
    static const char *const exact[] = {"abort",   "raise",     "gsignal",
                                        "deliver", "top_frame", "top_frame_symbolized",
                                        "_start",  "main",      NULL};
    /* WDK routine families (the runtime): prefix then an upper-case letter. */
    static const char *const wdk[] = {"Ndis", "Mm", "Ex", "Ke", "Rtl", NULL};
    for (int i = 0; prefixes[i]; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    for (int i = 0; exact[i]; i++)
        if (strcmp(name, exact[i]) == 0)
            return true;
    for (int i = 0; wdk[i]; i++) {
        size_t l = strlen(wdk[i]);
        if (strncmp(name, wdk[i], l) == 0 && name[l] >= 'A' && name[l] <= 'Z')
            return true;
    }
    return false;
}

/* Code of the runtime, the harness or a sanitizer, by its source file. */
static bool harness_file(const char *file)
{
    return strstr(file, "/ndis/src/") || strstr(file, "/ndis/include/") ||
           strstr(file, "/harness/") || strstr(file, "compiler-rt") || strstr(file, "/sanitizer") ||
           strstr(file, "/csu/") || strstr(file, "sysdeps/");
}

/* With a sanitizer runtime: the first frame that is provider code, named by
   the symbolizer (which, unlike dladdr, sees static functions), with its source
   file and line into f->frame, f->file, f->line.  False when no symbolizer is
   linked in or no frame qualifies. */
static bool top_frame_symbolized(void *const *frames, int count, struct shmf_finding *f)
{
    if (!__sanitizer_symbolize_pc)
        return false;
    for (int i = 0; i < count; i++) {
        char buf[512];
        /* A return address: the call is the byte before it. */
        void *pc = (void *)((uintptr_t)frames[i] - (i ? 1 : 0));
        buf[0] = 0;
        __sanitizer_symbolize_pc(pc, "%f\t%s\t%l", buf, sizeof(buf));
        char *tab = strchr(buf, '\t'), *tab2 = tab ? strchr(tab + 1, '\t') : NULL;
        if (!tab2)
            continue;
        *tab = *tab2 = 0;
        const char *fn = buf, *file = tab + 1;
        if (!fn[0] || !strcmp(fn, "??") || !strcmp(fn, "<null>") || runtime_frame(fn) ||
            harness_file(file))
            continue;
        snprintf(f->frame, sizeof(f->frame), "%s", fn);
        if (file[0] == '/')
            snprintf(f->file, sizeof(f->file), "%s", file);
        f->line = f->file[0] ? (uint32_t)strtoul(tab2 + 1, NULL, 10) : 0;
        return true;
    }
    return false;
}

/* The place a finding was seen: the first provider frame (symbolized, with file
   and line), else the first non-runtime frame dladdr can name (exported
   functions only), into f->frame; "?" when there is none. */
static void locate(struct shmf_finding *f)
{
    void *frames[48];
    int count = backtrace(frames, 48);
    snprintf(f->frame, sizeof(f->frame), "?");
    if (top_frame_symbolized(frames, count, f))
        return;
    for (int i = 0; i < count; i++) {
        Dl_info info;
        if (!dladdr(frames[i], &info) || !info.dli_sname || dladdr_skip(info.dli_sname))
            continue;
        snprintf(f->frame, sizeof(f->frame), "%s", info.dli_sname);
        return;
    }
}

/* The runtime's locator: verifier findings get the provider frame that made the
   call being checked (none when the harness found it, e.g. at unload). */
static void locate_verifier(struct shmf_finding *f)
{
    void *frames[48];
    top_frame_symbolized(frames, backtrace(frames, 48), f);
}

void shmf_crash_classify(uintptr_t addr, const char *type, struct shmf_finding *f)
{
    const struct shmf_exec_regions *r = shmf_exec_regions();
    memset(f, 0, sizeof(*f));
    f->object = addr;
    /* The op being executed (prog->nops in teardown), as the recorder stamps
       the verifier's own findings. */
    f->op_index = shmf_exec_op_index();
    f->cpu = KeGetCurrentProcessorNumber();
    locate(f);
    snprintf(f->function, sizeof(f->function), "%s", f->frame);
    if (in_region(addr, r->params, r->params_len)) {
        f->kind = SHMF_KIND_PARAMS_OUT_OF_BOUNDS;
        snprintf(f->message, sizeof(f->message),
                 "%s at %#lx: past the %zu-byte parameters block at %p (in %s)", type,
                 (unsigned long)addr, r->params_len, r->params, f->function);
    } else if (in_region(addr, r->sg, r->sg_len)) {
        f->kind = SHMF_KIND_SG_BUFFER_OVERFLOW;
        snprintf(f->message, sizeof(f->message),
                 "%s at %#lx: past the %zu-byte SG buffer at %p (in %s)", type, (unsigned long)addr,
                 r->sg_len, r->sg, f->function);
    } else {
        f->kind = strstr(type, "use-after") || strstr(type, "use-after-poison")
                      ? SHMF_KIND_USE_AFTER_FREE
                      : SHMF_KIND_CRASH;
        snprintf(f->detail, sizeof(f->detail), "%s", type);
        snprintf(f->message, sizeof(f->message), "%s at address %#lx in %s", type,
                 (unsigned long)addr, f->function);
    }
    snprintf(f->rule, sizeof(f->rule), "%s", shmf_kind_source(f->kind));
}

static void deliver(uintptr_t addr, const char *type)
{
    struct shmf_finding f;
    if (crashing)
        return;
    crashing = 1;
    shmf_crash_classify(addr, type, &f);
    if (crash_sink)
        crash_sink(&f, crash_ud);
}

#ifdef CRASH_ASAN
static void on_asan_death(void)
{
    const char *d = __asan_get_report_description();
    /* No ASan report in progress: UBSan (halt_on_error) or another sanitizer died. */
    deliver((uintptr_t)__asan_get_report_address(), d && *d ? d : "undefined-behavior");
}
#endif

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    const char *type = sig == SIGSEGV  ? "SEGV"
                       : sig == SIGBUS ? "BUS"
                       : sig == SIGFPE ? "FPE"
                       : sig == SIGILL ? "ILL"
                                       : "ABRT";
    deliver((uintptr_t)si->si_addr, type);
    signal(sig, SIG_DFL);
    raise(sig);
}

void shmf_crash_install(shmf_crash_sink sink, void *ud)
{
    crash_sink = sink;
    crash_ud = ud;
    shmf_rt_set_locator(sink ? locate_verifier : NULL);
#ifdef CRASH_ASAN
    __asan_set_death_callback(on_asan_death);
#else
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
#endif
    (void)on_signal;
}

int shmf_run_forked(void (*child)(void *ud, int fd), void *ud, char *out, size_t n)
{
    int fds[2], status = 0;
    out[0] = 0;
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child(ud, fds[1]);
        _exit(0);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    ssize_t got = read(fds[0], out, n - 1);
    out[got > 0 ? got : 0] = 0;
    close(fds[0]);
    waitpid(pid, &status, 0);
    return status;
}
