/*
 * target_check.c -- tell an instrumented provider .so from a plain one.
 *
 * libFuzzer learns only from code compiled with -fsanitize=fuzzer-no-link.  A
 * provider built without it still runs, but the fuzzer is blind: it never finds a
 * new edge and grows no corpus.  The instrumentation leaves undefined references
 * to the sanitizer coverage callbacks in the object's dynamic symbol table, so
 * reading that table (no dlopen, no code run) is enough to tell the two apart.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target_check.h"

/* Any one of these means the object carries coverage instrumentation. */
static const char *const cov_symbols[] = {
    "__sanitizer_cov_8bit_counters_init", /* -fsanitize=fuzzer-no-link */
    "__sanitizer_cov_pcs_init",           /* its pc-table */
    "__sanitizer_cov_trace_pc_guard",     /* trace-pc-guard, AFL++ PCGUARD */
    "__sanitizer_cov_trace_pc_guard_init",
};

static bool is_cov_symbol(const char *name)
{
    for (size_t i = 0; i < sizeof(cov_symbols) / sizeof(cov_symbols[0]); i++)
        if (strcmp(name, cov_symbols[i]) == 0)
            return true;
    return false;
}

/* === ELF symbol scan (one body for ELF32 and ELF64) === */

/* Returns 1 when a symbol table names a coverage callback, 0 when none does,
   -EINVAL when the headers point outside the file. */
#define SHMF_DEFINE_SCAN(NAME, Ehdr, Shdr, Sym)                                                    \
    static int NAME(const uint8_t *img, size_t size)                                               \
    {                                                                                              \
        const Ehdr *eh = (const Ehdr *)img;                                                        \
        if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(Shdr) || eh->e_shoff > size ||           \
            (size - eh->e_shoff) / sizeof(Shdr) < eh->e_shnum)                                     \
            return -EINVAL;                                                                        \
        const Shdr *sh = (const Shdr *)(img + eh->e_shoff);                                        \
        for (unsigned i = 0; i < eh->e_shnum; i++) {                                               \
            if (sh[i].sh_type != SHT_DYNSYM && sh[i].sh_type != SHT_SYMTAB)                        \
                continue;                                                                          \
            if (sh[i].sh_link >= eh->e_shnum)                                                      \
                return -EINVAL;                                                                    \
            const Shdr *str = &sh[sh[i].sh_link];                                                  \
            if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||                \
                str->sh_offset > size || str->sh_size > size - str->sh_offset)                     \
                return -EINVAL;                                                                    \
            const Sym *syms = (const Sym *)(img + sh[i].sh_offset);                                \
            const char *names = (const char *)(img + str->sh_offset);                              \
            size_t n = sh[i].sh_size / sizeof(Sym);                                                \
            for (size_t k = 0; k < n; k++) {                                                       \
                size_t off = syms[k].st_name;                                                      \
                if (off < str->sh_size && memchr(names + off, '\0', str->sh_size - off) &&         \
                    is_cov_symbol(names + off))                                                    \
                    return 1;                                                                      \
            }                                                                                      \
        }                                                                                          \
        return 0;                                                                                  \
    }

SHMF_DEFINE_SCAN(scan_elf64, Elf64_Ehdr, Elf64_Shdr, Elf64_Sym)
SHMF_DEFINE_SCAN(scan_elf32, Elf32_Ehdr, Elf32_Shdr, Elf32_Sym)

static int scan_image(const uint8_t *img, size_t size)
{
    if (size < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG) != 0)
        return -EINVAL;
    if (img[EI_CLASS] == ELFCLASS64 && size >= sizeof(Elf64_Ehdr))
        return scan_elf64(img, size);
    if (img[EI_CLASS] == ELFCLASS32 && size >= sizeof(Elf32_Ehdr))
        return scan_elf32(img, size);
    return -EINVAL;
}

/* === Public === */

static int check_failed(int rc, const char *path, char *err, size_t errlen)
{
    snprintf(err, errlen, "cannot check %s for coverage instrumentation: %s", path,
             rc == -EINVAL ? "not an ELF object this scanner reads" : strerror(-rc));
    return rc;
}

int shmf_target_check_instrumented(const char *path, char *err, size_t errlen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return check_failed(-errno, path, err, errlen);
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return check_failed(-e, path, err, errlen);
    }
    if (st.st_size <= 0) {
        close(fd);
        return check_failed(-EINVAL, path, err, errlen);
    }
    void *img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int saved = errno;
    close(fd);
    if (img == MAP_FAILED)
        return check_failed(-saved, path, err, errlen);
    int rc = scan_image(img, (size_t)st.st_size);
    munmap(img, (size_t)st.st_size);
    if (rc < 0)
        return check_failed(rc, path, err, errlen);
    if (rc == 1)
        return 0;
    snprintf(err, errlen,
             "%s has no coverage instrumentation (no __sanitizer_cov_* references), so "
             "libFuzzer fuzzes it blind; rebuild it with clang -fsanitize=fuzzer-no-link,"
             "address,undefined -fPIC -shared (see docs/byo-provider.md)",
             path);
    return -ENOEXEC;
}

/* Defined by libFuzzer; a weak reference stays NULL in binaries without it. */
extern size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

bool shmf_engine_is_libfuzzer(void)
{
    return LLVMFuzzerMutate != NULL;
}
