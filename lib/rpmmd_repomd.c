/*
 * repomd.xml: the index of an rpm-md repository, naming each metadata file
 * with its location and checksum.  It is small and read whole, but goes
 * through the same hardened SAX plumbing as the large documents.
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

#define RPMMD_REPO_NS	"http://linux.duke.edu/metadata/repo"

struct rpmmd_mdparse {
	struct rpmmd_xml	 md_xml;
	struct rpmmd_repomd	*md_repomd;
	struct rpmmd_data	*md_data;	/* the open <data> */
	char			**md_textp;	/* receives the collected text */
	long long		*md_nump;	/* or its number */
	int			 md_textdepth;
	char			*md_cktype;	/* as written */
	char			*md_ocktype;
};

/* Reads a memory buffer in pieces, as the plumbing wants a stream. */
struct rpmmd_mdreader {
	const char	*mr_data;
	size_t		 mr_len;
	size_t		 mr_off;
};

static ssize_t
rpmmd_repomd_read(void *arg, void *buf, size_t len, char **cause)
{
	struct rpmmd_mdreader	*mr = arg;

	if (len > mr->mr_len - mr->mr_off)
		len = mr->mr_len - mr->mr_off;
	memcpy(buf, mr->mr_data + mr->mr_off, len);
	mr->mr_off += len;
	return len;
}

static char *
rpmmd_repomd_attr(struct rpmmd_xml *x, int nattrs, const xmlChar **attrs,
    const char *name)
{
	const char	*s;

	s = rpmmd_xml_str(x, rpmmd_xml_attr(x, nattrs, attrs, name, NULL));
	return s != NULL ? xstrdup(s) : NULL;
}

static void
rpmmd_repomd_text(struct rpmmd_mdparse *md, char **textp, long long *nump)
{
	md->md_textp = textp;
	md->md_nump = nump;
	md->md_textdepth = md->md_xml.x_depth;
	rpmmd_xml_text_begin(&md->md_xml);
}

static void
rpmmd_repomd_start(struct rpmmd_xml *x, const char *name, const char *uri,
    int nattrs, const xmlChar **attrs)
{
	struct rpmmd_mdparse	*md = x->x_arg;
	struct rpmmd_data	*rd;

	if (x->x_depth == 0) {
		if (strcmp(name, "repomd") != 0 ||
		    (uri != NULL && strcmp(uri, RPMMD_REPO_NS) != 0))
			rpmmd_xml_fail(x, "root element is <%s>%s%s, not "
			    "<repomd>", name, uri != NULL ? " in " : "",
			    uri != NULL ? uri : "");
		return;
	}
	if (x->x_depth == 1) {
		if (strcmp(name, "revision") == 0)
			rpmmd_repomd_text(md, &md->md_repomd->rm_revision, NULL);
		else if (strcmp(name, "data") == 0) {
			rd = xcalloc(1, sizeof *rd);
			rd->rd_size = rd->rd_open_size = rd->rd_timestamp = -1;
			rd->rd_type = rpmmd_repomd_attr(x, nattrs, attrs,
			    "type");
			TAILQ_INSERT_TAIL(&md->md_repomd->rm_datas, rd,
			    rd_entry);
			md->md_data = rd;
			free(md->md_cktype);
			free(md->md_ocktype);
			md->md_cktype = md->md_ocktype = NULL;
		}
		return;
	}
	if (x->x_depth != 2 || (rd = md->md_data) == NULL)
		return;
	if (strcmp(name, "location") == 0) {
		free(rd->rd_location);
		rd->rd_location = rpmmd_repomd_attr(x, nattrs, attrs, "href");
	} else if (strcmp(name, "checksum") == 0) {
		free(md->md_cktype);
		md->md_cktype = rpmmd_repomd_attr(x, nattrs, attrs, "type");
		rpmmd_repomd_text(md, &rd->rd_checksum, NULL);
	} else if (strcmp(name, "open-checksum") == 0) {
		free(md->md_ocktype);
		md->md_ocktype = rpmmd_repomd_attr(x, nattrs, attrs, "type");
		rpmmd_repomd_text(md, &rd->rd_open_checksum, NULL);
	} else if (strcmp(name, "size") == 0)
		rpmmd_repomd_text(md, NULL, &rd->rd_size);
	else if (strcmp(name, "open-size") == 0)
		rpmmd_repomd_text(md, NULL, &rd->rd_open_size);
	else if (strcmp(name, "timestamp") == 0)
		rpmmd_repomd_text(md, NULL, &rd->rd_timestamp);
}

