/*
 * libFuzzer target for the package documents: the input is parsed as
 * primary/filelists/other and as deltainfo, fed in pieces whose size
 * follows from the input's length so that element boundaries fall
 * anywhere, and every package handed out must be the input's own bytes
 * at its offset, with its required fields set.
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
fuzz_package(const struct rpmmd_package *p, void *arg)
{
	const struct memreader	*doc = arg;

	if (p->rp_rawlen < 2 || p->rp_raw[0] != '<' ||
	    p->rp_raw[p->rp_rawlen - 1] != '>')
		abort();
	if (p->rp_offset < 0 ||
	    (size_t)p->rp_offset + p->rp_rawlen > doc->mr_len ||
	    memcmp(doc->mr_data + p->rp_offset, p->rp_raw, p->rp_rawlen) != 0)
		abort();
	if (p->rp_name == NULL || p->rp_arch == NULL || p->rp_epoch == NULL ||
	    p->rp_version == NULL || p->rp_release == NULL || p->rp_line < 1)
		abort();
	return 0;
}

static void
fuzz_one(const uint8_t *data, size_t size, int deltainfo)
{
	struct fuzz_reader	 fr;
	struct memreader	 doc;
	char			*root = NULL, *cause = NULL, *s;
	int			 rv;

	memset(&fr, 0, sizeof fr);
	fr.fr_mr.mr_data = (const char *)data;
	fr.fr_mr.mr_len = size;
	fr.fr_step = size % 7 == 0 ? 65536 : 1 + size % 97;
	doc = fr.fr_mr;
	if (deltainfo)
		rv = rpmmd_deltainfo_parse(fuzz_read, &fr, "fuzz.xml",
		    fuzz_package, &doc, &root, &cause);
	else
		rv = rpmmd_packages_parse(fuzz_read, &fr, "fuzz.xml",
		    fuzz_package, &doc, &root, &cause);
	if (rv == 0) {
		if (root == NULL || cause != NULL || root[0] != '<')
			abort();
		s = rpmmd_root_with_count(root, 3);
		if (strstr(s, "packages=") == NULL)
			abort();
		free(s);
	} else if (cause == NULL || root != NULL)
		abort();
	free(root);
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size, 0);
	fuzz_one(data, size, 1);
	return 0;
}
