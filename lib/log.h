/* Logging for every patchgate program: stderr, one line per message. */
#ifndef PG_LOG_H
#define PG_LOG_H

#include <stdarg.h>

void	log_init(const char *progname, int verbose);
/* Writes every message to fd too (-1: no more); the caller owns fd. */
void	log_tee(int fd);
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * A line of the daemon's access log: like log_info, but once
 * log_buffer_start() has been called, buffered and written by a thread,
 * never blocking the caller (a line that finds the buffer full is dropped
 * and counted).  log_buffer_stop() writes out the rest; fatal() too.
 */
void	log_access(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_buffer_start(void);
void	log_buffer_stop(void);
/* A progress line on a terminal only (throttled); cleared by any log line. */
void	log_progress(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_progress_done(void);
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_errorx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
