/*
 * fileio.h -- reading whole input files (fileio.c), for the CLI and the report
 * writers.  Calls libc only.
 */
#ifndef SHMF_FILEIO_H
#define SHMF_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* Largest input file read (a full program is well under 1 MiB even as text). */
#define SHMF_INPUT_MAX ((size_t)64 << 20)

/* Read a whole regular file; returns 0 or -errno: -EISDIR for a directory, -EINVAL
   for anything else that is not a regular file (FIFO, socket, device: never
   opened for blocking reads), -EFBIG past SHMF_INPUT_MAX.  *data is malloc'ed
   and NUL-terminated. */
int shmf_read_file(const char *path, uint8_t **data, size_t *len);

/* The reason for a shmf_read_file error, for messages. */
const char *shmf_read_strerror(int rc);

#endif /* SHMF_FILEIO_H */
