/*
 * Blocking upstream fetching for the indexer process (libcurl's easy
 * interface): http://, https:// and file:// URLs, redirects (same host
 * unless the mirror allows any), a connect timeout and a total deadline,
 * a few retries on transient errors.  patchgated fetches on its event
 * loop (proxy/upstream.c), with the same curl setup: fetch_curl_setup.
 */
#ifndef PG_FETCH_H
#define PG_FETCH_H

#include <stddef.h>

#include <curl/curl.h>

#define FETCH_MAX_REDIRS	5
#define FETCH_CONNECT_TIMEOUT	15	/* seconds */
#define FETCH_LOW_SPEED_TIME	60	/* below the low speed this long: abort */

struct fetch_policy;

/*
 * The options every transfer shares, the indexer's and patchgated's, with
 * the proxy and CA file of the mirror's policy fp (NULL: none); -1 when
 * curl refuses one.
 */
int	 fetch_curl_setup(CURL *, const struct fetch_policy *fp);

struct hash;

int	 fetch_global_init(void);

/*
 * What a mirror allows its downloads: a deadline for a whole download
 * (every try and redirect included) and where redirects may lead.  The
 * indexer syncs one mirror at a time and sets its mirror's policy before
 * the first fetch; without one, downloads get FETCH_DEFAULT_TIMEOUT and
 * same-host redirects.
 */
#define FETCH_DEFAULT_TIMEOUT	600	/* seconds */
struct fetch_policy {
	long long	 fp_timeout;		/* seconds; 0: the default */
	int		 fp_redirects_any;	/* 0: only to the same host */
	const char	*fp_proxy;		/* outbound proxy; NULL: none */
	const char	*fp_ca_file;		/* NULL: the system's CAs */
};
void	 fetch_set_policy(const struct fetch_policy *);

/*
 * Fetches url into the file path (created or truncated).  maxsize bounds the
 * body (0: no bound): a larger Content-Length is refused before the body
 * arrives, and a longer body is cut one write after maxsize bytes, never
 * retried.  On error returns -1 and a caller-freed *cause such as
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
