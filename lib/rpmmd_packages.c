/*
 * The package documents of rpm-md: primary, filelists and other (and
 * SUSE's susedata, shaped as they are), told apart by their root element,
 * and SUSE's deltainfo (Fedora's prestodelta
 * has the same shape).  Each package is handed to the caller with the few
 * fields the indexer keys on and its exact bytes; the rest of it (files,
 * changelogs, dependencies) is carried through, never read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "rpmmd.h"
#include "rpmmd_xml.h"
#include "util.h"
#include "xmalloc.h"

enum rpmmd_doc {
	RPMMD_DOC_PRIMARY,
	RPMMD_DOC_FILELISTS,
	RPMMD_DOC_OTHER,
	RPMMD_DOC_SUSEDATA,
	RPMMD_DOC_DELTAINFO
};

struct rpmmd_pkgparse {
	struct rpmmd_xml	 pp_xml;
	int			 pp_deltainfo;	/* asked for deltainfo */
	enum rpmmd_doc		 pp_doc;
	rpmmd_package_cb	 pp_cb;
	void			*pp_cbarg;

	/* The current package; strings are offsets in the arena. */
	int			 pp_inpkg;
	size_t			 pp_pkgid;
	size_t			 pp_cktype;
	size_t			 pp_name;
	size_t			 pp_arch;
	size_t			 pp_epoch;
	size_t			 pp_ver;
	size_t			 pp_rel;
	size_t			 pp_loc;
	size_t			 pp_locbase;
	size_t			 pp_srpm;
	long long		 pp_size;
	long long		 pp_time;
	int			 pp_hasversion;
	size_t			*pp_text;	/* receives the collected text */
	int			 pp_textdepth;
};

static void
rpmmd_packages_reset(struct rpmmd_pkgparse *pp)
{
	pp->pp_pkgid = pp->pp_cktype = pp->pp_name = pp->pp_arch =
	    pp->pp_epoch = pp->pp_ver = pp->pp_rel = pp->pp_loc =
	    pp->pp_locbase = pp->pp_srpm = RPMMD_XML_NONE;
	pp->pp_size = pp->pp_time = -1;
	pp->pp_hasversion = 0;
	pp->pp_text = NULL;
}

static void
rpmmd_packages_text(struct rpmmd_pkgparse *pp, size_t *field)
{
	pp->pp_text = field;
	pp->pp_textdepth = pp->pp_xml.x_depth;
	rpmmd_xml_text_begin(&pp->pp_xml);
}

static void
rpmmd_packages_root(struct rpmmd_pkgparse *pp, const char *name)
{
	struct rpmmd_xml	*x = &pp->pp_xml;

	if (pp->pp_deltainfo) {
		if (strcmp(name, "deltainfo") != 0 &&
		    strcmp(name, "prestodelta") != 0)
			rpmmd_xml_fail(x, "root element is <%s>, not <deltainfo>",
			    name);
		pp->pp_doc = RPMMD_DOC_DELTAINFO;
	} else if (strcmp(name, "metadata") == 0)
		pp->pp_doc = RPMMD_DOC_PRIMARY;
	else if (strcmp(name, "filelists") == 0)
		pp->pp_doc = RPMMD_DOC_FILELISTS;
	else if (strcmp(name, "otherdata") == 0)
		pp->pp_doc = RPMMD_DOC_OTHER;
	else if (strcmp(name, "susedata") == 0)
		pp->pp_doc = RPMMD_DOC_SUSEDATA;
	else
		rpmmd_xml_fail(x, "root element is <%s>, not <metadata>, "
		    "<filelists>, <otherdata> or <susedata>", name);
}

/* <version epoch= ver= rel=>, as primary, filelists and other write it. */
static void
rpmmd_packages_version(struct rpmmd_pkgparse *pp, int nattrs,
    const xmlChar **attrs)
{
	struct rpmmd_xml	*x = &pp->pp_xml;

	pp->pp_hasversion = 1;
	pp->pp_epoch = rpmmd_xml_attr(x, nattrs, attrs, "epoch", NULL);
	pp->pp_ver = rpmmd_xml_attr(x, nattrs, attrs, "ver", NULL);
	pp->pp_rel = rpmmd_xml_attr(x, nattrs, attrs, "rel", NULL);
}

