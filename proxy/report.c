/*
 * POST /GROUP/_report/HOST: a machine's package inventory (inventory.h),
 * pushed by its package manager's hook or a timer with curl, kept for
 * "patchgate compliance" under STORE/reports/GROUP/HOST/: one file per
 * report, named by the time it came ("20260110T120000Z-00.report"), the
 * newest REPORT_HISTORY of them, and a symbolic link "latest" replaced
 * atomically.  A report is checked whole before anything is written, so a
 * bad one leaves the stored reports as they were.
 *
 * Reports are small (INVENTORY_MAX_BYTES at most, typically 100 KB): they
 * are parsed and written on the loop, with one fsync each.  Who may report
 * is who may read the group's view (allow, auth-file), or a machine that
 * sends the group's report-token as "Authorization: Bearer" (access.c);
 * the hooks carry the token when the machine fetched them with it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "clock.h"
#include "conf.h"
#include "inventory.h"
#include "log.h"
#include "proxy.h"

/* Reports kept per machine, the latest included. */
#define REPORT_HISTORY	10
/* Reports of one machine within one second, told apart by a counter. */
#define REPORT_SAME_SECOND	100

/* mkdir that tolerates an existing directory. */
static int
report_mkdir(const char *path)
{
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* Writes all of data to fd; -1 with errno. */
static int
report_write_all(int fd, const char *data, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= n;
	}
	return 0;
}

static int
report_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes all but the newest REPORT_HISTORY reports of dir. */
static void
report_prune(const char *dir)
{
	DIR		 *d;
	struct dirent	 *de;
	char		**names = NULL, **v, *path;
	size_t		  n = 0, size = 0, i, len;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 8 || strcmp(de->d_name + len - 7, ".report") != 0)
			continue;
		if (n == size) {
			size = size == 0 ? 16 : size * 2;
			if ((v = reallocarray(names, size, sizeof *v)) == NULL)
				goto out;
			names = v;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto out;
		n++;
	}
	if (n > REPORT_HISTORY) {
		qsort(names, n, sizeof *names, report_name_cmp);
		for (i = 0; i < n - REPORT_HISTORY; i++) {
			if (asprintf(&path, "%s/%s", dir, names[i]) == -1)
				break;
			if (unlink(path) == -1 && errno != ENOENT)
				log_warn("%s", path);
			free(path);
		}
	}
out:
	closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * Stores head and body as a new report in dir and points dir/latest at
 * it.  Returns 0, or -1 with *cause (caller-freed, may stay NULL when
 * memory failed).
 */
static int
report_store(const char *dir, time_t now, const char *head, size_t headlen,
    const char *body, size_t bodylen, char **cause)
{
	struct tm	 tm;
	char		 stamp[32], name[64], *path = NULL, *tmp = NULL;
	char		*lnk = NULL, *linktmp = NULL;
	int		 fd = -1, i, saved;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	if (asprintf(&tmp, "%s/.incoming.%ld", dir, (long)getpid()) == -1) {
		tmp = NULL;
		goto nomem;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || report_write_all(fd, head, headlen) == -1 ||
	    report_write_all(fd, body, bodylen) == -1 || fsync(fd) == -1) {
		saved = errno;
		if (asprintf(cause, "%s: %s", tmp, strerror(saved)) == -1)
			*cause = NULL;
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		saved = errno;
		if (asprintf(cause, "%s: %s", tmp, strerror(saved)) == -1)
			*cause = NULL;
		goto fail;
	}
	fd = -1;
	for (i = 0; i < REPORT_SAME_SECOND; i++) {
		snprintf(name, sizeof name, "%s-%02d.report", stamp, i);
		free(path);
		if (asprintf(&path, "%s/%s", dir, name) == -1) {
			path = NULL;
			goto nomem;
		}
		/* link() never replaces: an earlier report stays whole. */
		if (link(tmp, path) == 0)
			break;
		if (errno != EEXIST) {
			saved = errno;
			if (asprintf(cause, "%s: %s", path, strerror(saved)) == -1)
				*cause = NULL;
			goto fail;
		}
	}
	if (i == REPORT_SAME_SECOND) {
		if (asprintf(cause, "%s: %d reports within one second", dir,
		    REPORT_SAME_SECOND) == -1)
			*cause = NULL;
		goto fail;
	}
	unlink(tmp);
	if (asprintf(&lnk, "%s/latest", dir) == -1) {
		lnk = NULL;
		goto nomem;
	}
	if (asprintf(&linktmp, "%s/.latest.%ld", dir, (long)getpid()) == -1) {
		linktmp = NULL;
		goto nomem;
	}
	unlink(linktmp);
	if (symlink(name, linktmp) == -1 || rename(linktmp, lnk) == -1) {
		saved = errno;
		unlink(linktmp);
		if (asprintf(cause, "%s: %s", lnk, strerror(saved)) == -1)
			*cause = NULL;
		goto fail;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
		fd = -1;
	}
	report_prune(dir);
	free(path);
	free(tmp);
	free(lnk);
	free(linktmp);
	return 0;
nomem:
	*cause = NULL;
fail:
	if (fd != -1)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(path);
	free(tmp);
	free(lnk);
	free(linktmp);
	return -1;
}

