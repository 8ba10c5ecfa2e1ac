/*
 * Least privilege for patchgated: the store's permissions checked at
 * start (a signing key others can read, or a store directory anyone can
 * write, stops the daemon), and the switch to the configured user once
 * the listening socket is bound, so that a daemon started as root serves,
 * and runs its indexer children, as that user only.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"
#include "util.h"
#include "xmalloc.h"

/* Appends a problem with path to *cause ("; "-separated). */
static void
priv_problem(char **cause, const char *path, mode_t mode, const char *what)
{
	char	*old = *cause;

	xasprintf(cause, "%s%s%s: %s (mode %04o)", old != NULL ? old : "",
	    old != NULL ? "; " : "", path, what, (unsigned)(mode & 07777));
	free(old);
}

/* The files of dir that hold secret keys (all of them, when all is set). */
static void
priv_check_keys(const char *dir, int all, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*path;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || (!all &&
		    strcmp(de->d_name, "secring.gpg") != 0))
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & S_IROTH))
			priv_problem(cause, path, sb.st_mode,
			    "a secret key file readable by others");
		free(path);
	}
	closedir(d);
}

int
priv_check_store(const char *store, char **cause)
{
	static const char	*dirs[] = { "", "/blobs", "/tmp", "/views",
				    "/gnupg", "/run" };
	struct stat		 sb;
	char			*path, *problems = NULL;
	size_t			 i;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		xasprintf(&path, "%s%s", store, dirs[i]);
		if (stat(path, &sb) == 0 && (sb.st_mode & S_IWOTH) &&
		    !(sb.st_mode & S_ISVTX))
			priv_problem(&problems, path, sb.st_mode,
			    "a store directory anyone can write");
		free(path);
	}
	xasprintf(&path, "%s/gnupg", store);
	if (stat(path, &sb) == 0) {
		if (sb.st_mode & (S_IROTH | S_IXOTH))
			priv_problem(&problems, path, sb.st_mode,
			    "the signing key's directory is open to others");
		priv_check_keys(path, 0, &problems);
		free(path);
		xasprintf(&path, "%s/gnupg/private-keys-v1.d", store);
		priv_check_keys(path, 1, &problems);
	}
	free(path);
	if (problems != NULL) {
		cause_set(cause, "%s; refusing to start (chmod o-rwx the "
		    "signing key, o-w the store)", problems);
		free(problems);
		return -1;
	}
	return 0;
}

int
priv_drop(const char *user, const char *store, char **cause)
{
	struct passwd	*pw;
	uid_t		 uid;
	gid_t		 gid;
	char		*tmp;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		cause_set(cause, "user %s: %s", user,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (geteuid() != 0) {
		if (geteuid() == uid)
			return 0;
		cause_set(cause, "user %s: only root can switch to it "
		    "(running as uid %ld)", user, (long)geteuid());
		return -1;
	}
	if (uid == 0) {
		cause_set(cause, "user %s: is root; name an unprivileged user",
		    user);
		return -1;
	}
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1) {
		cause_set(cause, "switching to user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	/* The switch must be for good. */
	if (setuid(0) != -1 || geteuid() == 0 || getegid() == 0) {
		cause_set(cause, "switching to user %s: root is still "
		    "reachable", user);
		return -1;
	}
	log_info("running as user %s (uid %ld, gid %ld)", user, (long)uid,
	    (long)gid);
	xasprintf(&tmp, "%s/tmp", store);
	if (access(tmp, W_OK) == -1)
		log_warnx("%s: user %s cannot write here (%s): package files "
		    "fetched on demand are not cached", tmp, user,
		    strerror(errno));
	free(tmp);
	return 0;
}
