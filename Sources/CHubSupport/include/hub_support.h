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

// SHA-256, streaming.
typedef struct hub_sha256 {
    uint32_t state[8];
    uint64_t length;
    uint8_t  block[64];
    size_t   used;
} hub_sha256;

void hub_sha256_init(hub_sha256 * ctx);
void hub_sha256_update(hub_sha256 * ctx, const void * data, size_t size);
void hub_sha256_final(hub_sha256 * ctx, uint8_t digest[32]);

// SHA-1, streaming.
typedef struct hub_sha1 {
    uint32_t state[5];
    uint64_t length;
    uint8_t  block[64];
    size_t   used;
} hub_sha1;

void hub_sha1_init(hub_sha1 * ctx);
void hub_sha1_update(hub_sha1 * ctx, const void * data, size_t size);
void hub_sha1_final(hub_sha1 * ctx, uint8_t digest[20]);

#endif // HUB_SUPPORT_H