static void
rpmmd_packages_start(struct rpmmd_xml *x, const char *name, const char *uri,
    int nattrs, const xmlChar **attrs)
{
	struct rpmmd_pkgparse	*pp = x->x_arg;

	if (x->x_depth == 0) {
		rpmmd_packages_root(pp, name);
		return;
	}
	if (x->x_depth == 1) {
		rpmmd_packages_reset(pp);
		if (pp->pp_doc == RPMMD_DOC_DELTAINFO) {
			pp->pp_inpkg = strcmp(name, "newpackage") == 0;
			if (!pp->pp_inpkg)
				return;
			pp->pp_name = rpmmd_xml_attr(x, nattrs, attrs, "name",
			    NULL);
			pp->pp_arch = rpmmd_xml_attr(x, nattrs, attrs, "arch",
			    NULL);
			pp->pp_epoch = rpmmd_xml_attr(x, nattrs, attrs, "epoch",
			    NULL);
			pp->pp_ver = rpmmd_xml_attr(x, nattrs, attrs, "version",
			    NULL);
			pp->pp_rel = rpmmd_xml_attr(x, nattrs, attrs, "release",
			    NULL);
			pp->pp_hasversion = 1;
			return;
		}
		pp->pp_inpkg = strcmp(name, "package") == 0;
		if (!pp->pp_inpkg || pp->pp_doc == RPMMD_DOC_PRIMARY)
			return;
		pp->pp_pkgid = rpmmd_xml_attr(x, nattrs, attrs, "pkgid", NULL);
		pp->pp_name = rpmmd_xml_attr(x, nattrs, attrs, "name", NULL);
		pp->pp_arch = rpmmd_xml_attr(x, nattrs, attrs, "arch", NULL);
		return;
	}
	if (!pp->pp_inpkg || pp->pp_doc == RPMMD_DOC_DELTAINFO)
		return;

	if (x->x_depth == 2 && strcmp(name, "version") == 0) {
		rpmmd_packages_version(pp, nattrs, attrs);
		return;
	}
	if (pp->pp_doc != RPMMD_DOC_PRIMARY)
		return;
	if (x->x_depth == 2) {
		if (strcmp(name, "name") == 0)
			rpmmd_packages_text(pp, &pp->pp_name);
		else if (strcmp(name, "arch") == 0)
			rpmmd_packages_text(pp, &pp->pp_arch);
		else if (strcmp(name, "checksum") == 0 &&
		    pp->pp_pkgid == RPMMD_XML_NONE) {
			pp->pp_cktype = rpmmd_xml_attr(x, nattrs, attrs, "type",
			    NULL);
			rpmmd_packages_text(pp, &pp->pp_pkgid);
		} else if (strcmp(name, "time") == 0)
			pp->pp_time = rpmmd_xml_number(rpmmd_xml_str(x,
			    rpmmd_xml_attr(x, nattrs, attrs, "file", NULL)));
		else if (strcmp(name, "size") == 0)
			pp->pp_size = rpmmd_xml_number(rpmmd_xml_str(x,
			    rpmmd_xml_attr(x, nattrs, attrs, "package", NULL)));
		else if (strcmp(name, "location") == 0) {
			pp->pp_loc = rpmmd_xml_attr(x, nattrs, attrs, "href",
			    NULL);
			pp->pp_locbase = rpmmd_xml_attr(x, nattrs, attrs,
			    "base", (const char *)XML_XML_NAMESPACE);
		}
	} else if (x->x_depth == 3 && strcmp(x->x_path[2], "format") == 0 &&
	    strcmp(name, "sourcerpm") == 0)
		rpmmd_packages_text(pp, &pp->pp_srpm);
}

