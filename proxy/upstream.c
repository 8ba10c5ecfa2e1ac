/*
 * Package files the blob store does not have yet: fetched from upstream
 * with libcurl's multi interface on patchgated's event loop, written to a
 * temporary file of the blob store, and streamed from that file to every
 * client that asks for them meanwhile.
 *
 * Collapsed forwarding: one download per file (its checksum is the key),
 * whatever the number of clients.  A client joins the download running for
 * its file and is sent, with sendfile, the bytes already on disk, then the
 * rest as they arrive; it may leave at any time without stopping the
 * download, which ends in the store even when no client is left.  The disk
 * holds what the clients have not read yet, so a slow client neither
 * slows the download nor grows the daemon's memory: each client has at
 * most one file segment (TLS: one piece read into memory, as tls.c sends
 * stored files) queued, the next goes once its output has drained, and a
 * client that stops reading is cut by the server's idle timeout.  A
 * download that ended stays, off the list, until its last client has
 * drained everything (download_close, upclient_close).
 *
 * A client must never receive a wrong file.  The last byte of each answer
 * is held back until blob_writer_commit() has verified size and checksum
 * (on the worker pool, with the fsyncs and the rename that follow, while
 * the download stays listed for clients that join meanwhile);
 * when the check fails, or upstream fails half-way, every client that has
 * started is cut, and with the Content-Length it was promised sees a failed
 * transfer.  Clients that got no byte yet get a 502 with the cause.
 *
 * Failover: a file of a mirror with several base URLs (url, and the
 * bases its mirrorlist or metalink gave the last sync) is fetched from
 * each in turn until one answers with the file; a base that cannot be
 * reached or answers 5xx is put back for UPSTREAM_BACKOFF seconds, tried
 * then only after the others, so that requests do not wait on a dead
 * host first.  A base is left only before the first byte: once bytes
 * went to clients, a failure is the download's.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "blob.h"
#include "conf.h"
#include "fetch.h"
#include "log.h"
#include "mirrorlist.h"
#include "proxy.h"
#include "util.h"

#define UPSTREAM_BACKOFF	30	/* seconds a failing base is tried last */

/* A socket curl asked the loop to watch. */
struct upsock {
	struct upstream		*sk_up;
	struct event		*sk_ev;
	LIST_ENTRY(upsock)	 sk_link;
};

/* One client request answered from a download. */
struct upclient {
	struct download		*uc_dl;
	struct evhttp_request	*uc_req;
	char			*uc_client;	/* for the access log, which */
	char			*uc_uri;	/* may outlive the connection */
	int			 uc_code;	/* 200 or 206 */
	int			 uc_started;	/* response headers sent */
	int			 uc_queued;	/* its output has not drained */
	long long		 uc_first;	/* the bytes the client asked for */
	long long		 uc_last;
	long long		 uc_next;	/* the next byte to queue */
	TAILQ_ENTRY(upclient)	 uc_link;
};
TAILQ_HEAD(upclients, upclient);

/* One upstream transfer of one file, shared by every client of that file. */
struct download {
	struct upstream		*dl_up;
	CURL			*dl_easy;
	struct blob_writer	*dl_writer;
	int			 dl_fd;		/* the temporary file, to read */
	char			*dl_algo;	/* the key: checksum of the file */
	char			*dl_hex;
	char			*dl_url;
	char			*dl_path;
	char			*dl_cause;	/* why a callback stopped curl */
	char			**dl_urls;	/* to try in turn; dl_url is one */
	char			**dl_bases;	/* the base of each, or "" */
	size_t			 dl_try;	/* index of dl_url in dl_urls */
	struct buf		 dl_failed;	/* what the URLs tried did */
	char			*dl_proxy;	/* the mirror's, for the next */
	char			*dl_ca_file;	/* try: cf may be reloaded */
	char			 dl_errbuf[CURL_ERROR_SIZE];
	long long		 dl_size;	/* of the whole file */
	long long		 dl_received;	/* on disk */
	int			 dl_verified;
	int			 dl_committing;	/* on the pool */
	int			 dl_ended;	/* on us_ended, for its clients */
	int			 dl_clients;	/* ever joined, for the log */
	struct upclients	 dl_list;
	TAILQ_ENTRY(download)	 dl_link;
};

/* A base URL that failed lately: tried after the others until bo_until. */
struct backoff {
	char			*bo_base;
	long long		 bo_until;	/* ms, monotonic */
	LIST_ENTRY(backoff)	 bo_link;
};

