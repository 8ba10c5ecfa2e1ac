/* Logging for every patchgate program: stderr, one line per message. */
#ifndef PG_LOG_H
#define PG_LOG_H

#include <stdarg.h>

void	log_init(const char *progname, int verbose);
/* Writes every message to fd too (-1: no more); the caller owns fd. */
void	log_tee(int fd);
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
/* A progress line on a terminal only (throttled); cleared by any log line. */
void	log_progress(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_progress_done(void);
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_errorx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
