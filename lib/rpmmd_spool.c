/*
 * rpm-md package documents (primary, filelists, other, susedata), and apt
 * indexes (kind "deb:" and the list), kept as upstream sent them,
 * decompressed, in STORE/spool/MIRROR-ID/: the store records where each
 * version's <package> element or stanza lies in them (the rpmmd_docs
 * table, and package_spans, or package_lists for apt), not its bytes.  A sync writes the
 * document to the spool as it parses it, so no element is copied into the
 * database; a view is written by copying byte ranges out of the spool in
 * upstream's order, with read-ahead, so memory stays flat in the size of
 * the document.  The elements of versions upstream no longer lists are
 * copied into package_xml when their document is replaced (retention),
 * where this reader finds them too.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rpmmd.h"
#include "store.h"
#include "store_query.h"
#include "util.h"
#include "xmalloc.h"

#define RPMMD_SPOOL_BUFSIZE	(256 * 1024)
/*
 * Written bytes are handed to the disk every this many (sync_file_range),
 * so that rpmmd_spool_sync(), which the commit waits for, finds little
 * left to write: 50 MB took it 0.1 s.
 */
#define RPMMD_SPOOL_KICK	(8 * 1024 * 1024)
#define RPMMD_ELEMS_AHEAD	(1024 * 1024)

struct rpmmd_spool {
	int		 sp_fd;
	char		*sp_tmp;
	char		*sp_path;
	char		*sp_buf;
	size_t		 sp_buflen;
	long long	 sp_len;
	int		 sp_last;	/* the last byte, -1 before the first */
	long long	 sp_written;	/* bytes written to sp_fd */
	long long	 sp_kicked;	/* of those, handed to the disk */
};

char *
rpmmd_spool_dir(const char *store_dir, long long mirror_id)
{
	char	*dir;

	xasprintf(&dir, "%s/spool/%lld", store_dir, mirror_id);
	return dir;
}

struct rpmmd_spool *
rpmmd_spool_new(const char *dir, const char *name, char **cause)
{
	struct rpmmd_spool	*sp;

	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	sp = xcalloc(1, sizeof *sp);
	xasprintf(&sp->sp_path, "%s/%s", dir, name);
	xasprintf(&sp->sp_tmp, "%s/.tmp.%ld.%s", dir, (long)getpid(), name);
	if ((sp->sp_fd = open(sp->sp_tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0644)) == -1) {
		cause_set(cause, "%s: %s", sp->sp_tmp, strerror(errno));
		free(sp->sp_tmp);
		free(sp->sp_path);
		free(sp);
		return NULL;
	}
	sp->sp_buf = xmalloc(RPMMD_SPOOL_BUFSIZE);
	sp->sp_last = -1;
	return sp;
}

static int
rpmmd_spool_flush(struct rpmmd_spool *sp, char **cause)
{
	const char	*p = sp->sp_buf;
	size_t		 len = sp->sp_buflen;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(sp->sp_fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			cause_set(cause, "%s: %s", sp->sp_tmp, strerror(errno));
			return -1;
		}
		p += n;
		len -= n;
		sp->sp_written += n;
	}
	sp->sp_buflen = 0;
	/* Only a start: errors show at rpmmd_spool_sync(). */
	if (sp->sp_written - sp->sp_kicked >= RPMMD_SPOOL_KICK) {
		(void)sync_file_range(sp->sp_fd, sp->sp_kicked,
		    sp->sp_written - sp->sp_kicked, SYNC_FILE_RANGE_WRITE);
		sp->sp_kicked = sp->sp_written;
	}
	return 0;
}

int
rpmmd_spool_add(struct rpmmd_spool *sp, const void *data, size_t len,
    char **cause)
{
	const char	*p = data;
	size_t		 step;

	sp->sp_len += len;
	if (len > 0)
		sp->sp_last = (unsigned char)p[len - 1];
	while (len > 0) {
		if (sp->sp_buflen == RPMMD_SPOOL_BUFSIZE &&
		    rpmmd_spool_flush(sp, cause) != 0)
			return -1;
		step = RPMMD_SPOOL_BUFSIZE - sp->sp_buflen;
		if (step > len)
			step = len;
		memcpy(sp->sp_buf + sp->sp_buflen, p, step);
		sp->sp_buflen += step;
		p += step;
		len -= step;
	}
	return 0;
}

long long
rpmmd_spool_size(const struct rpmmd_spool *sp)
{
	return sp->sp_len;
}

