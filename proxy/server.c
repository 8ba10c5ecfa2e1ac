/*
 * The HTTP side of patchgated: the listening socket, and everything a
 * response about a file needs whatever the file is (a generation's
 * metadata, a blob, an upstream download): Content-Type, validators,
 * conditional requests, single byte ranges, Cache-Control, the access log.
 * route.c decides what to serve; this file decides how.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "conf.h"
#include "inventory.h"
#include "log.h"
#include "parse.h"
#include "proxy.h"
#include "util.h"

/*
 * Nothing legitimate sends a large header; the one large body is a
 * machine's inventory (report.c, at most INVENTORY_MAX_BYTES), read up to
 * twice that so that its 413 says what the limit is.
 */
#define SERVER_MAX_HEADERS	(32 * 1024)
#define SERVER_MAX_BODY		(2 * INVENTORY_MAX_BYTES)
/* An IMF-fixdate and its NUL; how many server_http_date keeps. */
#define SERVER_DATE_MAX		32
#define SERVER_DATE_MEMO	4
/* Pieces of a response's headers in memory that server_send_head takes. */
#define SERVER_HEAD_IOV		8

/* server_send(): what the body is. */
#define SEND_HELD		0x1	/* the connection's own memory */
#define SEND_SEGMENT		0x2	/* a file segment, for sendfile() */

struct server {
	struct evhttp		*sv_http;	/* listen; NULL: none */
	struct evhttp		*sv_https;	/* tls-listen; NULL: none */
	struct conns		*sv_conns;	/* both share the caps */
};

static const struct {
	const char	*suffix;
	const char	*type;
} server_types[] = {
	{ ".xml", "application/xml" },
	{ ".gz", "application/gzip" },
	{ ".xz", "application/x-xz" },
	{ ".bz2", "application/x-bzip2" },
	{ ".zst", "application/zstd" },
	{ ".rpm", "application/x-rpm" },
	{ ".deb", "application/vnd.debian.binary-package" },
	{ ".asc", "application/pgp-signature" },
	{ ".key", "application/pgp-keys" },
};

/*
 * Splits "host:port", "[v6]:port" or "*:port" into a socket address.  The
 * host may be a name; the first address it resolves to is used.
 */
static int
server_resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
    char **cause)
{
	struct addrinfo	 hints, *ai;
	char		*copy, *host, *port, *end;
	long		 n;
	int		 error;

	if ((copy = strdup(listen)) == NULL) {
		cause_set(cause, "out of memory");
		return -1;
	}
	if (*copy == '[') {
		host = copy + 1;
		if ((end = strchr(host, ']')) == NULL || end[1] != ':') {
			cause_set(cause, "\"%s\": expected [ADDRESS]:PORT", listen);
			goto fail;
		}
		*end = '\0';
		port = end + 2;
	} else {
		if ((end = strrchr(copy, ':')) == NULL) {
			cause_set(cause, "\"%s\": expected HOST:PORT", listen);
			goto fail;
		}
		*end = '\0';
		host = copy;
		port = end + 1;
	}
	n = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || n < 0 || n > 65535) {
		cause_set(cause, "\"%s\": bad port \"%s\"", listen, port);
		goto fail;
	}
	if (*host == '\0' || strcmp(host, "*") == 0)
		host = NULL;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((error = getaddrinfo(host, port, &hints, &ai)) != 0) {
		cause_set(cause, "\"%s\": %s", listen, gai_strerror(error));
		goto fail;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	free(copy);
	return 0;
fail:
	free(copy);
	return -1;
}

int
server_check_listen(const char *listen, char **cause)
{
	struct sockaddr_storage	ss;
	socklen_t		len;

	return server_resolve(listen, &ss, &len, cause);
}

/* "127.0.0.1:8080" or "[::1]:8080" of a bound socket. */
static void
server_format_addr(int fd, char *buf, size_t size)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len = sizeof ss;
	char			 host[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		snprintf(buf, size, "?");
		return;
	}
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
	}
}

