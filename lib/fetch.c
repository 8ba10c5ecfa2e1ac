/*
 * Blocking fetches for the indexer (libcurl easy interface).  Every
 * failure comes back as one line that names the URL and the cause; errors
 * that a second try may cure (refused connections, timeouts, 5xx, 408,
 * 429) are retried twice with a short pause, a 404 is not, nor a body
 * larger than expected.  Upstream is untrusted: every download has a
 * size bound, a total deadline, and redirects that are checked and logged.
 * A mirror with several bases (url, mirrorlist, metalink) has each file
 * tried from one base after the other, a try each per round: a base that
 * fails, or serves bytes with the wrong checksum or signature, is logged
 * and the next one asked, so that one dead or stale mirror costs a
 * warning, not the sync.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fetch.h"
#include "hash.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define FETCH_TRIES		3	/* the first try and two retries */

/* Where a transfer's body goes: a file or a memory buffer. */
struct fetch_sink {
	const char	*fs_url;	/* for the progress line */
	int		 fs_fd;		/* -1: memory */
	struct buf	 fs_buf;
	long long	 fs_len;
	long long	 fs_max;
	int		 fs_toobig;
	long long	 fs_clen;	/* the refused Content-Length, or -1 */
	int		 fs_status;	/* of the response whose headers arrive */
	int		 fs_errno;
	const char	*fs_path;	/* the file's, for messages */
	const char	*fs_algo;	/* the checksum the body must have */
	const char	*fs_hex;	/* (NULL: none) */
	struct hash	*fs_hash;	/* of the body so far */
};

/* Refuses a Content-Length above the bound before any body arrives. */
static size_t
fetch_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct fetch_sink	*fs = arg;
	size_t			 len = size * nmemb;
	const char		*name = "content-length:";
	char			 num[32], *end;
	size_t			 n = strlen(name), i;
	long long		 clen;

	/* The status line of each response, redirects and errors included. */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		for (i = 5; i < len && p[i] != ' '; i++)
			;
		fs->fs_status = i + 4 <= len ? atoi(p + i + 1) : 0;
		return len;
	}
	/* Only a success's body is the file: an error page may be larger. */
	if (fs->fs_max <= 0 || len <= n || strncasecmp(p, name, n) != 0 ||
	    fs->fs_status < 200 || fs->fs_status > 299)
		return len;
	for (i = n; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	if (len - i >= sizeof num)
		clen = LLONG_MAX;
	else {
		memcpy(num, p + i, len - i);
		num[len - i] = '\0';
		errno = 0;
		clen = strtoll(num, &end, 10);
		if (end == num)
			return len;	/* curl judges a bad one itself */
		if (errno == ERANGE)
			clen = LLONG_MAX;
	}
	if (clen > fs->fs_max) {
		fs->fs_clen = clen;
		fs->fs_toobig = 1;
		return 0;
	}
	return len;
}

static size_t
fetch_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct fetch_sink	*fs = arg;
	size_t			 len = size * nmemb, left = len;
	ssize_t			 n;

	/* A redirect's or an error's body is not the file. */
	if (fs->fs_status != 0 && (fs->fs_status < 200 || fs->fs_status > 299))
		return len;
	if (fs->fs_max > 0 && fs->fs_len + (long long)len > fs->fs_max) {
		fs->fs_toobig = 1;
		return 0;
	}
	if (fs->fs_hash != NULL)
		hash_update(fs->fs_hash, p, len);
	if (fs->fs_fd == -1)
		buf_add(&fs->fs_buf, p, len);
	else {
		while (left > 0) {
			n = write(fs->fs_fd, p, left);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				fs->fs_errno = errno;
				return 0;
			}
			p += n;
			left -= n;
		}
	}
	fs->fs_len += len;
	if (fs->fs_url != NULL)
		log_progress("%s: %lld kB", fs->fs_url, fs->fs_len / 1024);
	return len;
}

/* Forgets what a failed try wrote, before the next one. */
static int
fetch_sink_reset(struct fetch_sink *fs)
{
	fs->fs_len = 0;
	fs->fs_toobig = 0;
	if (fs->fs_hash != NULL)
		hash_free(fs->fs_hash);
	fs->fs_hash = NULL;
	if (fs->fs_algo != NULL && fs->fs_hex != NULL)
		fs->fs_hash = hash_new(fs->fs_algo);
	if (fs->fs_fd == -1) {
		buf_reset(&fs->fs_buf);
		return 0;
	}
	if (ftruncate(fs->fs_fd, 0) == -1 || lseek(fs->fs_fd, 0, SEEK_SET) == -1) {
		fs->fs_errno = errno;
		return -1;
	}
	return 0;
}

