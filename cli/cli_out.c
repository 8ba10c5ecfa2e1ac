/*
 * What the commands that ask the planner share: loading a mirror's facts
 * and planning a group's view of it, and printing times, ages and JSON
 * the same way everywhere.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "clock.h"
#include "log.h"
#include "store.h"

int
cli_facts(struct cli *cl, struct mirror *mi, struct facts *fa)
{
	long long	 id;
	char		*why = NULL;

	id = store_mirror_id(cl->cl_ix.ix_store, mi->mi_name,
	    mirror_type_name(mi->mi_type), &why);
	if (id == -1 || facts_load(&cl->cl_ix, mi, id, fa, &why) != 0) {
		log_warnx("mirror %s: %s", mi->mi_name, why);
		free(why);
		return -1;
	}
	return 0;
}

const char *
cli_time(time_t t, char *buf, size_t len)
{
	if (t == 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	return time_format(t, buf, len);
}

/* "3d 4h", "2h 5m", "40s"; negative ages count as 0. */
const char *
cli_age(long long secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 86400)
		snprintf(buf, len, "%lldd %lldh", secs / 86400,
		    secs % 86400 / 3600);
	else if (secs >= 3600)
		snprintf(buf, len, "%lldh %lldm", secs / 3600, secs % 3600 / 60);
	else if (secs >= 60)
		snprintf(buf, len, "%lldm %llds", secs / 60, secs % 60);
	else
		snprintf(buf, len, "%llds", secs);
	return buf;
}

json_t *
cli_json_time(time_t t)
{
	char	buf[32];

	if (t == 0)
		return json_null();
	return json_string(time_format(t, buf, sizeof buf));
}

int
cli_json_print(json_t *j)
{
	int	rc;

	rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENSURE_ASCII) == 0 && fputc('\n', stdout) != EOF ? 0 : -1;
	json_decref(j);
	if (rc != 0 || fflush(stdout) != 0) {
		log_warnx("standard output: cannot write");
		return -1;
	}
	return 0;
}
