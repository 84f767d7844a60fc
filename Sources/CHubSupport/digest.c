// digest.c: file digests through OpenSSL, which verifying multi-gigabyte downloads wants at full speed.
#include "hub_support.h"

#include <openssl/evp.h>

size_t hub_digest(hub_digest_kind kind, const void * prefix, size_t prefix_size, const void * data, size_t size,
                  uint8_t out[HUB_DIGEST_MAX]) {
    const EVP_MD * md = kind == HUB_DIGEST_SHA1 ? EVP_sha1() : EVP_sha256();
    EVP_MD_CTX * ctx = EVP_MD_CTX_new();
    unsigned int length = 0;
    const int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, prefix, prefix_size) &&
                   EVP_DigestUpdate(ctx, data, size) && EVP_DigestFinal_ex(ctx, out, &length);
    EVP_MD_CTX_free(ctx);
    return ok ? length : 0;
}
