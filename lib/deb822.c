/*
 * Debian control data (deb822) as apt's indexes hold it: stanzas of
 * "Name: value" fields with continuation lines, separated by blank lines.
 * The parser streams: its window holds the current stanza and the line
 * being read, never the document, so a Packages index of any size costs
 * the memory of its largest stanza.  Each stanza goes to the caller as
 * the document's own bytes, because views copy stanzas byte for byte.
 *
 * Choices, after dpkg and apt: a line of only spaces and tabs (and the CR
 * of a CRLF line end) is blank and separates stanzas; CR bytes are kept as
 * they are.  Comment lines ('#' at the start) are refused: deb822(5) and
 * Debian policy allow them only in debian/control, apt reads them only
 * where it asks for SUPPORT_COMMENTS (sources.list, preferences, .dsc),
 * never in Packages or Release files, and a field name may not start
 * with '#'.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deb822.h"
#include "util.h"
#include "xmalloc.h"

#define DEB822_MAX	(16 * 1024 * 1024)	/* largest stanza or line */
#define DEB822_CHUNK	(16 * 1024)		/* least room for one read */

struct deb822_parser {
	pg_read_fn	 dp_read;
	void		*dp_rarg;
	const char	*dp_what;
	deb822_cb	 dp_cb;
	void		*dp_cbarg;

	char		*dp_buf;	/* the window */
	size_t		 dp_size;
	size_t		 dp_len;	/* bytes in the window */
	long long	 dp_base;	/* document offset of dp_buf[0] */
	size_t		 dp_start;	/* stanza's first byte, else dp_pos */
	size_t		 dp_pos;	/* current line's first byte */
	size_t		 dp_scan;	/* no newline in [dp_pos, dp_scan) */
	int		 dp_eof;

	int		 dp_instanza;
	long		 dp_line;	/* line number at dp_pos */
	long		 dp_stanzaline;	/* line of the stanza's first field */

	const struct deb822_limits *dp_limits;
	long long	 dp_field;	/* document offset of the field's line */
	long		 dp_fieldline;
	unsigned long	 dp_nstanzas;
};

static int	deb822_error(struct deb822_parser *, long, const char *,
		    char **);

static const struct deb822_limits deb822_default_limits = {
	DEB822_MAX, 0, 0	/* lines: DEB822_MAX */
};

/* "16 MiB", "512 KiB", "100 bytes": a limit as people write it. */
static const char *
deb822_size(size_t n, char *buf, size_t len)
{
	if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
		snprintf(buf, len, "%zu MiB", n / (1024 * 1024));
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(buf, len, "%zu KiB", n / 1024);
	else
		snprintf(buf, len, "%zu bytes", n);
	return buf;
}

static int
deb822_stanza_error(struct deb822_parser *dp, char **cause)
{
	char	size[32], *msg;
	int	rv;

	xasprintf(&msg, dp->dp_limits->dl_field == 0 ?
	    "stanza larger than %s" : "stanza larger than the limit of %s",
	    deb822_size(dp->dp_limits->dl_stanza, size, sizeof size));
	rv = deb822_error(dp, dp->dp_stanzaline, msg, cause);
	free(msg);
	return rv;
}

/*
 * The field that starts at dp_field ends before document offset end:
 * within its bound?
 */
static int
deb822_field_check(struct deb822_parser *dp, long long end, char **cause)
{
	const char	*p, *colon;
	char		 size[32], *msg;
	size_t		 avail;
	int		 rv, namelen;

	if (dp->dp_field < 0 || dp->dp_limits->dl_field == 0 ||
	    end - dp->dp_field <=
	    (long long)dp->dp_limits->dl_field)
		return 0;
	p = dp->dp_buf + (dp->dp_field - dp->dp_base);
	avail = dp->dp_len - (dp->dp_field - dp->dp_base);
	colon = memchr(p, ':', avail < 64 ? avail : 64);
	namelen = colon != NULL ? (int)(colon - p) : 0;
	xasprintf(&msg, "field %.*s%slarger than the limit of %s", namelen, p,
	    namelen ? " " : "", deb822_size(dp->dp_limits->dl_field, size,
	    sizeof size));
	rv = deb822_error(dp, dp->dp_fieldline, msg, cause);
	free(msg);
	return rv;
}

static int
deb822_error(struct deb822_parser *dp, long line, const char *msg,
    char **cause)
{
	cause_set(cause, "%s: line %ld: %s", dp->dp_what, line, msg);
	return -1;
}

