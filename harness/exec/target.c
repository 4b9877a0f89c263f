/*
 * target.c -- loading providers as shared objects (DESIGN.md: the plug-in ABI).
 *
 * A provider exports ShmfProviderSetOptions (+ ShmfProviderUnload), the short
 * form, or only DriverEntry, as a driver does; the runtime loads either
 * (shmf_rt_provider_load).  ShmfProviderRingAdvance / ShmfProviderRingCancel
 * are optional with both: a provider without them gets the reference provider's,
 * from its module libshmfprov_reference.so (shmf_target_ring_fallback).  The
 * harness links no provider code of its own.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nic.h"
#include "target.h"

#ifndef SHMF_PROVIDER_DIR
#define SHMF_PROVIDER_DIR ""
#endif
#ifndef SHMF_INSTALL_PROVIDER_DIR
#define SHMF_INSTALL_PROVIDER_DIR ""
#endif

#define SHMF_PROV_PREFIX "libshmfprov_"

const char *shmf_target_builtin_dir(void)
{
    return SHMF_PROVIDER_DIR;
}

static bool is_path(const char *spec)
{
    size_t n = strlen(spec);
    return strchr(spec, '/') || (n > 3 && strcmp(spec + n - 3, ".so") == 0);
}

/* Note the routines of module h that are its ShmfReferenceRing* (the reference
   ring driver) so that findings name them so (nic.h). */
static void note_reference(void *h, void *advance, void *cancel)
{
    void *ref_advance = dlsym(h, "ShmfReferenceRingAdvance");
    void *ref_cancel = dlsym(h, "ShmfReferenceRingCancel");
    shmf_nic_note_reference_ring(
        advance && advance == ref_advance ? (shmf_ring_advance_fn)advance : NULL,
        cancel && cancel == ref_cancel ? (shmf_ring_cancel_fn)cancel : NULL);
}

/* <dir of this executable>/../lib/shmfuzz/providers: an installed tree found
   wherever it was installed (--prefix may differ from the configured one). */
static const char *relative_install_dir(void);
/* The same from <prefix>/libexec/shmfuzz (the installed engine binaries). */
static const char *relative_libexec_install_dir(void);

/* The reference provider's exported ring driver, looked up once: its module from
   the built-in provider dir (the build tree this binary comes from), else the
   installed one. */
static void *fallback_advance, *fallback_cancel;

static int reference_ring(char *err, size_t errlen)
{
    const char *dirs[] = {SHMF_PROVIDER_DIR, relative_install_dir(), relative_libexec_install_dir(),
                          SHMF_INSTALL_PROVIDER_DIR};
    char why[300] = "";

    if (fallback_advance && fallback_cancel)
        return 0;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char path[1024];
        if (!dirs[i] || !*dirs[i])
            continue;
        snprintf(path, sizeof(path), "%s/" SHMF_PROV_PREFIX "reference.so", dirs[i]);
        if (access(path, R_OK) != 0)
            continue;
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            snprintf(why, sizeof(why), " (%s)", dlerror());
            continue;
        }
        void *a = dlsym(h, "ShmfProviderRingAdvance"), *c = dlsym(h, "ShmfProviderRingCancel");
        if (!a || !c) {
            snprintf(why, sizeof(why), " (%s exports no ShmfProviderRingAdvance/Cancel)", path);
            dlclose(h);
            continue;
        }
        note_reference(h, a, c);
        fallback_advance = a;
        fallback_cancel = c;
        return 0; /* h stays open: the routines are used until exit */
    }
    snprintf(err, errlen,
             "the provider exports no ring driver (ShmfProviderRingAdvance/Cancel) and the "
             "reference provider's was not found: no " SHMF_PROV_PREFIX "reference.so in %s "
             "or %s%s (build or install the reference provider; docs/rings.md)",
             *SHMF_PROVIDER_DIR ? SHMF_PROVIDER_DIR : "(no build tree)",
             *SHMF_INSTALL_PROVIDER_DIR ? SHMF_INSTALL_PROVIDER_DIR : "(no install tree)", why);
    return -ENOEXEC;
}

int shmf_target_ring_fallback(struct shmf_target *t, char *err, size_t errlen)
{
    if (t->ring_advance && t->ring_cancel)
        return 0;
    int rc = reference_ring(err, errlen);
    if (rc != 0)
        return rc;
    if (!t->ring_advance)
        t->ring_advance = fallback_advance;
    if (!t->ring_cancel)
        t->ring_cancel = fallback_cancel;
    return 0;
}

int shmf_target_linked_ring(struct shmf_target *t, void *advance, void *cancel, void *ref_adv,
                            void *ref_can, char *err, size_t errlen)
{
    shmf_nic_note_reference_ring(advance && advance == ref_adv ? (shmf_ring_advance_fn)advance
                                                               : NULL,
                                 cancel && cancel == ref_can ? (shmf_ring_cancel_fn)cancel : NULL);
    t->ring_advance = advance;
    t->ring_cancel = cancel;
    return shmf_target_ring_fallback(t, err, errlen);
}

