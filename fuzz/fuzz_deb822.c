/*
 * libFuzzer target for apt's metadata: the input is parsed as a Packages
 * index fed in pieces whose size follows from the input's length (every
 * stanza handed out must be the input's own bytes at its offset, with no
 * blank line in it, and the stanzas must cover the input in order), as a
 * clear-signed InRelease, as a Release, and as a date.  Fields found in
 * one pass (deb822_fields) must be those found one by one.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compress.h"
#include "deb822.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_reader {
	struct memreader	fr_mr;
	size_t			fr_step;
};

struct fuzz_doc {
	const char	*fd_data;
	size_t		 fd_len;
	long long	 fd_next;	/* no stanza may start before this */
};

static ssize_t
fuzz_read(void *arg, void *buf, size_t len, char **cause)
{
	struct fuzz_reader	*fr = arg;

	if (len > fr->fr_step)
		len = fr->fr_step;
	return memreader_read(&fr->fr_mr, buf, len, cause);
}

/* deb822_fields() finds, in one pass, what deb822_field() finds. */
static void
fuzz_fields(const struct deb822_stanza *ds)
{
	static const char *const names[] = {
		"Package", "Version", "package", "SHA256", "Size", "Filename"
	};
	const char	*val[6];
	size_t		 len[6], i;
	char		*v;

	deb822_fields(ds, names, 6, val, len);
	for (i = 0; i < 6; i++) {
		v = deb822_field(ds, names[i], 0);
		if ((v == NULL) != (val[i] == NULL) || (v != NULL &&
		    (strlen(v) != len[i] || memcmp(v, val[i], len[i]) != 0)))
			abort();
		free(v);
	}
}

static int
fuzz_stanza(const struct deb822_stanza *ds, void *arg)
{
	struct fuzz_doc	*fd = arg;
	const char	*p, *q, *nl, *end;
	char		*v;

	if (ds->ds_rawlen == 0 || ds->ds_line < 1 ||
	    ds->ds_offset < fd->fd_next ||
	    (size_t)ds->ds_offset + ds->ds_rawlen > fd->fd_len ||
	    memcmp(fd->fd_data + ds->ds_offset, ds->ds_raw,
	    ds->ds_rawlen) != 0)
		abort();
	fd->fd_next = ds->ds_offset + ds->ds_rawlen;
	/* No NUL, no blank line, and a field first. */
	if (memchr(ds->ds_raw, '\0', ds->ds_rawlen) != NULL ||
	    ds->ds_raw[0] == ' ' || ds->ds_raw[0] == '\t' ||
	    ds->ds_raw[0] == '#' || ds->ds_raw[0] == '\n')
		abort();
	end = ds->ds_raw + ds->ds_rawlen;
	for (p = ds->ds_raw; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		q = p;
		while (q < nl && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q == nl)
			abort();	/* a blank line inside */
	}
	v = deb822_field(ds, "Package", 1);
	free(v);
	v = deb822_field(ds, "description", 0);
	free(v);
	fuzz_fields(ds);
	return 0;
}

/* Every component real, nothing that steps out of a directory. */
static int
fuzz_path_ok(const char *path)
{
	const char	*p = path, *c;
	size_t		 n;

	for (;;) {
		c = strchr(p, '/');
		n = c != NULL ? (size_t)(c - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		for (; n > 0; n--, p++) {
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				return 0;
		}
		if (c == NULL)
			return 1;
		p = c + 1;
	}
}

static void
fuzz_release(const char *text, size_t len)
{
	struct apt_release		*ar;
	const struct apt_release_file	*f;
	char				*cause = NULL;
	size_t				 i;

	ar = apt_release_parse(text, len, "Release", &cause);
	if (ar == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		return;
	}
	if (cause != NULL || ar->ar_nfiles == 0 ||
	    ar->ar_architectures == NULL || ar->ar_components == NULL)
		abort();
	for (i = 0; i < ar->ar_nfiles; i++) {
		f = &ar->ar_files[i];
		if (!fuzz_path_ok(f->arf_path) ||
		    strlen(f->arf_sha256) != 64 || f->arf_size < 0)
			abort();
		if (apt_release_find(ar, f->arf_path) != f)
			abort();
	}
	apt_release_free(ar);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_reader	 fr;
	struct fuzz_doc		 fd;
	char			*cause = NULL, *text = NULL, *s, buf[64];
	size_t			 textlen;
	time_t			 t, u;
	int			 rv;

	memset(&fr, 0, sizeof fr);
	fr.fr_mr.mr_data = (const char *)data;
	fr.fr_mr.mr_len = size;
	fr.fr_step = size % 7 == 0 ? 65536 : 1 + size % 97;
	fd.fd_data = (const char *)data;
	fd.fd_len = size;
	fd.fd_next = 0;
	rv = deb822_parse(fuzz_read, &fr, "Packages", fuzz_stanza, &fd,
	    &cause);
	if ((rv == 0) != (cause == NULL))
		abort();
	free(cause);
	cause = NULL;

	if (apt_inrelease_text((const char *)data, size, &text, &textlen,
	    &cause) == 0) {
		if (cause != NULL || text == NULL || textlen > size ||
		    strlen(text) > textlen)
			abort();
		fuzz_release(text, textlen);
		free(text);
	} else {
		if (cause == NULL)
			abort();
		free(cause);
	}
	fuzz_release((const char *)data, size);

	/* A date that parses formats back to the same time. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (apt_date_parse(s, &t) == 0) {
		if (apt_date_format(t, buf, sizeof buf) == NULL ||
		    apt_date_parse(buf, &u) != 0 || u != t)
			abort();
	}
	free(s);
	return 0;
}
