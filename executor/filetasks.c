/* The storage tasks and the file helpers of filetasks.h.
 *
 * Write, Concat, Split and Delete run inside the executor (no slot, no
 * sandbox): they only move bytes between the store and a temporary file, one
 * buffer at a time, so their memory does not grow with the files. Split reads
 * its source twice at most — once to find where the pieces end (offsets only),
 * once to copy each piece — so a row longer than memory is no problem. */
#include "executor/filetasks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "executor/files.h"
#include "executor/storage.h"
#include "executor/walk.h"
#include "flow/fileuri.h"
#include "platform/text.h"
#include "platform/xmalloc.h"

#define BUF_SIZE (256 * 1024)
#define MAX_PIECES 10000 /* Split: files one task may write */
#define MAX_SEPARATOR 16 /* Split / Concat: bytes of a separator */
#define MAX_CONCAT_FILES 10000

/* ---- helpers shared with http.c and pg.c -------------------------------------- */

int wf_xft_tmpfile(wf_executor_t *ex, char *err, size_t errlen)
{
    const char *dir = ex->work_root ? ex->work_root : "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    /* A file system without O_TMPFILE: a named file unlinked at once. */
    char path[512];
    int n = snprintf(path, sizeof(path), "%s/.weft-tmp-XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        snprintf(err, errlen, "temporary file: work directory path too long");
        return -1;
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file in %s: %s", dir, strerror(errno));
        return -1;
    }
    unlink(path);
    return fd;
}

bool wf_xft_is_uri(const char *s)
{
    return s != NULL && (wf_fileuri_is_storage(s) || wf_fileuri_is_nsfile(s));
}

int64_t wf_xft_max_file_size(wf_executor_t *ex)
{
    return ex->cfg->storage.max_file_size > 0 ? ex->cfg->storage.max_file_size : (int64_t)1 << 30;
}

int wf_xft_store_fd(wf_executor_t *ex, wf_trun_t *tr, const char *name, int fd,
                    const char *content_type, char **uri, int64_t *size, char *err, size_t errlen)
{
    wf_xexec_t *x = tr->exec;
    char path[WF_FILEURI_PATH_MAX + 1], msg[300], by[64];
    if (wf_fileuri_task_path(x->namespace_, x->flow_id, x->id, tr->task->id, tr->id, name, path,
                             sizeof(path), msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "output file '%.200s': %s", name, msg);
        return -1;
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        snprintf(err, errlen, "temporary file: %s", strerror(errno));
        return -1;
    }
    snprintf(by, sizeof(by), "task:%s", tr->id);
    wf_xstorage_ref_t ref = {WF_XSTORAGE_EXECUTION, x->namespace_, path, x->id};
    wf_xstorage_meta_t meta = {content_type, by};
    wf_xstorage_stat_t st;
    char why[500];
    if (wf_xstorage_put(ex, &ref, fd, &meta, &st, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "cannot store %.200s: %.400s", name, why);
        return -1;
    }
    char *u = malloc(WF_FILEURI_URI_MAX);
    if (u == NULL || wf_fileuri_from_path(path, u, WF_FILEURI_URI_MAX, msg, sizeof(msg)) != 0) {
        free(u);
        snprintf(err, errlen, "output file '%.200s': cannot build its URI", name);
        return -1;
    }
    *uri = u;
    if (size != NULL)
        *size = st.size;
    return 0;
}

/* `uri` resolved for the execution `x` with the execution-tree rule of
 * docs/storage.md (wf_xfiles_resolve: its own files and those of its
 * Subflow parents and children, namespace files of its namespace or a
 * parent; row-level security hides every other domain's). Returns 0, 1 when
 * there is no such file, -1 when refused or on error, with `err`. */
static int resolve(wf_executor_t *ex, wf_xexec_t *x, const char *uri, wf_xfiles_ref_t *fr,
                   char *err, size_t errlen)
{
    int rc = wf_xfiles_resolve(ex, x, uri, fr, err, errlen);
    return rc == 0 ? 0 : rc == WF_XSTORAGE_NOTFOUND ? 1 : -1;
}

