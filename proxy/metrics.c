/*
 * /metrics: what patchgated counts, and what it reads of the store when
 * Prometheus scrapes, in Prometheus' text format (version 0.0.4).
 *
 * Requests are counted where every answer is logged, server_access(),
 * which knows no more than the URI: the counters are the process's, as the
 * access log is, hence one static table here rather than a pointer handed
 * down through every response path.  Sync results come from the run logs
 * (runlog.h), next changes from the next-change file publish writes beside
 * each view (view.h), process figures from /proc.  Nothing here reads the
 * indexer's database.
 */
#include "config.h"

#include <sys/types.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "conf.h"
#include "log.h"
#include "proxy.h"
#include "runlog.h"
#include "util.h"
#include "view.h"
#include "xmalloc.h"

#define METRICS_NAME_MAX	64
#define METRICS_SERIES_MAX	4096	/* beyond: counted without labels */
#define METRICS_SOCKETS_MAX	65536

/* Counters of one group, mirror and status class. */
struct metrics_series {
	char			 ms_group[METRICS_NAME_MAX];
	char			 ms_mirror[METRICS_NAME_MAX];
	int			 ms_class;	/* 1..5: 1xx..5xx */
	unsigned long long	 ms_requests;
	unsigned long long	 ms_bytes;
	struct metrics_series	*ms_next;
};

/* Upper bounds (seconds) of the upstream latency histogram's buckets. */
static const double metrics_buckets[] = {
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
};
#define METRICS_NBUCKETS	(sizeof metrics_buckets / sizeof metrics_buckets[0])

static struct {
	struct proxy		*m_px;
	time_t			 m_start;
	struct metrics_series	*m_series;
	size_t			 m_nseries;
	unsigned long long	 m_cache[2];		/* misses, hits */
	unsigned long long	 m_fetches[2];		/* failed, well */
	unsigned long long	 m_latency[METRICS_NBUCKETS + 1]; /* +Inf last */
	double			 m_latency_sum;
} metrics;

void
metrics_cache(int hit)
{
	metrics.m_cache[hit != 0]++;
}

void
metrics_upstream(int ok, double seconds)
{
	size_t	 i;

	metrics.m_fetches[ok != 0]++;
	for (i = 0; i < METRICS_NBUCKETS && seconds > metrics_buckets[i]; i++)
		;
	metrics.m_latency[i]++;
	metrics.m_latency_sum += seconds;
}

void
metrics_init(struct proxy *px)
{
	metrics.m_px = px;
	metrics.m_start = time(NULL);
}

/*
 * The view a request URI names: its group and mirror when they are the
 * configuration's, else empty strings (the API, snapshots, a 404).
 */
static void
metrics_labels(const char *uri, char *group, char *mirror)
{
	struct config	*cf;
	struct group	*gr;
	struct mirror	*mi;
	const char	*p, *s;
	size_t		 len;
	char		 g[METRICS_NAME_MAX], m[METRICS_NAME_MAX];

	*group = *mirror = '\0';
	if (metrics.m_px == NULL || (cf = metrics.m_px->px_conf) == NULL)
		return;
	p = uri;
	if (*p != '/') {		/* "http://host/path" */
		if ((s = strstr(p, "://")) == NULL ||
		    (p = strchr(s + 3, '/')) == NULL)
			return;
	}
	p++;
	if ((len = strcspn(p, "/?#")) == 0 || len >= sizeof g || p[len] != '/')
		return;
	memcpy(g, p, len);
	g[len] = '\0';
	p += len + 1;
	if ((len = strcspn(p, "/?#")) == 0 || len >= sizeof m)
		return;
	memcpy(m, p, len);
	m[len] = '\0';
	if ((gr = config_find_group(cf, g)) == NULL ||
	    (mi = config_find_mirror(cf, m)) == NULL || !group_has_mirror(gr, mi))
		return;
	memcpy(group, g, sizeof g);
	memcpy(mirror, m, sizeof m);
}