int
rpmmd_spool_last(const struct rpmmd_spool *sp)
{
	return sp->sp_last;
}

static void
rpmmd_spool_free(struct rpmmd_spool *sp)
{
	if (sp->sp_fd != -1) {
		close(sp->sp_fd);
		unlink(sp->sp_tmp);
	}
	free(sp->sp_buf);
	free(sp->sp_tmp);
	free(sp->sp_path);
	free(sp);
}

void
rpmmd_spool_abort(struct rpmmd_spool *sp)
{
	if (sp != NULL)
		rpmmd_spool_free(sp);
}

/*
 * On disk before the transaction that points at it commits: a crash
 * then leaves a file nobody names (pruned), never a name without a file.
 */
int
rpmmd_spool_sync(struct rpmmd_spool *sp, char **cause)
{
	if (rpmmd_spool_flush(sp, cause) != 0)
		return -1;
	if (fdatasync(sp->sp_fd) == -1) {
		cause_set(cause, "%s: %s", sp->sp_tmp, strerror(errno));
		return -1;
	}
	return 0;
}

int
rpmmd_spool_commit(struct rpmmd_spool *sp, char **cause)
{
	int	rc = -1;

	if (rpmmd_spool_flush(sp, cause) != 0)
		goto out;
	if (fsync(sp->sp_fd) == -1 || close(sp->sp_fd) == -1) {
		cause_set(cause, "%s: %s", sp->sp_tmp, strerror(errno));
		sp->sp_fd = -1;
		unlink(sp->sp_tmp);
		goto out;
	}
	sp->sp_fd = -1;
	if (rename(sp->sp_tmp, sp->sp_path) == -1) {
		cause_set(cause, "%s: %s", sp->sp_path, strerror(errno));
		unlink(sp->sp_tmp);
		goto out;
	}
	rc = 0;
out:
	rpmmd_spool_free(sp);
	return rc;
}

/* Whether the store names the spooled file name of this mirror. */
static int
rpmmd_spool_named(struct store *st, long long mirror_id, const char *name)
{
	long long	 one;
	char		*cause = NULL;
	int		 rc;

	rc = store_one(st, &cause, &one, "SELECT 1 FROM rpmmd_docs WHERE "
	    "mirror = ?1 AND name = ?2", "It", mirror_id, name);
	if (rc == -1) {
		/* Kept, not removed: the prune is tidying, not correctness. */
		log_warnx("%s", cause);
		free(cause);
	}
	return rc;
}

void
rpmmd_spool_prune(struct store *st, const char *store_dir,
    long long mirror_id)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir, *path;

	dir = rpmmd_spool_dir(store_dir, mirror_id);
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* Temporary files: the mirror's lock says no sync is writing. */
		if (de->d_name[0] != '.' &&
		    rpmmd_spool_named(st, mirror_id, de->d_name) != 0)
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		unlink(path);
		free(path);
	}
	closedir(d);
	free(dir);
}

/* The reader of one kind of element of a mirror. */
struct rpmmd_span {
	long long	 sn_pkg;
	long long	 sn_doc;
	long long	 sn_off;
	size_t		 sn_len;
};

struct rpmmd_rdoc {
	long long	 rc_id;
	int		 rc_fd;
	char		*rc_path;
};

struct rpmmd_elems {
	struct store		*el_store;
	char			*el_kind;
	struct rpmmd_span	*el_spans;	/* by package id */
	size_t			 el_nspans;
	struct rpmmd_rdoc	*el_docs;
	size_t			 el_ndocs;
	/* Read-ahead: bytes [el_aoff, el_aoff + el_alen) of el_adoc. */
	char			*el_ahead;
	size_t			 el_asize;
	long long		 el_adoc;
	long long		 el_aoff;
	size_t			 el_alen;
	/* package_xml's statement, left at the row the last get returned. */
	sqlite3_stmt		*el_xml;
};

