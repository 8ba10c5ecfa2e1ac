/*
 * Run logs: the complete output of every run of sync and publish, whether
 * patchgated spawned it on schedule or an admin typed it, one file per run:
 *
 *   STORE/log/<start>-<kind>-<target>.log	the output, bytes as written
 *   STORE/log/<start>-<kind>-<target>.log.result
 *				the run's result, written (atomically) when
 *				it ends: "start <unix>\nend <unix>\nexit <n>\n"
 *				or "... signal <n>\n"
 *
 * <start> is the real time the run began, "20261201T020000.123Z" (UTC,
 * milliseconds, so names sort by time); <kind> is "sync" or "publish";
 * <target> a mirror name, "all" or mirror names joined by '+' (a name
 * never holds '+').  A log without a result is a run still going, or one
 * that was killed before it could say how it ended.  Real time, not
 * PATCHGATE_NOW: these files record what happened, when.
 */
#ifndef PG_RUNLOG_H
#define PG_RUNLOG_H

#include <time.h>

#define RUNLOG_DIR		"log"
#define RUNLOG_RESULT_SUFFIX	".result"

struct runlog_entry {
	char		*re_path;	/* absolute path of the .log */
	char		 re_stamp[24];	/* 20261201T020000.123Z */
	time_t		 re_start;
	char		 re_kind[16];
	char		*re_target;
	int		 re_done;	/* a result was recorded */
	time_t		 re_end;
	int		 re_exit;	/* exit status, or -1 */
	int		 re_signal;	/* the signal that ended it, or 0 */
};

/*
 * Creates a new log for a run of kind on target that starts now (real
 * time); returns its descriptor (O_APPEND, close-on-exec) and its path in
 * *path (caller-freed), or -1 with *cause set.
 */
int	 runlog_create(const char *store, const char *kind, const char *target,
	     time_t *start, char **path, char **cause);
/* Records how the run logged at path ended: exit status, or signal if > 0. */
int	 runlog_finish(const char *path, time_t start, time_t end, int exitcode,
	     int signo, char **cause);
/*
 * The runs logged in STORE/log, oldest first; target NULL lists every
 * run, a mirror name the runs that covered it (its own, "all" and lists
 * naming it).  Caller frees with runlog_list_free.
 */
int	 runlog_list(const char *store, const char *target,
	     struct runlog_entry **v, size_t *n, char **cause);
void	 runlog_list_free(struct runlog_entry *, size_t);
/* Removes the logs of runs that started more than keep seconds before now. */
int	 runlog_prune(const char *store, long long keep, time_t now,
	     char **cause);
/* "exit 0", "exit 1", "signal 15", "running or interrupted". */
const char *runlog_result_text(const struct runlog_entry *, char *, size_t);

#endif
