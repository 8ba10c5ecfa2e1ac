/*
 * The admin API under /_api/v1/, and the access control of /metrics and
 * of the status page, /_status.
 *
 * The API answers with what the admin CLI answers: each call runs
 * "patchgate -c CONF COMMAND --json" as a child (child.c), never blocking
 * the loop, and relays its JSON, so field names are the CLI's and the
 * daemon still never reads the indexer's database (DESIGN.md).  Changes
 * (holds, snapshots) take the indexer lock in the child, as the CLI does;
 * POST sync asks the scheduler (sched.c) to start a run now.
 *
 * Callers authenticate with "Authorization: Bearer SECRET", a token of
 * [server] api-tokens (tokens.c-like lines "NAME ROLE SECRET", ROLE read or
 * admin).  GET needs any token, POST and DELETE an admin one; every change,
 * allowed or not, is appended to STORE/log/audit.log.  /metrics and
 * /_status are open to [server] admin-allow (default loopback) or any
 * token; /_status is "patchgate status --html" run as a child, like a GET.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "clock.h"
#include "conf.h"
#include "hash.h"
#include "log.h"
#include "proxy.h"
#include "util.h"
#include "xmalloc.h"

#define API_PREFIX		"/_api/v1"
#define API_TOKENS_MAX		(1024 * 1024)	/* bytes of the tokens file */
#define API_SECRET_MIN		16		/* characters of a secret */
#define API_JOBS_MAX		8		/* children at once */
#define API_JOB_TIMEOUT		600		/* seconds a command may run */
#define API_KILL_GRACE		10		/* seconds from SIGTERM to SIGKILL */
#define API_DRAIN		5		/* seconds for output after exit */
#define API_OUTPUT_MAX		(64 * 1024 * 1024)
#define API_ERROR_MAX		4096		/* bytes of a child's stderr relayed */
#define API_AUDIT_BODY_MAX	4096

struct api_token {
	char		*at_name;
	int		 at_admin;
	char		 at_hash[HASH_HEX_MAX];	/* sha256 of the secret */
};

struct api_job;
/* What a command's result becomes: answers aj_req. */
typedef void	(*api_done_fn)(struct api_job *, int exitcode, json_t *out,
		    const char *err);

/* One request being answered by a child. */
struct api_job {
	struct api		*aj_api;
	struct evhttp_request	*aj_req;
	pid_t			 aj_pid;
	int			 aj_reaped;
	int			 aj_status;
	int			 aj_killed;
	int			 aj_gone;	/* the client went away */
	int			 aj_json;	/* stdout is JSON */
	int			 aj_raw;	/* stdout goes to aj_done as it is */
	struct bufferevent	*aj_out;
	struct bufferevent	*aj_err;
	int			 aj_out_eof;
	int			 aj_err_eof;
	struct event		*aj_timer;
	api_done_fn		 aj_done;
	int			 aj_change;	/* audited when it ends */
	char			*aj_token;	/* name */
	char			*aj_audit_body;
	char			*aj_arg1;	/* what the done function needs */
	char			*aj_arg2;
	const char		*aj_what;	/* "pattern", "name" */
	TAILQ_ENTRY(api_job)	 aj_entry;
};
TAILQ_HEAD(api_jobs, api_job);

struct api {
	struct proxy		*ap_px;
	struct api_token	*ap_tokens;
	size_t			 ap_ntokens;
	struct event		*ap_sigchld;
	struct api_jobs		 ap_jobs;
	size_t			 ap_njobs;
};

/* What one request asks, once parsed. */
struct api_call {
	struct api		*ac_api;
	struct evhttp_request	*ac_req;
	enum evhttp_cmd_type	 ac_cmd;
	const char		*ac_method;
	char			*ac_path;	/* decoded, no query */
	char			*ac_res;	/* after /_api/v1/ */
	struct evkeyvalq	 ac_query;
	const struct api_token	*ac_token;
	char			*ac_body;	/* as sent, for the audit log */
};

static void	api_job_end(struct api_job *);

/* --- tokens ------------------------------------------------------------------ */

static void
api_tokens_free(struct api_token *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].at_name);
	free(v);
}

static int
api_token_name_ok(const char *s)
{
	return *s != '\0' && strlen(s) <= 64 && strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
	    == strlen(s);
}

/*
 * Reads the tokens file path: "NAME ROLE SECRET" a line, '#' comments.
 * A file that group or others may read or write is refused: it holds
 * secrets.  Every error is in *cause, "path:line: message" joined by "; ".
 */
static int
api_tokens_load(const char *path, struct api_token **vp, size_t *np,
    char **cause)
{
	struct api_token	*v = NULL;
	struct stat		 sb;
	struct buf		 errs;
	char			*data = NULL, *line, *next, **w;
	size_t			 len, n = 0, i, lineno = 0, nw;
	int			 fd;

	*vp = NULL;
	*np = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		cause_set(cause, "api-tokens %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		cause_set(cause, "api-tokens %s: not a regular file", path);
		close(fd);
		return -1;
	}
	close(fd);
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		cause_set(cause, "api-tokens %s: group or others may access it "
		    "(mode %04o); it holds secrets: chmod 600 %s", path,
		    (unsigned)(sb.st_mode & 07777), path);
		return -1;
	}
	if (file_read(path, API_TOKENS_MAX, &data, &len, cause) != 0)
		return -1;
	buf_init(&errs);
	for (line = data; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "#")] = '\0';
		w = words_split(line, &nw);
		if (nw == 0) {
			words_free(w);
			continue;
		}
		if (nw != 3)
			buf_addf(&errs, "%s%s:%zu: expected NAME ROLE SECRET",
			    errs.b_len ? "; " : "", path, lineno);
		else if (!api_token_name_ok(w[0]))
			buf_addf(&errs, "%s%s:%zu: \"%s\" is not a token name "
			    "(letters, digits, . _ - @)", errs.b_len ? "; " : "",
			    path, lineno, w[0]);
		else if (strcmp(w[1], "read") != 0 && strcmp(w[1], "admin") != 0)
			buf_addf(&errs, "%s%s:%zu: role \"%s\": expected read or "
			    "admin", errs.b_len ? "; " : "", path, lineno, w[1]);
		else if (strlen(w[2]) < API_SECRET_MIN)
			buf_addf(&errs, "%s%s:%zu: the secret of %s is shorter "
			    "than %d characters", errs.b_len ? "; " : "", path,
			    lineno, w[0], API_SECRET_MIN);
		else {
			v = xreallocarray(v, n + 1, sizeof *v);
			v[n].at_name = xstrdup(w[0]);
			v[n].at_admin = strcmp(w[1], "admin") == 0;
			hash_buffer("sha256", w[2], strlen(w[2]), v[n].at_hash);
			for (i = 0; i < n; i++) {
				if (strcmp(v[i].at_name, w[0]) == 0)
					buf_addf(&errs, "%s%s:%zu: token %s is "
					    "named twice", errs.b_len ? "; " : "",
					    path, lineno, w[0]);
				else if (strcmp(v[i].at_hash, v[n].at_hash) == 0)
					buf_addf(&errs, "%s%s:%zu: token %s has "
					    "the secret of %s", errs.b_len ? "; " :
					    "", path, lineno, w[0], v[i].at_name);
			}
			n++;
		}
		words_free(w);
	}
	free(data);
	if (errs.b_len > 0) {
		buf_add(&errs, "", 1);
		cause_set(cause, "%s", errs.b_data);
		buf_free(&errs);
		api_tokens_free(v, n);
		return -1;
	}
	buf_free(&errs);
	*vp = v;
	*np = n;
	return 0;
}

