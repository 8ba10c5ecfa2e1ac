/*
 * patchgated, the serving daemon: one libevent loop.  server.c speaks HTTP
 * and owns the listening socket, route.c maps a URL to a file of a view,
 * gate.c holds each published generation's packages.idx and seal (the
 * validators of its files), and upstream.c fetches the package files the
 * blob store does not have yet.
 */
#ifndef PG_PROXY_H
#define PG_PROXY_H

#include <sys/types.h>

#include <time.h>

struct blobstore;
struct config;
struct evbuffer;
struct event_base;
struct evhttp_connection;
struct evhttp_request;
struct group;
struct mirror;
struct pool;

/* Seconds a client connection may stay idle or stalled. */
#ifndef SERVER_TIMEOUT
#define SERVER_TIMEOUT		60
#endif
/*
 * An upstream below this speed for FETCH_LOW_SPEED_TIME is dropped; the
 * rest of the curl setup is the indexer's (fetch_curl_setup, lib/fetch.h).
 */
#define UPSTREAM_LOW_SPEED_LIMIT	1024	/* bytes per second */
/* Client output buffered beyond this pauses the upstream transfer. */
#define UPSTREAM_BUFFER_MAX	(4 * 1024 * 1024)

/*
 * Cache-Control of what changes between generations, of a file verified
 * with another (repomd.xml and its .asc: route.c), and of what cannot
 * change; "private" for a view a shared cache must not hand out to
 * anyone (a group with allow or auth-file, /_mirror/).
 */
#define CACHE_SHORT		"max-age=60"
#define CACHE_REVALIDATE	"no-cache"
#define CACHE_IMMUTABLE		"public, max-age=31536000, immutable"
#define CACHE_PRIVATE_SHORT	"private, max-age=60"
#define CACHE_PRIVATE_REVALIDATE "private, no-cache"
#define CACHE_PRIVATE_IMMUTABLE	"private, max-age=31536000, immutable"

/* Everything the daemon runs on; main() builds it and hands it down. */
struct proxy {
	struct event_base	*px_base;
	struct config		*px_conf;
	struct blobstore	*px_blobs;
	struct gate_cache	*px_gates;
	struct upstream		*px_upstream;
	struct server		*px_server;
	struct tls		*px_tls;	/* NULL: no tls-listen */
	struct sched		*px_sched;
	struct api		*px_api;
	struct pool		*px_pool;	/* threads for slow file work */
	struct cache		*px_cache;	/* what serving needs, resolved */
	struct notifyd		*px_notify;
	struct access		*px_access;
};

/* What a response describes: the headers every answer about it carries. */
struct resource {
	const char	*rs_etag;	/* quoted, strong */
	time_t		 rs_mtime;	/* 0: unknown, no Last-Modified */
	long long	 rs_size;
	const char	*rs_type;
	const char	*rs_cache;
};

/* The bytes of a resource a response carries, both ends included. */
struct range {
	long long	 rg_first;
	long long	 rg_last;
};

/* server.c */
struct server	*server_new(struct proxy *, char **cause);
void		 server_free(struct server *);
int		 server_check_listen(const char *listen, char **cause);
const char	*server_content_type(const char *path);
int		 server_begin(struct evhttp_request *, const struct resource *,
		     struct range *);
void		 server_send_file(struct evhttp_request *, const struct resource *,
		     int fd);
void		 server_send_buffer(struct evhttp_request *,
		     const struct resource *, struct evbuffer *);
void		 server_reply(struct evhttp_request *, int code, struct evbuffer *);
/*
 * Likewise for a body that is no memory of the connection's own: file
 * segments, or the serving cache's memory (not counted against [server]
 * output-buffer-max).
 */
void		 server_reply_file(struct evhttp_request *, int code,
		     struct evbuffer *);
/* Likewise for a body that is a file segment (sendfile). */
void		 server_reply_segment(struct evhttp_request *, int code,
		     struct evbuffer *);
