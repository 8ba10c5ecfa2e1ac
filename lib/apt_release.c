/*
 * apt's Release files: the suite's fields, its SHA256 list (the only
 * checksums patchgate trusts, and the source of every size and hash it
 * checks downloads against), its dates, and the clear-signed InRelease
 * form taken apart without checking the signature.
 *
 * Paths of the SHA256 list become paths in the blob store and in views,
 * so anything that could step outside a directory is refused here.  The
 * InRelease splitting is as strict as apt's (SplitClearSignedFile: one
 * signed block from the first line, nothing unsigned after it), and the
 * text it returns is the one gpg prints, so that a hash of either agrees.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "deb822.h"
#include "util.h"
#include "xmalloc.h"

static const char	*apt_days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char	*apt_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

struct apt_release_ctx {
	struct apt_release	*rc_ar;
	const char		*rc_what;
	int			 rc_nstanzas;
	char			*rc_error;
};

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static long long
apt_days_from_civil(int y, int m, int d)
{
	long long	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
apt_month_days(int y, int m)
{
	static const int	days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return days[m - 1];
}

/* Reads exactly n digits (n > 0) or up to -n digits (n < 0). */
static int
apt_digits(const char **sp, int n, int *out)
{
	const char	*s = *sp;
	int		 i, max = n < 0 ? -n : n, v = 0;

	for (i = 0; i < max && isdigit((unsigned char)s[i]); i++)
		v = v * 10 + (s[i] - '0');
	if (i == 0 || (n > 0 && i != n))
		return -1;
	*sp = s + i;
	*out = v;
	return 0;
}

static int
apt_spaces(const char **sp)
{
	const char	*s = *sp;

	while (*s == ' ' || *s == '\t')
		s++;
	if (s == *sp)
		return -1;
	*sp = s;
	return 0;
}

int
apt_date_parse(const char *s, time_t *tp)
{
	int		 i, day, mon = -1, year, hour, min, sec = 0, zh, zm;
	long long	 off = 0, t;

	while (*s == ' ' || *s == '\t')
		s++;
	if (isalpha((unsigned char)*s)) {
		for (i = 0; i < 7; i++) {
			if (strncasecmp(s, apt_days[i], 3) == 0)
				break;
		}
		if (i == 7 || s[3] != ',')
			return -1;
		s += 4;
		while (*s == ' ' || *s == '\t')
			s++;
	}
	if (apt_digits(&s, -2, &day) != 0 || apt_spaces(&s) != 0)
		return -1;
	for (i = 0; i < 12; i++) {
		if (strncasecmp(s, apt_months[i], 3) == 0) {
			mon = i + 1;
			break;
		}
	}
	if (mon == -1)
		return -1;
	s += 3;
	if (apt_spaces(&s) != 0 || apt_digits(&s, 4, &year) != 0 ||
	    apt_spaces(&s) != 0)
		return -1;
	if (apt_digits(&s, 2, &hour) != 0 || *s++ != ':' ||
	    apt_digits(&s, 2, &min) != 0)
		return -1;
	if (*s == ':' && (s++, apt_digits(&s, 2, &sec) != 0))
		return -1;
	if (apt_spaces(&s) != 0)
		return -1;
	if (*s == '+' || *s == '-') {
		i = *s++ == '-' ? -1 : 1;
		if (apt_digits(&s, 2, &zh) != 0 ||
		    apt_digits(&s, 2, &zm) != 0 || zm > 59)
			return -1;
		off = i * (zh * 3600LL + zm * 60LL);
	} else if (strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0)
		s += 3;
	else if (strncmp(s, "UT", 2) == 0)
		s += 2;
	else if (*s == 'Z')
		s++;
	else
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '\0')
		return -1;

	if (year < 1970 || day < 1 || day > apt_month_days(year, mon) ||
	    hour > 23 || min > 59 || sec > 60)
		return -1;
	t = apt_days_from_civil(year, mon, day) * 86400 + hour * 3600LL +
	    min * 60LL + sec - off;
	if (t < 0 || (time_t)t != t)
		return -1;
	*tp = t;
	return 0;
}

const char *
apt_date_format(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0)
		return NULL;
	if ((size_t)snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d UTC",
	    apt_days[tm.tm_wday], tm.tm_mday, apt_months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec) >= len)
		return NULL;
	return buf;
}

/*
 * A path of the SHA256 list: relative, made of real components (no empty,
 * "." or ".." one), printable ASCII or UTF-8 without spaces or backslashes.
 */
static int
apt_path_safe(const char *p)
{
	const char	*c = p;

	if (*p == '\0' || *p == '/')
		return 0;
	for (;;) {
		if (*c == '/' || *c == '\0') {
			if (c == p || (c - p == 1 && p[0] == '.') ||
			    (c - p == 2 && p[0] == '.' && p[1] == '.'))
				return 0;
			if (*c == '\0')
				return 1;
			p = c + 1;
		} else if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '\\')
			return 0;
		c++;
	}
}

