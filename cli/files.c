#include "cli/files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "platform/xmalloc.h"

/* Folders deeper than this are not entered (a link loop ends here). */
#define MAX_DEPTH 32

static void paths_add(weft_paths_t *p, char *path)
{
    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->items = wf_xreallocarray(p->items, p->cap, sizeof(*p->items));
    }
    p->items[p->count++] = path;
}

void weft_paths_dispose(weft_paths_t *p)
{
    for (size_t i = 0; i < p->count; i++)
        free(p->items[i]);
    free(p->items);
    memset(p, 0, sizeof(*p));
}

static bool flow_file_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
                              (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the flow files below `dir`, depth first in name order. A link to
 * nowhere named like a flow file is kept: reading it reports the problem,
 * where skipping it would let `apply --prune` delete that flow. */
static void collect(weft_paths_t *out, const char *dir, int depth)
{
    DIR *d = depth < MAX_DEPTH ? opendir(dir) : NULL;
    if (d == NULL)
        return;
    weft_paths_t here = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            paths_add(&here, wf_xasprintf("%s/%s", dir, e->d_name));
    closedir(d);
    qsort(here.items, here.count, sizeof(*here.items), by_name);
    for (size_t i = 0; i < here.count; i++) {
        if (is_dir(here.items[i])) {
            /* A _files/ folder holds namespace files, not flows
             * (cli/nsfile_sync.c): a .yaml there is data. */
            if (strcmp(strrchr(here.items[i], '/') + 1, "_files") != 0)
                collect(out, here.items[i], depth + 1);
        } else if (flow_file_name(strrchr(here.items[i], '/') + 1)) {
            paths_add(out, here.items[i]);
            here.items[i] = NULL;
        }
    }
    weft_paths_dispose(&here);
}

bool weft_flow_files(weft_paths_t *p, const char *arg)
{
    if (!is_dir(arg)) {
        paths_add(p, wf_xstrdup(arg));
        return false;
    }
    collect(p, arg, 0);
    return true;
}

int weft_read_file(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    char chunk[8192];
    int err = 0;
    while (err == 0 && (got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (n + got + 1 > cap) {
            /* The file's size, not ours: no memory is an error for it. */
            cap = (n + got + 1) * 2;
            char *more = realloc(buf, cap);
            if (more == NULL) {
                err = ENOMEM;
                break;
            }
            buf = more;
        }
        memcpy(buf + n, chunk, got);
        n += got;
    }
    if (err == 0 && ferror(f))
        err = errno ? errno : EIO;
    fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return -1;
    }
    if (buf == NULL)
        buf = wf_xstrdup("");
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}
