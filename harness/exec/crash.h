/*
 * crash.h -- turning a crash of the provider (sanitizer report or signal) into a
 * finding, as ClusterFuzz does: kind crash-<type> with the top frames as the
 * place, or a verifier kind when the faulting address belongs to an object the
 * verifier knows (parameters block, SG buffer).
 */
#ifndef SHMF_CRASH_H
#define SHMF_CRASH_H

#include "shmfuzz/runtime.h"

/* Called once with the finding when the process is about to die. */
typedef void (*shmf_crash_sink)(const struct shmf_finding *f, void *ud);

/* Install the ASan death callback and fatal-signal handlers. */
void shmf_crash_install(shmf_crash_sink sink, void *ud);

/* Classify a fault at `addr` of sanitizer type `type` into *f. */
void shmf_crash_classify(uintptr_t addr, const char *type, struct shmf_finding *f);

/* Run child(ud, fd) in a forked process, so that a crash of the provider
   cannot take the caller down; the child writes a short text to fd and
   _exits.  The text goes into out (NUL-terminated, "" when none).  Returns
   the child's wait status, or -1 when no child ran. */
int shmf_run_forked(void (*child)(void *ud, int fd), void *ud, char *out, size_t n);

#endif
