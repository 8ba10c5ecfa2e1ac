/*
 * Starting a patchgate child without blocking the loop: posix_spawn with
 * its standard input on /dev/null, its output on descriptors the caller
 * reads through bufferevents, the signal dispositions a program expects
 * and none of the daemon's other descriptors.  The scheduler's runs
 * (sched.c) and the admin API's commands (api.c) both start theirs here.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include "proxy.h"

int
child_spawn(const char *bin, char *const argv[], char *const env[], int out,
    int err, pid_t *pid)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 mask, deflt;
	int				 rc, nullfd;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return rc;
	if ((rc = posix_spawnattr_init(&attr)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nullfd != -1)
		posix_spawn_file_actions_adddup2(&fa, nullfd, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
	/* Sockets and files the daemon left inheritable stay with it. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	/* The daemon ignores SIGPIPE; its children must not inherit that. */
	sigemptyset(&mask);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGHUP);
	posix_spawnattr_setsigmask(&attr, &mask);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(pid, bin, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (nullfd != -1)
		close(nullfd);
	return rc;
}
