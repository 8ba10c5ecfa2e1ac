/*
 * Routing: from the path of a request to the file that answers it.  The
 * path is percent-decoded and checked here, once: nothing below ever sees
 * a "." or ".." component, a NUL, a backslash or a control character, and
 * a file is served only when its real path lies inside the tree/ of the
 * generation it was looked up in, so no symbolic link leads out either.
 *
 * A view's path is looked up, in order, in the tree/ of the current
 * generation (metadata), in its packages.idx (package files: served from
 * the blob store or fetched upstream, or refused with the reason), then in
 * the tree/ of older generations, for clients that read metadata just
 * before a switch.  /GROUP/MIRROR/_setup is no file of a view: it is the
 * .repo or .sources file a machine needs to use the view, written here.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "blob.h"
#include "cache.h"
#include "clock.h"
#include "conf.h"
#include "hash.h"
#include "log.h"
#include "parse.h"
#include "proxy.h"
#include "view.h"

/* The largest STORE/key.asc _setup embeds: a key and its signatures. */
#define ROUTE_MAX_KEY	(256 * 1024)

/*
 * What clients re-read at every update; the rest is named by content.
 * A file and its detached signature are revalidated at every request: a
 * cache holding each for its own max-age would pair one generation's
 * repomd.xml with another's repomd.xml.asc (dnf sends "no-cache" for
 * repomd.xml alone), a "Bad GPG signature" for the client.
 */
static const char *const route_paired_names[] = {
	"repomd.xml", "repomd.xml.asc", "Release", "Release.gpg", NULL
};
static const char *const route_short_names[] = {
	"repomd.xml.key", "InRelease", NULL
};

/* The path of the request target, without query; caller-freed. */
static char *
route_raw_path(struct evhttp_request *req)
{
	const struct evhttp_uri	*uri;
	const char		*target, *path;

	target = evhttp_request_get_uri(req);
	if (*target == '/')
		return strndup(target, strcspn(target, "?#"));
	/* An absolute URI ("GET http://host/x"): its path. */
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	return strdup(path != NULL && *path != '\0' ? path : "/");
}

/*
 * Files that change from one generation to the next keep their name, and
 * may be cached only briefly; package files and metadata named by their
 * checksum (rpm-md's "<hash>-primary.xml.gz", apt's by-hash/) never change.
 * A file matching neither is treated as changing, even if the brief says
 * "immutable for everything else": a cache holding a stale Packages.xz for
 * a year would break apt clients.
 */
static const char *
route_cache_control(const char *rel, int shared)
{
	const char	*base, *p, *ext;
	size_t		 i;

	base = strrchr(rel, '/');
	base = base != NULL ? base + 1 : rel;
	for (i = 0; route_paired_names[i] != NULL; i++) {
		if (strcmp(base, route_paired_names[i]) == 0)
			return shared ? CACHE_REVALIDATE :
			    CACHE_PRIVATE_REVALIDATE;
	}
	for (i = 0; route_short_names[i] != NULL; i++) {
		if (strcmp(base, route_short_names[i]) == 0)
			return shared ? CACHE_SHORT : CACHE_PRIVATE_SHORT;
	}
	if (strstr(rel, "/by-hash/") != NULL || strncmp(rel, "by-hash/", 8) == 0)
		return shared ? CACHE_IMMUTABLE : CACHE_PRIVATE_IMMUTABLE;
	if ((ext = strrchr(base, '.')) != NULL &&
	    (strcmp(ext, ".rpm") == 0 || strcmp(ext, ".deb") == 0 ||
	    strcmp(ext, ".udeb") == 0 || strcmp(ext, ".ddeb") == 0))
		return shared ? CACHE_IMMUTABLE : CACHE_PRIVATE_IMMUTABLE;
	for (p = base; *p != '\0' && strchr("0123456789abcdef", *p) != NULL; p++)
		;
	if (p - base >= 32 && *p == '-')
		return shared ? CACHE_IMMUTABLE : CACHE_PRIVATE_IMMUTABLE;
	return shared ? CACHE_SHORT : CACHE_PRIVATE_SHORT;
}

/*
 * Whether a shared cache in front may answer anyone with what gr's view
 * serves: not when the group limits who may read it (allow, auth-file),
 * as the cache would hand it out without asking.
 */
static int
route_group_shared(const struct group *gr)
{
	return gr != NULL && gr->gr_allow == NULL && gr->gr_auth_file == NULL;
}

