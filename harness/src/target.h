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
   neither entry point exported). */
int shmf_target_open(const char *spec, struct shmf_target *t, char *err, size_t errlen);

/* Directories searched for lib<name>.so / libshmfprov_<name>.so, in order:
   $SHMF_PROVIDER_PATH (colon separated), the build tree, the install tree. */
const char *shmf_target_builtin_dir(void);

/* Print the providers found in the search path, one per line. */
void shmf_target_list(FILE *f);

#endif /* SHMF_TARGET_H */
