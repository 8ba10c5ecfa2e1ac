/*
 * Blocking fetches for the indexer (libcurl easy interface).  Every
 * failure comes back as one line that names the URL and the cause; errors
 * that a second try may cure (refused connections, timeouts, 5xx, 408,
 * 429) are retried twice with a short pause, a 404 is not.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fetch.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define FETCH_TRIES		3	/* the first try and two retries */
#define FETCH_MAX_REDIRS	5
#define FETCH_CONNECT_TIMEOUT	15	/* seconds */
#define FETCH_LOW_SPEED_TIME	60	/* below 1 byte/s for this long: abort */

/* Where a transfer's body goes: a file or a memory buffer. */
struct fetch_sink {
	const char	*fs_url;	/* for the progress line */
	int		 fs_fd;		/* -1: memory */
	struct buf	 fs_buf;
	long long	 fs_len;
	long long	 fs_max;
	int		 fs_toobig;
	int		 fs_errno;
};

static size_t
fetch_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct fetch_sink	*fs = arg;
	size_t			 len = size * nmemb, left = len;
	ssize_t			 n;

	if (fs->fs_max > 0 && fs->fs_len + (long long)len > fs->fs_max) {
		fs->fs_toobig = 1;
		return 0;
	}
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

static int
fetch_run(const char *url, struct fetch_sink *fs, long *statusp, char **cause)
{
	CURL		*c;
	CURLcode	 rc = CURLE_OK;
	char		 errbuf[CURL_ERROR_SIZE];
	long		 status = 0;
	int		 try;

	if (statusp != NULL)
		*statusp = 0;
	if ((c = curl_easy_init()) == NULL) {
		cause_set(cause, "%s: cannot start a transfer", url);
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	/* A redirect must never reach a local file. */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)FETCH_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)FETCH_LOW_SPEED_TIME);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, fs);
	if (fs->fs_max > 0)
		curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
		    (curl_off_t)fs->fs_max);

	for (try = 0; try < FETCH_TRIES; try++) {
		if (try > 0) {
			sleep(try);	/* 1 s, then 2 s */
			if (fetch_sink_reset(fs) == -1)
				break;
		}
		errbuf[0] = '\0';
		status = 0;
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (rc == CURLE_OK || !fetch_transient(rc, status))
			break;
	}
	curl_easy_cleanup(c);
	if (statusp != NULL)
		*statusp = status;

	if (fs->fs_errno != 0) {
		cause_set(cause, "%s: %s", url, strerror(fs->fs_errno));
		return -1;
	}
	if (fs->fs_toobig || rc == CURLE_FILESIZE_EXCEEDED) {
		cause_set(cause, "%s: larger than %lld bytes", url, fs->fs_max);
		return -1;
	}
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
	if (status >= 400) {
		cause_set(cause, "%s: HTTP %ld", url, status);
		return -1;
	}
	return 0;
}

int
fetch_to_file(const char *url, const char *path, long long maxsize,
    long *status, char **cause)
{
	struct fetch_sink	fs;

	memset(&fs, 0, sizeof fs);
	fs.fs_url = url;
	fs.fs_max = maxsize;
	fs.fs_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fs.fs_fd == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fetch_run(url, &fs, status, cause) == -1) {
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
	struct fetch_sink	fs;

	memset(&fs, 0, sizeof fs);
	fs.fs_url = url;
	fs.fs_max = maxsize;
	fs.fs_fd = -1;
	buf_init(&fs.fs_buf);
	buf_add(&fs.fs_buf, "", 0);
	if (fetch_run(url, &fs, status, cause) == -1) {
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
