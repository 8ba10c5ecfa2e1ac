/*
 * sync: fetch, verify and record each mirror, then publish its views;
 * publish: plan and publish the views again from the store, as time
 * passes, without fetching upstream metadata.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "events.h"
#include "lock.h"
#include "log.h"

static int	cmd_sync_exec(struct cli *, const struct cli_cmd *, int, char **);

const struct cli_cmd cmd_sync_entry = {
	"sync", "[mirror ...]", cmd_sync_exec
};

const struct cli_cmd cmd_publish_entry = {
	"publish", "[mirror ...]", cmd_sync_exec
};

static int
cmd_sync_exec(struct cli *cl, const struct cli_cmd *cc, int argc, char **argv)
{
	struct mirror	**mirrors;
	struct cli_run	  run;
	struct cli_runlog rl;
	char		 *why = NULL;
	size_t		  i, n, failed = 0;
	int		  fetch = cc == &cmd_sync_entry, rc, changed, lockfd;

	argc--;		/* the command's name */
	argv++;
	if (argc > 0 && argv[0][0] == '-')
		return cli_usage(cc);
	if ((mirrors = cli_mirrors(cl->cl_cf, argc, argv, &n)) == NULL)
		return CLI_ERROR;
	/* Its log lines go to STORE/log too, for patchgate log. */
	cli_runlog_start(cl, cc->cc_name, argc, argv, &rl);
	/*
	 * sync locks each mirror in turn and the store only to record and
	 * publish: a slow upstream holds up its own mirror, no other.
	 */
	if (cli_open(cl, fetch ? CLI_OPEN_SYNC : CLI_OPEN_LOCK) != 0) {
		cli_runlog_end(&rl, CLI_ERROR);
		free(mirrors);
		return CLI_ERROR;
	}
	for (i = 0; i < n; i++) {
		cli_run_start(&run);
		if (fetch)
			rc = sync_mirror(&cl->cl_ix, mirrors[i], &why);
		else
			rc = publish_mirror(&cl->cl_ix, mirrors[i], &changed,
			    &why);
		cli_run_end(cl, mirrors[i], fetch ? "sync" : "publish", &run,
		    rc != 0 ? why : NULL);
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
	log_progress_done();
	/* Views changed, reports came: has a machine's compliance changed? */
	if (events_wanted(cl->cl_cf, EVENT_COMPLIANCE_CHANGED) ||
	    cli_compliance_has_reports(cl)) {
		json_t	*doc = cli_compliance_json(cl);

		if (doc != NULL) {
			cli_compliance_counts(cl, doc);
			events_compliance(cl->cl_cf, cl->cl_ix.ix_store, doc);
		}
	}
	if (failed > 0)
		log_errorx("%zu of %zu mirrors failed", failed, n);
	if (!fetch)
		cli_preview_prune(cl);
	else if ((lockfd = lock_take_store(cl->cl_cf->cf_store, &why)) != -1) {
		cli_preview_prune(cl);
		lock_release(lockfd);
	} else {
		log_warnx("%s", why);
		free(why);
	}
	/* What the views stopped needing may make room. */
	cli_quota(cl);
	free(mirrors);
	cli_runlog_end(&rl, failed > 0 ? CLI_ERROR : CLI_OK);
	return failed > 0 ? CLI_ERROR : CLI_OK;
}