int wf_xft_fetch(wf_executor_t *ex, wf_trun_t *tr, const char *uri, int fd, int64_t *size,
                 char *err, size_t errlen)
{
    if (!wf_xft_is_uri(uri)) {
        snprintf(err, errlen,
                 "'%.300s' is not an internal storage URI (weft:///..., kestra:///..., "
                 "nsfile://...)",
                 uri);
        return -1;
    }
    wf_xfiles_ref_t fr;
    char msg[500];
    int rc = resolve(ex, tr->exec, uri, &fr, err, errlen);
    if (rc != 0)
        return rc;
    wf_xstorage_stat_t st;
    rc = wf_xstorage_get(ex, &fr.ref, fd, 0, &st, msg, sizeof(msg));
    if (rc == WF_XSTORAGE_NOTFOUND) {
        snprintf(err, errlen, "file '%.400s' not found", uri);
        return 1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot read %.300s: %.300s", uri, msg);
        return -1;
    }
    if (size != NULL)
        *size = st.size;
    return 0;
}

/* Deletes the execution file `uri` for the execution `x`: 0, 1 when there
 * was no such file, -1 with `err` (refused, a namespace file, database). */
static int delete_uri(wf_executor_t *ex, wf_xexec_t *x, const char *uri, char *err, size_t errlen)
{
    if (!wf_fileuri_is_storage(uri)) {
        snprintf(err, errlen,
                 "'%.300s' is not an execution file (weft:///... or kestra:///...); namespace "
                 "files are managed through the API",
                 uri);
        return -1;
    }
    wf_xfiles_ref_t fr;
    char msg[500];
    int rc = resolve(ex, x, uri, &fr, err, errlen);
    if (rc != 0)
        return rc;
    rc = wf_xstorage_delete(ex, &fr.ref, msg, sizeof(msg));
    if (rc == WF_XSTORAGE_NOTFOUND)
        return 1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot delete %.300s: %.300s", uri, msg);
        return -1;
    }
    return 0;
}

/* ---- runner plumbing ------------------------------------------------------------ */

/* An integer property given as a number or as its text; 1 when present and
 * valid, 0 when absent, -1 when malformed. */
static int int_prop(json_t *props, const char *name, int64_t *out)
{
    json_t *v = json_object_get(props, name);
    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    if (!json_is_string(v))
        return -1;
    char *end;
    errno = 0;
    long long n = strtoll(json_string_value(v), &end, 10);
    if (errno != 0 || end == json_string_value(v) || *end != '\0')
        return -1;
    *out = n;
    return 1;
}

/* Kestra's data sizes: a number of bytes, or "200KB", "10MB", "1GB" (powers
 * of 1024, as Kestra reads them; KiB/MiB/GiB are taken too). */
static int size_prop(json_t *props, const char *name, int64_t *out)
{
    json_t *v = json_object_get(props, name);
    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (errno != 0 || end == s || n < 0)
        return -1;
    while (*end == ' ')
        end++;
    static const struct {
        const char *unit;
        int shift;
    } units[] = {{"", 0},     {"B", 0},    {"KB", 10}, {"MB", 20}, {"GB", 30}, {"KiB", 10},
                 {"MiB", 20}, {"GiB", 30}, {"kb", 10}, {"mb", 20}, {"gb", 30}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(end, units[i].unit) == 0) {
            if (n > (INT64_MAX >> units[i].shift))
                return -1;
            *out = (int64_t)n << units[i].shift;
            return 1;
        }
    return -1;
}

/* `extension` as Kestra takes it: ".csv" (a dot and up to 15 letters or
 * digits); `dflt` when absent. NULL when malformed. */