/* A strong validator for a file that never changes in place. */
static void
route_file_etag(const struct stat *sb, char *buf, size_t size)
{
	snprintf(buf, size, "\"%llx-%llx-%llx\"", (unsigned long long)sb->st_ino,
	    (unsigned long long)sb->st_size,
	    (unsigned long long)sb->st_mtim.tv_sec * 1000000000ULL +
	    (unsigned long long)sb->st_mtim.tv_nsec);
}

/*
 * The validators of gen/tree/rel, open with sb: from the generation's seal
 * (view.h), its Last-Modified and a tag of the file's sha256, so that they
 * change whenever the bytes at a path do, even when two generations are
 * published within one second; from the file's inode for a generation an
 * older patchgate published without a seal.
 */
static void
route_tree_validators(struct proxy *px, const char *gen, const char *rel,
    const struct stat *sb, char *etag, size_t size, time_t *mtime)
{
	struct seal	*sl;
	const char	*hex;
	char		*cause;
	long long	 len;

	if ((sl = seal_get(px->px_gates, gen, &cause)) == NULL) {
		if (cause != NULL) {
			log_warnx("%s", cause);
			free(cause);
		}
		route_file_etag(sb, etag, size);
		*mtime = sb->st_mtim.tv_sec;
		return;
	}
	*mtime = seal_modified(sl);
	if ((hex = seal_lookup(sl, rel, &len)) != NULL && len == sb->st_size)
		snprintf(etag, size, "\"sha256-%s\"", hex);
	else {
		if (hex != NULL)
			log_warnx("%s/tree/%s: %lld bytes, but %s says %lld",
			    gen, rel, (long long)sb->st_size, VIEW_SUMS_NAME, len);
		route_file_etag(sb, etag, size);
	}
	seal_unref(sl);
}

/* The Last-Modified of gen as its seal says, or 0 when it has none. */
static time_t
route_gen_modified(struct proxy *px, const char *gen)
{
	struct seal	*sl;
	char		*cause;
	time_t		 t;

	if ((sl = seal_get(px->px_gates, gen, &cause)) == NULL) {
		if (cause != NULL) {
			log_warnx("%s", cause);
			free(cause);
		}
		return 0;
	}
	t = seal_modified(sl);
	seal_unref(sl);
	return t;
}

/*
 * Serves gen/tree/rel.  Returns 0 when the request was answered, -1 when
 * the file is not there.
 */
static int
route_tree(struct proxy *px, struct evhttp_request *req, const char *gen,
    const char *rel, int shared)
{
	struct resource		 rs;
	struct cache_file	*cf;

	/* Open already, or opened and kept: see cache.c. */
	if ((cf = cache_tree(px->px_cache, gen, rel)) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG ||
		    errno == ELOOP)
			return -1;
		log_warn("%s/tree/%s", gen, rel);
		server_error(req, 500, "%s: cannot read the file", rel);
		return 0;
	}
	/* Once per file: a generation's files never change in place. */
	if (!cf->cf_validated) {
		route_tree_validators(px, gen, rel, &cf->cf_sb, cf->cf_etag,
		    sizeof cf->cf_etag, &cf->cf_mtime);
		cf->cf_validated = 1;
	}
	rs.rs_etag = cf->cf_etag;
	rs.rs_mtime = cf->cf_mtime;
	rs.rs_size = cf->cf_sb.st_size;
	rs.rs_type = server_content_type(rel);
	rs.rs_cache = route_cache_control(rel, shared);
	cache_send(req, &rs, cf);
	cache_file_unref(cf);
	return 0;
}

/* The number of a generation path ".../gen-000042", or 0. */
static unsigned long
route_gen_number(const char *gen)
{
	const char	*base;
	char		*end;
	unsigned long	 n;

	if ((base = strrchr(gen, '/')) == NULL || strncmp(base, "/gen-", 5) != 0)
		return 0;
	n = strtoul(base + 5, &end, 10);
	return *end == '\0' ? n : 0;
}

/* Looks rel up in the tree/ of the generations older than gen. */
static int
route_old_trees(struct proxy *px, struct evhttp_request *req,
    const struct group *gr, const struct mirror *mi, const char *gen,
    const char *rel)
{
	unsigned long	*gens, cur;
	size_t		 ngens, i;
	char		*path;
	int		 served = -1;

	if ((cur = route_gen_number(gen)) == 0)
		return -1;
	if (view_generations(px->px_conf->cf_store, gr->gr_name, mi->mi_name,
	    &gens, &ngens) != 0)
		return -1;
	for (i = 0; i < ngens && served != 0; i++) {
		/* A newer generation is still being written: not published. */
		if (gens[i] >= cur)
			continue;
		path = view_generation_path(px->px_conf->cf_store, gr->gr_name,
		    mi->mi_name, gens[i]);
		served = route_tree(px, req, path, rel,
		    route_group_shared(gr));
		if (served == 0)
			log_debug("%s: served from %s", rel, path);
		free(path);
	}
	free(gens);
	return served;
}

