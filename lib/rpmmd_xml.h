/*
 * The SAX plumbing shared by the rpm-md parsers (rpmmd_*.c only): a libxml2
 * push parser fed from a pg_read_fn, with DTDs and entities refused, a
 * depth limit, and a window of the input that keeps the exact bytes of
 * each child of the root element (a <package>, an <update>) until its end
 * tag, so that views can copy it byte for byte.
 */
#ifndef PG_RPMMD_XML_H
#define PG_RPMMD_XML_H

#include <libxml/parser.h>

#include "compress.h"
#include "util.h"

/*
 * Limits on untrusted input, each failing the parse with a message that
 * names it.  The largest real elements are far below them: a filelists
 * <package> of 50,000 files is about 4 MiB; Fedora's primary holds some
 * 75,000 packages.
 */
#define RPMMD_XML_MAXDEPTH	32			/* the root is depth 0 */
/* Fuzz builds may lower these with -D, to reach them with small inputs. */
#ifndef RPMMD_XML_MAXELEMENT
#define RPMMD_XML_MAXELEMENT	(16 * 1024 * 1024)	/* one child of the root */
#endif
#ifndef RPMMD_XML_MAXTEXT
#define RPMMD_XML_MAXTEXT	(4 * 1024 * 1024)	/* one text the parser reads */
#endif
#ifndef RPMMD_XML_MAXENTRIES
#define RPMMD_XML_MAXENTRIES	2000000			/* children of the root */
#endif
#define RPMMD_XML_NONE		((size_t)-1)		/* no string in the arena */

struct rpmmd_xml;

/*
 * The document's hooks.  x_depth is the depth of the element (the root is
 * 0) and x_path[0..x_depth] the local names of the open elements.  attrs
 * is libxml2's SAX2 array (five pointers per attribute).
 */
typedef void	(*rpmmd_xml_start_fn)(struct rpmmd_xml *, const char *name,
		    const char *uri, int nattrs, const xmlChar **attrs);
typedef void	(*rpmmd_xml_end_fn)(struct rpmmd_xml *, const char *name,
		    const char *uri);

struct rpmmd_xml {
	const char		*x_what;	/* the document, for messages */
	rpmmd_xml_start_fn	 x_start;
	rpmmd_xml_end_fn	 x_end;
	void			*x_arg;

	/* Read by the hooks. */
	int			 x_depth;
	const char		*x_path[RPMMD_XML_MAXDEPTH + 1];
	long long		 x_tagoff;	/* start hooks: offset of '<' */
	long			 x_tagline;	/* start hooks: line of '<' */
	const char		*x_raw;		/* depth-1 end hooks: the element */
	size_t			 x_rawlen;
	long long		 x_rawoff;	/* offset in the document */
	long			 x_rawline;	/* line of its start tag */
	struct buf		 x_arena;	/* strings of the current element */

	/* Private to rpmmd_xml.c. */
	xmlParserCtxtPtr	 x_ctxt;
	struct buf		 x_win;		/* input bytes from x_winoff on */
	long long		 x_winoff;
	long long		 x_fed;
	int			 x_open;	/* open elements */
	long			 x_lines[RPMMD_XML_MAXDEPTH + 1];
	int			 x_eof;
	long			 x_entries;	/* children of the root so far */
	int			 x_capturing;	/* inside a child of the root */
	long long		 x_capoff;
	long			 x_capline;
	int			 x_rootdone;
	char			*x_root_start;
	int			 x_collect;
	struct buf		 x_text;
	char			*x_error;
	int			 x_stopped;
};

void		 rpmmd_xml_init(struct rpmmd_xml *, const char *what,
		     rpmmd_xml_start_fn, rpmmd_xml_end_fn, void *arg);
/*
 * Runs the parse to the end of the stream.  On success root_start (if not
 * NULL) receives a caller-freed copy of the root's start tag.  Returns -1
 * with a caller-freed *cause on failure; after rpmmd_xml_stop(), returns
 * -1 leaving *cause alone.
 */
int		 rpmmd_xml_parse(struct rpmmd_xml *, pg_read_fn, void *rarg,
		     char **root_start, char **cause);
void		 rpmmd_xml_free(struct rpmmd_xml *);

/* Fails the parse: "what: line N: message" (the current line, or line). */
void		 rpmmd_xml_fail(struct rpmmd_xml *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
void		 rpmmd_xml_fail_line(struct rpmmd_xml *, long, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
/* Stops the parse because a caller's callback failed (cause is theirs). */
void		 rpmmd_xml_stop(struct rpmmd_xml *);
int		 rpmmd_xml_failed(struct rpmmd_xml *);

/* Offset in the document just after what the parser has read. */
long long	 rpmmd_xml_offset(struct rpmmd_xml *);

/* Collects the text of the current element until rpmmd_xml_text_end. */
void		 rpmmd_xml_text_begin(struct rpmmd_xml *);
size_t		 rpmmd_xml_text_end(struct rpmmd_xml *);
int		 rpmmd_xml_collecting(struct rpmmd_xml *);

/* Strings in the arena, by offset (RPMMD_XML_NONE for none). */
size_t		 rpmmd_xml_save(struct rpmmd_xml *, const char *, size_t);
const char	*rpmmd_xml_str(struct rpmmd_xml *, size_t);
/* Saves attribute name (in namespace uri, NULL for none) or RPMMD_XML_NONE. */
size_t		 rpmmd_xml_attr(struct rpmmd_xml *, int nattrs,
		     const xmlChar **attrs, const char *name, const char *uri);

/* A decimal number, or -1 when s is NULL or not one. */
long long	 rpmmd_xml_number(const char *s);

#endif