/* Strips the blanks around a value written on its own lines. */
static char *
rpmmd_repomd_trim(const char *s)
{
	const char	*end;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\n' || end[-1] == '\r'))
		end--;
	return xstrndup(s, end - s);
}

static void
rpmmd_repomd_done(struct rpmmd_mdparse *md)
{
	struct rpmmd_xml	*x = &md->md_xml;
	struct rpmmd_data	*rd = md->md_data;
	const char		*type, *canon;

	if (rd->rd_type == NULL || *rd->rd_type == '\0') {
		rpmmd_xml_fail_line(x, x->x_rawline, "<data> without type=");
		return;
	}
	type = rd->rd_type;
	if (rd->rd_location == NULL || *rd->rd_location == '\0') {
		rpmmd_xml_fail_line(x, x->x_rawline, "<data type=\"%s\"> "
		    "without <location href=>", type);
		return;
	}
	if (rd->rd_checksum == NULL || *rd->rd_checksum == '\0' ||
	    md->md_cktype == NULL) {
		rpmmd_xml_fail_line(x, x->x_rawline, "<data type=\"%s\"> "
		    "without <checksum type=>", type);
		return;
	}
	if ((canon = hash_canonical(md->md_cktype)) == NULL) {
		rpmmd_xml_fail_line(x, x->x_rawline, "<data type=\"%s\">: "
		    "unknown checksum type \"%s\"", type, md->md_cktype);
		return;
	}
	rd->rd_checksum_type = xstrdup(canon);
	if (rd->rd_open_checksum != NULL && md->md_ocktype != NULL &&
	    (canon = hash_canonical(md->md_ocktype)) != NULL)
		rd->rd_open_checksum_type = xstrdup(canon);
	else {
		/* Only informative: never a reason to refuse a repository. */
		free(rd->rd_open_checksum);
		rd->rd_open_checksum = NULL;
	}
}

static void
rpmmd_repomd_end(struct rpmmd_xml *x, const char *name, const char *uri)
{
	struct rpmmd_mdparse	*md = x->x_arg;
	char			*s;

	if (rpmmd_xml_collecting(x) && x->x_depth == md->md_textdepth) {
		s = rpmmd_repomd_trim(rpmmd_xml_str(x, rpmmd_xml_text_end(x)));
		if (md->md_textp != NULL) {
			free(*md->md_textp);
			*md->md_textp = s;
		} else {
			*md->md_nump = rpmmd_xml_number(s);
			free(s);
		}
	}
	if (x->x_depth == 1 && md->md_data != NULL) {
		rpmmd_repomd_done(md);
		md->md_data = NULL;
	}
}

struct rpmmd_repomd *
rpmmd_repomd_parse(const char *data, size_t len, const char *name,
    char **cause)
{
	struct rpmmd_mdparse	md;
	struct rpmmd_mdreader	mr;
	int			rv;

	memset(&md, 0, sizeof md);
	md.md_repomd = xcalloc(1, sizeof *md.md_repomd);
	TAILQ_INIT(&md.md_repomd->rm_datas);
	rpmmd_xml_init(&md.md_xml, name, rpmmd_repomd_start, rpmmd_repomd_end,
	    &md);
	mr.mr_data = data;
	mr.mr_len = len;
	mr.mr_off = 0;
	rv = rpmmd_xml_parse(&md.md_xml, rpmmd_repomd_read, &mr, NULL, cause);
	rpmmd_xml_free(&md.md_xml);
	free(md.md_cktype);
	free(md.md_ocktype);
	if (rv != 0) {
		rpmmd_repomd_free(md.md_repomd);
		return NULL;
	}
	return md.md_repomd;
}

void
rpmmd_repomd_free(struct rpmmd_repomd *rm)
{
	struct rpmmd_data	*rd;

	if (rm == NULL)
		return;
	while ((rd = TAILQ_FIRST(&rm->rm_datas)) != NULL) {
		TAILQ_REMOVE(&rm->rm_datas, rd, rd_entry);
		free(rd->rd_type);
		free(rd->rd_location);
		free(rd->rd_checksum_type);
		free(rd->rd_checksum);
		free(rd->rd_open_checksum_type);
		free(rd->rd_open_checksum);
		free(rd);
	}
	free(rm->rm_revision);
	free(rm);
}

struct rpmmd_data *
rpmmd_repomd_find(struct rpmmd_repomd *rm, const char *type)
{
	struct rpmmd_data	*rd;

	TAILQ_FOREACH(rd, &rm->rm_datas, rd_entry) {
		if (strcmp(rd->rd_type, type) == 0)
			return rd;
	}
	return NULL;
}
