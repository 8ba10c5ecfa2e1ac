/*
 * Retention's downloads: the files of versions a group still sees that
 * upstream is about to lose.  A Debian suite lists one version per package
 * and Fedora's update repositories only the newest build, so the sync at
 * which upstream drops or supersedes a version is often the last chance to
 * fetch it: from its last known location (the pool usually keeps it for a
 * while), then from the mirror's archives (archive-url), each verified
 * against the checksum the metadata recorded.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "fetch.h"
#include "indexer.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

/* Tries one URL; on failure appends "URL: cause" to tried. */
static int
prefetch_try(struct indexer *ix, struct mirror *mi, struct pub_pkg *pp,
    const char *url, struct buf *tried)
{
	char	*why = NULL;

	if (sync_fetch_blob(ix, mi, url, pp->pp_location, pp->pp_checksum_type,
	    pp->pp_pkgid, pp->pp_size, &why) == 0)
		return 0;
	/* Fetch errors name the URL already; checksum errors do not. */
	if (why != NULL && strncmp(why, url, strlen(url)) == 0)
		buf_addf(tried, "%s%s", tried->b_len ? "; " : "", why);
	else
		buf_addf(tried, "%s%s: %s", tried->b_len ? "; " : "", url,
		    why ? why : "failed");
	free(why);
	return -1;
}

size_t
prefetch_packages(struct indexer *ix, struct mirror *mi, struct pub_pkg *pkgs,
    size_t npkgs, const unsigned char *need)
{
	struct pub_pkg	*pp;
	struct buf	 tried;
	char		*url;
	size_t		 i, a, stored = 0;
	int		 ok;

	for (i = 0; i < npkgs; i++) {
		pp = &pkgs[i];
		if (!need[i])
			continue;
		if (blob_exists(ix->ix_blobs, pp->pp_checksum_type,
		    pp->pp_pkgid)) {
			pp->pp_stored = 1;
			continue;
		}
		buf_init(&tried);
		url = mirror_url(mi, pp->pp_location_base, pp->pp_location);
		ok = prefetch_try(ix, mi, pp, url, &tried) == 0;
		free(url);
		for (a = 0; !ok && mi->mi_archive_urls != NULL &&
		    mi->mi_archive_urls[a] != NULL; a++) {
			url = url_join(mi->mi_archive_urls[a], pp->pp_location);
			ok = prefetch_try(ix, mi, pp, url, &tried) == 0;
			free(url);
		}
		if (ok) {
			pp->pp_stored = 1;
			free(pp->pp_lost);
			pp->pp_lost = NULL;
			stored++;
			log_info("mirror %s: stored %s while upstream still has "
			    "it (a group sees it, upstream dropped or "
			    "superseded it)", mi->mi_name, pp->pp_location);
		} else {
			buf_add(&tried, "", 0);
			free(pp->pp_lost);
			xasprintf(&pp->pp_lost, "could not be fetched (%s)",
			    tried.b_data);
			log_warnx("mirror %s: %s could not be stored: %s",
			    mi->mi_name, pp->pp_location, tried.b_data);
		}
		buf_free(&tried);
	}
	return stored;
}
