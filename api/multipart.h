/* multipart/form-data (RFC 7578) request bodies: FILE inputs of a new
 * execution (api/uploads.c) and namespace file uploads. The parser works on
 * a body already in memory (h2o 2.2 buffers request bodies) and never copies
 * a part's content: each part is a view into the body. Names, file names and
 * content types are copied into bounded fields; anything past the bounds, a
 * missing or malformed boundary, a part without its closing boundary, a NUL
 * in a header, a duplicate name or too many parts is refused with a message
 * naming what is wrong. */
#ifndef WF_API_MULTIPART_H
#define WF_API_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#define WF_MP_MAX_PARTS 64
#define WF_MP_MAX_HEADERS 8192 /* bytes of one part's header block */
#define WF_MP_NAME_MAX 128
#define WF_MP_FILENAME_MAX 256
#define WF_MP_TYPE_MAX 128

typedef struct wf_mp_part {
    char name[WF_MP_NAME_MAX];         /* the form field's name */
    char filename[WF_MP_FILENAME_MAX]; /* as the client sent it (unclean) */
    bool has_filename;                 /* a file part (filename="…" given) */
    char content_type[WF_MP_TYPE_MAX]; /* "" when none was sent */
    const char *data;                  /* the content, inside the body */
    size_t len;
} wf_mp_part_t;

/* The boundary of a Content-Type header value ("multipart/form-data;
 * boundary=…", quoted or not). Returns 0 and fills `out` (1..70 characters
 * of RFC 2046's set), or -1 with `why` set. */
int wf_mp_boundary(const char *content_type, char out[71], const char **why);

/* Splits `body` into at most WF_MP_MAX_PARTS parts. Returns the number of
 * parts, or -1 with a message in `why`. */
int wf_mp_parse(const char *body, size_t len, const char *boundary, wf_mp_part_t *parts, char *why,
                size_t why_len);

/* A file name fit to store: the part after the last '/' or '\', with
 * control characters, '"' and '\' dropped, at most 200 bytes (cut on a
 * UTF-8 character boundary). Returns 0, or -1 when nothing usable is left
 * ("", ".", ".."). */
int wf_mp_clean_filename(const char *in, char *out, size_t out_len);

#endif