struct rpmmd_elems *
rpmmd_elems_open(struct store *st, const char *store_dir, long long mirror_id,
    const char *kind, char **cause)
{
	struct rpmmd_elems	*el;
	sqlite3_stmt		*stmt;
	char			*dir;
	size_t			 size = 0;
	int			 step;

	el = xcalloc(1, sizeof *el);
	el->el_store = st;
	el->el_kind = xstrdup(kind);
	el->el_adoc = -1;

	stmt = store_query(st, cause, "SELECT id, name FROM rpmmd_docs WHERE "
	    "mirror = ?1 AND kind = ?2", "It", mirror_id, kind);
	if (stmt == NULL)
		goto fail;
	dir = rpmmd_spool_dir(store_dir, mirror_id);
	while ((step = store_step(st, stmt, cause)) == 1) {
		struct rpmmd_rdoc	*rc;

		el->el_docs = xreallocarray(el->el_docs, el->el_ndocs + 1,
		    sizeof *el->el_docs);
		rc = &el->el_docs[el->el_ndocs++];
		rc->rc_id = sqlite3_column_int64(stmt, 0);
		xasprintf(&rc->rc_path, "%s/%s", dir,
		    (const char *)sqlite3_column_text(stmt, 1));
		/*
		 * Opened now: a sync that replaces the document afterwards
		 * removes its name, not what this reader sees.
		 */
		if ((rc->rc_fd = open(rc->rc_path, O_RDONLY | O_CLOEXEC)) == -1) {
			cause_set(cause, "%s: %s", rc->rc_path, strerror(errno));
			free(dir);
			store_done(stmt);
			rpmmd_elems_close(el);
			return NULL;
		}
	}
	free(dir);
	if (step == -1)
		goto fail;

	/* apt's stanzas lie in the rows of their index (schema 3). */
	if (strncmp(kind, RPMMD_APT_KIND, strlen(RPMMD_APT_KIND)) == 0)
		stmt = store_query(st, cause, "SELECT l.package, l.doc, l.off, "
		    "l.len FROM package_lists l JOIN rpmmd_docs d ON d.id = "
		    "l.doc WHERE d.mirror = ?1 AND l.list = ?2 ORDER BY "
		    "l.package", "It", mirror_id, kind + strlen(RPMMD_APT_KIND));
	else
		stmt = store_query(st, cause, "SELECT s.package, s.doc, s.off, "
		    "s.len FROM package_spans s JOIN rpmmd_docs d ON d.id = "
		    "s.doc WHERE d.mirror = ?1 AND s.kind = ?2 ORDER BY "
		    "s.package", "It", mirror_id, kind);
	if (stmt == NULL)
		goto fail;
	while ((step = store_step(st, stmt, cause)) == 1) {
		struct rpmmd_span	*sn;

		if (el->el_nspans == size) {
			size = size ? size * 2 : 1024;
			el->el_spans = xreallocarray(el->el_spans, size,
			    sizeof *el->el_spans);
		}
		sn = &el->el_spans[el->el_nspans++];
		sn->sn_pkg = sqlite3_column_int64(stmt, 0);
		sn->sn_doc = sqlite3_column_int64(stmt, 1);
		sn->sn_off = sqlite3_column_int64(stmt, 2);
		sn->sn_len = sqlite3_column_int64(stmt, 3);
	}
	if (step == -1)
		goto fail;
	return el;
fail:
	rpmmd_elems_close(el);
	return NULL;
}

void
rpmmd_elems_close(struct rpmmd_elems *el)
{
	size_t	i;

	if (el == NULL)
		return;
	/* No read of package_xml stays open behind the reader. */
	store_done(el->el_xml);
	for (i = 0; i < el->el_ndocs; i++) {
		if (el->el_docs[i].rc_fd != -1)
			close(el->el_docs[i].rc_fd);
		free(el->el_docs[i].rc_path);
	}
	free(el->el_docs);
	free(el->el_spans);
	free(el->el_ahead);
	free(el->el_kind);
	free(el);
}

static const struct rpmmd_span *
rpmmd_elems_span(struct rpmmd_elems *el, long long pkg)
{
	size_t	lo = 0, hi = el->el_nspans, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (el->el_spans[mid].sn_pkg < pkg)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < el->el_nspans && el->el_spans[lo].sn_pkg == pkg)
		return &el->el_spans[lo];
	return NULL;
}

static struct rpmmd_rdoc *
rpmmd_elems_doc(struct rpmmd_elems *el, long long id, char **cause)
{
	size_t	i;

	for (i = 0; i < el->el_ndocs; i++) {
		if (el->el_docs[i].rc_id != id)
			continue;
		if (el->el_docs[i].rc_fd == -1 &&
		    (el->el_docs[i].rc_fd = open(el->el_docs[i].rc_path,
		    O_RDONLY | O_CLOEXEC)) == -1) {
			cause_set(cause, "%s: %s", el->el_docs[i].rc_path,
			    strerror(errno));
			return NULL;
		}
		return &el->el_docs[i];
	}
	cause_set(cause, "store: package_spans: document %lld not found", id);
	return NULL;
}

