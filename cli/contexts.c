#include "cli/contexts.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/xmalloc.h"
#include "platform/yaml.h"

static void free_secret(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static char *config_path(void)
{
    const char *env = getenv("WEFT_CONFIG");
    if (env != NULL && env[0] != '\0')
        return wf_xstrdup(env);
    const char *dir = getenv("WEFT_CONFIG_DIR");
    if (dir != NULL && dir[0] != '\0')
        return wf_xasprintf("%s/config.yaml", dir);
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg != NULL && xdg[0] == '/')
        return wf_xasprintf("%s/weft/config.yaml", xdg);
    return wf_xasprintf("%s/.config/weft/config.yaml", getenv("HOME") ? getenv("HOME") : ".");
}

void weft_config_dispose(weft_config_t *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->items[i].name);
        free(c->items[i].url);
        free_secret(c->items[i].token);
    }
    free(c->items);
    free(c->current);
    free(c->path);
    memset(c, 0, sizeof(*c));
}

weft_context_t *weft_config_find(weft_config_t *c, const char *name)
{
    for (size_t i = 0; i < c->count; i++)
        if (strcmp(c->items[i].name, name) == 0)
            return &c->items[i];
    return NULL;
}

void weft_config_put(weft_config_t *c, const char *name, const char *url, const char *token)
{
    weft_context_t *x = weft_config_find(c, name);
    if (x == NULL) {
        c->items = wf_xreallocarray(c->items, c->count + 1, sizeof(*c->items));
        x = &c->items[c->count++];
        x->name = wf_xstrdup(name);
    } else {
        free(x->url);
        free_secret(x->token);
    }
    x->url = wf_xstrdup(url);
    x->token = wf_xstrdup(token);
}

int weft_config_remove(weft_config_t *c, const char *name)
{
    weft_context_t *x = weft_config_find(c, name);
    if (x == NULL)
        return -1;
    free(x->name);
    free(x->url);
    free_secret(x->token);
    size_t i = (size_t)(x - c->items);
    memmove(x, x + 1, (c->count - i - 1) * sizeof(*x));
    c->count--;
    if (c->current != NULL && strcmp(c->current, name) == 0) {
        free(c->current);
        c->current = NULL;
    }
    return 0;
}

/* Reads a string scalar member; reports a positioned error when it is not one. */
static int read_str(const wf_yaml_node_t *map, const char *key, char **out, wf_diags_t *d,
                    const char *path)
{
    const wf_yaml_node_t *n = wf_yaml_get(map, key);
    if (n == NULL || wf_yaml_is_null(n))
        return 0;
    if (n->kind != WF_YAML_SCALAR || strlen(n->value) != n->len) {
        wf_diags_add(d, n->line, n->col, path, "expected a string");
        return -1;
    }
    *out = wf_xstrdup(n->value);
    return 0;
}

static int parse_config(weft_config_t *c, const char *text, size_t len, wf_diags_t *d)
{
    wf_yaml_node_t *root = wf_yaml_load(text, len, d);
    int rc = -1;
    if (root == NULL || d->count > 0)
        goto out;
    if (root->kind != WF_YAML_MAP) {
        wf_diags_add(d, root->line, root->col, "", "expected a map");
        goto out;
    }
    if (read_str(root, "current-context", &c->current, d, "current-context") != 0)
        goto out;
    const wf_yaml_node_t *list = wf_yaml_get(root, "contexts");
    if (list != NULL && !wf_yaml_is_null(list)) {
        if (list->kind != WF_YAML_SEQ) {
            wf_diags_add(d, list->line, list->col, "contexts", "expected a list");
            goto out;
        }
        for (size_t i = 0; i < list->count; i++) {
            const wf_yaml_node_t *it = list->items[i];
            char path[64];
            snprintf(path, sizeof(path), "contexts[%zu]", i);
            if (it->kind != WF_YAML_MAP) {
                wf_diags_add(d, it->line, it->col, path, "expected a map");
                goto out;
            }
            weft_context_t x = {0};
            if (read_str(it, "name", &x.name, d, path) != 0 ||
                read_str(it, "url", &x.url, d, path) != 0 ||
                read_str(it, "token", &x.token, d, path) != 0 || x.name == NULL || x.url == NULL) {
                if (d->count == 0)
                    wf_diags_add(d, it->line, it->col, path, "a context needs a name and a url");
                free(x.name);
                free(x.url);
                free_secret(x.token);
                goto out;
            }
            weft_config_put(c, x.name, x.url, x.token ? x.token : "");
            free(x.name);
            free(x.url);
            free_secret(x.token);
        }
    }
    rc = 0;
out:
    wf_yaml_free(root);
    return rc;
}

