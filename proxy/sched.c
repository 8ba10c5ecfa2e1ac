/*
 * The daemon's own work besides serving: it keeps views current by
 * running the indexer (patchgate sync MIRROR every sync-every, patchgate
 * publish when a view next changes by time), and it reloads its
 * configuration on SIGHUP.
 *
 * Runs are separate processes (DESIGN.md: untrusted data is never parsed
 * in the serving process), one at a time, spawned with posix_spawn so the
 * loop never waits; their stdout and stderr come back through a socket
 * pair read by a bufferevent and are written as they arrive to a run log
 * (runlog.h).  A run ends in one place, sched_run_end(), once the child is
 * reaped (SIGCHLD) and its output has reached end of file.
 *
 * Children read the configuration the daemon accepted, a copy in
 * STORE/run/patchgated.conf, not the file an admin may be editing: a
 * broken file refused on SIGHUP must not break the scheduled syncs.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "proxy.h"
#include "runlog.h"
#include "util.h"
#include "view.h"
#include "xmalloc.h"

#ifndef PG_BINDIR
#define PG_BINDIR	"/usr/bin"
#endif

#ifndef VIEW_NEXT_CHANGE_NAME
#define VIEW_NEXT_CHANGE_NAME	"next-change"	/* view.h, written by publish */
#endif

extern char	**environ;

#define SCHED_ARM_MAX		3600	/* seconds: re-read the clock at least hourly */
#define SCHED_RUN_MAX		(12 * 3600)	/* a run longer than this is killed */
#define SCHED_KILL_GRACE	60	/* seconds from SIGTERM to SIGKILL */
#define SCHED_DRAIN		5	/* seconds to wait for output after exit */
#define SCHED_BACKOFF_SHIFT	4	/* failures double the wait up to 16x */
#define SCHED_BACKOFF_CAP	3600	/* ... but never beyond an hour, or sync-every */
#define SCHED_PRUNE_INTERVAL	3600
#define SCHED_LINE_MAX		512	/* of the last output line kept */

/* One mirror's schedule; kept by name across reloads. */
struct sched_mirror {
	char			*sm_name;
	long long		 sm_every;	/* 0: off */
	time_t			 sm_due;	/* real time */
	int			 sm_failures;	/* in a row */
	TAILQ_ENTRY(sched_mirror) sm_entry;
};
TAILQ_HEAD(sched_mirrors, sched_mirror);

/* The child running now. */
struct sched_run {
	struct sched		*sr_sc;
	pid_t			 sr_pid;
	int			 sr_reaped;
	int			 sr_status;	/* waitpid's */
	int			 sr_eof;
	int			 sr_killed;	/* signals sent by the deadline */
	struct bufferevent	*sr_bev;
	struct event		*sr_timer;	/* deadline, then drain */
	int			 sr_fd;		/* the run log */
	int			 sr_write_failed;
	char			*sr_path;
	char			 sr_kind[8];	/* sync, publish */
	char			*sr_target;	/* mirror name, or "all" */
	time_t			 sr_start;
	time_t			 sr_next_change; /* publish: the time it is for */
	char			 sr_line[SCHED_LINE_MAX];
	size_t			 sr_linelen;
	char			 sr_last[SCHED_LINE_MAX];
	char			 sr_named[SCHED_LINE_MAX]; /* last naming the mirror */
	int			 sr_stopping;	/* the daemon is stopping */
};

/* A configuration still held by someone after a reload replaced it. */
struct sched_hold {
	struct config		*sh_cf;
	int			 sh_refs;
	TAILQ_ENTRY(sched_hold)	 sh_entry;
};
TAILQ_HEAD(sched_holds, sched_hold);

struct sched {
	struct proxy		*sc_px;
	struct event_base	*sc_base;
	struct event		*sc_timer;
	struct event		*sc_sigchld;
	struct sched_mirrors	 sc_mirrors;
	struct sched_holds	 sc_holds;
	struct sched_run	*sc_run;
	char			*sc_bin;	/* patchgate */
	char			*sc_conf;	/* the copy children read */
	time_t			 sc_pub_due;	/* real time; 0: none */
	time_t			 sc_pub_for;	/* next-change it is for */
	time_t			 sc_pub_done;	/* next-change last published for */
	time_t			 sc_pruned;
};

