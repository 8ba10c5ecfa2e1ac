/*
 * The request path's own parsers (parse.h): the path of a request, a
 * Range header, a Host header and the lines of a packages.idx.  Each
 * reads a string from a client or from the store and touches nothing
 * else, so that each has unit tests and a fuzz target.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hash.h"
#include "parse.h"
#include "proxy.h"

void
parse_path_free(struct route_path *rp)
{
	free(rp->rp_buf);
	free(rp->rp_norm);
	free(rp->rp_segs);
	free(rp->rp_offs);
}

int
parse_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Nothing that comes out has a "." or ".." component, a NUL, a backslash
 * or a control character; empty components ("a//b") are dropped.
 */
int
parse_path(const char *raw, struct route_path *rp)
{
	const char	*p;
	char		*out, *seg, *next;
	size_t		 len, n;
	int		 hi, lo, c;

	memset(rp, 0, sizeof *rp);
	errno = EINVAL;
	if (*raw != '/' || (len = strlen(raw)) > PARSE_PATH_MAX)
		return -1;
	if ((rp->rp_buf = malloc(len + 1)) == NULL ||
	    (rp->rp_norm = malloc(len + 1)) == NULL ||
	    (rp->rp_segs = calloc(len, sizeof *rp->rp_segs)) == NULL ||
	    (rp->rp_offs = calloc(len, sizeof *rp->rp_offs)) == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	out = rp->rp_buf;
	for (p = raw; *p != '\0'; p++) {
		c = (unsigned char)*p;
		if (c == '%') {
			if ((hi = parse_hex(p[1])) == -1 ||
			    (lo = parse_hex(p[2])) == -1)
				goto fail;
			c = hi * 16 + lo;
			p += 2;
		}
		if (c == '\0' || c == '\\' || c < 0x20 || c == 0x7f)
			goto fail;
		*out++ = c;
	}
	*out = '\0';

	n = 0;
	*rp->rp_norm = '\0';
	for (seg = rp->rp_buf; seg != NULL; seg = next) {
		if ((next = strchr(seg, '/')) != NULL)
			*next++ = '\0';
		if (*seg == '\0')
			continue;	/* "a//b" is "a/b" */
		if (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
			goto fail;
		rp->rp_segs[rp->rp_nsegs] = seg;
		if (n > 0)
			rp->rp_norm[n++] = '/';
		rp->rp_offs[rp->rp_nsegs++] = n;
		memcpy(rp->rp_norm + n, seg, strlen(seg) + 1);
		n += strlen(seg);
	}
	return 0;
fail:
	parse_path_free(rp);
	memset(rp, 0, sizeof *rp);
	return -1;
}

static int
parse_number(const char **sp, long long *v)
{
	const char	*s = *sp;
	long long	 n = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (n > (LLONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	*sp = s;
	*v = n;
	return 0;
}

/*
 * One range of bytes ("a-b", "a-", "-n").  Several ranges or a syntax
 * error are ignored, as RFC 9110 allows: the client gets the whole file.
 */
enum parse_range
parse_range(const char *s, long long size, long long *first, long long *last)
{
	long long	 a, b;

	while (*s == ' ')
		s++;
	if (strncasecmp(s, "bytes=", 6) != 0 || strchr(s, ',') != NULL)
		return RANGE_NONE;
	s += 6;
	while (*s == ' ')
		s++;
	if (*s == '-') {
		s++;
		if (parse_number(&s, &b) != 0)
			return RANGE_NONE;
		while (*s == ' ')
			s++;
		if (*s != '\0')
			return RANGE_NONE;
		if (b == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return RANGE_PARTIAL;
	}
	if (parse_number(&s, &a) != 0 || *s++ != '-')
		return RANGE_NONE;
	b = -1;
	if (isdigit((unsigned char)*s) && parse_number(&s, &b) != 0)
		return RANGE_NONE;
	while (*s == ' ')
		s++;
	if (*s != '\0' || (b != -1 && b < a))
		return RANGE_NONE;
	if (a >= size)
		return RANGE_UNSATISFIABLE;
	*first = a;
	*last = (b == -1 || b >= size) ? size - 1 : b;
	return RANGE_PARTIAL;
}

/*
 * The Host header is copied into the files _setup writes, so nothing but
 * a name or an address and a port may come through.
 */
int
parse_host(const char *h)
{
	const char	*p, *port = NULL;
	size_t		 len = strlen(h);
	char		 v6[64];
	unsigned char	 addr[16];

	if (len == 0 || len >= SERVER_HOST_MAX ||
	    strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") != len)
		return 0;
	if (*h == '[') {
		/* An IPv6 address has a colon; no zone ("%25eth0"). */
		p = h + 1 + strspn(h + 1, "0123456789abcdefABCDEF:.");
		if (*p != ']' || (size_t)(p - h - 1) >= sizeof v6)
			return 0;
		/* A URL parser refuses "[:]": so does this. */
		memcpy(v6, h + 1, p - h - 1);
		v6[p - h - 1] = '\0';
		if (inet_pton(AF_INET6, v6, addr) != 1)
			return 0;
		if (p[1] == ':')
			port = p + 2;
		else if (p[1] != '\0')
			return 0;
	} else {
		if (*h == ':' || strpbrk(h, "[]") != NULL)
			return 0;
		if ((p = strchr(h, ':')) != NULL)
			port = p + 1;
	}
	if (port == NULL)
		return 1;
	len = strlen(port);
	return len > 0 && len <= 5 && strspn(port, "0123456789") == len &&
	    atoi(port) <= 65535;
}

static size_t
parse_hex_len(const char *algo)
{
	static const struct {
		const char	*algo;
		size_t		 len;
	} lens[] = {
		{ "md5", 32 }, { "sha1", 40 }, { "sha224", 56 },
		{ "sha256", 64 }, { "sha384", 96 }, { "sha512", 128 },
	};
	size_t	i;

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		if (strcmp(lens[i].algo, algo) == 0)
			return lens[i].len;
	}
	return 0;
}

int
parse_idx_path(const char *path)
{
	const char	*p, *seg;
	size_t		 len;

	if (*path == '\0' || *path == '/')
		return 0;
	for (p = path; *p != '\0'; p++) {
		if (*p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	}
	for (seg = path; seg != NULL; seg = p != NULL ? p + 1 : NULL) {
		p = strchr(seg, '/');
		len = p != NULL ? (size_t)(p - seg) : strlen(seg);
		if (len == 0 || (len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
	}
	return 1;
}

/* Cuts the next TAB-separated field off *s; NULL when there is none. */
static char *
parse_field(char **s)
{
	char	*field = *s, *tab;

	if (field == NULL)
		return NULL;
	if ((tab = strchr(field, '\t')) != NULL) {
		*tab = '\0';
		*s = tab + 1;
	} else
		*s = NULL;
	return field;
}

/*
 * The two forms of a line:
 *   V <path> <size> <algo> <hex> <url>
 *   H <path> <reason>
 */
const char *
parse_idx_line(char *line, struct gate_entry *e)
{
	char		*kind, *size, *algo, *hex, *end, *p;
	long long	 n;
	size_t		 len;

	memset(e, 0, sizeof *e);
	kind = parse_field(&line);
	if (strcmp(kind, "H") == 0) {
		e->ge_path = parse_field(&line);
		/* The reason is the rest of the line, whatever it holds. */
		if (e->ge_path == NULL || line == NULL || *line == '\0')
			return "H line without a reason";
		if (!parse_idx_path(e->ge_path))
			return "bad path";
		e->ge_reason = line;
		return NULL;
	}
	if (strcmp(kind, "V") != 0)
		return "neither a V nor an H line";
	e->ge_visible = 1;
	e->ge_path = parse_field(&line);
	size = parse_field(&line);
	algo = parse_field(&line);
	hex = parse_field(&line);
	e->ge_url = parse_field(&line);
	if (e->ge_url == NULL)
		return "V line with fewer than 6 fields";
	if (line != NULL)
		return "V line with more than 6 fields";
	if (!parse_idx_path(e->ge_path))
		return "bad path";

	errno = 0;
	n = strtoll(size, &end, 10);
	if (!isdigit((unsigned char)*size) || *end != '\0' || errno != 0)
		return "bad size";
	e->ge_size = n;

	if ((e->ge_algo = hash_canonical(algo)) == NULL)
		return "unknown checksum algorithm";
	len = parse_hex_len(e->ge_algo);
	if (strlen(hex) != len)
		return "checksum of the wrong length";
	for (p = hex; *p != '\0'; p++) {
		if (!isxdigit((unsigned char)*p))
			return "checksum is not hex";
		*p = tolower((unsigned char)*p);
	}
	e->ge_hex = hex;

	if (strncmp(e->ge_url, "http://", 7) != 0 &&
	    strncmp(e->ge_url, "https://", 8) != 0 &&
	    strncmp(e->ge_url, "file://", 7) != 0)
		return "url is not http://, https:// or file://";
	return NULL;
}
