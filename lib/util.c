/*
 * File and string helpers.  The atomic writes here are what makes a crash
 * at any moment leave either the old or the new file, never half of one.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress.h"
#include "util.h"
#include "xmalloc.h"

void
buf_init(struct buf *b)
{
	b->b_data = NULL;
	b->b_len = b->b_size = 0;
}

static void
buf_grow(struct buf *b, size_t need)
{
	size_t	size;

	if (b->b_len + need + 1 <= b->b_size)
		return;
	size = b->b_size ? b->b_size : 256;
	while (size < b->b_len + need + 1)
		size *= 2;
	b->b_data = xreallocarray(b->b_data, 1, size);
	b->b_size = size;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n > 0)
		memcpy(b->b_data + b->b_len, p, n);
	b->b_len += n;
	b->b_data[b->b_len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	buf_add(b, s, n);
	free(s);
}

void
buf_reset(struct buf *b)
{
	b->b_len = 0;
	if (b->b_data != NULL)
		b->b_data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->b_data);
	buf_init(b);
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->b_len) {
		buf_reset(b);
		return;
	}
	memmove(b->b_data, b->b_data + n, b->b_len - n);
	b->b_len -= n;
	b->b_data[b->b_len] = '\0';
}

int
mkdir_p(const char *path, mode_t mode)
{
	char	 tmp[PATH_MAX], *p;

	if (strlen(path) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(tmp, path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

int
remove_tree(const char *path)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*child;
	int		 rc = 0;

	if (lstat(path, &sb) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlink(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&child, "%s/%s", path, de->d_name);
		if (remove_tree(child) == -1)
			rc = -1;
		free(child);
	}
	closedir(d);
	if (rmdir(path) == -1)
		rc = -1;
	return rc;
}

int
file_read(const char *path, size_t maxlen, char **data, size_t *len, char **cause)
{
	struct buf	b;
	char		chunk[65536];
	ssize_t		n;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&b);
	buf_add(&b, "", 0);
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cause_set(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (b.b_len + n > maxlen) {
			cause_set(cause, "%s: larger than %zu bytes", path, maxlen);
			goto fail;
		}
		buf_add(&b, chunk, n);
	}
	close(fd);
	*data = b.b_data;
	*len = b.b_len;
	return 0;
fail:
	close(fd);
	buf_free(&b);
	return -1;
}

void
file_tmp_clean(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	const char	*t;
	char		*end, *path;
	long		 pid;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((t = strstr(de->d_name, ".tmp")) == NULL || t[4] == '\0')
			continue;
		errno = 0;
		pid = strtol(t + 4, &end, 10);
		if (*end != '\0' || pid <= 0 || errno != 0)
			continue;
		/* A writer still running keeps its file. */
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		(void)unlink(path);
		free(path);
	}
	closedir(d);
}

int
file_write_atomic(const char *path, const void *data, size_t len, char **cause)
{
	char		*tmp, *dir, *slash;
	const char	*p = data;
	ssize_t		 n;
	int		 fd;

	xasprintf(&tmp, "%s.tmp%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cause_set(cause, "%s: %s", tmp, strerror(errno));
			goto fail;
		}
		p += n;
		len -= n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	free(tmp);
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		dir_sync(*dir ? dir : "/");
	}
	free(dir);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int
symlink_replace(const char *target, const char *path, char **cause)
{
	char	*tmp, *dir, *slash;

	xasprintf(&tmp, "%s.new%ld", path, (long)getpid());
	unlink(tmp);
	if (symlink(target, tmp) == -1) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		dir_sync(*dir ? dir : "/");
	}
	free(dir);
	return 0;
}

int
dir_sync(const char *path)
{
	int	fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

void
cause_set(char **cause, const char *fmt, ...)
{
	va_list	ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		abort();
	va_end(ap);
}

char **
words_split_on(const char *s, const char *seps, size_t *np)
{
	char		**v = NULL;
	size_t		  n = 0;
	const char	 *start;

	for (;;) {
		s += strspn(s, seps);
		if (*s == '\0')
			break;
		start = s;
		s += strcspn(s, seps);
		v = xreallocarray(v, n + 2, sizeof *v);
		v[n++] = xstrndup(start, s - start);
	}
	v = xreallocarray(v, n + 1, sizeof *v);
	v[n] = NULL;
	if (np != NULL)
		*np = n;
	return v;
}

char **
words_split(const char *s, size_t *np)
{
	return words_split_on(s, " \t,", np);
}

void
words_free(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

int
name_is_safe(const char *name)
{
	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	return strchr(name, '/') == NULL;
}

ssize_t
memreader_read(void *arg, void *buf, size_t len, char **cause)
{
	struct memreader	*mr = arg;
	size_t			 n;

	n = mr->mr_len - mr->mr_off;
	if (n > len)
		n = len;
	memcpy(buf, mr->mr_data + mr->mr_off, n);
	mr->mr_off += n;
	return n;
}