static void	sched_arm(struct sched *);
static void	sched_plan(struct sched *);
static void	sched_run_end(struct sched_run *);

/* Writes the accepted configuration where children read it. */
static int
sched_conf_copy(struct sched *sc, struct config *cf, char **cause)
{
	char	*data, *dir;
	size_t	 len;
	int	 rc;

	if (file_read(cf->cf_path, 16 * 1024 * 1024, &data, &len, cause) != 0)
		return -1;
	xasprintf(&dir, "%s/run", cf->cf_store);
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		free(data);
		return -1;
	}
	free(sc->sc_conf);
	xasprintf(&sc->sc_conf, "%s/patchgated.conf", dir);
	free(dir);
	rc = file_write_atomic(sc->sc_conf, data, len, cause);
	free(data);
	return rc;
}

static struct sched_mirror *
sched_find(struct sched *sc, const char *name)
{
	struct sched_mirror	*sm;

	TAILQ_FOREACH(sm, &sc->sc_mirrors, sm_entry) {
		if (strcmp(sm->sm_name, name) == 0)
			return sm;
	}
	return NULL;
}

/* When the last run that synced mirror started, from the run logs; 0: never. */
static time_t
sched_last_sync(const char *store, const char *mirror)
{
	struct runlog_entry	*v;
	size_t			 n, i;
	time_t			 last = 0;
	char			*cause = NULL;

	if (runlog_list(store, mirror, &v, &n, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].re_kind, "sync") == 0)
			last = v[i].re_start;
	}
	runlog_list_free(v, n);
	return last;
}

/*
 * Matches the schedule to the configuration: a mirror kept with the same
 * sync-every keeps its due time; a new one, or one whose interval changed,
 * is due sync-every after its last sync (now if never).
 */
static void
sched_mirrors_update(struct sched *sc, struct config *cf)
{
	struct sched_mirrors	 old;
	struct sched_mirror	*sm;
	struct mirror		*mi;
	time_t			 now = time(NULL), last;
	long long		 every;

	TAILQ_INIT(&old);
	TAILQ_CONCAT(&old, &sc->sc_mirrors, sm_entry);
	TAILQ_FOREACH(mi, &cf->cf_mirrors, mi_entry) {
		TAILQ_FOREACH(sm, &old, sm_entry) {
			if (strcmp(sm->sm_name, mi->mi_name) == 0)
				break;
		}
		/* A replica (schedule = no) leaves syncs to the indexer. */
		every = cf->cf_schedule ? mi->mi_sync_every : 0;
		if (sm != NULL) {
			TAILQ_REMOVE(&old, sm, sm_entry);
			if (sm->sm_every == every) {
				TAILQ_INSERT_TAIL(&sc->sc_mirrors, sm, sm_entry);
				continue;
			}
		} else {
			sm = xcalloc(1, sizeof *sm);
			sm->sm_name = xstrdup(mi->mi_name);
		}
		sm->sm_every = every;
		last = sched_last_sync(cf->cf_store, mi->mi_name);
		sm->sm_due = last == 0 ? now : last + sm->sm_every;
		TAILQ_INSERT_TAIL(&sc->sc_mirrors, sm, sm_entry);
		if (sm->sm_every > 0)
			log_info("mirror %s: syncs every %llds, next in %llds",
			    sm->sm_name, sm->sm_every, sm->sm_due > now ?
			    (long long)(sm->sm_due - now) : 0LL);
	}
	while ((sm = TAILQ_FIRST(&old)) != NULL) {
		TAILQ_REMOVE(&old, sm, sm_entry);
		free(sm->sm_name);
		free(sm);
	}
}

/*
 * The earliest time any view changes by time, from the next-change files
 * publish writes (view.h); 0 when none says (absent, empty: never).
 */