struct upstream {
	struct event_base	*us_base;
	struct blobstore	*us_blobs;
	struct pool		*us_pool;
	CURLM			*us_multi;
	struct event		*us_timer;
	TAILQ_HEAD(, download)	 us_downloads;
	TAILQ_HEAD(, download)	 us_ended;	/* clients still draining */
	LIST_HEAD(, upsock)	 us_socks;
	LIST_HEAD(, backoff)	 us_backoffs;	/* bases that failed lately */
};

static void	upstream_pump(struct upclient *);
static void	download_free(struct download *);

/*
 * Ends one client's part, the only place that does: answers, cuts or
 * forgets the client, and frees what it owns, and its ended download
 * with the last client.  cause is NULL when every byte has drained; gone
 * is set when the connection is closed already.
 */
static void
upclient_close(struct upclient *c, const char *cause, int gone)
{
	struct download			*dl = c->uc_dl;
	struct evhttp_request		*req = c->uc_req;
	struct evhttp_connection	*evcon;
	long long			 sent = c->uc_next - c->uc_first;

	TAILQ_REMOVE(&dl->dl_list, c, uc_link);
	evcon = evhttp_request_get_connection(req);
	if (evcon != NULL)
		server_on_close(evcon, NULL, NULL);

	if (gone) {
		log_info("%s: client %s left after %lld bytes%s", dl->dl_path,
		    c->uc_client, sent, dl->dl_ended ? "" :
		    "; the download goes on");
		server_access(c->uc_client, "GET", c->uc_uri, c->uc_code, sent);
		/* libevent detached the request from its dead connection. */
		if (evcon == NULL)
			evhttp_request_free(req);
	} else if (cause == NULL) {
		server_access(c->uc_client, "GET", c->uc_uri, c->uc_code, sent);
		evhttp_send_reply_end(req);
	} else if (!c->uc_started) {
		server_error(req, 502, "%s: upstream %s: %s", dl->dl_path,
		    dl->dl_url, cause);
	} else {
		log_warnx("%s: client %s cut after %lld of %lld bytes: %s",
		    dl->dl_path, c->uc_client, sent, c->uc_last - c->uc_first + 1,
		    cause);
		server_access(c->uc_client, "GET", c->uc_uri, c->uc_code, sent);
		/* Frees req; the client never gets a complete wrong file. */
		evhttp_connection_free(evcon);
	}
	free(c->uc_client);
	free(c->uc_uri);
	free(c);
	/* Its callers return at once: nothing uses dl after this. */
	if (dl->dl_ended && TAILQ_EMPTY(&dl->dl_list))
		download_free(dl);
}

/*
 * Ends a download, the only place that does: stores the file or drops it,
 * lets every client take the rest or cuts it, and logs why.  cause is NULL
 * when the file verified.  A client whose output has not drained yet gets
 * the rest from upstream_drained: the download is freed (download_free)
 * with its last client.  Never called from inside a curl callback.
 */
static void
download_close(struct download *dl, const char *cause)
{
	struct upstream	*up = dl->dl_up;
	struct upclient	*c, *next;
	char		*why = NULL;

	TAILQ_REMOVE(&up->us_downloads, dl, dl_link);
	if (dl->dl_easy != NULL) {
		curl_multi_remove_handle(up->us_multi, dl->dl_easy);
		curl_easy_cleanup(dl->dl_easy);
	}
	if (cause == NULL && dl->dl_writer != NULL) {
		/* Verifies the size and checksum, and frees the writer. */
		if (blob_writer_commit(dl->dl_writer, &why) != 0)
			cause = why;
		dl->dl_writer = NULL;
	}
	if (dl->dl_writer != NULL)
		blob_writer_abort(dl->dl_writer);	/* removes the temp file */

	if (cause == NULL) {
		dl->dl_verified = 1;
		log_info("%s: stored from %s (%lld bytes, %d client%s)",
		    dl->dl_path, dl->dl_url, dl->dl_received, dl->dl_clients,
		    dl->dl_clients == 1 ? "" : "s");
		/*
		 * Every client gets the rest, the held-back byte included,
		 * once its output has drained: now or from upstream_drained.
		 */
		for (c = TAILQ_FIRST(&dl->dl_list); c != NULL; c = next) {
			next = TAILQ_NEXT(c, uc_link);
			upstream_pump(c);
		}
	} else {
		log_warnx("%s: %s: %s; nothing stored", dl->dl_path, dl->dl_url,
		    cause);
		while ((c = TAILQ_FIRST(&dl->dl_list)) != NULL)
			upclient_close(c, cause, 0);
	}
	free(why);
	if (TAILQ_EMPTY(&dl->dl_list))
		download_free(dl);
	else {
		dl->dl_ended = 1;
		TAILQ_INSERT_TAIL(&up->us_ended, dl, dl_link);
	}
}

