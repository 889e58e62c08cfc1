/* OIDC discovery and JWKS download; see oidc.h. */
#include "auth/oidc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>

bool wf_oidc_url_allowed(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    bool ok = false;

    if (u == NULL || url == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto out;
    if (strcasecmp(scheme, "https") == 0)
        ok = true;
    else if (strcasecmp(scheme, "http") == 0)
    {
        /* An IPv4 literal in 127/8, not a name that merely starts with "127.". */
        struct in_addr a;
        ok = (inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127) ||
             strcmp(host, "[::1]") == 0 || strcasecmp(host, "localhost") == 0;
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

struct sink {
    char *buf;
    size_t len;
    bool too_big;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    struct sink *s = arg;
    size_t n = size * nmemb;
    if (s->len + n > WF_OIDC_MAX_BODY) {
        s->too_big = true;
        return 0; /* aborts the transfer */
    }
    char *b = realloc(s->buf, s->len + n + 1);
    if (b == NULL)
        return 0;
    memcpy(b + s->len, data, n);
    s->buf = b;
    s->len += n;
    b[s->len] = '\0';
    return n;
}

int wf_oidc_fetch(const char *url, char **body, size_t *len, char *err, size_t err_len)
{
    struct sink s = {0};
    CURL *c = NULL;
    long status = 0;
    int rc = -1;

    *body = NULL;
    *len = 0;
    if (!wf_oidc_url_allowed(url)) {
        snprintf(err, err_len, "refusing to fetch %s: https, or http to loopback only", url);
        goto out;
    }
    if ((c = curl_easy_init()) == NULL) {
        snprintf(err, err_len, "curl_easy_init failed");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    /* A configured proxy is honoured for real IdPs, never for loopback ones. */
    curl_easy_setopt(c, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* we run on a helper thread */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)WF_OIDC_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)WF_OIDC_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE, (long)WF_OIDC_MAX_BODY);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "weft-gateway");
    CURLcode cc = curl_easy_perform(c);
    if (s.too_big) {
        snprintf(err, err_len, "%s: response larger than %d bytes", url, WF_OIDC_MAX_BODY);
        goto out;
    }
    if (cc != CURLE_OK) {
        snprintf(err, err_len, "%s: %s", url, curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        snprintf(err, err_len, "%s: HTTP status %ld", url, status);
        goto out;
    }
    if (s.buf == NULL && (s.buf = calloc(1, 1)) == NULL)
        goto out;
    *body = s.buf;
    *len = s.len;
    s.buf = NULL;
    rc = 0;
out:
    free(s.buf);
    if (c != NULL)
        curl_easy_cleanup(c);
    return rc;
}

int wf_oidc_discover(const char *issuer, char **jwks_uri, char *err, size_t err_len)
{
    char url[2048];
    char *body = NULL;
    size_t len = 0;
    json_t *doc = NULL;
    int rc = -1;

    *jwks_uri = NULL;
    /* Discovery appends the well-known path to the issuer without doubling
     * a trailing slash. */
    size_t il = strlen(issuer);
    if (snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
                 (int)(il > 0 && issuer[il - 1] == '/' ? il - 1 : il),
                 issuer) >= (int)sizeof(url)) {
        snprintf(err, err_len, "issuer URL too long");
        goto out;
    }
    if (wf_oidc_fetch(url, &body, &len, err, err_len) < 0)
        goto out;
    if ((doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
        !json_is_object(doc)) {
        snprintf(err, err_len, "%s: not a JSON object", url);
        goto out;
    }
    const char *iss = json_string_value(json_object_get(doc, "issuer"));
    if (iss == NULL || strcmp(iss, issuer) != 0) {
        snprintf(err, err_len, "%s: issuer \"%.200s\" does not match the configured one", url,
                 iss ? iss : "(missing)");
        goto out;
    }
    const char *ju = json_string_value(json_object_get(doc, "jwks_uri"));
    if (ju == NULL || !wf_oidc_url_allowed(ju)) {
        snprintf(err, err_len, "%s: missing or disallowed jwks_uri", url);
        goto out;
    }
    if ((*jwks_uri = strdup(ju)) == NULL)
        goto out;
    rc = 0;
out:
    json_decref(doc);
    free(body);
    return rc;
}
