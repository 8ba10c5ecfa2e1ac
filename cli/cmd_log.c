/*
 * log: the complete output of past runs of sync and publish, whether
 * patchgated spawned them or an admin typed them (runlog.h); and the tee
 * that writes a run started by hand to its run log.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "log.h"
#include "runlog.h"
#include "util.h"
#include "xmalloc.h"

static int	cmd_log_exec(struct cli *, const struct cli_cmd *, int, char **);

const struct cli_cmd cmd_log_entry = {
	"log", "[mirror] [--last N] [--json]", cmd_log_exec
};

void
cli_runlog_start(struct cli *cl, const char *kind, int argc, char **argv,
    struct cli_runlog *rl)
{
	struct buf	 target;
	char		*cause = NULL;
	int		 i;

	memset(rl, 0, sizeof *rl);
	rl->rl_fd = -1;
	/* Spawned by patchgated, which writes this run's output itself. */
	if (getenv("PATCHGATE_RUNLOG") != NULL)
		return;
	buf_init(&target);
	if (argc == 0)
		buf_adds(&target, "all");
	for (i = 0; i < argc; i++)
		buf_addf(&target, "%s%s", i > 0 ? "+" : "", argv[i]);
	buf_add(&target, "", 1);
	rl->rl_fd = runlog_create(cl->cl_cf->cf_store, kind, target.b_data,
	    &rl->rl_start, &rl->rl_path, &cause);
	buf_free(&target);
	if (rl->rl_fd == -1) {
		log_warnx("run log: %s", cause);
		free(cause);
		return;
	}
	log_tee(rl->rl_fd);
}

void
cli_runlog_end(struct cli_runlog *rl, int rc)
{
	char	*cause = NULL;

	if (rl->rl_fd == -1)
		return;
	log_tee(-1);
	close(rl->rl_fd);
	rl->rl_fd = -1;
	if (runlog_finish(rl->rl_path, rl->rl_start, time(NULL), rc, 0,
	    &cause) != 0) {
		log_warnx("run log: %s", cause);
		free(cause);
	}
	free(rl->rl_path);
	rl->rl_path = NULL;
}

static const struct option log_options[] = {
	{ "last",	required_argument,	NULL,	'n' },
	{ "json",	no_argument,		NULL,	'j' },
	{ NULL,		0,			NULL,	0 }
};

/* Copies the log at path to stdout, byte for byte; -1 after saying why. */
static int
log_print_file(const char *path, int *endsnl)
{
	char	buf[16384];
	ssize_t	n;
	int	fd;

	*endsnl = 1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warnx("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warnx("%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		fwrite(buf, 1, n, stdout);
		*endsnl = buf[n - 1] == '\n';
	}
	close(fd);
	return 0;
}

static void
log_print_run(const struct runlog_entry *re)
{
	char	start[32], end[32], result[64];
	int	endsnl;

	printf("=== %s %s, started %s", re->re_kind, re->re_target,
	    cli_time(re->re_start, start, sizeof start));
	if (re->re_done)
		printf(", ended %s", cli_time(re->re_end, end, sizeof end));
	printf(": %s (%s)\n", runlog_result_text(re, result, sizeof result),
	    re->re_path);
	fflush(stdout);
	if (log_print_file(re->re_path, &endsnl) == 0 && !endsnl)
		putchar('\n');
}

/* The run's output as a JSON string: invalid UTF-8 becomes U+FFFD. */
static json_t *
log_json_output(const char *path, int *lossy)
{
	json_t		*j;
	struct buf	 b;
	char		*data = NULL, *cause = NULL;
	size_t		 len, i, n;
	unsigned char	 c;

	*lossy = 0;
	if (file_read(path, 256 * 1024 * 1024, &data, &len, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		return json_null();
	}
	if ((j = json_stringn(data, len)) != NULL) {
		free(data);
		return j;
	}
	*lossy = 1;
	buf_init(&b);
	for (i = 0; i < len; i += n) {
		c = data[i];
		n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 :
		    (c >> 3) == 30 ? 4 : 0;
		if (n == 0 || i + n > len ||
		    (j = json_stringn(data + i, n)) == NULL || c == 0) {
			buf_adds(&b, "\xef\xbf\xbd");
			n = 1;
			continue;
		}
		json_decref(j);
		buf_add(&b, data + i, n);
	}
	j = json_stringn(b.b_data != NULL ? b.b_data : "", b.b_len);
	buf_free(&b);
	free(data);
	return j != NULL ? j : json_null();
}

static json_t *
log_json_run(const struct runlog_entry *re)
{
	json_t	*o = json_object();
	int	 lossy;

	json_object_set_new(o, "kind", json_string(re->re_kind));
	json_object_set_new(o, "target", json_string(re->re_target));
	json_object_set_new(o, "start", cli_json_time(re->re_start));
	json_object_set_new(o, "end", re->re_done ?
	    cli_json_time(re->re_end) : json_null());
	json_object_set_new(o, "done", json_boolean(re->re_done));
	json_object_set_new(o, "exit", re->re_done && re->re_signal == 0 ?
	    json_integer(re->re_exit) : json_null());
	json_object_set_new(o, "signal", re->re_signal > 0 ?
	    json_integer(re->re_signal) : json_null());
	json_object_set_new(o, "path", json_string(re->re_path));
	json_object_set_new(o, "output", log_json_output(re->re_path, &lossy));
	json_object_set_new(o, "output_lossy", json_boolean(lossy));
	return o;
}

static int
cmd_log_exec(struct cli *cl, const struct cli_cmd *cc, int argc, char **argv)
{
	struct runlog_entry	*v;
	const char		*mirror = NULL;
	char			*end, *cause = NULL;
	size_t			 n, i, first;
	long			 last = 1;
	int			 ch, json = 0;
	json_t			*arr;

	while ((ch = getopt_long(argc, argv, "n:j", log_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'n':
			errno = 0;
			last = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || last < 1)
				return cli_usage(cc);
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(cc);
		}
	}
	if (argc - optind > 1)
		return cli_usage(cc);
	if (argc - optind == 1)
		mirror = argv[optind];
	if (mirror != NULL && config_find_mirror(cl->cl_cf, mirror) == NULL)
		log_warnx("no mirror named %s in %s; showing its old runs",
		    mirror, cl->cl_cf->cf_path);

	if (runlog_list(cl->cl_cf->cf_store, mirror, &v, &n, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		return CLI_ERROR;
	}
	first = n > (size_t)last ? n - last : 0;
	if (json) {
		arr = json_array();
		for (i = first; i < n; i++)
			json_array_append_new(arr, log_json_run(&v[i]));
		runlog_list_free(v, n);
		return cli_json_print(arr) == 0 ? CLI_OK : CLI_ERROR;
	}
	if (n == 0)
		log_info("no runs logged%s%s in %s/%s", mirror ? " for " : "",
		    mirror ? mirror : "", cl->cl_cf->cf_store, RUNLOG_DIR);
	for (i = first; i < n; i++)
		log_print_run(&v[i]);
	runlog_list_free(v, n);
	return CLI_OK;
}