void
metrics_request(const char *uri, int code, long long bytes)
{
	struct metrics_series	*ms;
	char			 g[METRICS_NAME_MAX], m[METRICS_NAME_MAX];
	int			 class = code / 100;

	if (class < 1 || class > 5)
		class = 5;
	metrics_labels(uri != NULL ? uri : "", g, m);
	for (ms = metrics.m_series; ms != NULL; ms = ms->ms_next) {
		if (ms->ms_class == class && strcmp(ms->ms_group, g) == 0 &&
		    strcmp(ms->ms_mirror, m) == 0)
			break;
	}
	if (ms == NULL && metrics.m_nseries >= METRICS_SERIES_MAX) {
		/* Reloads that renamed many groups: count them unlabelled. */
		*g = *m = '\0';
		for (ms = metrics.m_series; ms != NULL; ms = ms->ms_next) {
			if (ms->ms_class == class && *ms->ms_group == '\0' &&
			    *ms->ms_mirror == '\0')
				break;
		}
	}
	if (ms == NULL) {
		if ((ms = calloc(1, sizeof *ms)) == NULL)
			return;		/* not counted; serving goes on */
		memcpy(ms->ms_group, g, sizeof g);
		memcpy(ms->ms_mirror, m, sizeof m);
		ms->ms_class = class;
		ms->ms_next = metrics.m_series;
		metrics.m_series = ms;
		metrics.m_nseries++;
	}
	ms->ms_requests++;
	if (bytes > 0)
		ms->ms_bytes += bytes;
}

/* A label value: backslash, double quote and newline escaped. */
static int
metrics_value(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"') {
			if (evbuffer_add_printf(b, "\\%c", *s) == -1)
				return -1;
		} else if (*s == '\n') {
			if (evbuffer_add(b, "\\n", 2) == -1)
				return -1;
		} else if (evbuffer_add(b, s, 1) == -1)
			return -1;
	}
	return 0;
}

static int
metrics_head(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	return evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name,
	    help, name, type) == -1 ? -1 : 0;
}

/* name{group="G",mirror="M"} value; group or mirror NULL: not a label. */
static int
metrics_sample(struct evbuffer *b, const char *name, const char *group,
    const char *mirror, const char *extra, double v)
{
	if (evbuffer_add_printf(b, "%s{", name) == -1)
		return -1;
	if (group != NULL && (evbuffer_add_printf(b, "group=\"") == -1 ||
	    metrics_value(b, group) == -1 || evbuffer_add_printf(b, "\"%s",
	    mirror != NULL || extra != NULL ? "," : "") == -1))
		return -1;
	if (mirror != NULL && (evbuffer_add_printf(b, "mirror=\"") == -1 ||
	    metrics_value(b, mirror) == -1 || evbuffer_add_printf(b, "\"%s",
	    extra != NULL ? "," : "") == -1))
		return -1;
	if (extra != NULL && evbuffer_add_printf(b, "%s", extra) == -1)
		return -1;
	return evbuffer_add_printf(b, "} %.17g\n", v) == -1 ? -1 : 0;
}

static int
metrics_requests(struct evbuffer *b)
{
	struct metrics_series	*ms;
	char			 extra[32];
	int			 pass;
	static const char	*names[2] = {
		"patchgate_http_requests_total",
		"patchgate_http_response_bytes_total",
	};

	for (pass = 0; pass < 2; pass++) {
		if (metrics_head(b, names[pass], "counter", pass == 0 ?
		    "Requests answered, by the view they named (empty labels: "
		    "none) and status class." : "Bytes of response bodies sent, "
		    "by view and status class.") == -1)
			return -1;
		for (ms = metrics.m_series; ms != NULL; ms = ms->ms_next) {
			snprintf(extra, sizeof extra, "code=\"%dxx\"",
			    ms->ms_class);
			if (metrics_sample(b, names[pass], ms->ms_group,
			    ms->ms_mirror, extra, (double)(pass == 0 ?
			    ms->ms_requests : ms->ms_bytes)) == -1)
				return -1;
		}
	}
	return 0;
}

