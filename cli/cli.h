/*
 * The patchgate admin command: a table of commands, one source file per
 * family (cmd_sync.c: sync and publish; ...), as tmux's cmd-*.c.  Each
 * command parses its own arguments; human output by default, --json
 * where the command has it.  Exit status: 0 on success, 1 on error, 2 on
 * usage.
 */
#ifndef PG_CLI_H
#define PG_CLI_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "indexer.h"

#define CLI_OK		0
#define CLI_ERROR	1
#define CLI_USAGE	2

struct cli {
	struct config		*cl_cf;
	struct indexer		 cl_ix;
	int			 cl_open;	/* cl_ix is open */
};

/* cc_exec gets argv[0] = cc_name, then the command's words. */
struct cli_cmd {
	const char		*cc_name;
	const char		*cc_usage;	/* the arguments, for usage() */
	int			(*cc_exec)(struct cli *, const struct cli_cmd *,
				    int argc, char **argv);
};

/*
 * Opens the store and blob store for a command.  lock: CLI_OPEN_LOCK for
 * a command that publishes: take the store lock (lock.h) and open the
 * signer too; CLI_OPEN_SYNC for sync, which opens the signer and takes
 * its mirrors' locks and the store lock itself (sync_mirror); 0: the
 * store is only read, beside a running sync (SQLite WAL), and no key is
 * made.  Sets ix_now.
 */
#define CLI_OPEN_LOCK	1
#define CLI_OPEN_SYNC	2
int		 cli_open(struct cli *, int lock);
/* Prints "usage: patchgate [-v] [-c file] NAME USAGE" and returns CLI_USAGE. */
int		 cli_usage(const struct cli_cmd *);
/* The named mirrors, or all of them; NULL after an unknown name (said). */
struct mirror	**cli_mirrors(struct config *, int argc, char **argv, size_t *n);

/* cli_out.c */
struct json_t;
/* Loads a mirror's facts (cli_open first); -1 after saying why. */
int		 cli_facts(struct cli *, struct mirror *, struct facts *);
/* RFC 3339, or "-" for 0. */
const char	*cli_time(time_t, char *buf, size_t len);
/* An age or a delay for people: "3d 4h", "2h 5m", "40s". */
const char	*cli_age(long long secs, char *buf, size_t len);
/* An RFC 3339 string, or null for 0. */
struct json_t	*cli_json_time(time_t);
/* Prints j on stdout (2-space indent, keys in insertion order), frees it. */
int		 cli_json_print(struct json_t *j);

/* cmd_sync.c */
extern const struct cli_cmd	cmd_sync_entry;
extern const struct cli_cmd	cmd_publish_entry;

/* cmd_log.c */
extern const struct cli_cmd	cmd_log_entry;
/* The run log (runlog.h) of a sync or publish started by hand. */
struct cli_runlog {
	int		 rl_fd;		/* -1: none */
	char		*rl_path;
	time_t		 rl_start;
};
/* Tees the log lines to a new run log, unless patchgated logs this run. */
void		 cli_runlog_start(struct cli *, const char *kind, int argc,
		     char **argv, struct cli_runlog *);
void		 cli_runlog_end(struct cli_runlog *, int rc);

/* cmd_hold.c */
extern const struct cli_cmd	cmd_hold_entry;
extern const struct cli_cmd	cmd_unhold_entry;

/* cmd_status.c */
extern const struct cli_cmd	cmd_status_entry;
/* One mirror's sync or publish, kept in the store's runs for status. */
struct cli_run {
	time_t		 cr_started;	/* clock_now() */
	long long	 cr_msecs;	/* monotonic, for the duration */
};
void		 cli_run_start(struct cli_run *);
/* Records the run as finished, failed with error when not NULL. */
void		 cli_run_end(struct cli *, struct mirror *, const char *kind,
		     const struct cli_run *, const char *error);
/* Sees a view's plan, as status makes it, before it is freed. */
typedef void	(*cli_plan_fn)(void *arg, struct group *, struct mirror *,
		    struct facts *, struct plan *);
/*
 * status --json's document, handing each view's plan to fn when not
 * NULL; NULL after saying why (cli_open first).
 */
struct json_t	*cli_status_json(struct cli *, cli_plan_fn fn, void *arg);

/* cmd_status_html.c */
/* Writes status --html, patchgated's /_status page; a CLI_ code. */
int		 cli_status_html(struct cli *);

/* cmd_baseline.c */
extern const struct cli_cmd	cmd_baseline_entry;

/* cmd_snapshot.c */
extern const struct cli_cmd	cmd_snapshot_entry;
/* snapshot list --json's document; NULL after saying why. */
struct json_t	*cli_snapshots_json(struct cli *);

/* cmd_compliance.c */
extern const struct cli_cmd	cmd_compliance_entry;
/* compliance --json's document for every group; NULL after saying why. */
struct json_t	*cli_compliance_json(struct cli *);
/* Whether any machine has reported to any group (STORE/reports). */
int		 cli_compliance_has_reports(struct cli *);
/*
 * Writes STORE/compliance.counts ("GROUP NAME COUNT" lines: machines,
 * compliant, non_compliant, stale, missing_security, waiting_security)
 * from doc, cli_compliance_json's document, for /metrics.
 */
void		 cli_compliance_counts(struct cli *, struct json_t *doc);

/* cmd_gc.c */
extern const struct cli_cmd	cmd_gc_entry;
/*
 * [server] store-quota: over it, removes the least recently read blobs
 * that nothing needs until the blobs fit (cli_open first).  Run after a
 * sync or publish; leaves it to a running sync's end.
 */
void		 cli_quota(struct cli *);

/* cmd_plan.c */
extern const struct cli_cmd	cmd_why_entry;
extern const struct cli_cmd	cmd_diff_entry;
extern const struct cli_cmd	cmd_preview_entry;
/* Removes previews published longer than preview-keep ago (cli_open first). */
void		 cli_preview_prune(struct cli *);

#endif
