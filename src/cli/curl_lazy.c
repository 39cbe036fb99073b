/* curl_lazy.c - libcurl, opened only when a verb first uses it.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Linking libcurl costs every start of `mantle`, whatever the verb: its
 * dependency graph (GnuTLS, Kerberos, LDAP, libssh2, ...) is loaded and
 * initialised by the dynamic loader. Measured on the 2-core CI machine, an
 * empty program starts in 0.55 ms, the same linked with -lcurl in 4.2 ms,
 * which was most of `mantle run hello.wasm`. Only the agent client and the
 * key-broker client need it, so the few entry points they call are defined
 * here and forward to the library, opened with dlopen on first use. */
#define CURL_DISABLE_TYPECHECK 1  /* the macros would rename our definitions */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static void *curl_lib;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_open(void)
{
    curl_lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!curl_lib)
        fprintf(stderr, "mantle: cannot load libcurl (Debian: libcurl4): %s\n",
                dlerror());
}

/* The library's own definition of `name`, or NULL (said once on stderr)
 * when libcurl cannot be loaded. */
static void *curl_sym(const char *name)
{
    pthread_once(&curl_once, curl_open);
    return curl_lib ? dlsym(curl_lib, name) : NULL;
}

CURL *curl_easy_init(void)
{
    CURL *(*f)(void) = (CURL * (*)(void)) curl_sym("curl_easy_init");

    return f ? f() : NULL;
}

void curl_easy_cleanup(CURL *curl)
{
    void (*f)(CURL *) = (void (*)(CURL *))curl_sym("curl_easy_cleanup");

    if (f)
        f(curl);
}

/* The value's type follows from the option's number range (curl.h,
 * CURLOPTTYPE_*): long, pointer (data or function), curl_off_t, blob. */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    CURLcode (*f)(CURL *, CURLoption, ...) =
        (CURLcode(*)(CURL *, CURLoption, ...))curl_sym("curl_easy_setopt");
    CURLcode rc;
    va_list ap;

    if (!f)
        return CURLE_FAILED_INIT;
    va_start(ap, option);
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = f(curl, option, va_arg(ap, long));
    else if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB)
        rc = f(curl, option, va_arg(ap, curl_off_t));
    else
        rc = f(curl, option, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
    CURLcode (*f)(CURL *) = (CURLcode(*)(CURL *))curl_sym("curl_easy_perform");

    return f ? f(curl) : CURLE_FAILED_INIT;
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    CURLcode (*f)(CURL *, CURLINFO, ...) =
        (CURLcode(*)(CURL *, CURLINFO, ...))curl_sym("curl_easy_getinfo");
    CURLcode rc;
    va_list ap;

    if (!f)
        return CURLE_FAILED_INIT;
    va_start(ap, info);
    rc = f(curl, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

const char *curl_easy_strerror(CURLcode code)
{
    const char *(*f)(CURLcode) =
        (const char *(*)(CURLcode))curl_sym("curl_easy_strerror");

    return f ? f(code) : "libcurl is not available";
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
    struct curl_slist *(*f)(struct curl_slist *, const char *) =
        (struct curl_slist * (*)(struct curl_slist *, const char *))
            curl_sym("curl_slist_append");

    return f ? f(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
    void (*f)(struct curl_slist *) =
        (void (*)(struct curl_slist *))curl_sym("curl_slist_free_all");

    if (f)
        f(list);
}