static const char *extension_of(json_t *props, const char *dflt)
{
    const char *e = wf_json_str(props, "extension");
    if (e == NULL || e[0] == '\0')
        return dflt;
    size_t n = strlen(e);
    if (e[0] != '.' || n < 2 || n > 16)
        return NULL;
    for (size_t i = 1; i < n; i++)
        if (!((e[i] >= 'a' && e[i] <= 'z') || (e[i] >= 'A' && e[i] <= 'Z') ||
              (e[i] >= '0' && e[i] <= '9') || e[i] == '_' || e[i] == '-'))
            return NULL;
    return e;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Stores `fd` as `name` and finishes the attempt with {uri} (and `extra`). */
static int store_and_finish(wf_executor_t *ex, wf_trun_t *tr, const char *name, int fd)
{
    char err[600], *uri = NULL;
    int64_t size = 0;
    int rc = wf_xft_store_fd(ex, tr, name, fd, NULL, &uri, &size, err, sizeof(err));
    close(fd);
    if (rc != 0)
        return wf_xtasks_fail(ex, tr, err);
    json_t *o = json_pack("{s:s}", "uri", uri);
    free(uri);
    return wf_xtasks_finish(ex, tr, WF_ST_SUCCESS, o, NULL);
}

/* ---- storage.Write -------------------------------------------------------------- */

int wf_xft_write(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[600];
    json_t *c = json_object_get(props, "content");
    if (c == NULL || json_is_null(c))
        return wf_xtasks_fail(ex, tr, "content is required");
    const char *ext = extension_of(props, ".ion");
    if (ext == NULL)
        return wf_xtasks_fail(ex, tr,
                              "extension must be a dot and 1 to 15 letters or digits (\".csv\")");
    /* A rendered value that is not text (a list, a map) is written as JSON. */
    char *owned = json_is_string(c) ? NULL : json_dumps(c, JSON_ENCODE_ANY | JSON_COMPACT);
    const char *text = owned ? owned : json_string_value(c);
    size_t len = owned ? strlen(owned) : json_string_length(c);
    if (text == NULL)
        return wf_xtasks_fail(ex, tr, "out of memory");
    int fd = wf_xft_tmpfile(ex, err, sizeof(err));
    if (fd < 0) {
        free(owned);
        return wf_xtasks_fail(ex, tr, err);
    }
    int wr = write_all(fd, text, len);
    free(owned);
    if (wr != 0) {
        snprintf(err, sizeof(err), "cannot write the temporary file: %s", strerror(errno));
        close(fd);
        return wf_xtasks_fail(ex, tr, err);
    }
    char name[64];
    snprintf(name, sizeof(name), "content%s", ext);
    return store_and_finish(ex, tr, name, fd);
}

/* ---- storage.Concat ------------------------------------------------------------- */

/* `files`: a list of URIs, or one string holding a JSON list (what an
 * expression such as {{ outputs.split.uris }} renders to). New reference. */
static json_t *uri_list(json_t *props, const char *name, char *err, size_t errlen)
{
    json_t *v = json_object_get(props, name);
    json_t *list = NULL;
    if (json_is_array(v))
        list = json_incref(v);
    else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (s[0] == '[')
            list = json_loads(s, 0, NULL);
        else
            list = json_pack("[s]", s);
    }
    if (!json_is_array(list)) {
        json_decref(list);
        snprintf(err, errlen, "%s must be a list of internal storage URIs", name);
        return NULL;
    }
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (!json_is_string(e) || !wf_xft_is_uri(json_string_value(e))) {
            snprintf(err, errlen,
                     "%s[%zu] is not an internal storage URI (weft:///..., kestra:///..., "
                     "nsfile://...)",
                     name, i);
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

int wf_xft_concat(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[700];
    json_t *files = uri_list(props, "files", err, sizeof(err));
    if (files == NULL)
        return wf_xtasks_fail(ex, tr, err);
    if (json_array_size(files) == 0 || json_array_size(files) > MAX_CONCAT_FILES) {
        json_decref(files);
        snprintf(err, sizeof(err), "files must list 1 to %d URIs", MAX_CONCAT_FILES);
        return wf_xtasks_fail(ex, tr, err);
    }
    const char *sep = wf_json_str(props, "separator");
    const char *ext = extension_of(props, ".tmp");
    if (ext == NULL) {
        json_decref(files);
        return wf_xtasks_fail(ex, tr,
                              "extension must be a dot and 1 to 15 letters or digits (\".csv\")");
    }
    int fd = wf_xft_tmpfile(ex, err, sizeof(err));
    if (fd < 0) {
        json_decref(files);
        return wf_xtasks_fail(ex, tr, err);
    }
    size_t i;
    json_t *e;
    json_array_foreach(files, i, e) {
        if (i > 0 && sep != NULL && write_all(fd, sep, strlen(sep)) != 0) {
            snprintf(err, sizeof(err), "cannot write the temporary file: %s", strerror(errno));
            goto bad;
        }
        char why[600];
        int rc = wf_xft_fetch(ex, tr, json_string_value(e), fd, NULL, why, sizeof(why));
        if (rc != 0) {
            snprintf(err, sizeof(err), "files[%zu]: %s", i, why);
            goto bad;
        }
    }
    json_decref(files);
    char name[64];
    snprintf(name, sizeof(name), "concat%s", ext);
    return store_and_finish(ex, tr, name, fd);
bad:
    json_decref(files);
    close(fd);
    return wf_xtasks_fail(ex, tr, err);
}

/* ---- storage.Split -------------------------------------------------------------- */

typedef enum { SPLIT_BYTES, SPLIT_ROWS, SPLIT_PARTITIONS } split_mode_t;

/* Reads `fd` from the start and calls `row_end(arg, offset)` after every
 * separator (and once at the end when the last row has no separator).
 * Returns the number of rows, or -1 on a read error. */
typedef void (*row_fn)(void *arg, int64_t end);

static int64_t scan_rows(int fd, const char *sep, size_t seplen, row_fn row_end, void *arg)
{
    char *buf = malloc(BUF_SIZE);
    if (buf == NULL)
        return -1;
    int64_t off = 0, rows = 0, last_end = 0;
    size_t matched = 0; /* bytes of `sep` matched so far */
    for (;;) {
        ssize_t n = pread(fd, buf, BUF_SIZE, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return -1;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            char c = buf[i];
            /* Separators are short: on a mismatch, fall back by re-checking
             * the shorter prefixes (enough for any separator up to 16 bytes). */
            while (matched > 0 && sep[matched] != c) {
                size_t k = matched - 1;
                while (k > 0 && memcmp(sep, sep + (matched - k), k) != 0)
                    k--;
                matched = k;
            }
            if (sep[matched] == c)
                matched++;
            if (matched == seplen) {
                matched = 0;
                rows++;
                last_end = off + i + 1;
                if (row_end)
                    row_end(arg, last_end);
            }
        }
        off += n;
    }
    free(buf);
    if (off > last_end) { /* a last row without a separator */
        rows++;
        if (row_end)
            row_end(arg, off);
    }
    return rows;
}

typedef struct split_plan {
    split_mode_t mode;
    int64_t limit;    /* bytes per piece, or rows per piece */
    int64_t start;    /* where the current piece starts */
    int64_t last_end; /* end of the last row seen */
    int64_t rows_in;  /* rows in the current piece */
    int64_t *cuts;    /* piece ends */
    size_t n_cuts;
    bool overflow;
} split_plan_t;

static void plan_cut(split_plan_t *p, int64_t at)
{
    if (p->n_cuts >= MAX_PIECES) {
        p->overflow = true;
        return;
    }
    p->cuts[p->n_cuts++] = at;
    p->start = at;
    p->rows_in = 0;
}

static void plan_row(void *arg, int64_t end)
{
    split_plan_t *p = arg;
    if (p->mode == SPLIT_BYTES) {
        /* A row that would take the piece past the limit starts the next
         * one (a row longer than the limit gets a piece of its own). */
        if (end - p->start > p->limit && p->last_end > p->start)
            plan_cut(p, p->last_end);
        p->last_end = end;
        return;
    }
    p->last_end = end;
    if (++p->rows_in >= p->limit)
        plan_cut(p, end);
}

/* Copies [from, to) of `src` into a new temporary file. */
static int copy_range(wf_executor_t *ex, int src, int64_t from, int64_t to, char *err,
                      size_t errlen)
{
    int fd = wf_xft_tmpfile(ex, err, errlen);
    if (fd < 0)
        return -1;
    char *buf = malloc(BUF_SIZE);
    if (buf == NULL) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    while (from < to) {
        size_t want = (size_t)(to - from < BUF_SIZE ? to - from : BUF_SIZE);
        ssize_t n = pread(src, buf, want, from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || write_all(fd, buf, (size_t)n) != 0) {
            snprintf(err, errlen, "cannot copy a piece: %s",
                     n == 0 ? "short read" : strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        from += n;
    }
    free(buf);
    return fd;
}

/* The extension of the last component of `uri` (".csv"), or "". */
static void uri_extension(const char *uri, char *out, size_t len)
{
    const char *slash = strrchr(uri, '/');
    const char *dot = strrchr(slash ? slash : uri, '.');
    out[0] = '\0';
    if (dot == NULL || strlen(dot) >= len || strlen(dot) < 2)
        return;
    for (const char *p = dot + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return;
    snprintf(out, len, "%s", dot);
}

int wf_xft_split(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[700];
    const char *from = wf_json_str(props, "from");
    if (from == NULL)
        return wf_xtasks_fail(ex, tr, "from is required");
    split_plan_t plan = {0};
    int64_t v = 0;
    int given = 0;
    int r;
    if ((r = size_prop(props, "bytes", &v)) != 0) {
        if (r < 0 || v < 1)
            return wf_xtasks_fail(ex, tr, "bytes must be a size such as 10MB, 200KB or 4096");
        plan.mode = SPLIT_BYTES;
        plan.limit = v;
        given++;
    }
    if ((r = int_prop(props, "rows", &v)) != 0) {
        if (r < 0 || v < 1)
            return wf_xtasks_fail(ex, tr, "rows must be a whole number of at least 1");
        plan.mode = SPLIT_ROWS;
        plan.limit = v;
        given++;
    }
    int64_t partitions = 0;
    if ((r = int_prop(props, "partitions", &partitions)) != 0) {
        if (r < 0 || partitions < 1 || partitions > MAX_PIECES)
            return wf_xtasks_fail(ex, tr, "partitions must be a whole number from 1 to 10000");
        plan.mode = SPLIT_PARTITIONS;
        given++;
    }
    if (given != 1)
        return wf_xtasks_fail(ex, tr, "give exactly one of bytes, rows or partitions");
    if (json_object_get(props, "regexPattern") != NULL)
        return wf_xtasks_fail(ex, tr,
                              "regexPattern is not supported: split by bytes, rows or partitions");
    const char *sep = wf_json_str(props, "separator");
    if (sep == NULL)
        sep = "\n";
    size_t seplen = strlen(sep);
    if (seplen == 0 || seplen > MAX_SEPARATOR)
        return wf_xtasks_fail(ex, tr, "separator must be 1 to 16 bytes");
    int src = wf_xft_tmpfile(ex, err, sizeof(err));
    if (src < 0)
        return wf_xtasks_fail(ex, tr, err);
    if (wf_xft_fetch(ex, tr, from, src, NULL, err, sizeof(err)) != 0) {
        close(src);
        return wf_xtasks_fail(ex, tr, err);
    }
    if (plan.mode == SPLIT_PARTITIONS) {
        /* Contiguous pieces of equal row counts (the last may be shorter),
         * so that Concat puts the file back together. */
        int64_t rows = scan_rows(src, sep, seplen, NULL, NULL);
        if (rows < 0) {
            close(src);
            return wf_xtasks_fail(ex, tr, "cannot read the source file");
        }
        plan.mode = SPLIT_ROWS;
        plan.limit = rows == 0 ? 1 : (rows + partitions - 1) / partitions;
    }
    plan.cuts = malloc(MAX_PIECES * sizeof(*plan.cuts));
    if (plan.cuts == NULL) {
        close(src);
        return wf_xtasks_fail(ex, tr, "out of memory");
    }
    int64_t rows = scan_rows(src, sep, seplen, plan_row, &plan);
    struct stat st;
    if (rows < 0 || fstat(src, &st) != 0) {
        free(plan.cuts);
        close(src);
        return wf_xtasks_fail(ex, tr, "cannot read the source file");
    }
    if (plan.start < st.st_size)
        plan_cut(&plan, st.st_size);
    if (plan.overflow) {
        free(plan.cuts);
        close(src);
        snprintf(err, sizeof(err), "the split would write more than %d files", MAX_PIECES);
        return wf_xtasks_fail(ex, tr, err);
    }
    char ext[20];
    uri_extension(from, ext, sizeof(ext));
    json_t *uris = json_array();
    int64_t at = 0;
    for (size_t i = 0; i < plan.n_cuts; i++) {
        int fd = copy_range(ex, src, at, plan.cuts[i], err, sizeof(err));
        if (fd < 0)
            goto bad;
        char name[64], *uri = NULL;
        snprintf(name, sizeof(name), "split-%05zu%s", i, ext);
        int rc = wf_xft_store_fd(ex, tr, name, fd, NULL, &uri, NULL, err, sizeof(err));
        close(fd);
        if (rc != 0)
            goto bad;
        json_array_append_new(uris, json_string(uri));
        free(uri);
        at = plan.cuts[i];
    }
    free(plan.cuts);
    close(src);
    return wf_xtasks_finish(ex, tr, WF_ST_SUCCESS, json_pack("{s:o}", "uris", uris), NULL);
bad:
    json_decref(uris);
    free(plan.cuts);
    close(src);
    return wf_xtasks_fail(ex, tr, err);
}

/* ---- storage.Delete ------------------------------------------------------------- */

int wf_xft_delete(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[700];
    const char *uri = wf_json_str(props, "uri");
    if (uri == NULL)
        return wf_xtasks_fail(ex, tr, "uri is required");
    int rc = delete_uri(ex, tr->exec, uri, err, sizeof(err));
    if (rc < 0)
        return wf_xtasks_fail(ex, tr, err);
    bool deleted = rc == 0;
    if (!deleted && wf_xtasks_bool_prop(props, "errorOnMissing", false))
        return wf_xtasks_fail(ex, tr, err); /* resolve's "file '…' not found" */
    return wf_xtasks_finish(ex, tr, WF_ST_SUCCESS,
                            json_pack("{s:s,s:b}", "uri", uri, "deleted", deleted), NULL);
}

/* ---- storage.LocalFiles ------------------------------------------------------------ */

/* The WorkingDirectory's folder is written by the tasks run in it (as an
 * unprivileged user) and here by the executor, which has every right on
 * the host: every path is walked one component at a time below the folder
 * with O_NOFOLLOW, so a symbolic link a task left (to /etc, to another
 * execution's folder) is refused rather than followed, and a name already
 * there is unlinked (removing the link, never touching what it points to)
 * before the file is created anew with O_EXCL. */

/* The directory `name` below `dfd`, made when missing (writable by the
 * tasks, as the folder itself). -1 with errno. */
static int subdir_at(int dfd, const char *name)
{
    bool made = mkdirat(dfd, name, 0755) == 0;
    if (!made && errno != EEXIST)
        return -1;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && made)
        fchmod(fd, 01777);
    return fd;
}

/* Places `name` (a relative path, checked) below the folder `root`: the
 * content of the file `uri`, or `text`. */
static int place_input(wf_executor_t *ex, wf_trun_t *tr, int root, const char *name,
                       const char *uri, const char *text, size_t len, char *err, size_t errlen)
{
    char msg[300];
    if (wf_fileuri_check_name(name, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "inputs '%.100s': %s", name, msg);
        return -1;
    }
    char *copy = wf_xstrdup(name), *comp = copy, *slash;
    int dfd = dup(root), rc = -1;
    while (dfd >= 0 && (slash = strchr(comp, '/')) != NULL) {
        *slash = '\0';
        int next = subdir_at(dfd, comp);
        close(dfd);
        dfd = next;
        comp = slash + 1;
    }
    if (dfd < 0) {
        snprintf(err, errlen, "inputs '%.100s': cannot make its folder: %s", name,
                 errno == ELOOP || errno == ENOTDIR ? "a path component is not a folder"
                                                    : strerror(errno));
        goto out;
    }
    if (unlinkat(dfd, comp, 0) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "inputs '%.100s': cannot replace what is there: %s", name,
                 strerror(errno));
        goto out;
    }
    int fd = openat(dfd, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "inputs '%.100s': %s", name, strerror(errno));
        goto out;
    }
    /* Readable and writable by the tasks of the folder (another user). */
    fchmod(fd, 0666);
    char why[600];
    int wr = uri != NULL ? (wf_xft_fetch(ex, tr, uri, fd, NULL, why, sizeof(why)) == 0 ? 0 : -1)
                         : write_all(fd, text, len);
    if (wr != 0 && uri == NULL)
        snprintf(why, sizeof(why), "%s", strerror(errno));
    close(fd);
    if (wr != 0) {
        unlinkat(dfd, comp, 0); /* no half-placed file */
        snprintf(err, errlen, "inputs '%.100s': %s", name, why);
        goto out;
    }
    rc = 0;
out:
    if (dfd >= 0)
        close(dfd);
    free(copy);
    return rc;
}

int wf_xft_local_files(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[800];
    const char *wd = wf_xtasks_working_dir(ex, tr, err, sizeof(err));
    if (wd == NULL)
        return wf_xtasks_fail(ex, tr, err);
    json_t *inputs = json_object_get(props, "inputs");
    if (inputs != NULL && !json_is_null(inputs) && !json_is_object(inputs))
        return wf_xtasks_fail(ex, tr,
                              "inputs must be a map of file names to contents or file URIs");
    if (json_object_size(inputs) > 0) {
        int root = open(wd, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (root < 0) {
            snprintf(err, sizeof(err), "cannot open the working directory: %s", strerror(errno));
            return wf_xtasks_fail(ex, tr, err);
        }
        const char *name;
        json_t *v;
        json_object_foreach(inputs, name, v) {
            const char *s = json_is_string(v) ? json_string_value(v) : NULL;
            char *owned = s ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            int rc =
                place_input(ex, tr, root, name, s && wf_xft_is_uri(s) ? s : NULL, s ? s : owned,
                            s       ? json_string_length(v)
                            : owned ? strlen(owned)
                                    : 0,
                            err, sizeof(err));
            free(owned);
            if (rc != 0) {
                close(root);
                return wf_xtasks_fail(ex, tr, err);
            }
        }
        close(root);
    }
    json_t *outputs = json_object_get(props, "outputs"), *patterns = NULL, *files = NULL;
    if (json_is_string(outputs))
        patterns = json_pack("[O]", outputs);
    else if (json_is_array(outputs))
        patterns = json_incref(outputs);
    if (patterns != NULL && json_array_size(patterns) > 0 &&
        wf_xfiles_collect(ex, tr, wd, NULL, patterns, &files, err, sizeof(err)) != 0) {
        json_decref(patterns);
        return wf_xtasks_fail(ex, tr, err);
    }
    json_decref(patterns);
    return wf_xtasks_finish(ex, tr, WF_ST_SUCCESS,
                            json_pack("{s:o}", "outputFiles", files ? files : json_object()), NULL);
}