static int open_so(const char *path, struct shmf_target *t, char *err, size_t errlen)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "cannot load provider %s: %s", path, dlerror());
        return access(path, F_OK) == 0 ? -EINVAL : -ENOENT;
    }
    memset(t, 0, sizeof(*t));
    *(void **)&t->provider.set_options = dlsym(h, "ShmfProviderSetOptions");
    *(void **)&t->provider.unload = dlsym(h, "ShmfProviderUnload");
    t->ring_advance = dlsym(h, "ShmfProviderRingAdvance");
    t->ring_cancel = dlsym(h, "ShmfProviderRingCancel");
    /* A driver: DriverEntry, used when the short form is absent. */
    *(void **)&t->provider.driver_entry = dlsym(h, "DriverEntry");
    if (!t->provider.set_options && !t->provider.driver_entry) {
        snprintf(err, errlen,
                 "%s is not a shmfuzz provider: it does not export ShmfProviderSetOptions "
                 "or DriverEntry (see docs/porting.md)",
                 path);
        dlclose(h);
        return -EINVAL;
    }
    note_reference(h, t->ring_advance, t->ring_cancel);
    int rc = shmf_target_ring_fallback(t, err, errlen);
    if (rc != 0) {
        dlclose(h);
        return rc;
    }
    snprintf(t->path, sizeof(t->path), "%s", path);
    t->provider.name = t->path;
    return 0;
}

static int try_dir(const char *dir, const char *name, struct shmf_target *t, char *err,
                   size_t errlen)
{
    char path[1024];
    if (!dir || !*dir)
        return -ENOENT;
    snprintf(path, sizeof(path), "%s/" SHMF_PROV_PREFIX "%s.so", dir, name);
    if (access(path, R_OK) != 0)
        return -ENOENT;
    return open_so(path, t, err, errlen);
}

static const char *exe_relative_dir(char *dir, size_t len, const char *rel)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return "";
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return "";
    *slash = 0;
    snprintf(dir, len, "%s/%s", exe, rel);
    return dir;
}

static const char *relative_libexec_install_dir(void)
{
    static char dir[PATH_MAX];
    return exe_relative_dir(dir, sizeof(dir), "../../lib/shmfuzz/providers");
}

static const char *relative_install_dir(void)
{
    static char dir[PATH_MAX];
    return exe_relative_dir(dir, sizeof(dir), "../lib/shmfuzz/providers");
}

static int search_path(const char *name, struct shmf_target *t, char *err, size_t errlen)
{
    const char *env = getenv("SHMF_PROVIDER_PATH");
    if (env) {
        char *copy = strdup(env), *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            int rc = try_dir(d, name, t, err, errlen);
            if (rc != -ENOENT) {
                free(copy);
                return rc;
            }
        }
        free(copy);
    }
    int rc = try_dir(SHMF_PROVIDER_DIR, name, t, err, errlen);
    if (rc == -ENOENT)
        rc = try_dir(relative_install_dir(), name, t, err, errlen);
    if (rc == -ENOENT)
        rc = try_dir(SHMF_INSTALL_PROVIDER_DIR, name, t, err, errlen);
    return rc;
}

int shmf_target_open(const char *spec, struct shmf_target *t, char *err, size_t errlen)
{
    if (!spec || !*spec) {
        snprintf(err, errlen, "no provider given (use --provider NAME|PATH.so)");
        return -ENOENT;
    }
    if (is_path(spec))
        return open_so(spec, t, err, errlen);
    int rc = search_path(spec, t, err, errlen);
    if (rc == -ENOENT)
        snprintf(err, errlen, "unknown provider '%s' (see 'shmfuzz providers')", spec);
    else if (rc == 0)
        t->provider.name = spec;
    return rc;
}

static void list_dir(FILE *f, const char *dir)
{
    DIR *d = dir && *dir ? opendir(dir) : NULL;
    struct dirent *e;
    size_t plen = strlen(SHMF_PROV_PREFIX);
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > plen + 3 && strncmp(e->d_name, SHMF_PROV_PREFIX, plen) == 0 &&
            strcmp(e->d_name + n - 3, ".so") == 0)
            fprintf(f, "%.*s\t%s/%s\n", (int)(n - plen - 3), e->d_name + plen, dir, e->d_name);
    }
    closedir(d);
}

void shmf_target_list(FILE *f)
{
    const char *env = getenv("SHMF_PROVIDER_PATH");
    if (env) {
        char *copy = strdup(env), *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
            list_dir(f, d);
        free(copy);
    }
    list_dir(f, SHMF_PROVIDER_DIR);
    list_dir(f, relative_install_dir());
    list_dir(f, SHMF_INSTALL_PROVIDER_DIR);
}