static long long
upstream_msec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The back-off entry of base, if it is still running; NULL when not. */
static struct backoff *
upstream_backoff_find(struct upstream *up, const char *base)
{
	struct backoff	*bo, *next;
	long long	 now = upstream_msec();

	for (bo = LIST_FIRST(&up->us_backoffs); bo != NULL; bo = next) {
		next = LIST_NEXT(bo, bo_link);
		if (bo->bo_until <= now) {
			LIST_REMOVE(bo, bo_link);
			free(bo->bo_base);
			free(bo);
			continue;
		}
		if (strcmp(bo->bo_base, base) == 0)
			return bo;
	}
	return NULL;
}

/* base failed: others first for UPSTREAM_BACKOFF seconds. */
static void
upstream_backoff_set(struct upstream *up, const char *base)
{
	struct backoff	*bo;

	if (*base == '\0')
		return;
	if ((bo = upstream_backoff_find(up, base)) == NULL) {
		if ((bo = calloc(1, sizeof *bo)) == NULL ||
		    (bo->bo_base = strdup(base)) == NULL) {
			free(bo);
			return;
		}
		LIST_INSERT_HEAD(&up->us_backoffs, bo, bo_link);
		log_warnx("upstream %s: tried after the mirror's other URLs "
		    "for %d s", base, UPSTREAM_BACKOFF);
	}
	bo->bo_until = upstream_msec() + UPSTREAM_BACKOFF * 1000;
}

/* Frees an ended download, whose clients are gone. */
static void
download_free(struct download *dl)
{
	if (dl->dl_ended)
		TAILQ_REMOVE(&dl->dl_up->us_ended, dl, dl_link);
	if (dl->dl_fd != -1)
		close(dl->dl_fd);
	free(dl->dl_algo);
	free(dl->dl_hex);
	free(dl->dl_url);
	free(dl->dl_path);
	free(dl->dl_cause);
	words_free(dl->dl_urls);
	words_free(dl->dl_bases);
	buf_free(&dl->dl_failed);
	free(dl->dl_proxy);
	free(dl->dl_ca_file);
	free(dl);
}

/* The client's output buffer emptied: it may take more. */
static void
upstream_drained(struct evhttp_connection *evcon, void *arg)
{
	struct upclient	*c = arg;

	if (!tls_drained(evcon))
		return;
	c->uc_queued = 0;
	upstream_pump(c);
}

/*
 * Queues for c, once its output has drained, the bytes of its range that
 * are on disk: one file segment, sent with sendfile, or over TLS one piece
 * read into memory; all but the last byte of the range until the file is
 * verified.  Ends c once the whole range has drained, so that the reply
 * ends with an empty output: over TLS, libevent runs the write callback a
 * turn late, and a reply ended with bytes queued would have that callback
 * take the connection back for the next request with the bytes unsent.
 */
static void
upstream_pump(struct upclient *c)
{
	struct download			*dl = c->uc_dl;
	struct evhttp_connection	*evcon;
	struct evbuffer			*buf;
	struct evbuffer_file_segment	*seg;
	long long			 end, len;
	ssize_t				 n;
	int				 fd;

	if (c->uc_queued)
		return;		/* upstream_drained pumps again */
	if (dl->dl_verified && c->uc_next > c->uc_last) {
		if (!c->uc_started) {
			evhttp_send_reply_start(c->uc_req, c->uc_code, NULL);
			c->uc_started = 1;
		}
		upclient_close(c, NULL, 0);
		return;
	}
	/* The end (exclusive) of what may go now. */
	end = dl->dl_received < c->uc_last + 1 ? dl->dl_received :
	    c->uc_last + 1;
	if (!dl->dl_verified && end > c->uc_last)
		end = c->uc_last;
	if ((len = end - c->uc_next) <= 0)
		return;

	if (!c->uc_started) {
		evhttp_send_reply_start(c->uc_req, c->uc_code, NULL);
		c->uc_started = 1;
	}
	evcon = evhttp_request_get_connection(c->uc_req);
	if ((buf = evbuffer_new()) == NULL) {
		upclient_close(c, "out of memory", 0);
		return;
	}
	if (server_request_is_tls(c->uc_req)) {
		/* TLS encrypts from memory: a piece, not a mapping of len. */
		if ((n = tls_read_piece(buf, dl->dl_fd, c->uc_next, len)) <= 0) {
			evbuffer_free(buf);
			upclient_close(c, n == 0 ? "the file is shorter than "
			    "received" : strerror(errno), 0);
			return;
		}
		len = n;
	} else {
		evbuffer_set_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD);
		seg = NULL;
		if ((fd = dup(dl->dl_fd)) == -1 ||
		    (seg = evbuffer_file_segment_new(fd, c->uc_next, len,
		    EVBUF_FS_CLOSE_ON_FREE)) == NULL ||
		    evbuffer_add_file_segment(buf, seg, 0, len) == -1) {
			if (seg != NULL)
				evbuffer_file_segment_free(seg);
			else if (fd != -1)
				close(fd);
			evbuffer_free(buf);
			upclient_close(c, "cannot send the file", 0);
			return;
		}
		evbuffer_file_segment_free(seg);	/* buf holds it */
	}
	c->uc_next += len;
	c->uc_queued = 1;
	evhttp_send_reply_chunk_with_cb(c->uc_req, buf, upstream_drained, c);
	evbuffer_free(buf);
	server_writing(evcon);
}