static void
server_resume_accept(evutil_socket_t fd, short events, void *arg)
{
	struct evconnlistener	*lev = arg;

	evconnlistener_enable(lev);
}

/*
 * accept() failing for lack of descriptors would fail again at once, in a
 * loop: stop accepting for a second and let connections finish.  (The
 * callback's argument is evhttp's, hence the listener as the timer's.)
 */
static void
server_accept_error(struct evconnlistener *lev, void *arg)
{
	struct timeval	tv = { 1, 0 };
	int		error = EVUTIL_SOCKET_ERROR();

	log_warnx("accept: %s", evutil_socket_error_to_string(error));
	if (error == EMFILE || error == ENFILE || error == ENOBUFS ||
	    error == ENOMEM) {
		evconnlistener_disable(lev);
		if (event_base_once(evconnlistener_get_base(lev), -1, EV_TIMEOUT,
		    server_resume_accept, lev, &tv) == -1)
			evconnlistener_enable(lev);
	}
}

/* Listens on where for http, which owns the listener from then on. */
static int
server_listen(struct proxy *px, struct evhttp *http, const char *where,
    const char *what, char **cause)
{
	struct evconnlistener	*lev;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 addr[INET6_ADDRSTRLEN + 16];

	if (server_resolve(where, &ss, &len, cause) != 0)
		return -1;
	lev = evconnlistener_new_bind(px->px_base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    -1, (struct sockaddr *)&ss, len);
	if (lev == NULL) {
		cause_set(cause, "%s: %s", where,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return -1;
	}
	if (evhttp_bind_listener(http, lev) == NULL) {
		evconnlistener_free(lev);
		cause_set(cause, "%s: cannot serve %s", where, what);
		return -1;
	}
	evconnlistener_set_error_cb(lev, server_accept_error);
	server_format_addr(evconnlistener_get_fd(lev), addr, sizeof addr);
	log_info("listening on %s (%s)", addr, what);
	return 0;
}

/* An evhttp as every listener has it; NULL: out of memory. */
static struct evhttp *
server_http_new(struct proxy *px)
{
	struct evhttp	*http;

	if ((http = evhttp_new(px->px_base)) == NULL)
		return NULL;
	/* Every method reaches route_request, which answers 405 itself. */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(http, SERVER_MAX_BODY);
	evhttp_set_default_content_type(http, "text/plain; charset=utf-8");
	return http;
}

/*
 * The listen and tls-listen listeners, each with its evhttp (one evhttp
 * makes every connection's bufferevent alike), under one set of caps.
 */
struct server *
server_new(struct proxy *px, char **cause)
{
	struct config	*cf = px->px_conf;
	struct server	*sv;

	if ((sv = calloc(1, sizeof *sv)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	if ((cf->cf_listen != NULL &&
	    (sv->sv_http = server_http_new(px)) == NULL) ||
	    (px->px_tls != NULL &&
	    (sv->sv_https = server_http_new(px)) == NULL)) {
		cause_set(cause, "out of memory");
		goto fail;
	}
	/* Timeouts, header limits, connection caps; hands requests to route.c. */
	if ((sv->sv_conns = conns_new(px, sv->sv_http, cause)) == NULL)
		goto fail;
	if (sv->sv_https != NULL)
		conns_add_tls(sv->sv_conns, sv->sv_https);
	if (sv->sv_http != NULL &&
	    server_listen(px, sv->sv_http, cf->cf_listen, "HTTP", cause) != 0)
		goto fail;
	if (sv->sv_https != NULL && server_listen(px, sv->sv_https,
	    cf->cf_tls_listen, "HTTPS", cause) != 0)
		goto fail;
	return sv;
fail:
	server_free(sv);
	return NULL;
}

void
server_free(struct server *sv)
{
	if (sv == NULL)
		return;
	/* evhttp_free frees the listener bound to it, and every connection. */
	if (sv->sv_http != NULL)
		evhttp_free(sv->sv_http);
	if (sv->sv_https != NULL)
		evhttp_free(sv->sv_https);
	conns_free(sv->sv_conns);
	free(sv);
}

const char *
server_content_type(const char *path)
{
	const char	*base, *suffix;
	size_t		 i, len;

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if (strcmp(base, "Release") == 0 || strcmp(base, "InRelease") == 0)
		return "text/plain";
	len = strlen(base);
	for (i = 0; i < sizeof server_types / sizeof server_types[0]; i++) {
		suffix = server_types[i].suffix;
		if (len > strlen(suffix) &&
		    strcmp(base + len - strlen(suffix), suffix) == 0)
			return server_types[i].type;
	}
	return "application/octet-stream";
}

const char *
server_client(struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	char				*addr;
	ev_uint16_t			 port;

	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return "-";
	evhttp_connection_get_peer(evcon, &addr, &port);
	return addr != NULL ? addr : "-";
}

const char *
server_method(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	}
	return "?";
}

/*
 * Writes to buf the authority ("host:port") a client reached this server
 * by, for URLs it is to use again: the request's Host (that of the target
 * when it is an absolute URI, as RFC 9112 says), when it is valid, or else
 * the local address of the connection.  Returns -1 when there is none.
 */
int
server_host(struct evhttp_request *req, char *buf, size_t size)
{
	const struct evhttp_uri		*uri;
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	const char			*host;
	int				 n, port;

	uri = evhttp_request_get_evhttp_uri(req);
	if (*evhttp_request_get_uri(req) != '/' && uri != NULL &&
	    (host = evhttp_uri_get_host(uri)) != NULL) {
		if ((port = evhttp_uri_get_port(uri)) == -1)
			n = snprintf(buf, size, "%s", host);
		else
			n = snprintf(buf, size, "%s:%d", host, port);
	} else {
		host = evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Host");
		n = snprintf(buf, size, "%s", host != NULL ? host : "");
	}
	if (n >= 0 && (size_t)n < size && parse_host(buf))
		return 0;
	if ((evcon = evhttp_request_get_connection(req)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return -1;
	server_format_addr(bufferevent_getfd(bev), buf, size);
	return parse_host(buf) ? 0 : -1;
}

/*
 * Writes t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") to buf, or
 * "" when it has none.  An answer names few times (now, for Date, and the
 * Last-Modified of one generation or a few): the last ones are kept
 * formatted, as gmtime and a printf cost more than the rest of a header.
 * The loop's own: one thread formats dates.
 */
static void
server_http_date(time_t t, char *buf)
{
	static struct {
		time_t	t;
		char	s[SERVER_DATE_MAX];
	}			 memo[SERVER_DATE_MEMO];
	static unsigned int	 next;
	struct tm		 tm;
	size_t			 i;

	for (i = 0; i < SERVER_DATE_MEMO; i++) {
		if (memo[i].t == t && memo[i].s[0] != '\0') {
			memcpy(buf, memo[i].s, SERVER_DATE_MAX);
			return;
		}
	}
	if (gmtime_r(&t, &tm) == NULL ||
	    evutil_date_rfc1123(buf, SERVER_DATE_MAX, &tm) <= 0) {
		buf[0] = '\0';
		return;
	}
	i = next++ % SERVER_DATE_MEMO;
	memo[i].t = t;
	memcpy(memo[i].s, buf, SERVER_DATE_MAX);
}

/* Writes n, not negative, in decimal to buf (room for 21 bytes). */
static void
server_number(long long n, char *buf)
{
	char	tmp[24], *p = tmp + sizeof tmp;

	*--p = '\0';
	do {
		*--p = '0' + n % 10;
		n /= 10;
	} while (n > 0 && p > tmp);
	memcpy(buf, p, tmp + sizeof tmp - p);
}

/* One line per request: CLIENT "METHOD PATH" STATUS BYTES. */
void
server_access(const char *client, const char *method, const char *uri,
    int code, long long bytes)
{
	log_access("%s \"%s %s\" %d %lld", client, method, uri, code, bytes);
	metrics_request(uri, code, bytes);
}

/*
 * libevent leaves reading enabled while it writes a response, and the
 * connection's one timeout then cuts any download that lasts longer, even
 * one that makes progress.  Writing has a timeout of its own (a client that
 * stops reading) and a client that goes away shows as a write error, so
 * reading stays off until libevent turns it on for the next request.  Called
 * after each call that hands libevent data to write.
 */
void
server_writing(struct evhttp_connection *evcon)
{
	if (evcon != NULL)
		bufferevent_disable(evhttp_connection_get_bufferevent(evcon),
		    EV_READ);
}

/*
 * Sends the first len bytes of out, a response's headers in memory, with
 * MSG_MORE: the kernel holds them back for the file segment that follows,
 * as nginx's TCP_CORK does, so that headers and body leave in full-sized
 * segments.  Sent alone, the headers are one small packet that wakes the
 * client for nothing, and the client's acknowledgements then push the
 * body out from its side: on loopback, `bench/serve.sh` saw the client
 * spend 60 % more CPU per 1 MB response than against nginx.
 */
static void
server_send_head(struct evbuffer *out, int fd, size_t len)
{
	struct iovec	 iov[SERVER_HEAD_IOV];
	struct msghdr	 mh;
	size_t		 sum = 0;
	ssize_t		 n;
	int		 i, nv;

	nv = evbuffer_peek(out, (ev_ssize_t)len, NULL, NULL, 0);
	if (nv <= 0 || nv > SERVER_HEAD_IOV)
		return;
	nv = evbuffer_peek(out, (ev_ssize_t)len, NULL, iov, nv);
	for (i = 0; i < nv; i++) {
		if (iov[i].iov_len > len - sum)
			iov[i].iov_len = len - sum;
		sum += iov[i].iov_len;
	}
	if (sum != len)
		return;
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = iov;
	mh.msg_iovlen = nv;
	/* A failure shows again at the next write, and is handled there. */
	if ((n = sendmsg(fd, &mh, MSG_MORE | MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
		evbuffer_drain(out, (size_t)n);
}

/*
 * Writes what a plain connection has queued now, in the turn of the loop
 * that read the request: libevent would wait for the next turn, when the
 * socket says it is writable, with an epoll change each way.  When all of
 * it went, libevent's write callback runs at once: the response is done,
 * and the connection reads its next request; 1 says so (evcon may be
 * gone then).  What does not go now (a
 * large file, a full socket) goes as before.  Not for TLS, whose queue is
 * plain text for the TLS layer.  head, when not 0, is the length of the
 * headers that begin the queue, before a file segment.
 */
static int
server_flush(struct evhttp_connection *evcon, size_t head)
{
	struct bufferevent	*bev;
	struct evbuffer		*out;
	int			 fd, n;

	if (evcon == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return 0;
	out = bufferevent_get_output(bev);
	fd = bufferevent_getfd(bev);
	/* A socket bufferevent keeps its output's start frozen but to write. */
	evbuffer_unfreeze(out, 1);
	if (head > 0)
		server_send_head(out, fd, head);
	n = evbuffer_write(out, fd);
	evbuffer_freeze(out, 1);
	/* An error shows again when libevent writes, and is handled there. */
	if (n <= 0 || evbuffer_get_length(out) > 0)
		return 0;
	/* May free evcon (Connection: close). */
	bufferevent_trigger(bev, EV_WRITE, 0);
	return 1;
}

/*
 * Sends a response whose headers are set; body may be NULL.  SEND_HELD
 * says whether the bytes of body are the connection's own, built in memory
 * for it: what of them waits for the client counts against [server]
 * output-buffer-max (server_conn.c).  A file segment, or the serving
 * cache's memory, costs nothing more for one client waiting.
 * SEND_SEGMENT: body is a file segment, for sendfile().
 */
static void
server_send(struct evhttp_request *req, int code, struct evbuffer *body,
    int flags)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev = NULL;
	size_t				 bytes, queued = SIZE_MAX, head = 0;
	int				 tls;
	char				 date[SERVER_DATE_MAX];

	bytes = body != NULL ? evbuffer_get_length(body) : 0;
	/* libevent would format the date itself at every answer. */
	server_http_date(time(NULL), date);
	if (date[0] != '\0')
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Date", date);
	/* Sending frees a request whose connection is gone: keep evcon. */
	evcon = evhttp_request_get_connection(req);
	tls = server_request_is_tls(req);
	/* Nothing queued before: the headers are what precedes the body. */
	if ((flags & SEND_SEGMENT) && !tls && evcon != NULL &&
	    (bev = evhttp_connection_get_bufferevent(evcon)) != NULL)
		queued = evbuffer_get_length(bufferevent_get_output(bev));
	if (evcon == NULL) {
		server_access(server_client(req), server_method(req),
		    evhttp_request_get_uri(req), code, (long long)bytes);
		evhttp_send_reply(req, code, NULL, body);	/* frees req */
		return;
	}
	evhttp_send_reply(req, code, NULL, body);
	/* The access line, when the answer has gone or the client has. */
	if (conns_answer(evcon, req, code, bytes) == -1)
		server_access(server_client(req), server_method(req),
		    evhttp_request_get_uri(req), code, (long long)bytes);
	if (queued == 0 && evbuffer_get_length(bufferevent_get_output(bev)) >
	    bytes)
		head = evbuffer_get_length(bufferevent_get_output(bev)) - bytes;
	/* Sent whole: reading never needed to stop (server_writing). */
	if (tls || !server_flush(evcon, head)) {
		server_writing(evcon);
		/* TLS output is counted as it is queued (server_conn.c). */
		if ((flags & SEND_HELD) && !tls)
			conns_output_held(evcon);
	}
}

void
server_reply(struct evhttp_request *req, int code, struct evbuffer *body)
{
	server_send(req, code, body, SEND_HELD);
}

void
server_reply_file(struct evhttp_request *req, int code, struct evbuffer *body)
{
	server_send(req, code, body, 0);
}

void
server_reply_segment(struct evhttp_request *req, int code,
    struct evbuffer *body)
{
	server_send(req, code, body, SEND_SEGMENT);
}

/* A short text/plain answer; never cached, as the condition may pass. */
void
server_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*body = NULL;
	va_list			 ap;
	char			*msg, len[32];
	int			 n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg = NULL;

	/* Drop what server_begin() said about the file this is not. */
	evhttp_remove_header(out, "Content-Type");
	evhttp_remove_header(out, "Content-Length");
	evhttp_remove_header(out, "ETag");
	evhttp_remove_header(out, "Last-Modified");
	evhttp_remove_header(out, "Cache-Control");
	evhttp_remove_header(out, "Accept-Ranges");
	evhttp_remove_header(out, "Content-Disposition");
	if (code != 416)
		evhttp_remove_header(out, "Content-Range");

	evhttp_add_header(out, "Content-Type", "text/plain; charset=utf-8");
	evhttp_add_header(out, "Cache-Control", "no-store");
	snprintf(len, sizeof len, "%zu", msg != NULL ? strlen(msg) + 1 : 0);
	evhttp_add_header(out, "Content-Length", len);
	if (msg != NULL && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD &&
	    (body = evbuffer_new()) != NULL) {
		if (evbuffer_add_printf(body, "%s\n", msg) == -1) {
			evbuffer_free(body);
			body = NULL;
			evhttp_remove_header(out, "Content-Length");
			evhttp_add_header(out, "Content-Length", "0");
		}
	}
	server_reply(req, code, body);
	if (body != NULL)
		evbuffer_free(body);
	free(msg);
}

/* Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"). */
static int
server_parse_date(const char *s, time_t *t)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof tm);
	if ((end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return -1;
	*t = timegm(&tm);
	return *t == (time_t)-1 ? -1 : 0;
}

/* Whether one of the comma-separated entity tags in list is etag. */
static int
server_etag_listed(const char *list, const char *etag)
{
	const char	*p = list, *start;
	size_t		 len;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return 0;
		if (*p == '*')
			return 1;
		/* If-None-Match compares weakly: W/"x" matches "x". */
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		start = p;
		if (*p == '"') {
			p++;
			while (*p != '\0' && *p != '"')
				p++;
			if (*p == '"')
				p++;
		}
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		len = p - start;
		if (len == strlen(etag) && strncmp(start, etag, len) == 0)
			return 1;
	}
}

/* The request headers server_begin() acts on; NULL: not sent. */
struct server_conds {
	const char	*sc_inm;	/* If-None-Match */
	const char	*sc_ims;	/* If-Modified-Since */
	const char	*sc_range;
	const char	*sc_ifrange;
};

/*
 * Finds them in one pass over the request's headers, the first of each
 * name as evhttp_find_header() would: a lookup per name costs a pass each.
 */
static void
server_conditions(struct evkeyvalq *in, struct server_conds *sc)
{
	struct evkeyval	*kv;
	const char	*k;

	memset(sc, 0, sizeof *sc);
	TAILQ_FOREACH(kv, in, next) {
		k = kv->key;
		if (k[0] == 'R' || k[0] == 'r') {
			if (sc->sc_range == NULL && strcasecmp(k, "Range") == 0)
				sc->sc_range = kv->value;
		} else if ((k[0] == 'I' || k[0] == 'i') &&
		    (k[1] == 'F' || k[1] == 'f') && k[2] == '-') {
			if (sc->sc_inm == NULL &&
			    strcasecmp(k, "If-None-Match") == 0)
				sc->sc_inm = kv->value;
			else if (sc->sc_ims == NULL &&
			    strcasecmp(k, "If-Modified-Since") == 0)
				sc->sc_ims = kv->value;
			else if (sc->sc_ifrange == NULL &&
			    strcasecmp(k, "If-Range") == 0)
				sc->sc_ifrange = kv->value;
		}
	}
}

static int
server_not_modified(const struct server_conds *sc, const struct resource *rs)
{
	time_t		 t;

	if (sc->sc_inm != NULL)
		return rs->rs_etag != NULL &&
		    server_etag_listed(sc->sc_inm, rs->rs_etag);
	if (sc->sc_ims != NULL && rs->rs_mtime != 0 &&
	    server_parse_date(sc->sc_ims, &t) == 0)
		return rs->rs_mtime <= t;
	return 0;
}

/*
 * One range of bytes (parse_range).  A failed If-Range is ignored, as RFC
 * 9110 allows: the client gets the whole file.
 */
static enum parse_range
server_parse_range(const struct server_conds *sc, const struct resource *rs,
    struct range *rg)
{
	const char	*s, *ifr;
	time_t		 t;

	if ((s = sc->sc_range) == NULL)
		return RANGE_NONE;
	if ((ifr = sc->sc_ifrange) != NULL) {
		if (*ifr == '"' || strncmp(ifr, "W/", 2) == 0) {
			if (rs->rs_etag == NULL || strcmp(ifr, rs->rs_etag) != 0)
				return RANGE_NONE;
		} else if (rs->rs_mtime == 0 || server_parse_date(ifr, &t) != 0 ||
		    t != rs->rs_mtime)
			return RANGE_NONE;
	}
	return parse_range(s, rs->rs_size, &rg->rg_first, &rg->rg_last);
}

/*
 * Sets the headers of an answer about rs and settles conditional and
 * range requests.  Returns 200 or 206 with the bytes to send in rg, or 0
 * when the request is already answered (304, 416).
 */
int
server_begin(struct evhttp_request *req, const struct resource *rs,
    struct range *rg)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct server_conds	 sc;
	char			 date[SERVER_DATE_MAX], buf[96];
	int			 code = 200, unchanged;

	server_conditions(evhttp_request_get_input_headers(req), &sc);
	/* A 304 describes the file, but has no Content-Type of a body. */
	if (!(unchanged = server_not_modified(&sc, rs)))
		evhttp_add_header(out, "Content-Type", rs->rs_type);
	if (rs->rs_etag != NULL)
		evhttp_add_header(out, "ETag", rs->rs_etag);
	if (rs->rs_mtime != 0) {
		server_http_date(rs->rs_mtime, date);
		if (date[0] != '\0')
			evhttp_add_header(out, "Last-Modified", date);
	}
	evhttp_add_header(out, "Cache-Control", rs->rs_cache);
	evhttp_add_header(out, "Accept-Ranges", "bytes");

	if (unchanged) {
		server_reply(req, 304, NULL);
		return 0;
	}
	rg->rg_first = 0;
	rg->rg_last = rs->rs_size - 1;
	switch (server_parse_range(&sc, rs, rg)) {
	case RANGE_NONE:
		break;
	case RANGE_PARTIAL:
		code = 206;
		snprintf(buf, sizeof buf, "bytes %lld-%lld/%lld", rg->rg_first,
		    rg->rg_last, rs->rs_size);
		evhttp_add_header(out, "Content-Range", buf);
		break;
	case RANGE_UNSATISFIABLE:
		snprintf(buf, sizeof buf, "bytes */%lld", rs->rs_size);
		evhttp_add_header(out, "Content-Range", buf);
		server_error(req, 416, "%s: range not satisfiable (the file has "
		    "%lld bytes)", evhttp_request_get_uri(req), rs->rs_size);
		return 0;
	}
	server_number(rg->rg_last - rg->rg_first + 1, buf);
	evhttp_add_header(out, "Content-Length", buf);
	return code;
}

/*
 * Answers req with the file open on fd, which this closes.  The body is a
 * file segment: libevent sends it with sendfile(), without copying.
 */
void
server_send_file(struct evhttp_request *req, const struct resource *rs, int fd)
{
	struct evbuffer			*body;
	struct evbuffer_file_segment	*seg;
	struct range			 rg;
	long long			 len;
	int				 code;

	if ((code = server_begin(req, rs, &rg)) == 0) {
		close(fd);
		return;
	}
	len = rg.rg_last - rg.rg_first + 1;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD || len == 0) {
		close(fd);
		server_reply(req, code, NULL);
		return;
	}
	/* TLS encrypts from memory: no sendfile, and no mapping of it all. */
	if (server_request_is_tls(req)) {
		tls_send_file(req, code, fd, &rg);
		return;
	}
	if ((body = evbuffer_new()) == NULL) {
		close(fd);
		server_error(req, 500, "out of memory");
		return;
	}
	seg = evbuffer_file_segment_new(fd, rg.rg_first, len,
	    EVBUF_FS_CLOSE_ON_FREE);
	if (seg == NULL) {
		close(fd);
		evbuffer_free(body);
		server_error(req, 500, "cannot send the file");
		return;
	}
	if (evbuffer_add_file_segment(body, seg, 0, len) == -1) {
		evbuffer_file_segment_free(seg);
		evbuffer_free(body);
		server_error(req, 500, "cannot send the file");
		return;
	}
	/* The buffer holds its own reference to the segment now. */
	evbuffer_file_segment_free(seg);
	server_reply_segment(req, code, body);
	evbuffer_free(body);
}

/*
 * Answers req with body, a response built in memory whose length is
 * rs_size; the caller still frees body.
 */
void
server_send_buffer(struct evhttp_request *req, const struct resource *rs,
    struct evbuffer *body)
{
	struct evbuffer	*part;
	struct range	 rg;
	size_t		 len;
	int		 code;

	if ((code = server_begin(req, rs, &rg)) == 0)
		return;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		server_reply(req, code, NULL);
		return;
	}
	if (code != 206) {
		server_reply(req, code, body);
		return;
	}
	len = rg.rg_last - rg.rg_first + 1;
	if ((part = evbuffer_new()) == NULL ||
	    evbuffer_drain(body, rg.rg_first) == -1 ||
	    evbuffer_remove_buffer(body, part, len) != (int)len) {
		if (part != NULL)
			evbuffer_free(part);
		server_error(req, 500, "out of memory");
		return;
	}
	server_reply(req, code, part);
	evbuffer_free(part);
}
