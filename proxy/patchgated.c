/*
 * patchgated: serves each patch group's view of its mirrors over HTTP, in
 * the foreground (systemd runs it), logging to stderr.  main() reads the
 * configuration, builds the event loop and hands over to server.c.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "blob.h"
#include "cache.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "priv.h"
#include "proxy.h"

/* fsyncs of blobs, index loads, reads into the serving cache */
#define PROXY_POOL_THREADS	4

#ifndef PG_SYSCONFDIR
#define PG_SYSCONFDIR	"/etc"
#endif

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: patchgated [-nv] [-c file]\n");
	exit(1);
}

static void
proxy_signal(evutil_socket_t sig, short events, void *arg)
{
	struct proxy		*px = arg;

	if (sig == SIGHUP) {
		proxy_reload(px);
		return;
	}
	log_info("stopping on %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopbreak(px->px_base);
}

/*
 * The loop: epoll changes of one turn go in one call (a response turns
 * reading and writing on and off several times), and two priorities, so
 * that the serving cache hears of a publish (cache.c) before the requests
 * of the same turn.
 */
static struct event_base *
proxy_base_new(void)
{
	struct event_config	*cfg;
	struct event_base	*base;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base != NULL && event_base_priority_init(base, 2) == -1) {
		event_base_free(base);
		return NULL;
	}
	return base;
}

/* Opens the store and starts serving; fatal on failure, at start-up only. */
static void
proxy_start(struct proxy *px, struct event_base *base, struct config *cf)
{
	char	*cause = NULL;

	px->px_base = base;
	px->px_conf = cf;
	if (priv_check_store(cf->cf_store, &cause) != 0)
		fatalx("%s", cause);
	if ((px->px_blobs = blob_open(cf->cf_store, &cause)) == NULL)
		fatalx("blob store: %s", cause);
	if ((px->px_pool = pool_new(base, PROXY_POOL_THREADS, &cause)) == NULL)
		fatalx("%s", cause);
	if ((px->px_gates = gate_cache_new(base, px->px_pool)) == NULL)
		fatalx("out of memory");
	if ((px->px_cache = cache_new(base, px->px_pool, px->px_gates,
	    px->px_blobs, &cause)) == NULL)
		fatalx("%s", cause);
	if ((px->px_upstream = upstream_new(base, px->px_blobs, px->px_pool,
	    &cause)) == NULL)
		fatalx("%s", cause);
	/* Read before the privileges go: the key may be root's alone. */
	if (cf->cf_tls_listen != NULL &&
	    (px->px_tls = tls_new(cf, &cause)) == NULL)
		fatalx("%s: %s", cf->cf_path, cause);
	if ((px->px_server = server_new(px, &cause)) == NULL)
		fatalx("listen: %s", cause);
	/* Bound: from here on, the configured user (and its children too). */
	if (cf->cf_user != NULL && priv_drop(cf->cf_user, cf->cf_store,
	    &cause) != 0)
		fatalx("%s: user: %s", cf->cf_path, cause);
	if ((px->px_sched = sched_new(px, &cause)) == NULL)
		fatalx("%s", cause);
	if ((px->px_api = api_new(px, &cause)) == NULL)
		fatalx("%s", cause);
	if ((px->px_notify = notify_new(px, &cause)) == NULL)
		fatalx("%s", cause);
	if ((px->px_access = access_new(cf, &cause)) == NULL)
		fatalx("%s", cause);
}

/* Transfers first: they cut their client connections themselves. */
static void
proxy_stop(struct proxy *px)
{
	/* Blobs being committed are stored before anything goes. */
	pool_free(px->px_pool);
	notify_free(px->px_notify);
	api_free(px->px_api);
	access_free(px->px_access);
	sched_free(px->px_sched);
	upstream_free(px->px_upstream);
	server_free(px->px_server);
	tls_free(px->px_tls);
	cache_free(px->px_cache);
	gate_cache_free(px->px_gates);
	blob_close(px->px_blobs);
}

int
main(int argc, char **argv)
{
	const char		*path = PG_SYSCONFDIR "/patchgate.conf";
	struct config		*cf;
	struct event_base	*base;
	struct event		*sigs[3];
	struct proxy		 px;
	struct tls		*tls;
	struct access		*as;
	char			*cause = NULL;
	int			 ch, nflag = 0, verbose = 0, i;
	static const int	 signos[3] = { SIGTERM, SIGINT, SIGHUP };

	while ((ch = getopt(argc, argv, "c:nv")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			nflag = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("patchgated", verbose);
	if (clock_init(&cause) != 0)
		fatalx("%s", cause);

	if ((cf = config_load(path)) == NULL)
		exit(1);
	if (cf->cf_listen != NULL &&
	    server_check_listen(cf->cf_listen, &cause) != 0) {
		fprintf(stderr, "%s: listen: %s\n", path, cause);
		exit(1);
	}
	if (cf->cf_tls_listen != NULL &&
	    server_check_listen(cf->cf_tls_listen, &cause) != 0) {
		fprintf(stderr, "%s: tls-listen: %s\n", path, cause);
		exit(1);
	}
	if (nflag) {
		/* The groups' auth-files and report tokens, as at start. */
		if ((as = access_new(cf, &cause)) == NULL) {
			fprintf(stderr, "%s\n", cause);
			exit(1);
		}
		access_free(as);
		/* The certificate and key too, as start and SIGHUP read them. */
		if (cf->cf_tls_listen != NULL) {
			if ((tls = tls_new(cf, &cause)) == NULL) {
				fprintf(stderr, "%s: %s\n", path, cause);
				exit(1);
			}
			tls_free(tls);
		}
		printf("configuration OK\n");
		config_free(cf);
		exit(0);
	}

	/* A client that hangs up must not kill the daemon mid-write. */
	signal(SIGPIPE, SIG_IGN);
	if ((base = proxy_base_new()) == NULL)
		fatalx("cannot create the event loop");
	memset(&px, 0, sizeof px);
	for (i = 0; i < 3; i++) {
		if ((sigs[i] = evsignal_new(base, signos[i], proxy_signal,
		    &px)) == NULL || evsignal_add(sigs[i], NULL) == -1)
			fatalx("cannot watch signal %d", signos[i]);
	}
	proxy_start(&px, base, cf);

	/* The access log: buffered, written by a thread (log.c). */
	log_buffer_start();
	event_base_dispatch(base);

	proxy_stop(&px);
	log_buffer_stop();
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	event_base_free(base);
	/* A SIGHUP may have replaced the configuration main() loaded. */
	config_free(px.px_conf);
	return 0;
}
