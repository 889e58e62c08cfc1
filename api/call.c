/* The pipeline every call goes through before its handler runs. */
#include "api/call.h"

#include <string.h>

#include "platform/log.h"

static const char *const json_types[] = {"application/json", NULL};
static const char *const yaml_types[] = {"application/x-yaml", "application/yaml", "text/yaml",
                                         NULL};

const char *wf_call_param(wf_call_t *call, const char *name)
{
    /* Walk the pattern's "{name}" segments in order. */
    const char *p = call->route->pattern;
    int i = 0;
    size_t nlen = strlen(name);
    while ((p = strchr(p, '{')) != NULL) {
        const char *close = strchr(p, '}');
        if (close == NULL)
            break;
        if ((size_t)(close - p - 1) == nlen && memcmp(p + 1, name, nlen) == 0)
            return i < call->n_params ? call->params[i] : NULL;
        i++;
        p = close + 1;
    }
    return NULL;
}

static void call_dispose(void *p)
{
    wf_call_t *call = p;
    if (call->body != NULL)
        json_decref(call->body);
    call->th->inflight--;
}

/* Refuses bodies the route does not take, before anything else runs. */
static bool check_body(wf_call_t *call)
{
    h2o_req_t *req = call->req;
    size_t len = req->entity.base != NULL ? req->entity.len : 0;
    if (len > call->th->gw->max_body) {
        wf_http_problem(req, WF_PROB_TOO_LARGE, NULL, "request body exceeds %zu bytes",
                        call->th->gw->max_body);
        return false;
    }
    switch (call->route->body) {
    case WF_BODY_NONE:
        if (len > 0) {
            wf_http_problem(req, WF_PROB_MEDIA_TYPE, NULL, "this endpoint takes no body");
            return false;
        }
        return true;
    case WF_BODY_ANY:
        return true;
    case WF_BODY_YAML:
        if (!wf_http_content_type_is(req, yaml_types)) {
            wf_http_problem(req, WF_PROB_MEDIA_TYPE, NULL,
                            "send the flow as application/x-yaml");
            return false;
        }
        return true;
    case WF_BODY_JSON: {
        if (len == 0)
            return true;
        if (!wf_http_content_type_is(req, json_types)) {
            wf_http_problem(req, WF_PROB_MEDIA_TYPE, NULL, "send the body as application/json");
            return false;
        }
        json_error_t err;
        call->body = json_loadb(req->entity.base, len, JSON_REJECT_DUPLICATES, &err);
        if (call->body == NULL) {
            wf_http_problem(req, WF_PROB_BAD_REQUEST, NULL, "malformed JSON at %d:%d: %s",
                            err.line, err.column, err.text);
            return false;
        }
        return true;
    }
    }
    return true;
}

void wf_call_start(h2o_req_t *req, wf_gw_thread_t *th, const wf_route_t *route,
                   const char **values, int n_values)
{
    wf_call_t *call = h2o_mem_alloc_shared(&req->pool, sizeof(*call), call_dispose);
    memset(call, 0, sizeof(*call));
    call->req = req;
    call->th = th;
    call->route = route;
    call->n_params = n_values;
    for (int i = 0; i < n_values; i++)
        call->params[i] = values[i];
    th->inflight++;

    if (!check_body(call))
        return;
    switch (route->auth) {
    case WF_ROUTE_PUBLIC:
    case WF_ROUTE_WEBHOOK:
        route->handler(call);
        return;
    case WF_ROUTE_BEARER:
        wf_http_problem(req, WF_PROB_UNAUTHENTICATED, NULL, "no verifier configured");
        return;
    }
}
