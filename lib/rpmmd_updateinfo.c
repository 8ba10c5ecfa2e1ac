/*
 * updateinfo: the advisories of an rpm-md repository, in the forms Red Hat,
 * Fedora (the whole document on one line), Pulp and SUSE (its own
 * namespace, epoch-second dates, PATCHINFO comments) write.  Advisory
 * dates and packages feed release times; the exact bytes of each <update>,
 * and of each <package> in it, let a view drop the packages its group does
 * not see by splicing, without rewriting the rest.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "rpmmd.h"
#include "rpmmd_xml.h"
#include "util.h"
#include "xmalloc.h"

/* A <package> of the current <update>; strings are arena offsets. */
struct rpmmd_uipkg {
	size_t		up_name;
	size_t		up_epoch;
	size_t		up_version;
	size_t		up_release;
	size_t		up_arch;
	size_t		up_filename;
	long long	up_off;		/* in the document */
	long long	up_end;
	long		up_line;
};

struct rpmmd_uiparse {
	struct rpmmd_xml	 ui_xml;
	rpmmd_advisory_cb	 ui_cb;
	void			*ui_cbarg;

	int			 ui_inupdate;
	size_t			 ui_id;
	size_t			 ui_type;
	size_t			 ui_severity;
	size_t			 ui_title;
	size_t			 ui_status;
	size_t			 ui_issued;
	size_t			 ui_updated;
	size_t			*ui_cves;
	size_t			 ui_ncves;
	size_t			 ui_cvessize;
	struct rpmmd_uipkg	*ui_pkgs;
	size_t			 ui_npkgs;
	size_t			 ui_pkgssize;
	int			 ui_pkgdepth;	/* of the open <package>, or 0 */
	size_t			*ui_text;	/* receives the collected text */
	int			 ui_textdepth;

	/* What the callback gets, grown as needed. */
	const char		**ui_cvev;
	size_t			 ui_cvevsize;
	struct rpmmd_advpkg	*ui_advpkgs;
	size_t			 ui_advpkgssize;
};

/* Grows an array to hold n elements, doubling (advisories list thousands). */
static void *
rpmmd_updateinfo_grow(void *v, size_t *size, size_t n, size_t elsize)
{
	if (n <= *size)
		return v;
	if (*size == 0)
		*size = 16;
	while (*size < n)
		*size *= 2;
	return xreallocarray(v, *size, elsize);
}

static void
rpmmd_updateinfo_text(struct rpmmd_uiparse *ui, size_t *field)
{
	ui->ui_text = field;
	ui->ui_textdepth = ui->ui_xml.x_depth;
	rpmmd_xml_text_begin(&ui->ui_xml);
}

static void
rpmmd_updateinfo_reset(struct rpmmd_uiparse *ui)
{
	ui->ui_id = ui->ui_type = ui->ui_severity = ui->ui_title =
	    ui->ui_status = ui->ui_issued = ui->ui_updated = RPMMD_XML_NONE;
	ui->ui_ncves = 0;
	ui->ui_npkgs = 0;
	ui->ui_pkgdepth = 0;
	ui->ui_text = NULL;
}

