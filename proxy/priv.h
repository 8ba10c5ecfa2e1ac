/*
 * patchgated's start-up privileges: the store's permissions, and the
 * switch to an unprivileged user after the port is bound.
 */
#ifndef PG_PRIV_H
#define PG_PRIV_H

/*
 * -1 with a caller-freed cause naming every problem when the signing key
 * (STORE/gnupg) is open to others or a store directory is world-writable.
 */
int	priv_check_store(const char *store, char **cause);
/*
 * Switches to user for good (groups, gid, uid).  Not root: succeeds when
 * already running as that user, fails otherwise.
 */
int	priv_drop(const char *user, const char *store, char **cause);

#endif
