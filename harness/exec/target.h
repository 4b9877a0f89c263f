/*
 * target.h -- finding a provider: by name among those built with
 * shmfuzz_add_provider(), or as a shared object exporting the plug-in ABI.
 */
#ifndef SHMF_TARGET_H
#define SHMF_TARGET_H

#include "exec.h"

/* Resolve `spec` (a provider name, or a path containing '/' or ending in .so)
   into `t`: ShmfProviderSetOptions / ShmfProviderUnload, or DriverEntry when
   the provider has no ShmfProviderSetOptions.  On failure writes a one-line
   reason to err and returns -ENOENT (not found) or -EINVAL (not a provider:
   neither entry point exported).  Ring routines: the provider's
   ShmfProviderRingAdvance / ShmfProviderRingCancel, each missing one the
   reference provider's (shmf_target_ring_fallback; -ENOEXEC when there is none). */
int shmf_target_open(const char *spec, struct shmf_target *t, char *err, size_t errlen);

/* Fill t->ring_advance / t->ring_cancel where NULL with the reference provider's
   ring driver, obtained through the plug-in ABI: the ShmfProviderRingAdvance /
   ShmfProviderRingCancel exports of libshmfprov_reference.so from the built-in
   provider dir, else the installed one (opened once, kept open; not
   thread-safe: call while loading).  Returns 0, or -ENOEXEC with a one-line
   reason in err when no such module loads. */
int shmf_target_ring_fallback(struct shmf_target *t, char *err, size_t errlen);

/* For a provider linked into the executable: set t's ring routines to its
   exports `advance` / `cancel` (NULL where it has none), naming them as the
   reference's when they equal `ref_advance` / `ref_cancel` (the executable's
   ShmfReferenceRing*, NULL when not linked), then shmf_target_ring_fallback. */
int shmf_target_linked_ring(struct shmf_target *t, void *advance, void *cancel, void *ref_advance,
                            void *ref_cancel, char *err, size_t errlen);

/* Directories searched for lib<name>.so / libshmfprov_<name>.so, in order:
   $SHMF_PROVIDER_PATH (colon separated), the build tree, the install tree. */
const char *shmf_target_builtin_dir(void);

/* Print the providers found in the search path, one per line. */
void shmf_target_list(FILE *f);

#endif /* SHMF_TARGET_H */