/* curl's write callback: to the temporary file, then to the clients. */
static size_t
upstream_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct download	*dl = arg;
	struct upclient	*c, *next;
	long long	 n = size * nmemb;
	long		 status = 0;

	if (dl->dl_received == 0) {
		curl_easy_getinfo(dl->dl_easy, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200 && status != 0) {	/* 0: file:// */
			cause_set(&dl->dl_cause, "HTTP %ld", status);
			return 0;
		}
	}
	if (blob_writer_write(dl->dl_writer, data, n, &dl->dl_cause) != 0)
		return 0;
	dl->dl_received += n;
	/* A client the pump ends leaves the list: take the next one first. */
	for (c = TAILQ_FIRST(&dl->dl_list); c != NULL; c = next) {
		next = TAILQ_NEXT(c, uc_link);
		upstream_pump(c);
	}
	return n;
}

/* The commit of a downloaded blob, on the pool. */
struct upcommit {
	struct download		*cm_dl;
	struct blob_writer	*cm_writer;
	char			*cm_cause;
};

static void
upstream_commit_work(void *arg)
{
	struct upcommit	*cm = arg;

	/* Verifies, fsyncs, renames into place, fsyncs the directory. */
	if (blob_writer_commit(cm->cm_writer, &cm->cm_cause) != 0 &&
	    cm->cm_cause == NULL)
		cm->cm_cause = strdup("cannot store the file");
}

static void
upstream_commit_done(void *arg)
{
	struct upcommit	*cm = arg;

	download_close(cm->cm_dl, cm->cm_cause);
	free(cm->cm_cause);
	free(cm);
}

/*
 * The transfer ended well: the file is verified and stored off the loop,
 * then download_close finishes the clients.  The download stays listed
 * meanwhile, so that a client asking for the file joins it.
 */
static void
upstream_commit(struct download *dl)
{
	struct upstream	*up = dl->dl_up;
	struct upcommit	*cm;

	curl_multi_remove_handle(up->us_multi, dl->dl_easy);
	curl_easy_cleanup(dl->dl_easy);
	dl->dl_easy = NULL;
	if (dl->dl_writer == NULL || (cm = calloc(1, sizeof *cm)) == NULL) {
		download_close(dl, NULL);	/* commits on the loop */
		return;
	}
	cm->cm_dl = dl;
	cm->cm_writer = dl->dl_writer;
	dl->dl_writer = NULL;
	dl->dl_committing = 1;
	if (pool_run(up->us_pool, upstream_commit_work, upstream_commit_done,
	    cm) == -1) {
		dl->dl_writer = cm->cm_writer;
		dl->dl_committing = 0;
		free(cm);
		download_close(dl, NULL);
	}
}

static int	upstream_setup(struct download *, const struct fetch_policy *,
		    char **);

/*
 * The try of dl's current URL failed with why before any byte: the next
 * URL is tried, or, when it cannot start, dl ends with every cause.
 */
static void
upstream_next(struct download *dl, const char *why)
{
	struct fetch_policy	 fp;
	char			*cause = NULL, *next;

	next = dl->dl_urls[dl->dl_try + 1];
	log_warnx("%s: %s: %s; trying %s", dl->dl_path, dl->dl_url, why, next);
	buf_addf(&dl->dl_failed, "%s%s: %s", dl->dl_failed.b_len > 0 ? "; " :
	    "", dl->dl_url, why);
	curl_multi_remove_handle(dl->dl_up->us_multi, dl->dl_easy);
	curl_easy_cleanup(dl->dl_easy);
	dl->dl_easy = NULL;
	free(dl->dl_cause);
	dl->dl_cause = NULL;
	dl->dl_errbuf[0] = '\0';
	dl->dl_try++;
	memset(&fp, 0, sizeof fp);
	fp.fp_proxy = dl->dl_proxy;
	fp.fp_ca_file = dl->dl_ca_file;
	if ((next = strdup(next)) == NULL)
		cause_set(&cause, "out of memory");
	else {
		free(dl->dl_url);
		dl->dl_url = next;
		if (upstream_setup(dl, &fp, &cause) == 0)
			return;
	}
	buf_addf(&dl->dl_failed, "; %s: %s", dl->dl_url, cause);
	buf_add(&dl->dl_failed, "", 1);
	free(cause);
	download_close(dl, dl->dl_failed.b_data);
}