/* Per mirror: the last sync that covered it, from the run logs. */
static int
metrics_syncs(struct evbuffer *b, struct config *cf)
{
	struct runlog_entry	*v;
	struct mirror		*mi;
	size_t			 n, i, k;
	char			*cause = NULL;
	const struct runlog_entry *last, *good;
	static const struct {
		const char	*name;
		const char	*help;
	} fam[] = {
		{ "patchgate_sync_last_success_timestamp_seconds",
		  "When the last sync of the mirror that succeeded ended." },
		{ "patchgate_sync_last_run_timestamp_seconds",
		  "When the last finished sync of the mirror ended." },
		{ "patchgate_sync_last_run_duration_seconds",
		  "How long the last finished sync of the mirror took." },
		{ "patchgate_sync_last_run_success",
		  "1 when the last finished sync of the mirror succeeded, 0 "
		  "when it failed." },
		{ "patchgate_sync_running",
		  "1 while a sync covering the mirror has no result yet." },
	};

	for (k = 0; k < sizeof fam / sizeof fam[0]; k++) {
		if (metrics_head(b, fam[k].name, "gauge", fam[k].help) == -1)
			return -1;
		TAILQ_FOREACH(mi, &cf->cf_mirrors, mi_entry) {
			if (runlog_list(cf->cf_store, mi->mi_name, &v, &n,
			    &cause) != 0) {
				log_warnx("metrics: %s", cause);
				free(cause);
				cause = NULL;
				continue;
			}
			last = good = NULL;
			for (i = 0; i < n; i++) {
				if (strcmp(v[i].re_kind, "sync") != 0)
					continue;
				if (!v[i].re_done) {
					if (k == 4 && i + 1 == n)
						last = &v[i];
					continue;
				}
				if (k != 4)
					last = &v[i];
				if (v[i].re_exit == 0 && v[i].re_signal == 0)
					good = &v[i];
			}
			switch (k) {
			case 0:
				if (good != NULL && metrics_sample(b, fam[k].name,
				    NULL, mi->mi_name, NULL, good->re_end) == -1)
					goto fail;
				break;
			case 1:
			case 2:
			case 3:
				if (last == NULL)
					break;
				if (metrics_sample(b, fam[k].name, NULL,
				    mi->mi_name, NULL, k == 1 ? last->re_end :
				    k == 2 ? (double)(last->re_end -
				    last->re_start) : (last->re_exit == 0 &&
				    last->re_signal == 0)) == -1)
					goto fail;
				break;
			case 4:
				if (metrics_sample(b, fam[k].name, NULL,
				    mi->mi_name, NULL, last != NULL) == -1)
					goto fail;
				break;
			}
			runlog_list_free(v, n);
		}
	}
	return 0;
fail:
	runlog_list_free(v, n);
	return -1;
}

/* Per group and mirror: the generation served and when the view next changes. */
static int
metrics_views(struct evbuffer *b, struct config *cf)
{
	struct group	*gr;
	char		*dir, *path, *data, *gen, *base, *end;
	size_t		 i, len;
	long long	 v;
	int		 pass;
	unsigned long	 num;

	for (pass = 0; pass < 2; pass++) {
		if (metrics_head(b, pass == 0 ?
		    "patchgate_view_generation" :
		    "patchgate_view_next_change_timestamp_seconds", "gauge",
		    pass == 0 ? "The number of the generation the view serves." :
		    "When the view next changes by time (a version ripens, a "
		    "hold ends); absent: never.") == -1)
			return -1;
		TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
			for (i = 0; i < gr->gr_nmirrors; i++) {
				v = 0;
				if (pass == 0) {
					gen = view_current(cf->cf_store,
					    gr->gr_name, gr->gr_mirror_names[i]);
					if (gen == NULL)
						continue;
					base = strrchr(gen, '/');
					base = base != NULL ? base + 1 : gen;
					if (strncmp(base, "gen-", 4) == 0) {
						num = strtoul(base + 4, &end, 10);
						if (*end == '\0')
							v = num;
					}
					free(gen);
				} else {
					dir = view_dir(cf->cf_store, gr->gr_name,
					    gr->gr_mirror_names[i]);
					if (asprintf(&path, "%s/%s", dir,
					    VIEW_NEXT_CHANGE_NAME) == -1) {
						free(dir);
						return -1;
					}
					free(dir);
					if (file_read(path, 64, &data, &len,
					    NULL) == 0) {
						if (sscanf(data, "%lld", &v) != 1)
							v = 0;
						free(data);
					}
					free(path);
				}
				if (v <= 0)
					continue;
				if (metrics_sample(b, pass == 0 ?
				    "patchgate_view_generation" :
				    "patchgate_view_next_change_timestamp_seconds",
				    gr->gr_name, gr->gr_mirror_names[i], NULL,
				    (double)v) == -1)
					return -1;
			}
		}
	}
	return 0;
}

/* The number of entries of dir, "." and ".." aside; -1 when unreadable. */
static long
metrics_count_dir(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	long		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static int
metrics_has(const unsigned long *v, size_t n, unsigned long x)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (v[i] == x)
			return 1;
	}
	return 0;
}

/*
 * Client connections open now: the process's TCP sockets (their inodes in
 * /proc/self/fd) that are established on a port one of its listening
 * sockets is bound to.  -1 when /proc cannot tell.
 */
