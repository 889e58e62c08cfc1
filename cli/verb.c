#include "cli/verb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int weft_verb_run(const void *verbs, const char *prog, int argc, char **argv)
{
    const weft_verb_t *v = verbs;
    while (v->prog != NULL && strcmp(v->prog, prog) != 0)
        v++;
    if (v->prog == NULL) { /* a command row names a verb the table lacks */
        fprintf(stderr, "%s: no such verb in the table\n", prog);
        abort();
    }
    weft_t w;
    int rc = weft_parse(&w, prog, &v->usage, NULL, NULL, NULL, argc, argv);
    weft_resp_t r = {0};
    if (rc == 0 && (rc = weft_request_at(&w, v->method ? v->method : "GET", v->path, NULL, &r)) == 0) {
        if (v->done != NULL)
            v->done(&w, r.json);
        else
            weft_print(&w, r.json, &v->view);
    }
    weft_resp_dispose(&r);
    return weft_done(&w, rc);
}
