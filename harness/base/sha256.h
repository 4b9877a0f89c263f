/* sha256.h -- SHA-256 of an input, for finding reports (Nettle computes it). */
#ifndef SHMF_SHA256_H
#define SHMF_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex digest of data[0..n) into hex[65]. */
void shmf_sha256_hex(const uint8_t *data, size_t n, char hex[65]);

#endif
