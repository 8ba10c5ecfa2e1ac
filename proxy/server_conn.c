/*
 * patchgated's client connections, each with its limits: a cap on the
 * connections open at once and on those of one client address, a deadline
 * for a whole request head (slow-loris: a client that drips a header byte
 * now and then never trips the idle timeout), and a cap on header fields.
 * At start the descriptor limit is raised to the hard limit.
 *
 * libevent 2.1's evhttp says nothing when it accepts a connection, so a
 * connection is seen twice: when evhttp asks for its bufferevent (no
 * socket yet), and a loop turn later, when the bufferevent has its socket
 * and evhttp's callbacks (whose argument is the evhttp_connection).  A
 * connection is counted from then until evhttp's close callback.  That
 * callback is this file's: others ask for one with server_on_close().
 * The TLS listener's connections (tls.c makes their bufferevents) share
 * the caps; their deadline for a request head covers the handshake.
 *
 * Output waiting in memory for slow clients has a cap for all connections
 * together ([server] output-buffer-max).  Package files and stored
 * metadata go out as file segments (sendfile) or from the serving cache's
 * memory, which a client waiting holds no more of; what counts is memory
 * made for one connection: every byte queued on a TLS connection (TLS
 * encrypts from memory, piece by piece: tls.c), and bodies built in memory
 * (the API, /metrics, errors) that a plain connection could not send at
 * once.  Once the total goes over the cap, connections holding more than
 * their share of it (the cap over the connections holding output) are
 * cut, the one that has waited longest first; a client that keeps reading
 * drains its output to nothing at every piece and is never that one.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
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

#include "conf.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

#define CONN_BUCKETS		256
/* Descriptors kept for the blob store, upstream and the scheduler. */
#define CONN_FD_RESERVE		128
/* At most this much per write or sendfile (nginx: sendfile_max_chunk). */
#define CONN_WRITE_MAX		(2 * 1024 * 1024)
/* A descriptor limit without a bound ("unlimited") is set to this. */
#define CONN_FD_CEILING		(1 << 20)

enum conn_state {
	CONN_NEW,	/* evhttp has not given it its socket yet */
	CONN_HEAD,	/* reading a request head, under the deadline */
	CONN_BUSY,	/* a request is being answered */
	CONN_IDLE,	/* between requests: evhttp's idle timeout */
};

/* The connections of one client address. */
struct conn_addr {
	char			 ca_name[64];
	long long		 ca_count;
	LIST_ENTRY(conn_addr)	 ca_link;
};
LIST_HEAD(conn_addrs, conn_addr);

struct conn {
	struct conns			*cn_tab;
	struct bufferevent		*cn_bev;
	struct evhttp_connection	*cn_evcon;
	struct event			*cn_timer;
	struct evbuffer_cb_entry	*cn_input;
	struct conn_addr		*cn_addr;
	evutil_socket_t			 cn_fd;
	enum conn_state			 cn_state;
	int				 cn_tls;	/* over the TLS listener */
	void				(*cn_closecb)(struct evhttp_connection *,
					    void *);
	void				*cn_closearg;
	TAILQ_ENTRY(conn)		 cn_link;
	/* Output held in memory (output-buffer-max). */
	struct evbuffer_cb_entry	*cn_output;
	size_t				 cn_held;	/* bytes counted */
	int				 cn_cut;	/* over its share: closing */
	TAILQ_ENTRY(conn)		 cn_heldlink;	/* on ct_held */
	/* The answer being sent, whose access line waits (conns_answer). */
	struct evhttp_request		*cn_req;	/* NULL: none */
	int				 cn_code;
	size_t				 cn_body;	/* bytes of body */
	size_t				 cn_queued;	/* head and body */
};

struct conns {
	struct proxy		*ct_px;
	struct event_base	*ct_base;
	struct conn		**ct_byfd;
	size_t			 ct_nfd;
	struct conn_addrs	 ct_addrs[CONN_BUCKETS];
	TAILQ_HEAD(, conn)	 ct_all;
	long long		 ct_count;
	struct timeval		 ct_header_timeout;
	long long		 ct_max;
	long long		 ct_max_per_addr;
	long long		 ct_max_headers;
	/* Connections holding output, the one holding it longest first. */
	TAILQ_HEAD(, conn)	 ct_held;
	size_t			 ct_nheld;
	long long		 ct_out;	/* bytes they hold */
	long long		 ct_out_max;
	/* Refusals, deadline closes and cuts: logged at most every 10 s. */
	time_t			 ct_noted;
	long long		 ct_refused;
	long long		 ct_expired;
	long long		 ct_cut;
};

