/* The embedded PostgreSQL of `weftd up`: a private cluster under the data
 * dir, reachable only on a Unix socket in a 0700 directory, run as an
 * unprivileged user (a `weft` system user is created when started as root).
 * Every connection authenticates with SCRAM: the superuser's and the domain
 * roles' passwords are random, generated here and kept in a pgpass file
 * (DATA_DIR/secrets/pgpass, 0600 in a 0700 directory) that the cluster's URL
 * names, so nothing that merely reaches the socket gets in.
 * The one-shot commands start it for their own duration when no database URL
 * is configured (wf_pgcluster_connect). */
#ifndef WF_PGCLUSTER_H
#define WF_PGCLUSTER_H

#include <stddef.h>
#include <sys/types.h>
#include <libpq-fe.h>

#include "platform/config.h"

typedef struct wf_pgcluster {
    char *data_dir; /* DATA_DIR (absolute) */
    char *pg_dir;   /* cluster directory (DATA_DIR/pg or a fallback, see .c) */
    char *sock_dir; /* socket directory, 0700 */
    char *url;      /* libpq URL of the `weft` database as the cluster superuser */
    char *pass_path; /* DATA_DIR/secrets/pgpass: the roles' passwords, 0600 */
    uid_t uid;      /* user the server runs as */
    gid_t gid;
    pid_t pid; /* postmaster, 0 when not running */
    int port;  /* names the socket file only: no TCP listener */
} wf_pgcluster_t;

/* Resolves paths and the server user; creates directories. Returns 0 or -1. */
int wf_pgcluster_init(wf_pgcluster_t *pg, const char *data_dir, char *err, size_t errlen);
/* True when the cluster has been initialised (initdb done). */
int wf_pgcluster_exists(const wf_pgcluster_t *pg);
/* initdb when needed, clears stale lock files of a killed run, makes sure
 * the cluster asks every connection for a password (a cluster initialised
 * before that, trusting its socket, is converted: the superuser gets a
 * password in single-user mode and pg_hba.conf is rewritten before the
 * server listens), starts the postmaster as a child (it gets SIGINT if this
 * process dies), waits until it accepts connections and creates the `weft`
 * database. `initialised` is set when this call ran initdb. Returns 0 or -1. */
int wf_pgcluster_start(wf_pgcluster_t *pg, int *initialised, char *err, size_t errlen);
/* Fast shutdown, escalating to immediate then SIGKILL past `timeout_ms`. */
int wf_pgcluster_stop(wf_pgcluster_t *pg, int timeout_ms);
/* Called when the postmaster (pg->pid) was reaped by the caller. */
void wf_pgcluster_exited(wf_pgcluster_t *pg);
void wf_pgcluster_dispose(wf_pgcluster_t *pg);

/* The database of a one-shot command (migrate, keygen, audit verify): `url`
 * when given, else the configured one (database.url, WEFT_DATABASE_URL), else
 * the embedded cluster under cfg->data_dir, started into `pg` for the
 * command's duration. Returns the connection (`app` names it in
 * pg_stat_activity), or NULL with `err` set; either way the caller ends with
 * wf_pgcluster_release(). */
PGconn *wf_pgcluster_connect(wf_pgcluster_t *pg, const wf_config_t *cfg, const char *url,
                             const char *app, char *err, size_t errlen);
/* Closes `conn` (NULL allowed), stops a cluster wf_pgcluster_connect()
 * started and frees `pg`. */
void wf_pgcluster_release(wf_pgcluster_t *pg, PGconn *conn);

/* The password of database role `role` from the pgpass file, generated
 * (random, 131 bits) and appended when the file has none. `pw` holds at least
 * 32 bytes. Returns 0 or -1 with `err` set. */
int wf_pgcluster_role_password(const wf_pgcluster_t *pg, const char *role, char *pw, size_t len,
                               char *err, size_t errlen);
/* Gives `role` the password of the pgpass file (as a SCRAM verifier, so the
 * clear text never reaches the server), over `conn` as the superuser. */
int wf_pgcluster_set_role_password(const wf_pgcluster_t *pg, PGconn *conn, const char *role,
                                   char *err, size_t errlen);

/* Creates (when root) or looks up the unprivileged `weft` user. */
int wf_service_user(uid_t *uid, gid_t *gid, char *err, size_t errlen);

#endif