/* Reads [off, off + len) of a spooled document, and some more after it. */
static const char *
rpmmd_elems_read(struct rpmmd_elems *el, const struct rpmmd_span *sn,
    char **cause)
{
	struct rpmmd_rdoc	*rc;
	size_t			 want, got = 0;
	ssize_t			 n;

	if (sn->sn_doc == el->el_adoc && sn->sn_off >= el->el_aoff &&
	    sn->sn_off + (long long)sn->sn_len <= el->el_aoff +
	    (long long)el->el_alen)
		return el->el_ahead + (sn->sn_off - el->el_aoff);
	if ((rc = rpmmd_elems_doc(el, sn->sn_doc, cause)) == NULL)
		return NULL;
	want = sn->sn_len > RPMMD_ELEMS_AHEAD ? sn->sn_len : RPMMD_ELEMS_AHEAD;
	if (el->el_asize < want) {
		free(el->el_ahead);
		el->el_ahead = xmalloc(want);
		el->el_asize = want;
	}
	el->el_adoc = -1;
	while (got < want) {
		n = pread(rc->rc_fd, el->el_ahead + got, want - got,
		    sn->sn_off + got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cause_set(cause, "%s: %s", rc->rc_path, strerror(errno));
			return NULL;
		}
		if (n == 0)
			break;
		got += n;
	}
	if (got < sn->sn_len) {
		cause_set(cause, "%s: shorter than the store says (%lld bytes "
		    "at %lld)", rc->rc_path, (long long)sn->sn_len, sn->sn_off);
		return NULL;
	}
	el->el_adoc = sn->sn_doc;
	el->el_aoff = sn->sn_off;
	el->el_alen = got;
	return el->el_ahead;
}

const char *
rpmmd_elems_get(struct rpmmd_elems *el, long long pkg, size_t *len,
    char **cause)
{
	const struct rpmmd_span	*sn;
	sqlite3_stmt		*stmt;
	const char		*raw;

	*len = 0;
	if ((sn = rpmmd_elems_span(el, pkg)) != NULL) {
		if ((raw = rpmmd_elems_read(el, sn, cause)) != NULL)
			*len = sn->sn_len;
		return raw;
	}
	/* A version upstream no longer lists keeps its bytes in the store. */
	stmt = store_query(el->el_store, cause, "SELECT raw FROM package_xml "
	    "WHERE package = ?1 AND kind = ?2", "It", pkg, el->el_kind);
	if (stmt == NULL || store_step(el->el_store, stmt, cause) != 1)
		return NULL;
	/*
	 * The row stays current so that its bytes live until the next
	 * call, whose store_query() resets the statement, or the close.
	 */
	el->el_xml = stmt;
	*len = sqlite3_column_bytes(stmt, 0);
	raw = sqlite3_column_blob(stmt, 0);
	return raw != NULL ? raw : "";
}

int
rpmmd_elems_where(struct rpmmd_elems *el, long long pkg, long long *doc,
    long long *off)
{
	const struct rpmmd_span	*sn;

	if ((sn = rpmmd_elems_span(el, pkg)) == NULL)
		return 0;
	*doc = sn->sn_doc;
	*off = sn->sn_off;
	return 1;
}

int
rpmmd_elems_has(struct rpmmd_elems *el, long long pkg, char **cause)
{
	long long	 one;

	if (rpmmd_elems_span(el, pkg) != NULL)
		return 1;
	return store_one(el->el_store, cause, &one, "SELECT 1 FROM "
	    "package_xml WHERE package = ?1 AND kind = ?2", "It", pkg,
	    el->el_kind);
}

/* Copies one retired span's bytes into package_xml. */
static int
rpmmd_spool_keep(struct store *st, int fd, const char *path, long long pkg,
    const char *kind, long long off, size_t len, char **cause)
{
	char		*data;
	ssize_t		 n;
	int		 rc;

	data = xmalloc(len + 1);
	n = pread(fd, data, len, off);
	if (n < 0 || (size_t)n != len) {
		cause_set(cause, "%s: cannot read %zu bytes at %lld", path, len,
		    off);
		free(data);
		return -1;
	}
	/* data and kind stay valid until store_run() has stepped. */
	rc = store_run(st, cause, "INSERT OR REPLACE INTO package_xml "
	    "(package, kind, raw) VALUES (?1, ?2, ?3)", "Itb", pkg, kind,
	    data, len);
	free(data);
	return rc;
}