/*
 * Makes STORE/reports/GROUP/HOST and returns its path (caller-freed), or
 * NULL after logging why.
 */
static char *
report_dir(const char *store, const char *group, const char *host)
{
	char	*dir;

	if (asprintf(&dir, "%s/reports/%s/%s", store, group, host) == -1) {
		log_warnx("out of memory");
		return NULL;
	}
	/* The three levels: STORE exists. */
	*strrchr(dir, '/') = '\0';
	*strrchr(dir, '/') = '\0';
	if (report_mkdir(dir) == -1)
		goto fail;
	dir[strlen(dir)] = '/';
	if (report_mkdir(dir) == -1)
		goto fail;
	dir[strlen(dir)] = '/';
	if (report_mkdir(dir) == -1)
		goto fail;
	return dir;
fail:
	log_warn("%s", dir);
	free(dir);
	return NULL;
}

/*
 * Answers a request whose path is /GROUP/_report/...; segs and nsegs
 * are the decoded path's segments.
 */
static void
report_post(struct proxy *px, struct evhttp_request *req, char **segs,
    size_t nsegs)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct evbuffer		*ok = NULL;
	struct inventory	*iv = NULL;
	struct group		*gr;
	const char		*host, *data;
	char			*cause = NULL, *dir = NULL, *head = NULL;
	char			 when[32];
	size_t			 len;
	time_t			 now;
	int			 headlen;

	if ((gr = config_find_group(px->px_conf, segs[0])) == NULL) {
		access_no_view(req);
		return;
	}
	/* The group's allow and auth-file, or its report token. */
	if (access_group(px, req, gr, ACCESS_REPORT) != 0)
		return;
	if (nsegs != 3) {
		server_error(req, 404, "/%s/_report/: reports are posted to "
		    "/%s/_report/HOSTNAME", gr->gr_name, gr->gr_name);
		return;
	}
	host = segs[2];
	if (!inventory_host_ok(host)) {
		server_error(req, 400, "\"%s\": not a host name (letters, "
		    "digits, '-', '_' and '.', at most %d)", host,
		    INVENTORY_MAX_FIELD);
		return;
	}
	len = evbuffer_get_length(in);
	if (len > INVENTORY_MAX_BYTES) {
		server_error(req, 413, "report of %s for group %s: %zu bytes; "
		    "a report has at most %d", host, gr->gr_name, len,
		    INVENTORY_MAX_BYTES);
		return;
	}
	if (len == 0) {
		server_error(req, 400, "report of %s for group %s: empty; post "
		    "the machine's package list (see /%s/MIRROR/_setup?hook=apt, "
		    "?hook=dnf or ?hook=timer)", host, gr->gr_name, gr->gr_name);
		return;
	}
	if ((data = (const char *)evbuffer_pullup(in, -1)) == NULL) {
		server_error(req, 500, "out of memory");
		return;
	}
	switch (inventory_parse(data, len, &iv, &cause)) {
	case INV_OK:
		break;
	case INV_TOO_LARGE:
		server_error(req, 413, "report of %s for group %s: %s", host,
		    gr->gr_name, cause != NULL ? cause : "too large");
		goto out;
	case INV_BAD:
		server_error(req, 400, "report of %s for group %s: %s", host,
		    gr->gr_name, cause != NULL ? cause : "not an inventory");
		goto out;
	case INV_NOMEM:
		server_error(req, 500, "out of memory");
		goto out;
	}
	if (iv->iv_received != 0) {
		server_error(req, 400, "report of %s for group %s: \"# received:"
		    "\" is patchgate's own header; leave it out", host,
		    gr->gr_name);
		goto out;
	}

	now = clock_now();
	time_format(now, when, sizeof when);
	headlen = asprintf(&head, "# received: %s\n# client: %s\n", when,
	    server_client(req));
	if (headlen == -1) {
		head = NULL;
		server_error(req, 500, "out of memory");
		goto out;
	}
	if ((dir = report_dir(px->px_conf->cf_store, gr->gr_name, host)) ==
	    NULL)
		goto fail;
	if (report_store(dir, now, head, headlen, data, len, &cause) != 0) {
		log_warnx("group %s: report of %s: %s", gr->gr_name, host,
		    cause != NULL ? cause : "out of memory");
		goto fail;
	}
	log_info("group %s: report of %s stored: %zu packages (%s)",
	    gr->gr_name, host, iv->iv_npkgs, inventory_format_name(iv->iv_format));
	if ((ok = evbuffer_new()) == NULL ||
	    evbuffer_add_printf(ok, "report of %s for group %s stored: %zu "
	    "installed packages (%s), received %s\n", host, gr->gr_name,
	    iv->iv_npkgs, inventory_format_name(iv->iv_format), when) == -1) {
		server_error(req, 500, "out of memory");
		goto out;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	server_reply(req, 200, ok);
	goto out;
fail:
	server_error(req, 500, "report of %s for group %s: cannot be stored",
	    host, gr->gr_name);
out:
	if (ok != NULL)
		evbuffer_free(ok);
	free(cause);
	free(head);
	free(dir);
	inventory_free(iv);
}