/* curl is done with dl: verify, store, and finish the replies. */
static void
upstream_done(struct download *dl, CURLcode rc)
{
	curl_off_t	 us = 0;

	struct backoff	*bo;
	const char	*why;
	long		 status = 0;

	curl_easy_getinfo(dl->dl_easy, CURLINFO_TOTAL_TIME_T, &us);
	curl_easy_getinfo(dl->dl_easy, CURLINFO_RESPONSE_CODE, &status);
	metrics_upstream(rc == CURLE_OK && dl->dl_cause == NULL,
	    (double)us / 1e6);
	if (rc == CURLE_OK) {
		/* It answers again: no need to try it last. */
		if ((bo = upstream_backoff_find(dl->dl_up,
		    dl->dl_bases[dl->dl_try])) != NULL)
			bo->bo_until = 0;
		upstream_commit(dl);
		return;
	}
	if (dl->dl_cause != NULL)
		why = dl->dl_cause;
	else if (rc == CURLE_HTTP_RETURNED_ERROR && status != 0) {
		cause_set(&dl->dl_cause, "HTTP %ld", status);
		why = dl->dl_cause;
	} else if (dl->dl_errbuf[0] != '\0')
		why = dl->dl_errbuf;
	else
		why = curl_easy_strerror(rc);
	/* An unreachable or failing host, not a missing file: back off. */
	if (status >= 500 || (rc != CURLE_HTTP_RETURNED_ERROR &&
	    dl->dl_received == 0 && dl->dl_cause == NULL))
		upstream_backoff_set(dl->dl_up, dl->dl_bases[dl->dl_try]);
	if (dl->dl_urls[dl->dl_try + 1] != NULL && dl->dl_received == 0) {
		upstream_next(dl, why);
		return;
	}
	if (dl->dl_failed.b_len > 0) {
		buf_addf(&dl->dl_failed, "; %s: %s", dl->dl_url, why);
		buf_add(&dl->dl_failed, "", 1);
		download_close(dl, dl->dl_failed.b_data);
	} else
		download_close(dl, why);
}