int weft_config_load(const weft_t *w, weft_config_t *c)
{
    memset(c, 0, sizeof(*c));
    c->path = config_path();
    FILE *f = fopen(c->path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        weft_err(w, "cannot read %s: %s", c->path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
        weft_warn(w, "%s holds tokens but others may read it (mode %03o): chmod 600 it", c->path,
                  (unsigned)(st.st_mode & 0777));
    char *text = NULL;
    size_t len = 0, cap = 0;
    char buf[4096];
    size_t n;
    bool nomem = false;
    while (!nomem && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (len + n + 1 > cap) {
            /* The file's size, not ours: no memory is an error for it. */
            cap = (len + n + 1) * 2;
            char *more = realloc(text, cap);
            nomem = more == NULL;
            if (nomem)
                break;
            text = more;
        }
        memcpy(text + len, buf, n);
        len += n;
    }
    fclose(f);
    OPENSSL_cleanse(buf, sizeof(buf));
    if (nomem) {
        weft_err(w, "cannot read %s: %s", c->path, strerror(ENOMEM));
        if (text != NULL)
            OPENSSL_cleanse(text, len);
        free(text);
        return -1;
    }
    wf_diags_t d;
    wf_diags_init(&d, c->path);
    int rc = parse_config(c, text ? text : "", len, &d);
    if (rc != 0) {
        wf_diags_print(&d, stderr);
        weft_err(w, "the config file %s is invalid; fix or remove it", c->path);
    }
    wf_diags_dispose(&d);
    if (text != NULL) {
        OPENSSL_cleanse(text, len);
        free(text);
    }
    return rc;
}

/* Writes `s` as a YAML double-quoted scalar: safe for any text. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(f, "\\x%02x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* mkdir -p with mode 0700 for the directories we create. */
static int make_dirs(char *dir)
{
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int r = mkdir(dir, 0700);
        *p = '/';
        if (r != 0 && errno != EEXIST)
            return -1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int weft_config_save(const weft_t *w, const weft_config_t *c)
{
    int rc = -1, fd = -1;
    FILE *f = NULL;
    char *tmp = NULL, *dir = wf_xstrdup(c->path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (make_dirs(dir) != 0) {
            weft_err(w, "cannot create %s: %s", dir, strerror(errno));
            goto out;
        }
    }
    tmp = wf_xasprintf("%s.tmp.%ld", c->path, (long)getpid());
    /* O_EXCL with 0600 from the start: the token is never readable by others,
     * not even for the moment between create and chmod. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        weft_err(w, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    f = fdopen(fd, "w");
    if (f == NULL)
        goto out;
    fd = -1;
    fprintf(f, "# weft client contexts; holds tokens: keep it mode 0600\n");
    if (c->current != NULL) {
        fprintf(f, "current-context: ");
        put_quoted(f, c->current);
        fputc('\n', f);
    }
    fprintf(f, "contexts:%s\n", c->count == 0 ? " []" : "");
    for (size_t i = 0; i < c->count; i++) {
        fprintf(f, "  - name: ");
        put_quoted(f, c->items[i].name);
        fprintf(f, "\n    url: ");
        put_quoted(f, c->items[i].url);
        fprintf(f, "\n    token: ");
        put_quoted(f, c->items[i].token);
        fputc('\n', f);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        weft_err(w, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fclose(f) != 0) {
        f = NULL;
        weft_err(w, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    f = NULL;
    if (rename(tmp, c->path) != 0) {
        weft_err(w, "cannot replace %s: %s", c->path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (f != NULL)
        fclose(f);
    if (fd >= 0)
        close(fd);
    if (rc != 0 && tmp != NULL)
        unlink(tmp);
    free(tmp);
    free(dir);
    return rc;
}
