/*
 * Paths of published views, shared by the indexer and patchgated, and the
 * seal the indexer writes into each generation (see view.h).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "util.h"
#include "view.h"
#include "xmalloc.h"

char *
view_dir(const char *store, const char *group, const char *mirror)
{
	char	*p;

	xasprintf(&p, "%s/views/%s/%s", store, group, mirror);
	return p;
}

char *
view_generation_path(const char *store, const char *group, const char *mirror,
    unsigned long gen)
{
	char	*p;

	xasprintf(&p, "%s/views/%s/%s/gen-%06lu", store, group, mirror, gen);
	return p;
}

char *
view_current(const char *store, const char *group, const char *mirror)
{
	char	*link, *path, target[PATH_MAX];
	ssize_t	 n;

	xasprintf(&link, "%s/views/%s/%s/current", store, group, mirror);
	n = readlink(link, target, sizeof target - 1);
	free(link);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	if (!name_is_safe(target))
		return NULL;
	xasprintf(&path, "%s/views/%s/%s/%s", store, group, mirror, target);
	return path;
}

static int
gen_cmp(const void *a, const void *b)
{
	unsigned long	x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

int
view_generations(const char *store, const char *group, const char *mirror,
    unsigned long **gens, size_t *ngens)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir, *end;
	unsigned long	 g, *v = NULL;
	size_t		 n = 0;

	dir = view_dir(store, group, mirror);
	d = opendir(dir);
	free(dir);
	if (d == NULL) {
		*gens = NULL;
		*ngens = 0;
		return errno == ENOENT ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "gen-", 4) != 0)
			continue;
		g = strtoul(de->d_name + 4, &end, 10);
		if (*end != '\0')
			continue;
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = g;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof *v, gen_cmp);
	*gens = v;
	*ngens = n;
	return 0;
}

/* The largest seal file read back: a tree of a million files. */
#define VIEW_SUMS_MAX	((size_t)256 * 1024 * 1024)

/* One line of tree.sums. */
struct view_sum {
	char		*vs_path;
	long long	 vs_size;
	char		 vs_hex[HASH_HEX_MAX];
};

static int
view_sum_cmp(const void *a, const void *b)
{
	return strcmp(((const struct view_sum *)a)->vs_path,
	    ((const struct view_sum *)b)->vs_path);
}

static void
view_sums_free(struct view_sum *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].vs_path);
	free(v);
}

/*
 * Reads gen's tree.sums, sorted, for view_seal to reuse; an absent or odd
 * file reads as empty, as the sums are then computed again.
 */
static void
view_sums_read(const char *gen, struct view_sum **sums, size_t *nsums)
{
	struct view_sum	*v = NULL;
	char		*path, *data, *line, *next, *f[3], *end;
	size_t		 len, n = 0, i;
	long long	 size;

	*sums = NULL;
	*nsums = 0;
	xasprintf(&path, "%s/%s", gen, VIEW_SUMS_NAME);
	if (file_read(path, VIEW_SUMS_MAX, &data, &len, NULL) != 0) {
		free(path);
		return;
	}
	free(path);
	for (line = data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		f[0] = line;
		for (i = 1; i < 3; i++) {
			if ((f[i] = strchr(f[i - 1], '\t')) == NULL)
				break;
			*f[i]++ = '\0';
		}
		if (i < 3 || strchr(f[2], '\t') != NULL || strlen(f[2]) != 64)
			continue;
		errno = 0;
		size = strtoll(f[1], &end, 10);
		if (*f[1] == '\0' || *end != '\0' || errno != 0 || size < 0)
			continue;
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n].vs_path = xstrdup(f[0]);
		v[n].vs_size = size;
		memcpy(v[n].vs_hex, f[2], 65);
		n++;
	}
	free(data);
	if (n > 0)
		qsort(v, n, sizeof *v, view_sum_cmp);
	*sums = v;
	*nsums = n;
}

/* Collects the regular files under dir/rel into *v, paths relative to dir. */
static int
view_walk(const char *dir, const char *rel, struct view_sum **v, size_t *n,
    char **cause)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*path, *sub, *full;
	int		 rc = 0;

	if (*rel == '\0')
		path = xstrdup(dir);
	else
		xasprintf(&path, "%s/%s", dir, rel);
	if ((d = opendir(path)) == NULL) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (*rel == '\0')
			sub = xstrdup(de->d_name);
		else
			xasprintf(&sub, "%s/%s", rel, de->d_name);
		xasprintf(&full, "%s/%s", dir, sub);
		if (lstat(full, &sb) == -1) {
			cause_set(cause, "%s: %s", full, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(sb.st_mode))
			rc = view_walk(dir, sub, v, n, cause);
		else if ((S_ISREG(sb.st_mode) || (S_ISLNK(sb.st_mode) &&
		    stat(full, &sb) == 0 && S_ISREG(sb.st_mode))) &&
		    strpbrk(sub, "\t\n\r") == NULL) {
			/*
			 * A name no line can hold has no sum: patchgated
			 * then falls back to its inode's validators.
			 */
			*v = xreallocarray(*v, *n + 1, sizeof **v);
			(*v)[*n].vs_path = sub;
			(*v)[*n].vs_size = -1;
			(*n)++;
			sub = NULL;
		}
		free(full);
		free(sub);
	}
	closedir(d);
	free(path);
	return rc;
}

