#include "cli/verb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/xmalloc.h"

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

int weft_verb_run(const void *verb, const char *prog, int argc, char **argv)
{
    const weft_verb_t *v = verb;
    weft_t w;
    void *opts = wf_xcalloc(1, v->opts_size ? v->opts_size : 1);
    weft_resp_t r = {0};
    int rc = weft_parse(&w, prog, &v->usage, v->opts,
                        v->opts ? (v->opt_fn ? v->opt_fn : weft_opt_set) : NULL,
                        v->opts ? opts : NULL, argc, argv);
    if (rc != 0)
        goto out;
    if (v->run != NULL) {
        rc = v->run(&w, opts);
    } else if ((rc = weft_request_at(&w, v->method ? v->method : "GET", v->path, NULL, &r)) == 0) {
        if (v->done != NULL)
            v->done(&w, r.json);
        else
            weft_print(&w, r.json, &v->view);
    }
out:
    weft_resp_dispose(&r);
    free(opts);
    return weft_done(&w, rc);
}

int weft_simple_run(const void *verbs, const char *prog, int argc, char **argv)
{
    const weft_verb_t *v = verbs;
    while (v->prog != NULL && strcmp(v->prog, prog) != 0)
        v++;
    if (v->prog == NULL) { /* a command row names a verb the table lacks */
        fprintf(stderr, "%s: no such verb in the table\n", prog);
        abort();
    }
    return weft_verb_run(v, prog, argc, argv);
}
