/*
 * rpm-md metadata (yum, dnf, zypper): repomd.xml, the package documents
 * (primary, filelists, other) and updateinfo, parsed from streams with
 * libxml2's SAX2 push parser (no entities, no network, no DTD).
 *
 * Views must carry every <package> element byte for byte as upstream wrote
 * it, so the package parser hands out the exact bytes of each element next
 * to the fields it read from it.
 */
#ifndef PG_RPMMD_H
#define PG_RPMMD_H

#include <sys/queue.h>
#include <stddef.h>
#include <time.h>

#include "compress.h"

/* One <data type="..."> of repomd.xml. */
struct rpmmd_data {
	char		*rd_type;		/* primary, filelists, updateinfo, group, ... */
	char		*rd_location;		/* location href */
	char		*rd_checksum_type;	/* canonical: sha256, sha1, ... */
	char		*rd_checksum;
	char		*rd_open_checksum_type;	/* NULL when absent */
	char		*rd_open_checksum;
	long long	 rd_size;		/* -1 when absent */
	long long	 rd_open_size;		/* -1 when absent */
	long long	 rd_timestamp;		/* -1 when absent */
	TAILQ_ENTRY(rpmmd_data) rd_entry;
};
TAILQ_HEAD(rpmmd_datas, rpmmd_data);

struct rpmmd_repomd {
	char			*rm_revision;	/* NULL when absent */
	struct rpmmd_datas	 rm_datas;
};

/* name is for messages ("repomd.xml"). */
struct rpmmd_repomd	*rpmmd_repomd_parse(const char *data, size_t len,
			     const char *name, char **cause);
void			 rpmmd_repomd_free(struct rpmmd_repomd *);
struct rpmmd_data	*rpmmd_repomd_find(struct rpmmd_repomd *, const char *type);

/*
 * One <package> of primary, filelists or other.  All strings point into
 * parser-owned memory valid only during the callback.  Fields a document
 * does not carry are NULL (location in filelists, for example).
 */
struct rpmmd_package {
	const char	*rp_pkgid;		/* primary: <checksum pkgid="YES">; others: pkgid= */
	const char	*rp_checksum_type;	/* primary only, canonical */
	const char	*rp_name;
	const char	*rp_arch;
	const char	*rp_epoch;		/* "0" when the document omits it */
	const char	*rp_version;
	const char	*rp_release;
	const char	*rp_location;		/* primary: <location href> */
	const char	*rp_location_base;	/* primary: <location xml:base>, NULL if none */
	const char	*rp_sourcerpm;		/* primary: <rpm:sourcerpm> (empty for srpms) */
	long long	 rp_size;		/* primary: <size package=>, -1 otherwise */
	long long	 rp_time_file;		/* primary: <time file=>, -1 otherwise */
	const char	*rp_raw;		/* exact bytes from '<' of <package to '>' of </package> */
	size_t		 rp_rawlen;
	long long	 rp_offset;		/* byte offset of rp_raw in the decompressed document */
	long		 rp_line;		/* line of the <package> start tag */
};

/*
 * Called once per package; returning -1 stops the parse (the callback
 * then sets *cause through its own arg, and the parse returns -1).
 */
typedef int (*rpmmd_package_cb)(const struct rpmmd_package *, void *arg);

/*
 * Parses a package document (primary, filelists or other: what names the
 * document in messages; its root element selects its rules).  root_start
 * receives a caller-freed copy of the exact bytes of the root element's
 * start tag ("<metadata xmlns=... packages=\"1125\">"; an empty root,
 * "<metadata packages=\"0\"/>", comes back open), so a view can write the
 * same root with its own package count.  Errors name the document, the
 * line and the cause: "primary.xml: line 12: Opening and ending tag
 * mismatch: name line 11 and package".
 */
int	 rpmmd_packages_parse(pg_read_fn, void *rarg, const char *what,
	     rpmmd_package_cb, void *cbarg, char **root_start, char **cause);

/*
 * Replaces the value of the packages="N" attribute in a root start tag;
 * returns a caller-freed string.  Adds the attribute when it is absent.
 */
char	*rpmmd_root_with_count(const char *root_start, unsigned long count);

/* One <package> of an advisory's <pkglist>. */
struct rpmmd_advpkg {
	const char	*ap_name;
	const char	*ap_epoch;		/* "0" when absent */
	const char	*ap_version;
	const char	*ap_release;
	const char	*ap_arch;		/* NULL or "": every architecture */
	const char	*ap_filename;		/* NULL when absent */
	size_t		 ap_raw_off;		/* the <package> element within ad_raw */
	size_t		 ap_raw_len;
};

