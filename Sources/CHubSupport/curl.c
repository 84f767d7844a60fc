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