/* Compares two hex digests in a time that does not depend on where they differ. */
static int
api_hash_eq(const char *a, const char *b)
{
	size_t		 i, la = strlen(a), lb = strlen(b);
	unsigned char	 d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/*
 * The token of req's "Authorization: Bearer SECRET"; NULL with *sent set
 * when one was sent that is no token.
 */
static const struct api_token *
api_token_of(struct api *ap, struct evhttp_request *req, int *sent)
{
	const char	*h;
	char		 hex[HASH_HEX_MAX];
	size_t		 i;
	const struct api_token *found = NULL;

	*sent = 0;
	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL)
		return NULL;
	*sent = 1;
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	for (h += 7; *h == ' '; h++)
		;
	if (*h == '\0' || hash_buffer("sha256", h, strlen(h), hex) == -1)
		return NULL;
	for (i = 0; i < ap->ap_ntokens; i++) {
		if (api_hash_eq(ap->ap_tokens[i].at_hash, hex))
			found = &ap->ap_tokens[i];
	}
	return found;
}

/* Whether the client of req is inside one of [server] admin-allow. */
static int
api_client_allowed(struct config *cf, struct evhttp_request *req)
{
	static char	*loopback[] = { "127.0.0.0/8", "::1", NULL };
	struct conf_cidr c, a;
	char		**list = cf->cf_admin_allow != NULL ? cf->cf_admin_allow :
			    loopback;
	const char	*client = server_client(req);
	size_t		 i, full, len;
	unsigned char	 mask;

	if (conf_cidr_parse(client, &a) != 0)
		return 0;
	/* ::ffff:10.1.2.3 is 10.1.2.3. */
	if (a.cc_family == AF_INET6 && memcmp(a.cc_addr,
	    "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(a.cc_addr, a.cc_addr + 12, 4);
		a.cc_family = AF_INET;
	}
	for (i = 0; list[i] != NULL; i++) {
		if (conf_cidr_parse(list[i], &c) != 0 ||
		    c.cc_family != a.cc_family)
			continue;
		full = c.cc_bits / 8;
		len = c.cc_family == AF_INET ? 4 : 16;
		if (memcmp(c.cc_addr, a.cc_addr, full) != 0)
			continue;
		if (full < len && c.cc_bits % 8 != 0) {
			mask = 0xff << (8 - c.cc_bits % 8);
			if ((c.cc_addr[full] & mask) != (a.cc_addr[full] & mask))
				continue;
		}
		return 1;
	}
	return 0;
}

int
api_admin_ok(struct proxy *px, struct evhttp_request *req)
{
	int	sent;

	if (api_client_allowed(px->px_conf, req))
		return 1;
	return px->px_api != NULL && api_token_of(px->px_api, req, &sent) !=
	    NULL;
}

/* --- answers ------------------------------------------------------------------ */

/* Answers req with j (which this frees), compact, one line. */
static void
api_reply_json(struct evhttp_request *req, int code, json_t *j)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*b;
	char			*text;

	text = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) :
	    NULL;
	json_decref(j);
	if (text == NULL || (b = evbuffer_new()) == NULL) {
		free(text);
		server_error(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(out, "Content-Type", "application/json");
	evhttp_add_header(out, "Cache-Control", "no-store");
	if (evbuffer_add_printf(b, "%s\n", text) == -1) {
		evbuffer_free(b);
		free(text);
		server_error(req, 500, "out of memory");
		return;
	}
	free(text);
	server_reply(req, code, evhttp_request_get_command(req) ==
	    EVHTTP_REQ_HEAD ? NULL : b);
	evbuffer_free(b);
}

/* {"error": "...", "status": code} */
static void __attribute__((format(printf, 3, 4)))
api_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		server_error(req, 500, "out of memory");
		return;
	}
	if (code == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer realm=\"patchgate\"");
	api_reply_json(req, code, json_pack("{s:s,s:i}", "error", msg,
	    "status", code));
	free(msg);
}

/* One JSON line per change: time, token, client, method, path, body, status. */
static void
api_audit(struct api *ap, const char *token, const char *client,
    const char *method, const char *uri, const char *body, int code)
{
	struct config	*cf = ap->ap_px->px_conf;
	json_t		*j;
	char		*dir, *path, *line, tbuf[32];
	int		 fd;

	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:i}", "time",
	    time_format(time(NULL), tbuf, sizeof tbuf), "token", token,
	    "client", client, "method", method, "path", uri, "body", body,
	    "status", code);
	if (j == NULL)
		return;
	line = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	if (line == NULL)
		return;
	if (asprintf(&dir, "%s/log", cf->cf_store) == -1) {
		free(line);
		return;
	}
	if (asprintf(&path, "%s/audit.log", dir) == -1) {
		free(dir);
		free(line);
		return;
	}
	if (mkdir_p(dir, 0755) == -1 || (fd = open(path, O_WRONLY | O_APPEND |
	    O_CREAT | O_CLOEXEC, 0600)) == -1)
		log_warn("%s: the change is not audited: %s %s by %s", path,
		    method, uri, token);
	else {
		if (dprintf(fd, "%s\n", line) < 0)
			log_warn("%s", path);
		close(fd);
	}
	free(path);
	free(dir);
	free(line);
}

/* --- children ------------------------------------------------------------------ */

static void
api_job_free(struct api_job *aj)
{
	if (aj->aj_out != NULL)
		bufferevent_free(aj->aj_out);
	if (aj->aj_err != NULL)
		bufferevent_free(aj->aj_err);
	if (aj->aj_timer != NULL)
		event_free(aj->aj_timer);
	free(aj->aj_token);
	free(aj->aj_audit_body);
	free(aj->aj_arg1);
	free(aj->aj_arg2);
	free(aj);
}

