/*
 * Who may read what: a group's view is open to the addresses of its
 * "allow" (default: any) and, when it has an auth-file, to HTTP basic
 * credentials checked against crypt(3) hashes; a machine's report is also
 * taken with the group's report token ("Authorization: Bearer SECRET").
 * A refusal reads the same whatever the path, so that it tells nothing of
 * the view: 403 for an address, 401 for credentials.
 *
 * The auth-files and token files are read at start and again on SIGHUP,
 * before the new configuration replaces the old one; a bad one refuses the
 * configuration.  A password checked once is remembered by its sha256, so
 * that a client fetching a thousand packages pays for one crypt(3).  A
 * crypt(3) runs on the loop (yescrypt takes a third of a second on a slow
 * machine), so the passwords not remembered get ACCESS_CRYPT_BUDGET ms of
 * it per second: beyond, a guesser gets 401 unchecked, and serving goes
 * on.
 *
 * Also the HTTP strictness every request passes first: one Content-Length
 * at most, never with Transfer-Encoding, and a bounded request target.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "conf.h"
#include "hash.h"
#include "log.h"
#include "proxy.h"
#include "util.h"
#include "xmalloc.h"

#define ACCESS_FILE_MAX		(1024 * 1024)	/* bytes of an auth-file */
#define ACCESS_TOKEN_MIN	16		/* characters of a report token */
#define ACCESS_TOKEN_MAX	256
#define ACCESS_CRED_MAX		1024		/* bytes of "user:password" */
#define ACCESS_CRYPT_BUDGET	200		/* ms of crypt(3) a second */

/* The crypt(3) forms taken: what htpasswd -B, mkpasswd and openssl write. */
static const char *const access_hash_prefixes[] = {
	"$y$", "$2b$", "$2y$", "$6$", NULL
};

struct access_user {
	char		*au_name;
	char		*au_hash;
	char		 au_ok[HASH_HEX_MAX];	/* sha256 of a checked password */
};

/* What one group's files hold. */
struct access_group {
	char			*ag_name;
	struct access_user	*ag_users;
	size_t			 ag_nusers;
	char			*ag_token;	/* NULL: no report token */
	char			 ag_token_hash[HASH_HEX_MAX];
};

struct access {
	struct access_group	*as_groups;
	size_t			 as_ngroups;
	struct crypt_data	*as_crypt;	/* large: one, on the heap */
	time_t			 as_budget_sec;	/* the second as_spent counts */
	long long		 as_spent;	/* ms of crypt(3) in it */
	long long		 as_over;	/* checks refused for it */
};

static void
access_groups_free(struct access_group *v, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i].ag_nusers; j++) {
			free(v[i].ag_users[j].au_name);
			free(v[i].ag_users[j].au_hash);
		}
		free(v[i].ag_users);
		free(v[i].ag_name);
		if (v[i].ag_token != NULL) {
			explicit_bzero(v[i].ag_token, strlen(v[i].ag_token));
			free(v[i].ag_token);
		}
	}
	free(v);
}

/*
 * Reads a file of secrets: a regular file that others may not read (the
 * daemon's group may, for a root-owned file).  what is "auth-file".
 */
