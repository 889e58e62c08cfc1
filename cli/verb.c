#include "cli/verb.h"

#include <stdlib.h>

#include "cli/client.h"

int weft_get_print(weft_t *w, const char *path, const weft_view_t *v)
{
    weft_resp_t r;
    int rc = weft_request(w, "GET", path, NULL, &r);
    if (rc == 0)
        weft_print(w, r.json, v);
    weft_resp_dispose(&r);
    return rc;
}

int weft_get_verb(int argc, char **argv, const char *prog, const weft_usage_t *u,
                  const char *path, const weft_view_t *v)
{
    weft_t w;
    int rc = weft_parse(&w, prog, u, NULL, NULL, NULL, argc, argv);
    if (rc == 0) {
        char *full = weft_pathv(path, w.pos);
        rc = weft_get_print(&w, full, v);
        free(full);
    }
    return weft_done(&w, rc);
}
