/*
 * Package files the blob store does not have yet: fetched from upstream
 * with libcurl's multi interface on patchgated's event loop, streamed to
 * the client while they are written to the blob store.
 *
 * A client must never receive a wrong file.  The last byte is held back
 * until blob_writer_commit() has verified size and checksum; when the
 * check fails, or upstream fails half-way, the client connection is cut,
 * and with the Content-Length it was promised the client sees a failed
 * transfer.  An error before the first byte is a 502 with the cause.
 *
 * A slow client must not make the daemon buffer a whole file: beyond
 * UPSTREAM_BUFFER_MAX bytes waiting for the client, the curl transfer is
 * paused until the client's buffer drains.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "blob.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

/* A socket curl asked the loop to watch. */
struct upsock {
	struct upstream		*sk_up;
	struct event		*sk_ev;
	LIST_ENTRY(upsock)	 sk_link;
};

/* One download, tied to the client request it answers. */
struct transfer {
	struct upstream		*tr_up;
	struct evhttp_request	*tr_req;
	CURL			*tr_easy;
	struct blob_writer	*tr_writer;
	struct evbuffer		*tr_pending;	/* range bytes not sent yet */
	struct evbuffer		*tr_chunk;
	struct event		*tr_resume;	/* unpauses curl off its stack */
	char			*tr_url;
	char			*tr_path;
	char			*tr_client;	/* for the access log, which */
	char			*tr_uri;	/* may outlive the connection */
	char			*tr_cause;	/* why a callback stopped curl */
	char			 tr_errbuf[CURL_ERROR_SIZE];
	int			 tr_code;	/* 200 or 206 */
	int			 tr_status;	/* of an error before any byte */
	long long		 tr_size;	/* of the whole file */
	long long		 tr_first;	/* the bytes the client asked for */
	long long		 tr_last;
	long long		 tr_received;	/* from upstream */
	long long		 tr_sent;	/* to the client */
	int			 tr_started;	/* response headers sent */
	int			 tr_paused;
	int			 tr_gone;	/* the client closed its connection */
	int			 tr_abort;	/* the daemon is stopping */
	int			 tr_linked;
	TAILQ_ENTRY(transfer)	 tr_link;
};

struct upstream {
	struct event_base	*us_base;
	struct blobstore	*us_blobs;
	CURLM			*us_multi;
	struct event		*us_timer;
	TAILQ_HEAD(, transfer)	 us_transfers;
	LIST_HEAD(, upsock)	 us_socks;
};

/*
 * Ends a transfer, the only place that does: frees what it owns, answers
 * or cuts the client, and logs why.  cause is NULL on success.  Never
 * called from inside a curl callback.
 */
static void
upstream_close(struct transfer *t, const char *cause)
{
	struct upstream			*up = t->tr_up;
	struct evhttp_request		*req = t->tr_req;
	struct evhttp_connection	*evcon;

	if (t->tr_linked)
		TAILQ_REMOVE(&up->us_transfers, t, tr_link);
	if (t->tr_easy != NULL) {
		curl_multi_remove_handle(up->us_multi, t->tr_easy);
		curl_easy_cleanup(t->tr_easy);
	}
	if (t->tr_writer != NULL)
		blob_writer_abort(t->tr_writer);	/* removes the temp file */

	/* Finishing the reply may free the connection: not our close then. */
	evcon = evhttp_request_get_connection(req);
	if (evcon != NULL)
		evhttp_connection_set_closecb(evcon, NULL, NULL);

	if (t->tr_gone) {
		log_info("%s: %s; download stopped after %lld of %lld bytes",
		    t->tr_path, cause, t->tr_received, t->tr_size);
		server_access(t->tr_client, "GET", t->tr_uri, t->tr_code,
		    t->tr_sent);
		/* libevent detached the request from its dead connection. */
		if (evcon == NULL)
			evhttp_request_free(req);
	} else if (cause == NULL) {
		server_access(t->tr_client, "GET", t->tr_uri, t->tr_code,
		    t->tr_sent);
		evhttp_send_reply_end(req);
	} else if (!t->tr_started && !t->tr_abort) {
		if (t->tr_path == NULL || t->tr_url == NULL)
			server_error(req, t->tr_status, "%s", cause);
		else {
			log_warnx("%s: %s: %s", t->tr_path, t->tr_url, cause);
			server_error(req, t->tr_status, "%s: upstream %s: %s",
			    t->tr_path, t->tr_url, cause);
		}
	} else {
		log_warnx("%s: %s: %s; client connection cut after %lld of "
		    "%lld bytes", t->tr_path, t->tr_url, cause, t->tr_sent,
		    t->tr_last - t->tr_first + 1);
		server_access(t->tr_client, "GET", t->tr_uri, t->tr_code,
		    t->tr_sent);
		/* Frees req; the client never gets a complete wrong file. */
		evhttp_connection_free(evcon);
	}

	if (t->tr_pending != NULL)
		evbuffer_free(t->tr_pending);
	if (t->tr_chunk != NULL)
		evbuffer_free(t->tr_chunk);
	if (t->tr_resume != NULL)
		event_free(t->tr_resume);
	free(t->tr_url);
	free(t->tr_path);
	free(t->tr_client);
	free(t->tr_uri);
	free(t->tr_cause);
	free(t);
}

