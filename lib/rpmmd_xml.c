/*
 * The SAX plumbing under the rpm-md parsers.  Upstream metadata is
 * untrusted: the push parser runs with no network, no entity substitution
 * and no DTD, and any DOCTYPE stops it at once (no entity bomb gets a
 * chance to expand).  Views copy every <package> and <update> element byte
 * for byte, so next to the parser this keeps a window of the input bytes:
 * libxml2 reports where it stands in the stream (xmlByteConsumed), which
 * in a start element callback is just after the attributes and in an end
 * element callback just after the '>'.  The start tag's '<' is the last
 * '<' before that point, as attribute values cannot hold a raw '<'.  The
 * window keeps the bytes from the start of the current child of the root,
 * and is trimmed after each element, so memory stays bounded by the
 * largest element, not the document.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "rpmmd_xml.h"
#include "util.h"
#include "xmalloc.h"

#define RPMMD_XML_CHUNK	(64 * 1024)

/*
 * Records the first error.  Stopping the parser frees its input, which is
 * safe from the element and DTD callbacks (libxml2 checks for a stop after
 * each) but not from its error handlers, which it calls with the input in
 * use: those only record, and libxml2 stops by itself on a fatal error.
 */
static void
rpmmd_xml_record(struct rpmmd_xml *x, long line, const char *fmt, va_list ap)
{
	char	*msg;

	if (x->x_error != NULL || x->x_stopped)
		return;
	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	xasprintf(&x->x_error, "%s: line %ld: %s", x->x_what, line, msg);
	free(msg);
}

static void __attribute__((format(printf, 3, 4)))
rpmmd_xml_note(struct rpmmd_xml *x, long line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	rpmmd_xml_record(x, line, fmt, ap);
	va_end(ap);
}

static long
rpmmd_xml_line(struct rpmmd_xml *x)
{
	if (x->x_ctxt == NULL || x->x_ctxt->input == NULL)
		return 0;
	return x->x_ctxt->input->line;
}

void
rpmmd_xml_fail(struct rpmmd_xml *x, const char *fmt, ...)
{
	va_list	ap;
	int	first = !rpmmd_xml_failed(x);

	va_start(ap, fmt);
	rpmmd_xml_record(x, rpmmd_xml_line(x), fmt, ap);
	va_end(ap);
	if (first && x->x_ctxt != NULL)
		xmlStopParser(x->x_ctxt);
}

void
rpmmd_xml_fail_line(struct rpmmd_xml *x, long line, const char *fmt, ...)
{
	va_list	ap;
	int	first = !rpmmd_xml_failed(x);

	va_start(ap, fmt);
	rpmmd_xml_record(x, line, fmt, ap);
	va_end(ap);
	if (first && x->x_ctxt != NULL)
		xmlStopParser(x->x_ctxt);
}

void
rpmmd_xml_stop(struct rpmmd_xml *x)
{
	if (x->x_error != NULL || x->x_stopped)
		return;
	x->x_stopped = 1;
	if (x->x_ctxt != NULL)
		xmlStopParser(x->x_ctxt);
}

int
rpmmd_xml_failed(struct rpmmd_xml *x)
{
	return x->x_error != NULL || x->x_stopped;
}

long long
rpmmd_xml_offset(struct rpmmd_xml *x)
{
	return xmlByteConsumed(x->x_ctxt);
}

void
rpmmd_xml_text_begin(struct rpmmd_xml *x)
{
	x->x_collect = 1;
	buf_reset(&x->x_text);
}

size_t
rpmmd_xml_text_end(struct rpmmd_xml *x)
{
	x->x_collect = 0;
	return rpmmd_xml_save(x, x->x_text.b_data != NULL ?
	    x->x_text.b_data : "", x->x_text.b_len);
}

int
rpmmd_xml_collecting(struct rpmmd_xml *x)
{
	return x->x_collect;
}

size_t
rpmmd_xml_save(struct rpmmd_xml *x, const char *s, size_t len)
{
	size_t	off = x->x_arena.b_len;

	buf_add(&x->x_arena, s, len);
	buf_add(&x->x_arena, "", 1);
	return off;
}

