/*
 * Logging: every program writes one line per message to stderr, prefixed
 * with its name, so systemd's journal and the tests read the same text.
 * fatal() and fatalx() are for start-up errors and broken invariants only.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char	*log_progname = "patchgate";
static int		 log_verbose;
static int		 log_tee_fd = -1;

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