/* The client's output buffer emptied: a paused transfer may go on. */
static void
upstream_drained(struct evhttp_connection *evcon, void *arg)
{
	struct transfer	*t = arg;

	if (t->tr_paused)
		event_active(t->tr_resume, EV_TIMEOUT, 1);
}

/*
 * Passes pending bytes to the client, all but the last byte of the range
 * unless final: that one waits for the checksum.
 */
static int
upstream_flush(struct transfer *t, int final)
{
	long long	allowed, n;

	allowed = t->tr_last - t->tr_first + 1;
	if (!final)
		allowed--;
	n = evbuffer_get_length(t->tr_pending);
	if (t->tr_sent + n > allowed)
		n = allowed - t->tr_sent;
	if (n <= 0)
		return 0;
	if (evbuffer_remove_buffer(t->tr_pending, t->tr_chunk, n) != n)
		return -1;
	evhttp_send_reply_chunk_with_cb(t->tr_req, t->tr_chunk,
	    upstream_drained, t);
	server_writing(evhttp_request_get_connection(t->tr_req));
	t->tr_sent += n;
	return 0;
}

/* curl's write callback: to the blob store, and the range to the client. */
static size_t
upstream_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer			*t = arg;
	struct evhttp_connection	*evcon;
	struct evbuffer			*out;
	long long			 n = size * nmemb, a, b;
	long				 status = 0;

	if ((evcon = evhttp_request_get_connection(t->tr_req)) == NULL) {
		cause_set(&t->tr_cause, "the client went away");
		return 0;
	}
	if (t->tr_received == 0) {
		curl_easy_getinfo(t->tr_easy, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200 && status != 0) {	/* 0: file:// */
			cause_set(&t->tr_cause, "HTTP %ld", status);
			return 0;
		}
	}
	out = bufferevent_get_output(evhttp_connection_get_bufferevent(evcon));
	if (evbuffer_get_length(out) > UPSTREAM_BUFFER_MAX) {
		t->tr_paused = 1;
		return CURL_WRITEFUNC_PAUSE;	/* data is delivered again */
	}

	if (blob_writer_write(t->tr_writer, data, n, &t->tr_cause) != 0)
		return 0;
	/* The part of [received, received + n) inside [first, last]. */
	a = t->tr_received > t->tr_first ? t->tr_received : t->tr_first;
	b = t->tr_received + n - 1 < t->tr_last ? t->tr_received + n - 1 :
	    t->tr_last;
	if (a <= b && evbuffer_add(t->tr_pending, data + (a - t->tr_received),
	    b - a + 1) != 0) {
		cause_set(&t->tr_cause, "out of memory");
		return 0;
	}
	t->tr_received += n;

	if (!t->tr_started) {
		evhttp_send_reply_start(t->tr_req, t->tr_code, NULL);
		t->tr_started = 1;
		server_writing(evhttp_request_get_connection(t->tr_req));
	}
	if (upstream_flush(t, 0) != 0) {
		cause_set(&t->tr_cause, "out of memory");
		return 0;
	}
	return n;
}

static void
upstream_resume(evutil_socket_t fd, short events, void *arg)
{
	struct transfer	*t = arg;
	CURLcode	 rc;

	if (!t->tr_paused)
		return;
	t->tr_paused = 0;
	/* This may call upstream_write at once, which may pause again. */
	if ((rc = curl_easy_pause(t->tr_easy, CURLPAUSE_CONT)) != CURLE_OK)
		upstream_close(t, t->tr_cause != NULL ? t->tr_cause :
		    curl_easy_strerror(rc));
}

/* curl is done with t: verify, store, and finish the reply. */
static void
upstream_done(struct transfer *t, CURLcode rc)
{
	char	*cause = NULL;

	if (rc != CURLE_OK) {
		if (t->tr_cause != NULL)
			upstream_close(t, t->tr_cause);
		else if (t->tr_errbuf[0] != '\0')
			upstream_close(t, t->tr_errbuf);
		else
			upstream_close(t, curl_easy_strerror(rc));
		return;
	}
	if (blob_writer_commit(t->tr_writer, &cause) != 0) {
		t->tr_writer = NULL;	/* commit freed it */
		upstream_close(t, cause);
		free(cause);
		return;
	}
	t->tr_writer = NULL;
	log_debug("%s: stored from %s (%lld bytes)", t->tr_path, t->tr_url,
	    t->tr_received);
	/* Only an empty file has not started its reply yet. */
	if (!t->tr_started) {
		evhttp_send_reply_start(t->tr_req, t->tr_code, NULL);
		t->tr_started = 1;
		server_writing(evhttp_request_get_connection(t->tr_req));
	}
	if (upstream_flush(t, 1) != 0) {
		upstream_close(t, "out of memory");
		return;
	}
	upstream_close(t, NULL);
}

