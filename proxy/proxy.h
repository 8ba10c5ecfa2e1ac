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

/* Seconds a client connection may stay idle or stalled. */
#ifndef SERVER_TIMEOUT
#define SERVER_TIMEOUT		60
#endif
/* Seconds to connect upstream; an upstream below the low speed is dropped. */
#define UPSTREAM_CONNECT_TIMEOUT	30
#define UPSTREAM_LOW_SPEED_LIMIT	1024	/* bytes per second */
#define UPSTREAM_LOW_SPEED_TIME		60	/* seconds */
/* Client output buffered beyond this pauses the upstream transfer. */
#define UPSTREAM_BUFFER_MAX	(4 * 1024 * 1024)

/* Cache-Control of what changes between generations, and of what cannot. */
#define CACHE_SHORT		"max-age=60"
#define CACHE_IMMUTABLE		"public, max-age=31536000, immutable"

/* Everything the daemon runs on; main() builds it and hands it down. */
struct proxy {
	struct event_base	*px_base;
	struct config		*px_conf;
	struct blobstore	*px_blobs;
	struct gate_cache	*px_gates;
	struct upstream		*px_upstream;
	struct server		*px_server;
	struct sched		*px_sched;
	struct api		*px_api;
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
 */
int		 route_generation(struct proxy *, struct evhttp_request *,
		     const char *gen, const char *what, const char *rel);
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

struct gate_cache	*gate_cache_new(struct event_base *);
void			 gate_cache_free(struct gate_cache *);
/* The index of generation gen, loaded on first use; gate_unref when done. */
struct gate		*gate_get(struct gate_cache *, const char *gen, char **cause);
void			 gate_unref(struct gate *);
const struct gate_entry	*gate_lookup(struct gate *, const char *path);
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
		     char **cause);
void		 upstream_free(struct upstream *);
/*
 * Answers req with the bytes rg of the package e, fetched from upstream
 * while they are written to the blob store; server_begin() has set the
 * headers and chose code (200 or 206).
 */
void		 upstream_fetch(struct upstream *, struct evhttp_request *,
		     const struct gate_entry *, int code, const struct range *);

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

/* api.c: /_api/v1/, /metrics and their access control */
struct api;

struct api	*api_new(struct proxy *, char **cause);
void		 api_free(struct api *);
/* SIGHUP: the tokens of cf, read before cf replaces px_conf; -1 refuses cf. */
int		 api_reload(struct api *, struct config *cf, char **cause);
/* Answers req when its path is the API's or /metrics; -1 when it is not. */
int		 api_request(struct proxy *, struct evhttp_request *);

/* metrics.c */
void		 metrics_init(struct proxy *);
/* Counts one answered request: every answer passes through server_access(). */
void		 metrics_request(const char *uri, int code, long long bytes);
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
 * report itself, for URLs under base ("http://host:port"); -1,
 * unanswered, when the query asks for no hook.
 */
int		 report_hook(struct evhttp_request *, const struct group *,
		     const struct mirror *, const char *base);

/* server_conn.c: client connections, their caps and deadlines */
struct conns;
struct evhttp;

/*
 * Counts evhttp's connections under the [server] limits of px_conf and
 * hands each whole request to route_request.  Raises the descriptor limit.
 */
struct conns	*conns_new(struct proxy *, struct evhttp *, char **cause);
void		 conns_free(struct conns *);
/*
 * Calls cb when evcon closes (cb NULL: nothing); evhttp's own close
 * callback belongs to server_conn.c.
 */
void		 server_on_close(struct evhttp_connection *,
		     void (*cb)(struct evhttp_connection *, void *), void *arg);

#endif
