/*
 * The gate: each published generation's packages.idx (see view.h), parsed
 * once into a hash table of package paths and kept while the generation
 * exists; and each generation's seal (modified and tree.sums), the
 * validators of the files of its tree/, read once the same way.
 * Generations never change once published, so an index parsed once stays
 * right; the file's identity is checked again at the first use after
 * the serving cache (cache.c) saw the generation's directory change, so
 * that a store rebuilt under the same path is noticed, and a timer drops
 * the indexes of generations the indexer has deleted.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "hash.h"
#include "log.h"
#include "parse.h"
#include "proxy.h"
#include "util.h"
#include "view.h"

#define GATE_MAX_SIZE		(1024LL * 1024 * 1024)
#define GATE_MAX_WARNINGS	10	/* malformed lines logged per file */
#define GATE_PRUNE_INTERVAL	60	/* seconds */
#define GATE_IDLE		3600	/* seconds unused before it is dropped */
#define GATE_FAILED_KEEP	2	/* seconds a failed load answers for */

struct gate {
	char			*ga_gen;	/* the generation: the cache key */
	char			*ga_index;	/* its packages.idx */
	dev_t			 ga_dev;	/* identity of the file parsed */
	ino_t			 ga_ino;
	off_t			 ga_size;
	struct timespec		 ga_mtime;
	char			*ga_data;	/* the file; entries point into it */
	struct gate_entry	*ga_entries;
	size_t			 ga_nentries;
	size_t			*ga_buckets;	/* entry index + 1; 0: empty */
	size_t			 ga_nbuckets;	/* a power of two */
	time_t			 ga_used;
	int			 ga_checked;	/* against the disk, since a change */
	int			 ga_refs;
	TAILQ_ENTRY(gate)	 ga_link;
};

/*
 * A generation's seal (view.h): its Last-Modified and the sha256 of each
 * file of its tree/, the validators of what route.c serves from there.
 */
struct seal_entry {
	const char	*se_path;
	long long	 se_size;
	const char	*se_hex;
};

struct seal {
	char			*sl_gen;	/* the cache key */
	char			*sl_modpath;	/* its modified */
	dev_t			 sl_dev;	/* identity of modified */
	ino_t			 sl_ino;
	struct timespec		 sl_mtime;
	time_t			 sl_modified;
	char			*sl_data;	/* tree.sums; entries point in */
	struct seal_entry	*sl_entries;	/* sorted by path */
	size_t			 sl_nentries;
	time_t			 sl_used;
	int			 sl_checked;
	int			 sl_refs;
	TAILQ_ENTRY(seal)	 sl_link;
};

/* A request waiting for a generation's index to load. */
struct gate_waiter {
	void			(*gw_cb)(struct evhttp_request *, void *);
	struct evhttp_request	*gw_req;
	void			*gw_arg;
	TAILQ_ENTRY(gate_waiter) gw_link;
};

/*
 * The load of a generation's index and seal on the pool.  One that failed
 * is kept GATE_FAILED_KEEP seconds, so that its cause answers the
 * requests meanwhile instead of a load each.
 */
struct gate_load {
	struct gate_cache		*gl_gc;
	char				*gl_gen;
	struct gate			*gl_gate;
	struct seal			*gl_seal;
	char				*gl_cause;
	char				*gl_seal_cause;
	int				 gl_running;
	time_t				 gl_failed;
	TAILQ_HEAD(, gate_waiter)	 gl_waiters;
	TAILQ_ENTRY(gate_load)		 gl_link;
};

struct gate_cache {
	struct event		*gc_timer;
	struct pool		*gc_pool;	/* NULL: loads on the loop */
	TAILQ_HEAD(, gate)	 gc_gates;
	TAILQ_HEAD(, seal)	 gc_seals;
	TAILQ_HEAD(, gate_load)	 gc_loads;
};