/*
 * evhttp's close callback has no argument to find this table by, and a
 * process serves one table: the table of server_on_close().
 */
static struct conns	*conn_table;

static unsigned int
conn_hash(const char *s)
{
	unsigned int	h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h % CONN_BUCKETS;
}

/* The entry of address name, made when make is set; NULL: out of memory. */
static struct conn_addr *
conn_addr_get(struct conns *ct, const char *name, int make)
{
	struct conn_addrs	*bucket = &ct->ct_addrs[conn_hash(name)];
	struct conn_addr	*ca;

	LIST_FOREACH(ca, bucket, ca_link) {
		if (strcmp(ca->ca_name, name) == 0)
			return ca;
	}
	if (!make || (ca = calloc(1, sizeof *ca)) == NULL)
		return NULL;
	snprintf(ca->ca_name, sizeof ca->ca_name, "%s", name);
	LIST_INSERT_HEAD(bucket, ca, ca_link);
	return ca;
}

/* Logs what the limits did since the last note, at most every 10 s. */
static void
conn_note(struct conns *ct, int force)
{
	time_t	now = time(NULL);

	if (!force && now < ct->ct_noted + 10)
		return;
	if (ct->ct_refused > 0)
		log_warnx("refused %lld connection%s over the limits (%lld "
		    "open, at most %lld, %lld per address)", ct->ct_refused,
		    ct->ct_refused == 1 ? "" : "s", ct->ct_count, ct->ct_max,
		    ct->ct_max_per_addr);
	if (ct->ct_expired > 0)
		log_warnx("closed %lld connection%s that sent no whole request "
		    "head within %ld s", ct->ct_expired,
		    ct->ct_expired == 1 ? "" : "s",
		    (long)ct->ct_header_timeout.tv_sec);
	if (ct->ct_cut > 0)
		log_warnx("cut %lld client%s that fell behind: output waiting "
		    "in memory over their share of output-buffer-max (%lld "
		    "bytes)", ct->ct_cut, ct->ct_cut == 1 ? "" : "s",
		    ct->ct_out_max);
	ct->ct_refused = ct->ct_expired = ct->ct_cut = 0;
	ct->ct_noted = now;
}

/* Counts n bytes of output held by cn, in place of what it held. */
static void
conn_hold(struct conn *cn, size_t n)
{
	struct conns	*ct = cn->cn_tab;

	if (cn->cn_cut)
		n = 0;
	if (cn->cn_held == 0 && n > 0) {
		TAILQ_INSERT_TAIL(&ct->ct_held, cn, cn_heldlink);
		ct->ct_nheld++;
	} else if (cn->cn_held > 0 && n == 0) {
		TAILQ_REMOVE(&ct->ct_held, cn, cn_heldlink);
		ct->ct_nheld--;
	}
	ct->ct_out += (long long)n - (long long)cn->cn_held;
	cn->cn_held = n;
}

/*
 * Over the cap: cuts connections that hold more than their share, the
 * longest held first, until the rest fit.  The close comes from the
 * connection's timer, as this runs inside libevent's writing.
 */
static void
conns_trim(struct conns *ct)
{
	struct conn	*cn, *next;
	size_t		 share;

	for (cn = TAILQ_FIRST(&ct->ct_held); cn != NULL &&
	    ct->ct_out > ct->ct_out_max; cn = next) {
		next = TAILQ_NEXT(cn, cn_heldlink);
		share = ct->ct_out_max / ct->ct_nheld;
		if (cn->cn_held <= share)
			continue;
		log_debug("client %s: cut: %zu bytes of output waiting, over "
		    "its share (%zu) of output-buffer-max", cn->cn_addr != NULL ?
		    cn->cn_addr->ca_name : "-", cn->cn_held, share);
		cn->cn_cut = 1;
		conn_hold(cn, 0);
		ct->ct_cut++;
		event_active(cn->cn_timer, EV_TIMEOUT, 1);
	}
	conn_note(ct, 0);
}

/*
 * The connection's output changed: a TLS connection's is all memory; a
 * plain one's is counted from conns_output_held() until it drains.
 */
static void
conn_output(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn	*cn = arg;
	size_t		 len = evbuffer_get_length(buf);

	conn_hold(cn, len);
	if (len == 0 && !cn->cn_tls)
		evbuffer_cb_clear_flags(buf, cn->cn_output, EVBUFFER_CB_ENABLED);
	if (info->n_added > 0 && cn->cn_tab->ct_out > cn->cn_tab->ct_out_max)
		conns_trim(cn->cn_tab);
}

