// curl.c: typed entry points for libcurl's variadic curl_easy_setopt / curl_easy_getinfo.
#include "hub_support.h"

CURLcode hub_curl_set_long(CURL * curl, CURLoption option, long value) { return curl_easy_setopt(curl, option, value); }
CURLcode hub_curl_set_string(CURL * curl, CURLoption option, const char * value) { return curl_easy_setopt(curl, option, value); }
CURLcode hub_curl_set_pointer(CURL * curl, CURLoption option, void * value) { return curl_easy_setopt(curl, option, value); }

CURLcode hub_curl_set_write(CURL * curl, hub_data_fn fn, void * context) {
    CURLcode code = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fn);
    return code != CURLE_OK ? code : curl_easy_setopt(curl, CURLOPT_WRITEDATA, context);
}

CURLcode hub_curl_set_header(CURL * curl, hub_data_fn fn, void * context) {
    CURLcode code = curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, fn);
    return code != CURLE_OK ? code : curl_easy_setopt(curl, CURLOPT_HEADERDATA, context);
}

CURLcode hub_curl_set_progress(CURL * curl, hub_progress_fn fn, void * context) {
    CURLcode code = curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, fn);
    if (code == CURLE_OK) code = curl_easy_setopt(curl, CURLOPT_XFERINFODATA, context);
    return code != CURLE_OK ? code : curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
}

CURLcode hub_curl_get_long(CURL * curl, CURLINFO info, long * value) { return curl_easy_getinfo(curl, info, value); }

// The string options came with libcurl 7.85, which deprecated the bitmasks; a library older than the
// headers it was built against answers CURLE_UNKNOWN_OPTION, and then the bitmasks do the same job.
CURLcode hub_curl_allow_only_http(CURL * curl) {
#if LIBCURL_VERSION_NUM >= 0x075500
    CURLcode code = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (code == CURLE_OK) code = curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (code != CURLE_UNKNOWN_OPTION) return code;
#endif
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    const long http = CURLPROTO_HTTP | CURLPROTO_HTTPS;
    CURLcode fallback = curl_easy_setopt(curl, CURLOPT_PROTOCOLS, http);
    if (fallback == CURLE_OK) fallback = curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS, http);
#pragma GCC diagnostic pop
    return fallback;
}