const char *
rpmmd_xml_str(struct rpmmd_xml *x, size_t off)
{
	if (off == RPMMD_XML_NONE)
		return NULL;
	return x->x_arena.b_data + off;
}

/*
 * Without entity substitution libxml2 hands "&amp;" in an attribute value
 * to SAX2 as "&#38;" (its own tree builder decodes it later); every other
 * reference is already replaced, so that is the only one to undo.
 */
size_t
rpmmd_xml_attr(struct rpmmd_xml *x, int nattrs, const xmlChar **attrs,
    const char *name, const char *uri)
{
	const char	*v, *end, *amp;
	const xmlChar	*auri;
	size_t		 off;
	int		 i;

	for (i = 0; i < nattrs; i++) {
		if (strcmp((const char *)attrs[i * 5], name) != 0)
			continue;
		auri = attrs[i * 5 + 2];
		if (uri == NULL ? auri != NULL :
		    (auri == NULL || strcmp((const char *)auri, uri) != 0))
			continue;
		v = (const char *)attrs[i * 5 + 3];
		end = (const char *)attrs[i * 5 + 4];
		off = x->x_arena.b_len;
		while ((amp = memchr(v, '&', end - v)) != NULL) {
			buf_add(&x->x_arena, v, amp - v);
			if (end - amp >= 5 && memcmp(amp, "&#38;", 5) == 0) {
				buf_add(&x->x_arena, "&", 1);
				v = amp + 5;
			} else {
				buf_add(&x->x_arena, "&", 1);
				v = amp + 1;
			}
		}
		buf_add(&x->x_arena, v, end - v);
		buf_add(&x->x_arena, "", 1);
		return off;
	}
	return RPMMD_XML_NONE;
}

