/*
 * sync: fetch, verify and record each mirror, then publish its views;
 * publish: plan and publish the views again from the store, as time
 * passes, without fetching upstream metadata.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
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
	int		  fetch = cc == &cmd_sync_entry, rc, changed;

	argc--;		/* the command's name */
	argv++;
	if (argc > 0 && argv[0][0] == '-')
		return cli_usage(cc);
	if ((mirrors = cli_mirrors(cl->cl_cf, argc, argv, &n)) == NULL)
		return CLI_ERROR;
	/* Its log lines go to STORE/log too, for patchgate log. */
	cli_runlog_start(cl, cc->cc_name, argc, argv, &rl);
	if (cli_open(cl, 1) != 0) {
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
	if (failed > 0)
		log_errorx("%zu of %zu mirrors failed", failed, n);
	cli_preview_prune(cl);
	free(mirrors);
	cli_runlog_end(&rl, failed > 0 ? CLI_ERROR : CLI_OK);
	return failed > 0 ? CLI_ERROR : CLI_OK;
}
