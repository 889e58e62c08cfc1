/* libFuzzer driver for everything in auth/ that reads attacker bytes: the
 * Authorization header, compact JWT decoding and claim checks, JWKS parsing
 * and service-account token syntax. Any input must be refused or accepted
 * cleanly, never crash, leak or hang. See `make fuzz-jwt`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authn.h"
#include "auth/jwks.h"
#include "auth/jwt.h"
#include "auth/satoken.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *tok;
    size_t tl;
    wf_jwt_status_t st;

    (void)wf_authn_bearer(text, size, WF_JWT_DEFAULT_MAX_LEN, &tok, &tl, &st);
    (void)wf_satoken_syntax_ok(text, size);

    wf_jwt_t jwt;
    if (wf_jwt_decode(&jwt, text, size, WF_JWT_DEFAULT_MAX_LEN) == WF_JWT_OK) {
        wf_jwt_policy_t pol = {"https://idp.test", "weft", "groups", 30};
        wf_principal_t p;
        /* Signature-invalid tokens never reach claims in the real path, but
         * the claim reader must still survive any JSON. */
        if (wf_jwt_check_claims(&jwt, &pol, 1800000000, &p) == WF_JWT_OK && p.subject == NULL)
            abort();
        wf_principal_dispose(&p);
    }
    wf_jwt_dispose(&jwt);

    wf_jwks_t *set = NULL;
    char err[256];
    if (wf_jwks_parse(text, size, &set, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < wf_jwks_count(set); i++)
            if (wf_jwks_find(set, wf_jwks_key(set, i)->kid) != wf_jwks_key(set, i))
                abort();
        wf_jwks_unref(set);
    }
    return 0;
}
