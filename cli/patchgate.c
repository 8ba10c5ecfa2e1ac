/*
 * patchgate: the admin command.  main() finds the command in the table
 * and hands over; "sync" runs the indexer in this process, apart from the
 * serving daemon.  What every command shares: opening the store, the
 * indexer lock, choosing mirrors.
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
#include "cli.h"
#include "clock.h"
#include "compress_pool.h"
#include "conf.h"
#include "fetch.h"
#include "indexer.h"
#include "lock.h"
#include "log.h"
#include "sign.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

/* Every command, in the order usage() lists them. */
static const struct cli_cmd *const cli_table[] = {
	&cmd_sync_entry,
	&cmd_publish_entry,
	&cmd_log_entry,
	&cmd_hold_entry,
	&cmd_unhold_entry,
	&cmd_status_entry,
	&cmd_baseline_entry,
	&cmd_snapshot_entry,
	&cmd_why_entry,
	&cmd_diff_entry,
	&cmd_preview_entry,
	&cmd_compliance_entry,
	&cmd_gc_entry,
	NULL
};

/* The commands that read no configuration (they convert files). */
static const struct cli_cmd *const cli_noconfig[] = {
	&cmd_baseline_entry,
	NULL
};

static void __attribute__((noreturn))
usage(void)
{
	size_t	i;

	for (i = 0; cli_table[i] != NULL; i++)
		fprintf(stderr, "%s patchgate [-v] [-c file] %s %s\n",
		    i == 0 ? "usage:" : "      ", cli_table[i]->cc_name,
		    cli_table[i]->cc_usage);
	exit(CLI_USAGE);
}

int
cli_usage(const struct cli_cmd *cc)
{
	fprintf(stderr, "usage: patchgate [-v] [-c file] %s %s\n", cc->cc_name,
	    cc->cc_usage);
	return CLI_USAGE;
}

/*
 * One publisher at a time per store: two would race for the next
 * generation number and prune each other's fresh cache files.  A sync
 * takes it only to record and publish (sync_mirror), behind its mirror's
 * own lock.  The lock goes with the process.
 */
static int
indexer_lock(struct config *cf)
{
	char	*why = NULL;

	if (lock_take_store(cf->cf_store, &why) == -1) {
		log_warnx("%s", why);
		free(why);
		return -1;
	}
	return 0;
}

int
cli_open(struct cli *cl, int lock)
{
	struct indexer	*ix = &cl->cl_ix;
	struct config	*cf = cl->cl_cf;
	char		*why = NULL, *tmp;

	if (cl->cl_open)
		return 0;
	memset(ix, 0, sizeof *ix);
	ix->ix_cf = cf;
	cl->cl_open = 1;
	xasprintf(&tmp, "%s/tmp", cf->cf_store);
	if (mkdir_p(tmp, 0755) == -1) {
		log_warnx("%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	free(tmp);
	if (lock == CLI_OPEN_LOCK && indexer_lock(cf) != 0)
		return -1;
	/* Views are compressed in pieces the next version reuses. */
	if (lock != 0) {
		xasprintf(&tmp, "%s/cache/members", cf->cf_store);
		compress_pool_cache(tmp);
		free(tmp);
	}
	ix->ix_store_locked = lock == CLI_OPEN_LOCK;
	/* Read after the lock: a sync that waited must not publish the past. */
	ix->ix_now = clock_now();
	/*
	 * Only commands that publish sign (and create the key on first use),
	 * and GnuPG starts while they read the store (indexer_signer).
	 */
	if ((lock && (ix->ix_signing = signer_open_start(cf->cf_store,
	    &why)) == NULL) ||
	    (ix->ix_store = store_open(cf->cf_store, &why)) == NULL ||
	    (ix->ix_blobs = blob_open(cf->cf_store, &why)) == NULL) {
		log_warnx("%s", why);
		free(why);
		return -1;
	}
	return 0;
}

static void
indexer_close(struct indexer *ix)
{
	if (ix->ix_signing != NULL)
		ix->ix_signer = signer_open_finish(ix->ix_signing, NULL);
	if (ix->ix_signer != NULL)
		signer_close(ix->ix_signer);
	free(ix->ix_signer_why);
	if (ix->ix_blobs != NULL)
		blob_close(ix->ix_blobs);
	if (ix->ix_store != NULL)
		store_close(ix->ix_store);
}

struct mirror **
cli_mirrors(struct config *cf, int argc, char **argv, size_t *n)
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

int
main(int argc, char **argv)
{
	struct cli		 cl;
	const struct cli_cmd	*cc = NULL;
	const char		*conffile = PG_SYSCONFDIR "/patchgate.conf";
	char			*why = NULL;
	size_t			 i;
	int			 ch, verbose = 0, rc;

	while ((ch = getopt(argc, argv, "+c:v")) != -1) {
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
	for (i = 0; cli_table[i] != NULL; i++) {
		if (strcmp(cli_table[i]->cc_name, argv[0]) == 0)
			cc = cli_table[i];
	}
	if (cc == NULL)
		usage();
	log_init("patchgate", verbose);

	if (clock_init(&why) != 0)
		fatalx("%s", why);
	memset(&cl, 0, sizeof cl);
	for (i = 0; cli_noconfig[i] != NULL && cli_noconfig[i] != cc; i++)
		;
	if (cli_noconfig[i] == NULL &&
	    (cl.cl_cf = config_load(conffile)) == NULL)
		exit(CLI_ERROR);
	if (fetch_global_init() != 0)
		fatalx("cannot initialise libcurl");
	/*
	 * Commands get their own name as argv[0], as getopt_long() wants.
	 * optind 0, not 1, makes glibc's getopt start afresh for them,
	 * forgetting main's "+", so that options may follow operands.
	 */
	optind = 0;
	rc = cc->cc_exec(&cl, cc, argc, argv);
	if (cl.cl_open)
		indexer_close(&cl.cl_ix);
	config_free(cl.cl_cf);
	return rc;
}
