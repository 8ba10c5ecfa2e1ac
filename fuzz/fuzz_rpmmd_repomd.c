/*
 * libFuzzer target for repomd.xml, the first document the indexer reads
 * from an rpm-md upstream: parsed whole, it either fails with a cause or
 * gives records whose fields are sane (a type, a location, a type that
 * finds a record again, sizes -1 or positive).  The checksum's text is
 * not checked here: blob_valid() refuses anything but hex of the
 * algorithm's length before a path is built from it.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpmmd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpmmd_repomd	*rm;
	struct rpmmd_data	*rd;
	char			*cause = NULL;

	rm = rpmmd_repomd_parse((const char *)data, size, "repomd.xml",
	    &cause);
	if (rm == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		return 0;
	}
	if (cause != NULL)
		abort();
	TAILQ_FOREACH(rd, &rm->rm_datas, rd_entry) {
		if (rd->rd_type == NULL || rd->rd_location == NULL ||
		    rpmmd_repomd_find(rm, rd->rd_type) == NULL)
			abort();
		if (rd->rd_size < -1 || rd->rd_open_size < -1)
			abort();
	}
	rpmmd_repomd_free(rm);
	return 0;
}
