/*
 * fileio.c -- reading whole input files (fileio.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

const char *shmf_read_strerror(int rc)
{
    if (rc == -EINVAL)
        return "not a regular file";
    return strerror(-rc);
}

/* The rest of fd into a growing buffer. */
static int read_all(int fd, size_t hint, uint8_t **data, size_t *len)
{
    size_t cap = hint + 1 > 4096 ? hint + 1 : 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    for (;;) {
        if (!buf)
            return -ENOMEM;
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 || n + (size_t)got > SHMF_INPUT_MAX) {
            int rc = got < 0 ? -errno : -EFBIG;
            free(buf);
            return rc;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, 2 * cap + 1);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}

int shmf_read_file(const char *path, uint8_t **data, size_t *len)
{
    struct stat st;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), rc;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) != 0)
        rc = -errno;
    else if (S_ISDIR(st.st_mode))
        rc = -EISDIR;
    else if (!S_ISREG(st.st_mode))
        rc = -EINVAL;
    else if ((uint64_t)st.st_size > SHMF_INPUT_MAX)
        rc = -EFBIG;
    else
        rc = read_all(fd, (size_t)st.st_size, data, len);
    close(fd);
    return rc;
}