static void
api_job_read(struct bufferevent *bev, void *arg)
{
	struct api_job	*aj = arg;

	if (evbuffer_get_length(bufferevent_get_input(bev)) > API_OUTPUT_MAX &&
	    !aj->aj_killed) {
		log_warnx("api: pid %ld: more than %d bytes of output; killing "
		    "it", (long)aj->aj_pid, API_OUTPUT_MAX);
		kill(aj->aj_pid, SIGKILL);
		aj->aj_killed = 2;
		bufferevent_disable(bev, EV_READ);
	}
}

static void
api_job_event(struct bufferevent *bev, short what, void *arg)
{
	struct api_job	*aj = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	bufferevent_disable(bev, EV_READ);
	if (bev == aj->aj_out)
		aj->aj_out_eof = 1;
	else
		aj->aj_err_eof = 1;
	if (aj->aj_reaped && aj->aj_out_eof && aj->aj_err_eof)
		api_job_end(aj);
}

static void
api_job_timer(evutil_socket_t fd, short events, void *arg)
{
	struct api_job	*aj = arg;
	struct timeval	 tv = { API_KILL_GRACE, 0 };

	if (aj->aj_reaped) {
		api_job_end(aj);	/* a grandchild holds the output */
		return;
	}
	log_warnx("api: pid %ld: running for more than %ds; %s",
	    (long)aj->aj_pid, API_JOB_TIMEOUT, aj->aj_killed ? "killing it" :
	    "stopping it");
	kill(aj->aj_pid, aj->aj_killed ? SIGKILL : SIGTERM);
	aj->aj_killed++;
	evtimer_add(aj->aj_timer, &tv);
}

static void
api_sigchld(evutil_socket_t sig, short events, void *arg)
{
	struct api	*ap = arg;
	struct api_job	*aj, *next;
	struct timeval	 tv = { API_DRAIN, 0 };
	pid_t		 pid;
	int		 status;

	for (aj = TAILQ_FIRST(&ap->ap_jobs); aj != NULL; aj = next) {
		next = TAILQ_NEXT(aj, aj_entry);
		if (aj->aj_reaped)
			continue;
		while ((pid = waitpid(aj->aj_pid, &status, WNOHANG)) == -1 &&
		    errno == EINTR)
			;
		if (pid != aj->aj_pid)
			continue;
		aj->aj_reaped = 1;
		aj->aj_status = status;
		if (aj->aj_out_eof && aj->aj_err_eof)
			api_job_end(aj);
		else {
			evtimer_del(aj->aj_timer);
			evtimer_add(aj->aj_timer, &tv);
		}
	}
}

static void
api_client_closed(struct evhttp_connection *evcon, void *arg)
{
	struct api_job	*aj = arg;

	aj->aj_gone = 1;
}

/* The child's stderr as one message: its lines, trimmed, at most a few KB. */
static char *
api_job_stderr(struct api_job *aj)
{
	struct evbuffer	*b = bufferevent_get_input(aj->aj_err);
	size_t		 len = evbuffer_get_length(b), i, j;
	char		*s;

	if (len > API_ERROR_MAX)
		evbuffer_drain(b, len - API_ERROR_MAX);
	len = evbuffer_get_length(b);
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	evbuffer_remove(b, s, len);
	for (i = j = 0; i < len; i++) {
		if (s[i] == '\n' || s[i] == '\r')
			s[j++] = (i + 1 < len) ? ' ' : '\0';
		else if ((unsigned char)s[i] >= 0x20 || s[i] == '\t')
			s[j++] = s[i];
	}
	s[j] = '\0';
	while (j > 0 && s[j - 1] == ' ')
		s[--j] = '\0';
	return s;
}

/* The one place a job ends: its result is handed to its done function. */
static void
api_job_end(struct api_job *aj)
{
	struct api		*ap = aj->aj_api;
	struct evhttp_request	*req = aj->aj_req;
	struct evhttp_connection *evcon;
	struct evbuffer		*out;
	json_error_t		 jerr;
	json_t			*j = NULL;
	char			*err, *line;
	int			 code = -1;

	TAILQ_REMOVE(&ap->ap_jobs, aj, aj_entry);
	ap->ap_njobs--;
	if (aj->aj_reaped && WIFEXITED(aj->aj_status))
		code = WEXITSTATUS(aj->aj_status);
	evcon = evhttp_request_get_connection(req);
	if (evcon != NULL)
		evhttp_connection_set_closecb(evcon, NULL, NULL);
	if (aj->aj_gone && evcon == NULL) {
		log_info("api: %s: the client went away (exit %d)",
		    evhttp_request_get_uri(req), code);
		if (aj->aj_change)
			api_audit(ap, aj->aj_token, "-", server_method(req),
			    evhttp_request_get_uri(req), aj->aj_audit_body, 499);
		evhttp_request_free(req);
		api_job_free(aj);
		return;
	}
	err = api_job_stderr(aj);
	/* No output channel (it could not be made): no answer to relay. */
	out = aj->aj_out != NULL ? bufferevent_get_input(aj->aj_out) : NULL;
	if (out == NULL && code == 0)
		code = -1;
	if (code == 0 && aj->aj_json) {
		j = json_loadb((const char *)evbuffer_pullup(out, -1),
		    evbuffer_get_length(out), 0, &jerr);
		if (j == NULL) {
			log_warnx("api: %s: the command's output is no JSON: "
			    "%s", evhttp_request_get_uri(req), jerr.text);
			code = -2;
		}
	} else if (code == 0 && !aj->aj_raw) {
		/* Text: its lines, as an array. */
		j = json_array();
		while ((line = evbuffer_readln(out, NULL,
		    EVBUFFER_EOL_LF)) != NULL) {
			json_array_append_new(j, json_string(line));
			free(line);
		}
	}
	if (code == -1 && aj->aj_killed)
		log_warnx("api: %s: the command was killed",
		    evhttp_request_get_uri(req));
	aj->aj_done(aj, code, j, err != NULL ? err : "");
	json_decref(j);
	free(err);
	api_job_free(aj);
}

/*
 * Runs patchgate -c CONF args... for req; done answers it.  Returns the job
 * (to set its arguments), or NULL after answering req itself.
 */