static long
metrics_connections(void)
{
	static const char *const tables[] = { "/proc/self/net/tcp",
	    "/proc/self/net/tcp6" };
	unsigned long	*inodes = NULL, ports[16], ino;
	size_t		 ninodes = 0, nports = 0, t;
	unsigned int	 lport, st;
	char		 link[64], path[PATH_MAX], line[512];
	DIR		*d;
	struct dirent	*de;
	FILE		*f;
	ssize_t		 len;
	long		 n = 0;
	int		 pass;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	if ((inodes = calloc(METRICS_SOCKETS_MAX, sizeof *inodes)) == NULL) {
		closedir(d);
		return -1;
	}
	while ((de = readdir(d)) != NULL && ninodes < METRICS_SOCKETS_MAX) {
		snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
		if ((len = readlink(path, link, sizeof link - 1)) <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) == 1)
			inodes[ninodes++] = ino;
	}
	closedir(d);
	for (pass = 0; pass < 2; pass++) {
		for (t = 0; t < 2; t++) {
			if ((f = fopen(tables[t], "r")) == NULL)
				continue;
			while (fgets(line, sizeof line, f) != NULL) {
				/* sl local rem st queues timer retr uid tmo inode */
				if (sscanf(line, " %*s %*[0-9A-Fa-f]:%x %*s %x %*s "
				    "%*s %*s %*s %*s %lu", &lport, &st,
				    &ino) != 3 ||
				    !metrics_has(inodes, ninodes, ino))
					continue;
				if (pass == 0 && st == 0x0a && nports <
				    sizeof ports / sizeof ports[0])
					ports[nports++] = lport;
				else if (pass == 1 && st == 0x01 &&
				    metrics_has(ports, nports, lport))
					n++;
			}
			fclose(f);
		}
	}
	free(inodes);
	return n;
}

static int
metrics_process(struct evbuffer *b, struct config *cf)
{
	unsigned long long	 size, rss;
	long			 fds, conns, snaps;
	char			*path;
	FILE			*f;

	if ((conns = metrics_connections()) >= 0 &&
	    (metrics_head(b, "patchgate_http_connections", "gauge",
	    "Client connections open now.") == -1 ||
	    evbuffer_add_printf(b, "patchgate_http_connections %ld\n",
	    conns) == -1))
		return -1;
	if ((f = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(f, "%llu %llu", &size, &rss) == 2 &&
		    (metrics_head(b, "patchgate_process_resident_memory_bytes",
		    "gauge", "Resident memory of patchgated.") == -1 ||
		    evbuffer_add_printf(b,
		    "patchgate_process_resident_memory_bytes %llu\n",
		    rss * (unsigned long long)sysconf(_SC_PAGESIZE)) == -1)) {
			fclose(f);
			return -1;
		}
		fclose(f);
	}
	if ((fds = metrics_count_dir("/proc/self/fd")) >= 0 &&
	    (metrics_head(b, "patchgate_process_open_fds", "gauge",
	    "Open file descriptors of patchgated.") == -1 ||
	    evbuffer_add_printf(b, "patchgate_process_open_fds %ld\n",
	    fds) == -1))
		return -1;
	if (metrics_head(b, "patchgate_process_start_time_seconds", "gauge",
	    "When patchgated started.") == -1 || evbuffer_add_printf(b,
	    "patchgate_process_start_time_seconds %lld\n",
	    (long long)metrics.m_start) == -1)
		return -1;
	if (asprintf(&path, "%s/snapshots", cf->cf_store) == -1)
		return -1;
	snaps = metrics_count_dir(path);
	free(path);
	if (metrics_head(b, "patchgate_snapshots", "gauge",
	    "Snapshots in the store.") == -1 || evbuffer_add_printf(b,
	    "patchgate_snapshots %ld\n", snaps < 0 ? 0 : snaps) == -1)
		return -1;
	return 0;
}

