/*
 * Run logs in STORE/log (runlog.h): naming, listing, results and pruning,
 * shared by patchgated, which writes the output of the runs it spawns, and
 * patchgate, which writes its own when an admin runs sync or publish, and
 * reads them all for "patchgate log".
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runlog.h"
#include "util.h"
#include "xmalloc.h"

#define RUNLOG_STAMP_LEN	20	/* 20261201T020000.123Z */

static void
runlog_stamp(time_t t, long ms, char *buf, size_t len)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d%02d%02dT%02d%02d%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ms);
}

/* Parses a stamp at the start of s; -1 if there is none. */
static int
runlog_parse_stamp(const char *s, time_t *t)
{
	struct tm	tm;
	int		i;

	if (strlen(s) < RUNLOG_STAMP_LEN)
		return -1;
	for (i = 0; i < RUNLOG_STAMP_LEN; i++) {
		if (i == 8 && s[i] == 'T')
			continue;
		if (i == 15 && s[i] == '.')
			continue;
		if (i == 19 && s[i] == 'Z')
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 +
	    (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
	tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
	tm.tm_hour = (s[9] - '0') * 10 + (s[10] - '0');
	tm.tm_min = (s[11] - '0') * 10 + (s[12] - '0');
	tm.tm_sec = (s[13] - '0') * 10 + (s[14] - '0');
	*t = timegm(&tm);
	return 0;
}

int
runlog_create(const char *store, const char *kind, const char *target,
    time_t *start, char **path, char **cause)
{
	struct timeval	 tv;
	char		*dir, stamp[64];
	long		 ms;
	int		 fd, tries;

	xasprintf(&dir, "%s/%s", store, RUNLOG_DIR);
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	gettimeofday(&tv, NULL);
	ms = tv.tv_usec / 1000;
	/* Two runs in one millisecond: the second takes the next one. */
	for (tries = 0; tries < 1000; tries++) {
		runlog_stamp(tv.tv_sec, ms, stamp, sizeof stamp);
		xasprintf(path, "%s/%s-%s-%s.log", dir, stamp, kind, target);
		fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
		    O_CLOEXEC, 0644);
		if (fd != -1) {
			*start = tv.tv_sec;
			free(dir);
			return fd;
		}
		if (errno != EEXIST)
			break;
		free(*path);
		*path = NULL;
		if (++ms == 1000) {
			ms = 0;
			tv.tv_sec++;
		}
	}
	cause_set(cause, "%s: %s", *path != NULL ? *path : dir,
	    strerror(errno));
	free(*path);
	*path = NULL;
	free(dir);
	return -1;
}

int
runlog_finish(const char *path, time_t start, time_t end, int exitcode,
    int signo, char **cause)
{
	char	*rpath, text[128];
	int	 rc;

	if (signo > 0)
		snprintf(text, sizeof text, "start %lld\nend %lld\nsignal %d\n",
		    (long long)start, (long long)end, signo);
	else
		snprintf(text, sizeof text, "start %lld\nend %lld\nexit %d\n",
		    (long long)start, (long long)end, exitcode);
	xasprintf(&rpath, "%s%s", path, RUNLOG_RESULT_SUFFIX);
	rc = file_write_atomic(rpath, text, strlen(text), cause);
	free(rpath);
	return rc;
}

static void
runlog_read_result(struct runlog_entry *re)
{
	char		*rpath, *data = NULL, *line, *save = NULL;
	long long	 v;
	size_t		 len;

	re->re_exit = -1;
	xasprintf(&rpath, "%s%s", re->re_path, RUNLOG_RESULT_SUFFIX);
	if (file_read(rpath, 4096, &data, &len, NULL) != 0) {
		free(rpath);
		return;
	}
	free(rpath);
	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "end %lld", &v) == 1)
			re->re_end = v;
		else if (sscanf(line, "exit %lld", &v) == 1) {
			re->re_exit = v;
			re->re_done = 1;
		} else if (sscanf(line, "signal %lld", &v) == 1) {
			re->re_signal = v;
			re->re_done = 1;
		}
	}
	free(data);
}

