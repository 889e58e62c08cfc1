/* File-descriptor helpers shared by every layer. */
#ifndef WF_FILEIO_H
#define WF_FILEIO_H

#include <stddef.h>

/* Writes all `len` bytes of `data` to `fd`, retrying on EINTR and short
 * writes; returns 0, or -1 (errno set when write() failed) when the write
 * fails or makes no progress. */
int wf_write_all(int fd, const void *data, size_t len);

#endif
