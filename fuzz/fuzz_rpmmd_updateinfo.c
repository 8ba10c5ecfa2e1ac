/*
 * libFuzzer target for updateinfo (and repomd.xml, the other small
 * document read from upstream): every advisory handed out must have its
 * packages' byte ranges inside its own bytes, each a whole element.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "rpmmd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_reader {
	struct memreader	fr_mr;
	size_t			fr_step;
};

static ssize_t
fuzz_read(void *arg, void *buf, size_t len, char **cause)
{
	struct fuzz_reader	*fr = arg;

	if (len > fr->fr_step)
		len = fr->fr_step;
	return memreader_read(&fr->fr_mr, buf, len, cause);
}

static int
fuzz_advisory(const struct rpmmd_advisory *ad, void *arg)
{
	const struct rpmmd_advpkg	*ap;
	size_t				 i;

	if (ad->ad_rawlen < 2 || ad->ad_raw[0] != '<' ||
	    ad->ad_raw[ad->ad_rawlen - 1] != '>')
		abort();
	if (ad->ad_id == NULL || ad->ad_type == NULL || ad->ad_title == NULL ||
	    ad->ad_status == NULL || ad->ad_cves == NULL)
		abort();
	for (i = 0; ad->ad_cves[i] != NULL; i++) {
		if (i > 0 && strcmp(ad->ad_cves[i - 1], ad->ad_cves[i]) >= 0)
			abort();
	}
	for (i = 0; i < ad->ad_npkgs; i++) {
		ap = &ad->ad_pkgs[i];
		if (ap->ap_raw_len < 2 ||
		    ap->ap_raw_off + ap->ap_raw_len > ad->ad_rawlen ||
		    ad->ad_raw[ap->ap_raw_off] != '<' ||
		    ad->ad_raw[ap->ap_raw_off + ap->ap_raw_len - 1] != '>')
			abort();
		/* No arch names every architecture: ap_arch may be NULL. */
		if (ap->ap_name == NULL || ap->ap_epoch == NULL ||
		    ap->ap_version == NULL || ap->ap_release == NULL)
			abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_reader	 fr;
	struct rpmmd_repomd	*rm;
	char			*root = NULL, *cause = NULL;
	int			 rv;

	memset(&fr, 0, sizeof fr);
	fr.fr_mr.mr_data = (const char *)data;
	fr.fr_mr.mr_len = size;
	fr.fr_step = size % 7 == 0 ? 65536 : 1 + size % 97;
	rv = rpmmd_updateinfo_parse(fuzz_read, &fr, "fuzz.xml", fuzz_advisory,
	    NULL, &root, &cause);
	if ((rv == 0) != (cause == NULL) || (rv == 0) != (root != NULL))
		abort();
	free(root);
	free(cause);
	cause = NULL;

	rm = rpmmd_repomd_parse((const char *)data, size, "repomd.xml", &cause);
	if ((rm == NULL) != (cause != NULL))
		abort();
	rpmmd_repomd_free(rm);
	free(cause);
	return 0;
}
