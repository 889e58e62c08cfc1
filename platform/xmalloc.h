/* Allocation that cannot fail, and the project's out-of-memory rule.
 *
 * The rule:
 *   - Memory for the process's own bookkeeping (strings, arrays, structs a
 *     module needs to keep going) comes from wf_xmalloc() and friends: on
 *     exhaustion they print "out of memory" with the size asked for and
 *     abort(). There is no sensible recovery half-way through building a
 *     reply or a task run, and a check at every call site is code nobody
 *     tests. The supervisor (`weftd up`, systemd) restarts the process and
 *     PostgreSQL keeps every acknowledged state.
 *   - Memory whose size a caller or a tenant chooses (a request body, a
 *     file, a decoded value, an expression's result) is asked for with plain
 *     malloc() and a NULL answer becomes an error for that caller ("out of
 *     memory" in the reply, the task run FAILED), never a crash of the
 *     shared process.
 *   - Libraries' own allocators (jansson, libyaml, h2o pools) are left as
 *     they are; their NULL answers are treated as the first kind when the
 *     size is ours and as the second when it is the caller's.
 * Nothing else calls abort() for memory. */
#ifndef WF_XMALLOC_H
#define WF_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *wf_xmalloc(size_t n);
void *wf_xcalloc(size_t count, size_t size);
void *wf_xrealloc(void *p, size_t n);
/* reallocarray(3) that cannot fail: `count * size` is checked for overflow. */
void *wf_xreallocarray(void *p, size_t count, size_t size);
char *wf_xstrdup(const char *s);
char *wf_xstrndup(const char *s, size_t n);
/* asprintf(3) that cannot fail; returns the new string. */
char *wf_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* vasprintf(3) that cannot fail; returns the new string. */
char *wf_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* Reports exhaustion for `n` bytes and aborts: for a library's allocator
 * (libyaml, jansson) that failed on a size of our own. */
void wf_out_of_memory(size_t n) __attribute__((noreturn));

#endif