/* Cache hits and misses, upstream fetches and their latency. */
static int
metrics_cache_upstream(struct evbuffer *b)
{
	unsigned long long	 n = 0;
	size_t			 i;

	if (metrics_head(b, "patchgate_cache_requests_total", "counter",
	    "Requests for package files, by whether the blob store had the "
	    "file (hit) or it was fetched from upstream (miss).") == -1 ||
	    evbuffer_add_printf(b, "patchgate_cache_requests_total{result="
	    "\"hit\"} %llu\npatchgate_cache_requests_total{result=\"miss\"} "
	    "%llu\n", metrics.m_cache[1], metrics.m_cache[0]) == -1)
		return -1;
	if (metrics_head(b, "patchgate_upstream_fetches_total", "counter",
	    "Downloads of package files from upstream that ended.") == -1 ||
	    evbuffer_add_printf(b, "patchgate_upstream_fetches_total %llu\n",
	    metrics.m_fetches[0] + metrics.m_fetches[1]) == -1 ||
	    metrics_head(b, "patchgate_upstream_fetch_errors_total", "counter",
	    "Downloads from upstream that failed (connection, status, size or "
	    "a client-side abort of the transfer).") == -1 ||
	    evbuffer_add_printf(b, "patchgate_upstream_fetch_errors_total "
	    "%llu\n", metrics.m_fetches[0]) == -1)
		return -1;
	if (metrics_head(b, "patchgate_upstream_fetch_duration_seconds",
	    "histogram", "How long downloads from upstream took.") == -1)
		return -1;
	for (i = 0; i < METRICS_NBUCKETS; i++) {
		n += metrics.m_latency[i];
		if (evbuffer_add_printf(b, "patchgate_upstream_fetch_duration_"
		    "seconds_bucket{le=\"%g\"} %llu\n", metrics_buckets[i],
		    n) == -1)
			return -1;
	}
	n += metrics.m_latency[METRICS_NBUCKETS];
	if (evbuffer_add_printf(b, "patchgate_upstream_fetch_duration_seconds_"
	    "bucket{le=\"+Inf\"} %llu\npatchgate_upstream_fetch_duration_"
	    "seconds_sum %.17g\npatchgate_upstream_fetch_duration_seconds_count"
	    " %llu\n", n, metrics.m_latency_sum, n) == -1)
		return -1;
	return 0;
}

/*
 * Per view, the versions by state, from the counts file publish writes
 * beside each view (view.h): visible, held back (waiting for a rule's
 * delay, held by an admin, or needing a hidden version), lost, at risk;
 * and per group the holds in force.
 */
static const struct {
	const char	*vc_metric;
	const char	*vc_help;
	const char	*vc_keys[4];	/* summed */
} metrics_view_counts[] = {
	{ "patchgate_view_visible_versions", "Versions the group's baseline "
	    "and holds let in.", { "visible" } },
	{ "patchgate_view_held_back_versions", "Versions upstream offers that "
	    "the view holds back: waiting for a rule's delay, held by an "
	    "admin, or needing a version the group cannot see.",
	    { "waiting", "held", "needs-hidden" } },
	{ "patchgate_view_lost_versions", "Versions the group sees whose file "
	    "upstream dropped before it was stored.", { "lost" } },
	{ "patchgate_view_at_risk_versions", "Versions the group sees that are "
	    "not stored while upstream may drop them.", { "at-risk" } },
	{ "patchgate_view_rejected_versions", "Versions the baseline rejects.",
	    { "rejected" } },
};
#define METRICS_NVIEW_COUNTS \
	(sizeof metrics_view_counts / sizeof metrics_view_counts[0])

/* The value of key in a counts file's "NAME COUNT" lines; 0: absent. */
static double
metrics_count_of(const char *data, const char *key)
{
	const char	*p = data;
	size_t		 len = strlen(key);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, len) == 0 && p[len] == ' ')
			return strtod(p + len + 1, NULL);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return 0;
}

