/* Authenticated callers; see principal.h. */
#include "auth/principal.h"

#include <stdlib.h>
#include <string.h>

void wf_principal_init(wf_principal_t *p)
{
    memset(p, 0, sizeof(*p));
}

void wf_principal_dispose(wf_principal_t *p)
{
    for (size_t i = 0; i < p->n_groups; i++)
        free(p->groups[i]);
    free(p->groups);
    free(p->subject);
    free(p->issuer);
    memset(p, 0, sizeof(*p));
}

int wf_principal_set(wf_principal_t *p, const char *subject, const char *issuer,
                     int64_t expires_at)
{
    char *s = strdup(subject), *i = strdup(issuer);
    if (s == NULL || i == NULL) {
        free(s);
        free(i);
        return -1;
    }
    free(p->subject);
    free(p->issuer);
    p->subject = s;
    p->issuer = i;
    p->expires_at = expires_at;
    return 0;
}

int wf_principal_add_group(wf_principal_t *p, const char *group)
{
    if (p->n_groups >= WF_PRINCIPAL_MAX_GROUPS)
        return -1;
    char **g = realloc(p->groups, (p->n_groups + 1) * sizeof(*g));
    if (g == NULL)
        return -1;
    p->groups = g;
    if ((g[p->n_groups] = strdup(group)) == NULL)
        return -1;
    p->n_groups++;
    return 0;
}

int wf_principal_copy(wf_principal_t *dst, const wf_principal_t *src)
{
    wf_principal_init(dst);
    if (src->subject != NULL &&
        wf_principal_set(dst, src->subject, src->issuer ? src->issuer : "", src->expires_at) < 0)
        goto fail;
    for (size_t i = 0; i < src->n_groups; i++)
        if (wf_principal_add_group(dst, src->groups[i]) < 0)
            goto fail;
    return 0;
fail:
    wf_principal_dispose(dst);
    return -1;
}