/* Whether a run logged for target covers mirror. */
static int
runlog_covers(const char *target, const char *mirror)
{
	const char	*p = target;
	size_t		 len = strlen(mirror);

	if (strcmp(target, "all") == 0 || strcmp(target, mirror) == 0)
		return 1;
	while ((p = strstr(p, mirror)) != NULL) {
		if ((p == target || p[-1] == '+') &&
		    (p[len] == '\0' || p[len] == '+'))
			return 1;
		p += len;
	}
	return 0;
}

static int
runlog_cmp(const void *a, const void *b)
{
	const struct runlog_entry	*x = a, *y = b;

	return strcmp(x->re_stamp, y->re_stamp);
}

int
runlog_list(const char *store, const char *target, struct runlog_entry **v,
    size_t *n, char **cause)
{
	DIR			*d;
	struct dirent		*de;
	struct runlog_entry	*re;
	const char		*name, *kind;
	char			*dir;
	size_t			 len, klen;
	time_t			 t;

	*v = NULL;
	*n = 0;
	xasprintf(&dir, "%s/%s", store, RUNLOG_DIR);
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT) {
			free(dir);
			return 0;
		}
		cause_set(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		name = de->d_name;
		len = strlen(name);
		if (len < RUNLOG_STAMP_LEN + 7 ||
		    strcmp(name + len - 4, ".log") != 0 ||
		    runlog_parse_stamp(name, &t) != 0 ||
		    name[RUNLOG_STAMP_LEN] != '-')
			continue;
		kind = name + RUNLOG_STAMP_LEN + 1;
		klen = strcspn(kind, "-");
		if (kind[klen] != '-' || klen == 0 || klen >= 16 ||
		    kind + klen + 1 >= name + len - 4)
			continue;
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		re = &(*v)[*n];
		memset(re, 0, sizeof *re);
		memcpy(re->re_stamp, name, RUNLOG_STAMP_LEN);
		re->re_start = t;
		memcpy(re->re_kind, kind, klen);
		re->re_target = xstrndup(kind + klen + 1,
		    name + len - 4 - (kind + klen + 1));
		if (target != NULL && !runlog_covers(re->re_target, target)) {
			free(re->re_target);
			continue;
		}
		xasprintf(&re->re_path, "%s/%s", dir, name);
		runlog_read_result(re);
		(*n)++;
	}
	closedir(d);
	free(dir);
	if (*n > 0)
		qsort(*v, *n, sizeof **v, runlog_cmp);
	return 0;
}

void
runlog_list_free(struct runlog_entry *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].re_path);
		free(v[i].re_target);
	}
	free(v);
}

int
runlog_prune(const char *store, long long keep, time_t now, char **cause)
{
	struct runlog_entry	*v;
	struct stat		 st;
	size_t			 i, n;
	char			*rpath;

	if (runlog_list(store, NULL, &v, &n, cause) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((long long)(now - v[i].re_start) <= keep)
			continue;
		/* A run still going keeps its log, however old it is. */
		if (!v[i].re_done && (stat(v[i].re_path, &st) == -1 ||
		    (long long)(now - st.st_mtime) <= keep))
			continue;
		xasprintf(&rpath, "%s%s", v[i].re_path, RUNLOG_RESULT_SUFFIX);
		unlink(v[i].re_path);
		unlink(rpath);
		free(rpath);
	}
	runlog_list_free(v, n);
	return 0;
}

const char *
runlog_result_text(const struct runlog_entry *re, char *buf, size_t len)
{
	if (!re->re_done)
		snprintf(buf, len, "running or interrupted");
	else if (re->re_signal > 0)
		snprintf(buf, len, "signal %d", re->re_signal);
	else
		snprintf(buf, len, "exit %d", re->re_exit);
	return buf;
}