static struct api_job *
api_run(struct api_call *ac, char **args, int json, api_done_fn done)
{
	struct api	*ap = ac->ac_api;
	struct sched	*sc = ap->ap_px->px_sched;
	struct api_job	*aj;
	struct timeval	 tv = { API_JOB_TIMEOUT, 0 };
	char		*argv[16];
	int		 so[2] = { -1, -1 }, se[2] = { -1, -1 }, rc;
	size_t		 n = 0, i;
	extern char	**environ;

	if (ap->ap_njobs >= API_JOBS_MAX) {
		evhttp_add_header(evhttp_request_get_output_headers(ac->ac_req),
		    "Retry-After", "5");
		api_error(ac->ac_req, 503, "%d API commands are running; try "
		    "again", API_JOBS_MAX);
		return NULL;
	}
	argv[n++] = (char *)sched_bin(sc);
	argv[n++] = "-c";
	argv[n++] = (char *)sched_conf_path(sc);
	for (i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	if ((aj = calloc(1, sizeof *aj)) == NULL) {
		api_error(ac->ac_req, 500, "out of memory");
		return NULL;
	}
	aj->aj_api = ap;
	aj->aj_req = ac->ac_req;
	aj->aj_json = json;
	aj->aj_done = done;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, so) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, se) == -1) {
		log_warn("api: socketpair");
		goto fail;
	}
	if ((rc = child_spawn(argv[0], argv, environ, so[1], se[1],
	    &aj->aj_pid)) != 0) {
		log_warnx("api: cannot run %s: %s", argv[0], strerror(rc));
		goto fail;
	}
	close(so[1]);
	close(se[1]);
	so[1] = se[1] = -1;
	evutil_make_socket_nonblocking(so[0]);
	evutil_make_socket_nonblocking(se[0]);
	TAILQ_INSERT_TAIL(&ap->ap_jobs, aj, aj_entry);
	ap->ap_njobs++;
	aj->aj_out = bufferevent_socket_new(ap->ap_px->px_base, so[0],
	    BEV_OPT_CLOSE_ON_FREE);
	if (aj->aj_out == NULL)
		close(so[0]);
	aj->aj_err = bufferevent_socket_new(ap->ap_px->px_base, se[0],
	    BEV_OPT_CLOSE_ON_FREE);
	if (aj->aj_err == NULL)
		close(se[0]);
	aj->aj_timer = evtimer_new(ap->ap_px->px_base, api_job_timer, aj);
	if (aj->aj_out == NULL || aj->aj_err == NULL || aj->aj_timer == NULL) {
		/* Reaped and answered by api_sigchld after the kill. */
		log_warnx("api: out of memory; stopping pid %ld",
		    (long)aj->aj_pid);
		kill(aj->aj_pid, SIGKILL);
		aj->aj_out_eof = aj->aj_err_eof = 1;
		if (aj->aj_out != NULL)
			bufferevent_disable(aj->aj_out, EV_READ);
		if (aj->aj_err != NULL)
			bufferevent_disable(aj->aj_err, EV_READ);
		return aj;
	}
	bufferevent_setcb(aj->aj_out, api_job_read, NULL, api_job_event, aj);
	bufferevent_setcb(aj->aj_err, api_job_read, NULL, api_job_event, aj);
	bufferevent_enable(aj->aj_out, EV_READ);
	bufferevent_enable(aj->aj_err, EV_READ);
	evtimer_add(aj->aj_timer, &tv);
	evhttp_connection_set_closecb(evhttp_request_get_connection(ac->ac_req),
	    api_client_closed, aj);
	log_debug("api: %s: pid %ld runs %s", ac->ac_path, (long)aj->aj_pid,
	    args[0]);
	return aj;
fail:
	for (i = 0; i < 2; i++) {
		if (so[i] != -1)
			close(so[i]);
		if (se[i] != -1)
			close(se[i]);
	}
	free(aj);
	api_error(ac->ac_req, 500, "cannot run %s (see the daemon's log)",
	    argv[0]);
	return NULL;
}

/* The HTTP status of a command's exit: 1 names what is not there, 2 misuse. */
static int
api_exit_status(struct evhttp_request *req, int exitcode)
{
	enum evhttp_cmd_type	cmd = evhttp_request_get_command(req);

	switch (exitcode) {
	case 0:
		return cmd == EVHTTP_REQ_POST ? 201 : 200;
	case 1:
		return cmd == EVHTTP_REQ_POST ? 400 : 404;
	case 2:
		return 400;
	default:
		return 500;
	}
}

/* Answers a job that failed; 0 when it did not. */
static int
api_job_failed(struct api_job *aj, int exitcode, const char *err)
{
	int	status;

	if (exitcode == 0)
		return 0;
	status = api_exit_status(aj->aj_req, exitcode);
	if (exitcode < 0)
		status = 500;
	/* Audit first: answering may free the request. */
	if (aj->aj_change)
		api_audit(aj->aj_api, aj->aj_token, server_client(aj->aj_req),
		    server_method(aj->aj_req), evhttp_request_get_uri(aj->aj_req),
		    aj->aj_audit_body, status);
	if (exitcode == -2)
		api_error(aj->aj_req, 500, "the command's output is no JSON "
		    "(see the daemon's log)");
	else if (exitcode < 0)
		api_error(aj->aj_req, 500, "the command did not finish%s%s",
		    *err != '\0' ? ": " : "", err);
	else
		api_error(aj->aj_req, status, "%s", *err != '\0' ? err :
		    "the command failed");
	return 1;
}

static void
api_answer(struct api_job *aj, int status, json_t *j)
{
	if (aj->aj_change)
		api_audit(aj->aj_api, aj->aj_token, server_client(aj->aj_req),
		    server_method(aj->aj_req), evhttp_request_get_uri(aj->aj_req),
		    aj->aj_audit_body, status);
	api_reply_json(aj->aj_req, status, j);
}

/* The command's JSON, as it is. */
static void
api_done_relay(struct api_job *aj, int exitcode, json_t *out, const char *err)
{
	if (api_job_failed(aj, exitcode, err))
		return;
	api_answer(aj, api_exit_status(aj->aj_req, 0), json_incref(out));
}

/* One member of status --json: aj_arg1 names it. */
static void
api_done_member(struct api_job *aj, int exitcode, json_t *out, const char *err)
{
	json_t	*m;

	if (api_job_failed(aj, exitcode, err))
		return;
	if ((m = json_object_get(out, aj->aj_arg1)) == NULL) {
		api_error(aj->aj_req, 500, "status --json has no %s",
		    aj->aj_arg1);
		return;
	}
	api_answer(aj, 200, json_incref(m));
}

/* GET groups: each group of the configuration with its views in status. */
static void
api_done_groups(struct api_job *aj, int exitcode, json_t *out, const char *err)
{
	struct config	*cf = aj->aj_api->ap_px->px_conf;
	struct group	*gr;
	json_t		*a, *g, *ms, *vs, *v;
	size_t		 i;

	if (api_job_failed(aj, exitcode, err))
		return;
	a = json_array();
	TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
		ms = json_array();
		for (i = 0; i < gr->gr_nmirrors; i++)
			json_array_append_new(ms,
			    json_string(gr->gr_mirror_names[i]));
		vs = json_array();
		json_array_foreach(json_object_get(out, "views"), i, v) {
			if (json_is_string(json_object_get(v, "group")) &&
			    strcmp(json_string_value(json_object_get(v, "group")),
			    gr->gr_name) == 0)
				json_array_append(vs, v);
		}
		g = json_pack("{s:s,s:s,s:o,s:i,s:o}", "name", gr->gr_name,
		    "baseline", gr->gr_baseline_name, "mirrors", ms, "windows",
		    (int)gr->gr_nwindows, "views", vs);
		json_array_append_new(a, g);
	}
	api_answer(aj, 200, a);
}