static int
access_read_secret(const char *what, const char *path, char **data,
    size_t *len, struct buf *errs)
{
	struct stat	 sb;
	char		*cause = NULL;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		buf_addf(errs, "%s%s %s: %s", errs->b_len ? "; " : "", what,
		    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		buf_addf(errs, "%s%s %s: not a regular file", errs->b_len ?
		    "; " : "", what, path);
		close(fd);
		return -1;
	}
	close(fd);
	if (sb.st_mode & S_IRWXO) {
		buf_addf(errs, "%s%s %s: others may access it (mode %04o); it "
		    "holds secrets: chmod o-rwx %s", errs->b_len ? "; " : "",
		    what, path, (unsigned)(sb.st_mode & 07777), path);
		return -1;
	}
	if (file_read(path, ACCESS_FILE_MAX, data, len, &cause) != 0) {
		buf_addf(errs, "%s%s %s: %s", errs->b_len ? "; " : "", what,
		    path, cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* Why hash is no hash this file takes, or NULL when it is one. */
static const char *
access_hash_invalid(struct crypt_data *cd, const char *hash)
{
	const char	*out;
	size_t		 i;

	for (i = 0; access_hash_prefixes[i] != NULL; i++) {
		if (strncmp(hash, access_hash_prefixes[i],
		    strlen(access_hash_prefixes[i])) == 0)
			break;
	}
	if (access_hash_prefixes[i] == NULL) {
		if (hash[0] != '$')
			return "not a crypt(3) hash: plaintext passwords are "
			    "refused (make one with htpasswd -B, mkpasswd or "
			    "openssl passwd -6)";
		return "an unknown or weak hash form (yescrypt $y$, bcrypt "
		    "$2b$ or $2y$, sha512-crypt $6$ are taken)";
	}
	if (strspn(hash, "$./0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(hash))
		return "a hash with a character crypt(3) never writes";
	memset(cd, 0, sizeof *cd);
	out = crypt_r("", hash, cd);
	if (out == NULL || *out == '*')
		return "a malformed hash (crypt(3) refuses its settings)";
	return NULL;
}

/* Reads gr's auth-file into ag; every error into errs. */
static void
access_users_load(struct access *as, const struct group *gr,
    struct access_group *ag, struct buf *errs)
{
	const char	*path = gr->gr_auth_file, *why;
	char		*data = NULL, *line, *next, *colon;
	size_t		 len, lineno = 0, i;

	if (access_read_secret("auth-file", path, &data, &len, errs) != 0)
		return;
	for (line = data; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if ((colon = strchr(line, ':')) == NULL || colon == line) {
			buf_addf(errs, "%s%s:%zu: expected USER:HASH",
			    errs->b_len ? "; " : "", path, lineno);
			continue;
		}
		*colon++ = '\0';
		if ((why = access_hash_invalid(as->as_crypt, colon)) != NULL) {
			buf_addf(errs, "%s%s:%zu: user %s: %s", errs->b_len ?
			    "; " : "", path, lineno, line, why);
			continue;
		}
		for (i = 0; i < ag->ag_nusers; i++) {
			if (strcmp(ag->ag_users[i].au_name, line) == 0)
				break;
		}
		if (i < ag->ag_nusers) {
			buf_addf(errs, "%s%s:%zu: user %s is named twice",
			    errs->b_len ? "; " : "", path, lineno, line);
			continue;
		}
		ag->ag_users = xreallocarray(ag->ag_users, ag->ag_nusers + 1,
		    sizeof *ag->ag_users);
		memset(&ag->ag_users[ag->ag_nusers], 0, sizeof *ag->ag_users);
		ag->ag_users[ag->ag_nusers].au_name = xstrdup(line);
		ag->ag_users[ag->ag_nusers].au_hash = xstrdup(colon);
		ag->ag_nusers++;
	}
	if (ag->ag_nusers == 0)
		buf_addf(errs, "%s%s: no USER:HASH line: nobody could read the "
		    "view of group %s", errs->b_len ? "; " : "", path,
		    gr->gr_name);
	explicit_bzero(data, len);
	free(data);
}

/* Reads gr's report token: the first line of its file. */
static void
access_token_load(const struct group *gr, struct access_group *ag,
    struct buf *errs)
{
	const char	*path = gr->gr_report_token;
	char		*data = NULL;
	size_t		 len, n;

	if (access_read_secret("report-token", path, &data, &len, errs) != 0)
		return;
	data[strcspn(data, "\r\n")] = '\0';
	n = strlen(data);
	/* _setup writes it into a shell line in single quotes. */
	if (n < ACCESS_TOKEN_MIN || n > ACCESS_TOKEN_MAX ||
	    strspn(data, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-._~+/=") != n)
		buf_addf(errs, "%sreport-token %s:1: expected a secret of %d to "
		    "%d letters, digits or -._~+/= (openssl rand -hex 32)",
		    errs->b_len ? "; " : "", path, ACCESS_TOKEN_MIN,
		    ACCESS_TOKEN_MAX);
	else {
		ag->ag_token = xstrdup(data);
		hash_buffer("sha256", data, n, ag->ag_token_hash);
	}
	explicit_bzero(data, len);
	free(data);
}

/* The files of every group of cf; -1 with every error in *cause. */
static int
access_load(struct access *as, struct config *cf, struct access_group **vp,
    size_t *np, char **cause)
{
	struct access_group	*v = NULL;
	struct group		*gr;
	struct buf		 errs;
	size_t			 n = 0;

	buf_init(&errs);
	TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
		if (gr->gr_auth_file == NULL && gr->gr_report_token == NULL)
			continue;
		v = xreallocarray(v, n + 1, sizeof *v);
		memset(&v[n], 0, sizeof *v);
		v[n].ag_name = xstrdup(gr->gr_name);
		if (gr->gr_auth_file != NULL)
			access_users_load(as, gr, &v[n], &errs);
		if (gr->gr_report_token != NULL)
			access_token_load(gr, &v[n], &errs);
		n++;
	}
	if (errs.b_len > 0) {
		buf_add(&errs, "", 1);
		cause_set(cause, "%s", errs.b_data);
		buf_free(&errs);
		access_groups_free(v, n);
		return -1;
	}
	buf_free(&errs);
	*vp = v;
	*np = n;
	return 0;
}

struct access *
access_new(struct config *cf, char **cause)
{
	struct access	*as;

	as = xcalloc(1, sizeof *as);
	as->as_crypt = xcalloc(1, sizeof *as->as_crypt);
	if (access_load(as, cf, &as->as_groups, &as->as_ngroups, cause) != 0) {
		access_free(as);
		return NULL;
	}
	return as;
}

void
access_free(struct access *as)
{
	if (as == NULL)
		return;
	access_groups_free(as->as_groups, as->as_ngroups);
	free(as->as_crypt);
	free(as);
}

int
access_reload(struct access *as, struct config *cf, char **cause)
{
	struct access_group	*v;
	size_t			 n;

	if (as == NULL)
		return 0;
	if (access_load(as, cf, &v, &n, cause) != 0)
		return -1;
	access_groups_free(as->as_groups, as->as_ngroups);
	as->as_groups = v;
	as->as_ngroups = n;
	return 0;
}

static struct access_group *
access_find(struct access *as, const char *name)
{
	size_t	i;

	for (i = 0; as != NULL && i < as->as_ngroups; i++) {
		if (strcmp(as->as_groups[i].ag_name, name) == 0)
			return &as->as_groups[i];
	}
	return NULL;
}

/* --- addresses ------------------------------------------------------------ */

int
access_addr_in(char **list, const char *addr)
{
	struct conf_cidr	 c, a;
	size_t			 i, full, len;
	unsigned char		 mask;

	if (conf_cidr_parse(addr, &a) != 0)
		return 0;
	/* ::ffff:10.1.2.3 is 10.1.2.3. */
	if (a.cc_family == AF_INET6 && memcmp(a.cc_addr,
	    "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(a.cc_addr, a.cc_addr + 12, 4);
		a.cc_family = AF_INET;
	}
	for (i = 0; list != NULL && list[i] != NULL; i++) {
		if (conf_cidr_parse(list[i], &c) != 0 ||
		    c.cc_family != a.cc_family)
			continue;
		full = c.cc_bits / 8;
		len = c.cc_family == AF_INET ? 4 : 16;
		if (memcmp(c.cc_addr, a.cc_addr, full) != 0)
			continue;
		if (full < len && c.cc_bits % 8 != 0) {
			mask = 0xff << (8 - c.cc_bits % 8);
			if ((c.cc_addr[full] & mask) != (a.cc_addr[full] & mask))
				continue;
		}
		return 1;
	}
	return 0;
}

/* --- credentials ---------------------------------------------------------- */

/* Compares two hex digests in a time that does not depend on where they differ. */
static int
access_hex_eq(const char *a, const char *b)
{
	size_t		 i, la = strlen(a), lb = strlen(b);
	unsigned char	 d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static int
access_b64(int c)
{
	const char	*tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789+/";
	const char	*p;

	if (c == '\0' || (p = strchr(tab, c)) == NULL)
		return -1;
	return p - tab;
}

/* Decodes base64 s into out (size bytes, NUL-terminated); -1 if it is none. */
static int
access_b64_decode(const char *s, char *out, size_t size)
{
	size_t		 n = 0, len = strlen(s);
	unsigned int	 acc = 0;
	int		 bits = 0, v, pad = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == '=') {
			if (++pad > 2)
				return -1;
			continue;
		}
		if (pad > 0 || (v = access_b64((unsigned char)*s)) == -1)
			return -1;
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= size)
				return -1;
			out[n++] = (acc >> bits) & 0xff;
		}
	}
	out[n] = '\0';
	return strlen(out) == n ? 0 : -1;	/* no NUL inside */
}

static long long
access_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether a crypt(3) may run now; counts the time it takes with spent. */
static int
access_budget_ok(struct access *as)
{
	time_t	now = time(NULL);

	if (now != as->as_budget_sec) {
		if (as->as_over > 0)
			log_warnx("%lld password checks refused unchecked: more "
			    "than %d ms of crypt(3) a second", as->as_over,
			    ACCESS_CRYPT_BUDGET);
		as->as_budget_sec = now;
		as->as_spent = 0;
		as->as_over = 0;
	}
	if (as->as_spent < ACCESS_CRYPT_BUDGET)
		return 1;
	as->as_over++;
	return 0;
}

/* Whether req carries "Authorization: Basic" credentials of a user of ag. */
static int
access_basic_ok(struct access *as, struct access_group *ag,
    struct evhttp_request *req)
{
	struct access_user	*au = NULL;
	const char		*h, *out;
	char			 cred[ACCESS_CRED_MAX], hex[HASH_HEX_MAX], *pass;
	long long		 t0;
	size_t			 i;
	int			 ok = 0;

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return 0;
	for (h += 6; *h == ' '; h++)
		;
	if (access_b64_decode(h, cred, sizeof cred) != 0 ||
	    (pass = strchr(cred, ':')) == NULL)
		goto out;
	*pass++ = '\0';
	for (i = 0; i < ag->ag_nusers; i++) {
		if (strcmp(ag->ag_users[i].au_name, cred) == 0)
			au = &ag->ag_users[i];
	}
	if (au == NULL)
		goto out;
	if (hash_buffer("sha256", pass, strlen(pass), hex) == -1)
		goto out;
	if (au->au_ok[0] != '\0' && access_hex_eq(au->au_ok, hex)) {
		ok = 1;
		goto out;
	}
	if (!access_budget_ok(as))
		goto out;
	t0 = access_ms();
	out = crypt_r(pass, au->au_hash, as->as_crypt);
	as->as_spent += access_ms() - t0;
	if (out != NULL && *out != '*' && strlen(out) == strlen(au->au_hash) &&
	    access_hex_eq(out, au->au_hash)) {
		memcpy(au->au_ok, hex, sizeof au->au_ok);
		ok = 1;
	} else
		log_info("group %s: wrong password for user %s from %s",
		    ag->ag_name, au->au_name, server_client(req));
out:
	explicit_bzero(cred, sizeof cred);
	return ok;
}

/* Whether req carries "Authorization: Bearer" with ag's report token. */
static int
access_bearer_ok(struct access_group *ag, struct evhttp_request *req)
{
	const char	*h;
	char		 hex[HASH_HEX_MAX];

	if (ag == NULL || ag->ag_token == NULL)
		return 0;
	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	for (h += 7; *h == ' '; h++)
		;
	if (*h == '\0' || hash_buffer("sha256", h, strlen(h), hex) == -1)
		return 0;
	return access_hex_eq(hex, ag->ag_token_hash);
}

/* --- refusals ------------------------------------------------------------- */

void
access_refuse(struct evhttp_request *req, int code)
{
	if (code == 401) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Basic realm=\"patchgate\"");
		server_error(req, 401, "authentication required");
	} else
		server_error(req, 403, "forbidden");
}

void
access_no_view(struct evhttp_request *req)
{
	server_error(req, 404, "no such view");
}

int
access_group(struct proxy *px, struct evhttp_request *req,
    const struct group *gr, enum access_what what)
{
	struct access_group	*ag = access_find(px->px_access, gr->gr_name);

	if (what != ACCESS_VIEW && access_bearer_ok(ag, req))
		return 0;
	if (gr->gr_allow != NULL &&
	    !access_addr_in(gr->gr_allow, server_client(req))) {
		log_debug("group %s: %s is not in allow", gr->gr_name,
		    server_client(req));
		access_refuse(req, 403);
		return -1;
	}
	if (gr->gr_auth_file != NULL &&
	    (ag == NULL || !access_basic_ok(px->px_access, ag, req))) {
		access_refuse(req, 401);
		return -1;
	}
	return 0;
}

const char *
access_report_token(struct proxy *px, struct evhttp_request *req,
    const struct group *gr)
{
	struct access_group	*ag = access_find(px->px_access, gr->gr_name);

	return access_bearer_ok(ag, req) ? ag->ag_token : NULL;
}

/* --- HTTP strictness ------------------------------------------------------ */

int
access_request_ok(struct evhttp_request *req)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	struct evkeyval		*kv;
	int			 ncl = 0, te = 0;

	TAILQ_FOREACH(kv, in, next) {
		if (strcasecmp(kv->key, "Content-Length") == 0)
			ncl++;
		else if (strcasecmp(kv->key, "Transfer-Encoding") == 0)
			te = 1;
	}
	/*
	 * evhttp reads the body by the first Content-Length; another hop may
	 * read it by the second.  The connection cannot be trusted after.
	 */
	if (ncl > 1 || (ncl == 1 && te)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		server_error(req, 400, ncl > 1 ? "more than one Content-Length" :
		    "both Content-Length and Transfer-Encoding");
		return -1;
	}
	if (strlen(evhttp_request_get_uri(req)) > ACCESS_URI_MAX) {
		server_error(req, 414, "the request target is longer than %d "
		    "bytes", ACCESS_URI_MAX);
		return -1;
	}
	return 0;
}
