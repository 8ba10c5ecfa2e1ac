/*
 * The indexer's locks (lock.h): flock(2) on files under the store, so a
 * lock goes with its process when it exits or is killed, and a waiting
 * command simply blocks until the holder is done.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

int
lock_take(const char *store, const char *name, const char *holder,
    char **cause)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/%s", store, name);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			goto fail;
		log_info("another patchgate holds %s (%s); waiting", path,
		    holder);
		while (flock(fd, LOCK_EX) == -1) {
			if (errno != EINTR)
				goto fail;
		}
	}
	free(path);
	return fd;
fail:
	cause_set(cause, "%s: %s", path, strerror(errno));
	close(fd);
	free(path);
	return -1;
}

int
lock_take_mirror(const char *store, const char *mirror, char **cause)
{
	char	*dir, *name, *holder;
	int	 fd;

	xasprintf(&dir, "%s/%s", store, LOCK_DIR_NAME);
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	xasprintf(&name, "%s/mirror.%s.lock", LOCK_DIR_NAME, mirror);
	xasprintf(&holder, "a sync of mirror %s", mirror);
	fd = lock_take(store, name, holder, cause);
	free(holder);
	free(name);
	return fd;
}

int
lock_try_mirror(const char *store, const char *mirror)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/%s", store, LOCK_DIR_NAME);
	if (mkdir_p(path, 0755) == -1) {
		free(path);
		return -1;
	}
	free(path);
	xasprintf(&path, "%s/%s/mirror.%s.lock", store, LOCK_DIR_NAME, mirror);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(path);
	if (fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int
lock_take_store(const char *store, char **cause)
{
	return lock_take(store, LOCK_STORE_NAME,
	    "a sync, publish or change of the store", cause);
}

void
lock_release(int fd)
{
	if (fd != -1)
		close(fd);
}