/* Makes room for at least DEB822_CHUNK more bytes and reads into it. */
static int
deb822_fill(struct deb822_parser *dp, char **cause)
{
	size_t	keep;
	ssize_t	n;

	if (dp->dp_size - dp->dp_len < DEB822_CHUNK && dp->dp_start > 0) {
		keep = dp->dp_len - dp->dp_start;
		memmove(dp->dp_buf, dp->dp_buf + dp->dp_start, keep);
		dp->dp_base += dp->dp_start;
		dp->dp_pos -= dp->dp_start;
		dp->dp_scan -= dp->dp_start;
		dp->dp_len = keep;
		dp->dp_start = 0;
	}
	if (dp->dp_size - dp->dp_len < DEB822_CHUNK) {
		dp->dp_size = dp->dp_size * 2;
		if (dp->dp_size < dp->dp_len + DEB822_CHUNK)
			dp->dp_size = dp->dp_len + DEB822_CHUNK;
		dp->dp_buf = xreallocarray(dp->dp_buf, 1, dp->dp_size);
	}
	n = dp->dp_read(dp->dp_rarg, dp->dp_buf + dp->dp_len,
	    dp->dp_size - dp->dp_len, cause);
	if (n < 0)
		return -1;	/* the reader's cause names the document */
	if (n == 0)
		dp->dp_eof = 1;
	dp->dp_len += n;
	return 0;
}

static int
deb822_emit(struct deb822_parser *dp, size_t end, char **cause)
{
	struct deb822_stanza	ds;

	dp->dp_instanza = 0;
	if (end - dp->dp_start > dp->dp_limits->dl_stanza)
		return deb822_stanza_error(dp, cause);
	if (deb822_field_check(dp, dp->dp_base + end, cause) != 0)
		return -1;
	dp->dp_field = -1;
	if (dp->dp_limits->dl_stanzas != 0 &&
	    ++dp->dp_nstanzas > dp->dp_limits->dl_stanzas) {
		cause_set(cause, "%s: more than %lu stanzas, the limit for one "
		    "index", dp->dp_what, dp->dp_limits->dl_stanzas);
		return -1;
	}
	ds.ds_raw = dp->dp_buf + dp->dp_start;
	ds.ds_rawlen = end - dp->dp_start;
	ds.ds_line = dp->dp_stanzaline;
	ds.ds_offset = dp->dp_base + dp->dp_start;
	if (dp->dp_cb(&ds, dp->dp_cbarg) != 0)
		return -1;	/* the callback reports through its arg */
	return 0;
}

static int
deb822_blank(const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
		    p[i] != '\n')
			return 0;
	}
	return 1;
}

/* One line, [dp_pos, eol), newline included when there is one. */
static int
deb822_line(struct deb822_parser *dp, size_t eol, char **cause)
{
	const char	*p = dp->dp_buf + dp->dp_pos, *colon, *q;
	size_t		 len = eol - dp->dp_pos;

	if (memchr(p, '\0', len) != NULL)
		return deb822_error(dp, dp->dp_line, "NUL byte", cause);
	if (deb822_blank(p, len)) {
		if (dp->dp_instanza)
			return deb822_emit(dp, dp->dp_pos, cause);
		return 0;
	}
	if (*p == ' ' || *p == '\t') {
		if (!dp->dp_instanza)
			return deb822_error(dp, dp->dp_line, "continuation "
			    "line at the start of a stanza", cause);
		return deb822_field_check(dp, dp->dp_base + eol, cause);
	}
	if (*p == '#')
		return deb822_error(dp, dp->dp_line,
		    "comment lines are not allowed", cause);
	if ((colon = memchr(p, ':', len)) == NULL)
		return deb822_error(dp, dp->dp_line,
		    "line is neither a field nor a continuation", cause);
	if (colon == p)
		return deb822_error(dp, dp->dp_line, "field without a name",
		    cause);
	for (q = p; q < colon; q++) {
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return deb822_error(dp, dp->dp_line, "field name "
			    "contains a space or a control character", cause);
	}
	/* A new field: the one before it is complete. */
	if (deb822_field_check(dp, dp->dp_base + dp->dp_pos, cause) != 0)
		return -1;
	dp->dp_field = dp->dp_base + dp->dp_pos;
	dp->dp_fieldline = dp->dp_line;
	if (deb822_field_check(dp, dp->dp_base + eol, cause) != 0)
		return -1;
	if (!dp->dp_instanza) {
		dp->dp_instanza = 1;
		dp->dp_start = dp->dp_pos;
		dp->dp_stanzaline = dp->dp_line;
	}
	return 0;
}

int
deb822_parse(pg_read_fn rfn, void *rarg, const char *what, deb822_cb cb,
    void *cbarg, char **cause)
{
	return deb822_parse_limited(rfn, rarg, what, &deb822_default_limits,
	    cb, cbarg, cause);
}