/*
 * The sum of tree/rel from prev's, when prev's tree/rel is the same inode
 * (files are hard links into STORE/cache, never changed in place), so that
 * the bytes shared with the generation before are not read again.
 */
static int
view_sum_reuse(const char *prev, const struct view_sum *old, size_t nold,
    struct view_sum *vs, const struct stat *sb)
{
	struct view_sum	 key, *hit;
	struct stat	 psb;
	char		*path;
	int		 same;

	if (prev == NULL || nold == 0)
		return 0;
	key.vs_path = vs->vs_path;
	if ((hit = bsearch(&key, old, nold, sizeof *old, view_sum_cmp)) == NULL ||
	    hit->vs_size != (long long)sb->st_size)
		return 0;
	xasprintf(&path, "%s/tree/%s", prev, vs->vs_path);
	same = stat(path, &psb) == 0 && psb.st_dev == sb->st_dev &&
	    psb.st_ino == sb->st_ino && psb.st_size == sb->st_size &&
	    psb.st_mtim.tv_sec == sb->st_mtim.tv_sec &&
	    psb.st_mtim.tv_nsec == sb->st_mtim.tv_nsec;
	free(path);
	if (same) {
		vs->vs_size = hit->vs_size;
		memcpy(vs->vs_hex, hit->vs_hex, sizeof vs->vs_hex);
	}
	return same;
}

/*
 * Files whose sha256 the writer already knows (view_sum_note): the same
 * inode, size and mtime as when noted, so not read again.  The views'
 * large files are hard links of one cached file, shared by every group.
 */
#define VIEW_NOTED_MAX	64
static struct view_noted {
	dev_t		 vn_dev;
	ino_t		 vn_ino;
	off_t		 vn_size;
	struct timespec	 vn_mtim;
	char		 vn_hex[HASH_HEX_MAX];
} view_noted[VIEW_NOTED_MAX];
static size_t	view_nnoted, view_noted_next;
/* The unfiltered tree is sealed on a thread of its own (raw.c). */
static pthread_mutex_t	view_noted_lock = PTHREAD_MUTEX_INITIALIZER;

void
view_sum_note(const char *path, const char *hex)
{
	struct view_noted	*vn;
	struct stat		 sb;

	if (stat(path, &sb) == -1 || strlen(hex) >= HASH_HEX_MAX)
		return;
	pthread_mutex_lock(&view_noted_lock);
	vn = &view_noted[view_noted_next];
	view_noted_next = (view_noted_next + 1) % VIEW_NOTED_MAX;
	if (view_nnoted < VIEW_NOTED_MAX)
		view_nnoted++;
	vn->vn_dev = sb.st_dev;
	vn->vn_ino = sb.st_ino;
	vn->vn_size = sb.st_size;
	vn->vn_mtim = sb.st_mtim;
	memcpy(vn->vn_hex, hex, strlen(hex) + 1);
	pthread_mutex_unlock(&view_noted_lock);
}

static int
view_sum_noted(struct view_sum *vs, const struct stat *sb)
{
	const struct view_noted	*vn;
	size_t			 i;
	int			 found = 0;

	pthread_mutex_lock(&view_noted_lock);
	for (i = 0; i < view_nnoted && !found; i++) {
		vn = &view_noted[i];
		if (vn->vn_dev == sb->st_dev && vn->vn_ino == sb->st_ino &&
		    vn->vn_size == sb->st_size &&
		    vn->vn_mtim.tv_sec == sb->st_mtim.tv_sec &&
		    vn->vn_mtim.tv_nsec == sb->st_mtim.tv_nsec) {
			vs->vs_size = sb->st_size;
			memcpy(vs->vs_hex, vn->vn_hex, sizeof vs->vs_hex);
			found = 1;
		}
	}
	pthread_mutex_unlock(&view_noted_lock);
	return found;
}

/* prev's modified, or 0 when it has none (an older generation). */
static long long
view_modified_read(const char *prev)
{
	char		*path, *data, *end;
	size_t		 len;
	long long	 t;

	if (prev == NULL)
		return 0;
	xasprintf(&path, "%s/%s", prev, VIEW_MODIFIED_NAME);
	if (file_read(path, 64, &data, &len, NULL) != 0) {
		free(path);
		return 0;
	}
	free(path);
	errno = 0;
	t = strtoll(data, &end, 10);
	if (end == data || (*end != '\n' && *end != '\0') || errno != 0 ||
	    t < 0)
		t = 0;
	free(data);
	return t;
}