static struct conn *
conn_find(struct conns *ct, struct evhttp_connection *evcon)
{
	struct bufferevent	*bev;
	evutil_socket_t		 fd;

	if (ct == NULL || evcon == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return NULL;
	fd = bufferevent_getfd(bev);
	if (fd < 0 || (size_t)fd >= ct->ct_nfd || ct->ct_byfd[fd] == NULL ||
	    ct->ct_byfd[fd]->cn_evcon != evcon)
		return NULL;
	return ct->ct_byfd[fd];
}

/* Forgets cn, counted or not; the connection itself is evhttp's. */
static void
conn_free(struct conn *cn)
{
	struct conns	*ct = cn->cn_tab;

	TAILQ_REMOVE(&ct->ct_all, cn, cn_link);
	if (cn->cn_input != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(cn->cn_bev),
		    cn->cn_input);
	if (cn->cn_output != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_output(cn->cn_bev),
		    cn->cn_output);
	cn->cn_cut = 1;
	conn_hold(cn, 0);
	if (cn->cn_fd >= 0 && (size_t)cn->cn_fd < ct->ct_nfd &&
	    ct->ct_byfd[cn->cn_fd] == cn) {
		ct->ct_byfd[cn->cn_fd] = NULL;
		ct->ct_count--;
	}
	if (cn->cn_addr != NULL && --cn->cn_addr->ca_count == 0) {
		LIST_REMOVE(cn->cn_addr, ca_link);
		free(cn->cn_addr);
	}
	event_free(cn->cn_timer);
	free(cn);
}

/*
 * The access line of the answer being sent; sent: the bytes of it that
 * went, headers and body.
 */
static void
conn_answer_log(struct conn *cn, size_t sent)
{
	size_t	head = cn->cn_queued - cn->cn_body;

	server_access(cn->cn_addr != NULL ? cn->cn_addr->ca_name : "-",
	    server_method(cn->cn_req), evhttp_request_get_uri(cn->cn_req),
	    cn->cn_code, sent > head ? (long long)(sent - head) : 0);
	cn->cn_req = NULL;
}

/* evhttp's close callback: every counted connection ends here. */
static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct conn	*cn = arg;
	size_t		 unsent;

	/*
	 * Cut off during an answer: its line says how much of the body went,
	 * as nginx's does.  evhttp drops what the output holds only after
	 * this callback.
	 */
	if (cn->cn_req != NULL) {
		unsent = evbuffer_get_length(bufferevent_get_output(cn->cn_bev));
		conn_answer_log(cn, unsent < cn->cn_queued ?
		    cn->cn_queued - unsent : 0);
	}
	if (cn->cn_closecb != NULL)
		cn->cn_closecb(evcon, cn->cn_closearg);
	conn_free(cn);
}

static void
conn_head_deadline(struct conn *cn)
{
	cn->cn_state = CONN_HEAD;
	/*
	 * A relative timeout counts from the loop's cached time, which is as
	 * old as this turn of the loop: a long turn would end the deadline
	 * early.  Count from now.
	 */
	event_base_update_cache_time(event_get_base(cn->cn_timer));
	evtimer_add(cn->cn_timer, &cn->cn_tab->ct_header_timeout);
}

/* Bytes came in: between requests, the first one starts the deadline. */
static void
conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn	*cn = arg;

	if (info->n_added > 0 && cn->cn_state == CONN_IDLE)
		conn_head_deadline(cn);
}