static int
metrics_view_states(struct evbuffer *b, struct config *cf)
{
	struct group	*gr;
	char		*dir, *path, **data;
	size_t		 i, k, v, nviews = 0, len;
	double		 n;
	int		 rc = -1;

	TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry)
		nviews += gr->gr_nmirrors;
	data = xcalloc(nviews + 1, sizeof *data);
	v = 0;
	TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
		for (i = 0; i < gr->gr_nmirrors; i++, v++) {
			dir = view_dir(cf->cf_store, gr->gr_name,
			    gr->gr_mirror_names[i]);
			xasprintf(&path, "%s/%s", dir, VIEW_COUNTS_NAME);
			free(dir);
			if (file_read(path, 4096, &data[v], &len, NULL) != 0)
				data[v] = NULL;
			free(path);
		}
	}
	for (k = 0; k < METRICS_NVIEW_COUNTS; k++) {
		if (metrics_head(b, metrics_view_counts[k].vc_metric, "gauge",
		    metrics_view_counts[k].vc_help) == -1)
			goto out;
		v = 0;
		TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
			for (i = 0; i < gr->gr_nmirrors; i++, v++) {
				const char *const *keys =
				    metrics_view_counts[k].vc_keys;
				size_t	 j;

				if (data[v] == NULL)
					continue;
				for (n = 0, j = 0; j < 4 && keys[j] != NULL; j++)
					n += metrics_count_of(data[v], keys[j]);
				if (metrics_sample(b, metrics_view_counts[k].
				    vc_metric, gr->gr_name,
				    gr->gr_mirror_names[i], NULL, n) == -1)
					goto out;
			}
		}
	}
	/* Holds in force: the same for each of a group's views; the first. */
	if (metrics_head(b, "patchgate_holds", "gauge", "Holds in force for "
	    "the group (its own and every group's), as of its last publish.")
	    == -1)
		goto out;
	v = 0;
	TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
		const char	*first = NULL;

		for (i = 0; i < gr->gr_nmirrors && first == NULL; i++)
			first = data[v + i];
		v += gr->gr_nmirrors;
		if (first != NULL && metrics_sample(b, "patchgate_holds",
		    gr->gr_name, NULL, NULL, metrics_count_of(first, "holds")) ==
		    -1)
			goto out;
	}
	rc = 0;
out:
	for (v = 0; v < nviews; v++)
		free(data[v]);
	free(data);
	return rc;
}

/*
 * Per group, machines by compliance state, from STORE/compliance.counts,
 * which every sync and publish writes ("GROUP NAME COUNT" lines).
 */
static int
metrics_compliance(struct evbuffer *b, struct config *cf)
{
	static const struct {
		const char	*mc_metric;
		const char	*mc_label;	/* NULL: no label */
		const char	*mc_key;
	} rows[] = {
		{ "patchgate_compliance_machines", "compliant", "compliant" },
		{ "patchgate_compliance_machines", "non_compliant",
		    "non_compliant" },
		{ "patchgate_compliance_machines", "stale", "stale" },
		{ "patchgate_compliance_missing_security_machines", NULL,
		    "missing_security" },
		{ "patchgate_compliance_waiting_security_machines", NULL,
		    "waiting_security" },
	};
	struct group	*gr;
	char		*path, *data = NULL, key[METRICS_NAME_MAX * 2 + 32];
	char		 extra[64];
	size_t		 len, k;
	int		 rc = -1;

	xasprintf(&path, "%s/compliance.counts", cf->cf_store);
	if (file_read(path, 1024 * 1024, &data, &len, NULL) != 0)
		data = NULL;
	free(path);
	if (metrics_head(b, rows[0].mc_metric, "gauge", "Machines that "
	    "reported to the group, by compliance state (stale: the last "
	    "report is older than report-stale), as of the last sync or "
	    "publish.") == -1 ||
	    metrics_head(b, rows[3].mc_metric, "gauge", "Machines missing a "
	    "security fix the group's view already offers.") == -1 ||
	    metrics_head(b, rows[4].mc_metric, "gauge", "Machines waiting on "
	    "a security fix the baseline still holds back.") == -1)
		goto out;
	if (data == NULL)
		return 0;
	TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
		for (k = 0; k < sizeof rows / sizeof rows[0]; k++) {
			snprintf(key, sizeof key, "%s %s", gr->gr_name,
			    rows[k].mc_key);
			if (rows[k].mc_label != NULL)
				snprintf(extra, sizeof extra, "state=\"%s\"",
				    rows[k].mc_label);
			if (metrics_sample(b, rows[k].mc_metric, gr->gr_name,
			    NULL, rows[k].mc_label != NULL ? extra : NULL,
			    metrics_count_of(data, key)) == -1)
				goto out;
		}
	}
	rc = 0;
out:
	free(data);
	return rc;
}

int
metrics_render(struct proxy *px, struct evbuffer *b)
{
	struct config	*cf = px->px_conf;

	if (metrics_requests(b) == -1 || metrics_syncs(b, cf) == -1 ||
	    metrics_views(b, cf) == -1 || metrics_view_states(b, cf) == -1 ||
	    metrics_cache_upstream(b) == -1 || metrics_compliance(b, cf) == -1 ||
	    metrics_process(b, cf) == -1 ||
	    notify_metrics(px->px_notify, b) == -1)
		return -1;
	return 0;
}