/* Copies the elements one query lists (rpmmd_spool_retire) into package_xml. */
static int
rpmmd_spool_keep_all(struct store *st, const char *dir, sqlite3_stmt *stmt,
    char **cause)
{
	char		*path = NULL;
	long long	 doc = -1;
	int		 step, fd = -1, rc = -1;

	while ((step = store_step(st, stmt, cause)) == 1) {
		if (sqlite3_column_int64(stmt, 4) != doc) {
			if (fd != -1)
				close(fd);
			free(path);
			doc = sqlite3_column_int64(stmt, 4);
			xasprintf(&path, "%s/%s", dir,
			    (const char *)sqlite3_column_text(stmt, 5));
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
				cause_set(cause, "%s: %s", path,
				    strerror(errno));
				goto out;
			}
		}
		if (rpmmd_spool_keep(st, fd, path,
		    sqlite3_column_int64(stmt, 0),
		    (const char *)sqlite3_column_text(stmt, 1),
		    sqlite3_column_int64(stmt, 2),
		    sqlite3_column_int64(stmt, 3), cause) != 0)
			goto out;
	}
	if (step == 0)
		rc = 0;
out:
	store_done(stmt);
	if (fd != -1)
		close(fd);
	free(path);
	return rc;
}

/*
 * Before the documents of an earlier sync go: the elements of versions
 * the new documents do not list move into package_xml, as retention may
 * keep those versions in views for a long time; then the documents are
 * forgotten (their files go at the next prune).
 */
int
rpmmd_spool_retire(struct store *st, const char *store_dir,
    long long mirror_id, char **cause)
{
	sqlite3_stmt	*stmt;
	char		*dir;
	int		 rc = -1;

	dir = rpmmd_spool_dir(store_dir, mirror_id);
	/*
	 * rpmmd_spool_keep() steps its own cached statement inside these
	 * loops; different ones, so that their rows stay current.
	 */
	stmt = store_query(st, cause, "SELECT s.package, s.kind, s.off, "
	    "s.len, d.id, d.name FROM package_spans s JOIN rpmmd_docs d ON "
	    "d.id = s.doc WHERE d.mirror = ?1 AND d.current = 0 ORDER BY "
	    "d.id, s.off", "I", mirror_id);
	if (stmt == NULL || rpmmd_spool_keep_all(st, dir, stmt, cause) != 0)
		goto out;
	stmt = store_query(st, cause, "SELECT l.package, '" RPMMD_APT_KIND
	    "' || l.list, l.off, l.len, d.id, d.name FROM rpmmd_docs d JOIN "
	    "package_lists l ON l.doc = d.id WHERE d.mirror = ?1 AND "
	    "d.current = 0 ORDER BY d.id, l.off", "I", mirror_id);
	if (stmt == NULL || rpmmd_spool_keep_all(st, dir, stmt, cause) != 0)
		goto out;
	if (store_run(st, cause, "DELETE FROM package_spans WHERE doc IN "
	    "(SELECT id FROM rpmmd_docs WHERE mirror = ?1 AND current = 0)",
	    "I", mirror_id) != 0 ||
	    store_run(st, cause, "UPDATE package_lists SET doc = NULL, off = "
	    "NULL, len = NULL WHERE doc IN (SELECT id FROM rpmmd_docs WHERE "
	    "mirror = ?1 AND current = 0)", "I", mirror_id) != 0 ||
	    store_run(st, cause, "DELETE FROM rpmmd_docs WHERE mirror = ?1 "
	    "AND current = 0", "I", mirror_id) != 0)
		goto out;
	/* What the new documents hold needs no copy in package_xml. */
	if (store_run(st, cause, "DELETE FROM package_xml WHERE rowid IN "
	    "(SELECT x.rowid FROM package_xml x JOIN package_spans s ON "
	    "s.package = x.package AND s.kind = x.kind JOIN rpmmd_docs d ON "
	    "d.id = s.doc WHERE d.mirror = ?1)", "I", mirror_id) != 0 ||
	    store_run(st, cause, "DELETE FROM package_xml WHERE rowid IN "
	    "(SELECT x.rowid FROM package_xml x JOIN package_lists l ON "
	    "l.package = x.package AND x.kind = '" RPMMD_APT_KIND "' || "
	    "l.list JOIN rpmmd_docs d ON d.id = l.doc WHERE d.mirror = ?1)",
	    "I", mirror_id) != 0)
		goto out;
	rc = 0;
out:
	free(dir);
	return rc;
}
