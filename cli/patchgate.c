/*
 * patchgate: the admin command.  "sync" runs the indexer in this process,
 * apart from the serving daemon: fetch, verify, store, publish.
 */
#include "config.h"

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "clock.h"
#include "conf.h"
#include "fetch.h"
#include "indexer.h"
#include "log.h"
#include "sign.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: patchgate [-v] [-c file] sync [mirror ...]\n"
	    "       patchgate [-v] [-c file] publish [mirror ...]\n");
	exit(2);
}

/*
 * One indexer at a time per store: two publishers would race for the next
 * generation number and prune each other's fresh cache files.  The lock
 * goes with the process.
 */
static int
indexer_lock(struct config *cf)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/indexer.lock", cf->cf_store);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		log_warnx("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_info("another patchgate sync or publish holds %s; waiting",
		    path);
		if (flock(fd, LOCK_EX) == -1) {
			log_warnx("%s: %s", path, strerror(errno));
			close(fd);
			free(path);
			return -1;
		}
	}
	free(path);
	return 0;
}

static int
indexer_open(struct indexer *ix, struct config *cf)
{
	char	*why = NULL, *tmp;

	memset(ix, 0, sizeof *ix);
	ix->ix_cf = cf;
	xasprintf(&tmp, "%s/tmp", cf->cf_store);
	if (mkdir_p(tmp, 0755) == -1) {
		log_warnx("%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	free(tmp);
	if (indexer_lock(cf) != 0)
		return -1;
	/* Read after the lock: a sync that waited must not publish the past. */
	ix->ix_now = clock_now();
	if ((ix->ix_store = store_open(cf->cf_store, &why)) == NULL ||
	    (ix->ix_blobs = blob_open(cf->cf_store, &why)) == NULL ||
	    (ix->ix_signer = signer_open(cf->cf_store, &why)) == NULL) {
		log_warnx("%s", why);
		free(why);
		return -1;
	}
	return 0;
}

static void
indexer_close(struct indexer *ix)
{
	if (ix->ix_signer != NULL)
		signer_close(ix->ix_signer);
	if (ix->ix_blobs != NULL)
		blob_close(ix->ix_blobs);
	if (ix->ix_store != NULL)
		store_close(ix->ix_store);
}

/* The named mirrors, or all of them; NULL after an unknown name. */
static struct mirror **
select_mirrors(struct config *cf, int argc, char **argv, size_t *n)
{
	struct mirror	**v, *mi;
	int		  i, bad = 0;

	*n = 0;
	v = xcalloc(argc > 0 ? argc + 1 : 1, sizeof *v);
	if (argc == 0) {
		TAILQ_FOREACH(mi, &cf->cf_mirrors, mi_entry) {
			v = xreallocarray(v, *n + 1, sizeof *v);
			v[(*n)++] = mi;
		}
		return v;
	}
	for (i = 0; i < argc; i++) {
		if ((mi = config_find_mirror(cf, argv[i])) == NULL) {
			log_warnx("no mirror named %s in %s", argv[i],
			    cf->cf_path);
			bad = 1;
			continue;
		}
		v[(*n)++] = mi;
	}
	if (bad) {
		free(v);
		return NULL;
	}
	return v;
}

/* sync (fetch, then publish) or publish alone, for each mirror. */
static int
cmd_sync(struct indexer *ix, struct mirror **mirrors, size_t n, int fetch)
{
	char	*why = NULL;
	size_t	 i, failed = 0;
	int	 rc, changed;

	for (i = 0; i < n; i++) {
		if (fetch)
			rc = sync_mirror(ix, mirrors[i], &why);
		else
			rc = publish_mirror(ix, mirrors[i], &changed, &why);
		if (rc != 0) {
			if (fetch)
				log_errorx("%s", why);
			else
				log_errorx("mirror %s: %s", mirrors[i]->mi_name,
				    why);
			free(why);
			why = NULL;
			failed++;
		} else if (fetch)
			log_info("mirror %s: synced", mirrors[i]->mi_name);
	}
	if (failed > 0)
		log_errorx("%zu of %zu mirrors failed", failed, n);
	return failed > 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct config	 *cf;
	struct indexer	  ix;
	struct mirror	**mirrors;
	const char	 *conffile = PG_SYSCONFDIR "/patchgate.conf", *cmd;
	char		 *why = NULL;
	size_t		  n;
	int		  ch, verbose = 0, rc;

	while ((ch = getopt(argc, argv, "c:v")) != -1) {
		switch (ch) {
		case 'c':
			conffile = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cmd = argv[0];
	argc--;
	argv++;
	log_init("patchgate", verbose);
	if (strcmp(cmd, "sync") != 0 && strcmp(cmd, "publish") != 0)
		usage();

	if (clock_init(&why) != 0)
		fatalx("%s", why);
	if ((cf = config_load(conffile)) == NULL)
		exit(1);
	if ((mirrors = select_mirrors(cf, argc, argv, &n)) == NULL)
		exit(1);
	if (fetch_global_init() != 0)
		fatalx("cannot initialise libcurl");
	if (indexer_open(&ix, cf) != 0) {
		indexer_close(&ix);
		exit(1);
	}
	rc = cmd_sync(&ix, mirrors, n, strcmp(cmd, "sync") == 0);
	indexer_close(&ix);
	free(mirrors);
	config_free(cf);
	return rc;
}
