#include "api/authn_glue.h"

#include "auth/authn.h"
#include "platform/log.h"

int wf_gw_auth_init(wf_gw_t *gw)
{
    wf_authn_options_t opt;
    wf_authn_options_defaults(&opt);
    wf_authn_t *a = NULL;
    char err[256];
    if (wf_authn_create(gw->cfg->auth.oidc, gw->cfg->auth.n_oidc, &opt, &a, err, sizeof(err)) !=
        0) {
        wf_error("auth.oidc: %s", err);
        return -1;
    }
    gw->authn = a;
    if (gw->cfg->auth.n_oidc == 0) {
        wf_info("no OIDC issuer configured: only service-account tokens are accepted");
        return 0;
    }
    /* Start-up only: give the issuers a moment so the first requests are not
     * all refused; a slow issuer keeps being fetched in the background. */
    if (wf_authn_wait_ready(a, 3000) != 0)
        wf_warn("some OIDC issuers have no keys yet; their tokens are refused until fetched");
    return 0;
}

void wf_gw_auth_dispose(wf_gw_t *gw)
{
    if (gw->authn != NULL)
        wf_authn_destroy(gw->authn);
    gw->authn = NULL;
}

int wf_gw_verify_jwt(wf_gw_t *gw, const char *token, size_t len, wf_principal_t *who,
                     const char **reason)
{
    /* wf_authn_verify initialises the principal itself. */
    wf_principal_dispose(who);
    wf_jwt_status_t st = wf_authn_verify(gw->authn, token, len, who);
    if (st == WF_JWT_OK)
        return 0;
    *reason = wf_jwt_status_reason(st);
    return -1;
}