/* A copy of upstream's bytes fit for a message: controls as \xNN. */
static char *
apt_quote(const char *p, size_t len)
{
	struct buf	b;
	size_t		i;

	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = 0; i < len; i++) {
		if ((unsigned char)p[i] < ' ' || p[i] == 0x7f)
			buf_addf(&b, "\\x%02x", (unsigned char)p[i]);
		else
			buf_add(&b, &p[i], 1);
	}
	return b.b_data;
}

static int
apt_file_cmp(const void *a, const void *b)
{
	const struct apt_release_file	*fa, *fb;

	fa = *(const struct apt_release_file * const *)a;
	fb = *(const struct apt_release_file * const *)b;

	return strcmp(fa->arf_path, fb->arf_path);
}

/* One line of the SHA256 list: " <hex> <size> <path>". */
static int
apt_release_entry(struct apt_release_ctx *rc, const char *line, size_t len,
    long lineno)
{
	struct apt_release	*ar = rc->rc_ar;
	struct apt_release_file	*f;
	const char		*p = line, *end = line + len, *hex, *num;
	char			*path;
	size_t			 hexlen, numlen, i;
	long long		 size = 0;

	while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r'))
		end--;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		return 0;	/* a blank continuation line: nothing listed */
	hex = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	hexlen = p - hex;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	num = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	numlen = p - num;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (hexlen != 64 || numlen == 0 || p == end) {
		xasprintf(&rc->rc_error, "%s: line %ld: SHA256 line is not "
		    "\"<sha256> <size> <path>\"", rc->rc_what, lineno);
		return -1;
	}
	for (i = 0; i < hexlen; i++) {
		if (!isxdigit((unsigned char)hex[i])) {
			xasprintf(&rc->rc_error, "%s: line %ld: SHA256 "
			    "checksum is not hexadecimal", rc->rc_what, lineno);
			return -1;
		}
	}
	for (i = 0; i < numlen; i++) {
		if (!isdigit((unsigned char)num[i]) || i >= 18) {
			path = apt_quote(num, numlen);
			xasprintf(&rc->rc_error, "%s: line %ld: bad size "
			    "\"%s\"", rc->rc_what, lineno, path);
			free(path);
			return -1;
		}
		size = size * 10 + (num[i] - '0');
	}
	path = xstrndup(p, end - p);
	if (strlen(path) != (size_t)(end - p) || !apt_path_safe(path)) {
		free(path);
		path = apt_quote(p, end - p);
		xasprintf(&rc->rc_error, "%s: line %ld: unsafe path \"%s\" in "
		    "the SHA256 list", rc->rc_what, lineno, path);
		free(path);
		return -1;
	}
	ar->ar_files = xreallocarray(ar->ar_files, ar->ar_nfiles + 1,
	    sizeof *ar->ar_files);
	f = &ar->ar_files[ar->ar_nfiles++];
	f->arf_path = path;
	f->arf_size = size;
	for (i = 0; i < 64; i++)
		f->arf_sha256[i] = tolower((unsigned char)hex[i]);
	f->arf_sha256[64] = '\0';
	return 0;
}

/* Finds and reads the SHA256 field, counting lines for the messages. */
static int
apt_release_sha256(struct apt_release_ctx *rc, const struct deb822_stanza *ds)
{
	struct apt_release		 *ar = rc->rc_ar;
	const struct apt_release_file	**v;
	const char			 *p = ds->ds_raw, *nl;
	const char			 *end = ds->ds_raw + ds->ds_rawlen;
	long				  lineno = ds->ds_line;
	int				  found = 0, in = 0;
	size_t				  i;

	for (; p < end; p = nl + 1, lineno++) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		if (*p == ' ' || *p == '\t') {
			if (in && apt_release_entry(rc, p, nl - p, lineno) != 0)
				return -1;
			continue;
		}
		in = 0;
		if (nl - p < 7 || strncasecmp(p, "SHA256:", 7) != 0)
			continue;
		if (found++) {
			xasprintf(&rc->rc_error, "%s: line %ld: a second "
			    "SHA256 list", rc->rc_what, lineno);
			return -1;
		}
		in = 1;
		/* Values on the field's own line are entries as well. */
		if (apt_release_entry(rc, p + 7, nl - p - 7, lineno) != 0)
			return -1;
	}
	if (ar->ar_nfiles == 0) {
		xasprintf(&rc->rc_error, "%s: no SHA256 list", rc->rc_what);
		return -1;
	}

	v = xreallocarray(NULL, ar->ar_nfiles, sizeof *v);
	for (i = 0; i < ar->ar_nfiles; i++)
		v[i] = &ar->ar_files[i];
	qsort(v, ar->ar_nfiles, sizeof *v, apt_file_cmp);
	for (i = 1; i < ar->ar_nfiles; i++) {
		if (strcmp(v[i - 1]->arf_path, v[i]->arf_path) == 0) {
			xasprintf(&rc->rc_error, "%s: \"%s\" is listed twice "
			    "in the SHA256 list", rc->rc_what, v[i]->arf_path);
			free(v);
			return -1;
		}
	}
	free(v);
	return 0;
}