/* Answers 503 on a connection refused before its request was read. */
static void
conn_refuse(evutil_socket_t fd, const char *why)
{
	char	msg[256];
	int	n, len;

	len = snprintf(msg, sizeof msg, "%s\n", why);
	n = snprintf(msg, sizeof msg, "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\nRetry-After: 5\r\nConnection: close\r\n"
	    "\r\n%s\n", len, why);
	if (n > 0 && (size_t)n < sizeof msg)
		(void)send(fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* The connection has its socket now: count it, or refuse it. */
static void
conn_start(struct conn *cn)
{
	struct conns			*ct = cn->cn_tab;
	struct evhttp_connection	*evcon;
	struct conn			**byfd;
	bufferevent_data_cb		 readcb;
	bufferevent_event_cb		 eventcb;
	void				*arg = NULL;
	char				*addr = NULL, why[128];
	ev_uint16_t			 port;
	size_t				 n;
	int				 one;

	bufferevent_getcb(cn->cn_bev, &readcb, NULL, &eventcb, &arg);
	cn->cn_fd = bufferevent_getfd(cn->cn_bev);
	/* The reference conn_bev_new took; evhttp may have dropped its own. */
	bufferevent_decref(cn->cn_bev);
	if (eventcb == NULL || arg == NULL || cn->cn_fd < 0) {
		cn->cn_fd = -1;
		conn_free(cn);
		return;
	}
	cn->cn_evcon = evcon = arg;
	evhttp_connection_get_peer(evcon, &addr, &port);
	if (addr == NULL)
		addr = "-";

	why[0] = '\0';
	if (ct->ct_count >= ct->ct_max)
		snprintf(why, sizeof why, "too many connections (%lld)",
		    ct->ct_count);
	else if ((cn->cn_addr = conn_addr_get(ct, addr, 1)) == NULL)
		snprintf(why, sizeof why, "out of memory");
	else if (cn->cn_addr->ca_count >= ct->ct_max_per_addr)
		snprintf(why, sizeof why, "too many connections from %s (%lld)",
		    addr, cn->cn_addr->ca_count);
	if (why[0] == '\0' && (size_t)cn->cn_fd >= ct->ct_nfd) {
		n = ct->ct_nfd == 0 ? 1024 : ct->ct_nfd;
		while (n <= (size_t)cn->cn_fd)
			n *= 2;
		if ((byfd = reallocarray(ct->ct_byfd, n, sizeof *byfd)) == NULL)
			snprintf(why, sizeof why, "out of memory");
		else {
			memset(byfd + ct->ct_nfd, 0,
			    (n - ct->ct_nfd) * sizeof *byfd);
			ct->ct_byfd = byfd;
			ct->ct_nfd = n;
		}
	}
	if (why[0] == '\0') {
		cn->cn_input = evbuffer_add_cb(bufferevent_get_input(cn->cn_bev),
		    conn_input, cn);
		cn->cn_output = evbuffer_add_cb(bufferevent_get_output(cn->cn_bev),
		    conn_output, cn);
		if (cn->cn_input == NULL || cn->cn_output == NULL)
			snprintf(why, sizeof why, "out of memory");
		/* A plain connection's is counted only when it is memory. */
		else if (!cn->cn_tls)
			evbuffer_cb_clear_flags(bufferevent_get_output(cn->cn_bev),
			    cn->cn_output, EVBUFFER_CB_ENABLED);
	}
	if (why[0] != '\0') {
		log_debug("client %s: connection refused: %s", addr, why);
		ct->ct_refused++;
		conn_note(ct, 0);
		/* A TLS client cannot read a plain answer: just close. */
		if (!cn->cn_tls)
			conn_refuse(cn->cn_fd, why);
		if (cn->cn_addr != NULL && cn->cn_addr->ca_count == 0) {
			LIST_REMOVE(cn->cn_addr, ca_link);
			free(cn->cn_addr);
		}
		cn->cn_addr = NULL;
		cn->cn_fd = -1;
		conn_free(cn);
		evhttp_connection_free(evcon);
		return;
	}
	/*
	 * Headers and a file go out in two writes: with Nagle's algorithm the
	 * second waits for the client's delayed ACK of the first.
	 */
	one = 1;
	(void)setsockopt(cn->cn_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	cn->cn_addr->ca_count++;
	ct->ct_byfd[cn->cn_fd] = cn;
	ct->ct_count++;
	evhttp_connection_set_closecb(evcon, conn_closed, cn);
	conn_head_deadline(cn);
}

static void
conn_timer(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*cn = arg;
	struct conns	*ct = cn->cn_tab;

	/* Over its share of output-buffer-max (conns_trim). */
	if (cn->cn_cut) {
		/* Calls conn_closed, which frees cn. */
		evhttp_connection_free(cn->cn_evcon);
		return;
	}
	switch (cn->cn_state) {
	case CONN_NEW:
		conn_start(cn);
		break;
	case CONN_HEAD:
		log_debug("client %s: no whole request head within %ld s",
		    cn->cn_addr->ca_name, (long)ct->ct_header_timeout.tv_sec);
		ct->ct_expired++;
		conn_note(ct, 0);
		/* Calls conn_closed, which frees cn. */
		evhttp_connection_free(cn->cn_evcon);
		break;
	default:
		break;
	}
}

/* Starts counting the connection of bev, accepted a moment ago. */
static struct bufferevent *
conn_track(struct conns *ct, struct event_base *base, struct bufferevent *bev,
    int tls)
{
	struct conn	*cn;

	if (bev == NULL)
		return NULL;
	/* Without memory for its state, a connection goes uncounted. */
	if ((cn = calloc(1, sizeof *cn)) == NULL)
		return bev;
	if ((cn->cn_timer = evtimer_new(base, conn_timer, cn)) == NULL) {
		free(cn);
		return bev;
	}
	cn->cn_tab = ct;
	cn->cn_bev = bev;
	cn->cn_fd = -1;
	cn->cn_state = CONN_NEW;
	cn->cn_tls = tls;
	TAILQ_INSERT_TAIL(&ct->ct_all, cn, cn_link);
	/* Kept until conn_start has looked at it, whatever evhttp does. */
	bufferevent_incref(bev);
	event_active(cn->cn_timer, EV_TIMEOUT, 1);
	return bev;
}

/* evhttp's bufferevent callback: a connection was accepted. */
static struct bufferevent *
conn_bev_new(struct event_base *base, void *arg)
{
	struct bufferevent	*bev;

	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	/* libevent writes 16 KB at a time: a response takes one write. */
	if (bev != NULL)
		bufferevent_set_max_single_write(bev, CONN_WRITE_MAX);
	return conn_track(arg, base, bev, 0);
}

/* Likewise on the TLS listener: the handshake is under the head deadline. */
static struct bufferevent *
conn_bev_new_tls(struct event_base *base, void *arg)
{
	struct conns	*ct = arg;

	return conn_track(ct, base, tls_bufferevent_new(ct->ct_px->px_tls,
	    base), 1);
}

/* The request is answered: the connection idles until the next one. */
static void
conn_request_done(struct evhttp_request *req, void *arg)
{
	struct conn	*cn;

	if ((cn = conn_find(arg, evhttp_request_get_connection(req))) == NULL)
		return;
	if (cn->cn_req == req)
		conn_answer_log(cn, cn->cn_queued);
	cn->cn_state = CONN_IDLE;
	/* A pipelined request may be there already. */
	if (evbuffer_get_length(bufferevent_get_input(cn->cn_bev)) > 0)
		conn_head_deadline(cn);
}

/* evhttp's request callback: a whole request head came in. */
static void
conn_request(struct evhttp_request *req, void *arg)
{
	struct conns		*ct = arg;
	struct conn		*cn;
	struct evkeyval		*kv;
	long long		 n = 0;

	if ((cn = conn_find(ct, evhttp_request_get_connection(req))) != NULL) {
		evtimer_del(cn->cn_timer);
		cn->cn_state = CONN_BUSY;
		evhttp_request_set_on_complete_cb(req, conn_request_done, ct);
	}
	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
		n++;
	if (n > ct->ct_max_headers) {
		server_error(req, 431, "%lld header fields; at most %lld are "
		    "taken", n, ct->ct_max_headers);
		return;
	}
	route_request(req, ct->ct_px);
}

void
conns_output_held(struct evhttp_connection *evcon)
{
	struct conn	*cn;
	struct evbuffer	*out;

	if ((cn = conn_find(conn_table, evcon)) == NULL || cn->cn_tls ||
	    cn->cn_cut)
		return;
	out = bufferevent_get_output(cn->cn_bev);
	evbuffer_cb_set_flags(out, cn->cn_output, EVBUFFER_CB_ENABLED);
	conn_hold(cn, evbuffer_get_length(out));
	if (cn->cn_tab->ct_out > cn->cn_tab->ct_out_max)
		conns_trim(cn->cn_tab);
}

int
conns_answer(struct evhttp_connection *evcon, struct evhttp_request *req,
    int code, size_t body)
{
	struct conn	*cn;
	size_t		 queued;

	if ((cn = conn_find(conn_table, evcon)) == NULL ||
	    cn->cn_state != CONN_BUSY)
		return -1;
	queued = evbuffer_get_length(bufferevent_get_output(cn->cn_bev));
	if (queued < body)
		return -1;
	cn->cn_req = req;
	cn->cn_code = code;
	cn->cn_body = body;
	cn->cn_queued = queued;
	return 0;
}

size_t
conns_output_share(void)
{
	struct conns	*ct = conn_table;
	long long	 share;

	if (ct == NULL)
		return SIZE_MAX;
	share = ct->ct_out_max / (long long)(ct->ct_nheld + 1);
	return share < CONNS_OUTPUT_MIN ? CONNS_OUTPUT_MIN : (size_t)share;
}

void
server_on_close(struct evhttp_connection *evcon,
    void (*cb)(struct evhttp_connection *, void *), void *arg)
{
	struct conn	*cn;

	if (evcon == NULL)
		return;
	if ((cn = conn_find(conn_table, evcon)) == NULL) {
		/* Not counted: the close callback is free. */
		evhttp_connection_set_closecb(evcon, cb, arg);
		return;
	}
	cn->cn_closecb = cb;
	cn->cn_closearg = arg;
}

/* What every evhttp of the table has: its callback, deadlines and caps. */
static void
conns_http(struct conns *ct, struct evhttp *http)
{
	struct config	*cf = ct->ct_px->px_conf;

	evhttp_set_gencb(http, conn_request, ct);
	evhttp_set_timeout(http, cf->cf_idle_timeout);
	evhttp_set_max_headers_size(http, cf->cf_max_header_size);
}

/* Raises the soft descriptor limit to the hard one; returns the limit. */
static long long
conn_raise_nofile(void)
{
	struct rlimit	rl;
	rlim_t		old;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit");
		return 1024;
	}
	old = rl.rlim_cur;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > CONN_FD_CEILING)
		rl.rlim_max = CONN_FD_CEILING;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			log_warn("setrlimit RLIMIT_NOFILE %llu",
			    (unsigned long long)rl.rlim_cur);
			rl.rlim_cur = old;
		}
	}
	return (long long)rl.rlim_cur;
}

