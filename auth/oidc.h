/* OIDC discovery and JWKS download with libcurl. These calls block (bounded
 * by timeouts) and are meant for the authenticator's background thread, never
 * for a gateway event loop. */
#ifndef WF_OIDC_H
#define WF_OIDC_H

#include <stdbool.h>
#include <stddef.h>

/* Limits on every fetch: response size, connect and total time. */
#define WF_OIDC_MAX_BODY (1024 * 1024)
#define WF_OIDC_CONNECT_TIMEOUT_MS 3000
#define WF_OIDC_TIMEOUT_MS 5000

/* True when `url` may be fetched: https://, or http:// to a loopback host
 * (127.0.0.0/8, ::1, localhost) for local identity providers and tests.
 * Anything else (file://, plain http to the network, bad syntax) is refused. */
bool wf_oidc_url_allowed(const char *url);

/* GETs `url` (no redirects, TLS verified, body capped at WF_OIDC_MAX_BODY)
 * into a NUL-terminated malloc'd *body (caller frees). Returns 0 on HTTP 200,
 * or -1 with a one-line reason in `err`. */
int wf_oidc_fetch(const char *url, char **body, size_t *len, char *err, size_t err_len);

/* Discovery: fetches ISSUER/.well-known/openid-configuration, checks that its
 * "issuer" equals `issuer` exactly (OpenID Connect Discovery §4.3) and returns
 * its jwks_uri (malloc'd, allowed by wf_oidc_url_allowed). Returns 0 or -1. */
int wf_oidc_discover(const char *issuer, char **jwks_uri, char *err, size_t err_len);

#endif