/* Checks the package and hands it to the caller. */
static void
rpmmd_packages_done(struct rpmmd_pkgparse *pp)
{
	struct rpmmd_xml	*x = &pp->pp_xml;
	struct rpmmd_package	 p;
	const char		*missing = NULL, *el;

	memset(&p, 0, sizeof p);
	p.rp_pkgid = rpmmd_xml_str(x, pp->pp_pkgid);
	p.rp_name = rpmmd_xml_str(x, pp->pp_name);
	p.rp_arch = rpmmd_xml_str(x, pp->pp_arch);
	p.rp_epoch = rpmmd_xml_str(x, pp->pp_epoch);
	if (p.rp_epoch == NULL || *p.rp_epoch == '\0')
		p.rp_epoch = "0";
	p.rp_version = rpmmd_xml_str(x, pp->pp_ver);
	p.rp_release = rpmmd_xml_str(x, pp->pp_rel);
	p.rp_location = rpmmd_xml_str(x, pp->pp_loc);
	p.rp_location_base = rpmmd_xml_str(x, pp->pp_locbase);
	p.rp_sourcerpm = rpmmd_xml_str(x, pp->pp_srpm);
	p.rp_size = pp->pp_size;
	p.rp_time_file = pp->pp_time;
	p.rp_raw = x->x_raw;
	p.rp_rawlen = x->x_rawlen;
	p.rp_offset = x->x_rawoff;
	p.rp_line = x->x_rawline;

	switch (pp->pp_doc) {
	case RPMMD_DOC_PRIMARY:
		if (p.rp_name == NULL || *p.rp_name == '\0')
			missing = "<name>";
		else if (p.rp_arch == NULL || *p.rp_arch == '\0')
			missing = "<arch>";
		else if (!pp->pp_hasversion)
			missing = "<version>";
		else if (p.rp_version == NULL)
			missing = "<version ver=>";
		else if (p.rp_release == NULL)
			missing = "<version rel=>";
		else if (p.rp_pkgid == NULL || *p.rp_pkgid == '\0')
			missing = "<checksum>";
		else if (pp->pp_cktype == RPMMD_XML_NONE)
			missing = "<checksum type=>";
		else if (p.rp_location == NULL || *p.rp_location == '\0')
			missing = "<location href=>";
		break;
	case RPMMD_DOC_SUSEDATA:
		/* Keyed by pkgid alone: the rest is not needed to filter. */
		if (p.rp_pkgid == NULL || *p.rp_pkgid == '\0')
			missing = "pkgid=";
		break;
	case RPMMD_DOC_FILELISTS:
	case RPMMD_DOC_OTHER:
		if (p.rp_pkgid == NULL || *p.rp_pkgid == '\0')
			missing = "pkgid=";
		else if (p.rp_name == NULL || *p.rp_name == '\0')
			missing = "name=";
		else if (p.rp_arch == NULL || *p.rp_arch == '\0')
			missing = "arch=";
		else if (!pp->pp_hasversion)
			missing = "<version>";
		else if (p.rp_version == NULL)
			missing = "<version ver=>";
		else if (p.rp_release == NULL)
			missing = "<version rel=>";
		break;
	case RPMMD_DOC_DELTAINFO:
		if (p.rp_name == NULL || *p.rp_name == '\0')
			missing = "name=";
		else if (p.rp_arch == NULL || *p.rp_arch == '\0')
			missing = "arch=";
		else if (p.rp_version == NULL)
			missing = "version=";
		else if (p.rp_release == NULL)
			missing = "release=";
		break;
	}
	el = pp->pp_doc == RPMMD_DOC_DELTAINFO ? "newpackage" : "package";
	if (missing != NULL) {
		if (p.rp_name != NULL && *p.rp_name != '\0')
			rpmmd_xml_fail_line(x, p.rp_line, "<%s> of %s without "
			    "%s", el, p.rp_name, missing);
		else
			rpmmd_xml_fail_line(x, p.rp_line, "<%s> without %s",
			    el, missing);
		return;
	}
	if (pp->pp_doc == RPMMD_DOC_PRIMARY) {
		p.rp_checksum_type = hash_canonical(rpmmd_xml_str(x,
		    pp->pp_cktype));
		if (p.rp_checksum_type == NULL) {
			rpmmd_xml_fail_line(x, p.rp_line, "<package> of %s: "
			    "unknown checksum type \"%s\"", p.rp_name,
			    rpmmd_xml_str(x, pp->pp_cktype));
			return;
		}
	}
	if (pp->pp_cb(&p, pp->pp_cbarg) != 0)
		rpmmd_xml_stop(x);
}