struct conns *
conns_new(struct proxy *px, struct evhttp *http, char **cause)
{
	struct config	*cf = px->px_conf;
	struct conns	*ct;
	long long	 nofile;
	size_t		 i;

	if ((ct = calloc(1, sizeof *ct)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	ct->ct_px = px;
	ct->ct_base = px->px_base;
	TAILQ_INIT(&ct->ct_all);
	TAILQ_INIT(&ct->ct_held);
	ct->ct_out_max = cf->cf_output_buffer_max;
	for (i = 0; i < CONN_BUCKETS; i++)
		LIST_INIT(&ct->ct_addrs[i]);
	ct->ct_header_timeout.tv_sec = cf->cf_header_timeout;
	ct->ct_max = cf->cf_max_connections;
	ct->ct_max_per_addr = cf->cf_max_connections_per_address;
	ct->ct_max_headers = cf->cf_max_headers;

	nofile = conn_raise_nofile();
	if (ct->ct_max > nofile - CONN_FD_RESERVE) {
		ct->ct_max = nofile > 2 * CONN_FD_RESERVE ?
		    nofile - CONN_FD_RESERVE : nofile / 2;
		log_warnx("max-connections %lld is above what %lld descriptors "
		    "allow: %lld", cf->cf_max_connections, nofile, ct->ct_max);
	}
	log_debug("connections: at most %lld, %lld per address; %lld "
	    "descriptors", ct->ct_max, ct->ct_max_per_addr, nofile);

	if (http != NULL) {
		evhttp_set_bevcb(http, conn_bev_new, ct);
		conns_http(ct, http);
	}
	conn_table = ct;
	return ct;
}

void
conns_add_tls(struct conns *ct, struct evhttp *http)
{
	evhttp_set_bevcb(http, conn_bev_new_tls, ct);
	conns_http(ct, http);
}

/* After evhttp_free, which closed every connection evhttp had. */
void
conns_free(struct conns *ct)
{
	struct conn		*cn;
	struct conn_addr	*ca;
	size_t			 i;

	if (ct == NULL)
		return;
	while ((cn = TAILQ_FIRST(&ct->ct_all)) != NULL) {
		if (cn->cn_state == CONN_NEW)
			bufferevent_decref(cn->cn_bev);
		cn->cn_fd = -1;
		cn->cn_addr = NULL;
		cn->cn_input = NULL;
		cn->cn_output = NULL;
		conn_free(cn);
	}
	for (i = 0; i < CONN_BUCKETS; i++) {
		while ((ca = LIST_FIRST(&ct->ct_addrs[i])) != NULL) {
			LIST_REMOVE(ca, ca_link);
			free(ca);
		}
	}
	conn_note(ct, 1);
	if (conn_table == ct)
		conn_table = NULL;
	free(ct->ct_byfd);
	free(ct);
}