static void
upstream_check(struct upstream *up)
{
	CURLMsg		*msg;
	struct transfer	*t;
	CURLcode	 rc;
	int		 left;

	while ((msg = curl_multi_info_read(up->us_multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		upstream_done(t, rc);
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
upstream_new(struct event_base *base, struct blobstore *blobs, char **cause)
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
	TAILQ_INIT(&up->us_transfers);
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
	struct transfer	*t;
	struct upsock	*sk;

	if (up == NULL)
		return;
	while ((t = TAILQ_FIRST(&up->us_transfers)) != NULL) {
		t->tr_abort = 1;
		upstream_close(t, "patchgated is stopping");
	}
	if (up->us_multi != NULL)
		curl_multi_cleanup(up->us_multi);
	/* Sockets of cached connections curl did not report removed. */
	while ((sk = LIST_FIRST(&up->us_socks)) != NULL)
		upstream_sock_free(sk);
	if (up->us_timer != NULL)
		event_free(up->us_timer);
	free(up);
	curl_global_cleanup();
}

/* The client left: stop the download and drop what was written. */
static void
upstream_client_closed(struct evhttp_connection *evcon, void *arg)
{
	struct transfer	*t = arg;

	t->tr_gone = 1;
	upstream_close(t, "lost the client connection");
}

static int
upstream_setup(struct transfer *t, char **cause)
{
	CURL	*e;

	if ((t->tr_easy = e = curl_easy_init()) == NULL) {
		cause_set(cause, "libcurl: cannot create a handle");
		return -1;
	}
	if (curl_easy_setopt(e, CURLOPT_URL, t->tr_url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, upstream_write) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->tr_errbuf) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	    (long)UPSTREAM_CONNECT_TIMEOUT) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT,
	    (long)UPSTREAM_LOW_SPEED_LIMIT) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
	    (long)UPSTREAM_LOW_SPEED_TIME) != CURLE_OK ||
	    /* The checksum is of the bytes as stored upstream. */
	    curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 128L * 1024) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT,
	    "patchgated/" PACKAGE_VERSION) != CURLE_OK) {
		cause_set(cause, "libcurl: cannot set up the transfer");
		return -1;
	}
	if (curl_multi_add_handle(t->tr_up->us_multi, e) != CURLM_OK) {
		cause_set(cause, "libcurl: cannot start the transfer");
		return -1;
	}
	return 0;
}

void
upstream_fetch(struct upstream *up, struct evhttp_request *req,
    const struct gate_entry *e, int code, const struct range *rg)
{
	struct transfer	*t;
	char		*cause = NULL;

	if ((t = calloc(1, sizeof *t)) == NULL) {
		server_error(req, 500, "out of memory");
		return;
	}
	t->tr_up = up;
	t->tr_req = req;
	t->tr_code = code;
	t->tr_status = 500;	/* until the transfer runs */
	t->tr_size = e->ge_size;
	t->tr_first = rg->rg_first;
	t->tr_last = rg->rg_last;
	if ((t->tr_url = strdup(e->ge_url)) == NULL ||
	    (t->tr_path = strdup(e->ge_path)) == NULL ||
	    (t->tr_client = strdup(server_client(req))) == NULL ||
	    (t->tr_uri = strdup(evhttp_request_get_uri(req))) == NULL ||
	    (t->tr_pending = evbuffer_new()) == NULL ||
	    (t->tr_chunk = evbuffer_new()) == NULL ||
	    (t->tr_resume = event_new(up->us_base, -1, 0, upstream_resume,
	    t)) == NULL) {
		upstream_close(t, "out of memory");
		return;
	}
	t->tr_writer = blob_writer_new(up->us_blobs, e->ge_algo, e->ge_hex,
	    e->ge_size, &cause);
	if (t->tr_writer == NULL || upstream_setup(t, &cause) != 0) {
		upstream_close(t, cause);
		free(cause);
		return;
	}
	t->tr_status = 502;
	TAILQ_INSERT_TAIL(&up->us_transfers, t, tr_link);
	t->tr_linked = 1;
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    upstream_client_closed, t);
	log_debug("%s: fetching %s", t->tr_path, t->tr_url);
}
