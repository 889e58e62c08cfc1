/* Process-wide logging: levels, a role prefix ("gateway", "executor:sales"),
 * text or JSON lines on stderr. Never pass secrets or tokens to these calls. */
#ifndef WF_LOG_H
#define WF_LOG_H

#include <stdarg.h>

typedef enum { WF_LOG_DEBUG = 0, WF_LOG_INFO, WF_LOG_WARN, WF_LOG_ERROR } wf_log_level_t;

/* Sets the role prefix (copied), the minimum level and whether lines are JSON.
 * Also reads WEFT_LOG_LEVEL (debug|info|warn|error) and WEFT_LOG_FORMAT (text|json). */
void wf_log_init(const char *role, wf_log_level_t min_level, int json);
/* Parses "debug|info|warn|error"; returns -1 when unknown. */
int wf_log_level_parse(const char *name);
void wf_log(wf_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wf_vlog(wf_log_level_t level, const char *fmt, va_list ap);
/* Logs at error level and exits 1: start-up failures and broken invariants only. */
void wf_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define wf_debug(...) wf_log(WF_LOG_DEBUG, __VA_ARGS__)
#define wf_info(...) wf_log(WF_LOG_INFO, __VA_ARGS__)
#define wf_warn(...) wf_log(WF_LOG_WARN, __VA_ARGS__)
#define wf_error(...) wf_log(WF_LOG_ERROR, __VA_ARGS__)

#endif