static int
apt_release_date(struct apt_release_ctx *rc, const struct deb822_stanza *ds,
    const char *name, time_t *tp)
{
	char	*v, *q;

	if ((v = deb822_field(ds, name, 0)) == NULL)
		return 0;
	if (apt_date_parse(v, tp) != 0) {
		q = apt_quote(v, strlen(v));
		xasprintf(&rc->rc_error, "%s: bad %s \"%s\"", rc->rc_what, name,
		    q);
		free(q);
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

static int
apt_release_stanza(const struct deb822_stanza *ds, void *arg)
{
	struct apt_release_ctx	*rc = arg;
	struct apt_release	*ar = rc->rc_ar;
	char			*v, *q;

	if (rc->rc_nstanzas++ != 0) {
		xasprintf(&rc->rc_error, "%s: line %ld: a second stanza",
		    rc->rc_what, ds->ds_line);
		return -1;
	}
	ar->ar_origin = deb822_field(ds, "Origin", 0);
	ar->ar_label = deb822_field(ds, "Label", 0);
	ar->ar_suite = deb822_field(ds, "Suite", 0);
	ar->ar_codename = deb822_field(ds, "Codename", 0);
	ar->ar_version = deb822_field(ds, "Version", 0);
	ar->ar_description = deb822_field(ds, "Description", 0);
	ar->ar_no_support_arch_all = deb822_field(ds,
	    "No-Support-for-Architecture-all", 0);

	v = deb822_field(ds, "Architectures", 0);
	ar->ar_architectures = words_split(v != NULL ? v : "", NULL);
	free(v);
	v = deb822_field(ds, "Components", 0);
	ar->ar_components = words_split(v != NULL ? v : "", NULL);
	free(v);

	if ((v = deb822_field(ds, "Acquire-By-Hash", 0)) != NULL) {
		if (strcasecmp(v, "yes") == 0)
			ar->ar_acquire_by_hash = 1;
		else if (strcasecmp(v, "no") != 0) {
			q = apt_quote(v, strlen(v));
			xasprintf(&rc->rc_error, "%s: bad Acquire-By-Hash "
			    "value \"%s\"", rc->rc_what, q);
			free(q);
			free(v);
			return -1;
		}
		free(v);
	}
	if (apt_release_date(rc, ds, "Date", &ar->ar_date) != 0 ||
	    apt_release_date(rc, ds, "Valid-Until", &ar->ar_valid_until) != 0)
		return -1;
	return apt_release_sha256(rc, ds);
}

struct apt_release *
apt_release_parse(const char *text, size_t len, const char *what,
    char **cause)
{
	struct apt_release_ctx	 rc;
	struct memreader	 mr;
	char			*pcause = NULL;

	if (what == NULL)
		what = "Release";
	memset(&rc, 0, sizeof rc);
	rc.rc_ar = xcalloc(1, sizeof *rc.rc_ar);
	rc.rc_what = what;
	memset(&mr, 0, sizeof mr);
	mr.mr_data = text;
	mr.mr_len = len;
	if (deb822_parse(memreader_read, &mr, what, apt_release_stanza, &rc,
	    &pcause) != 0) {
		if (pcause != NULL) {
			free(rc.rc_error);
			rc.rc_error = pcause;
		}
		goto fail;
	}
	if (rc.rc_nstanzas == 0) {
		xasprintf(&rc.rc_error, "%s: no SHA256 list", what);
		goto fail;
	}
	return rc.rc_ar;

fail:
	if (cause != NULL)
		*cause = rc.rc_error;
	else
		free(rc.rc_error);
	apt_release_free(rc.rc_ar);
	return NULL;
}

void
apt_release_free(struct apt_release *ar)
{
	size_t	i;

	if (ar == NULL)
		return;
	free(ar->ar_origin);
	free(ar->ar_label);
	free(ar->ar_suite);
	free(ar->ar_codename);
	free(ar->ar_version);
	free(ar->ar_description);
	words_free(ar->ar_architectures);
	words_free(ar->ar_components);
	free(ar->ar_no_support_arch_all);
	for (i = 0; i < ar->ar_nfiles; i++)
		free(ar->ar_files[i].arf_path);
	free(ar->ar_files);
	free(ar);
}

const struct apt_release_file *
apt_release_find(const struct apt_release *ar, const char *path)
{
	size_t	i;

	for (i = 0; i < ar->ar_nfiles; i++) {
		if (strcmp(ar->ar_files[i].arf_path, path) == 0)
			return &ar->ar_files[i];
	}
	return NULL;
}

/* A line of the clear-signed document, trailing blanks and line end cut. */
struct apt_line {
	const char	*al_p;
	size_t		 al_len;	/* without trailing " \t\r\n" */
	int		 al_crlf;	/* ended in "\r\n" */
	long		 al_no;
};

static int
apt_line_next(const char *data, size_t len, size_t *off, struct apt_line *l)
{
	const char	*p, *nl;
	size_t		 n;

	if (*off >= len)
		return 0;
	p = data + *off;
	if ((nl = memchr(p, '\n', len - *off)) != NULL)
		n = nl - p;
	else
		n = len - *off;
	*off += n + (nl != NULL);
	l->al_p = p;
	l->al_crlf = nl != NULL && n > 0 && p[n - 1] == '\r';
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
	    p[n - 1] == '\r'))
		n--;
	l->al_len = n;
	l->al_no++;
	return 1;
}