static void
upstream_check(struct upstream *up)
{
	CURLMsg		*msg;
	struct download	*dl;
	CURLcode	 rc;
	int		 left;

	while ((msg = curl_multi_info_read(up->us_multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&dl);
		upstream_done(dl, rc);
	}
}

static void
upstream_event(evutil_socket_t fd, short events, void *arg)
{
	struct upstream	*up = arg;
	int		 action = 0, running;

	if (events & EV_READ)
		action |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(up->us_multi, fd, action, &running);
	upstream_check(up);
}

static void
upstream_timeout(evutil_socket_t fd, short events, void *arg)
{
	struct upstream	*up = arg;
	int		 running;

	curl_multi_socket_action(up->us_multi, CURL_SOCKET_TIMEOUT, 0, &running);
	upstream_check(up);
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called back in ms. */
static int
upstream_set_timer(CURLM *multi, long ms, void *arg)
{
	struct upstream	*up = arg;
	struct timeval	 tv;

	if (ms < 0) {
		evtimer_del(up->us_timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return evtimer_add(up->us_timer, &tv);
}

static void
upstream_sock_free(struct upsock *sk)
{
	event_free(sk->sk_ev);
	LIST_REMOVE(sk, sk_link);
	free(sk);
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what curl says, or stop. */
static int
upstream_set_socket(CURL *easy, curl_socket_t s, int what, void *arg,
    void *sockp)
{
	struct upstream	*up = arg;
	struct upsock	*sk = sockp;
	short		 kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (sk != NULL) {
			curl_multi_assign(up->us_multi, s, NULL);
			upstream_sock_free(sk);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (sk == NULL) {
		if ((sk = calloc(1, sizeof *sk)) == NULL)
			return -1;
		sk->sk_up = up;
		if ((sk->sk_ev = event_new(up->us_base, s, kind, upstream_event,
		    up)) == NULL) {
			free(sk);
			return -1;
		}
		LIST_INSERT_HEAD(&up->us_socks, sk, sk_link);
		curl_multi_assign(up->us_multi, s, sk);
	} else {
		/* Same socket, other events: reuse the event, not pending now. */
		event_del(sk->sk_ev);
		event_assign(sk->sk_ev, up->us_base, s, kind, upstream_event, up);
	}
	return event_add(sk->sk_ev, NULL);
}

struct upstream *
upstream_new(struct event_base *base, struct blobstore *blobs,
    struct pool *pool, char **cause)
{
	struct upstream	*up;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		cause_set(cause, "libcurl: initialization failed");
		return NULL;
	}
	if ((up = calloc(1, sizeof *up)) == NULL) {
		curl_global_cleanup();
		cause_set(cause, "out of memory");
		return NULL;
	}
	up->us_base = base;
	up->us_blobs = blobs;
	up->us_pool = pool;
	TAILQ_INIT(&up->us_downloads);
	TAILQ_INIT(&up->us_ended);
	LIST_INIT(&up->us_backoffs);
	LIST_INIT(&up->us_socks);
	if ((up->us_multi = curl_multi_init()) == NULL ||
	    (up->us_timer = evtimer_new(base, upstream_timeout, up)) == NULL) {
		cause_set(cause, "libcurl: cannot create a multi handle");
		upstream_free(up);
		return NULL;
	}
	curl_multi_setopt(up->us_multi, CURLMOPT_SOCKETFUNCTION,
	    upstream_set_socket);
	curl_multi_setopt(up->us_multi, CURLMOPT_SOCKETDATA, up);
	curl_multi_setopt(up->us_multi, CURLMOPT_TIMERFUNCTION,
	    upstream_set_timer);
	curl_multi_setopt(up->us_multi, CURLMOPT_TIMERDATA, up);
	return up;
}

void
upstream_free(struct upstream *up)
{
	struct download	*dl;
	struct upsock	*sk;
	struct backoff	*bo;

	if (up == NULL)
		return;
	/* The pool is gone first (patchgated.c): no commit is running. */
	while ((dl = TAILQ_FIRST(&up->us_downloads)) != NULL) {
		if (dl->dl_writer != NULL) {
			blob_writer_abort(dl->dl_writer);
			dl->dl_writer = NULL;
		}
		download_close(dl, "patchgated is stopping");
	}
	/* Cutting the last client of an ended download frees it. */
	while ((dl = TAILQ_FIRST(&up->us_ended)) != NULL)
		upclient_close(TAILQ_FIRST(&dl->dl_list),
		    "patchgated is stopping", 0);
	if (up->us_multi != NULL)
		curl_multi_cleanup(up->us_multi);
	/* Sockets of cached connections curl did not report removed. */
	while ((sk = LIST_FIRST(&up->us_socks)) != NULL)
		upstream_sock_free(sk);
	if (up->us_timer != NULL)
		event_free(up->us_timer);
	while ((bo = LIST_FIRST(&up->us_backoffs)) != NULL) {
		LIST_REMOVE(bo, bo_link);
		free(bo->bo_base);
		free(bo);
	}
	free(up);
	curl_global_cleanup();
}

/* The client left: forget it; the download goes on for the store. */
static void
upstream_client_closed(struct evhttp_connection *evcon, void *arg)
{
	upclient_close(arg, NULL, 1);
}

static int
upstream_setup(struct download *dl, const struct fetch_policy *fp,
    char **cause)
{
	CURL	*e;

	if ((dl->dl_easy = e = curl_easy_init()) == NULL) {
		cause_set(cause, "libcurl: cannot create a handle");
		return -1;
	}
	/* What the indexer's transfers do too (lib/fetch.c), then ours. */
	if (fetch_curl_setup(e, fp) != 0 ||
	    curl_easy_setopt(e, CURLOPT_URL, dl->dl_url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, dl) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, upstream_write) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, dl) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, dl->dl_errbuf) != CURLE_OK ||
	    /* On the loop: curl follows redirects, FETCH_MAX_REDIRS of them. */
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
	    /* Clients wait on it: a slow upstream is dropped sooner. */
	    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT,
	    (long)UPSTREAM_LOW_SPEED_LIMIT) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 128L * 1024) != CURLE_OK) {
		cause_set(cause, "libcurl: cannot set up the transfer");
		return -1;
	}
	if (curl_multi_add_handle(dl->dl_up->us_multi, e) != CURLM_OK) {
		cause_set(cause, "libcurl: cannot start the transfer");
		return -1;
	}
	return 0;
}