static void
rpmmd_updateinfo_start(struct rpmmd_xml *x, const char *name,
    const char *uri, int nattrs, const xmlChar **attrs)
{
	struct rpmmd_uiparse	*ui = x->x_arg;
	struct rpmmd_uipkg	*up;
	size_t			 type, off;

	if (x->x_depth == 0) {
		if (strcmp(name, "updates") != 0)
			rpmmd_xml_fail(x, "root element is <%s>, not <updates>",
			    name);
		return;
	}
	if (x->x_depth == 1) {
		ui->ui_inupdate = strcmp(name, "update") == 0;
		if (!ui->ui_inupdate)
			return;
		rpmmd_updateinfo_reset(ui);
		ui->ui_type = rpmmd_xml_attr(x, nattrs, attrs, "type", NULL);
		ui->ui_status = rpmmd_xml_attr(x, nattrs, attrs, "status", NULL);
		ui->ui_severity = rpmmd_xml_attr(x, nattrs, attrs, "severity",
		    NULL);
		return;
	}
	if (!ui->ui_inupdate)
		return;

	if (x->x_depth == 2) {
		if (strcmp(name, "id") == 0)
			rpmmd_updateinfo_text(ui, &ui->ui_id);
		else if (strcmp(name, "title") == 0)
			rpmmd_updateinfo_text(ui, &ui->ui_title);
		else if (strcmp(name, "severity") == 0)
			rpmmd_updateinfo_text(ui, &ui->ui_severity);
		else if (strcmp(name, "issued") == 0 ||
		    strcmp(name, "updated") == 0) {
			off = rpmmd_xml_attr(x, nattrs, attrs, "date", NULL);
			if (name[0] == 'i')
				ui->ui_issued = off;
			else
				ui->ui_updated = off;
			if (off == RPMMD_XML_NONE)
				rpmmd_updateinfo_text(ui, name[0] == 'i' ?
				    &ui->ui_issued : &ui->ui_updated);
		}
		return;
	}

	if (x->x_depth == 3 && strcmp(name, "reference") == 0 &&
	    strcmp(x->x_path[2], "references") == 0) {
		type = rpmmd_xml_attr(x, nattrs, attrs, "type", NULL);
		if (type == RPMMD_XML_NONE ||
		    strcasecmp(rpmmd_xml_str(x, type), "cve") != 0)
			return;
		off = rpmmd_xml_attr(x, nattrs, attrs, "id", NULL);
		if (off == RPMMD_XML_NONE || *rpmmd_xml_str(x, off) == '\0')
			return;
		ui->ui_cves = rpmmd_updateinfo_grow(ui->ui_cves,
		    &ui->ui_cvessize, ui->ui_ncves + 1, sizeof *ui->ui_cves);
		ui->ui_cves[ui->ui_ncves++] = off;
		return;
	}

	if (strcmp(name, "package") == 0 && ui->ui_pkgdepth == 0 &&
	    strcmp(x->x_path[2], "pkglist") == 0) {
		ui->ui_pkgs = rpmmd_updateinfo_grow(ui->ui_pkgs,
		    &ui->ui_pkgssize, ui->ui_npkgs + 1, sizeof *ui->ui_pkgs);
		up = &ui->ui_pkgs[ui->ui_npkgs++];
		up->up_name = rpmmd_xml_attr(x, nattrs, attrs, "name", NULL);
		up->up_epoch = rpmmd_xml_attr(x, nattrs, attrs, "epoch", NULL);
		up->up_version = rpmmd_xml_attr(x, nattrs, attrs, "version",
		    NULL);
		up->up_release = rpmmd_xml_attr(x, nattrs, attrs, "release",
		    NULL);
		up->up_arch = rpmmd_xml_attr(x, nattrs, attrs, "arch", NULL);
		up->up_filename = RPMMD_XML_NONE;
		up->up_off = x->x_tagoff;
		up->up_end = -1;
		up->up_line = x->x_tagline;
		ui->ui_pkgdepth = x->x_depth;
		return;
	}
	if (ui->ui_pkgdepth != 0 && x->x_depth == ui->ui_pkgdepth + 1 &&
	    strcmp(name, "filename") == 0)
		rpmmd_updateinfo_text(ui,
		    &ui->ui_pkgs[ui->ui_npkgs - 1].up_filename);
}

/*
 * A date as updateinfo writes it; 0 when there is none or it cannot be
 * read.  Pulp writes "2013-01-27 16:08:05 UTC", which time_parse_any()
 * leaves to its callers.
 */
static time_t
rpmmd_updateinfo_date(const char *s)
{
	time_t	 t;
	char	*copy;
	size_t	 len;

	if (s == NULL)
		return 0;
	if (time_parse_any(s, &t) == 0)
		return t;
	copy = xstrdup(s);
	len = strlen(copy);
	while (len > 0 && isspace((unsigned char)copy[len - 1]))
		copy[--len] = '\0';
	t = 0;
	if (len > 4 && (strcmp(copy + len - 4, " UTC") == 0 ||
	    strcmp(copy + len - 4, " GMT") == 0)) {
		copy[len - 4] = '\0';
		if (time_parse_any(copy, &t) != 0)
			t = 0;
	}
	free(copy);
	return t;
}

