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

#endif