int
report_request(struct proxy *px, struct evhttp_request *req, char **segs,
    size_t nsegs)
{
	enum evhttp_cmd_type	cmd = evhttp_request_get_command(req);
	int			report;

	report = nsegs >= 2 && segs[0][0] != '_' &&
	    strcmp(segs[1], "_report") == 0;
	if (!report && cmd != EVHTTP_REQ_POST)
		return -1;
	if (!report) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		server_error(req, 405, "POST: method not allowed here (GET and "
		    "HEAD are; reports are posted to /GROUP/_report/HOSTNAME)");
		return 0;
	}
	if (cmd != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "POST");
		server_error(req, 405, "%s: method not allowed (reports are "
		    "POSTed; patchgate compliance reads them)",
		    server_method(req));
		return 0;
	}
	report_post(px, req, segs, nsegs);
	return 0;
}

/*
 * What a machine runs to report itself, one line of sh without double
 * quotes (an apt.conf string cannot hold them) for the dpkg and rpm
 * inventories.  PATCHGATE_HOST, when set, names the machine instead of
 * uname -n.
 */
#define REPORT_SH_DPKG \
	"{ if [ -e /run/reboot-required ]; then echo '# reboot-required: yes'; " \
	"else echo '# reboot-required: no'; fi; echo '# kernel:' $(uname -r); " \
	"dpkg-query -W -f '${Package} ${Version} ${Architecture} " \
	"${db:Status-Status}\\n'; }"
#define REPORT_SH_RPM \
	"{ echo '# kernel:' $(uname -r); rpm -qa --qf '%%{NAME} %%{EPOCHNUM} " \
	"%%{VERSION} %%{RELEASE} %%{ARCH}\\n'; }"
#define REPORT_SH_CURL \
	" | curl -fsS --max-time 30 -H 'Content-Type: text/plain'%s " \
	"--data-binary @- %s/%s/_report/%s >/dev/null"

static int
report_hook_apt(struct evbuffer *b, const char *base, const char *g,
    const char *m, const char *auth)
{
	return evbuffer_add_printf(b,
	    "// patchgate: after every dpkg run, report this machine's packages\n"
	    "// to patch group %s (patchgate compliance %s).\n"
	    "// Install: curl -fsS -o /etc/apt/apt.conf.d/90patchgate-report "
	    "'%s/%s/%s/_setup?hook=apt'\n"
	    "// The machine reports as uname -n, or as $PATCHGATE_HOST when "
	    "set.\n"
	    "DPkg::Post-Invoke { \"" REPORT_SH_DPKG REPORT_SH_CURL
	    " || true\"; };\n",
	    g, g, base, g, m, auth, base, g,
	    "${PATCHGATE_HOST:-$(uname -n)}") == -1 ? -1 : 0;
}

static int
report_hook_dnf(struct evbuffer *b, const char *base, const char *g,
    const char *m, const char *auth)
{
	/* No "$" but in $(...): the plugin substitutes $name and ${name}. */
	return evbuffer_add_printf(b,
	    "# patchgate: after every dnf transaction, report this machine's\n"
	    "# packages to patch group %s (patchgate compliance %s).  Needs\n"
	    "# dnf-plugins-core's post-transaction-actions plugin.\n"
	    "# Install: curl -fsS -o /etc/dnf/plugins/post-transaction-actions.d/"
	    "patchgate-report.action '%s/%s/%s/_setup?hook=dnf'\n"
	    "*:any:" REPORT_SH_RPM REPORT_SH_CURL " || true\n",
	    g, g, base, g, m, auth, base, g, "$(uname -n)") == -1 ? -1 : 0;
}