/* POST holds, second step: the hold as status lists it. */
static void
api_done_hold_status(struct api_job *aj, int exitcode, json_t *out,
    const char *err)
{
	json_t		*h;
	const char	*g;
	size_t		 i;

	if (api_job_failed(aj, exitcode, err))
		return;
	json_array_foreach(json_object_get(out, "holds"), i, h) {
		g = json_string_value(json_object_get(h, "group"));
		if (strcmp(json_string_value(json_object_get(h, "pattern")) ?
		    json_string_value(json_object_get(h, "pattern")) : "",
		    aj->aj_arg1) == 0 && ((g == NULL && aj->aj_arg2 == NULL) ||
		    (g != NULL && aj->aj_arg2 != NULL &&
		    strcmp(g, aj->aj_arg2) == 0))) {
			api_answer(aj, 201, json_incref(h));
			return;
		}
	}
	api_answer(aj, 201, json_pack("{s:s,s:s?}", "pattern", aj->aj_arg1,
	    "group", aj->aj_arg2));
}

/* POST holds, first step done: ask status for the hold it recorded. */
static void
api_done_hold(struct api_job *aj, int exitcode, json_t *out, const char *err)
{
	struct api_call	 ac;
	struct api_job	*next;
	char		*args[] = { "status", "--json", NULL };

	if (api_job_failed(aj, exitcode, err))
		return;
	memset(&ac, 0, sizeof ac);
	ac.ac_api = aj->aj_api;
	ac.ac_req = aj->aj_req;
	ac.ac_path = "holds";
	/* The change is made: the audit says so whatever status answers. */
	api_audit(aj->aj_api, aj->aj_token, server_client(aj->aj_req),
	    server_method(aj->aj_req), evhttp_request_get_uri(aj->aj_req),
	    aj->aj_audit_body, 201);
	if ((next = api_run(&ac, args, 1, api_done_hold_status)) == NULL)
		return;
	next->aj_arg1 = aj->aj_arg1;
	next->aj_arg2 = aj->aj_arg2;
	aj->aj_arg1 = aj->aj_arg2 = NULL;
}

/* DELETE holds/PATTERN and snapshots/NAME: what the command said. */
static void
api_done_deleted(struct api_job *aj, int exitcode, json_t *out,
    const char *err)
{
	json_t	*j;

	if (api_job_failed(aj, exitcode, err))
		return;
	j = json_pack("{s:s,s:b,s:O}", aj->aj_what, aj->aj_arg1, "deleted", 1,
	    "output", out);
	/* unhold's group: null is every group; a snapshot has none to say. */
	if (j != NULL && strcmp(aj->aj_what, "pattern") == 0)
		json_object_set_new(j, "group", aj->aj_arg2 != NULL ?
		    json_string(aj->aj_arg2) : json_null());
	api_answer(aj, 200, j);
}

/* --- calls ---------------------------------------------------------------------- */

static const char *
api_query(struct api_call *ac, const char *key)
{
	const char	*v = evhttp_find_header(&ac->ac_query, key);

	return v != NULL && *v != '\0' ? v : NULL;
}

/*
 * Whether v may be an operand of the CLI: no option ("-x"), no control
 * character.  Answers 400 naming what when not.
 */
static int
api_operand_ok(struct api_call *ac, const char *what, const char *v)
{
	const unsigned char	*p;

	if (v == NULL) {
		api_error(ac->ac_req, 400, "%s is required", what);
		return 0;
	}
	if (*v == '-' || *v == '\0') {
		api_error(ac->ac_req, 400, "%s: \"%s\" is not a name", what, v);
		return 0;
	}
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			api_error(ac->ac_req, 400, "%s: control characters "
			    "are not allowed", what);
			return 0;
		}
	}
	return 1;
}

