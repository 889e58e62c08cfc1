/* Access management: `weft sa` (service accounts and their tokens),
 * `weft rbac` (role bindings) and `weft auth can-i`. A new token is printed
 * once, alone on stdout, so it can go straight into a file or a CI secret. */
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/out.h"
#include "cli/verb.h"
#include "cli/verbs.h"
#include "platform/cmd.h"
#include "platform/text.h"
#include "platform/xmalloc.h"

/* ---- service accounts ------------------------------------------------------- */

typedef struct {
    const char *description;
    long long expires_s;
} sa_opts_t;

enum { S_DESC, S_EXPIRES };

static const weft_opt_t sa_create_table[] = {
    {"description", 'd', "TEXT", S_DESC, "what the account is for"},
    {NULL, 0, NULL, 0, NULL},
};

static const weft_opt_t token_create_table[] = {
    {"description", 'd', "TEXT", S_DESC, "what the token is for (e.g. the CI pipeline)"},
    {"expires-in", 0, "DURATION", S_EXPIRES, "lifetime: 3600, 90m, 12h, 30d (default: none)"},
    {NULL, 0, NULL, 0, NULL},
};

/* "90" (seconds), "90s", "15m", "12h", "30d" → seconds; -1 when malformed. */
static long long parse_duration(const char *s)
{
    static const struct {
        char unit;
        long long seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
    char *end;
    long long n = strtoll(s, &end, 10);
    if (end == s || n <= 0 || n > 10LL * 366 * 86400)
        return -1;
    if (*end == '\0')
        return n;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (end[0] == units[i].unit && end[1] == '\0')
            return n * units[i].seconds;
    return -1;
}

static int sa_opt(weft_t *w, void *ud, int id, const char *val)
{
    sa_opts_t *o = ud;
    if (id == S_DESC) {
        o->description = val;
        return 0;
    }
    o->expires_s = parse_duration(val);
    if (o->expires_s < 0) {
        weft_err(w, "--expires-in takes a duration such as 3600, 90m, 12h or 30d (up to 10 years)");
        return -1;
    }
    return 0;
}

static int sa_create(weft_t *w, void *ud)
{
    sa_opts_t o = *(sa_opts_t *)ud;
    weft_resp_t r = {0};
    int rc = 0;
    json_t *body = json_pack("{s:s, s:s}", "name", w->pos[1], "description",
                             o.description ? o.description : "");
    rc = weft_request_at(w, "POST", "/api/v1/namespaces/%s/serviceaccounts", body, &r);
    json_decref(body);
    if (rc != 0)
        goto out;
    weft_out_answer(w, r.json, "created  %s",
                    wf_json_str(r.json, "subject") ? wf_json_str(r.json, "subject") : w->pos[1]);
out:
    weft_resp_dispose(&r);
    return rc;
}

static const weft_verb_t sa_create_verb = {
    .usage = {"weft sa create NAMESPACE NAME [--description TEXT]",
              "Creates service account sa:NAMESPACE/NAME (it starts with "
              "no rights:\nbind a role with 'weft rbac bind').",
              2, 2},
    .opts = sa_create_table,
    .opt_fn = sa_opt,
    .opts_size = sizeof(sa_opts_t),
    .run = sa_create,
};

static int token_create(weft_t *w, void *ud)
{
    sa_opts_t o = *(sa_opts_t *)ud;
    weft_resp_t r = {0};
    int rc = 0;
    json_t *body = json_pack("{s:s}", "description", o.description ? o.description : "");
    if (o.expires_s > 0)
        json_object_set_new(body, "expiresInSeconds", json_integer(o.expires_s));
    rc = weft_request_at(w, "POST", "/api/v1/namespaces/%s/serviceaccounts/%s/tokens", body, &r);
    json_decref(body);
    if (rc != 0)
        goto out;
    const char *token = wf_json_str(r.json, "token");
    if (token == NULL) {
        weft_err(w, "the server answered without a token");
        rc = WEFT_EXIT_FAIL;
        goto out;
    }
    if (w->fmt != WEFT_OUT_TABLE) {
        weft_out_doc(w, r.json);
    } else {
        printf("%s\n", token);
        char b[32];
        const char *exp = wf_json_str(r.json, "expiresAt");
        fprintf(stderr, "token %s for %s%s%s: shown once, store it now\n",
                weft_jtext(r.json, "id", b, sizeof(b)), wf_json_str(r.json, "subject"),
                exp ? ", expires " : "", exp ? exp : "");
    }
    fflush(stdout);
out:
    /* The token exists in this process only as long as it must. */
    if (r.body != NULL)
        OPENSSL_cleanse(r.body, r.len);
    weft_resp_dispose(&r);
    return rc;
}

static const weft_verb_t token_create_verb = {
    .usage = {"weft sa token create NAMESPACE NAME [--description TEXT] [--expires-in DURATION]",
              "Issues a token for sa:NAMESPACE/NAME and prints it once on stdout (nothing\n"
              "else goes there), e.g.: weft sa token create sales ci > ci-token.txt",
              2, 2},
    .opts = token_create_table,
    .opt_fn = sa_opt,
    .opts_size = sizeof(sa_opts_t),
    .run = token_create,
};

static const wf_cmd_t token_commands[] = {
    WEFT_VERB("create", token_create_verb, "issue a token (printed once)"),
    WEFT_SIMPLE("list", "list tokens (never the secrets)"),
    WEFT_SIMPLE("revoke", "revoke a token"),
    WF_CMD_END,
};

const wf_cmd_t weft_sa_commands[] = {
    WEFT_VERB("create", sa_create_verb, "create a service account"),
    WEFT_SIMPLE("list", "list service accounts"),
    WEFT_SIMPLE("delete", "delete a service account"),
    WF_CMD_GROUP("token", token_commands, "create, list, revoke tokens", "Service-account tokens."),
    WF_CMD_END,
};

/* ---- rbac ------------------------------------------------------------------ */

static int rbac_bind(weft_t *w, void *ud)
{
    (void)ud;
    weft_resp_t r = {0};
    int rc = 0;
    json_t *body = json_pack("{s:s, s:s, s:s}", "subject", w->pos[0], "role", w->pos[1],
                             "namespace", w->npos > 2 ? w->pos[2] : "");
    rc = weft_request(w, "POST", "/api/v1/bindings", body, &r);
    json_decref(body);
    if (rc != 0)
        goto out;
    char b[32];
    weft_out_answer(w, r.json, "bound  %s %s on %s  (binding %s)", w->pos[0], w->pos[1],
                    w->npos > 2 ? w->pos[2] : "the platform",
                    weft_jtext(r.json, "id", b, sizeof(b)));
out:
    weft_resp_dispose(&r);
    return rc;
}

static const weft_verb_t rbac_bind_verb = {
    .usage = {"weft rbac bind SUBJECT ROLE [NAMESPACE]",
              "Binds ROLE (viewer, launcher, developer, admin; or platform-admin, auditor\n"
              "without a namespace) to SUBJECT (user:SUB, group:NAME, sa:NAMESPACE/NAME) on\n"
              "NAMESPACE and everything below it.",
              2, 3},
    .run = rbac_bind,
};

/* Bindings on NAMESPACE (above and below it too) into *out. */
static int list_bindings(weft_t *w, const char *ns, json_t **out)
{
    char *path = weft_pathf("/api/v1/bindings?namespace=%s", ns);
    weft_resp_t r;
    int rc = weft_request(w, "GET", path, NULL, &r);
    free(path);
    json_t *res = json_object_get(r.json, "results");
    *out = rc == 0 ? json_incref(res ? res : json_array()) : NULL;
    if (rc == 0 && res == NULL)
        json_decref(*out), *out = json_array();
    weft_resp_dispose(&r);
    return rc;
}

static bool all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static int rbac_unbind(weft_t *w, void *ud)
{
    (void)ud;
    weft_resp_t r = {0};
    json_t *all = NULL;
    char id[32] = "";
    int rc = 0;
    if (w->npos == 1) {
        if (!all_digits(w->pos[0])) {
            weft_err(w, "'%s' is not a binding id; give BINDING_ID or SUBJECT ROLE NAMESPACE",
                     w->pos[0]);
            rc = WEFT_EXIT_USAGE;
            goto out;
        }
        snprintf(id, sizeof(id), "%s", w->pos[0]);
    } else if (w->npos == 3) {
        if ((rc = list_bindings(w, w->pos[2], &all)) != 0)
            goto out;
        size_t i;
        json_t *x;
        json_array_foreach(all, i, x)
        {
            const char *s = wf_json_str(x, "subject"), *ro = wf_json_str(x, "role"),
                       *ns = wf_json_str(x, "namespace");
            if (s && ro && ns && strcmp(s, w->pos[0]) == 0 && strcmp(ro, w->pos[1]) == 0 &&
                strcmp(ns, w->pos[2]) == 0) {
                char b[32];
                snprintf(id, sizeof(id), "%s", weft_jtext(x, "id", b, sizeof(b)));
                break;
            }
        }
        if (id[0] == '\0') {
            weft_err(w, "no binding of %s as %s on %s", w->pos[0], w->pos[1], w->pos[2]);
            rc = WEFT_EXIT_FAIL;
            goto out;
        }
    } else {
        weft_err(w, "give BINDING_ID or SUBJECT ROLE NAMESPACE");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    char *path = weft_pathf("/api/v1/bindings/%s", id);
    rc = weft_request(w, "DELETE", path, NULL, &r);
    free(path);
    if (rc == 0)
        weft_out_result(
            w,
            json_pack("{s:I, s:b}", "bindingId", (json_int_t)strtoll(id, NULL, 10), "deleted", 1),
            "unbound  binding %s", id);
out:
    json_decref(all);
    weft_resp_dispose(&r);
    return rc;
}

static const weft_verb_t rbac_unbind_verb = {
    .usage = {"weft rbac unbind BINDING_ID | SUBJECT ROLE NAMESPACE",
              "Removes a role binding, by id ('weft rbac list' shows them) "
              "or by what it binds.",
              1, 3},
    .run = rbac_unbind,
};

const wf_cmd_t weft_rbac_commands[] = {
    WEFT_VERB("bind", rbac_bind_verb, "bind a role to a subject on a namespace"),
    WEFT_VERB("unbind", rbac_unbind_verb, "remove a binding"),
    WEFT_SIMPLE("list", "list bindings on a namespace"),
    WF_CMD_END,
};

/* ---- auth can-i ---------------------------------------------------------------- */

static const weft_opt_t can_i_table[] = {
    {"as", 0, "SUBJECT", 0, "ask for another subject (admins only)"},
    {NULL, 0, NULL, 0, NULL},
};

static int auth_can_i(weft_t *w, void *ud)
{
    const char *as = *(const char **)ud;
    weft_resp_t r = {0};
    int rc = 0;
    char *path = weft_pathf("/api/v1/auth/can-i?action=%s&namespace=%s", w->pos[0], w->pos[1]);
    if (as != NULL) {
        char *q = weft_pathf("&as=%s", as), *full = wf_xasprintf("%s%s", path, q);
        free(path);
        free(q);
        path = full;
    }
    rc = weft_request(w, "GET", path, NULL, &r);
    free(path);
    if (rc != 0) {
        json_t *actions = json_object_get(r.json, "actions");
        if (json_array_size(actions) > 0) {
            fprintf(stderr, "  actions:");
            size_t i;
            json_t *x;
            json_array_foreach(actions, i, x) fprintf(stderr, " %s", json_string_value(x));
            fputc('\n', stderr);
        }
        goto out;
    }
    bool allowed = json_is_true(json_object_get(r.json, "allowed"));
    if (w->fmt != WEFT_OUT_TABLE) {
        weft_out_doc(w, r.json);
    } else {
        printf("%s%s%s\n", w->color ? (allowed ? "\033[32m" : "\033[31m") : "",
               allowed ? "yes" : "no", weft_color_reset(w));
        printf("  subject: %s\n  reason:  %s\n", wf_json_str(r.json, "subject"),
               wf_json_str(r.json, "reason"));
        json_t *via = json_object_get(r.json, "via");
        if (via != NULL)
            printf("  via:     %s is %s on %s\n", wf_json_str(via, "subject"),
                   wf_json_str(via, "role"),
                   wf_json_str(via, "namespace") && wf_json_str(via, "namespace")[0]
                       ? wf_json_str(via, "namespace")
                       : "the platform");
    }
    rc = allowed ? 0 : WEFT_EXIT_FAIL;
out:
    weft_resp_dispose(&r);
    return rc;
}

static const weft_verb_t auth_can_i_verb = {
    .usage = {"weft auth can-i ACTION NAMESPACE [--as SUBJECT]",
              "Asks the server whether an action is allowed and why (the reason code).\n"
              "Actions: flow.read, flow.write, execution.read, execution.create,\n"
              "execution.kill, binding.read, binding.manage, sa.read, sa.manage, ...\n"
              "Exit 0 when allowed, 1 when denied.",
              2, 2},
    .opts = can_i_table,
    .opts_size = sizeof(const char *),
    .run = auth_can_i,
};

const wf_cmd_t weft_auth_commands[] = {
    WEFT_VERB("can-i", auth_can_i_verb, "is an action allowed on a namespace, and why"),
    WF_CMD_END,
};