void		 server_writing(struct evhttp_connection *);
void		 server_error(struct evhttp_request *, int code, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
const char	*server_client(struct evhttp_request *);
const char	*server_method(struct evhttp_request *);
int		 server_host(struct evhttp_request *, char *, size_t);
void		 server_access(const char *client, const char *method,
		     const char *uri, int code, long long bytes);

/* Room for server_host(): a DNS name or "[v6]", ":port" and a NUL. */
#define SERVER_HOST_MAX		(255 + 7)

/* route.c */
/*
 * Serves rel from the generation directory gen (a view's generation, a
 * snapshot, a preview); -1, unanswered, when gen has no such file.
 * shared: whether a shared cache may answer anyone with it.
 */
int		 route_generation(struct proxy *, struct evhttp_request *,
		     const char *gen, const char *what, const char *rel,
		     int shared);
void		 route_request(struct evhttp_request *, void *proxy);

/* gate.c */
struct gate_entry {
	const char	*ge_path;
	int		 ge_visible;
	long long	 ge_size;	/* visible only */
	const char	*ge_algo;	/* visible only; canonical name */
	const char	*ge_hex;	/* visible only */
	const char	*ge_url;	/* visible only */
	const char	*ge_reason;	/* hidden only */
	size_t		 ge_next;	/* hash chain: index + 1, 0 ends it */
};
struct gate;
struct gate_cache;
struct seal;

struct gate_cache	*gate_cache_new(struct event_base *, struct pool *);
void			 gate_cache_free(struct gate_cache *);
/* The index of generation gen, loaded on first use; gate_unref when done. */
struct gate		*gate_get(struct gate_cache *, const char *gen, char **cause);
void			 gate_unref(struct gate *);
const struct gate_entry	*gate_lookup(struct gate *, const char *path);
/*
 * The index and seal of gen (NULL: every generation) are checked against
 * the disk at their next use: cache.c saw gen's directory change.
 */
void			 gate_recheck(struct gate_cache *, const char *gen);
/*
 * 0 when gate_get(gen) and seal_get(gen) answer at once.  Otherwise they
 * are loaded on the pool, and 1 says that cb(req, arg) will be called on
 * the loop when they are (or failed): req waits until then.
 */
int			 gate_wait(struct gate_cache *, const char *gen,
			     void (*cb)(struct evhttp_request *, void *),
			     struct evhttp_request *req, void *arg);
/*
 * The seal of generation gen (view.h), read on first use; seal_unref when
 * done.  NULL with *cause NULL when gen has none (an older patchgate
 * published it), NULL with *cause set (caller-freed) when it is unreadable.
 */
struct seal		*seal_get(struct gate_cache *, const char *gen,
			     char **cause);
void			 seal_unref(struct seal *);
/* The generation's Last-Modified: greater than its predecessor's. */
time_t			 seal_modified(const struct seal *);
/* The sha256 (hex) and size of tree/path, or NULL when it is not listed. */
const char		*seal_lookup(const struct seal *, const char *path,
			     long long *size);

/* sched.c */
struct sched;

/*
 * Runs patchgate sync MIRROR every sync-every and patchgate publish when a
 * view next changes by time, one at a time, logging each run in STORE/log.
 */
struct sched	*sched_new(struct proxy *, char **cause);
void		 sched_free(struct sched *);
/*
 * SIGHUP: loads the configuration file again; a bad one is refused (the
 * old one stays), a good one replaces px_conf and the schedule.  px_conf
 * is valid within one callback: read it afresh in each.  Whatever keeps
 * the configuration across callbacks takes a reference, so that a reload
 * frees the old one only after the last proxy_conf_unref.
 */
void		 proxy_reload(struct proxy *);
struct config	*proxy_conf_ref(struct proxy *);	/* NULL: out of memory */
void		 proxy_conf_unref(struct proxy *, struct config *);

/* upstream.c */
struct upstream;

struct upstream	*upstream_new(struct event_base *, struct blobstore *,
		     struct pool *, char **cause);
void		 upstream_free(struct upstream *);
/*
 * Answers req with the bytes rg of the package e, fetched from upstream
 * (through the proxy and with the CA file of the mirror of cf whose url
 * holds e's) while they are written to the blob store; server_begin() has
 * set the headers and chose code (200 or 206).
 */
void		 upstream_fetch(struct upstream *, const struct config *,
		     struct evhttp_request *, const struct gate_entry *,
		     int code, const struct range *);

/* pool.c: worker threads; done callbacks run on the loop */
struct pool;

struct pool	*pool_new(struct event_base *, int nthreads, char **cause);
/* Lets every queued job finish and runs its done callback, then frees. */
void		 pool_free(struct pool *);
/*
 * Runs work(arg) on a thread, then done(arg) on the loop; -1 (nothing
 * queued) when memory fails or the pool stops.
 */
int		 pool_run(struct pool *, void (*work)(void *),
		     void (*done)(void *), void *arg);

/* child.c */
/*
 * Starts bin (argv, env) with stdin on /dev/null and stdout and stderr on
 * out and err; 0 with *pid, or an errno value.
 */
int		 child_spawn(const char *bin, char *const argv[],
		     char *const env[], int out, int err, pid_t *pid);

/* sched.c, for the admin API */
const char	*sched_bin(struct sched *);		/* patchgate */
const char	*sched_conf_path(struct sched *);	/* the copy children read */
/*
 * Starts patchgate sync MIRROR (NULL: every mirror) now: the id of the run
 * (its log's name, without .log) in *id, caller-freed; -1 with *cause
 * (caller-freed) when a run is going already or it cannot start.
 */
int		 sched_sync_now(struct sched *, const char *mirror, char **id,
		     char **cause);

/* api.c: /_api/v1/, /metrics, /_status and their access control */
struct api;

struct api	*api_new(struct proxy *, char **cause);
void		 api_free(struct api *);
/* SIGHUP: the tokens of cf, read before cf replaces px_conf; -1 refuses cf. */
int		 api_reload(struct api *, struct config *cf, char **cause);
/* Answers req when its path is the API's or /metrics; -1 when it is not. */
int		 api_request(struct proxy *, struct evhttp_request *);
/* Whether req comes from [server] admin-allow or carries an API token. */
int		 api_admin_ok(struct proxy *, struct evhttp_request *);

/* notify.c: delivers the events of STORE/log/events.jsonl ([notify NAME]) */
struct notifyd;

struct notifyd	*notify_new(struct proxy *, char **cause);
void		 notify_free(struct notifyd *);
/* The notifiers' counters for /metrics, appended to b; -1 when memory fails. */
int		 notify_metrics(struct notifyd *, struct evbuffer *b);

/* status_page.c */
/*
 * Answers req, GET or HEAD /_status, with the page "patchgate status
 * --html" wrote in page, or with 500 and err when it failed (exitcode).
 */
void		 status_page_reply(struct evhttp_request *, int exitcode,
		     struct evbuffer *page, const char *err);

/* metrics.c */
void		 metrics_init(struct proxy *);
/* Counts one answered request: every answer passes through server_access(). */
void		 metrics_request(const char *uri, int code, long long bytes);
/* A package file served from the blob store (hit) or fetched (miss). */
void		 metrics_cache(int hit);
/* An upstream download of a package file ended: well or not, and when. */
void		 metrics_upstream(int ok, double seconds);
/* The Prometheus text exposition, appended to b; -1 when memory fails. */
int		 metrics_render(struct proxy *, struct evbuffer *b);

/* report.c */
/*
 * Answers POST /GROUP/_report/HOSTNAME (a machine's inventory), any other
 * method there, and POST anywhere else; -1, unanswered, for the rest.
 */
int		 report_request(struct proxy *, struct evhttp_request *,
		     char **segs, size_t nsegs);
/*
 * /GROUP/MIRROR/_setup?hook=apt|dnf|timer: the hook that makes a machine
 * report itself, for URLs under base ("http://host:port"), sending
 * token (NULL: none) as its bearer; -1, unanswered, when the query asks
 * for no hook.
 */
int		 report_hook(struct evhttp_request *, const struct group *,
		     const struct mirror *, const char *base, const char *token);

/* access.c: who may read a group's view, and HTTP strictness */
struct access;

/* Bytes of a request target; a longer one gets 414. */
#define ACCESS_URI_MAX		8192

enum access_what {
	ACCESS_VIEW,		/* the view, _setup, a preview or snapshot */
	ACCESS_REPORT,		/* a report, or _setup's hook: the token too */
};

/* The auth-files and report tokens of cf's groups; NULL with *cause. */
struct access	*access_new(struct config *cf, char **cause);
void		 access_free(struct access *);
/* SIGHUP: the files of cf, read before cf replaces px_conf; -1 refuses cf. */
int		 access_reload(struct access *, struct config *cf, char **cause);
/*
 * Whether req may have what of group gr: 0, or -1 after answering 403
 * (address) or 401 (credentials) with a body that names nothing.
 */
int		 access_group(struct proxy *, struct evhttp_request *,
		     const struct group *gr, enum access_what what);
/* The report token of gr when req sent it, or NULL. */
const char	*access_report_token(struct proxy *, struct evhttp_request *,
		     const struct group *gr);
/* Whether addr ("10.1.2.3", "::1") is inside one of the CIDRs of list. */
int		 access_addr_in(char **list, const char *addr);
void		 access_refuse(struct evhttp_request *, int code);
/* The one answer for an unknown group, mirror or snapshot: 404. */
void		 access_no_view(struct evhttp_request *);
/* 0, or -1 after answering 400 (Content-Length) or 414 (target). */
int		 access_request_ok(struct evhttp_request *);

/* tls.c: the TLS listener's certificate, connections and file bodies */
struct bufferevent;
struct tls;

/* The context of cf's tls-cert and tls-key; NULL with *cause on failure. */
struct tls	*tls_new(const struct config *, char **cause);
void		 tls_free(struct tls *);
/*
 * SIGHUP: loads cf's certificate and key aside; -1 with *cause when they
 * are bad, which refuses cf.  tls_commit then makes them the ones new
 * connections get.  Both accept a NULL tls (no TLS listener).
 */
int		 tls_prepare(struct tls *, const struct config *, char **cause);
void		 tls_commit(struct tls *, const struct config *);
/* A bufferevent that accepts a TLS connection; evhttp gives it its socket. */
struct bufferevent *tls_bufferevent_new(struct tls *, struct event_base *);
/* Whether req came over the TLS listener. */
int		 server_request_is_tls(struct evhttp_request *);
/* Answers req with the bytes rg of fd (closed here), read piece by piece. */
void		 tls_send_file(struct evhttp_request *, int code, int fd,
		     const struct range *);
/*
 * Appends to the buffer up to len bytes of fd from off, at most one piece
 * (TLS encrypts from memory): the count, 0 at the end of the file, or -1.
 */
ssize_t		 tls_read_piece(struct evbuffer *, int fd, long long off,
		     long long len);
/* Whether a write callback of the connection found its output empty. */
int		 tls_drained(struct evhttp_connection *);

/* server_conn.c: client connections, their caps and deadlines */
struct conns;
struct evhttp;

/*
 * Counts evhttp's connections under the [server] limits of px_conf and
 * hands each whole request to route_request.  Raises the descriptor limit.
 */
struct conns	*conns_new(struct proxy *, struct evhttp *, char **cause);
/*
 * Serves the TLS listener's evhttp too, under the same caps (http of
 * conns_new is NULL when there is no plain listener).
 */
void		 conns_add_tls(struct conns *, struct evhttp *);
void		 conns_free(struct conns *);
/*
 * Calls cb when evcon closes (cb NULL: nothing); evhttp's own close
 * callback belongs to server_conn.c.
 */
void		 server_on_close(struct evhttp_connection *,
		     void (*cb)(struct evhttp_connection *, void *), void *arg);
/*
 * What evcon's output holds now is memory of its own (a body built for
 * it, not yet sent): it counts against [server] output-buffer-max until
 * the output drains.  A TLS connection's output is counted as it is
 * queued, without this.
 */
void		 conns_output_held(struct evhttp_connection *);
/*
 * req's answer, code with body bytes of body, was just queued on evcon:
 * its access line is written when the answer has gone whole, or when the
 * connection closes before, with the bytes of body that went.  -1 when
 * evcon is not a counted connection: the caller writes the line itself.
 */
int		 conns_answer(struct evhttp_connection *, struct evhttp_request *,
		     int code, size_t body);
/*
 * The most one connection should queue in memory at once now: its share
 * of output-buffer-max among the connections holding output, at least
 * CONNS_OUTPUT_MIN (tls.c reads files in pieces of at most this).
 */
size_t		 conns_output_share(void);
#define CONNS_OUTPUT_MIN	(16 * 1024)

#endif