static int
rpmmd_updateinfo_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Checks the advisory and hands it to the caller. */
static void
rpmmd_updateinfo_done(struct rpmmd_uiparse *ui)
{
	struct rpmmd_xml	*x = &ui->ui_xml;
	struct rpmmd_advisory	 ad;
	struct rpmmd_advpkg	*ap;
	struct rpmmd_uipkg	*up;
	const char		*missing;
	size_t			 i, n;

	memset(&ad, 0, sizeof ad);
	ad.ad_id = rpmmd_xml_str(x, ui->ui_id);
	if (ad.ad_id == NULL || *ad.ad_id == '\0') {
		rpmmd_xml_fail_line(x, x->x_rawline, "<update> without <id>");
		return;
	}
	ad.ad_type = rpmmd_xml_str(x, ui->ui_type);
	if (ad.ad_type == NULL || *ad.ad_type == '\0') {
		rpmmd_xml_fail_line(x, x->x_rawline, "<update> %s without "
		    "type=", ad.ad_id);
		return;
	}
	ad.ad_severity = rpmmd_xml_str(x, ui->ui_severity);
	if (ad.ad_severity != NULL && *ad.ad_severity == '\0')
		ad.ad_severity = NULL;
	ad.ad_title = rpmmd_xml_str(x, ui->ui_title);
	if (ad.ad_title == NULL)
		ad.ad_title = "";
	ad.ad_status = rpmmd_xml_str(x, ui->ui_status);
	if (ad.ad_status == NULL)
		ad.ad_status = "";
	ad.ad_issued = rpmmd_updateinfo_date(rpmmd_xml_str(x, ui->ui_issued));
	ad.ad_updated = rpmmd_updateinfo_date(rpmmd_xml_str(x,
	    ui->ui_updated));

	/* CVEs, each once, sorted (a kernel advisory lists hundreds). */
	ui->ui_cvev = rpmmd_updateinfo_grow(ui->ui_cvev, &ui->ui_cvevsize,
	    ui->ui_ncves + 1, sizeof *ui->ui_cvev);
	for (i = 0; i < ui->ui_ncves; i++)
		ui->ui_cvev[i] = rpmmd_xml_str(x, ui->ui_cves[i]);
	qsort(ui->ui_cvev, ui->ui_ncves, sizeof *ui->ui_cvev,
	    rpmmd_updateinfo_cmp);
	n = 0;
	for (i = 0; i < ui->ui_ncves; i++) {
		if (n == 0 || strcmp(ui->ui_cvev[n - 1], ui->ui_cvev[i]) != 0)
			ui->ui_cvev[n++] = ui->ui_cvev[i];
	}
	ui->ui_cvev[n] = NULL;
	ad.ad_cves = ui->ui_cvev;

	ui->ui_advpkgs = rpmmd_updateinfo_grow(ui->ui_advpkgs,
	    &ui->ui_advpkgssize, ui->ui_npkgs + 1, sizeof *ui->ui_advpkgs);
	for (i = 0; i < ui->ui_npkgs; i++) {
		up = &ui->ui_pkgs[i];
		ap = &ui->ui_advpkgs[i];
		ap->ap_name = rpmmd_xml_str(x, up->up_name);
		ap->ap_epoch = rpmmd_xml_str(x, up->up_epoch);
		if (ap->ap_epoch == NULL || *ap->ap_epoch == '\0')
			ap->ap_epoch = "0";
		ap->ap_version = rpmmd_xml_str(x, up->up_version);
		ap->ap_release = rpmmd_xml_str(x, up->up_release);
		ap->ap_arch = rpmmd_xml_str(x, up->up_arch);
		ap->ap_filename = rpmmd_xml_str(x, up->up_filename);
		missing = NULL;
		if (ap->ap_name == NULL || *ap->ap_name == '\0')
			missing = "name=";
		else if (ap->ap_version == NULL || *ap->ap_version == '\0')
			missing = "version=";
		else if (ap->ap_release == NULL)
			missing = "release=";
		if (missing != NULL) {
			rpmmd_xml_fail_line(x, up->up_line, "<package> without "
			    "%s in <update> %s", missing, ad.ad_id);
			return;
		}
		if (up->up_off < x->x_rawoff || up->up_end < up->up_off ||
		    up->up_end > x->x_rawoff + (long long)x->x_rawlen) {
			rpmmd_xml_fail_line(x, up->up_line, "<package> of "
			    "<update> %s not found in the input", ad.ad_id);
			return;
		}
		ap->ap_raw_off = up->up_off - x->x_rawoff;
		ap->ap_raw_len = up->up_end - up->up_off;
	}
	ad.ad_pkgs = ui->ui_advpkgs;
	ad.ad_npkgs = ui->ui_npkgs;
	ad.ad_raw = x->x_raw;
	ad.ad_rawlen = x->x_rawlen;
	ad.ad_line = x->x_rawline;

	if (ui->ui_cb(&ad, ui->ui_cbarg) != 0)
		rpmmd_xml_stop(x);
}

static void
rpmmd_updateinfo_end(struct rpmmd_xml *x, const char *name, const char *uri)
{
	struct rpmmd_uiparse	*ui = x->x_arg;

	if (!ui->ui_inupdate)
		return;
	if (ui->ui_text != NULL && x->x_depth == ui->ui_textdepth) {
		*ui->ui_text = rpmmd_xml_text_end(x);
		ui->ui_text = NULL;
	}
	if (ui->ui_pkgdepth != 0 && x->x_depth == ui->ui_pkgdepth) {
		ui->ui_pkgs[ui->ui_npkgs - 1].up_end = rpmmd_xml_offset(x);
		ui->ui_pkgdepth = 0;
	}
	if (x->x_depth == 1) {
		rpmmd_updateinfo_done(ui);
		ui->ui_inupdate = 0;
	}
}

int
rpmmd_updateinfo_parse(pg_read_fn rfn, void *rarg, const char *what,
    rpmmd_advisory_cb cb, void *cbarg, char **root_start, char **cause)
{
	struct rpmmd_uiparse	ui;
	int			rv;

	memset(&ui, 0, sizeof ui);
	rpmmd_xml_init(&ui.ui_xml, what, rpmmd_updateinfo_start,
	    rpmmd_updateinfo_end, &ui);
	ui.ui_cb = cb;
	ui.ui_cbarg = cbarg;
	rv = rpmmd_xml_parse(&ui.ui_xml, rfn, rarg, root_start, cause);
	rpmmd_xml_free(&ui.ui_xml);
	free(ui.ui_cves);
	free(ui.ui_pkgs);
	free(ui.ui_cvev);
	free(ui.ui_advpkgs);
	return rv;
}
