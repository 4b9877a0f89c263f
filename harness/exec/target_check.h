/*
 * target_check.h -- is a provider shared object built for coverage-guided fuzzing?
 */
#ifndef SHMF_TARGET_CHECK_H
#define SHMF_TARGET_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/**
 * Scan the ELF symbol tables of the shared object at `path` for the references
 * that -fsanitize=fuzzer-no-link (or trace-pc-guard) coverage instrumentation
 * leaves: __sanitizer_cov_8bit_counters_init, __sanitizer_cov_trace_pc_guard(_init)
 * or __sanitizer_cov_pcs_init.
 *
 * @return 0 if instrumented; -ENOEXEC if it is an ELF object without such a
 *         reference (err says how to rebuild it); -EINVAL if it is not an ELF
 *         object this scanner understands; -errno of open/fstat/mmap (-ENOENT,
 *         -EACCES, -ENOMEM, ...) if it cannot be read.  Every nonzero return writes
 *         a one-line reason to err.
 */
int shmf_target_check_instrumented(const char *path, char *err, size_t errlen);

/** @return true when this binary was linked with libFuzzer (it has LLVMFuzzerMutate). */
bool shmf_engine_is_libfuzzer(void);

#endif /* SHMF_TARGET_CHECK_H */