/* One <update> of updateinfo.  Memory valid only during the callback. */
struct rpmmd_advisory {
	const char		*ad_id;
	const char		*ad_type;	/* as written: security, bugfix, recommended, ... */
	const char		*ad_severity;	/* as written, NULL when absent */
	const char		*ad_title;
	const char		*ad_status;
	time_t			 ad_issued;	/* 0 when absent or unparsable */
	time_t			 ad_updated;	/* 0 when absent or unparsable */
	const char *const	*ad_cves;	/* <reference type="cve" id=...>, sorted, each once, NULL-terminated */
	const struct rpmmd_advpkg *ad_pkgs;
	size_t			 ad_npkgs;
	const char		*ad_raw;	/* exact bytes of <update>...</update> */
	size_t			 ad_rawlen;
	long			 ad_line;
};

typedef int (*rpmmd_advisory_cb)(const struct rpmmd_advisory *, void *arg);

/*
 * Parses updateinfo (Red Hat, Fedora and SUSE forms).  root_start as for
 * rpmmd_packages_parse ("<updates>" or "<updates xmlns=...>").
 */
int	 rpmmd_updateinfo_parse(pg_read_fn, void *rarg, const char *what,
	     rpmmd_advisory_cb, void *cbarg, char **root_start, char **cause);

/*
 * Parses deltainfo (SUSE): calls cb for every <newpackage> element with
 * its name, epoch, version, release, arch and raw bytes (only those fields
 * of struct rpmmd_package are set).
 */
int	 rpmmd_deltainfo_parse(pg_read_fn, void *rarg, const char *what,
	     rpmmd_package_cb, void *cbarg, char **root_start, char **cause);

/*
 * rpmmd_spool.c: the package documents of a mirror, decompressed, in
 * STORE/spool/MIRROR-ID/; the store keeps where each version's element
 * lies in them (tables rpmmd_docs and package_spans; for an apt index,
 * of kind RPMMD_APT_KIND and the list, the list's rows in package_lists).
 */
#define RPMMD_APT_KIND	"deb:"
struct store;
struct rpmmd_spool;
struct rpmmd_elems;

/* STORE/spool/MIRROR-ID; caller-freed. */
char	*rpmmd_spool_dir(const char *store_dir, long long mirror_id);
/* A new document to be named dir/name once committed. */
struct rpmmd_spool *rpmmd_spool_new(const char *dir, const char *name,
	     char **cause);
int	 rpmmd_spool_add(struct rpmmd_spool *, const void *, size_t,
	     char **cause);
long long rpmmd_spool_size(const struct rpmmd_spool *);
/* The document's last byte so far, -1 when empty. */
int	 rpmmd_spool_last(const struct rpmmd_spool *);
/* Makes the document durable under its name; always frees. */
/* Writes what is buffered and waits for the disk (commit then need not). */
int	 rpmmd_spool_sync(struct rpmmd_spool *, char **cause);
int	 rpmmd_spool_commit(struct rpmmd_spool *, char **cause);
void	 rpmmd_spool_abort(struct rpmmd_spool *);
/*
 * Inside the sync's transaction, after every document of the sync was
 * recorded with current = 1: moves the elements the older documents
 * (current = 0) alone hold into package_xml and forgets those documents.
 */
int	 rpmmd_spool_retire(struct store *, const char *store_dir,
	     long long mirror_id, char **cause);
/* Removes the mirror's spooled files the committed store does not name. */
void	 rpmmd_spool_prune(struct store *, const char *store_dir,
	     long long mirror_id);

/* Reads the elements of one kind ("primary") of a mirror's versions. */
struct rpmmd_elems *rpmmd_elems_open(struct store *, const char *store_dir,
	     long long mirror_id, const char *kind, char **cause);
/*
 * The exact bytes of version pkg's element, valid until the next call;
 * NULL with *cause untouched when it has none, NULL with *cause on error.
 */
const char *rpmmd_elems_get(struct rpmmd_elems *, long long pkg,
	     size_t *len, char **cause);
/*
 * 1 and the element's place when version pkg's element lies in a spooled
 * document, 0 when not (none, or kept in the store).
 */
int	 rpmmd_elems_where(struct rpmmd_elems *, long long pkg, long long *doc,
	     long long *off);
/* 1 when version pkg has an element of this kind, 0 if not, -1 on error. */
int	 rpmmd_elems_has(struct rpmmd_elems *, long long pkg, char **cause);
void	 rpmmd_elems_close(struct rpmmd_elems *);

#endif
