/*
 * /_status: the HTML status page.  The page is rendered by the admin CLI,
 * "patchgate status --html" (cli/cmd_status_html.c), which api.c runs as
 * a child as it runs the API's commands, so that the daemon never reads
 * the store; here it is handed to the client.  api.c decides who may see
 * it ([server] admin-allow or a token, as /metrics).
 *
 * The page is self-contained: a Content-Security-Policy that allows no
 * script, no frame and nothing from elsewhere is a second line behind
 * the page's escaping of what upstreams and reports say.
 */
#include "config.h"

#include <stdio.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "log.h"
#include "proxy.h"

#define STATUS_PAGE_CSP \
	"default-src 'none'; style-src 'unsafe-inline'; img-src data:; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

void
status_page_reply(struct evhttp_request *req, int exitcode,
    struct evbuffer *page, const char *err)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	char			 len[32];

	if (exitcode != 0 || page == NULL || evbuffer_get_length(page) == 0) {
		log_warnx("/_status: patchgate status --html %s%s%s",
		    exitcode < 0 ? "did not finish" : "failed",
		    *err != '\0' ? ": " : "", err);
		server_error(req, 500, "the status page could not be made%s%s",
		    *err != '\0' ? ": " : " (see the daemon's log)", err);
		return;
	}
	snprintf(len, sizeof len, "%zu", evbuffer_get_length(page));
	evhttp_add_header(out, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(out, "Content-Length", len);
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "Content-Security-Policy", STATUS_PAGE_CSP);
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "Referrer-Policy", "no-referrer");
	server_reply(req, 200, evhttp_request_get_command(req) ==
	    EVHTTP_REQ_HEAD ? NULL : page);
}
