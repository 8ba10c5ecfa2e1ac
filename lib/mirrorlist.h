/*
 * A mirror's base URLs: the ones patchgate.conf lists (url), then those
 * a mirrorlist or a metalink gives, as Fedora, CentOS Stream and
 * openSUSE publish them.  The indexer resolves them before each sync
 * (mirror_bases_resolve) and leaves the list in the store for patchgated,
 * which does not parse upstream documents (mirror_bases_load).
 */
#ifndef PG_MIRRORLIST_H
#define PG_MIRRORLIST_H

#include <stddef.h>

struct mirror;

/*
 * The base URLs of a mirrorlist: one per line, '#' starts a comment;
 * only http:// and https:// ones, without trailing slashes.  NULL with
 * *cause ("what: ...") when it has none.  Caller-freed (words_free).
 */
char	**mirrorlist_parse(const char *data, size_t len, const char *what,
	    char **cause);

/*
 * A metalink (3.0, as Fedora's MirrorManager serves it, or RFC 5854's
 * version 4, as openSUSE's MirrorCache does) of repodata/repomd.xml: in
 * *bases the http(s) URLs of that file without "/repodata/repomd.xml",
 * by preference (3.0: highest preference first; 4: lowest priority
 * first), and in *sha256 (NULL: none given) every sha256 it allows for
 * the file, its alternates included.  -1 with *cause ("what: line N:
 * ...") when it is no metalink or lists no URL.  Both caller-freed.
 */
int	 metalink_parse(const char *data, size_t len, const char *what,
	    char ***bases, char ***sha256, char **cause);

/* What a sync fetches from: see mirror_bases_resolve. */
struct mirror_bases {
	char	**mb_bases;	/* in order; NULL-terminated */
	char	**mb_sha256;	/* the metalink's for repodata/repomd.xml; NULL: none */
	char	 *mb_what;	/* "metalink URL", for messages; NULL: none */
};

/*
 * The bases of mi for a sync: its urls, then its mirrorlist's or
 * metalink's, fetched now (fetch_set_policy first).  When that fetch or
 * its parse fails, the bases the last good sync saved stand in for a
 * mirrorlist (not for a metalink, whose checksums vouch for its
 * mirrors), with a warning, and without them the urls alone; with neither, -1 and *cause
 * names the list's URL and what went wrong.  mirror_bases_clear frees.
 */
int	 mirror_bases_resolve(struct mirror *mi, const char *store,
	    struct mirror_bases *mb, char **cause);
void	 mirror_bases_clear(struct mirror_bases *);

/*
 * STORE/mirrors/NAME/bases: the bases a mirrorlist or metalink gave at
 * the last good sync, one per line.  Load returns NULL when there is no
 * such file (caller-freed, words_free).
 */
int	 mirror_bases_save(const char *store, const char *name,
	    char *const *bases, char **cause);
char	**mirror_bases_load(const char *store, const char *name);

#endif
