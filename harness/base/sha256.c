/* sha256.c -- SHA-256 of an input, through Nettle (Debian nettle-dev). */
#include <nettle/sha2.h>
#include <stdio.h>

#include "sha256.h"

void shmf_sha256_hex(const uint8_t *data, size_t n, char hex[65])
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, n, data);
    sha256_digest(&ctx, sizeof(digest), digest);
    for (size_t i = 0; i < sizeof(digest); i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}
