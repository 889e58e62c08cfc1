#include "cli/verb.h"

#include <stdlib.h>

int weft_request_at(weft_t *w, const char *method, const char *path, const json_t *body,
                    weft_resp_t *r)
{
    char *full = weft_pathv(path, w->pos);
    int rc = weft_request(w, method, full, body, r);
    free(full);
    return rc;
}

int weft_get_print(weft_t *w, const char *path, const weft_view_t *v)
{
    weft_resp_t r;
    int rc = weft_request(w, "GET", path, NULL, &r);
    if (rc == 0)
        weft_print(w, r.json, v);
    weft_resp_dispose(&r);
    return rc;
}

int weft_get_run(const void *get, const char *prog, int argc, char **argv)
{
    const weft_get_t *g = get;
    weft_t w;
    int rc = weft_parse(&w, prog, &g->usage, NULL, NULL, NULL, argc, argv);
    weft_resp_t r = {0};
    if (rc == 0 && (rc = weft_request_at(&w, "GET", g->path, NULL, &r)) == 0)
        weft_print(&w, r.json, &g->view);
    weft_resp_dispose(&r);
    return weft_done(&w, rc);
}