static int
apt_line_is(const struct apt_line *l, const char *s)
{
	return l->al_len == strlen(s) && memcmp(l->al_p, s, l->al_len) == 0;
}

int
apt_inrelease_text(const char *data, size_t len, char **text,
    size_t *textlen, char **cause)
{
	struct apt_line	 l;
	struct buf	 b;
	size_t		 off = 0;
	int		 open;

	memset(&l, 0, sizeof l);
	buf_init(&b);
	buf_add(&b, "", 0);
	if (!apt_line_next(data, len, &off, &l) ||
	    !apt_line_is(&l, "-----BEGIN PGP SIGNED MESSAGE-----")) {
		cause_set(cause, "InRelease: not clear-signed (the first line "
		    "is not -----BEGIN PGP SIGNED MESSAGE-----)");
		goto fail;
	}

	/* Armor headers up to a blank line: only Hash: has a meaning. */
	for (;;) {
		if (!apt_line_next(data, len, &off, &l)) {
			cause_set(cause, "InRelease: ends in the armor "
			    "headers");
			goto fail;
		}
		if (l.al_len == 0)
			break;
		if (l.al_len < 5 || memcmp(l.al_p, "Hash:", 5) != 0) {
			cause_set(cause, "InRelease: line %ld: armor header "
			    "other than Hash:", l.al_no);
			goto fail;
		}
	}

	/*
	 * The text, as gpg prints it: each line without its trailing blanks,
	 * dash-escaping undone, followed by its own line end (the line end
	 * before the signature is part of the armor for the signature, but
	 * gpg prints it).  A dash that escapes nothing is refused, as apt
	 * does: it may hide a second armor line from one parser.
	 */
	for (;;) {
		if (!apt_line_next(data, len, &off, &l)) {
			cause_set(cause, "InRelease: no signature after the "
			    "text");
			goto fail;
		}
		if (l.al_len > 0 && l.al_p[0] == '-') {
			if (apt_line_is(&l, "-----BEGIN PGP SIGNATURE-----"))
				break;
			if (l.al_len < 2 || l.al_p[1] != ' ') {
				cause_set(cause, "InRelease: line %ld: line "
				    "starting with a dash is not dash-escaped",
				    l.al_no);
				goto fail;
			}
			buf_add(&b, l.al_p + 2, l.al_len - 2);
		} else
			buf_add(&b, l.al_p, l.al_len);
		if (l.al_crlf)
			buf_add(&b, "\r\n", 2);
		else
			buf_add(&b, "\n", 1);
	}

	/* Signature blocks, and nothing unsigned after them. */
	open = 1;
	while (apt_line_next(data, len, &off, &l)) {
		if (open) {
			if (apt_line_is(&l, "-----END PGP SIGNATURE-----"))
				open = 0;
			else if (l.al_len > 0 && l.al_p[0] == '-') {
				cause_set(cause, "InRelease: line %ld: "
				    "unexpected armor line in the signature",
				    l.al_no);
				goto fail;
			}
		} else if (apt_line_is(&l, "-----BEGIN PGP SIGNATURE-----"))
			open = 1;
		else {
			cause_set(cause, "InRelease: line %ld: unsigned text "
			    "after the signature", l.al_no);
			goto fail;
		}
	}
	if (open) {
		cause_set(cause, "InRelease: signature not closed");
		goto fail;
	}
	*text = b.b_data;
	*textlen = b.b_len;
	return 0;

fail:
	buf_free(&b);
	return -1;
}
