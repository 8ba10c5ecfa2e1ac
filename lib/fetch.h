/*
 * Blocking upstream fetching for the indexer process (libcurl's easy
 * interface): http://, https:// and file:// URLs, redirects (same host
 * unless the mirror allows any), a connect timeout and a total deadline,
 * a few retries on transient errors, failover between a mirror's base
 * URLs (struct fetch_policy).  patchgated fetches on its event
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
	/*
	 * Failover (indexer): a URL under fp_canon (the mirror's mi_url,
	 * which package URLs and metadata URLs start with) or under one of
	 * fp_bases is fetched from each of fp_bases in turn: first the base
	 * the sync's first file came from, so that one sync reads one
	 * mirror, then the others in order.  A refused connection, a
	 * timeout, an HTTP error, a wrong checksum or a refused signature
	 * moves to the next base, with a warning naming the URL and cause;
	 * the fetch fails when every base did, naming each.  NULL: no
	 * failover.  fetch_set_policy keeps copies.
	 */
	const char	*fp_canon;
	char *const	*fp_bases;
	/*
	 * The sha256 values a metalink (fp_metalink names it) allows for
	 * repodata/repomd.xml: a repomd.xml fetched under fp_canon with
	 * another is refused, and the next base tried.  NULL: no check.
	 */
	char *const	*fp_repomd_sha256;
	const char	*fp_metalink;
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

/*
 * fetch_to_file that also checks the body against the checksum algo/hex
 * (when not NULL) before accepting it: a mismatch is an error of that
 * URL, and with failover (fp_bases) the next base is tried.
 */
int	 fetch_to_file_hash(const char *url, const char *path,
	     long long maxsize, const char *algo, const char *hex,
	     long *status, char **cause);

/*
 * Accepts or refuses a fetched body (a signature check): 0, or -1 with
 * *cause (caller-freed) to try the next base.  Fetches made inside it
 * prefer the base of url (repomd.xml.asc from where repomd.xml came).
 */
typedef int	(*fetch_check_fn)(const char *url, const char *data,
		    size_t len, void *arg, char **cause);
/* fetch_to_memory with a check of the body; check may be NULL. */
int	 fetch_to_memory_check(const char *url, long long maxsize,
	     char **data, size_t *len, long *status, fetch_check_fn check,
	     void *arg, char **cause);

/* Joins a base URL and a relative location ("repodata/x.xml.gz"). */
char	*url_join(const char *base, const char *rel);

#endif