/* Whether url lies under base ("http://h/x" holds "http://h/x/y"). */
static int
upstream_under(const char *base, const char *url)
{
	size_t	len = strlen(base);

	return strncmp(url, base, len) == 0 &&
	    (url[len] == '/' || url[len] == '\0');
}

/*
 * The proxy and CA file of the mirror url comes from (its url or an
 * archive-url holds it), in fp; 0 when no mirror does (none then).
 */
static int
upstream_policy(const struct config *cf, const char *url,
    struct fetch_policy *fp)
{
	const struct mirror	*mi;
	size_t			 i;

	memset(fp, 0, sizeof *fp);
	TAILQ_FOREACH(mi, &cf->cf_mirrors, mi_entry) {
		for (i = 0; mi->mi_archive_urls != NULL &&
		    mi->mi_archive_urls[i] != NULL; i++) {
			if (upstream_under(mi->mi_archive_urls[i], url))
				break;
		}
		if (upstream_under(mi->mi_url, url) ||
		    (mi->mi_archive_urls != NULL &&
		    mi->mi_archive_urls[i] != NULL)) {
			fp->fp_proxy = mi->mi_proxy;
			fp->fp_ca_file = mi->mi_ca_file;
			return 1;
		}
	}
	return 0;
}

/* What url is relative to base ("Packages/x.rpm"), or NULL: not under it. */
static const char *
upstream_rel(const char *base, const char *url)
{
	size_t	len = strlen(base);

	if (strncmp(url, base, len) == 0 && url[len] == '/' &&
	    url[len + 1] != '\0')
		return url + len + 1;
	return NULL;
}

/*
 * The URLs to fetch url's file from into dl (dl_urls, dl_bases): the
 * bases of the mirror url belongs to (its url list, then what its
 * mirrorlist or metalink gave the last sync), those not backed off first;
 * url alone when it is under no mirror's base.  The mirror's proxy and CA
 * file go to fp.  -1 when out of memory.
 */
static int
upstream_urls(struct upstream *up, const struct config *cf, const char *url,
    struct download *dl, struct fetch_policy *fp)
{
	const struct mirror	*mi;
	const char		**all = NULL, *rel = NULL, *matched = NULL;
	char			**loaded = NULL, *u;
	size_t			 nall = 0, i, j, n = 0;
	int			 pass, rc = -1;