/*
 * A visible package of generation gen: from the blob store, or fetched
 * upstream.  Its Last-Modified is gen's: the blob's own time would not do,
 * as a path may name other bytes in a later generation (an upstream that
 * replaced a file under the same name) whose blob is as old or older.
 */
static void
route_package(struct proxy *px, struct evhttp_request *req, const char *gen,
    const struct gate_entry *e, int shared)
{
	struct resource		 rs;
	struct range		 rg;
	struct cache_file	*cf;
	char			 etag[HASH_HEX_MAX + 2];
	int			 code;

	snprintf(etag, sizeof etag, "\"%s\"", e->ge_hex);
	rs.rs_etag = etag;
	rs.rs_mtime = route_gen_modified(px, gen);
	rs.rs_size = e->ge_size;
	rs.rs_type = server_content_type(e->ge_path);
	rs.rs_cache = shared ? CACHE_IMMUTABLE : CACHE_PRIVATE_IMMUTABLE;

	/* Stored: open already, or opened and kept (cache.c). */
	if ((cf = cache_blob(px->px_cache, e->ge_algo, e->ge_hex)) != NULL) {
		/* A generation without a seal: as before. */
		if (rs.rs_mtime == 0)
			rs.rs_mtime = cf->cf_sb.st_mtim.tv_sec;
		rs.rs_size = cf->cf_sb.st_size;
		metrics_cache(1);
		cache_send(req, &rs, cf);
		cache_file_unref(cf);
		return;
	}

	if ((code = server_begin(req, &rs, &rg)) == 0)
		return;
	/* HEAD is answered from the index, without a download. */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		server_reply(req, code, NULL);
		return;
	}
	metrics_cache(0);
	upstream_fetch(px->px_upstream, px->px_conf, req, e, code, &rg);
}

/*
 * The index a request waited for is loaded (gate_wait): the request is
 * routed again from the start, unless its client went away meanwhile.
 */
static void
route_resume(struct evhttp_request *req, void *arg)
{
	if (evhttp_request_get_connection(req) == NULL) {
		evhttp_request_free(req);
		return;
	}
	route_request(req, arg);
}

/*
 * Serves rel from one generation directory gen: a file of its tree, or a
 * package file its gate lists; -1 when gen names neither (the request is
 * not answered).  what names the view in messages ("the view of group
 * prod for mirror el9", "snapshot s1 of mirror el9").
 */
int
route_generation(struct proxy *px, struct evhttp_request *req,
    const char *gen, const char *what, const char *rel, int shared)
{
	const struct gate_entry	*e;
	struct gate		*ga;
	char			*cause = NULL;

	/* gen's index and seal are read off the loop; req waits for them. */
	if (gate_wait(px->px_gates, gen, route_resume, req, px) == 1)
		return 0;
	if (route_tree(px, req, gen, rel, shared) == 0)
		return 0;
	if ((ga = gate_get(px->px_gates, gen, &cause)) == NULL) {
		log_warnx("%s: %s", what, cause);
		server_error(req, 500, "%s: its package index cannot be read",
		    what);
		free(cause);
		return 0;
	}
	if ((e = gate_lookup(ga, rel)) != NULL) {
		if (e->ge_visible)
			route_package(px, req, gen, e, shared);
		else
			server_error(req, 404, "%s: not in %s: %s", rel, what,
			    e->ge_reason);
		gate_unref(ga);
		return 0;
	}
	gate_unref(ga);
	return -1;
}

static void
route_view(struct proxy *px, struct evhttp_request *req,
    const struct group *gr, const struct mirror *mi, const char *rel)
{
	char	*gen, *what = NULL;

	gen = cache_current(px->px_cache, px->px_conf->cf_store, gr->gr_name,
	    mi->mi_name);
	if (gen == NULL) {
		server_error(req, 503, "view %s/%s has not been published yet; "
		    "run patchgate sync", gr->gr_name, mi->mi_name);
		return;
	}
	if (asprintf(&what, "the view of group %s for mirror %s", gr->gr_name,
	    mi->mi_name) == -1) {
		server_error(req, 500, "out of memory");
		free(gen);
		return;
	}
	if (route_generation(px, req, gen, what, rel,
	    route_group_shared(gr)) == 0)
		goto out;
	if (route_old_trees(px, req, gr, mi, gen, rel) == 0)
		goto out;
	server_error(req, 404, "%s: not in %s", rel, what);
out:
	free(what);
	free(gen);
}