static time_t
sched_next_change(struct config *cf)
{
	struct group	*gr;
	char		*dir, *path, *data;
	size_t		 i, len;
	long long	 v;
	time_t		 best = 0;

	TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
		for (i = 0; i < gr->gr_nmirrors; i++) {
			dir = view_dir(cf->cf_store, gr->gr_name,
			    gr->gr_mirror_names[i]);
			xasprintf(&path, "%s/%s", dir, VIEW_NEXT_CHANGE_NAME);
			free(dir);
			if (file_read(path, 64, &data, &len, NULL) == 0) {
				if (sscanf(data, "%lld", &v) == 1 && v > 0 &&
				    (best == 0 || v < best))
					best = v;
				free(data);
			}
			free(path);
		}
	}
	return best;
}

/* Decides when the next publish is due, from the views' next-change. */
static void
sched_plan(struct sched *sc)
{
	time_t	nc, now = clock_now();

	/* A replica publishes nothing: the host that syncs does. */
	nc = sc->sc_px->px_conf->cf_schedule ?
	    sched_next_change(sc->sc_px->px_conf) : 0;
	/* Published for it already: a clock that stands still (PATCHGATE_NOW). */
	if (nc == 0 || nc == sc->sc_pub_done) {
		sc->sc_pub_due = 0;
		sc->sc_pub_for = 0;
	} else {
		sc->sc_pub_for = nc;
		sc->sc_pub_due = time(NULL) + (nc > now ? nc - now : 0);
	}
	sched_arm(sc);
}

/* Sets the timer to the earliest due run; none while one runs. */
static void
sched_arm(struct sched *sc)
{
	struct sched_mirror	*sm;
	struct timeval		 tv;
	time_t			 due = 0, now = time(NULL);

	evtimer_del(sc->sc_timer);
	if (sc->sc_run != NULL)
		return;
	TAILQ_FOREACH(sm, &sc->sc_mirrors, sm_entry) {
		if (sm->sm_every > 0 && (due == 0 || sm->sm_due < due))
			due = sm->sm_due;
	}
	if (sc->sc_pub_due != 0 && (due == 0 || sc->sc_pub_due < due))
		due = sc->sc_pub_due;
	if (due == 0)
		return;
	tv.tv_sec = due > now ? due - now : 0;
	if (tv.tv_sec > SCHED_ARM_MAX)
		tv.tv_sec = SCHED_ARM_MAX;
	tv.tv_usec = 0;
	evtimer_add(sc->sc_timer, &tv);
}

/* A complete line of output: the last one, and the last naming the mirror. */
static void
sched_run_line(struct sched_run *sr)
{
	char	name[128];

	if (sr->sr_linelen == 0)
		return;
	memcpy(sr->sr_last, sr->sr_line, sr->sr_linelen);
	sr->sr_last[sr->sr_linelen] = '\0';
	sr->sr_linelen = 0;
	snprintf(name, sizeof name, "mirror %s:", sr->sr_target);
	if (strstr(sr->sr_last, name) != NULL)
		memcpy(sr->sr_named, sr->sr_last, sizeof sr->sr_named);
}

/* Keeps the last lines of output, for the warning of a failure. */
static void
sched_run_scan(struct sched_run *sr, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			sched_run_line(sr);
		} else if (sr->sr_linelen < sizeof sr->sr_line - 1)
			sr->sr_line[sr->sr_linelen++] =
			    ((unsigned char)p[i] < 0x20 && p[i] != '\t') ?
			    '?' : p[i];
	}
}

/* Writes to the run log whatever output has come, byte for byte. */
static void
sched_run_read(struct bufferevent *bev, void *arg)
{
	struct sched_run	*sr = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			 buf[16384], *p;
	ssize_t			 n, w;

	while ((n = evbuffer_remove(in, buf, sizeof buf)) > 0) {
		sched_run_scan(sr, buf, n);
		for (p = buf; n > 0 && !sr->sr_write_failed; p += w, n -= w) {
			if ((w = write(sr->sr_fd, p, n)) == -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				log_warn("%s", sr->sr_path);
				sr->sr_write_failed = 1;
			}
		}
	}
}

