/*
 * The request path's own parsers: pure functions over strings, with no
 * libevent state, so that unit tests and fuzz targets can call them
 * directly (tests/unit/test_parse.c, fuzz/fuzz_{path,range,host,idx}.c).
 */
#ifndef PG_PARSE_H
#define PG_PARSE_H

#include <stddef.h>

/* The longest request path taken, before decoding. */
#define PARSE_PATH_MAX	4096

/* A decoded request path, as routing walks it. */
struct route_path {
	char	*rp_buf;	/* decoded, segments NUL-terminated */
	char	*rp_norm;	/* "a/b/c": segments joined, no empty ones */
	char	**rp_segs;	/* into rp_buf */
	size_t	*rp_offs;	/* where each segment starts in rp_norm */
	size_t	 rp_nsegs;
};

/*
 * Decodes raw (the path of the request, without the query) into rp, to be
 * freed with parse_path_free.  Returns -1 for a path that is refused, with
 * errno ENOMEM when it was memory that failed.
 */
int		 parse_path(const char *raw, struct route_path *rp);
void		 parse_path_free(struct route_path *rp);
/* The value of one hexadecimal digit, or -1. */
int		 parse_hex(char c);

enum parse_range {
	RANGE_NONE,		/* no Range, or one to ignore: the whole file */
	RANGE_PARTIAL,
	RANGE_UNSATISFIABLE,
};
/*
 * The value of a Range header over a file of size bytes.  RANGE_PARTIAL
 * sets *first and *last (both included); otherwise they are untouched.
 */
enum parse_range parse_range(const char *value, long long size,
		     long long *first, long long *last);

/*
 * Whether h is "host", "host:port" or "[v6]:port" (port optional), in the
 * characters a URL takes as they are.
 */
int		 parse_host(const char *h);

struct gate_entry;
/*
 * Parses one line of a packages.idx (view.h) in place, into e, which then
 * points into line.  Returns NULL, or why the line is malformed.
 */
const char	*parse_idx_line(char *line, struct gate_entry *e);
/* A relative path with no empty, "." or ".." component, as routing makes. */
int		 parse_idx_path(const char *path);

#endif