static int
report_hook_timer(struct evbuffer *b, const char *base, const char *g,
    const char *m, const char *auth)
{
	return evbuffer_add_printf(b,
	    "#!/bin/sh\n"
	    "# patchgate: a daily report of this machine's packages to patch\n"
	    "# group %s, by a systemd timer (rpm or dpkg, whichever it has).\n"
	    "# Install: curl -fsS '%s/%s/%s/_setup?hook=timer' | sh\n"
	    "set -e\n"
	    "cat >/usr/local/sbin/patchgate-report <<'PATCHGATE_EOF'\n"
	    "#!/bin/sh\n"
	    "# Reports this machine's packages to patchgate, group %s.\n"
	    "if command -v dpkg-query >/dev/null 2>&1; then\n"
	    "\t" REPORT_SH_DPKG "\n"
	    "else\n"
	    "\t" REPORT_SH_RPM "\n"
	    "fi" REPORT_SH_CURL "\n"
	    "PATCHGATE_EOF\n"
	    "chmod 755 /usr/local/sbin/patchgate-report\n"
	    "cat >/etc/systemd/system/patchgate-report.service <<'PATCHGATE_EOF'\n"
	    "[Unit]\n"
	    "Description=Report installed packages to patchgate (group %s)\n"
	    "Wants=network-online.target\n"
	    "After=network-online.target\n"
	    "\n"
	    "[Service]\n"
	    "Type=oneshot\n"
	    "ExecStart=/usr/local/sbin/patchgate-report\n"
	    "PATCHGATE_EOF\n"
	    "cat >/etc/systemd/system/patchgate-report.timer <<'PATCHGATE_EOF'\n"
	    "[Unit]\n"
	    "Description=Report installed packages to patchgate daily\n"
	    "\n"
	    "[Timer]\n"
	    "OnCalendar=daily\n"
	    "RandomizedDelaySec=1h\n"
	    "Persistent=true\n"
	    "\n"
	    "[Install]\n"
	    "WantedBy=timers.target\n"
	    "PATCHGATE_EOF\n"
	    "systemctl daemon-reload\n"
	    "systemctl enable --now patchgate-report.timer\n"
	    "/usr/local/sbin/patchgate-report\n",
	    g, base, g, m, g, auth, base, g, "${PATCHGATE_HOST:-$(uname -n)}",
	    g) == -1 ? -1 : 0;
}

int
report_hook(struct evhttp_request *req, const struct group *gr,
    const struct mirror *mi, const char *base, const char *token)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq	 q;
	struct evbuffer		*b;
	struct resource		 rs;
	const char		*query, *hook;
	char			 auth[300];
	int			 rc;

	query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	if (query == NULL)
		return -1;
	memset(&q, 0, sizeof q);
	if (evhttp_parse_query_str(query, &q) != 0 ||
	    (hook = evhttp_find_header(&q, "hook")) == NULL) {
		evhttp_clear_headers(&q);
		return -1;
	}
	if ((b = evbuffer_new()) == NULL) {
		server_error(req, 500, "out of memory");
		goto out;
	}
	/* access.c took only a token of letters, digits and -._~+/=. */
	if (token != NULL)
		snprintf(auth, sizeof auth, " -H 'Authorization: Bearer %s'",
		    token);
	else
		auth[0] = '\0';
	if (strcmp(hook, "apt") == 0) {
		rc = report_hook_apt(b, base, gr->gr_name, mi->mi_name, auth);
	} else if (strcmp(hook, "dnf") == 0) {
		rc = report_hook_dnf(b, base, gr->gr_name, mi->mi_name, auth);
	} else if (strcmp(hook, "timer") == 0) {
		rc = report_hook_timer(b, base, gr->gr_name, mi->mi_name, auth);
	} else {
		server_error(req, 404, "no hook %.40s: _setup?hook= takes apt "
		    "(a DPkg::Post-Invoke snippet), dnf (a post-transaction-"
		    "actions line) or timer (a daily systemd timer)", hook);
		goto out;
	}
	if (rc == -1) {
		server_error(req, 500, "out of memory");
		goto out;
	}
	rs.rs_etag = NULL;
	rs.rs_mtime = 0;
	rs.rs_size = evbuffer_get_length(b);
	rs.rs_type = "text/plain; charset=utf-8";
	/* A hook with a secret in it is for this machine only. */
	rs.rs_cache = token != NULL ? "private, no-store" : CACHE_SHORT;
	server_send_buffer(req, &rs, b);
out:
	if (b != NULL)
		evbuffer_free(b);
	evhttp_clear_headers(&q);
	return 0;
}