static void
sched_run_event(struct bufferevent *bev, short what, void *arg)
{
	struct sched_run	*sr = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	sched_run_read(bev, sr);
	bufferevent_disable(bev, EV_READ);
	sr->sr_eof = 1;
	if (sr->sr_reaped)
		sched_run_end(sr);
}

/* The deadline of a run, then of its output after it exited. */
static void
sched_run_timer(evutil_socket_t fd, short events, void *arg)
{
	struct sched_run	*sr = arg;
	struct timeval		 tv = { SCHED_KILL_GRACE, 0 };

	if (sr->sr_reaped) {
		/* A grandchild holds the output open: stop waiting for it. */
		sched_run_end(sr);
		return;
	}
	log_warnx("%s of %s: running for more than %ds; %s", sr->sr_kind,
	    sr->sr_target, SCHED_RUN_MAX, sr->sr_killed ? "killing it" :
	    "stopping it");
	kill(sr->sr_pid, sr->sr_killed ? SIGKILL : SIGTERM);
	sr->sr_killed++;
	evtimer_add(sr->sr_timer, &tv);
}

static void
sched_sigchld(evutil_socket_t sig, short events, void *arg)
{
	struct sched		*sc = arg;
	struct sched_run	*sr = sc->sc_run;
	struct timeval		 tv = { SCHED_DRAIN, 0 };
	pid_t			 pid;
	int			 status;

	if (sr == NULL || sr->sr_reaped)
		return;
	while ((pid = waitpid(sr->sr_pid, &status, WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (pid != sr->sr_pid)
		return;
	sr->sr_reaped = 1;
	sr->sr_status = status;
	if (sr->sr_eof) {
		sched_run_end(sr);
		return;
	}
	evtimer_del(sr->sr_timer);
	evtimer_add(sr->sr_timer, &tv);
}

/*
 * A run's output in one line for a person: the last line naming the
 * mirror (its error, rather than the count of failed mirrors after it),
 * else the last line.
 */
static const char *
sched_run_last(struct sched_run *sr)
{
	sched_run_line(sr);
	if (sr->sr_named[0] != '\0')
		return sr->sr_named;
	return sr->sr_last[0] != '\0' ? sr->sr_last : "(no output)";
}

/* The one place a run ends: records its result and plans the next one. */
static void
sched_run_end(struct sched_run *sr)
{
	struct sched		*sc = sr->sr_sc;
	struct sched_mirror	*sm = NULL;
	time_t			 end = time(NULL);
	long long		 wait = 0;
	char			*cause = NULL, result[32];
	int			 code = -1, signo = 0, shift;

	if (sr->sr_bev != NULL) {
		sched_run_read(sr->sr_bev, sr);
		bufferevent_free(sr->sr_bev);
	}
	if (sr->sr_timer != NULL)
		event_free(sr->sr_timer);
	if (!sr->sr_reaped)
		code = 127;	/* never started */
	else if (WIFEXITED(sr->sr_status))
		code = WEXITSTATUS(sr->sr_status);
	else if (WIFSIGNALED(sr->sr_status))
		signo = WTERMSIG(sr->sr_status);
	if (sr->sr_fd != -1)
		close(sr->sr_fd);
	if (sr->sr_path != NULL && runlog_finish(sr->sr_path, sr->sr_start,
	    end, code, signo, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
	if (signo > 0)
		snprintf(result, sizeof result, "signal %d", signo);
	else
		snprintf(result, sizeof result, "exit %d", code);

	if (strcmp(sr->sr_kind, "sync") == 0 &&
	    (sm = sched_find(sc, sr->sr_target)) != NULL) {
		if (code == 0)
			sm->sm_failures = 0;
		else
			sm->sm_failures++;
		/* Failures wait longer, up to a cap, never less than usual. */
		wait = sm->sm_every;
		shift = sm->sm_failures > 0 ? sm->sm_failures - 1 : 0;
		if (shift > SCHED_BACKOFF_SHIFT)
			shift = SCHED_BACKOFF_SHIFT;
		if (sm->sm_failures > 0 && wait < SCHED_BACKOFF_CAP) {
			wait <<= shift;
			if (wait > SCHED_BACKOFF_CAP)
				wait = SCHED_BACKOFF_CAP;
		}
		sm->sm_due = end + wait;
	} else if (strcmp(sr->sr_kind, "publish") == 0)
		sc->sc_pub_done = sr->sr_next_change;

	if (sr->sr_stopping)
		log_info("%s of %s stopped with the daemon (%s; log %s)",
		    sr->sr_kind, sr->sr_target, result,
		    sr->sr_path != NULL ? sr->sr_path : "-");
	else if (code == 0)
		log_info("%s of %s done in %llds (log %s)", sr->sr_kind,
		    sr->sr_target, (long long)(end - sr->sr_start),
		    sr->sr_path != NULL ? sr->sr_path : "-");
	else if (sm != NULL)
		log_warnx("mirror %s: scheduled sync failed (%s): %s; next "
		    "attempt in %llds (log %s)", sr->sr_target, result,
		    sched_run_last(sr), wait,
		    sr->sr_path != NULL ? sr->sr_path : "-");
	else
		log_warnx("%s of %s failed (%s): %s (log %s)", sr->sr_kind,
		    sr->sr_target, result, sched_run_last(sr),
		    sr->sr_path != NULL ? sr->sr_path : "-");
	free(sr->sr_path);
	free(sr->sr_target);
	free(sr);
	sc->sc_run = NULL;
	sched_plan(sc);
}

/* environ with PATCHGATE_RUNLOG set: the child's output is logged here. */
static char **
sched_env(void)
{
	char	**env;
	size_t	  n, i, j = 0;

	for (n = 0; environ[n] != NULL; n++)
		;
	env = xcalloc(n + 2, sizeof *env);
	for (i = 0; i < n; i++) {
		if (strncmp(environ[i], "PATCHGATE_RUNLOG=", 17) != 0)
			env[j++] = environ[i];
	}
	env[j++] = "PATCHGATE_RUNLOG=patchgated";
	env[j] = NULL;
	return env;
}

/* Starts patchgate KIND [TARGET]; a run that cannot start ends at once. */
static void
sched_spawn(struct sched *sc, const char *kind, const char *target,
    time_t next_change)
{
	struct config			*cf = sc->sc_px->px_conf;
	struct sched_run		*sr;
	struct timeval			 tv = { SCHED_RUN_MAX, 0 };
	char				*argv[6], **env, *cause = NULL;
	int				 sp[2] = { -1, -1 }, rc;

	sr = xcalloc(1, sizeof *sr);
	sr->sr_sc = sc;
	sr->sr_fd = -1;
	snprintf(sr->sr_kind, sizeof sr->sr_kind, "%s", kind);
	sr->sr_target = xstrdup(target);
	sr->sr_next_change = next_change;
	sc->sc_run = sr;
	evtimer_del(sc->sc_timer);

	if ((sr->sr_fd = runlog_create(cf->cf_store, kind, target,
	    &sr->sr_start, &sr->sr_path, &cause)) == -1) {
		log_warnx("%s of %s: run log: %s", kind, target, cause);
		free(cause);
		sr->sr_start = time(NULL);
		sched_run_end(sr);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1 ||
	    (sr->sr_timer = evtimer_new(sc->sc_base, sched_run_timer,
	    sr)) == NULL) {
		dprintf(sr->sr_fd, "patchgated: cannot start %s: %s\n", kind,
		    strerror(errno));
		goto fail;
	}

	argv[0] = sc->sc_bin;
	argv[1] = "-c";
	argv[2] = sc->sc_conf;
	argv[3] = (char *)kind;
	argv[4] = strcmp(target, "all") == 0 ? NULL : (char *)target;
	argv[5] = NULL;
	env = sched_env();
	rc = child_spawn(sc->sc_bin, argv, env, sp[1], sp[1], &sr->sr_pid);
	free(env);
	if (rc != 0) {
		dprintf(sr->sr_fd, "patchgated: cannot run %s: %s\n",
		    sc->sc_bin, strerror(rc));
		snprintf(sr->sr_last, sizeof sr->sr_last, "cannot run %s: %s",
		    sc->sc_bin, strerror(rc));
		goto fail;
	}
	close(sp[1]);
	sp[1] = -1;
	evutil_make_socket_nonblocking(sp[0]);
	if ((sr->sr_bev = bufferevent_socket_new(sc->sc_base, sp[0],
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		/* The child runs unheard; its exit still ends the run. */
		close(sp[0]);
		sr->sr_eof = 1;
	} else {
		bufferevent_setcb(sr->sr_bev, sched_run_read, NULL,
		    sched_run_event, sr);
		bufferevent_enable(sr->sr_bev, EV_READ);
	}
	evtimer_add(sr->sr_timer, &tv);
	log_info("%s of %s started (pid %ld, log %s)", kind, target,
	    (long)sr->sr_pid, sr->sr_path);
	return;

fail:
	if (sp[0] != -1)
		close(sp[0]);
	if (sp[1] != -1)
		close(sp[1]);
	sched_run_end(sr);
}

/* The timer: starts the earliest run that is due. */
static void
sched_tick(evutil_socket_t fd, short events, void *arg)
{
	struct sched		*sc = arg;
	struct sched_mirror	*sm, *best = NULL;
	struct config		*cf = sc->sc_px->px_conf;
	time_t			 now = time(NULL);
	char			*cause = NULL;

	if (sc->sc_run != NULL)
		return;
	if (now - sc->sc_pruned >= SCHED_PRUNE_INTERVAL) {
		sc->sc_pruned = now;
		if (runlog_prune(cf->cf_store, cf->cf_log_keep, now,
		    &cause) != 0) {
			log_warnx("pruning run logs: %s", cause);
			free(cause);
		}
	}
	TAILQ_FOREACH(sm, &sc->sc_mirrors, sm_entry) {
		if (sm->sm_every > 0 && sm->sm_due <= now &&
		    (best == NULL || sm->sm_due < best->sm_due))
			best = sm;
	}
	if (best != NULL && (sc->sc_pub_due == 0 ||
	    best->sm_due <= sc->sc_pub_due)) {
		sched_spawn(sc, "sync", best->sm_name, 0);
		return;
	}
	if (sc->sc_pub_due != 0 && sc->sc_pub_due <= now) {
		sched_spawn(sc, "publish", "all", sc->sc_pub_for);
		return;
	}
	sched_arm(sc);
}

struct sched *
sched_new(struct proxy *px, char **cause)
{
	struct sched	*sc;
	const char	*bin;

	sc = xcalloc(1, sizeof *sc);
	sc->sc_px = px;
	sc->sc_base = px->px_base;
	TAILQ_INIT(&sc->sc_mirrors);
	TAILQ_INIT(&sc->sc_holds);
	if ((bin = getenv("PATCHGATE_BIN")) != NULL && *bin != '\0')
		sc->sc_bin = xstrdup(bin);
	else
		sc->sc_bin = xstrdup(PG_BINDIR "/patchgate");
	if ((sc->sc_timer = evtimer_new(sc->sc_base, sched_tick, sc)) == NULL ||
	    (sc->sc_sigchld = evsignal_new(sc->sc_base, SIGCHLD,
	    sched_sigchld, sc)) == NULL || evsignal_add(sc->sc_sigchld,
	    NULL) == -1) {
		cause_set(cause, "scheduler: cannot set up events");
		sched_free(sc);
		return NULL;
	}
	if (sched_conf_copy(sc, px->px_conf, cause) != 0) {
		sched_free(sc);
		return NULL;
	}
	if (!px->px_conf->cf_schedule)
		log_info("schedule = no: serving only; syncs and publishes "
		    "are the indexer host's");
	sched_mirrors_update(sc, px->px_conf);
	sched_plan(sc);
	return sc;
}

/* At shutdown: a run still going is stopped and recorded as such. */
void
sched_free(struct sched *sc)
{
	struct sched_run	*sr = sc->sc_run;
	struct sched_mirror	*sm;
	struct sched_hold	*sh;
	int			 status;

	if (sr != NULL && !sr->sr_reaped) {
		log_info("stopping the %s of %s (pid %ld)", sr->sr_kind,
		    sr->sr_target, (long)sr->sr_pid);
		sr->sr_stopping = 1;
		kill(sr->sr_pid, SIGTERM);
		while (waitpid(sr->sr_pid, &status, 0) == -1 && errno == EINTR)
			;
		sr->sr_reaped = 1;
		sr->sr_status = status;
	}
	if (sr != NULL) {
		/* No plan after this one: the schedule goes with the daemon. */
		TAILQ_FOREACH(sm, &sc->sc_mirrors, sm_entry)
			sm->sm_every = 0;
		sched_run_end(sr);
	}
	if (sc->sc_timer != NULL)
		event_free(sc->sc_timer);
	if (sc->sc_sigchld != NULL)
		event_free(sc->sc_sigchld);
	while ((sm = TAILQ_FIRST(&sc->sc_mirrors)) != NULL) {
		TAILQ_REMOVE(&sc->sc_mirrors, sm, sm_entry);
		free(sm->sm_name);
		free(sm);
	}
	while ((sh = TAILQ_FIRST(&sc->sc_holds)) != NULL) {
		TAILQ_REMOVE(&sc->sc_holds, sh, sh_entry);
		if (sh->sh_cf != sc->sc_px->px_conf)
			config_free(sh->sh_cf);
		free(sh);
	}
	free(sc->sc_bin);
	free(sc->sc_conf);
	free(sc);
}

const char *
sched_bin(struct sched *sc)
{
	return sc->sc_bin;
}

const char *
sched_conf_path(struct sched *sc)
{
	return sc->sc_conf;
}

int
sched_sync_now(struct sched *sc, const char *mirror, char **id, char **cause)
{
	struct sched_run	*sr = sc->sc_run;
	const char		*base;
	size_t			 len;

	if (sr != NULL) {
		cause_set(cause, "a %s of %s is running (log %s); try again "
		    "when it ends", sr->sr_kind, sr->sr_target,
		    sr->sr_path != NULL ? sr->sr_path : "-");
		return -1;
	}
	sched_spawn(sc, "sync", mirror != NULL ? mirror : "all", 0);
	if ((sr = sc->sc_run) == NULL || sr->sr_path == NULL) {
		cause_set(cause, "the sync could not start (see the daemon's "
		    "log)");
		return -1;
	}
	base = strrchr(sr->sr_path, '/');
	base = base != NULL ? base + 1 : sr->sr_path;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".log") == 0)
		len -= 4;
	if ((*id = strndup(base, len)) == NULL) {
		cause_set(cause, "out of memory");
		return -1;
	}
	return 0;
}

/* --- configuration reloads ------------------------------------------------ */

static void
sched_conf_free_cb(evutil_socket_t fd, short events, void *arg)
{
	config_free(arg);
}

/* Frees a replaced configuration in a fresh loop turn (STYLE.md). */
static void
sched_conf_retire(struct sched *sc, struct config *cf)
{
	struct sched_hold	*sh;
	struct timeval		 tv = { 0, 0 };

	TAILQ_FOREACH(sh, &sc->sc_holds, sh_entry) {
		if (sh->sh_cf == cf)
			return;		/* its last unref retires it */
	}
	if (event_base_once(sc->sc_base, -1, EV_TIMEOUT, sched_conf_free_cb,
	    cf, &tv) == -1)
		log_warnx("cannot free the old configuration; it stays");
}

struct config *
proxy_conf_ref(struct proxy *px)
{
	struct sched		*sc = px->px_sched;
	struct sched_hold	*sh;

	TAILQ_FOREACH(sh, &sc->sc_holds, sh_entry) {
		if (sh->sh_cf == px->px_conf)
			break;
	}
	if (sh == NULL) {
		if ((sh = calloc(1, sizeof *sh)) == NULL)
			return NULL;
		sh->sh_cf = px->px_conf;
		TAILQ_INSERT_TAIL(&sc->sc_holds, sh, sh_entry);
	}
	sh->sh_refs++;
	return sh->sh_cf;
}

void
proxy_conf_unref(struct proxy *px, struct config *cf)
{
	struct sched		*sc = px->px_sched;
	struct sched_hold	*sh;

	TAILQ_FOREACH(sh, &sc->sc_holds, sh_entry) {
		if (sh->sh_cf == cf)
			break;
	}
	if (sh == NULL || --sh->sh_refs > 0)
		return;
	TAILQ_REMOVE(&sc->sc_holds, sh, sh_entry);
	free(sh);
	if (cf != px->px_conf)
		sched_conf_retire(sc, cf);
}

void
proxy_reload(struct proxy *px)
{
	struct sched	*sc = px->px_sched;
	struct config	*cf, *old = px->px_conf;
	char		*cause = NULL;

	log_info("SIGHUP: reading %s", old->cf_path);
	/* config_load says every error, file:line: message, on stderr. */
	if ((cf = config_load(old->cf_path)) == NULL) {
		log_warnx("SIGHUP: configuration %s refused (errors above); "
		    "still serving with the previous one", old->cf_path);
		return;
	}
	if (strcmp(cf->cf_store, old->cf_store) != 0) {
		log_warnx("SIGHUP: configuration %s refused: store changed "
		    "from %s to %s, which takes a restart; still serving with "
		    "the previous one", old->cf_path, old->cf_store,
		    cf->cf_store);
		config_free(cf);
		return;
	}
	/* New certificate and key aside; they take over with cf. */
	if (tls_prepare(px->px_tls, cf, &cause) != 0) {
		log_warnx("SIGHUP: configuration %s refused: %s; still "
		    "serving with the previous one and its certificate",
		    old->cf_path, cause);
		free(cause);
		config_free(cf);
		return;
	}
	if (access_reload(px->px_access, cf, &cause) != 0 ||
	    api_reload(px->px_api, cf, &cause) != 0) {
		log_warnx("SIGHUP: configuration %s refused: %s; still "
		    "serving with the previous one", old->cf_path, cause);
		free(cause);
		config_free(cf);
		return;
	}
	if (sched_conf_copy(sc, cf, &cause) != 0) {
		log_warnx("SIGHUP: configuration %s refused: %s; still "
		    "serving with the previous one", old->cf_path, cause);
		free(cause);
		config_free(cf);
		return;
	}
	if (strcmp(cf->cf_listen != NULL ? cf->cf_listen : "none",
	    old->cf_listen != NULL ? old->cf_listen : "none") != 0)
		log_warnx("SIGHUP: listen changed to %s: it takes a restart; "
		    "still listening on %s", cf->cf_listen != NULL ?
		    cf->cf_listen : "none", old->cf_listen != NULL ?
		    old->cf_listen : "none");
	if (cf->cf_tls_listen != NULL && old->cf_tls_listen != NULL &&
	    strcmp(cf->cf_tls_listen, old->cf_tls_listen) != 0)
		log_warnx("SIGHUP: tls-listen changed to %s: it takes a "
		    "restart; still listening on %s", cf->cf_tls_listen,
		    old->cf_tls_listen);
	tls_commit(px->px_tls, cf);
	/*
	 * Requests read px_conf afresh in each callback, so the switch is
	 * atomic for them; whatever holds the old one across callbacks took
	 * a reference, and it is freed after the last one is dropped.
	 */
	px->px_conf = cf;
	sched_conf_retire(sc, old);
	sched_mirrors_update(sc, cf);
	sc->sc_pub_done = 0;
	sched_plan(sc);
	log_info("SIGHUP: configuration %s loaded", cf->cf_path);
}