/*
 * The latest modified of prev and of the other generations of gen's view:
 * one renamed into place but never made current (a crash before the
 * switch) is still served to clients that ask for its files.
 */
static long long
view_modified_latest(const char *gen, const char *prev)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir, *slash, *g;
	long long	 t, u;

	t = view_modified_read(prev);
	dir = xstrdup(gen);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if ((d = opendir(dir)) != NULL) {
			while ((de = readdir(d)) != NULL) {
				/* Not gen itself, nor any other ".tmp". */
				if (strncmp(de->d_name, "gen-", 4) != 0 ||
				    strchr(de->d_name, '.') != NULL)
					continue;
				xasprintf(&g, "%s/%s", dir, de->d_name);
				if ((u = view_modified_read(g)) > t)
					t = u;
				free(g);
			}
			closedir(d);
		}
	}
	free(dir);
	return t;
}

int
view_seal(const char *gen, const char *prev, char **cause)
{
	struct view_sum	*v = NULL, *old = NULL;
	struct stat	 sb;
	struct buf	 b;
	char		*tree, *path, line[32];
	size_t		 n = 0, nold = 0, i;
	long long	 size, modified, last;
	int		 rc = -1;

	xasprintf(&tree, "%s/tree", gen);
	buf_init(&b);
	if (view_walk(tree, "", &v, &n, cause) != 0)
		goto out;
	if (n > 0)
		qsort(v, n, sizeof *v, view_sum_cmp);
	if (prev != NULL)
		view_sums_read(prev, &old, &nold);
	for (i = 0; i < n; i++) {
		xasprintf(&path, "%s/%s", tree, v[i].vs_path);
		if (stat(path, &sb) == -1) {
			cause_set(cause, "%s: %s", path, strerror(errno));
			free(path);
			goto out;
		}
		if (!view_sum_reuse(prev, old, nold, &v[i], &sb) &&
		    !view_sum_noted(&v[i], &sb)) {
			if (hash_file("sha256", path, v[i].vs_hex, &size) != 0) {
				cause_set(cause, "%s: %s", path,
				    strerror(errno));
				free(path);
				goto out;
			}
			v[i].vs_size = size;
		}
		free(path);
		buf_addf(&b, "%s\t%lld\t%s\n", v[i].vs_path, v[i].vs_size,
		    v[i].vs_hex);
	}
	xasprintf(&path, "%s/%s", gen, VIEW_SUMS_NAME);
	rc = file_write_atomic(path, b.b_data != NULL ? b.b_data : "", b.b_len,
	    cause);
	free(path);
	if (rc != 0)
		goto out;

	/*
	 * The real wall clock, not PATCHGATE_NOW: this is an HTTP validator,
	 * compared with the dates clients hold from earlier answers and with
	 * the Date of patchgated's responses, which are real time, while the
	 * simulated clock of tests and previews jumps by days, backwards too.
	 * Whole seconds, as HTTP dates are: the previous generation's + 1 at
	 * least, so that two generations published within one second never
	 * share a Last-Modified, and If-Modified-Since with the old one never
	 * gets 304 for the new bytes.  A burst of publishes thus runs ahead
	 * of the clock by a few seconds, which is harmless; a clock set back
	 * cannot make it go backwards.
	 */
	modified = (long long)time(NULL);
	if ((last = view_modified_latest(gen, prev)) != 0 && modified <= last)
		modified = last + 1;
	snprintf(line, sizeof line, "%lld\n", modified);
	xasprintf(&path, "%s/%s", gen, VIEW_MODIFIED_NAME);
	rc = file_write_atomic(path, line, strlen(line), cause);
	free(path);
out:
	view_sums_free(v, n);
	view_sums_free(old, nold);
	buf_free(&b);
	free(tree);
	return rc;
}

int
view_snapshot_name_ok(const char *name, char **cause)
{
	const char	*p;

	if (*name == '\0') {
		cause_set(cause, "snapshot name is empty");
		return 0;
	}
	if (strlen(name) > VIEW_SNAPSHOT_NAME_MAX) {
		cause_set(cause, "snapshot name %.16s...: longer than %d "
		    "characters", name, VIEW_SNAPSHOT_NAME_MAX);
		return 0;
	}
	if (*name == '_' || *name == '.') {
		cause_set(cause, "snapshot name %s: must not start with '%c'",
		    name, *name);
		return 0;
	}
	for (p = name; *p != '\0'; p++) {
		if (!isascii((unsigned char)*p) ||
		    (!isalnum((unsigned char)*p) && strchr(".-_", *p) == NULL)) {
			cause_set(cause, "snapshot name %s: only letters, digits, "
			    "'.', '-' and '_' are allowed", name);
			return 0;
		}
	}
	return 1;
}