long long
rpmmd_xml_number(const char *s)
{
	long long	 v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (LLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* The window's byte at document offset off. */
static const char *
rpmmd_xml_win(struct rpmmd_xml *x, long long off)
{
	return x->x_win.b_data + (off - x->x_winoff);
}

/*
 * Finds the '<' of the start tag the parser has just read, and its line
 * (libxml2 counts lines at its current position, after the attributes).
 */
static int
rpmmd_xml_tag_start(struct rpmmd_xml *x, long long pos, long long *lt,
    long *line)
{
	const char	*base, *end, *p, *q;
	long		 nl = 0;

	if (pos < x->x_winoff || pos > x->x_winoff + (long long)x->x_win.b_len)
		return -1;
	base = rpmmd_xml_win(x, x->x_winoff);
	end = rpmmd_xml_win(x, pos);
	/* Once per element of a large document: memrchr, not a byte loop. */
	if ((p = memrchr(base, '<', end - base)) == NULL)
		return -1;
	*lt = x->x_winoff + (p - base);
	for (q = p; (q = memchr(q, '\n', end - q)) != NULL; q++)
		nl++;
	*line = rpmmd_xml_line(x) - nl;
	return 0;
}

/* Copies the root start tag; "<metadata/>" becomes "<metadata>". */
static void
rpmmd_xml_root(struct rpmmd_xml *x, long long lt, long long pos)
{
	const char	*s, *end, *gt;
	size_t		 len;

	s = rpmmd_xml_win(x, lt);
	end = rpmmd_xml_win(x, x->x_winoff) + x->x_win.b_len;
	gt = memchr(rpmmd_xml_win(x, pos), '>', end - rpmmd_xml_win(x, pos));
	if (gt == NULL) {
		rpmmd_xml_fail(x, "root start tag not found");
		return;
	}
	len = gt - s;
	if (len > 0 && s[len - 1] == '/')
		len--;
	free(x->x_root_start);
	x->x_root_start = xmalloc(len + 2);
	memcpy(x->x_root_start, s, len);
	x->x_root_start[len] = '>';
	x->x_root_start[len + 1] = '\0';
}

static void
rpmmd_xml_sax_start(void *ctx, const xmlChar *name, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattrs,
    int ndefaulted, const xmlChar **attrs)
{
	struct rpmmd_xml	*x = ctx;
	xmlParserInputPtr	 in = x->x_ctxt->input;
	long long		 pos, lt;
	long			 line;
	int			 depth = x->x_open;

	if (rpmmd_xml_failed(x))
		return;
	if (depth == 0 && in->buf != NULL && in->buf->encoder != NULL) {
		rpmmd_xml_fail(x, "encoding %s is not supported (only UTF-8)",
		    in->buf->encoder->name != NULL ? in->buf->encoder->name :
		    "(unknown)");
		return;
	}
	if (depth > RPMMD_XML_MAXDEPTH) {
		rpmmd_xml_fail(x, "elements nested deeper than %d levels",
		    RPMMD_XML_MAXDEPTH);
		return;
	}
	pos = rpmmd_xml_offset(x);
	if (rpmmd_xml_tag_start(x, pos, &lt, &line) != 0) {
		rpmmd_xml_fail(x, "start tag of <%s> not found in the input",
		    (const char *)name);
		return;
	}
	if (depth == 0)
		rpmmd_xml_root(x, lt, pos);
	else if (depth == 1) {
		if (++x->x_entries > RPMMD_XML_MAXENTRIES) {
			rpmmd_xml_fail(x, "more than %d <%s> elements",
			    RPMMD_XML_MAXENTRIES, (const char *)name);
			return;
		}
		x->x_capturing = 1;
		x->x_capoff = lt;
		x->x_capline = line;
		buf_reset(&x->x_arena);
	}
	x->x_path[depth] = (const char *)name;
	x->x_lines[depth] = line;
	x->x_open++;
	x->x_depth = depth;
	x->x_tagoff = lt;
	x->x_tagline = line;
	if (x->x_start != NULL && !rpmmd_xml_failed(x))
		x->x_start(x, (const char *)name, (const char *)uri, nattrs,
		    attrs);
}

static void
rpmmd_xml_sax_end(void *ctx, const xmlChar *name, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct rpmmd_xml	*x = ctx;
	long long		 pos;
	int			 depth;

	if (rpmmd_xml_failed(x))
		return;
	depth = --x->x_open;
	x->x_depth = depth;
	if (depth == 1) {
		pos = rpmmd_xml_offset(x);
		if (x->x_capoff < x->x_winoff || pos <= x->x_capoff ||
		    pos > x->x_winoff + (long long)x->x_win.b_len) {
			rpmmd_xml_fail(x, "<%s> not found in the input",
			    (const char *)name);
			return;
		}
		x->x_raw = rpmmd_xml_win(x, x->x_capoff);
		x->x_rawlen = pos - x->x_capoff;
		x->x_rawoff = x->x_capoff;
		x->x_rawline = x->x_capline;
		if (x->x_raw[0] != '<' || x->x_raw[x->x_rawlen - 1] != '>') {
			rpmmd_xml_fail(x, "<%s> not found in the input",
			    (const char *)name);
			return;
		}
	}
	if (x->x_end != NULL)
		x->x_end(x, (const char *)name, (const char *)uri);
	if (depth == 1) {
		x->x_capturing = 0;
		x->x_raw = NULL;
		x->x_rawlen = 0;
	}
	if (depth == 0)
		x->x_rootdone = 1;
}

static void
rpmmd_xml_sax_text(void *ctx, const xmlChar *s, int len)
{
	struct rpmmd_xml	*x = ctx;

	if (!x->x_collect || rpmmd_xml_failed(x))
		return;
	if (x->x_text.b_len + len > RPMMD_XML_MAXTEXT) {
		rpmmd_xml_fail(x, "text of <%s> larger than %d MiB",
		    x->x_path[x->x_open > 0 ? x->x_open - 1 : 0],
		    RPMMD_XML_MAXTEXT / (1024 * 1024));
		return;
	}
	buf_add(&x->x_text, s, len);
}

static void
rpmmd_xml_sax_dtd(void *ctx, const xmlChar *name, const xmlChar *id,
    const xmlChar *sys)
{
	rpmmd_xml_fail(ctx, "DTD and entities are not allowed");
}

static void
rpmmd_xml_sax_entity(void *ctx, const xmlChar *name, int type,
    const xmlChar *id, const xmlChar *sys, xmlChar *content)
{
	rpmmd_xml_fail(ctx, "DTD and entities are not allowed");
}

static void
rpmmd_xml_sax_error(void *ctx, xmlErrorPtr e)
{
	struct rpmmd_xml	*x = ctx;
	char			*msg, *p;
	size_t			 len;
	long			 line;

	/* Warnings and namespace complaints do not make a document unusable. */
	if (e->level < XML_ERR_ERROR)
		return;
	if (e->domain == XML_FROM_NAMESPACE && e->level != XML_ERR_FATAL)
		return;
	if (rpmmd_xml_failed(x))
		return;
	/*
	 * At the end of the data libxml2 calls a missing end tag "Extra
	 * content at the end of the document": say what happened instead.
	 */
	if (x->x_eof && !x->x_rootdone && (e->code == XML_ERR_DOCUMENT_END ||
	    e->code == XML_ERR_DOCUMENT_EMPTY)) {
		if (x->x_open > 0)
			rpmmd_xml_note(x, rpmmd_xml_line(x), "truncated "
			    "document: the data ends inside <%s> of line %ld",
			    x->x_path[x->x_open - 1], x->x_lines[x->x_open - 1]);
		else
			rpmmd_xml_note(x, rpmmd_xml_line(x), "empty document: "
			    "no root element");
		return;
	}
	msg = xstrdup(e->message != NULL ? e->message : "XML error");
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	/* Some messages carry a second line ("Bytes: 0xE9 ..."). */
	for (p = msg; *p != '\0'; p++) {
		if (*p == '\n')
			*p = ' ';
	}
	line = e->line > 0 ? e->line : rpmmd_xml_line(x);
	rpmmd_xml_note(x, line, "%s", msg);
	free(msg);
}

/*
 * libxml2 reports a few failures (a broken byte in a declared encoding)
 * only through its generic handler, which prints to stderr: catch them
 * for the duration of a parse.
 */
static void
rpmmd_xml_generic_error(void *ctx, const char *fmt, ...)
{
	struct rpmmd_xml	*x = ctx;
	va_list			 ap;
	char			*msg, *p;

	if (rpmmd_xml_failed(x))
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	va_end(ap);
	for (p = msg; *p != '\0'; p++) {
		if (*p == '\n')
			*p = ' ';
	}
	while (p > msg && p[-1] == ' ')
		*--p = '\0';
	rpmmd_xml_note(x, rpmmd_xml_line(x), "%s", msg);
	free(msg);
}

void
rpmmd_xml_init(struct rpmmd_xml *x, const char *what, rpmmd_xml_start_fn start,
    rpmmd_xml_end_fn end, void *arg)
{
	memset(x, 0, sizeof *x);
	x->x_what = what;
	x->x_start = start;
	x->x_end = end;
	x->x_arg = arg;
	buf_init(&x->x_arena);
	buf_init(&x->x_win);
	buf_init(&x->x_text);
}

void
rpmmd_xml_free(struct rpmmd_xml *x)
{
	if (x->x_ctxt != NULL)
		xmlFreeParserCtxt(x->x_ctxt);
	x->x_ctxt = NULL;
	buf_free(&x->x_arena);
	buf_free(&x->x_win);
	buf_free(&x->x_text);
	free(x->x_root_start);
	x->x_root_start = NULL;
	free(x->x_error);
	x->x_error = NULL;
}

/*
 * Drops the window bytes nobody can need any more: before the current
 * child of the root, or before the parser's position between children
 * (the parser never stops inside a tag between two chunks).  Only when
 * that is at least half the window, so the memmove stays amortised.
 */
static void
rpmmd_xml_trim(struct rpmmd_xml *x)
{
	long long	keep;
	size_t		n;

	keep = x->x_capturing ? x->x_capoff : rpmmd_xml_offset(x);
	if (keep <= x->x_winoff)
		return;
	n = keep - x->x_winoff;
	if (n > x->x_win.b_len)
		n = x->x_win.b_len;
	if (n < x->x_win.b_len / 2)
		return;
	buf_consume(&x->x_win, n);
	x->x_winoff += n;
}

static int
rpmmd_xml_limits(struct rpmmd_xml *x)
{
	if (x->x_capturing && x->x_fed - x->x_capoff > RPMMD_XML_MAXELEMENT) {
		rpmmd_xml_fail_line(x, x->x_capline,
		    "a <%s> element larger than %d MiB", x->x_path[1],
		    RPMMD_XML_MAXELEMENT / (1024 * 1024));
		return -1;
	}
	if (!x->x_capturing && x->x_win.b_len > RPMMD_XML_MAXELEMENT) {
		rpmmd_xml_fail(x, "markup larger than %d MiB",
		    RPMMD_XML_MAXELEMENT / (1024 * 1024));
		return -1;
	}
	return 0;
}

int
rpmmd_xml_parse(struct rpmmd_xml *x, pg_read_fn rfn, void *rarg,
    char **root_start, char **cause)
{
	xmlSAXHandler		 sax;
	xmlGenericErrorFunc	 olderror;
	void			*olderrorctx;
	char			*chunk, *rcause = NULL;
	ssize_t			 n;
	int			 rv = -1;

	if (root_start != NULL)
		*root_start = NULL;
	xmlInitParser();
	olderror = xmlGenericError;
	olderrorctx = xmlGenericErrorContext;

	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = rpmmd_xml_sax_start;
	sax.endElementNs = rpmmd_xml_sax_end;
	sax.characters = rpmmd_xml_sax_text;
	sax.cdataBlock = rpmmd_xml_sax_text;
	sax.internalSubset = rpmmd_xml_sax_dtd;
	sax.externalSubset = rpmmd_xml_sax_dtd;
	sax.entityDecl = rpmmd_xml_sax_entity;
	sax.serror = rpmmd_xml_sax_error;

	x->x_ctxt = xmlCreatePushParserCtxt(&sax, x, NULL, 0, x->x_what);
	if (x->x_ctxt == NULL) {
		cause_set(cause, "%s: cannot create an XML parser", x->x_what);
		return -1;
	}
	xmlCtxtUseOptions(x->x_ctxt, XML_PARSE_NONET | XML_PARSE_NOWARNING);
	xmlSetGenericErrorFunc(x, rpmmd_xml_generic_error);

	chunk = xmalloc(RPMMD_XML_CHUNK);
	for (;;) {
		n = rfn(rarg, chunk, RPMMD_XML_CHUNK, &rcause);
		if (n < 0) {
			if (rcause == NULL)
				xasprintf(&rcause, "%s: read error", x->x_what);
			goto out;
		}
		if (n == 0) {
			x->x_eof = 1;
			xmlParseChunk(x->x_ctxt, NULL, 0, 1);
			break;
		}
		buf_add(&x->x_win, chunk, n);
		x->x_fed += n;
		if (rpmmd_xml_limits(x) != 0)
			break;
		xmlParseChunk(x->x_ctxt, chunk, n, 0);
		if (rpmmd_xml_failed(x))
			break;
		rpmmd_xml_trim(x);
	}
	if (!rpmmd_xml_failed(x) && !x->x_ctxt->wellFormed)
		rpmmd_xml_fail(x, "not well-formed");
	if (!rpmmd_xml_failed(x) && !x->x_rootdone)
		rpmmd_xml_fail(x, "truncated document");
	if (rpmmd_xml_failed(x))
		goto out;
	if (root_start != NULL) {
		*root_start = x->x_root_start;
		x->x_root_start = NULL;
	}
	rv = 0;

out:
	xmlSetGenericErrorFunc(olderrorctx, olderror);
	free(chunk);
	if (rv != 0) {
		if (rcause != NULL) {
			if (cause != NULL)
				*cause = rcause;
			else
				free(rcause);
			rcause = NULL;
		} else if (x->x_error != NULL) {
			if (cause != NULL)
				*cause = x->x_error;
			else
				free(x->x_error);
			x->x_error = NULL;
		}
	}
	free(rcause);
	return rv;
}
