/*
 * Blocking upstream fetching for the indexer process (libcurl's easy
 * interface): http://, https:// and file:// URLs, redirects, a connect and a
 * total timeout, a few retries on transient errors.  patchgated does not use
 * this: it fetches on its event loop (proxy/upstream.c).
 */
#ifndef PG_FETCH_H
#define PG_FETCH_H

#include <stddef.h>

struct hash;

int	 fetch_global_init(void);

/*
 * Fetches url into the file path (created or truncated).  maxsize bounds the
 * body (0: no bound).  On error returns -1 and a caller-freed *cause such as
 * "http://host/x/repodata/repomd.xml: HTTP 404" or "...: Couldn't connect to server".
 * *status (may be NULL) gets the HTTP status, or 0 for non-HTTP URLs.
 * On error path may hold part of a body: fetch to a temporary name.
 */
int	 fetch_to_file(const char *url, const char *path, long long maxsize,
	     long *status, char **cause);
/* The same into a caller-freed memory buffer. */
int	 fetch_to_memory(const char *url, long long maxsize, char **data,
	     size_t *len, long *status, char **cause);

/* Joins a base URL and a relative location ("repodata/x.xml.gz"). */
char	*url_join(const char *base, const char *rel);

#endif
