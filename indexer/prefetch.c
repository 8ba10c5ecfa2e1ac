/*
 * At-risk prefetch: when upstream lists a newer version while an older one
 * is still the newest that some group sees, download the older package file
 * now, while upstream still has it.  Repositories such as Debian's keep
 * only the newest version, so without this a delay would make packages
 * vanish from the views that still need them.
 */
#include "config.h"

#include <stdlib.h>

#include "blob.h"
#include "indexer.h"
#include "log.h"
#include "xmalloc.h"

int
prefetch_at_risk(struct indexer *ix, struct mirror *mi, struct pub_pkg *pkgs,
    size_t npkgs, char **cause)
{
	struct pub_pkg	*pp;
	char		*url, *why = NULL;
	size_t		 i, failed = 0, fetched = 0;

	for (i = 0; i < npkgs; i++) {
		pp = &pkgs[i];
		if (!pp->pp_at_risk || !pp->pp_upstream ||
		    blob_exists(ix->ix_blobs, pp->pp_checksum_type, pp->pp_pkgid))
			continue;
		url = mirror_url(mi, pp->pp_location_base, pp->pp_location);
		if (sync_fetch_blob(ix, mi, url, pp->pp_location,
		    pp->pp_checksum_type, pp->pp_pkgid, pp->pp_size, &why) != 0) {
			log_warnx("mirror %s: prefetch of %s failed: %s",
			    mi->mi_name, pp->pp_location, why);
			free(why);
			why = NULL;
			failed++;
		} else {
			log_info("mirror %s: prefetched %s (a newer version is "
			    "not yet visible to every group)", mi->mi_name,
			    pp->pp_location);
			fetched++;
		}
		free(url);
	}
	if (failed > 0) {
		cause_set(cause, "%zu of %zu at-risk package files could not be "
		    "prefetched", failed, failed + fetched);
		return -1;
	}
	return 0;
}