static uint64_t
gate_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Reads the whole index into a NUL-terminated buffer. */
static int
gate_read(struct gate *ga, char **cause)
{
	struct stat	 sb;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(ga->ga_index, O_RDONLY | O_CLOEXEC)) == -1) {
		cause_set(cause, "%s: %s", ga->ga_index, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		cause_set(cause, "%s: %s", ga->ga_index, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > GATE_MAX_SIZE) {
		cause_set(cause, "%s: not a regular file below %lld bytes",
		    ga->ga_index, GATE_MAX_SIZE);
		goto fail;
	}
	ga->ga_dev = sb.st_dev;
	ga->ga_ino = sb.st_ino;
	ga->ga_size = sb.st_size;
	ga->ga_mtime = sb.st_mtim;
	if ((ga->ga_data = malloc(sb.st_size + 1)) == NULL) {
		cause_set(cause, "%s: out of memory", ga->ga_index);
		goto fail;
	}
	while (off < (size_t)sb.st_size) {
		n = read(fd, ga->ga_data + off, sb.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cause_set(cause, "%s: %s", ga->ga_index, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;	/* the file shrank: what was read is parsed */
		off += n;
	}
	ga->ga_data[off] = '\0';
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

/*
 * Reads path, a regular file of at most max bytes, into *data (caller-
 * freed, NUL-terminated); checked allocation, as on the request path.
 */
static int
gate_read_file(const char *path, off_t max, char **data, size_t *len,
    char **cause)
{
	struct stat	 sb;
	char		*p = NULL;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > max) {
		cause_set(cause, "%s: not a regular file below %lld bytes", path,
		    (long long)max);
		goto fail;
	}
	if ((p = malloc(sb.st_size + 1)) == NULL) {
		cause_set(cause, "%s: out of memory", path);
		goto fail;
	}
	while (off < (size_t)sb.st_size) {
		n = read(fd, p + off, sb.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cause_set(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		off += n;
	}
	p[off] = '\0';
	close(fd);
	*data = p;
	*len = off;
	return 0;
fail:
	free(p);
	close(fd);
	return -1;
}

static const struct gate_entry *
gate_find(struct gate *ga, const char *path, uint64_t h)
{
	struct gate_entry	*e;
	size_t			 i;

	if (ga->ga_nbuckets == 0)
		return NULL;
	i = ga->ga_buckets[h & (ga->ga_nbuckets - 1)];
	for (; i != 0; i = e->ge_next) {
		e = &ga->ga_entries[i - 1];
		if (strcmp(e->ge_path, path) == 0)
			return e;
	}
	return NULL;
}

/* Splits the buffer into entries and hashes them. */
static int
gate_parse(struct gate *ga, char **cause)
{
	struct gate_entry	*e;
	const char		*why;
	char			*line, *next, *end;
	size_t			 lines = 1, lineno = 0, bad = 0, i, b;
	uint64_t		 h;

	for (line = ga->ga_data; (line = strchr(line, '\n')) != NULL; line++)
		lines++;
	if ((ga->ga_entries = calloc(lines, sizeof *ga->ga_entries)) == NULL)
		goto nomem;
	for (ga->ga_nbuckets = 16; ga->ga_nbuckets < lines * 2;)
		ga->ga_nbuckets *= 2;
	if ((ga->ga_buckets = calloc(ga->ga_nbuckets,
	    sizeof *ga->ga_buckets)) == NULL)
		goto nomem;

	for (line = ga->ga_data; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		end = line + strlen(line);
		if (end > line && end[-1] == '\r')
			*--end = '\0';
		if (*line == '\0')
			continue;
		e = &ga->ga_entries[ga->ga_nentries];
		why = parse_idx_line(line, e);
		h = why == NULL ? gate_hash(e->ge_path) : 0;
		if (why == NULL && gate_find(ga, e->ge_path, h) != NULL)
			why = "duplicate path (the first line counts)";
		if (why != NULL) {
			if (bad++ < GATE_MAX_WARNINGS)
				log_warnx("%s:%zu: %s; line ignored", ga->ga_index,
				    lineno, why);
			continue;
		}
		i = ++ga->ga_nentries;	/* index + 1 */
		b = h & (ga->ga_nbuckets - 1);
		e->ge_next = ga->ga_buckets[b];
		ga->ga_buckets[b] = i;
	}
	if (bad > GATE_MAX_WARNINGS)
		log_warnx("%s: %zu malformed lines ignored in all", ga->ga_index,
		    bad);
	return 0;
nomem:
	cause_set(cause, "%s: out of memory", ga->ga_index);
	return -1;
}

static void
gate_free(struct gate *ga)
{
	free(ga->ga_gen);
	free(ga->ga_index);
	free(ga->ga_data);
	free(ga->ga_entries);
	free(ga->ga_buckets);
	free(ga);
}

static struct gate *
gate_load(const char *gen, char **cause)
{
	struct gate	*ga;

	if ((ga = calloc(1, sizeof *ga)) == NULL ||
	    (ga->ga_gen = strdup(gen)) == NULL ||
	    asprintf(&ga->ga_index, "%s/%s", gen, VIEW_INDEX_NAME) == -1) {
		if (ga != NULL) {
			ga->ga_index = NULL;
			gate_free(ga);
		}
		cause_set(cause, "%s: out of memory", gen);
		return NULL;
	}
	if (gate_read(ga, cause) != 0 || gate_parse(ga, cause) != 0) {
		gate_free(ga);
		return NULL;
	}
	log_debug("%s: %zu packages", ga->ga_index, ga->ga_nentries);
	return ga;
}

/*
 * Whether the index on disk is still the file that was parsed.  Published
 * generations do not change; this catches a store rebuilt under the same
 * path, and a generation that was deleted.
 */
static int
gate_fresh(struct gate *ga)
{
	struct stat	sb;

	if (stat(ga->ga_index, &sb) == -1)
		return 0;
	return sb.st_dev == ga->ga_dev && sb.st_ino == ga->ga_ino &&
	    sb.st_size == ga->ga_size &&
	    sb.st_mtim.tv_sec == ga->ga_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == ga->ga_mtime.tv_nsec;
}

/* Takes ga out of the cache; it goes when its last user lets go. */
static void
gate_drop(struct gate_cache *gc, struct gate *ga)
{
	TAILQ_REMOVE(&gc->gc_gates, ga, ga_link);
	gate_unref(ga);
}

/*
 * References are only held across one lookup on the loop, so the last
 * unref can free at once: nothing else still points at the entries.
 */
void
gate_unref(struct gate *ga)
{
	if (ga != NULL && --ga->ga_refs == 0)
		gate_free(ga);
}

static struct gate_load	*gate_load_find(struct gate_cache *, const char *);

struct gate *
gate_get(struct gate_cache *gc, const char *gen, char **cause)
{
	struct gate_load	*gl;
	struct gate		*ga;

	TAILQ_FOREACH(ga, &gc->gc_gates, ga_link) {
		if (strcmp(ga->ga_gen, gen) == 0)
			break;
	}
	if (ga != NULL && !ga->ga_checked && !gate_fresh(ga)) {
		log_debug("%s: changed on disk; parsing it again", ga->ga_index);
		gate_drop(gc, ga);
		ga = NULL;
	}
	if (ga == NULL && (gl = gate_load_find(gc, gen)) != NULL &&
	    gl->gl_failed != 0) {
		cause_set(cause, "%s", gl->gl_cause);
		return NULL;
	}
	if (ga == NULL) {
		if ((ga = gate_load(gen, cause)) == NULL)
			return NULL;
		ga->ga_refs = 1;	/* the cache's */
		TAILQ_INSERT_HEAD(&gc->gc_gates, ga, ga_link);
	}
	ga->ga_checked = 1;
	ga->ga_used = time(NULL);
	ga->ga_refs++;
	return ga;
}

const struct gate_entry *
gate_lookup(struct gate *ga, const char *path)
{
	return gate_find(ga, path, gate_hash(path));
}

static void
seal_free(struct seal *sl)
{
	free(sl->sl_gen);
	free(sl->sl_modpath);
	free(sl->sl_data);
	free(sl->sl_entries);
	free(sl);
}

/* See gate_unref: a reference lives across one lookup on the loop. */
void
seal_unref(struct seal *sl)
{
	if (sl != NULL && --sl->sl_refs == 0)
		seal_free(sl);
}

static void
seal_drop(struct gate_cache *gc, struct seal *sl)
{
	TAILQ_REMOVE(&gc->gc_seals, sl, sl_link);
	seal_unref(sl);
}

/* Whether modified is still the file read; see gate_fresh. */
static int
seal_fresh(struct seal *sl)
{
	struct stat	sb;

	if (stat(sl->sl_modpath, &sb) == -1)
		return 0;
	return sb.st_dev == sl->sl_dev && sb.st_ino == sl->sl_ino &&
	    sb.st_mtim.tv_sec == sl->sl_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == sl->sl_mtime.tv_nsec;
}

static int
seal_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seal_entry *)a)->se_path,
	    ((const struct seal_entry *)b)->se_path);
}

/*
 * Parses tree.sums ("<path> TAB <size> TAB <sha256 hex>" lines) in place.
 * A malformed line is left out, so its file keeps the validators of its
 * inode; the file is sorted by the indexer, and sorted again here if not.
 */
static int
seal_parse(struct seal *sl, const char *sums, char **cause)
{
	struct seal_entry	*e;
	char			*line, *next, *size, *hex, *end, *p;
	size_t			 lines = 1, lineno = 0, bad = 0, i;
	long long		 n;
	int			 sorted = 1;

	for (line = sl->sl_data; (line = strchr(line, '\n')) != NULL; line++)
		lines++;
	if ((sl->sl_entries = calloc(lines, sizeof *sl->sl_entries)) == NULL) {
		cause_set(cause, "%s: out of memory", sums);
		return -1;
	}
	for (line = sl->sl_data; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0')
			continue;
		e = &sl->sl_entries[sl->sl_nentries];
		e->se_path = line;
		size = hex = NULL;
		if ((size = strchr(line, '\t')) != NULL) {
			*size++ = '\0';
			if ((hex = strchr(size, '\t')) != NULL)
				*hex++ = '\0';
		}
		errno = 0;
		n = size != NULL ? strtoll(size, &end, 10) : -1;
		if (hex == NULL || !isdigit((unsigned char)*size) ||
		    *end != '\0' || errno != 0 || strlen(hex) != 64 ||
		    !parse_idx_path(line)) {
			if (bad++ < GATE_MAX_WARNINGS)
				log_warnx("%s:%zu: malformed; line ignored", sums,
				    lineno);
			continue;
		}
		for (p = hex; *p != '\0'; p++) {
			if (!isxdigit((unsigned char)*p))
				break;
			*p = tolower((unsigned char)*p);
		}
		if (*p != '\0') {
			if (bad++ < GATE_MAX_WARNINGS)
				log_warnx("%s:%zu: checksum is not hex; line "
				    "ignored", sums, lineno);
			continue;
		}
		e->se_size = n;
		e->se_hex = hex;
		if (sl->sl_nentries > 0 &&
		    strcmp(e[-1].se_path, e->se_path) >= 0)
			sorted = 0;
		sl->sl_nentries++;
	}
	if (!sorted) {
		log_warnx("%s: not sorted by path", sums);
		qsort(sl->sl_entries, sl->sl_nentries, sizeof *sl->sl_entries,
		    seal_entry_cmp);
	}
	/* Duplicates would make a lookup depend on the sort: drop them all. */
	for (i = 1; i < sl->sl_nentries; i++) {
		if (strcmp(sl->sl_entries[i - 1].se_path,
		    sl->sl_entries[i].se_path) == 0) {
			log_warnx("%s: %s: listed twice", sums,
			    sl->sl_entries[i].se_path);
			sl->sl_entries[i - 1].se_hex = NULL;
			sl->sl_entries[i].se_hex = NULL;
		}
	}
	return 0;
}

/*
 * Reads gen's seal.  Returns NULL with *cause NULL when gen has none (an
 * older patchgate published it), with *cause set when it cannot be read.
 */
static struct seal *
seal_load(const char *gen, char **cause)
{
	struct seal	*sl;
	struct stat	 sb;
	char		*sums = NULL, *data = NULL, *end;
	size_t		 len;
	long long	 t;

	if ((sl = calloc(1, sizeof *sl)) == NULL) {
		cause_set(cause, "%s: out of memory", gen);
		return NULL;
	}
	if ((sl->sl_gen = strdup(gen)) == NULL ||
	    asprintf(&sl->sl_modpath, "%s/%s", gen, VIEW_MODIFIED_NAME) == -1) {
		sl->sl_modpath = NULL;
		cause_set(cause, "%s: out of memory", gen);
		goto fail;
	}
	if (asprintf(&sums, "%s/%s", gen, VIEW_SUMS_NAME) == -1) {
		sums = NULL;
		cause_set(cause, "%s: out of memory", gen);
		goto fail;
	}
	/* modified is written last: without it there is no seal. */
	if (stat(sl->sl_modpath, &sb) == -1) {
		if (errno != ENOENT)
			cause_set(cause, "%s: %s", sl->sl_modpath,
			    strerror(errno));
		goto fail;
	}
	sl->sl_dev = sb.st_dev;
	sl->sl_ino = sb.st_ino;
	sl->sl_mtime = sb.st_mtim;
	if (gate_read_file(sl->sl_modpath, 64, &data, &len, cause) != 0)
		goto fail;
	errno = 0;
	t = strtoll(data, &end, 10);
	if (!isdigit((unsigned char)*data) || (*end != '\n' && *end != '\0') ||
	    errno != 0 || t <= 0 || (long long)(time_t)t != t) {
		cause_set(cause, "%s: not a unix time", sl->sl_modpath);
		goto fail;
	}
	sl->sl_modified = t;
	free(data);
	data = NULL;
	if (gate_read_file(sums, GATE_MAX_SIZE, &sl->sl_data, &len,
	    cause) != 0 || seal_parse(sl, sums, cause) != 0)
		goto fail;
	log_debug("%s: %zu sums, modified %lld", sums, sl->sl_nentries,
	    (long long)sl->sl_modified);
	free(sums);
	return sl;
fail:
	free(data);
	free(sums);
	seal_free(sl);
	return NULL;
}

struct seal *
seal_get(struct gate_cache *gc, const char *gen, char **cause)
{
	struct seal	*sl;

	*cause = NULL;
	TAILQ_FOREACH(sl, &gc->gc_seals, sl_link) {
		if (strcmp(sl->sl_gen, gen) == 0)
			break;
	}
	if (sl != NULL && !sl->sl_checked && !seal_fresh(sl)) {
		log_debug("%s: seal changed on disk; reading it again", gen);
		seal_drop(gc, sl);
		sl = NULL;
	}
	if (sl == NULL) {
		if ((sl = seal_load(gen, cause)) == NULL)
			return NULL;
		sl->sl_refs = 1;	/* the cache's */
		TAILQ_INSERT_HEAD(&gc->gc_seals, sl, sl_link);
	}
	sl->sl_checked = 1;
	sl->sl_used = time(NULL);
	sl->sl_refs++;
	return sl;
}

time_t
seal_modified(const struct seal *sl)
{
	return sl->sl_modified;
}

const char *
seal_lookup(const struct seal *sl, const char *path, long long *size)
{
	struct seal_entry	 key, *e;

	key.se_path = path;
	e = bsearch(&key, sl->sl_entries, sl->sl_nentries,
	    sizeof *sl->sl_entries, seal_entry_cmp);
	if (e == NULL || e->se_hex == NULL)
		return NULL;
	*size = e->se_size;
	return e->se_hex;
}

static void
gate_load_free(struct gate_load *gl)
{
	if (gl->gl_gate != NULL)
		gate_free(gl->gl_gate);
	if (gl->gl_seal != NULL)
		seal_free(gl->gl_seal);
	free(gl->gl_gen);
	free(gl->gl_cause);
	free(gl->gl_seal_cause);
	free(gl);
}

/* The load of gen, running or failed a moment ago; NULL: none. */
static struct gate_load *
gate_load_find(struct gate_cache *gc, const char *gen)
{
	struct gate_load	*gl, *next;
	time_t			 now = time(NULL);

	for (gl = TAILQ_FIRST(&gc->gc_loads); gl != NULL; gl = next) {
		next = TAILQ_NEXT(gl, gl_link);
		if (!gl->gl_running && now - gl->gl_failed > GATE_FAILED_KEEP) {
			TAILQ_REMOVE(&gc->gc_loads, gl, gl_link);
			gate_load_free(gl);
			continue;
		}
		if (strcmp(gl->gl_gen, gen) == 0)
			return gl;
	}
	return NULL;
}

/* On a thread: reads and parses gen's packages.idx and seal. */
static void
gate_load_work(void *arg)
{
	struct gate_load	*gl = arg;

	gl->gl_gate = gate_load(gl->gl_gen, &gl->gl_cause);
	gl->gl_seal = seal_load(gl->gl_gen, &gl->gl_seal_cause);
}

/* Back on the loop: what was loaded joins the cache; waiters go on. */
static void
gate_load_done(void *arg)
{
	struct gate_load	*gl = arg;
	struct gate_cache	*gc = gl->gl_gc;
	struct gate_waiter	*gw;
	struct gate		*ga;
	struct seal		*sl;

	gl->gl_running = 0;
	TAILQ_FOREACH(ga, &gc->gc_gates, ga_link) {
		if (strcmp(ga->ga_gen, gl->gl_gen) == 0)
			break;
	}
	if (ga == NULL && gl->gl_gate != NULL) {
		ga = gl->gl_gate;
		gl->gl_gate = NULL;
		ga->ga_refs = 1;	/* the cache's */
		ga->ga_checked = 1;
		ga->ga_used = time(NULL);
		TAILQ_INSERT_HEAD(&gc->gc_gates, ga, ga_link);
	}
	TAILQ_FOREACH(sl, &gc->gc_seals, sl_link) {
		if (strcmp(sl->sl_gen, gl->gl_gen) == 0)
			break;
	}
	if (sl == NULL && gl->gl_seal != NULL) {
		sl = gl->gl_seal;
		gl->gl_seal = NULL;
		sl->sl_refs = 1;
		sl->sl_checked = 1;
		sl->sl_used = time(NULL);
		TAILQ_INSERT_HEAD(&gc->gc_seals, sl, sl_link);
	}
	if (gl->gl_seal_cause != NULL)
		log_warnx("%s", gl->gl_seal_cause);
	TAILQ_REMOVE(&gc->gc_loads, gl, gl_link);
	if (gl->gl_cause != NULL) {
		/* Answers for gen a moment: see gate_get. */
		gl->gl_failed = time(NULL);
		TAILQ_INSERT_TAIL(&gc->gc_loads, gl, gl_link);
	}
	while ((gw = TAILQ_FIRST(&gl->gl_waiters)) != NULL) {
		TAILQ_REMOVE(&gl->gl_waiters, gw, gw_link);
		gw->gw_cb(gw->gw_req, gw->gw_arg);
		free(gw);
	}
	if (gl->gl_cause == NULL)
		gate_load_free(gl);
}

int
gate_wait(struct gate_cache *gc, const char *gen,
    void (*cb)(struct evhttp_request *, void *), struct evhttp_request *req,
    void *arg)
{
	struct gate_load	*gl;
	struct gate_waiter	*gw;
	struct gate		*ga;

	TAILQ_FOREACH(ga, &gc->gc_gates, ga_link) {
		if (strcmp(ga->ga_gen, gen) == 0)
			break;
	}
	if (ga != NULL && !ga->ga_checked) {
		if (gate_fresh(ga))
			ga->ga_checked = 1;
		else {
			log_debug("%s: changed on disk; parsing it again",
			    ga->ga_index);
			gate_drop(gc, ga);
			ga = NULL;
		}
	}
	if (ga != NULL || gc->gc_pool == NULL)
		return 0;
	if ((gl = gate_load_find(gc, gen)) != NULL && !gl->gl_running)
		return 0;	/* failed a moment ago: gate_get says why */
	if ((gw = calloc(1, sizeof *gw)) == NULL)
		return 0;
	gw->gw_cb = cb;
	gw->gw_req = req;
	gw->gw_arg = arg;
	if (gl == NULL) {
		if ((gl = calloc(1, sizeof *gl)) == NULL ||
		    (gl->gl_gen = strdup(gen)) == NULL) {
			free(gl);
			free(gw);
			return 0;
		}
		gl->gl_gc = gc;
		gl->gl_running = 1;
		TAILQ_INIT(&gl->gl_waiters);
		if (pool_run(gc->gc_pool, gate_load_work, gate_load_done,
		    gl) == -1) {
			gate_load_free(gl);
			free(gw);
			return 0;
		}
		TAILQ_INSERT_TAIL(&gc->gc_loads, gl, gl_link);
	}
	TAILQ_INSERT_TAIL(&gl->gl_waiters, gw, gw_link);
	return 1;
}

void
gate_recheck(struct gate_cache *gc, const char *gen)
{
	struct gate	*ga;
	struct seal	*sl;

	TAILQ_FOREACH(ga, &gc->gc_gates, ga_link) {
		if (gen == NULL || strcmp(ga->ga_gen, gen) == 0)
			ga->ga_checked = 0;
	}
	TAILQ_FOREACH(sl, &gc->gc_seals, sl_link) {
		if (gen == NULL || strcmp(sl->sl_gen, gen) == 0)
			sl->sl_checked = 0;
	}
}

/*
 * Drops the indexes and seals of deleted generations and of views nobody
 * asks for.
 */
static void
gate_prune(evutil_socket_t fd, short events, void *arg)
{
	struct gate_cache	*gc = arg;
	struct gate		*ga, *next;
	struct seal		*sl, *slnext;
	time_t			 now = time(NULL);

	for (sl = TAILQ_FIRST(&gc->gc_seals); sl != NULL; sl = slnext) {
		slnext = TAILQ_NEXT(sl, sl_link);
		if (!seal_fresh(sl) || now - sl->sl_used > GATE_IDLE) {
			log_debug("%s: seal dropped", sl->sl_gen);
			seal_drop(gc, sl);
		}
	}

	for (ga = TAILQ_FIRST(&gc->gc_gates); ga != NULL; ga = next) {
		next = TAILQ_NEXT(ga, ga_link);
		if (!gate_fresh(ga)) {
			log_debug("%s: gone; index dropped", ga->ga_gen);
			gate_drop(gc, ga);
		} else if (now - ga->ga_used > GATE_IDLE) {
			log_debug("%s: unused; index dropped", ga->ga_gen);
			gate_drop(gc, ga);
		}
	}
}

struct gate_cache *
gate_cache_new(struct event_base *base, struct pool *pool)
{
	struct gate_cache	*gc;
	struct timeval		 tv = { GATE_PRUNE_INTERVAL, 0 };

	if ((gc = calloc(1, sizeof *gc)) == NULL)
		return NULL;
	TAILQ_INIT(&gc->gc_gates);
	TAILQ_INIT(&gc->gc_seals);
	TAILQ_INIT(&gc->gc_loads);
	gc->gc_pool = pool;
	if ((gc->gc_timer = event_new(base, -1, EV_PERSIST, gate_prune,
	    gc)) == NULL || event_add(gc->gc_timer, &tv) == -1) {
		gate_cache_free(gc);
		return NULL;
	}
	return gc;
}

void
gate_cache_free(struct gate_cache *gc)
{
	struct gate		*ga;
	struct seal		*sl;
	struct gate_load	*gl;

	if (gc == NULL)
		return;
	while ((ga = TAILQ_FIRST(&gc->gc_gates)) != NULL)
		gate_drop(gc, ga);
	while ((sl = TAILQ_FIRST(&gc->gc_seals)) != NULL)
		seal_drop(gc, sl);
	/* The pool is gone first (patchgated.c): only failed loads are left. */
	while ((gl = TAILQ_FIRST(&gc->gc_loads)) != NULL) {
		TAILQ_REMOVE(&gc->gc_loads, gl, gl_link);
		gate_load_free(gl);
	}
	if (gc->gc_timer != NULL)
		event_free(gc->gc_timer);
	free(gc);
}