/* /_key.asc: the public key that signs every view. */
static void
route_key(struct proxy *px, struct evhttp_request *req)
{
	struct resource	 rs;
	struct stat	 sb;
	char		*path, etag[80];
	int		 fd;

	if (asprintf(&path, "%s/key.asc", px->px_conf->cf_store) == -1) {
		server_error(req, 500, "out of memory");
		return;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		if (fd != -1)
			close(fd);
		else if (errno != ENOENT)
			log_warn("%s", path);
		free(path);
		server_error(req, 404, "no signing key yet");
		return;
	}
	free(path);
	route_file_etag(&sb, etag, sizeof etag);
	rs.rs_etag = etag;
	rs.rs_mtime = sb.st_mtim.tv_sec;
	rs.rs_size = sb.st_size;
	rs.rs_type = "application/pgp-keys";
	rs.rs_cache = CACHE_SHORT;
	server_send_file(req, &rs, fd);
}

/*
 * Reads path, a small file, into *data (caller-freed, NUL-terminated).
 * Returns -1 with errno: ENOENT when there is none, EFBIG above max bytes.
 */
static int
route_read_small(const char *path, size_t max, char **data, size_t *len)
{
	struct stat	 sb;
	char		*p = NULL;
	size_t		 n = 0;
	ssize_t		 r;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (!S_ISREG(sb.st_mode) || sb.st_size > (off_t)max) {
		errno = S_ISREG(sb.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	if ((p = malloc(sb.st_size + 1)) == NULL)
		goto fail;
	while (n < (size_t)sb.st_size) {
		if ((r = read(fd, p + n, sb.st_size - n)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += r;
	}
	p[n] = '\0';
	close(fd);
	*data = p;
	*len = n;
	return 0;
fail:
	saved = errno;
	free(p);
	close(fd);
	errno = saved;
	return -1;
}

/* Appends words, separated by spaces; -1 when memory fails. */
static int
route_add_words(struct evbuffer *b, char **words)
{
	size_t	i;

	for (i = 0; words != NULL && words[i] != NULL; i++) {
		if (evbuffer_add_printf(b, "%s%s", i == 0 ? "" : " ",
		    words[i]) == -1)
			return -1;
	}
	return 0;
}

/*
 * A dnf, yum and zypper .repo file for the view at url.  gpgcheck stays on:
 * patchgate passes the vendor's signed packages through, and an installed
 * system has the vendor's key in its rpm database already.
 */
static int
route_setup_rpmmd(struct evbuffer *b, const char *base, const char *url,
    const struct group *gr, const struct mirror *mi)
{
	const char	*g = gr->gr_name, *m = mi->mi_name;

	return evbuffer_add_printf(b,
	    "# The view of patch group %s of mirror %s, served by patchgate.\n"
	    "# dnf, yum: save as /etc/yum.repos.d/patchgate-%s-%s.repo\n"
	    "# zypper: zypper addrepo -r %s/_setup\n"
	    "[patchgate-%s-%s]\n"
	    "name=patchgate %s: %s\n"
	    "baseurl=%s/\n"
	    "type=rpm-md\n"
	    "enabled=1\n"
	    "autorefresh=1\n"
	    "metadata_expire=1h\n"
	    "# patchgate signs the metadata with the key at gpgkey.\n"
	    "repo_gpgcheck=1\n"
	    "# Package signatures are the vendor's: unless the vendor's key is "
	    "in the\n"
	    "# rpm database already, add its URL to gpgkey (separated by a "
	    "space), or\n"
	    "# set gpgcheck=0.\n"
	    "gpgcheck=1\n"
	    "gpgkey=%s/_key.asc\n",
	    g, m, g, m, url, g, m, g, m, url, base) == -1 ? -1 : 0;
}

/*
 * Whether key, len bytes, is an armored key that a deb822 field can carry:
 * a control character (a NUL too) would end the field, or the file.
 */
static int
route_key_armored(const char *key, size_t len)
{
	const unsigned char	*p;

	if (strncmp(key, "-----BEGIN PGP PUBLIC KEY BLOCK-----", 36) != 0)
		return 0;
	for (p = (const unsigned char *)key; p < (const unsigned char *)key +
	    len; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\r') || *p > 0x7e)
			return 0;
	}
	return 1;
}

/*
 * A deb822 .sources entry for the view at url that carries the proxy's
 * key itself, as sources.list(5) allows: each line of the armored key
 * indented by a space, an empty line written " .".  Splits key into lines.
 */
static int
route_setup_apt(struct evbuffer *b, const char *url, const struct group *gr,
    const struct mirror *mi, char *key)
{
	const char	*g = gr->gr_name, *m = mi->mi_name;
	char		*line, *next;

	if (evbuffer_add_printf(b,
	    "# The view of patch group %s of mirror %s, served by patchgate.\n"
	    "# Save as /etc/apt/sources.list.d/patchgate-%s-%s.sources\n"
	    "Types: deb\n"
	    "URIs: %s\n"
	    "Suites: ", g, m, g, m, url) == -1 ||
	    route_add_words(b, mi->mi_suites) == -1 ||
	    evbuffer_add_printf(b, "\nComponents: ") == -1 ||
	    route_add_words(b, mi->mi_components) == -1 ||
	    evbuffer_add_printf(b, "\nArchitectures: ") == -1 ||
	    route_add_words(b, mi->mi_architectures) == -1 ||
	    evbuffer_add_printf(b, "\nSigned-By:\n") == -1)
		return -1;
	for (line = key; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		line[strcspn(line, "\r")] = '\0';
		if (evbuffer_add_printf(b, " %s\n", *line == '\0' ? "." :
		    line) == -1)
			return -1;
	}
	return 0;
}

/*
 * Reads STORE/key.asc into *key (caller-freed).  Returns -1 after
 * answering req when there is none yet, or none that can be embedded.
 */
static int
route_setup_key(struct proxy *px, struct evhttp_request *req, char **key)
{
	char	*path;
	size_t	 len;

	if (asprintf(&path, "%s/key.asc", px->px_conf->cf_store) == -1) {
		server_error(req, 500, "out of memory");
		return -1;
	}
	if (route_read_small(path, ROUTE_MAX_KEY, key, &len) == -1) {
		if (errno == ENOENT)
			server_error(req, 503, "no signing key yet; run "
			    "patchgate sync");
		else if (errno == ENOMEM)
			server_error(req, 500, "out of memory");
		else {
			log_warn("%s", path);
			server_error(req, 500, "the signing key cannot be "
			    "read");
		}
		free(path);
		return -1;
	}
	if (!route_key_armored(*key, len)) {
		log_warnx("%s: not an armored public key", path);
		server_error(req, 500, "the signing key cannot be read");
		free(*key);
		*key = NULL;
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

/* Whether the query of req asks _setup for a hook ("?hook=apt"). */
static int
route_has_hook(struct evhttp_request *req)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*q;

	q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	return q != NULL && (strncmp(q, "hook=", 5) == 0 ||
	    strstr(q, "&hook=") != NULL);
}

/*
 * /GROUP/MIRROR/_setup: the file that points a machine's package manager
 * at the view, by [server] public-url or else by the URL the client
 * reached the proxy by (then the answer varies with Host).
 */
static void
route_setup(struct proxy *px, struct evhttp_request *req,
    const struct group *gr, const struct mirror *mi)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*b = NULL;
	struct resource		 rs;
	const char		*suffix;
	char			 host[SERVER_HOST_MAX];
	char			 buf[SERVER_HOST_MAX + 8];
	char			 hex[HASH_HEX_MAX], etag[HASH_HEX_MAX + 2];
	char			*url = NULL, *key = NULL, *disp = NULL;
	const char		*base = buf;
	unsigned char		*data;

	if (px->px_conf->cf_public_url != NULL)
		base = px->px_conf->cf_public_url;
	else {
		if (server_host(req, host, sizeof host) == -1) {
			server_error(req, 500, "no address to name in the "
			    "setup file");
			return;
		}
		snprintf(buf, sizeof buf, "%s://%s",
		    server_request_is_tls(req) ? "https" : "http", host);
		/* A cache in front must not give one Host's file to another. */
		evhttp_add_header(out, "Vary", "Host");
	}
	/* ?hook=apt|dnf|timer: what makes the machine report (report.c). */
	if (report_hook(req, gr, mi, base, access_report_token(px, req,
	    gr)) == 0)
		return;
	if ((b = evbuffer_new()) == NULL ||
	    asprintf(&url, "%s/%s/%s", base, gr->gr_name, mi->mi_name) == -1) {
		url = NULL;
		goto nomem;
	}

	if (mi->mi_type == MIRROR_APT) {
		suffix = "sources";
		if (route_setup_key(px, req, &key) == -1)
			goto out;
		if (route_setup_apt(b, url, gr, mi, key) == -1)
			goto nomem;
	} else {
		suffix = "repo";
		if (route_setup_rpmmd(b, base, url, gr, mi) == -1)
			goto nomem;
	}

	/* Strong: the same bytes, whoever asks, have the same tag. */
	if ((data = evbuffer_pullup(b, -1)) == NULL ||
	    hash_buffer("sha256", data, evbuffer_get_length(b), hex) == -1)
		goto nomem;
	snprintf(etag, sizeof etag, "\"%s\"", hex);
	if (asprintf(&disp, "attachment; filename=\"patchgate-%s-%s.%s\"",
	    gr->gr_name, mi->mi_name, suffix) == -1) {
		disp = NULL;
		goto nomem;
	}
	evhttp_add_header(out, "Content-Disposition", disp);
	rs.rs_etag = etag;
	rs.rs_mtime = 0;
	rs.rs_size = evbuffer_get_length(b);
	rs.rs_type = "text/plain; charset=utf-8";
	rs.rs_cache = route_group_shared(gr) ? CACHE_SHORT : CACHE_PRIVATE_SHORT;
	server_send_buffer(req, &rs, b);
	goto out;
nomem:
	server_error(req, 500, "out of memory");
out:
	if (b != NULL)
		evbuffer_free(b);
	free(url);
	free(key);
	free(disp);
}

/*
 * /_preview/GROUP/TIME/MIRROR/...: the view "patchgate preview --publish"
 * wrote under STORE/previews/; TIME in the one form it writes
 * (2026-02-01T00:00:00Z), so that one preview has one URL.
 */
static void
route_preview(struct proxy *px, struct evhttp_request *req,
    struct route_path *rp)
{
	struct group	*gr;
	struct mirror	*mi;
	struct stat	 sb;
	char		**segs = rp->rp_segs, canon[32], *gen = NULL, *what = NULL;
	time_t		 t;

	if (rp->rp_nsegs < 4) {
		server_error(req, 404, "/%s: previews are served at "
		    "/_preview/GROUP/TIME/MIRROR/", rp->rp_norm);
		return;
	}
	if ((gr = config_find_group(px->px_conf, segs[1])) == NULL) {
		access_no_view(req);
		return;
	}
	if (access_group(px, req, gr, ACCESS_VIEW) != 0)
		return;
	if (time_parse_any(segs[2], &t) != 0 ||
	    strcmp(time_format(t, canon, sizeof canon), segs[2]) != 0) {
		server_error(req, 404, "%s: not a preview time; previews are "
		    "named by a UTC time such as 2026-02-01T00:00:00Z", segs[2]);
		return;
	}
	if ((mi = config_find_mirror(px->px_conf, segs[3])) == NULL ||
	    !group_has_mirror(gr, mi)) {
		access_no_view(req);
		return;
	}
	if (asprintf(&gen, "%s/previews/%s/%s/%s", px->px_conf->cf_store,
	    gr->gr_name, canon, mi->mi_name) == -1 ||
	    asprintf(&what, "the preview of group %s at %s for mirror %s",
	    gr->gr_name, canon, mi->mi_name) == -1) {
		server_error(req, 500, "out of memory");
		goto out;
	}
	if (stat(gen, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		server_error(req, 404, "no preview of group %s at %s for mirror "
		    "%s has been published (patchgate preview %s --at %s %s "
		    "--publish), or it was removed after preview-keep",
		    gr->gr_name, canon, mi->mi_name, gr->gr_name, canon,
		    mi->mi_name);
		goto out;
	}
	if (rp->rp_nsegs == 4) {
		server_error(req, 404, "/%s/: a repository, not a page: point "
		    "dnf, zypper or apt at this URL", rp->rp_norm);
		goto out;
	}
	if (route_generation(px, req, gen, what, rp->rp_norm +
	    rp->rp_offs[4], route_group_shared(gr)) != 0)
		server_error(req, 404, "%s: not in %s",
		    rp->rp_norm + rp->rp_offs[4], what);
out:
	free(what);
	free(gen);
}

/*
 * A snapshot is its group's: the group's allow and auth-file apply.  One
 * without a group (snapshot create records it in snap/.group) or whose
 * group is gone is open only to admins ([server] admin-allow or a token).
 */
static int
route_snapshot_access(struct proxy *px, struct evhttp_request *req,
    const char *snap, int *shared)
{
	struct group	*gr = NULL;
	char		*path, *name = NULL;
	size_t		 len;

	if (asprintf(&path, "%s/%s", snap, VIEW_SNAPSHOT_GROUP_NAME) == -1) {
		server_error(req, 500, "out of memory");
		return -1;
	}
	if (route_read_small(path, 256, &name, &len) == 0) {
		name[strcspn(name, "\n")] = '\0';
		gr = config_find_group(px->px_conf, name);
	} else if (errno != ENOENT)
		log_warn("%s", path);
	free(path);
	free(name);
	*shared = route_group_shared(gr);
	if (gr != NULL)
		return access_group(px, req, gr, ACCESS_VIEW);
	if (api_admin_ok(px, req))
		return 0;
	access_refuse(req, 403);
	return -1;
}

/*
 * /_snapshot/NAME/MIRROR/...: the sealed generation that "patchgate
 * snapshot create" wrote into STORE/snapshots/NAME/MIRROR.  Its package
 * files were stored when it was made, so they come from the blob store.
 */
static void
route_snapshot(struct proxy *px, struct evhttp_request *req,
    struct route_path *rp)
{
	struct stat	  sb;
	char		**segs = rp->rp_segs;
	char		 *snap = NULL, *gen = NULL, *what = NULL;
	int		  shared = 0;

	if (rp->rp_nsegs < 2) {
		server_error(req, 404, "/_snapshot/: name a snapshot: "
		    "/_snapshot/NAME/MIRROR/ (patchgate snapshot list)");
		return;
	}
	if (!view_snapshot_name_ok(segs[1], NULL)) {
		access_no_view(req);
		return;
	}
	if (asprintf(&snap, "%s/snapshots/%s", px->px_conf->cf_store,
	    segs[1]) == -1) {
		server_error(req, 500, "out of memory");
		return;
	}
	if (stat(snap, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		access_no_view(req);
		goto out;
	}
	if (route_snapshot_access(px, req, snap, &shared) != 0)
		goto out;
	if (rp->rp_nsegs < 3) {
		server_error(req, 404, "/_snapshot/%s/: name a mirror: "
		    "/_snapshot/%s/MIRROR/", segs[1], segs[1]);
		goto out;
	}
	if (!view_snapshot_name_ok(segs[2], NULL)) {	/* a safe component */
		access_no_view(req);
		goto out;
	}
	if (asprintf(&gen, "%s/%s", snap, segs[2]) == -1) {
		gen = NULL;
		server_error(req, 500, "out of memory");
		goto out;
	}
	/* Sealed: its packages.idx is there once the snapshot is. */
	if (stat(gen, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		access_no_view(req);
		goto out;
	}
	if (rp->rp_nsegs == 3) {
		server_error(req, 404, "/_snapshot/%s/%s/: a repository, not a "
		    "page: point dnf, zypper or apt at this URL", segs[1],
		    segs[2]);
		goto out;
	}
	if (asprintf(&what, "snapshot %s of mirror %s", segs[1],
	    segs[2]) == -1) {
		what = NULL;
		server_error(req, 500, "out of memory");
		goto out;
	}
	if (route_generation(px, req, gen, what, rp->rp_norm +
	    rp->rp_offs[3], shared) != 0)
		server_error(req, 404, "%s: not in %s", rp->rp_norm +
		    rp->rp_offs[3], what);
out:
	free(what);
	free(gen);
	free(snap);
}

/*
 * /_mirror/MIRROR/...: the unfiltered mirror, upstream's metadata as the
 * last sync verified it and every package upstream lists (raw.c writes
 * STORE/mirrors/MIRROR/), for [server] admin-allow or an API token.
 */
static void
route_mirror(struct proxy *px, struct evhttp_request *req,
    struct route_path *rp)
{
	struct mirror	*mi;
	char		*lnk = NULL, *gen = NULL, *what = NULL, target[64];
	ssize_t		 n;

	if (!api_admin_ok(px, req)) {
		access_refuse(req, 403);
		return;
	}
	if (rp->rp_nsegs < 2 ||
	    (mi = config_find_mirror(px->px_conf, rp->rp_segs[1])) == NULL) {
		access_no_view(req);
		return;
	}
	if (asprintf(&lnk, "%s/mirrors/%s/current", px->px_conf->cf_store,
	    mi->mi_name) == -1) {
		server_error(req, 500, "out of memory");
		return;
	}
	if ((n = readlink(lnk, target, sizeof target - 1)) <= 0 ||
	    (target[n] = '\0', strncmp(target, "gen-", 4) != 0) ||
	    strchr(target, '/') != NULL) {
		server_error(req, 503, "mirror %s has not been synced by this "
		    "version yet; run patchgate sync %s", mi->mi_name,
		    mi->mi_name);
		goto out;
	}
	if (rp->rp_nsegs == 2) {
		server_error(req, 404, "/_mirror/%s/: a repository, not a page",
		    mi->mi_name);
		goto out;
	}
	if (asprintf(&gen, "%s/mirrors/%s/%s", px->px_conf->cf_store,
	    mi->mi_name, target) == -1 ||
	    asprintf(&what, "the unfiltered mirror %s", mi->mi_name) == -1) {
		server_error(req, 500, "out of memory");
		goto out;
	}
	/* Admins' only: never for a shared cache to hand out. */
	if (route_generation(px, req, gen, what, rp->rp_norm +
	    rp->rp_offs[2], 0) != 0)
		server_error(req, 404, "%s: not in %s", rp->rp_norm +
		    rp->rp_offs[2], what);
out:
	free(what);
	free(gen);
	free(lnk);
}

static void
route_dispatch(struct proxy *px, struct evhttp_request *req,
    struct route_path *rp)
{
	struct group	*gr;
	struct mirror	*mi;
	char		**segs = rp->rp_segs;

	/* POST /GROUP/_report/HOST (report.c); POST nowhere else. */
	if (report_request(px, req, segs, rp->rp_nsegs) == 0)
		return;
	if (rp->rp_nsegs == 0) {
		server_error(req, 404, "nothing here: views are served at "
		    "/GROUP/MIRROR/");
		return;
	}
	if (rp->rp_nsegs == 1 && strcmp(segs[0], "_key.asc") == 0) {
		route_key(px, req);
		return;
	}
	if (strcmp(segs[0], "_preview") == 0) {
		route_preview(px, req, rp);
		return;
	}
	if (strcmp(segs[0], "_snapshot") == 0) {
		route_snapshot(px, req, rp);
		return;
	}
	if (strcmp(segs[0], "_mirror") == 0) {
		route_mirror(px, req, rp);
		return;
	}
	/* Group names never start with '_' (conf.c): those paths are ours. */
	if (segs[0][0] == '_') {
		server_error(req, 404, "/%s: unknown path", rp->rp_norm);
		return;
	}
	if ((gr = config_find_group(px->px_conf, segs[0])) == NULL) {
		access_no_view(req);
		return;
	}
	/* _setup?hook=: what a machine reports with takes its token too. */
	if (access_group(px, req, gr, rp->rp_nsegs == 3 &&
	    strcmp(segs[2], "_setup") == 0 && route_has_hook(req) ?
	    ACCESS_REPORT : ACCESS_VIEW) != 0)
		return;
	if (rp->rp_nsegs == 1) {
		server_error(req, 404, "/%s/: name a mirror: /%s/MIRROR/",
		    gr->gr_name, gr->gr_name);
		return;
	}
	if ((mi = config_find_mirror(px->px_conf, segs[1])) == NULL ||
	    !group_has_mirror(gr, mi)) {
		access_no_view(req);
		return;
	}
	if (rp->rp_nsegs == 2) {
		server_error(req, 404, "/%s/%s/: a repository, not a page: point "
		    "dnf, zypper or apt at this URL; /%s/%s/_setup configures "
		    "them", gr->gr_name, mi->mi_name, gr->gr_name, mi->mi_name);
		return;
	}
	/* No repository has a top-level _setup of its own. */
	if (rp->rp_nsegs == 3 && strcmp(segs[2], "_setup") == 0) {
		route_setup(px, req, gr, mi);
		return;
	}
	route_view(px, req, gr, mi, rp->rp_norm + rp->rp_offs[2]);
}

void
route_request(struct evhttp_request *req, void *arg)
{
	struct proxy		*px = arg;
	struct route_path	 rp;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	char			*raw;

	/* Content-Length smuggling, overlong targets: before anything. */
	if (access_request_ok(req) != 0)
		return;
	/* /_api/v1/ takes POST and DELETE too, and /metrics its own access. */
	if (api_request(px, req) == 0)
		return;
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD &&
	    cmd != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
		    "GET, HEAD");
		server_error(req, 405, "%s: method not allowed (GET and HEAD are;"
		    " POST at /GROUP/_report/HOSTNAME)", server_method(req));
		return;
	}
	if ((raw = route_raw_path(req)) == NULL) {
		server_error(req, 500, "out of memory");
		return;
	}
	if (parse_path(raw, &rp) != 0) {
		if (errno == ENOMEM)
			server_error(req, 500, "out of memory");
		else
			server_error(req, 400, "bad path");
		free(raw);
		return;
	}
	free(raw);
	route_dispatch(px, req, &rp);
	parse_path_free(&rp);
}