static void
rpmmd_packages_end(struct rpmmd_xml *x, const char *name, const char *uri)
{
	struct rpmmd_pkgparse	*pp = x->x_arg;

	if (!pp->pp_inpkg)
		return;
	if (pp->pp_text != NULL && x->x_depth == pp->pp_textdepth) {
		*pp->pp_text = rpmmd_xml_text_end(x);
		pp->pp_text = NULL;
	}
	if (x->x_depth == 1) {
		rpmmd_packages_done(pp);
		pp->pp_inpkg = 0;
	}
}

static int
rpmmd_packages_run(int deltainfo, pg_read_fn rfn, void *rarg,
    const char *what, rpmmd_package_cb cb, void *cbarg, char **root_start,
    char **cause)
{
	struct rpmmd_pkgparse	pp;
	int			rv;

	memset(&pp, 0, sizeof pp);
	rpmmd_xml_init(&pp.pp_xml, what, rpmmd_packages_start,
	    rpmmd_packages_end, &pp);
	pp.pp_deltainfo = deltainfo;
	pp.pp_cb = cb;
	pp.pp_cbarg = cbarg;
	rv = rpmmd_xml_parse(&pp.pp_xml, rfn, rarg, root_start, cause);
	rpmmd_xml_free(&pp.pp_xml);
	return rv;
}

int
rpmmd_packages_parse(pg_read_fn rfn, void *rarg, const char *what,
    rpmmd_package_cb cb, void *cbarg, char **root_start, char **cause)
{
	return rpmmd_packages_run(0, rfn, rarg, what, cb, cbarg, root_start,
	    cause);
}

int
rpmmd_deltainfo_parse(pg_read_fn rfn, void *rarg, const char *what,
    rpmmd_package_cb cb, void *cbarg, char **root_start, char **cause)
{
	return rpmmd_packages_run(1, rfn, rarg, what, cb, cbarg, root_start,
	    cause);
}

/*
 * Replaces packages="N" in a root start tag, walking the attributes so
 * that a value holding the same words cannot be mistaken for it.
 */
char *
rpmmd_root_with_count(const char *root_start, unsigned long count)
{
	const char	*p, *name, *val, *end = NULL, *close;
	struct buf	 b;
	size_t		 namelen;
	char		 q;

	p = root_start;
	if (*p == '<')
		p++;
	while (*p != '\0' && *p != '>' && *p != '/' &&
	    strchr(" \t\r\n", *p) == NULL)
		p++;
	for (;;) {
		while (*p != '\0' && strchr(" \t\r\n", *p) != NULL)
			p++;
		if (*p == '\0' || *p == '>' || *p == '/')
			break;
		name = p;
		while (*p != '\0' && *p != '=' && strchr(" \t\r\n", *p) == NULL)
			p++;
		namelen = p - name;
		while (*p != '\0' && strchr(" \t\r\n", *p) != NULL)
			p++;
		if (*p != '=')
			break;
		p++;
		while (*p != '\0' && strchr(" \t\r\n", *p) != NULL)
			p++;
		if (*p != '"' && *p != '\'')
			break;
		q = *p++;
		val = p;
		while (*p != '\0' && *p != q)
			p++;
		if (*p == '\0')
			break;
		if (namelen == 8 && strncmp(name, "packages", 8) == 0) {
			end = p;
			break;
		}
		p++;
	}

	buf_init(&b);
	if (end != NULL) {
		buf_add(&b, root_start, val - root_start);
		buf_addf(&b, "%lu", count);
		buf_adds(&b, end);
		return b.b_data;
	}
	/* No such attribute: add it before the end of the tag. */
	close = strrchr(root_start, '>');
	if (close == NULL)
		close = root_start + strlen(root_start);
	if (close > root_start && close[-1] == '/')
		close--;
	while (close > root_start && strchr(" \t\r\n", close[-1]) != NULL)
		close--;
	buf_add(&b, root_start, close - root_start);
	buf_addf(&b, " packages=\"%lu\"", count);
	buf_adds(&b, close);
	return b.b_data;
}
