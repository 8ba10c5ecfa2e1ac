/*
 * Logging: every program writes one line per message to stderr, prefixed
 * with its name, so systemd's journal and the tests read the same text.
 * fatal() and fatalx() are for start-up errors and broken invariants only.
 *
 * The daemon's access log (log_access, a line per request) never blocks
 * the event loop: once log_buffer_start() is called, its lines go to a
 * buffer in memory that a thread of its own writes out every 100 ms, or
 * sooner when it fills up.  A line that finds the buffer full is dropped
 * and counted.  Any other message writes what is buffered first, then
 * itself, so that the log keeps the order things happened in.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
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

#define LOG_BUF_MAX		(1024 * 1024)
#define LOG_BUF_SOON		(64 * 1024)	/* wake the writer early */
#define LOG_BUF_INTERVAL_NS	100000000L	/* 100 ms */

/*
 * log_buf_lock guards the buffer and is held only to append or to swap;
 * log_write_lock is held while buffered lines go to stderr, so that
 * lines come out in the order they were logged.
 */
static pthread_mutex_t	 log_buf_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t	 log_write_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 log_buf_cond = PTHREAD_COND_INITIALIZER;
static pthread_t	 log_buf_thread;
static int		 log_buf_on;
static int		 log_buf_stopping;
static char		*log_buf, *log_buf_spare;
static size_t		 log_buf_len;
static unsigned long long log_buf_dropped;

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

/* Writes all of p, whatever the interruptions; errors are lost. */
static void
log_write_all(const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(STDERR_FILENO, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

/*
 * Writes out what is buffered; the caller holds log_write_lock.  Swaps
 * the buffer for the spare, so that appending goes on meanwhile.
 */
static void
log_buf_drain(void)
{
	char			*p, note[128];
	size_t			 len;
	unsigned long long	 dropped;
	int			 n;

	pthread_mutex_lock(&log_buf_lock);
	p = log_buf;
	len = log_buf_len;
	dropped = log_buf_dropped;
	log_buf = log_buf_spare;
	log_buf_spare = p;
	log_buf_len = 0;
	log_buf_dropped = 0;
	pthread_mutex_unlock(&log_buf_lock);
	log_write_all(p, len);
	if (dropped > 0) {
		n = snprintf(note, sizeof note, "%s: warning: %llu access log "
		    "line%s dropped: stderr does not keep up\n", log_progname,
		    dropped, dropped == 1 ? "" : "s");
		if (n > 0 && (size_t)n < sizeof note)
			log_write_all(note, n);
	}
}

static void *
log_buf_writer(void *arg)
{
	struct timespec	ts;
	int		stop;

	for (;;) {
		pthread_mutex_lock(&log_buf_lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += LOG_BUF_INTERVAL_NS;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!log_buf_stopping && log_buf_len < LOG_BUF_SOON &&
		    pthread_cond_timedwait(&log_buf_cond, &log_buf_lock,
		    &ts) == 0)
			;
		stop = log_buf_stopping;
		pthread_mutex_unlock(&log_buf_lock);
		pthread_mutex_lock(&log_write_lock);
		log_buf_drain();
		pthread_mutex_unlock(&log_write_lock);
		if (stop)
			return NULL;
	}
}

void
log_buffer_start(void)
{
	sigset_t	all, old;

	if (log_buf_on)
		return;
	if ((log_buf = malloc(LOG_BUF_MAX)) == NULL ||
	    (log_buf_spare = malloc(LOG_BUF_MAX)) == NULL) {
		free(log_buf);
		log_buf = NULL;
		return;		/* the access log stays synchronous */
	}
	/* The loop's signals are not the writer's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&log_buf_thread, NULL, log_buf_writer, NULL) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		free(log_buf);
		free(log_buf_spare);
		log_buf = log_buf_spare = NULL;
		return;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_buf_on = 1;
}

void
log_buffer_stop(void)
{
	if (!log_buf_on)
		return;
	pthread_mutex_lock(&log_buf_lock);
	log_buf_stopping = 1;
	pthread_cond_signal(&log_buf_cond);
	pthread_mutex_unlock(&log_buf_lock);
	pthread_join(log_buf_thread, NULL);
	log_buf_on = 0;
	log_buf_stopping = 0;
	free(log_buf);
	free(log_buf_spare);
	log_buf = log_buf_spare = NULL;
}

static void
log_vwrite(const char *level, const char *fmt, va_list ap, const char *err)
{
	char	line[4096];

	vsnprintf(line, sizeof line, fmt, ap);
	if (log_buf_on) {
		pthread_mutex_lock(&log_write_lock);
		log_buf_drain();
	}
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
	if (log_buf_on)
		pthread_mutex_unlock(&log_write_lock);
}

void
log_access(const char *fmt, ...)
{
	va_list	ap;
	char	line[4096];
	int	n;

	va_start(ap, fmt);
	if (!log_buf_on) {
		log_vwrite("", fmt, ap, NULL);
		va_end(ap);
		return;
	}
	n = snprintf(line, sizeof line, "%s: ", log_progname);
	if (n > 0 && (size_t)n < sizeof line)
		n += vsnprintf(line + n, sizeof line - n, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line - 1)
		n = sizeof line - 2;
	line[n++] = '\n';
	pthread_mutex_lock(&log_buf_lock);
	if (log_buf_len + n > LOG_BUF_MAX)
		log_buf_dropped++;
	else {
		memcpy(log_buf + log_buf_len, line, n);
		log_buf_len += n;
		if (log_buf_len >= LOG_BUF_SOON && log_buf_len - n < LOG_BUF_SOON)
			pthread_cond_signal(&log_buf_cond);
	}
	pthread_mutex_unlock(&log_buf_lock);
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