static int
fetch_transient(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return 1;
	case CURLE_HTTP_RETURNED_ERROR:
		return status >= 500 || status == 408 || status == 429;
	default:
		return 0;
	}
}

int
fetch_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* The current mirror's; see fetch.h. */
static struct fetch_policy fetch_policy = { .fp_timeout = FETCH_DEFAULT_TIMEOUT };
/* The base the sync's first good fetch came from; -1: none yet. */
static int fetch_preferred = -1;

static char **
fetch_strv_dup(char *const *v)
{
	char	**d;
	size_t	  n = 0, i;

	if (v == NULL)
		return NULL;
	while (v[n] != NULL)
		n++;
	d = xcalloc(n + 1, sizeof *d);
	for (i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

static void
fetch_strv_free(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
fetch_set_policy(const struct fetch_policy *fp)
{
	static char	**bases, **sums, *canon, *metalink;

	/* Kept here: the caller's list may go before the last fetch. */
	fetch_strv_free(bases);
	fetch_strv_free(sums);
	free(canon);
	free(metalink);
	bases = fetch_strv_dup(fp->fp_bases);
	sums = fetch_strv_dup(fp->fp_repomd_sha256);
	canon = fp->fp_canon != NULL ? xstrdup(fp->fp_canon) : NULL;
	metalink = fp->fp_metalink != NULL ? xstrdup(fp->fp_metalink) : NULL;
	fetch_policy = *fp;
	fetch_policy.fp_bases = bases;
	fetch_policy.fp_repomd_sha256 = sums;
	fetch_policy.fp_canon = canon;
	fetch_policy.fp_metalink = metalink;
	fetch_preferred = -1;
	if (fetch_policy.fp_timeout <= 0)
		fetch_policy.fp_timeout = FETCH_DEFAULT_TIMEOUT;
}

static long long
fetch_msec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when both URLs name the same host (case aside), 0 when not. */
static int
fetch_same_host(const char *a, const char *b)
{
	CURLU	*ua, *ub;
	char	*ha = NULL, *hb = NULL;
	int	 same = 0;

	ua = curl_url();
	ub = curl_url();
	if (ua != NULL && ub != NULL &&
	    curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
	    curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK &&
	    curl_url_get(ua, CURLUPART_HOST, &ha, 0) == CURLUE_OK &&
	    curl_url_get(ub, CURLUPART_HOST, &hb, 0) == CURLUE_OK)
		same = strcasecmp(ha, hb) == 0;
	curl_free(ha);
	curl_free(hb);
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

/*
 * One try: the request and the redirects it gets, followed here rather
 * than by curl so that each hop is logged and checked against the
 * policy.  Returns curl's code; a refused redirect sets *refused
 * (caller-freed) to the target.
 */
static CURLcode
fetch_try(CURL *c, const char *url, struct fetch_sink *fs, long *status,
    char **refused)
{
	CURLcode	 rc;
	char		*cur, *next;
	int		 hops;

	cur = xstrdup(url);
	for (hops = 0;; hops++) {
		curl_easy_setopt(c, CURLOPT_URL, cur);
		*status = 0;
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		next = NULL;
		if (rc != CURLE_OK || *status < 300 || *status >= 400 ||
		    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next) !=
		    CURLE_OK || next == NULL)
			break;
		if (hops == FETCH_MAX_REDIRS) {
			rc = CURLE_TOO_MANY_REDIRECTS;
			break;
		}
		if (!fetch_policy.fp_redirects_any &&
		    !fetch_same_host(cur, next)) {
			log_warnx("%s: redirect to %s refused: another host",
			    cur, next);
			*refused = xstrdup(next);
			break;
		}
		log_info("%s: redirected to %s", cur, next);
		free(cur);
		cur = xstrdup(next);
		/* The redirect's own body is no part of the file. */
		if (fetch_sink_reset(fs) == -1) {
			rc = CURLE_WRITE_ERROR;
			break;
		}
	}
	free(cur);
	return rc;
}

/*
 * The options every transfer of patchgate shares, the indexer's here and
 * patchgated's (proxy/upstream.c): the protocols (a redirect never reaches
 * a local file), how many redirects, the connect timeout, the abort of a
 * stalled transfer, the user agent, the bytes as upstream stores them
 * (their checksum is what the metadata names), and the mirror's proxy and
 * CA file.  The caller adds where the
 * body goes and whether curl follows redirects itself.  -1 when curl
 * refuses one of them.
 */
int
fetch_curl_setup(CURL *c, const struct fetch_policy *fp)
{
	/* TLS is verified (curl's default) against the mirror's CAs if set. */
	if (fp != NULL && fp->fp_proxy != NULL &&
	    curl_easy_setopt(c, CURLOPT_PROXY, fp->fp_proxy) != CURLE_OK)
		return -1;
	if (fp != NULL && fp->fp_ca_file != NULL &&
	    curl_easy_setopt(c, CURLOPT_CAINFO, fp->fp_ca_file) != CURLE_OK)
		return -1;
	if (curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file") !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRS) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	    (long)FETCH_CONNECT_TIMEOUT) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
	    (long)FETCH_LOW_SPEED_TIME) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT,
	    PACKAGE_NAME "/" PACKAGE_VERSION) != CURLE_OK)
		return -1;
	return 0;
}

/*
 * One try of url within deadline (ms, monotonic): 0, or -1 with *cause
 * naming the URL, and *again set when another try may cure it.
 */
static int
fetch_once(const char *url, struct fetch_sink *fs, long long deadline,
    long *statusp, int *again, char **cause)
{
	CURL		*c;
	CURLcode	 rc;
	char		 errbuf[CURL_ERROR_SIZE], *refused = NULL;
	long		 status = 0;
	long long	 left;
	curl_off_t	 clen = -1;
	int		 late = 0;

	*again = 0;
	*statusp = 0;
	if ((left = deadline - fetch_msec()) <= 0) {
		cause_set(cause, "%s: not complete within %lld s "
		    "(fetch-timeout), %lld bytes received", url,
		    fetch_policy.fp_timeout, fs->fs_len);
		return -1;
	}
	if ((c = curl_easy_init()) == NULL) {
		cause_set(cause, "%s: cannot start a transfer", url);
		return -1;
	}
	if (fetch_curl_setup(c, &fetch_policy) != 0) {
		curl_easy_cleanup(c);
		cause_set(cause, "%s: cannot set up the transfer", url);
		return -1;
	}
	/* Redirects are followed here, each checked and logged: fetch_try. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, fs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fetch_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, fs);
	/*
	 * No CURLOPT_MAXFILESIZE: curl applies it to error pages too, and a
	 * 404 larger than the file must read as a 404.  fetch_header() and
	 * fetch_write() bound a success's body instead.
	 */
	fs->fs_clen = -1;
	fs->fs_url = url;
	/* The deadline covers every try: a retry gets what is left. */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left);
	errbuf[0] = '\0';
	rc = fetch_try(c, url, fs, &status, &refused);
	if (rc == CURLE_OPERATION_TIMEDOUT && fetch_msec() >= deadline)
		late = 1;
	if (rc == CURLE_FILESIZE_EXCEEDED)
		curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
	curl_easy_cleanup(c);
	*statusp = status;

	if (refused != NULL) {
		cause_set(cause, "%s: redirect to %s refused: another host "
		    "(redirects = any allows it)", url, refused);
		free(refused);
		return -1;
	}
	if (fs->fs_errno != 0) {
		cause_set(cause, "%s: %s", url, strerror(fs->fs_errno));
		return -1;
	}
	if (fs->fs_clen >= 0)
		clen = fs->fs_clen;
	/* An oversize body is no accident: a retry gets the same. */
	if (rc == CURLE_FILESIZE_EXCEEDED || (fs->fs_toobig && clen >= 0)) {
		if (clen > 0)
			cause_set(cause, "%s: size mismatch: Content-Length "
			    "%lld, larger than %lld bytes; refused before the "
			    "body", url, (long long)clen, fs->fs_max);
		else
			cause_set(cause, "%s: size mismatch: larger than "
			    "%lld bytes", url, fs->fs_max);
		return -1;
	}
	if (fs->fs_toobig) {
		cause_set(cause, "%s: size mismatch: body larger than "
		    "%lld bytes; stopped", url, fs->fs_max);
		return -1;
	}
	if (late) {
		cause_set(cause, "%s: not complete within %lld s (fetch-timeout), "
		    "%lld bytes received", url, fetch_policy.fp_timeout,
		    fs->fs_len);
		return -1;
	}
	*again = rc != CURLE_OK && fetch_transient(rc, status);
	if (rc == CURLE_HTTP_RETURNED_ERROR && status != 0) {
		cause_set(cause, "%s: HTTP %ld", url, status);
		return -1;
	}
	if (rc != CURLE_OK) {
		cause_set(cause, "%s: %s", url,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		return -1;
	}
	/* FAILONERROR catches >= 400 already; this is a second line. */
	if (status >= 300) {
		cause_set(cause, "%s: HTTP %ld", url, status);
		return -1;
	}
	return 0;
}

/*
 * What url is relative to the mirror's canonical URL or one of its bases
 * ("repodata/repomd.xml"), with that prefix's base index in *match (-1:
 * fp_canon, which is no base); NULL when failover does not apply.
 */
static const char *
fetch_rel(const char *url, int *match)
{
	const struct fetch_policy	*fp = &fetch_policy;
	size_t				 len;
	int				 i;

	if (fp->fp_bases == NULL || fp->fp_canon == NULL)
		return NULL;
	for (i = -1; i == -1 || fp->fp_bases[i] != NULL; i++) {
		const char *b = i == -1 ? fp->fp_canon : fp->fp_bases[i];

		len = strlen(b);
		if (strncmp(url, b, len) == 0 && url[len] == '/' &&
		    url[len + 1] != '\0') {
			*match = i;
			if (i == -1) {
				/* The canonical URL is often the first base. */
				for (i = 0; fp->fp_bases[i] != NULL; i++) {
					if (strcmp(fp->fp_bases[i], b) == 0) {
						*match = i;
						break;
					}
				}
			}
			return url + len + 1;
		}
	}
	return NULL;
}

/* One URL a fetch may take its file from. */
struct fetch_cand {
	char		*fc_url;
	int		 fc_base;	/* index in fp_bases, or -1 */
	int		 fc_done;	/* failed for good */
	long		 fc_status;
	long long	 fc_deadline;	/* 0: not tried yet */
	char		*fc_cause;
};

/*
 * Checks what a try fetched: the checksum the caller expects, the
 * metalink's for repomd.xml, the caller's check.  0, or -1 with *cause.
 */
static int
fetch_accept(struct fetch_sink *fs, struct fetch_cand *fc, const char *rel,
    fetch_check_fn check, void *arg, char **cause)
{
	char	hex[HASH_HEX_MAX], *why = NULL;
	size_t	i;
	int	saved, rc;

	if (fs->fs_hash != NULL) {
		hash_final(fs->fs_hash, hex);	/* frees it */
		fs->fs_hash = NULL;
		if (strcasecmp(hex, fs->fs_hex) != 0) {
			cause_set(cause, "%s: %s mismatch (expected %s, got %s)",
			    fc->fc_url, fs->fs_algo, fs->fs_hex, hex);
			return -1;
		}
	}
	if (rel != NULL && fetch_policy.fp_repomd_sha256 != NULL &&
	    strcmp(rel, "repodata/repomd.xml") == 0) {
		if (fs->fs_fd == -1)
			hash_buffer("sha256", fs->fs_buf.b_data,
			    fs->fs_buf.b_len, hex);
		else if (hash_file("sha256", fs->fs_path, hex, NULL) != 0) {
			cause_set(cause, "%s: %s", fs->fs_path, strerror(errno));
			return -1;
		}
		for (i = 0; fetch_policy.fp_repomd_sha256[i] != NULL; i++) {
			if (strcasecmp(hex, fetch_policy.fp_repomd_sha256[i]) == 0)
				break;
		}
		if (fetch_policy.fp_repomd_sha256[i] == NULL) {
			cause_set(cause, "%s: sha256 %s is not one that %s gives "
			    "for repodata/repomd.xml (%s%s)", fc->fc_url, hex,
			    fetch_policy.fp_metalink != NULL ?
			    fetch_policy.fp_metalink : "the metalink",
			    fetch_policy.fp_repomd_sha256[0], i > 1 ?
			    " or another" : "");
			return -1;
		}
	}
	if (check == NULL || fs->fs_fd != -1)
		return 0;
	/* What the check fetches comes from this base first. */
	saved = fetch_preferred;
	if (fc->fc_base >= 0)
		fetch_preferred = fc->fc_base;
	rc = check(fc->fc_url, fs->fs_buf.b_data, fs->fs_buf.b_len, arg, &why);
	if (rc != 0) {
		fetch_preferred = saved;
		/* Which base's copy was refused, when there are several. */
		if (fetch_policy.fp_bases != NULL && fetch_policy.fp_bases[0] !=
		    NULL && fetch_policy.fp_bases[1] != NULL && rel != NULL)
			cause_set(cause, "%s: %s", fc->fc_url, why);
		else
			cause_set(cause, "%s", why);
	}
	free(why);
	return rc;
}

/*
 * Fetches url into fs: from each base in turn when failover applies
 * (struct fetch_policy), a try each per round, transient errors retried
 * for FETCH_TRIES rounds with a pause between them.
 */
static int
fetch_run(const char *url, struct fetch_sink *fs, long *statusp,
    fetch_check_fn check, void *arg, char **cause)
{
	struct fetch_cand	*cand, *fc;
	struct buf		 all;
	const char		*rel;
	char			*why;
	size_t			 n = 0, i, nb = 0;
	long			 status = 0;
	int			 round, match = -1, again, pending, rc = -1;
	int			 first, failed = 0;

	if (statusp != NULL)
		*statusp = 0;
	rel = fetch_rel(url, &match);
	if (rel != NULL)
		while (fetch_policy.fp_bases[nb] != NULL)
			nb++;
	cand = xcalloc(nb + 1, sizeof *cand);
	if (rel == NULL || nb == 0) {
		cand[n].fc_url = xstrdup(url);
		cand[n++].fc_base = match;
	} else {
		/* The sync's base first, then the list's order. */
		first = fetch_preferred >= 0 && (size_t)fetch_preferred < nb ?
		    fetch_preferred : 0;
		for (i = 0; i < nb; i++) {
			int b = i == 0 ? first : (int)i <= first ? (int)i - 1 :
			    (int)i;

			cand[n].fc_base = b;
			cand[n++].fc_url = b == match ? xstrdup(url) :
			    url_join(fetch_policy.fp_bases[b], rel);
		}
	}

	for (round = 0; round < FETCH_TRIES && rc != 0; round++) {
		pending = 0;
		for (i = 0; i < n; i++)
			pending += !cand[i].fc_done;
		if (pending == 0)
			break;
		if (round > 0)
			sleep(round);	/* 1 s, then 2 s */
		for (i = 0; i < n && rc != 0; i++) {
			fc = &cand[i];
			if (fc->fc_done)
				continue;
			if (fetch_sink_reset(fs) == -1) {
				free(fc->fc_cause);
				fc->fc_cause = NULL;
				cause_set(&fc->fc_cause, "%s: %s", url,
				    strerror(fs->fs_errno));
				fc->fc_done = 1;
				continue;
			}
			/* Each base gets the whole fetch-timeout. */
			if (fc->fc_deadline == 0)
				fc->fc_deadline = fetch_msec() +
				    fetch_policy.fp_timeout * 1000;
			free(fc->fc_cause);
			fc->fc_cause = NULL;
			if (fetch_once(fc->fc_url, fs, fc->fc_deadline,
			    &fc->fc_status, &again, &fc->fc_cause) == 0) {
				if (fetch_accept(fs, fc, rel, check, arg,
				    &fc->fc_cause) == 0) {
					rc = 0;
					status = fc->fc_status;
					break;
				}
				/* Not papered over: the next base may do. */
				again = 0;
				if (n > 1 && i + 1 < n)
					log_warnx("%s; trying the next URL",
					    fc->fc_cause);
			} else if (n > 1)
				log_warnx("%s%s", fc->fc_cause, i + 1 < n ?
				    "; trying the next URL" : again &&
				    round + 1 < FETCH_TRIES ? "; trying the "
				    "URLs again" : "");
			if (!again)
				fc->fc_done = 1;
			failed++;
		}
	}
	if (rc == 0) {
		if (fc->fc_base >= 0 && fetch_preferred == -1)
			fetch_preferred = fc->fc_base;
		if (failed > 0 && n > 1)
			log_info("%s: fetched from %s", url, fc->fc_url);
	} else if (n == 1) {
		cause_set(cause, "%s", cand[0].fc_cause);
		status = cand[0].fc_status;
	} else {
		buf_init(&all);
		for (i = 0; i < n; i++) {
			why = cand[i].fc_cause;
			buf_addf(&all, "%s%s", i > 0 ? "; " : "", why != NULL ?
			    why : cand[i].fc_url);
			/* A 404 everywhere says the file is not there. */
			if (cand[i].fc_status == 404 || status == 0)
				status = cand[i].fc_status;
		}
		buf_add(&all, "", 1);
		cause_set(cause, "every one of %zu URLs failed: %s", n,
		    all.b_data);
		buf_free(&all);
	}
	for (i = 0; i < n; i++) {
		free(cand[i].fc_url);
		free(cand[i].fc_cause);
	}
	free(cand);
	if (fs->fs_hash != NULL) {
		hash_free(fs->fs_hash);
		fs->fs_hash = NULL;
	}
	if (statusp != NULL)
		*statusp = status;
	return rc;
}

int
fetch_to_file(const char *url, const char *path, long long maxsize,
    long *status, char **cause)
{
	return fetch_to_file_hash(url, path, maxsize, NULL, NULL, status,
	    cause);
}

int
fetch_to_file_hash(const char *url, const char *path, long long maxsize,
    const char *algo, const char *hex, long *status, char **cause)
{
	struct fetch_sink	fs;

	memset(&fs, 0, sizeof fs);
	fs.fs_url = url;
	fs.fs_path = path;
	fs.fs_max = maxsize;
	fs.fs_algo = algo;
	fs.fs_hex = hex;
	fs.fs_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fs.fs_fd == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fetch_run(url, &fs, status, NULL, NULL, cause) == -1) {
		close(fs.fs_fd);
		return -1;
	}
	/* The caller renames this file into place: it must be on disk first. */
	if (fsync(fs.fs_fd) == -1 || close(fs.fs_fd) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
fetch_to_memory(const char *url, long long maxsize, char **data, size_t *len,
    long *status, char **cause)
{
	return fetch_to_memory_check(url, maxsize, data, len, status, NULL,
	    NULL, cause);
}

int
fetch_to_memory_check(const char *url, long long maxsize, char **data,
    size_t *len, long *status, fetch_check_fn check, void *arg, char **cause)
{
	struct fetch_sink	fs;

	memset(&fs, 0, sizeof fs);
	fs.fs_url = url;
	fs.fs_max = maxsize;
	fs.fs_fd = -1;
	buf_init(&fs.fs_buf);
	buf_add(&fs.fs_buf, "", 0);
	if (fetch_run(url, &fs, status, check, arg, cause) == -1) {
		buf_free(&fs.fs_buf);
		return -1;
	}
	*data = fs.fs_buf.b_data;
	*len = fs.fs_buf.b_len;
	return 0;
}

/*
 * The base is a directory whether or not it ends in a slash (mirror URLs
 * are written both ways).  An absolute URL in rel stands alone, and an
 * absolute path replaces the base's path.  Returns a caller-freed string.
 */
char *
url_join(const char *base, const char *rel)
{
	const char	*p, *scheme_end, *host_end;
	const char	*sep;
	size_t		 blen, minlen;
	char		*url;

	for (p = rel; *p != '\0' && *p != '/' && *p != '?' && *p != '#'; p++) {
		if (*p == ':' && p != rel && strncmp(p, "://", 3) == 0)
			return xstrdup(rel);
	}
	blen = strlen(base);
	if (*rel == '/') {
		host_end = base + blen;
		if ((scheme_end = strstr(base, "://")) != NULL) {
			host_end = strchr(scheme_end + 3, '/');
			if (host_end == NULL)
				host_end = base + blen;
		}
		xasprintf(&url, "%.*s%s", (int)(host_end - base), base, rel);
		return url;
	}
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	/* Keep "scheme://" and the first character after it ("file:///"). */
	minlen = 0;
	if ((scheme_end = strstr(base, "://")) != NULL)
		minlen = scheme_end - base + 3;
	while (blen > minlen + 1 && base[blen - 1] == '/')
		blen--;
	sep = blen > 0 && base[blen - 1] == '/' ? "" : "/";
	xasprintf(&url, "%.*s%s%s", (int)blen, base, sep, rel);
	return url;
}
