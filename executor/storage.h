/* The executor's internal storage: files of executions (task output files,
 * FILE inputs, files written by tasks) and of namespaces, addressed by
 * their storage path (flow/fileuri.h) and streamed in and out through file
 * descriptors in chunks of WF_XSTORAGE_CHUNK bytes, so that no file is ever
 * held whole in memory. docs/storage.md describes the design.
 *
 * This function set is the storage interface: the backend today is
 * PostgreSQL (storage_files and storage_chunks, migration 0016) on the
 * executor's connection ex->db, under the domain's role, so row-level
 * security hides every other domain's files whatever path is asked for.
 * An object store would implement the same operations with the same
 * contract (whole files only, a file visible only once complete, a
 * replacement atomic, sizes and SHA-256 recorded, the caller's domain
 * only); callers never see chunks or SQL.
 *
 * Every call waits (blocking PQexecPrepared, as executor/db.c): a put or
 * get of a large file blocks the executor's loop for its duration, which
 * storage.max_file_size bounds. Writers check the domain's storage quota
 * (policy maxStorage) and the database volume's high-water mark before
 * writing and refuse rather than fill the disk.
 *
 * Return values: 0 on success, or one of the negative codes below with a
 * message in `err` that can be shown to the flow's author as it is. */
#ifndef WF_EXECUTOR_STORAGE_H
#define WF_EXECUTOR_STORAGE_H

#include <stdint.h>

#include "executor/executor.h"
#include "flow/fileuri.h"

/* Bytes per chunk (storage_chunks.data holds at most 1 MiB). */
#define WF_XSTORAGE_CHUNK (1024 * 1024)

enum {
    WF_XSTORAGE_ERR = -1,      /* database, I/O, refused path or bad argument */
    WF_XSTORAGE_NOTFOUND = -2, /* no complete file there (or another domain's) */
    WF_XSTORAGE_TOOBIG = -3,   /* past storage.max_file_size or the caller's limit */
    WF_XSTORAGE_QUOTA = -4,    /* the domain's maxStorage, or the volume's mark */
    WF_XSTORAGE_CORRUPT = -5,  /* the content read back does not match its SHA-256 */
};

typedef enum {
    WF_XSTORAGE_EXECUTION = 0, /* storage_files.kind 'execution' */
    WF_XSTORAGE_NAMESPACE,     /* 'namespace' */
} wf_xstorage_kind_t;

/* Names one file. Borrowed strings; nothing here is kept after a call. */
typedef struct wf_xstorage_ref {
    wf_xstorage_kind_t kind;
    /* The dotted namespace owning the file. Required for namespace files
     * and to write an execution file; reading an execution file may leave
     * it NULL (its path alone names it). */
    const char *namespace_;
    /* The storage path ('/'-rooted, decoded; wf_fileuri_check_path rules:
     * calls refuse a path that breaks them). */
    const char *path;
    /* Execution files: the execution the file goes with (purged with it).
     * Required to write one; ignored otherwise. */
    const char *execution_id;
} wf_xstorage_ref_t;

/* What is known of a stored file. */
typedef struct wf_xstorage_stat {
    int64_t size;
    char sha256[65];        /* lower-case hex */
    char namespace_[256];   /* the owning namespace */
    char execution_id[128]; /* "" for namespace files */
    char content_type[128]; /* "" when not given */
    char updated_at[40];    /* ISO-8601 UTC */
} wf_xstorage_stat_t;

/* Optional details of a write (NULL: none). */
typedef struct wf_xstorage_meta {
    const char *content_type; /* e.g. "text/csv"; NULL: not recorded */
    const char *created_by;   /* e.g. "task:<taskRunId>"; NULL: the executor */
} wf_xstorage_meta_t;

/* Stores what `fd` holds from its current offset to its end as the file
 * `ref`, replacing any file at that path in the same transaction (readers
 * see the old file or the new, never a part). Reads WF_XSTORAGE_CHUNK bytes
 * at a time; refuses (WF_XSTORAGE_TOOBIG) past `max` bytes (0: the
 * storage.max_file_size key) and WF_XSTORAGE_QUOTA past the domain's quota.
 * `st` (may be NULL) receives the stored file's size and SHA-256. */
int wf_xstorage_put(wf_executor_t *ex, const wf_xstorage_ref_t *ref, int fd,
                    const wf_xstorage_meta_t *meta, wf_xstorage_stat_t *st, char *err,
                    size_t errlen);

/* Receives the content in order, one chunk at a time; returns 0, or -1 to
 * stop the read (the get then fails with WF_XSTORAGE_ERR and the sink's
 * message, if it wrote one to `err`). */
typedef int (*wf_xstorage_sink_t)(void *ud, const void *data, size_t len, char *err, size_t errlen);

/* Streams the file `ref` to `sink`, one chunk per query inside one
 * REPEATABLE READ transaction (a concurrent replacement is not seen half
 * way). Refuses a file larger than `max` (0: no limit beyond the stored
 * one) before reading any of it; checks the SHA-256 at the end
 * (WF_XSTORAGE_CORRUPT: the sink has then received bad bytes, which the
 * caller discards). `st` (may be NULL) receives the file's details. */
int wf_xstorage_read(wf_executor_t *ex, const wf_xstorage_ref_t *ref, int64_t max,
                     wf_xstorage_sink_t sink, void *ud, wf_xstorage_stat_t *st, char *err,
                     size_t errlen);

/* The same into `fd` (written fully, chunk by chunk, from its offset). */
int wf_xstorage_get(wf_executor_t *ex, const wf_xstorage_ref_t *ref, int fd, int64_t max,
                    wf_xstorage_stat_t *st, char *err, size_t errlen);

/* The details of the complete file `ref`: 0, or WF_XSTORAGE_NOTFOUND. */
int wf_xstorage_stat(wf_executor_t *ex, const wf_xstorage_ref_t *ref, wf_xstorage_stat_t *st,
                     char *err, size_t errlen);

/* 1 when the complete file `ref` exists, 0 when not, WF_XSTORAGE_ERR. */
int wf_xstorage_exists(wf_executor_t *ex, const wf_xstorage_ref_t *ref, char *err, size_t errlen);

/* Deletes the file `ref` and its content: 0, or WF_XSTORAGE_NOTFOUND. */
int wf_xstorage_delete(wf_executor_t *ex, const wf_xstorage_ref_t *ref, char *err, size_t errlen);

/* Called once per listed file, in path order; returns 0 to go on, -1 to
 * stop (the list then returns what it counted so far). */
typedef int (*wf_xstorage_list_cb)(void *ud, const char *path, const wf_xstorage_stat_t *st);

/* Lists the complete files of `kind` whose path starts with `prefix` ("/"
 * for all), in namespace `ns` (NULL: any namespace of the domain, which for
 * execution files is what the path prefix selects), at most `limit`
 * (1..100000). Returns how many were listed, or WF_XSTORAGE_ERR. */
int wf_xstorage_list(wf_executor_t *ex, wf_xstorage_kind_t kind, const char *ns, const char *prefix,
                     int limit, wf_xstorage_list_cb cb, void *ud, char *err, size_t errlen);

/* The bytes the domain uses as its storage quota (policy maxStorage)
 * counts them: stored files and log lines (migration 0017). -1 with `err`. */
int64_t wf_xstorage_used(wf_executor_t *ex, char *err, size_t errlen);

#endif
