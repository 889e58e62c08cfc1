/* Test helper: the executor's storage interface (executor/storage.h) run
 * from the command line as domain DOMAIN's executor (its role, its
 * row-level security), so that shell tests can store, read and attack
 * files through the real code and a real database.
 *
 *   storage_tool DOMAIN put KIND NS EXEC PATH FILE   (FILE '-' = stdin)
 *   storage_tool DOMAIN get KIND NS PATH FILE [MAX]  (NS '-' = none)
 *   storage_tool DOMAIN stat|exists|delete KIND NS PATH
 *   storage_tool DOMAIN list KIND NS PREFIX
 *
 * KIND is execution or namespace. Prints the result on stdout; exits 0 on
 * success, 3 not found, 4 too big, 5 quota, 6 corrupt, 1 other errors
 * (the message on stderr). WEFT_DATABASE_URL is the superuser's URL, as
 * for `weftd executor`; WEFT_STORAGE_MAX sets storage.max_file_size. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "executor/storage.h"

static int code(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case WF_XSTORAGE_NOTFOUND:
        return 3;
    case WF_XSTORAGE_TOOBIG:
        return 4;
    case WF_XSTORAGE_QUOTA:
        return 5;
    case WF_XSTORAGE_CORRUPT:
        return 6;
    default:
        return 1;
    }
}

static int print_one(void *ud, const char *path, const wf_xstorage_stat_t *st)
{
    (void)ud;
    printf("%s %" PRId64 " %s\n", path, st->size, st->sha256);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: see tests/integration/storage_tool.c\n");
        return 2;
    }
    static wf_config_t cfg;
    wf_config_defaults(&cfg);
    if (getenv("WEFT_STORAGE_MAX"))
        cfg.storage.max_file_size = strtoll(getenv("WEFT_STORAGE_MAX"), NULL, 10);
    static wf_executor_t ex;
    ex.cfg = &cfg;
    snprintf(ex.domain, sizeof(ex.domain), "%s", argv[1]);
    const char *url = getenv("WEFT_DATABASE_URL");
    char err[1024] = "";
    if (url == NULL || wf_xdb_open(&ex, url, err, sizeof(err)) != 0) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    const char *op = argv[2];
    wf_xstorage_kind_t kind =
        strcmp(argv[3], "namespace") == 0 ? WF_XSTORAGE_NAMESPACE : WF_XSTORAGE_EXECUTION;
    const char *ns = strcmp(argv[4], "-") == 0 ? NULL : argv[4];
    wf_xstorage_ref_t ref = {.kind = kind, .namespace_ = ns, .path = argv[5]};
    wf_xstorage_stat_t st;
    int rc = WF_XSTORAGE_ERR;
    if (strcmp(op, "put") == 0 && argc == 8) {
        ref.execution_id = argv[5];
        ref.path = argv[6];
        int fd = strcmp(argv[7], "-") == 0 ? 0 : open(argv[7], O_RDONLY);
        if (fd < 0) {
            perror(argv[7]);
            return 1;
        }
        rc = wf_xstorage_put(&ex, &ref, fd, NULL, &st, err, sizeof(err));
        if (rc == 0)
            printf("%" PRId64 " %s\n", st.size, st.sha256);
    } else if (strcmp(op, "get") == 0 && argc >= 7) {
        int fd = open(argv[6], O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) {
            perror(argv[6]);
            return 1;
        }
        rc = wf_xstorage_get(&ex, &ref, fd, argc > 7 ? atoll(argv[7]) : 0, &st, err, sizeof(err));
        close(fd);
        if (rc == 0)
            printf("%" PRId64 " %s\n", st.size, st.sha256);
    } else if (strcmp(op, "stat") == 0) {
        rc = wf_xstorage_stat(&ex, &ref, &st, err, sizeof(err));
        if (rc == 0)
            printf("%" PRId64 " %s %s %s\n", st.size, st.sha256, st.namespace_,
                   st.execution_id[0] ? st.execution_id : "-");
    } else if (strcmp(op, "exists") == 0) {
        rc = wf_xstorage_exists(&ex, &ref, err, sizeof(err));
        if (rc >= 0) {
            printf("%s\n", rc ? "yes" : "no");
            rc = 0;
        }
    } else if (strcmp(op, "delete") == 0) {
        rc = wf_xstorage_delete(&ex, &ref, err, sizeof(err));
    } else if (strcmp(op, "list") == 0) {
        rc = wf_xstorage_list(&ex, kind, ns, argv[5], 1000, print_one, NULL, err, sizeof(err));
        if (rc >= 0)
            rc = 0;
    } else {
        fprintf(stderr, "unknown operation %s\n", op);
        return 2;
    }
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    wf_xdb_close(&ex);
    return code(rc);
}
