/*
 * A mirror's base URLs from a mirrorlist or a metalink (mirrorlist.h).
 * Both documents come from upstream and are untrusted: a bounded
 * download, libxml2's streaming reader with network access and entity
 * expansion off, and only http(s) URLs taken.  A metalink's checksums
 * are what makes a mirror it names trustworthy for repomd.xml, so they
 * go to the fetch policy (fetch.h), which checks every repomd.xml
 * against them whatever base it came from.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>

#include "conf.h"
#include "fetch.h"
#include "log.h"
#include "mirrorlist.h"
#include "util.h"
#include "xmalloc.h"

#define MIRRORLIST_MAX	(4 * 1024 * 1024)	/* bytes of either document */
#define MIRRORLIST_REPOMD	"/repodata/repomd.xml"

/* Appends a copy of s to the NULL-terminated *v of *n entries. */
static void
ml_push(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 2, sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

static int
ml_has(char **v, const char *s)
{
	for (; v != NULL && *v != NULL; v++) {
		if (strcmp(*v, s) == 0)
			return 1;
	}
	return 0;
}

/* Whether u is an http(s) URL with a host, one word. */
static int
ml_url_ok(const char *u)
{
	const char	*h;

	if (strncmp(u, "http://", 7) == 0)
		h = u + 7;
	else if (strncmp(u, "https://", 8) == 0)
		h = u + 8;
	else
		return 0;
	return *h != '\0' && *h != '/' && strpbrk(u, " \t\r\n\"<>\\") == NULL;
}

/* A base without its trailing slashes; caller-freed. */
static char *
ml_base(const char *u, size_t len)
{
	while (len > 8 && u[len - 1] == '/')
		len--;
	return xstrndup(u, len);
}

char **
mirrorlist_parse(const char *data, size_t len, const char *what,
    char **cause)
{
	const char	*p = data, *end = data + len, *nl, *s, *e;
	char		**v = NULL, *base;
	size_t		 n = 0, skipped = 0;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		for (s = p; s < nl && (*s == ' ' || *s == '\t'); s++)
			;
		for (e = nl; e > s && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r'); e--)
			;
		if (s == e || *s == '#')
			continue;
		base = ml_base(s, e - s);
		/* rsync:// and ftp:// lines are for other clients. */
		if (!ml_url_ok(base) || memchr(s, '\0', e - s) != NULL)
			skipped++;
		else if (!ml_has(v, base))
			ml_push(&v, &n, base);
		free(base);
	}
	if (n == 0) {
		cause_set(cause, "%s: no http:// or https:// base URL in it%s",
		    what, skipped ? " (only other schemes or bad lines)" : "");
		return NULL;
	}
	return v;
}

/* A <url> of a metalink, and how much it is preferred. */
struct ml_url {
	char		*mu_base;
	long		 mu_rank;	/* lower first */
	size_t		 mu_order;	/* in the document, for ties */
};

static int
ml_url_cmp(const void *x, const void *y)
{
	const struct ml_url	*a = x, *b = y;

	if (a->mu_rank != b->mu_rank)
		return a->mu_rank < b->mu_rank ? -1 : 1;
	return a->mu_order < b->mu_order ? -1 : a->mu_order > b->mu_order;
}

/* An attribute's value as a number, or def; caller nothing to free. */
static long
ml_attr_num(xmlTextReaderPtr r, const char *name, long def)
{
	xmlChar	*v;
	char	*end;
	long	 n;

	if ((v = xmlTextReaderGetAttribute(r, (const xmlChar *)name)) == NULL)
		return def;
	errno = 0;
	n = strtol((const char *)v, &end, 10);
	if (end == (char *)v || errno != 0)
		n = def;
	xmlFree(v);
	return n;
}

/* Whether the element's attribute name equals one of a or b. */
static int
ml_attr_is(xmlTextReaderPtr r, const char *name, const char *a,
    const char *b)
{
	xmlChar	*v;
	int	 is;

	if ((v = xmlTextReaderGetAttribute(r, (const xmlChar *)name)) == NULL)
		return 0;
	is = strcmp((const char *)v, a) == 0 ||
	    (b != NULL && strcmp((const char *)v, b) == 0);
	xmlFree(v);
	return is;
}

/* The text content of the element the reader is on; caller-freed. */
static char *
ml_text(xmlTextReaderPtr r)
{
	xmlChar	*v;
	char	*s, *p, *e;

	if ((v = xmlTextReaderReadString(r)) == NULL)
		return xstrdup("");
	for (p = (char *)v; *p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'; p++)
		;
	for (e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t' ||
	    e[-1] == '\n' || e[-1] == '\r'); e--)
		;
	s = xstrndup(p, e - p);
	xmlFree(v);
	return s;
}

int
metalink_parse(const char *data, size_t len, const char *what,
    char ***bases, char ***sha256, char **cause)
{
	xmlTextReaderPtr	 r;
	struct ml_url		*urls = NULL;
	const char		*name;
	char			*text, **hashes = NULL;
	size_t			 nurls = 0, nhashes = 0, i, n, skipped = 0;
	int			 rc, depth, v4 = 0, root = 0, ok = -1;
	int			 file_depth = -1, pieces_depth = -1;
	long			 rank;

	*bases = NULL;
	*sha256 = NULL;
	if (len > INT_MAX) {
		cause_set(cause, "%s: too large", what);
		return -1;
	}
	r = xmlReaderForMemory(data, (int)len, what, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (r == NULL) {
		cause_set(cause, "%s: cannot start the XML reader", what);
		return -1;
	}
	while ((rc = xmlTextReaderRead(r)) == 1) {
		depth = xmlTextReaderDepth(r);
		if (xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT) {
			if (depth == file_depth)
				file_depth = -1;
			if (depth == pieces_depth)
				pieces_depth = -1;
			continue;
		}
		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
			continue;
		name = (const char *)xmlTextReaderConstLocalName(r);
		if (name == NULL)
			continue;
		if (!root) {
			if (strcmp(name, "metalink") != 0) {
				cause_set(cause, "%s: line %d: <%s> where a "
				    "<metalink> document starts", what,
				    xmlTextReaderGetParserLineNumber(r), name);
				goto out;
			}
			v4 = xmlTextReaderConstNamespaceUri(r) != NULL &&
			    strcmp((const char *)xmlTextReaderConstNamespaceUri(r),
			    "urn:ietf:params:xml:ns:metalink") == 0;
			root = 1;
			continue;
		}
		if (strcmp(name, "file") == 0 && file_depth == -1) {
			/* Only repomd.xml's entry names bases of the repo. */
			if (ml_attr_is(r, "name", "repomd.xml", NULL) &&
			    !xmlTextReaderIsEmptyElement(r))
				file_depth = depth;
			continue;
		}
		if (file_depth == -1)
			continue;
		if (strcmp(name, "pieces") == 0 && !xmlTextReaderIsEmptyElement(r))
			pieces_depth = depth;
		else if (strcmp(name, "hash") == 0 && pieces_depth == -1 &&
		    ml_attr_is(r, "type", "sha256", "sha-256")) {
			text = ml_text(r);
			for (i = 0; text[i] != '\0'; i++)
				text[i] = text[i] >= 'A' && text[i] <= 'F' ?
				    text[i] - 'A' + 'a' : text[i];
			if (strlen(text) != 64 ||
			    strspn(text, "0123456789abcdef") != 64) {
				cause_set(cause, "%s: line %d: sha256 \"%.80s\" "
				    "is not 64 hex digits", what,
				    xmlTextReaderGetParserLineNumber(r), text);
				free(text);
				goto out;
			}
			if (!ml_has(hashes, text))
				ml_push(&hashes, &nhashes, text);
			free(text);
		} else if (strcmp(name, "url") == 0) {
			/* 3.0: preference 100 is the best; 4: priority 1. */
			if (v4)
				rank = ml_attr_num(r, "priority", 999999);
			else
				rank = -ml_attr_num(r, "preference", 0);
			text = ml_text(r);
			n = strlen(text);
			if (n <= strlen(MIRRORLIST_REPOMD) || strcmp(text + n -
			    strlen(MIRRORLIST_REPOMD), MIRRORLIST_REPOMD) != 0) {
				skipped++;
				free(text);
				continue;
			}
			/*
			 * The base is what is left: "https://repodata/repomd.xml"
			 * names a host, but leaves "https:/" as a base.
			 */
			text[n - strlen(MIRRORLIST_REPOMD)] = '\0';
			if (!ml_url_ok(text)) {
				skipped++;
				free(text);
				continue;
			}
			for (i = 0; i < nurls; i++) {
				if (strcmp(urls[i].mu_base, text) == 0)
					break;
			}
			if (i < nurls) {
				free(text);
				continue;
			}
			urls = xreallocarray(urls, nurls + 1, sizeof *urls);
			urls[nurls].mu_base = ml_base(text, strlen(text));
			urls[nurls].mu_rank = rank;
			urls[nurls].mu_order = nurls;
			nurls++;
			free(text);
		}
	}
	if (rc != 0) {
		cause_set(cause, "%s: line %d: not well-formed XML", what,
		    xmlTextReaderGetParserLineNumber(r));
		goto out;
	}
	if (!root) {
		cause_set(cause, "%s: no <metalink> document", what);
		goto out;
	}
	if (nurls == 0) {
		cause_set(cause, "%s: no http:// or https:// URL of "
		    "repodata/repomd.xml in it%s", what, skipped ?
		    " (only other schemes or other files)" : "");
		goto out;
	}
	qsort(urls, nurls, sizeof *urls, ml_url_cmp);
	*bases = xcalloc(nurls + 1, sizeof **bases);
	for (i = 0; i < nurls; i++) {
		(*bases)[i] = urls[i].mu_base;
		urls[i].mu_base = NULL;
	}
	*sha256 = hashes;
	hashes = NULL;
	ok = 0;
out:
	for (i = 0; i < nurls; i++)
		free(urls[i].mu_base);
	free(urls);
	words_free(hashes);
	xmlFreeTextReader(r);
	return ok;
}

int
mirror_bases_save(const char *store, const char *name, char *const *bases,
    char **cause)
{
	struct buf	 b;
	char		*dir, *path;
	int		 rc = -1;

	xasprintf(&dir, "%s/mirrors/%s", store, name);
	xasprintf(&path, "%s/bases", dir);
	buf_init(&b);
	for (; bases != NULL && *bases != NULL; bases++)
		buf_addf(&b, "%s\n", *bases);
	if (mkdir_p(dir, 0755) == -1)
		cause_set(cause, "%s: %s", dir, strerror(errno));
	else
		rc = file_write_atomic(path, b.b_data != NULL ? b.b_data : "",
		    b.b_len, cause);
	buf_free(&b);
	free(path);
	free(dir);
	return rc;
}

char **
mirror_bases_load(const char *store, const char *name)
{
	char	*path, *data = NULL, *why = NULL, **v;
	size_t	 len;

	xasprintf(&path, "%s/mirrors/%s/bases", store, name);
	if (file_read(path, MIRRORLIST_MAX, &data, &len, &why) != 0) {
		free(why);
		free(path);
		return NULL;
	}
	v = mirrorlist_parse(data, len, path, &why);
	free(why);
	free(data);
	free(path);
	return v;
}

/* Fetches and parses the mirrorlist or metalink of mi into mb. */
static int
mirror_bases_fetch(struct mirror *mi, struct mirror_bases *mb,
    char ***got, char **cause)
{
	const char	*url = mi->mi_metalink != NULL ? mi->mi_metalink :
			    mi->mi_mirrorlist;
	char		*data = NULL, *what;
	size_t		 len;
	int		 rc;

	xasprintf(&what, "%s %s", mi->mi_metalink != NULL ? "metalink" :
	    "mirrorlist", url);
	if (fetch_to_memory(url, MIRRORLIST_MAX, &data, &len, NULL,
	    cause) != 0) {
		free(what);
		return -1;
	}
	if (mi->mi_metalink != NULL)
		rc = metalink_parse(data, len, what, got, &mb->mb_sha256,
		    cause);
	else
		rc = (*got = mirrorlist_parse(data, len, what, cause)) ==
		    NULL ? -1 : 0;
	free(data);
	if (rc == 0 && mi->mi_metalink != NULL)
		mb->mb_what = what;
	else
		free(what);
	return rc;
}

int
mirror_bases_resolve(struct mirror *mi, const char *store,
    struct mirror_bases *mb, char **cause)
{
	char	**got = NULL, *why = NULL;
	size_t	  n = 0, i;

	memset(mb, 0, sizeof *mb);
	for (i = 0; mi->mi_urls != NULL && mi->mi_urls[i] != NULL; i++)
		ml_push(&mb->mb_bases, &n, mi->mi_urls[i]);
	if (mi->mi_metalink == NULL && mi->mi_mirrorlist == NULL)
		return 0;
	if (mirror_bases_fetch(mi, mb, &got, &why) != 0) {
		/*
		 * A metalink's checksums vouch for what its mirrors serve:
		 * without them, only the urls the admin wrote are trusted.
		 */
		if (mi->mi_metalink == NULL)
			got = mirror_bases_load(store, mi->mi_name);
		if (got == NULL && n == 0) {
			cause_set(cause, "%s", why);
			free(why);
			return -1;
		}
		log_warnx("mirror %s: %s; fetching from %s", mi->mi_name, why,
		    got != NULL ? "the bases of the last good sync" :
		    "its url alone");
		free(why);
	}
	for (i = 0; got != NULL && got[i] != NULL; i++) {
		if (!ml_has(mb->mb_bases, got[i]))
			ml_push(&mb->mb_bases, &n, got[i]);
	}
	words_free(got);
	log_debug("mirror %s: %zu base URL%s", mi->mi_name, n, n == 1 ? "" :
	    "s");
	return 0;
}

void
mirror_bases_clear(struct mirror_bases *mb)
{
	words_free(mb->mb_bases);
	words_free(mb->mb_sha256);
	free(mb->mb_what);
	memset(mb, 0, sizeof *mb);
}
