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
	char		 *why = NULL;
	size_t		  i, n, failed = 0;
	int		  fetch = cc == &cmd_sync_entry, rc, changed;

	if (argc > 0 && argv[0][0] == '-')
		return cli_usage(cc);
	if ((mirrors = cli_mirrors(cl->cl_cf, argc, argv, &n)) == NULL)
		return CLI_ERROR;
	if (cli_open(cl, 1) != 0) {
		free(mirrors);
		return CLI_ERROR;
	}
	for (i = 0; i < n; i++) {
		if (fetch)
			rc = sync_mirror(&cl->cl_ix, mirrors[i], &why);
		else
			rc = publish_mirror(&cl->cl_ix, mirrors[i], &changed,
			    &why);
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
	free(mirrors);
	return failed > 0 ? CLI_ERROR : CLI_OK;
}