int
deb822_parse_limited(pg_read_fn rfn, void *rarg, const char *what,
    const struct deb822_limits *dl, deb822_cb cb, void *cbarg, char **cause)
{
	struct deb822_parser	 dp;
	char			*nl, size[32], *msg;
	size_t			 eol;
	int			 rv = -1;

	memset(&dp, 0, sizeof dp);
	dp.dp_limits = dl;
	dp.dp_field = -1;
	dp.dp_read = rfn;
	dp.dp_rarg = rarg;
	dp.dp_what = what != NULL ? what : "deb822";
	dp.dp_cb = cb;
	dp.dp_cbarg = cbarg;
	dp.dp_size = 4 * DEB822_CHUNK;
	dp.dp_buf = xmalloc(dp.dp_size);
	dp.dp_line = 1;

	for (;;) {
		nl = memchr(dp.dp_buf + dp.dp_scan, '\n',
		    dp.dp_len - dp.dp_scan);
		if (nl == NULL && !dp.dp_eof) {
			dp.dp_scan = dp.dp_len;
			if (dp.dp_instanza &&
			    dp.dp_pos - dp.dp_start > dl->dl_stanza) {
				deb822_stanza_error(&dp, cause);
				goto out;
			}
			if (dp.dp_len - dp.dp_pos > (dl->dl_field ?
			    dl->dl_field : DEB822_MAX)) {
				xasprintf(&msg, dl->dl_field == 0 ?
				    "line longer than %s" : "line longer than "
				    "the limit of %s", deb822_size(dl->dl_field ?
				    dl->dl_field : DEB822_MAX, size, sizeof size));
				deb822_error(&dp, dp.dp_line, msg, cause);
				free(msg);
				goto out;
			}
			if (deb822_fill(&dp, cause) != 0)
				goto out;
			continue;
		}
		if (nl != NULL)
			eol = nl - dp.dp_buf + 1;
		else if (dp.dp_pos < dp.dp_len)
			eol = dp.dp_len;	/* last line, no newline */
		else
			break;
		if (deb822_line(&dp, eol, cause) != 0)
			goto out;
		dp.dp_pos = dp.dp_scan = eol;
		if (!dp.dp_instanza)
			dp.dp_start = eol;
		dp.dp_line++;
	}
	if (dp.dp_instanza && deb822_emit(&dp, dp.dp_len, cause) != 0)
		goto out;
	rv = 0;
out:
	free(dp.dp_buf);
	return rv;
}

char *
deb822_field(const struct deb822_stanza *ds, const char *name,
    int keep_lines)
{
	const char	*p = ds->ds_raw, *end = ds->ds_raw + ds->ds_rawlen;
	const char	*v, *ve, *nl;
	size_t		 namelen = strlen(name);
	struct buf	 b;

	while (p < end) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		if ((size_t)(nl - p) > namelen && p[namelen] == ':' &&
		    strncasecmp(p, name, namelen) == 0 &&
		    *p != ' ' && *p != '\t')
			break;
		p = nl + 1;
	}
	if (p >= end)
		return NULL;

	v = p + namelen + 1;
	while (v < nl && (*v == ' ' || *v == '\t'))
		v++;
	ve = nl;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
		ve--;
	buf_init(&b);
	buf_add(&b, v, ve - v);
	if (keep_lines) {
		p = nl + 1;
		while (p < end && (*p == ' ' || *p == '\t')) {
			if ((nl = memchr(p, '\n', end - p)) == NULL)
				nl = end;
			ve = nl;
			if (ve > p && ve[-1] == '\r' && ve < end)
				ve--;	/* CRLF: the CR is the line end's */
			buf_add(&b, "\n", 1);
			buf_add(&b, p, ve - p);
			p = nl + 1;
		}
	}
	return b.b_data;	/* buf_add keeps it NUL-terminated */
}

void
deb822_fields(const struct deb822_stanza *ds, const char *const *names,
    size_t n, const char **val, size_t *len)
{
	const char	*p = ds->ds_raw, *end = ds->ds_raw + ds->ds_rawlen;
	const char	*nl, *colon, *v, *ve;
	size_t		 i, left = n, namelen;

	for (i = 0; i < n; i++) {
		val[i] = NULL;
		len[i] = 0;
	}
	for (; p < end && left > 0; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		/* A continuation line, or no field name. */
		if (*p == ' ' || *p == '\t' ||
		    (colon = memchr(p, ':', nl - p)) == NULL)
			continue;
		namelen = colon - p;
		for (i = 0; i < n; i++) {
			/* The first line of a name counts, as deb822_field's. */
			if (val[i] != NULL || strlen(names[i]) != namelen ||
			    strncasecmp(p, names[i], namelen) != 0)
				continue;
			v = colon + 1;
			while (v < nl && (*v == ' ' || *v == '\t'))
				v++;
			ve = nl;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' ||
			    ve[-1] == '\r'))
				ve--;
			val[i] = v;
			len[i] = ve - v;
			left--;
		}
	}
}
