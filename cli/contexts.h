/* The client configuration file, ~/.config/weft/config.yaml (or
 * $XDG_CONFIG_HOME/weft/config.yaml, or $WEFT_CONFIG_DIR/config.yaml, or
 * $WEFT_CONFIG): named contexts, each a
 * server URL and a token, plus the current one. It holds tokens, so it is
 * written 0600 in a 0700 directory, atomically, and its tokens are wiped from
 * memory when the config is disposed.
 *
 *   current-context: prod
 *   contexts:
 *     - name: prod
 *       url: https://weft.example.com
 *       token: "weft_sa_..."
 */
#ifndef WF_CLI_CONTEXTS_H
#define WF_CLI_CONTEXTS_H

#include <stddef.h>

#include "cli/args.h"

typedef struct weft_context {
    char *name, *url, *token;
} weft_context_t;

typedef struct weft_config {
    char *path;    /* resolved file path (owned) */
    char *current; /* current-context, or NULL */
    weft_context_t *items;
    size_t count;
} weft_config_t;

/* Loads the file; a missing file gives an empty config. Returns 0, or -1
 * after printing a positioned error (the file is then left alone). */
int weft_config_load(const weft_t *w, weft_config_t *c);
/* Writes the whole file atomically with mode 0600. Returns 0 or -1 (printed). */
int weft_config_save(const weft_t *w, const weft_config_t *c);
/* Wipes the tokens and frees everything. */
void weft_config_dispose(weft_config_t *c);
/* Context by name, or NULL. */
weft_context_t *weft_config_find(weft_config_t *c, const char *name);
/* Adds or replaces context `name` (copies the strings). */
void weft_config_put(weft_config_t *c, const char *name, const char *url, const char *token);
/* Removes context `name`; returns -1 when there is none. */
int weft_config_remove(weft_config_t *c, const char *name);

#endif