	TAILQ_FOREACH(mi, &cf->cf_mirrors, mi_entry) {
		if (mi->mi_mirrorlist != NULL || mi->mi_metalink != NULL)
			loaded = mirror_bases_load(cf->cf_store, mi->mi_name);
		for (i = 0; mi->mi_urls != NULL && mi->mi_urls[i] != NULL; i++)
			;
		for (j = 0; loaded != NULL && loaded[j] != NULL; j++)
			;
		if ((all = calloc(i + j + 1, sizeof *all)) == NULL)
			goto out;
		nall = 0;
		for (i = 0; mi->mi_urls != NULL && mi->mi_urls[i] != NULL; i++)
			all[nall++] = mi->mi_urls[i];
		for (j = 0; loaded != NULL && loaded[j] != NULL; j++) {
			for (i = 0; i < nall && strcmp(all[i], loaded[j]) != 0;
			    i++)
				;
			if (i == nall)
				all[nall++] = loaded[j];
		}
		if ((rel = upstream_rel(mi->mi_url, url)) != NULL)
			matched = mi->mi_url;
		for (i = 0; rel == NULL && i < nall; i++) {
			if ((rel = upstream_rel(all[i], url)) != NULL)
				matched = all[i];
		}
		if (rel != NULL)
			break;
		free(all);
		all = NULL;
		words_free(loaded);
		loaded = NULL;
	}
	if (mi != NULL) {
		fp->fp_proxy = mi->mi_proxy;
		fp->fp_ca_file = mi->mi_ca_file;
	} else
		upstream_policy(cf, url, fp);
	if (rel == NULL || nall == 0) {
		all = NULL;
		nall = 0;
	}
	if ((dl->dl_urls = calloc(nall + 2, sizeof *dl->dl_urls)) == NULL ||
	    (dl->dl_bases = calloc(nall + 2, sizeof *dl->dl_bases)) == NULL)
		goto out;
	if (nall == 0) {
		if ((dl->dl_urls[0] = strdup(url)) == NULL ||
		    (dl->dl_bases[0] = strdup("")) == NULL)
			goto out;
		rc = 0;
		goto out;
	}
	/* Bases in back-off go last: still better than failing. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nall; i++) {
			if ((upstream_backoff_find(up, all[i]) != NULL) != pass)
				continue;
			u = strcmp(all[i], matched) == 0 ? strdup(url) :
			    url_join(all[i], rel);
			if (u == NULL)
				goto out;
			dl->dl_urls[n] = u;
			if ((dl->dl_bases[n++] = strdup(all[i])) == NULL)
				goto out;
		}
	}
	rc = 0;
out:
	free(all);
	words_free(loaded);
	return rc;
}

/* The download of the file e, running or started now; NULL with *cause. */
static struct download *
upstream_download(struct upstream *up, const struct config *cf,
    const struct gate_entry *e, char **cause)
{
	struct fetch_policy	 fp;

	struct download	*dl;

	TAILQ_FOREACH(dl, &up->us_downloads, dl_link) {
		if (strcmp(dl->dl_hex, e->ge_hex) == 0 &&
		    strcmp(dl->dl_algo, e->ge_algo) == 0)
			return dl;
	}
	if ((dl = calloc(1, sizeof *dl)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	dl->dl_up = up;
	dl->dl_fd = -1;
	dl->dl_size = e->ge_size;
	TAILQ_INIT(&dl->dl_list);
	TAILQ_INSERT_TAIL(&up->us_downloads, dl, dl_link);
	buf_init(&dl->dl_failed);
	/* curl copies the strings: cf may be reloaded while this runs. */
	memset(&fp, 0, sizeof fp);
	if ((dl->dl_algo = strdup(e->ge_algo)) == NULL ||
	    (dl->dl_hex = strdup(e->ge_hex)) == NULL ||
	    (dl->dl_path = strdup(e->ge_path)) == NULL ||
	    upstream_urls(up, cf, e->ge_url, dl, &fp) != 0 ||
	    (dl->dl_url = strdup(dl->dl_urls[0])) == NULL ||
	    (fp.fp_proxy != NULL &&
	    (dl->dl_proxy = strdup(fp.fp_proxy)) == NULL) ||
	    (fp.fp_ca_file != NULL &&
	    (dl->dl_ca_file = strdup(fp.fp_ca_file)) == NULL)) {
		cause_set(cause, "out of memory");
		goto fail;
	}
	dl->dl_writer = blob_writer_new(up->us_blobs, e->ge_algo, e->ge_hex,
	    e->ge_size, cause);
	if (dl->dl_writer == NULL)
		goto fail;
	if ((dl->dl_fd = dup(blob_writer_fd(dl->dl_writer))) == -1) {
		cause_set(cause, "dup: %s", strerror(errno));
		goto fail;
	}
	fp.fp_proxy = dl->dl_proxy;
	fp.fp_ca_file = dl->dl_ca_file;
	if (upstream_setup(dl, &fp, cause) != 0)
		goto fail;
	log_info("%s: fetching %s", dl->dl_path, dl->dl_url);
	return dl;
fail:
	if (dl->dl_writer != NULL) {
		blob_writer_abort(dl->dl_writer);
		dl->dl_writer = NULL;
	}
	download_close(dl, *cause != NULL ? *cause : "out of memory");
	return NULL;
}

void
upstream_fetch(struct upstream *up, const struct config *cf,
    struct evhttp_request *req, const struct gate_entry *e, int code,
    const struct range *rg)
{
	struct download	*dl;
	struct upclient	*c;
	char		*cause = NULL;

	if ((c = calloc(1, sizeof *c)) == NULL ||
	    (c->uc_client = strdup(server_client(req))) == NULL ||
	    (c->uc_uri = strdup(evhttp_request_get_uri(req))) == NULL) {
		if (c != NULL) {
			free(c->uc_client);
			free(c);
		}
		server_error(req, 500, "out of memory");
		return;
	}
	if ((dl = upstream_download(up, cf, e, &cause)) == NULL) {
		server_error(req, 502, "%s: upstream %s: %s", e->ge_path,
		    e->ge_url, cause);
		free(cause);
		free(c->uc_client);
		free(c->uc_uri);
		free(c);
		return;
	}
	c->uc_dl = dl;
	c->uc_req = req;
	c->uc_code = code;
	c->uc_first = c->uc_next = rg->rg_first;
	c->uc_last = rg->rg_last;
	TAILQ_INSERT_TAIL(&dl->dl_list, c, uc_link);
	dl->dl_clients++;
	server_on_close(evhttp_request_get_connection(req),
	    upstream_client_closed, c);
	if (dl->dl_clients > 1)
		log_info("%s: client %s joins the download (%d clients, %lld "
		    "of %lld bytes there)", dl->dl_path, c->uc_client,
		    dl->dl_clients, dl->dl_received, dl->dl_size);
	upstream_pump(c);
}
