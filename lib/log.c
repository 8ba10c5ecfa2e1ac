/*
 * Logging: every program writes one line per message to stderr, prefixed
 * with its name, so systemd's journal and the tests read the same text.
 * fatal() and fatalx() are for start-up errors and broken invariants only.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char	*log_progname = "patchgate";
static int		 log_verbose;
static int		 log_tee_fd = -1;
static int		 log_progress_on = -1;	/* -1: not asked isatty() yet */
static int		 log_progress_shown;	/* a progress line is on screen */
static struct timespec	 log_progress_last;
static char		 log_progress_phase[160];

/* Takes a progress line off the screen, before a log line or at the end. */
static void
log_progress_clear(void)
{
	if (log_progress_shown) {
		fputs("\r\033[K", stderr);
		log_progress_shown = 0;
	}
}

void
log_init(const char *progname, int verbose)
{
	log_progname = progname;
	log_verbose = verbose;
}

static void
log_vwrite(const char *level, const char *fmt, va_list ap, const char *err)
{
	char	line[4096];

	vsnprintf(line, sizeof line, fmt, ap);
	log_progress_clear();
	if (err != NULL)
		fprintf(stderr, "%s: %s%s: %s\n", log_progname, level, line, err);
	else
		fprintf(stderr, "%s: %s%s\n", log_progname, level, line);
	fflush(stderr);
	/* The run log (runlog.h) of a sync an admin started by hand. */
	if (log_tee_fd != -1) {
		if (err != NULL)
			dprintf(log_tee_fd, "%s: %s%s: %s\n", log_progname,
			    level, line, err);
		else
			dprintf(log_tee_fd, "%s: %s%s\n", log_progname, level,
			    line);
	}
}

/*
 * One line, redrawn in place, for people at a terminal: each new step
 * at once, its updates at most five times a second, and never when
 * stderr is not a terminal (a journal, a log file, the daemon), where
 * only the log lines go.
 */
void
log_progress(const char *fmt, ...)
{
	struct timespec	 now;
	va_list		 ap;
	char		 line[160];
	const char	*p;
	size_t		 phase;
	long long	 ms;

	if (log_progress_on == -1)
		log_progress_on = isatty(STDERR_FILENO);
	if (!log_progress_on)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* What is in progress: the text before the last ": " (a URL, a file). */
	phase = strlen(line);
	for (p = line; (p = strstr(p, ": ")) != NULL; p += 2)
		phase = p - line;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - log_progress_last.tv_sec) * 1000LL +
	    (now.tv_nsec - log_progress_last.tv_nsec) / 1000000;
	/* Each new step shows at once; a step's updates five times a second. */
	if (log_progress_shown && ms < 200 &&
	    strlen(log_progress_phase) == phase &&
	    strncmp(log_progress_phase, line, phase) == 0)
		return;
	log_progress_last = now;
	snprintf(log_progress_phase, sizeof log_progress_phase, "%.*s",
	    (int)phase, line);
	fprintf(stderr, "\r\033[K%s: %s", log_progname, line);
	fflush(stderr);
	log_progress_shown = 1;
}

void
log_progress_done(void)
{
	log_progress_clear();
	fflush(stderr);
}

void
log_tee(int fd)
{
	log_tee_fd = fd;
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite("", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("", fmt, ap, NULL);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("warning: ", fmt, ap, NULL);
	va_end(ap);
}

/* A failure the program reports and goes on from (a mirror that failed). */
void
log_errorx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("", fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite("warning: ", fmt, ap, strerror(saved));
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite("fatal: ", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