/* A string field of a JSON body, or NULL; *bad when present but no string. */
static const char *
api_field(json_t *body, const char *key, int *bad)
{
	json_t	*v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/*
 * The request body as a JSON object whose members are all in allowed;
 * NULL after answering 400.  An empty body is an empty object.
 */
static json_t *
api_body(struct api_call *ac, const char *const *allowed)
{
	json_error_t	 jerr;
	json_t		*j, *v;
	const char	*key;
	size_t		 i;

	if (ac->ac_body == NULL || *ac->ac_body == '\0')
		return json_object();
	if ((j = json_loads(ac->ac_body, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		api_error(ac->ac_req, 400, "the body is no JSON: %s (line %d, "
		    "column %d)", jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		api_error(ac->ac_req, 400, "the body must be a JSON object");
		return NULL;
	}
	json_object_foreach(j, key, v) {
		for (i = 0; allowed[i] != NULL; i++) {
			if (strcmp(allowed[i], key) == 0)
				break;
		}
		if (allowed[i] == NULL) {
			api_error(ac->ac_req, 400, "unknown field \"%s\"", key);
			json_decref(j);
			return NULL;
		}
		if (!json_is_string(v) && !json_is_null(v)) {
			api_error(ac->ac_req, 400, "field \"%s\" must be a "
			    "string", key);
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

/* Sets what the audit log records of a change. */
static void
api_job_audit(struct api_job *aj, struct api_call *ac)
{
	aj->aj_change = 1;
	aj->aj_token = xstrdup(ac->ac_token->at_name);
	if (ac->ac_body != NULL && *ac->ac_body != '\0')
		aj->aj_audit_body = strndup(ac->ac_body, API_AUDIT_BODY_MAX);
}

static void
api_post_holds(struct api_call *ac)
{
	static const char *const allowed[] = { "pattern", "group", "reason",
	    "until", NULL };
	struct api_job	*aj;
	json_t		*b;
	const char	*pattern, *group, *reason, *until;
	char		*args[8], *og = NULL, *orr = NULL, *ou = NULL;
	int		 bad = 0, n = 0;

	if ((b = api_body(ac, allowed)) == NULL)
		return;
	pattern = api_field(b, "pattern", &bad);
	group = api_field(b, "group", &bad);
	reason = api_field(b, "reason", &bad);
	until = api_field(b, "until", &bad);
	if (reason == NULL || *reason == '\0') {
		api_error(ac->ac_req, 400, "reason is required: it is what "
		    "clients get in the 404 of a held file");
		goto out;
	}
	if (!api_operand_ok(ac, "pattern", pattern) || (group != NULL &&
	    !api_operand_ok(ac, "group", group)) || (until != NULL &&
	    !api_operand_ok(ac, "until", until)))
		goto out;
	if (strchr(reason, '\n') != NULL || strchr(reason, '\r') != NULL) {
		api_error(ac->ac_req, 400, "reason: one line of text");
		goto out;
	}
	args[n++] = "hold";
	if (group != NULL && asprintf(&og, "--group=%s", group) != -1)
		args[n++] = og;
	if (asprintf(&orr, "--reason=%s", reason) != -1)
		args[n++] = orr;
	if (until != NULL && asprintf(&ou, "--until=%s", until) != -1)
		args[n++] = ou;
	args[n++] = (char *)pattern;
	args[n] = NULL;
	if ((aj = api_run(ac, args, 0, api_done_hold)) != NULL) {
		api_job_audit(aj, ac);
		aj->aj_arg1 = xstrdup(pattern);
		aj->aj_arg2 = group != NULL ? xstrdup(group) : NULL;
	}
out:
	free(og);
	free(orr);
	free(ou);
	json_decref(b);
}

static void
api_post_snapshots(struct api_call *ac)
{
	static const char *const allowed[] = { "name", "group", "mirror", NULL };
	struct api_job	*aj;
	json_t		*b;
	const char	*name, *group, *mirror;
	char		*args[8], *og = NULL, *om = NULL;
	int		 bad = 0, n = 0;

	if ((b = api_body(ac, allowed)) == NULL)
		return;
	name = api_field(b, "name", &bad);
	group = api_field(b, "group", &bad);
	mirror = api_field(b, "mirror", &bad);
	if (!api_operand_ok(ac, "name", name) ||
	    !api_operand_ok(ac, "group", group) ||
	    (mirror != NULL && !api_operand_ok(ac, "mirror", mirror)))
		goto out;
	args[n++] = "snapshot";
	args[n++] = "create";
	args[n++] = (char *)name;
	if (asprintf(&og, "--group=%s", group) != -1)
		args[n++] = og;
	if (mirror != NULL && asprintf(&om, "--mirror=%s", mirror) != -1)
		args[n++] = om;
	args[n++] = "--json";
	args[n] = NULL;
	if ((aj = api_run(ac, args, 1, api_done_relay)) != NULL)
		api_job_audit(aj, ac);
out:
	free(og);
	free(om);
	json_decref(b);
}

/*
 * POST previews {"group": G, "at": RFC 3339, "mirror": optional}: publishes
 * the view G will have at that time under /_preview/G/AT/MIRROR/, as
 * "patchgate preview --publish" does.
 */
static void
api_post_previews(struct api_call *ac)
{
	static const char *const allowed[] = { "group", "at", "mirror", NULL };
	struct api_job	*aj;
	json_t		*b;
	const char	*group, *at, *mirror;
	char		*args[8], *oat = NULL;
	int		 bad = 0, n = 0;

	if ((b = api_body(ac, allowed)) == NULL)
		return;
	group = api_field(b, "group", &bad);
	at = api_field(b, "at", &bad);
	mirror = api_field(b, "mirror", &bad);
	if (!api_operand_ok(ac, "group", group) ||
	    !api_operand_ok(ac, "at (an RFC 3339 time)", at) ||
	    (mirror != NULL && !api_operand_ok(ac, "mirror", mirror)))
		goto out;
	if (asprintf(&oat, "--at=%s", at) == -1) {
		api_error(ac->ac_req, 500, "out of memory");
		goto out;
	}
	args[n++] = "preview";
	args[n++] = "--publish";
	args[n++] = "--json";
	args[n++] = (char *)group;
	args[n++] = oat;
	if (mirror != NULL)
		args[n++] = (char *)mirror;
	args[n] = NULL;
	if ((aj = api_run(ac, args, 1, api_done_relay)) != NULL)
		api_job_audit(aj, ac);
out:
	free(oat);
	json_decref(b);
}

static void
api_post_sync(struct api_call *ac)
{
	static const char *const allowed[] = { "mirror", NULL };
	struct config	*cf = ac->ac_api->ap_px->px_conf;
	json_t		*b;
	const char	*mirror;
	char		*id = NULL, *cause = NULL;
	int		 bad = 0;

	if ((b = api_body(ac, allowed)) == NULL)
		return;
	mirror = api_field(b, "mirror", &bad);
	if (mirror != NULL && config_find_mirror(cf, mirror) == NULL) {
		api_audit(ac->ac_api, ac->ac_token->at_name,
		    server_client(ac->ac_req), ac->ac_method,
		    evhttp_request_get_uri(ac->ac_req), ac->ac_body, 400);
		api_error(ac->ac_req, 400, "no such mirror: %s", mirror);
		json_decref(b);
		return;
	}
	if (sched_sync_now(ac->ac_api->ap_px->px_sched, mirror, &id,
	    &cause) != 0) {
		api_audit(ac->ac_api, ac->ac_token->at_name,
		    server_client(ac->ac_req), ac->ac_method,
		    evhttp_request_get_uri(ac->ac_req), ac->ac_body, 409);
		api_error(ac->ac_req, 409, "%s", cause);
		free(cause);
		json_decref(b);
		return;
	}
	api_audit(ac->ac_api, ac->ac_token->at_name, server_client(ac->ac_req),
	    ac->ac_method, evhttp_request_get_uri(ac->ac_req), ac->ac_body, 202);
	api_reply_json(ac->ac_req, 202, json_pack("{s:s,s:s,s:s}", "id", id,
	    "kind", "sync", "target", mirror != NULL ? mirror : "all"));
	free(id);
	json_decref(b);
}

static void
api_delete(struct api_call *ac, const char *what, const char *name)
{
	struct api_job	*aj;
	const char	*group = api_query(ac, "group");
	char		*args[6], *og = NULL;
	int		 n = 0;

	if (!api_operand_ok(ac, what, name) || (group != NULL &&
	    !api_operand_ok(ac, "group", group)))
		return;
	if (strcmp(what, "pattern") == 0) {
		args[n++] = "unhold";
		if (group != NULL && asprintf(&og, "--group=%s", group) != -1)
			args[n++] = og;
	} else {
		args[n++] = "snapshot";
		args[n++] = "delete";
		group = NULL;
	}
	args[n++] = (char *)name;
	args[n] = NULL;
	if ((aj = api_run(ac, args, 0, api_done_deleted)) != NULL) {
		api_job_audit(aj, ac);
		aj->aj_what = what;
		aj->aj_arg1 = xstrdup(name);
		aj->aj_arg2 = group != NULL ? xstrdup(group) : NULL;
	}
	free(og);
}

/* GET: the CLI command that answers resource, with the query's operands. */
static void
api_get(struct api_call *ac)
{
	struct api_job	*aj;
	const char	*res = ac->ac_res, *g, *m, *p, *a, *b, *at, *last, *h;
	char		*args[10], *oat = NULL, *olast = NULL, *ohost = NULL;
	api_done_fn	 done = api_done_relay;
	const char	*member = NULL;
	int		 n = 0;

	if (strcmp(res, "status") == 0 || strcmp(res, "mirrors") == 0 ||
	    strcmp(res, "holds") == 0 || strcmp(res, "views") == 0 ||
	    strcmp(res, "groups") == 0) {
		args[n++] = "status";
		args[n++] = "--json";
		if (strcmp(res, "groups") == 0)
			done = api_done_groups;
		else if (strcmp(res, "status") != 0) {
			done = api_done_member;
			member = res;
		}
	} else if (strcmp(res, "why") == 0) {
		g = api_query(ac, "group");
		m = api_query(ac, "mirror");
		p = api_query(ac, "package");
		if (!api_operand_ok(ac, "group", g) ||
		    !api_operand_ok(ac, "mirror", m) ||
		    !api_operand_ok(ac, "package", p))
			return;
		args[n++] = "why";
		args[n++] = "--json";
		args[n++] = (char *)g;
		args[n++] = (char *)m;
		args[n++] = (char *)p;
	} else if (strcmp(res, "diff") == 0) {
		a = api_query(ac, "a");
		b = api_query(ac, "b");
		m = api_query(ac, "mirror");
		if (!api_operand_ok(ac, "a (a group)", a) ||
		    !api_operand_ok(ac, "b (a group)", b) ||
		    (m != NULL && !api_operand_ok(ac, "mirror", m)))
			return;
		args[n++] = "diff";
		args[n++] = "--json";
		args[n++] = (char *)a;
		args[n++] = (char *)b;
		if (m != NULL)
			args[n++] = (char *)m;
	} else if (strcmp(res, "preview") == 0) {
		g = api_query(ac, "group");
		at = api_query(ac, "at");
		m = api_query(ac, "mirror");
		if (!api_operand_ok(ac, "group", g) ||
		    !api_operand_ok(ac, "at (an RFC 3339 time)", at) ||
		    (m != NULL && !api_operand_ok(ac, "mirror", m)))
			return;
		if (asprintf(&oat, "--at=%s", at) == -1) {
			api_error(ac->ac_req, 500, "out of memory");
			return;
		}
		args[n++] = "preview";
		args[n++] = "--json";
		args[n++] = (char *)g;
		args[n++] = oat;
		if (m != NULL)
			args[n++] = (char *)m;
	} else if (strcmp(res, "snapshots") == 0) {
		args[n++] = "snapshot";
		args[n++] = "list";
		args[n++] = "--json";
	} else if (strcmp(res, "compliance") == 0) {
		g = api_query(ac, "group");
		h = api_query(ac, "host");
		if ((g != NULL && !api_operand_ok(ac, "group", g)) ||
		    (h != NULL && !api_operand_ok(ac, "host", h)))
			return;
		if (h != NULL && asprintf(&ohost, "--host=%s", h) == -1) {
			api_error(ac->ac_req, 500, "out of memory");
			return;
		}
		args[n++] = "compliance";
		args[n++] = "--json";
		if (ohost != NULL)
			args[n++] = ohost;
		if (g != NULL)
			args[n++] = (char *)g;
	} else if (strcmp(res, "log") == 0) {
		m = api_query(ac, "mirror");
		last = api_query(ac, "last");
		if (m != NULL && !api_operand_ok(ac, "mirror", m))
			return;
		if (last != NULL && (strspn(last, "0123456789") !=
		    strlen(last) || strlen(last) > 6)) {
			api_error(ac->ac_req, 400, "last: \"%s\" is not a "
			    "number of runs", last);
			return;
		}
		args[n++] = "log";
		if (m != NULL)
			args[n++] = (char *)m;
		if (last != NULL && asprintf(&olast, "--last=%s", last) != -1)
			args[n++] = olast;
		args[n++] = "--json";
	} else {
		api_error(ac->ac_req, 404, "%s: no such resource (status, "
		    "mirrors, groups, views, holds, why, diff, preview, "
		    "snapshots, log, compliance)", ac->ac_path);
		return;
	}
	args[n] = NULL;
	if ((aj = api_run(ac, args, 1, done)) != NULL && member != NULL)
		aj->aj_arg1 = xstrdup(member);
	free(oat);
	free(olast);
	free(ohost);
}

static void
api_dispatch(struct api_call *ac)
{
	const char	*res = ac->ac_res;
	int		 change;

	change = ac->ac_cmd != EVHTTP_REQ_GET && ac->ac_cmd != EVHTTP_REQ_HEAD;
	if (change && !ac->ac_token->at_admin) {
		/* Audit first: answering may free the request. */
		api_audit(ac->ac_api, ac->ac_token->at_name,
		    server_client(ac->ac_req), ac->ac_method,
		    evhttp_request_get_uri(ac->ac_req), ac->ac_body, 403);
		api_error(ac->ac_req, 403, "token %s has the role read; %s "
		    "needs an admin token", ac->ac_token->at_name,
		    ac->ac_method);
		return;
	}
	switch (ac->ac_cmd) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		api_get(ac);
		return;
	case EVHTTP_REQ_POST:
		if (strcmp(res, "holds") == 0)
			api_post_holds(ac);
		else if (strcmp(res, "snapshots") == 0)
			api_post_snapshots(ac);
		else if (strcmp(res, "previews") == 0)
			api_post_previews(ac);
		else if (strcmp(res, "sync") == 0)
			api_post_sync(ac);
		else
			break;
		return;
	case EVHTTP_REQ_DELETE:
		if (strncmp(res, "holds/", 6) == 0)
			api_delete(ac, "pattern", res + 6);
		else if (strncmp(res, "snapshots/", 10) == 0)
			api_delete(ac, "name", res + 10);
		else
			break;
		return;
	default:
		break;
	}
	evhttp_add_header(evhttp_request_get_output_headers(ac->ac_req), "Allow",
	    strcmp(res, "holds") == 0 || strcmp(res, "snapshots") == 0 ?
	    "GET, HEAD, POST" : strcmp(res, "sync") == 0 ? "POST" :
	    strncmp(res, "holds/", 6) == 0 || strncmp(res, "snapshots/", 10) ==
	    0 ? "DELETE" : "GET, HEAD");
	api_error(ac->ac_req, 405, "%s %s: method not allowed", ac->ac_method,
	    ac->ac_path);
}

/* /_status: the page of "patchgate status --html" (status_page.c). */
static void
api_done_page(struct api_job *aj, int exitcode, json_t *out, const char *err)
{
	status_page_reply(aj->aj_req, exitcode, aj->aj_out != NULL ?
	    bufferevent_get_input(aj->aj_out) : NULL, err);
}

static void
api_status_page(struct api_call *ac)
{
	char		*args[] = { "status", "--html", NULL };
	struct api_job	*aj;

	if ((aj = api_run(ac, args, 0, api_done_page)) != NULL)
		aj->aj_raw = 1;
}

/* /metrics: Prometheus' text format. */
static void
api_metrics(struct api *ap, struct evhttp_request *req)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*b;

	if ((b = evbuffer_new()) == NULL || metrics_render(ap->ap_px, b) != 0) {
		if (b != NULL)
			evbuffer_free(b);
		server_error(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(out, "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(out, "Cache-Control", "no-store");
	server_reply(req, 200, evhttp_request_get_command(req) ==
	    EVHTTP_REQ_HEAD ? NULL : b);
	evbuffer_free(b);
}

int
api_request(struct proxy *px, struct evhttp_request *req)
{
	struct api		*ap = px->px_api;
	struct api_call		 ac;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path, *query;
	struct evbuffer		*in;
	size_t			 len;
	int			 sent, metrics, page;

	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (ap == NULL || path == NULL)
		return -1;
	metrics = strcmp(path, "/metrics") == 0;
	page = strcmp(path, "/_status") == 0;
	if (!metrics && !page && strcmp(path, API_PREFIX) != 0 &&
	    strncmp(path, API_PREFIX "/", sizeof API_PREFIX) != 0)
		return -1;

	memset(&ac, 0, sizeof ac);
	ac.ac_api = ap;
	ac.ac_req = req;
	ac.ac_cmd = evhttp_request_get_command(req);
	ac.ac_method = server_method(req);
	TAILQ_INIT(&ac.ac_query);
	ac.ac_token = api_token_of(ap, req, &sent);

	/* /metrics and /_status: open to admin-allow, or any token. */
	if (metrics || page) {
		if (ac.ac_cmd != EVHTTP_REQ_GET && ac.ac_cmd != EVHTTP_REQ_HEAD) {
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "Allow", "GET, HEAD");
			server_error(req, 405, "%s: method not allowed",
			    ac.ac_method);
		} else if (ac.ac_token == NULL && sent)
			api_error(req, 401, "the bearer token is not valid");
		else if (ac.ac_token == NULL &&
		    !api_client_allowed(px->px_conf, req))
			api_error(req, 401, "%s: %s is not in [server] "
			    "admin-allow; send a token (Authorization: Bearer)",
			    path, server_client(req));
		else if (metrics)
			api_metrics(ap, req);
		else {
			ac.ac_path = (char *)path;
			api_status_page(&ac);
		}
		return 0;
	}

	if (ac.ac_token == NULL) {
		if (ap->ap_ntokens == 0)
			api_error(req, 401, "the admin API has no tokens: set "
			    "[server] api-tokens");
		else
			api_error(req, 401, sent ? "the bearer token is not "
			    "valid" : "a token is required (Authorization: "
			    "Bearer SECRET)");
		return 0;
	}
	if ((ac.ac_path = evhttp_uridecode(path, 0, NULL)) == NULL) {
		api_error(req, 500, "out of memory");
		return 0;
	}
	ac.ac_res = ac.ac_path + strlen(API_PREFIX);
	while (*ac.ac_res == '/')
		ac.ac_res++;
	len = strlen(ac.ac_res);
	while (len > 0 && ac.ac_res[len - 1] == '/')
		ac.ac_res[--len] = '\0';
	if ((query = evhttp_uri_get_query(uri)) != NULL &&
	    evhttp_parse_query_str(query, &ac.ac_query) != 0) {
		api_error(req, 400, "bad query string");
		goto out;
	}
	in = evhttp_request_get_input_buffer(req);
	if ((len = evbuffer_get_length(in)) > 0) {
		if ((ac.ac_body = malloc(len + 1)) == NULL) {
			api_error(req, 500, "out of memory");
			goto out;
		}
		evbuffer_copyout(in, ac.ac_body, len);
		ac.ac_body[len] = '\0';
		if (strlen(ac.ac_body) != len) {
			api_error(req, 400, "the body holds a NUL byte");
			goto out;
		}
	}
	api_dispatch(&ac);
out:
	evhttp_clear_headers(&ac.ac_query);
	free(ac.ac_path);
	free(ac.ac_body);
	return 0;
}

/* --- life ---------------------------------------------------------------------- */

struct api *
api_new(struct proxy *px, char **cause)
{
	struct api	*ap;

	ap = xcalloc(1, sizeof *ap);
	ap->ap_px = px;
	TAILQ_INIT(&ap->ap_jobs);
	if (px->px_conf->cf_api_tokens != NULL &&
	    api_tokens_load(px->px_conf->cf_api_tokens, &ap->ap_tokens,
	    &ap->ap_ntokens, cause) != 0) {
		free(ap);
		return NULL;
	}
	/* sched.c reaps its run; this handler reaps the API's children. */
	if ((ap->ap_sigchld = evsignal_new(px->px_base, SIGCHLD, api_sigchld,
	    ap)) == NULL || evsignal_add(ap->ap_sigchld, NULL) == -1) {
		cause_set(cause, "admin API: cannot watch SIGCHLD");
		api_free(ap);
		return NULL;
	}
	metrics_init(px);
	if (ap->ap_ntokens > 0)
		log_info("admin API: %zu tokens from %s", ap->ap_ntokens,
		    px->px_conf->cf_api_tokens);
	return ap;
}

/* At shutdown: commands still running are stopped; their clients get no answer. */
void
api_free(struct api *ap)
{
	struct api_job	*aj;
	int		 status;

	if (ap == NULL)
		return;
	while ((aj = TAILQ_FIRST(&ap->ap_jobs)) != NULL) {
		TAILQ_REMOVE(&ap->ap_jobs, aj, aj_entry);
		if (!aj->aj_reaped) {
			kill(aj->aj_pid, SIGTERM);
			while (waitpid(aj->aj_pid, &status, 0) == -1 &&
			    errno == EINTR)
				;
		}
		api_job_free(aj);
	}
	if (ap->ap_sigchld != NULL)
		event_free(ap->ap_sigchld);
	api_tokens_free(ap->ap_tokens, ap->ap_ntokens);
	free(ap);
}

int
api_reload(struct api *ap, struct config *cf, char **cause)
{
	struct api_token	*v = NULL;
	size_t			 n = 0;

	if (ap == NULL)
		return 0;
	if (cf->cf_api_tokens != NULL &&
	    api_tokens_load(cf->cf_api_tokens, &v, &n, cause) != 0)
		return -1;
	api_tokens_free(ap->ap_tokens, ap->ap_ntokens);
	ap->ap_tokens = v;
	ap->ap_ntokens = n;
	return 0;
}
