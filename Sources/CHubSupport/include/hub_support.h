// hub_support.h: what the Hub client needs from C: typed wrappers for libcurl's variadic option calls,
// which Swift cannot call directly, and SHA-256 and SHA-1 for checking downloaded files against their etags
// (LFS files by SHA-256, small files by their git blob SHA-1).
#ifndef HUB_SUPPORT_H
#define HUB_SUPPORT_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

typedef size_t (*hub_data_fn)(char * data, size_t size, size_t count, void * context);
typedef int (*hub_progress_fn)(void * context, curl_off_t dl_total, curl_off_t dl_now, curl_off_t ul_total, curl_off_t ul_now);

CURLcode hub_curl_set_long(CURL * curl, CURLoption option, long value);
CURLcode hub_curl_set_string(CURL * curl, CURLoption option, const char * value);
CURLcode hub_curl_set_pointer(CURL * curl, CURLoption option, void * value);
CURLcode hub_curl_set_write(CURL * curl, hub_data_fn fn, void * context);
CURLcode hub_curl_set_header(CURL * curl, hub_data_fn fn, void * context);
CURLcode hub_curl_set_progress(CURL * curl, hub_progress_fn fn, void * context);
CURLcode hub_curl_get_long(CURL * curl, CURLINFO info, long * value);
// Limits a handle, and any redirect it might follow, to http and https.
CURLcode hub_curl_allow_only_http(CURL * curl);

// Digests by OpenSSL's EVP interface (its SHA-NI and AVX code, where the CPU has them): SHA-1 names the Hub's
// small files (as git blobs), SHA-256 its LFS files.
typedef enum hub_digest_kind {
    HUB_DIGEST_SHA1   = 0,
    HUB_DIGEST_SHA256 = 1,
} hub_digest_kind;

#define HUB_DIGEST_MAX 64

// Digest of prefix followed by data (either may be empty); returns its length in bytes, 0 on failure.
size_t hub_digest(hub_digest_kind kind, const void * prefix, size_t prefix_size, const void * data, size_t size,
                  uint8_t out[HUB_DIGEST_MAX]);

#endif // HUB_SUPPORT_H
