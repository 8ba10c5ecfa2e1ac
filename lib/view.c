/*
 * Paths of published views, shared by the indexer and patchgated.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
