/*
 * Unit tests of the I/O layer: hashes, compression, the blob store,
 * fetching (file:// and a small HTTP server forked on a loopback port
 * chosen at run time) and OpenPGP signing and verification.  Everything is
 * written under one mkdtemp directory, removed at the end, and the
 * gpg-agents the test starts are stopped before it exits.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "compress.h"
#include "fetch.h"
#include "hash.h"
#include "sign.h"
#include "util.h"
#include "xmalloc.h"

#include "tap.h"

static char	*tmpdir;

static char *
tpath(const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", tmpdir, name);
	return p;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL || fwrite(data, 1, len, f) != len ||
	    fclose(f) != 0) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static int
contains(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

static int
starts_with(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Entries in a directory other than . and .., or -1. */
static int
count_entries(const char *path)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Some text that compresses, different on every line. */
static char *
make_text(size_t lines, size_t *len)
{
	struct buf	b;
	size_t		i;

	buf_init(&b);
	for (i = 0; i < lines; i++)
		buf_addf(&b, "Package: pkg%zu\nVersion: 1.%zu-%zu\n\n", i, i % 97, i * 7919 % 1013);
	*len = b.b_len;
	return b.b_data;
}

/* Reads everything through decomp in small, odd reads. */
static int
drain(struct decomp *d, struct buf *out, char **cause)
{
	char	chunk[4097];
	ssize_t	n;

	buf_init(out);
	buf_add(out, "", 0);
	while ((n = decomp_read(d, chunk, sizeof chunk, cause)) > 0)
		buf_add(out, chunk, n);
	return n < 0 ? -1 : 0;
}

static void
test_hash(void)
{
	static const struct {
		const char	*algo, *hex;
	} abc[] = {
		{ "md5", "900150983cd24fb0d6963f7d28e17f72" },
		{ "sha", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "sha1", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "sha224", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7" },
		{ "sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "sha384", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
		    "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7" },
		{ "sha512", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
	};
	struct hash	*h;
	char		 hex[HASH_HEX_MAX], *path, *text;
	size_t		 i, len;
	long long	 size = -1;

	is_str(hash_canonical("sha"), "sha1", "hash_canonical: sha is sha1");
	is_str(hash_canonical("sha256"), "sha256", "hash_canonical: sha256");
	is_str(hash_canonical("md5"), "md5", "hash_canonical: md5");
	ok(hash_canonical("crc32") == NULL, "hash_canonical: unknown is NULL");
	is_str(hash_canonical("SHA256"), "sha256",
	    "hash_canonical: case does not matter (some vendors write SHA256)");
	ok(hash_new("whirlpool") == NULL, "hash_new: unknown algorithm");

	for (i = 0; i < sizeof abc / sizeof abc[0]; i++) {
		hash_buffer(abc[i].algo, "abc", 3, hex);
		is_str(hex, abc[i].hex, "hash_buffer %s(\"abc\")", abc[i].algo);
	}
	hash_buffer("sha256", "", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "sha256 of nothing");
	is_int(hash_buffer("nope", "abc", 3, hex), -1, "hash_buffer: unknown algorithm");

	h = hash_new("sha256");
	hash_update(h, "a", 1);
	hash_update(h, "", 0);
	hash_update(h, "bc", 2);
	hash_final(h, hex);
	is_str(hex, abc[4].hex, "hash_update in pieces");

	text = make_text(20000, &len);
	path = tpath("hashme");
	write_file(path, text, len);
	is_int(hash_file("sha256", path, hex, &size), 0, "hash_file");
	is_int(size, len, "hash_file size");
	{
		char	want[HASH_HEX_MAX];

		hash_buffer("sha256", text, len, want);
		is_str(hex, want, "hash_file matches hash_buffer");
	}
	free(path);
	free(text);
	path = tpath("no-such-file");
	errno = 0;
	ok(hash_file("sha256", path, hex, NULL) == -1 && errno == ENOENT,
	    "hash_file: missing file fails with ENOENT");
	free(path);
}

static void
test_compress_roundtrip(void)
{
	struct decomp	*d;
	struct buf	 out;
	char		*text, *gz, *gz2, *xz, *xz2, *cause = NULL, *path, *cmd;
	size_t		 len, gzlen, gz2len, xzlen, xz2len;
	int		 fd, rc;

	text = make_text(30000, &len);

	ok(compress_gzip(text, len, &gz, &gzlen, &cause) == 0, "compress_gzip");
	ok(gzlen > 18 && gzlen < len / 4, "gzip output is compressed (%zu -> %zu)",
	    len, gzlen);
	ok((unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b &&
	    gz[3] == 0 && gz[4] == 0 && gz[5] == 0 && gz[6] == 0 && gz[7] == 0,
	    "gzip header: no file name, mtime 0");
	ok(compress_gzip(text, len, &gz2, &gz2len, &cause) == 0 &&
	    gz2len == gzlen && memcmp(gz, gz2, gzlen) == 0,
	    "compress_gzip is deterministic");
	free(gz2);

	d = decomp_open_memory(gz, gzlen, "primary.xml.gz", &cause);
	ok(d != NULL, "decomp_open_memory on gzip");
	ok(d != NULL && drain(d, &out, &cause) == 0 && out.b_len == len &&
	    memcmp(out.b_data, text, len) == 0, "gzip round-trip");
	is_int(d != NULL ? decomp_offset(d) : -1, len, "decomp_offset counts uncompressed bytes");
	buf_free(&out);
	decomp_close(d);

	/* The gzip(1) command reads it too. */
	path = tpath("rt.gz");
	write_file(path, gz, gzlen);
	xasprintf(&cmd, "gzip -dc '%s' | cmp -s - '%s/rt.plain'", path, tmpdir);
	free(path);
	path = tpath("rt.plain");
	write_file(path, text, len);
	free(path);
	rc = system(cmd);
	is_int(rc, 0, "gzip -d reads compress_gzip's output");
	free(cmd);

	ok(compress_xz(text, len, &xz, &xzlen, &cause) == 0, "compress_xz");
	ok(xzlen > 0 && xzlen < len / 4, "xz output is compressed (%zu -> %zu)",
	    len, xzlen);
	ok(xzlen >= 6 && memcmp(xz, "\3757zXZ\0", 6) == 0, "xz magic");
	ok(compress_xz(text, len, &xz2, &xz2len, &cause) == 0 &&
	    xz2len == xzlen && memcmp(xz, xz2, xzlen) == 0,
	    "compress_xz is deterministic");
	free(xz2);
	d = decomp_open_memory(xz, xzlen, "Packages.xz", &cause);
	ok(d != NULL && drain(d, &out, &cause) == 0 && out.b_len == len &&
	    memcmp(out.b_data, text, len) == 0, "xz round-trip");
	buf_free(&out);
	decomp_close(d);
	path = tpath("rt.xz");
	write_file(path, xz, xzlen);
	xasprintf(&cmd, "xz -dc '%s' | cmp -s - '%s/rt.plain'", path, tmpdir);
	free(path);
	is_int(system(cmd), 0, "xz -d reads compress_xz's output");
	free(cmd);

	/* Through a file descriptor, as the indexer reads downloaded files. */
	path = tpath("rt.xz");
	fd = open(path, O_RDONLY);
	d = decomp_open_fd(fd, "Packages.xz", &cause);
	ok(d != NULL && drain(d, &out, &cause) == 0 && out.b_len == len &&
	    memcmp(out.b_data, text, len) == 0, "xz round-trip through an fd");
	buf_free(&out);
	decomp_close(d);
	close(fd);
	free(path);

	/* Empty input, compressed or not. */
	ok(compress_gzip("", 0, &gz2, &gz2len, &cause) == 0, "compress_gzip of nothing");
	d = decomp_open_memory(gz2, gz2len, "empty.gz", &cause);
	ok(d != NULL && drain(d, &out, &cause) == 0 && out.b_len == 0,
	    "empty gzip reads as an empty stream");
	buf_free(&out);
	decomp_close(d);
	free(gz2);
	ok(compress_xz("", 0, &xz2, &xz2len, &cause) == 0, "compress_xz of nothing");
	d = decomp_open_memory(xz2, xz2len, "empty.xz", &cause);
	ok(d != NULL && drain(d, &out, &cause) == 0 && out.b_len == 0,
	    "empty xz reads as an empty stream");
	buf_free(&out);
	decomp_close(d);
	free(xz2);

	d = decomp_open_memory("", 0, "empty", &cause);
	ok(d != NULL && drain(d, &out, &cause) == 0 && out.b_len == 0,
	    "empty plain memory reads as an empty stream");
	buf_free(&out);
	decomp_close(d);
	path = tpath("empty");
	write_file(path, "", 0);
	fd = open(path, O_RDONLY);
	d = decomp_open_fd(fd, "empty", &cause);
	ok(d != NULL && drain(d, &out, &cause) == 0 && out.b_len == 0,
	    "empty plain file reads as an empty stream");
	if (d == NULL) {
		printf("# %s\n", cause);
		free(cause);
		cause = NULL;
	}
	buf_free(&out);
	decomp_close(d);
	close(fd);
	free(path);

	d = decomp_open_memory("x", 1, "one", &cause);
	ok(d != NULL && drain(d, &out, &cause) == 0 && out.b_len == 1 &&
	    out.b_data[0] == 'x', "one plain byte");
	buf_free(&out);
	decomp_close(d);
	d = decomp_open_memory(text, len, "Packages", &cause);
	ok(d != NULL && drain(d, &out, &cause) == 0 && out.b_len == len &&
	    memcmp(out.b_data, text, len) == 0, "plain text passes through");
	is_int(d != NULL ? decomp_offset(d) : -1, len, "decomp_offset of plain text");
	buf_free(&out);
	decomp_close(d);

	free(gz);
	free(xz);
	free(text);
}

/* Compresses TMP/rt.plain with a command and reads the result back. */
static void
test_compress_tool(const char *tool, const char *ext)
{
	struct decomp	*d;
	struct buf	 out;
	char		*text, *cmd, *path, *cause = NULL, *data;
	size_t		 len, dlen;
	int		 fd;

	text = make_text(30000, &len);
	xasprintf(&cmd, "%s < '%s/rt.plain' > '%s/rt.%s'", tool, tmpdir, tmpdir, ext);
	is_int(system(cmd), 0, "%s made a .%s file", tool, ext);
	free(cmd);

	xasprintf(&path, "%s/rt.%s", tmpdir, ext);
	fd = open(path, O_RDONLY);
	d = decomp_open_fd(fd, path, &cause);
	ok(d != NULL && drain(d, &out, &cause) == 0 && out.b_len == len &&
	    memcmp(out.b_data, text, len) == 0, ".%s input reads back", ext);
	if (cause != NULL) {
		printf("# %s\n", cause);
		free(cause);
		cause = NULL;
	}
	buf_free(&out);
	decomp_close(d);
	close(fd);

	/* Cut off: must fail, with the name in the message. */
	if (file_read(path, 1 << 26, &data, &dlen, &cause) == 0) {
		d = decomp_open_memory(data, dlen / 2, "cut." "file", &cause);
		if (d != NULL) {
			ok(drain(d, &out, &cause) == -1, "truncated .%s fails", ext);
			buf_free(&out);
			decomp_close(d);
		} else
			ok(1, "truncated .%s fails (at open)", ext);
		ok(starts_with(cause, "cut.file: "), "the error names the file: %s",
		    cause ? cause : "(none)");
		free(cause);
		cause = NULL;

		d = decomp_open_memory(data, dlen - 1, "cut1", &cause);
		if (d != NULL) {
			ok(drain(d, &out, &cause) == -1,
			    ".%s one byte short fails", ext);
			buf_free(&out);
			decomp_close(d);
		} else
			ok(1, ".%s one byte short fails (at open)", ext);
		free(cause);
		cause = NULL;
		free(data);
	} else {
		ok(0, "read %s: %s", path, cause);
		free(cause);
		cause = NULL;
	}
	free(path);
	free(text);
}

static void
test_compress_truncated(void)
{
	struct decomp	*d;
	struct buf	 out;
	char		*text, *z, *cause = NULL;
	size_t		 len, zlen, cut;
	int		 failed;

	text = make_text(30000, &len);

	compress_gzip(text, len, &z, &zlen, &cause);
	d = decomp_open_memory(z, zlen / 2, "primary.xml.gz", &cause);
	ok(d != NULL && drain(d, &out, &cause) == -1, "truncated gzip fails");
	is_str(cause, "primary.xml.gz: truncated gzip input",
	    "truncated gzip: message");
	free(cause);
	cause = NULL;
	buf_free(&out);
	ok(decomp_read(d, text, 10, &cause) == -1, "reading on after an error fails again");
	free(cause);
	cause = NULL;
	decomp_close(d);

	/* Every cut in the last 40 bytes (trailer included) is an error. */
	failed = 0;
	for (cut = 1; cut <= 40; cut++) {
		d = decomp_open_memory(z, zlen - cut, "x.gz", &cause);
		if (d != NULL && drain(d, &out, &cause) == 0)
			failed++;
		if (d != NULL)
			buf_free(&out);
		decomp_close(d);
		free(cause);
		cause = NULL;
	}
	is_int(failed, 0, "gzip cut anywhere in its last 40 bytes fails");
	free(z);

	compress_xz(text, len, &z, &zlen, &cause);
	d = decomp_open_memory(z, zlen / 2, "Packages.xz", &cause);
	ok(d != NULL && drain(d, &out, &cause) == -1, "truncated xz fails");
	ok(starts_with(cause, "Packages.xz: ") && contains(cause, "truncated"),
	    "truncated xz: message \"%s\"", cause ? cause : "");
	free(cause);
	cause = NULL;
	buf_free(&out);
	decomp_close(d);
	failed = 0;
	for (cut = 1; cut <= 40; cut++) {
		d = decomp_open_memory(z, zlen - cut, "x.xz", &cause);
		if (d != NULL && drain(d, &out, &cause) == 0)
			failed++;
		if (d != NULL)
			buf_free(&out);
		decomp_close(d);
		free(cause);
		cause = NULL;
	}
	is_int(failed, 0, "xz cut anywhere in its last 40 bytes fails");
	free(z);
	free(text);

	/* An empty stream cut short is no empty stream. */
	compress_gzip("", 0, &z, &zlen, &cause);
	failed = 0;
	for (cut = 1; cut < zlen; cut++) {
		d = decomp_open_memory(z, zlen - cut, "e.gz", &cause);
		if (d != NULL && drain(d, &out, &cause) == 0)
			failed++;
		if (d != NULL)
			buf_free(&out);
		decomp_close(d);
		ok(starts_with(cause, "e.gz: "), "cut empty gzip (-%zu): %s", cut,
		    cause ? cause : "no error");
		free(cause);
		cause = NULL;
	}
	is_int(failed, 0, "an empty gzip stream cut anywhere fails");
	free(z);
	compress_xz("", 0, &z, &zlen, &cause);
	failed = 0;
	for (cut = 1; cut < zlen; cut++) {
		d = decomp_open_memory(z, zlen - cut, "e.xz", &cause);
		if (d != NULL && drain(d, &out, &cause) == 0)
			failed++;
		if (d != NULL)
			buf_free(&out);
		decomp_close(d);
		free(cause);
		cause = NULL;
	}
	is_int(failed, 0, "an empty xz stream cut anywhere fails");
	free(z);
}

static void
test_blob(void)
{
	static const char	 content[] = "a package file\n";
	struct blobstore	*bs;
	struct blob_writer	*w;
	struct blob_probe	*probe;
	char			 hex[HASH_HEX_MAX], sha1[HASH_HEX_MAX], upper[HASH_HEX_MAX];
	char			*root, *tmp, *blobs, *path, *cause = NULL, *data, *want;
	size_t			 len, i;
	struct stat		 sb;
	static const char	*hostile[] = {
		"../../../../../../../../etc/passwd",
		"../blobs/sha256/ab/abababababababababababababababababababababababababababababababab",
		"/etc/passwd",
		"",
		"0123",
		"zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a/",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
	};

	root = tpath("store");
	bs = blob_open(root, &cause);
	ok(bs != NULL, "blob_open");
	tmp = tpath("store/tmp");
	blobs = tpath("store/blobs");
	ok(stat(tmp, &sb) == 0 && S_ISDIR(sb.st_mode), "blob_open made tmp/");

	hash_buffer("sha256", content, sizeof content - 1, hex);
	ok(!blob_exists(bs, "sha256", hex), "not stored yet");
	probe = blob_probe_new(bs);
	ok(!blob_probe_exists(probe, "sha256", hex), "probe: not stored yet");
	blob_probe_free(probe);
	ok(blob_path(bs, "sha256", hex) == NULL, "blob_path: NULL when absent");
	w = blob_writer_new(bs, "sha256", hex, sizeof content - 1, &cause);
	ok(w != NULL, "blob_writer_new");
	is_int(count_entries(tmp), 1, "writing goes to a temp file in tmp/");
	ok(blob_writer_write(w, content, 5, &cause) == 0 &&
	    blob_writer_write(w, content + 5, sizeof content - 6, &cause) == 0,
	    "blob_writer_write in two parts");
	is_int(blob_writer_commit(w, &cause), 0, "blob_writer_commit");
	ok(blob_exists(bs, "sha256", hex), "blob_exists after commit");
	probe = blob_probe_new(bs);
	ok(blob_probe_exists(probe, "sha256", hex), "probe: stored");
	hex[63] = hex[63] == '0' ? '1' : '0';
	ok(!blob_probe_exists(probe, "sha256", hex),
	    "probe: another blob in the same directory is not");
	hex[0] = hex[0] == '0' ? '1' : '0';
	ok(!blob_probe_exists(probe, "sha256", hex) &&
	    !blob_probe_exists(probe, "sha256", hex),
	    "probe: nor one in a directory that does not exist");
	ok(!blob_probe_exists(probe, "sha256", "../../etc/passwd"),
	    "probe: a hostile name is not");
	blob_probe_free(probe);
	hash_buffer("sha256", content, sizeof content - 1, hex);
	path = blob_path(bs, "sha256", hex);
	xasprintf(&want, "%s/blobs/sha256/%.2s/%s", root, hex, hex);
	is_str(path, want, "blob path layout");
	ok(path != NULL && file_read(path, 1024, &data, &len, &cause) == 0 &&
	    len == sizeof content - 1 && memcmp(data, content, len) == 0,
	    "blob content");
	if (path != NULL)
		free(data);
	ok(path != NULL && stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644,
	    "blob is readable by others (0644)");
	free(path);
	free(want);
	is_int(count_entries(tmp), 0, "tmp/ is empty after a commit");

	/* Writing it again is harmless. */
	w = blob_writer_new(bs, "sha256", hex, -1, &cause);
	ok(w != NULL && blob_writer_write(w, content, sizeof content - 1, &cause) == 0 &&
	    blob_writer_commit(w, &cause) == 0, "committing the same blob again, size unknown");

	/* sha is sha1, stored under sha1/. */
	hash_buffer("sha1", content, sizeof content - 1, sha1);
	w = blob_writer_new(bs, "sha", sha1, sizeof content - 1, &cause);
	ok(w != NULL && blob_writer_write(w, content, sizeof content - 1, &cause) == 0 &&
	    blob_writer_commit(w, &cause) == 0, "blob by \"sha\"");
	ok(blob_exists(bs, "sha1", sha1), "\"sha\" blob found as sha1");

	/* Checksum mismatch: an error, nothing left anywhere. */
	hash_buffer("sha256", "something else", 14, hex);
	w = blob_writer_new(bs, "sha256", hex, sizeof content - 1, &cause);
	blob_writer_write(w, content, sizeof content - 1, &cause);
	is_int(blob_writer_commit(w, &cause), -1, "commit with wrong checksum fails");
	ok(starts_with(cause, "sha256 mismatch (expected ") && contains(cause, hex),
	    "mismatch message: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	ok(!blob_exists(bs, "sha256", hex), "mismatched blob not stored");
	is_int(count_entries(tmp), 0, "mismatch leaves nothing in tmp/");
	xasprintf(&path, "%s/sha256/%.2s", blobs, hex);
	ok(count_entries(path) <= 0, "mismatch leaves nothing in blobs/");
	free(path);

	/* Size mismatch, short and long. */
	hash_buffer("sha256", content, sizeof content - 1, hex);
	w = blob_writer_new(bs, "sha256", hex, 100, &cause);
	blob_writer_write(w, content, sizeof content - 1, &cause);
	is_int(blob_writer_commit(w, &cause), -1, "commit with short size fails");
	is_str(cause, "size mismatch (expected 100 bytes, got 15)", "size mismatch message");
	free(cause);
	cause = NULL;
	w = blob_writer_new(bs, "sha256", hex, 3, &cause);
	is_int(blob_writer_write(w, content, sizeof content - 1, &cause), -1,
	    "writing more than the expected size fails at once");
	free(cause);
	cause = NULL;
	is_int(blob_writer_commit(w, &cause), -1, "and the commit fails");
	free(cause);
	cause = NULL;
	is_int(count_entries(tmp), 0, "size mismatches leave nothing in tmp/");

	w = blob_writer_new(bs, "sha256", hex, -1, &cause);
	blob_writer_write(w, content, 3, &cause);
	blob_writer_abort(w);
	is_int(count_entries(tmp), 0, "abort removes the temp file");

	/* Hostile or malformed names never reach the file system. */
	for (i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		w = blob_writer_new(bs, "sha256", hostile[i], -1, &cause);
		ok(w == NULL && cause != NULL, "hex \"%s\" rejected", hostile[i]);
		free(cause);
		cause = NULL;
		blob_writer_abort(w);
		ok(blob_path(bs, "sha256", hostile[i]) == NULL &&
		    !blob_exists(bs, "sha256", hostile[i]),
		    "blob_path rejects \"%s\"", hostile[i]);
	}
	hash_buffer("sha256", content, sizeof content - 1, hex);
	for (i = 0; hex[i] != '\0'; i++)
		upper[i] = (hex[i] >= 'a' && hex[i] <= 'f') ? hex[i] - 'a' + 'A' : hex[i];
	upper[i] = '\0';
	ok(blob_path(bs, "sha256", upper) == NULL, "uppercase hex rejected");
	ok(blob_path(bs, "../sha256", hex) == NULL, "hostile algorithm rejected");
	w = blob_writer_new(bs, "crc32", hex, -1, &cause);
	ok(w == NULL && cause != NULL, "unknown algorithm rejected");
	free(cause);
	cause = NULL;
	ok(blob_path(bs, "sha1", hex) == NULL, "sha256 hex is the wrong length for sha1");
	is_int(count_entries(tmp), 0, "tmp/ still empty");

	blob_close(bs);
	free(root);
	free(tmp);
	free(blobs);
}

/* Counts blob_scan's entries: files, aliases and dangling aliases. */
struct scan_count {
	int	files;
	int	aliases;
	int	dangling;
};

static int
scan_count_one(const struct blob_entry *be, void *arg)
{
	struct scan_count	*sc = arg;

	if (be->be_target == NULL)
		sc->files++;
	else if (be->be_dangling)
		sc->dangling++;
	else
		sc->aliases++;
	return 0;
}

static int
store_one(struct blobstore *bs, const char *algo, const char *hex,
    const char *data, size_t len, char **cause)
{
	struct blob_writer	*w;

	if ((w = blob_writer_new(bs, algo, hex, len, cause)) == NULL)
		return -1;
	if (blob_writer_write(w, data, len, cause) != 0) {
		blob_writer_abort(w);
		return -1;
	}
	return blob_writer_commit(w, cause);
}

/*
 * Blobs are keyed by SHA-256 whatever checksum the metadata gives: the
 * same bytes under sha1, sha512 and sha256 are one file, the others
 * aliases of it; an older store's plain files are found as they are.
 */
static void
test_blob_keying(void)
{
	static const char	 content[] = "one rpm, two mirrors\n";
	static const char	 other[] = "an older store's file\n";
	struct blobstore	*bs;
	struct blob_writer	*w;
	struct scan_count	 sc;
	struct stat		 sb;
	char			 s256[HASH_HEX_MAX], s1[HASH_HEX_MAX], s512[HASH_HEX_MAX];
	char			 o1[HASH_HEX_MAX], link_target[256];
	char			 rekeyed[HASH_HEX_MAX], o256[HASH_HEX_MAX];
	char			*root, *tmp, *p1, *p512, *p256, *want, *path, *cause = NULL;
	char			*data;
	size_t			 len;
	ssize_t			 n;

	root = tpath("keyed");
	tmp = tpath("keyed/tmp");
	bs = blob_open(root, &cause);
	ok(bs != NULL, "blob_open of a second store");
	hash_buffer("sha256", content, sizeof content - 1, s256);
	hash_buffer("sha1", content, sizeof content - 1, s1);
	hash_buffer("sha512", content, sizeof content - 1, s512);

	is_int(store_one(bs, "sha1", s1, content, sizeof content - 1, &cause), 0,
	    "a blob by sha1 is stored");
	xasprintf(&want, "%s/blobs/sha256/%.2s/%s", root, s256, s256);
	ok(lstat(want, &sb) == 0 && S_ISREG(sb.st_mode),
	    "its file lies under its sha256");
	p1 = blob_path(bs, "sha1", s1);
	is_str(p1, want, "blob_path by sha1 leads to the sha256 file");
	xasprintf(&path, "%s/blobs/sha1/%.2s/%s", root, s1, s1);
	n = readlink(path, link_target, sizeof link_target - 1);
	if (n >= 0)
		link_target[n] = '\0';
	ok(n > 0 && strncmp(link_target, "../../sha256/", 13) == 0,
	    "the sha1 name is a relative alias: %s", n > 0 ? link_target : "none");
	free(path);
	ok(blob_exists(bs, "sha256", s256), "the same file is found by sha256");

	is_int(store_one(bs, "sha512", s512, content, sizeof content - 1,
	    &cause), 0, "the same bytes by sha512 (another mirror)");
	p512 = blob_path(bs, "sha512", s512);
	is_str(p512, want, "... lead to the same file");
	is_int(store_one(bs, "sha256", s256, content, sizeof content - 1,
	    &cause), 0, "and by sha256 (a third)");
	memset(&sc, 0, sizeof sc);
	is_int(blob_scan(bs, scan_count_one, &sc, &cause), 0, "blob_scan");
	is_int(sc.files, 1, "one file for three checksums: kept once");
	is_int(sc.aliases, 2, "two aliases");
	is_int(count_entries(tmp), 0, "nothing left in tmp/");

	/* A corrupt or truncated download is refused, and adds no alias. */
	hash_buffer("sha1", "different", 9, o1);
	is_int(store_one(bs, "sha1", o1, content, sizeof content - 1, &cause),
	    -1, "bytes that are not the sha1's are refused");
	ok(cause != NULL && starts_with(cause, "sha1 mismatch"),
	    "... saying why: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	ok(!blob_exists(bs, "sha1", o1), "... and not found");
	w = blob_writer_new(bs, "sha512", s512, sizeof content - 1, &cause);
	ok(w != NULL && blob_writer_write(w, content, 5, &cause) == 0,
	    "a truncated download");
	is_int(blob_writer_commit(w, &cause), -1, "... is refused");
	free(cause);
	cause = NULL;
	memset(&sc, 0, sizeof sc);
	blob_scan(bs, scan_count_one, &sc, &cause);
	ok(sc.files == 1 && sc.aliases == 2 && sc.dangling == 0,
	    "refusals change nothing in the store");

	/* An older store: a plain file under blobs/sha1/. */
	hash_buffer("sha1", other, sizeof other - 1, o1);
	xasprintf(&path, "%s/blobs/sha1/%.2s", root, o1);
	mkdir_p(path, 0755);
	free(path);
	xasprintf(&path, "%s/blobs/sha1/%.2s/%s", root, o1, o1);
	ok(file_write_atomic(path, other, sizeof other - 1, &cause) == 0,
	    "an older store's plain sha1 file");
	p256 = blob_path(bs, "sha1", o1);
	is_str(p256, path, "... is found where it is");
	ok(p256 != NULL && file_read(p256, 1024, &data, &len, &cause) == 0 &&
	    len == sizeof other - 1 && memcmp(data, other, len) == 0,
	    "... with its bytes");
	if (p256 != NULL)
		free(data);
	free(p256);
	/* gc moves it to this layout: its sha256 file, an alias. */
	ok(blob_rekey(bs, "sha1", o1, rekeyed, &cause) == 0, "blob_rekey");
	hash_buffer("sha256", other, sizeof other - 1, o256);
	is_str(rekeyed, o256, "... gives its sha256");
	ok(lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode), "... its old name is an alias");
	p256 = blob_path(bs, "sha1", o1);
	xasprintf(&data, "%s/blobs/sha256/%.2s/%s", root, o256, o256);
	is_str(p256, data, "... of the sha256 file");
	free(data);
	ok(p256 != NULL && file_read(p256, 1024, &data, &len, &cause) == 0 &&
	    len == sizeof other - 1 && memcmp(data, other, len) == 0,
	    "... with the same bytes");
	if (p256 != NULL)
		free(data);
	free(p256);
	ok(blob_rekey(bs, "sha1", o1, rekeyed, &cause) == -1,
	    "an alias is not rekeyed again");
	free(cause);
	cause = NULL;
	free(path);
	/* A rotten plain file is removed, not moved. */
	hash_buffer("sha1", "expected", 8, o1);
	xasprintf(&path, "%s/blobs/sha1/%.2s", root, o1);
	mkdir_p(path, 0755);
	free(path);
	xasprintf(&path, "%s/blobs/sha1/%.2s/%s", root, o1, o1);
	file_write_atomic(path, "rotten", 6, &cause);
	is_int(blob_rekey(bs, "sha1", o1, rekeyed, &cause), -1,
	    "blob_rekey of a rotten file fails");
	ok(contains(cause, "sha1 mismatch") && contains(cause, "removed"),
	    "... saying why: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	ok(lstat(path, &sb) == -1, "... and removes it");
	free(path);

	/* Aliases that lead nowhere, or out of the tree, count as absent. */
	ok(blob_remove(bs, "sha256", s256, &cause) == 0, "blob_remove of the file");
	ok(!blob_exists(bs, "sha1", s1) && blob_path(bs, "sha512", s512) == NULL,
	    "its aliases then find nothing");
	memset(&sc, 0, sizeof sc);
	blob_scan(bs, scan_count_one, &sc, &cause);
	is_int(sc.dangling, 2, "blob_scan reports them dangling");
	is_int(sc.files, 1, "and the older store's file");
	ok(blob_remove(bs, "sha1", s1, &cause) == 0 &&
	    blob_remove(bs, "sha512", s512, &cause) == 0 &&
	    blob_remove(bs, "sha512", s512, &cause) == 0,
	    "blob_remove of aliases, twice is no error");
	ok(blob_remove(bs, "sha256", "../../etc", &cause) == -1,
	    "blob_remove refuses a hostile name");
	free(cause);
	cause = NULL;
	xasprintf(&path, "%s/blobs/sha1/%.2s/%s", root, s1, s1);
	ok(symlink("../../../../../../etc/passwd", path) == 0,
	    "an alias made to point out of the store");
	ok(blob_path(bs, "sha1", s1) == NULL, "... is not followed");
	unlink(path);
	free(path);
	/* Stored again: the alias is made anew. */
	is_int(store_one(bs, "sha1", s1, content, sizeof content - 1, &cause), 0,
	    "stored again by sha1");
	ok(blob_exists(bs, "sha1", s1) && blob_exists(bs, "sha256", s256),
	    "file and alias are back");
	/* A killed commit's alias in tmp/ is cleaned at the next open. */
	xasprintf(&path, "%s/tmp/blob.999999999.alias0", root);
	ok(symlink("../../sha256/00/00", path) == 0, "a dead process's alias in tmp/");
	blob_close(bs);
	bs = blob_open(root, &cause);
	ok(bs != NULL && lstat(path, &sb) == -1, "blob_open removed it");
	free(path);

	blob_close(bs);
	free(p1);
	free(p512);
	free(want);
	free(tmp);
	free(root);
}

/* A failed write shows up as a failed fetch in the parent. */
static void
http_send(int c, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0 && (n = write(c, p, len)) > 0) {
		p += n;
		len -= n;
	}
}

/*
 * A tiny HTTP/1.0 server for fetch's error paths, in a child process.
 * Paths: /ok, /503, /redirect, /loop, /tofile, /big, /count (of 503s and
 * 404s), /quit; anything else is a 404.
 */
static pid_t
http_start(int *portp)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;
	char			 req[2048], resp[4096], *sp, *body;
	int			 s, c, n503 = 0, n404 = 0, one = 1;
	size_t			 got;
	ssize_t			 n;
	pid_t			 pid;

	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	if (bind(s, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(s, 16) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &slen) == -1) {
		close(s);
		return -1;
	}
	*portp = ntohs(sin.sin_port);
	fflush(stdout);
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	alarm(120);	/* never outlive a stuck test */
	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1)
			continue;
		got = 0;
		while (got < sizeof req - 1 &&
		    (n = read(c, req + got, sizeof req - 1 - got)) > 0) {
			got += n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		req[got] = '\0';
		sp = strchr(req, ' ');
		sp = sp != NULL ? sp + 1 : req;
		body = NULL;
		if (strncmp(sp, "/ok ", 4) == 0)
			snprintf(resp, sizeof resp, "HTTP/1.0 200 OK\r\n"
			    "Content-Length: 6\r\n\r\nhello\n");
		else if (strncmp(sp, "/503 ", 5) == 0) {
			n503++;
			snprintf(resp, sizeof resp, "HTTP/1.0 503 Busy\r\n"
			    "Content-Length: 0\r\n\r\n");
		} else if (strncmp(sp, "/redirect ", 10) == 0)
			snprintf(resp, sizeof resp, "HTTP/1.0 302 Found\r\n"
			    "Location: /ok\r\nContent-Length: 0\r\n\r\n");
		else if (strncmp(sp, "/loop ", 6) == 0)
			snprintf(resp, sizeof resp, "HTTP/1.0 302 Found\r\n"
			    "Location: /loop\r\nContent-Length: 0\r\n\r\n");
		else if (strncmp(sp, "/tofile ", 8) == 0)
			snprintf(resp, sizeof resp, "HTTP/1.0 302 Found\r\n"
			    "Location: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n");
		else if (strncmp(sp, "/big ", 5) == 0) {
			/* No Content-Length: the limit must hold while reading. */
			body = xmalloc(3000);
			memset(body, 'x', 3000);
			snprintf(resp, sizeof resp, "HTTP/1.0 200 OK\r\n\r\n");
		} else if (strncmp(sp, "/count ", 7) == 0)
			snprintf(resp, sizeof resp, "HTTP/1.0 200 OK\r\n"
			    "Content-Length: 3\r\n\r\n%d %d", n503 % 10,
			    n404 % 10);
		else if (strncmp(sp, "/quit ", 6) == 0) {
			snprintf(resp, sizeof resp, "HTTP/1.0 200 OK\r\n"
			    "Content-Length: 0\r\n\r\n");
			http_send(c, resp, strlen(resp));
			close(c);
			_exit(0);
		} else {
			n404++;
			snprintf(resp, sizeof resp, "HTTP/1.0 404 Not Found\r\n"
			    "Content-Length: 10\r\n\r\nnot found\n");
		}
		http_send(c, resp, strlen(resp));
		if (body != NULL)
			http_send(c, body, 3000);
		close(c);
		free(body);
	}
}

static void
test_fetch(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;
	char			*url, *path, *out, *cause = NULL, *data, *text;
	size_t			 len, tlen;
	long			 status;
	int			 port, s;
	pid_t			 pid;

	is_int(fetch_global_init(), 0, "fetch_global_init");

	text = make_text(1000, &tlen);
	path = tpath("served");
	write_file(path, text, tlen);
	xasprintf(&url, "file://%s", path);
	status = -1;
	ok(fetch_to_memory(url, 0, &data, &len, &status, &cause) == 0 &&
	    len == tlen && memcmp(data, text, len) == 0, "file:// to memory");
	is_int(status, 0, "file:// status is 0");
	if (cause == NULL)
		free(data);
	free(cause);
	cause = NULL;
	out = tpath("fetched");
	ok(fetch_to_file(url, out, 0, NULL, &cause) == 0 &&
	    file_read(out, 1 << 20, &data, &len, &cause) == 0 && len == tlen &&
	    memcmp(data, text, len) == 0, "file:// to a file");
	if (cause == NULL)
		free(data);
	free(cause);
	cause = NULL;
	is_int(fetch_to_memory(url, 100, &data, &len, NULL, &cause), -1,
	    "maxsize enforced on file://");
	ok(starts_with(cause, url) && contains(cause, "larger than 100 bytes"),
	    "maxsize message: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	free(url);
	free(path);

	xasprintf(&url, "file://%s/no-such-file", tmpdir);
	is_int(fetch_to_file(url, out, 0, NULL, &cause), -1, "file:// missing file fails");
	ok(starts_with(cause, url) && strlen(cause) > strlen(url) + 2,
	    "missing file message names the URL: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	free(url);
	free(out);
	free(text);

	if ((pid = http_start(&port)) == -1) {
		ok(0, "cannot start the HTTP server");
		return;
	}
	xasprintf(&url, "http://127.0.0.1:%d/ok", port);
	ok(fetch_to_memory(url, 0, &data, &len, &status, &cause) == 0 &&
	    len == 6 && memcmp(data, "hello\n", 6) == 0, "HTTP 200");
	is_int(status, 200, "status 200");
	if (cause == NULL)
		free(data);
	free(cause);
	cause = NULL;
	free(url);

	xasprintf(&url, "http://127.0.0.1:%d/missing", port);
	is_int(fetch_to_memory(url, 0, &data, &len, &status, &cause), -1, "HTTP 404 fails");
	is_int(status, 404, "status 404");
	xasprintf(&text, "%s: HTTP 404", url);
	is_str(cause, text, "404 message");
	free(text);
	free(cause);
	cause = NULL;
	free(url);

	xasprintf(&url, "http://127.0.0.1:%d/503", port);
	is_int(fetch_to_memory(url, 0, &data, &len, &status, &cause), -1, "HTTP 503 fails");
	is_int(status, 503, "status 503");
	free(cause);
	cause = NULL;
	free(url);
	xasprintf(&url, "http://127.0.0.1:%d/count", port);
	ok(fetch_to_memory(url, 0, &data, &len, NULL, &cause) == 0 && len == 3 &&
	    data[0] == '3', "503 was tried three times");
	ok(cause == NULL && data[2] == '1', "404 was tried once");
	if (cause == NULL)
		free(data);
	free(cause);
	cause = NULL;
	free(url);

	xasprintf(&url, "http://127.0.0.1:%d/redirect", port);
	ok(fetch_to_memory(url, 0, &data, &len, &status, &cause) == 0 &&
	    len == 6 && memcmp(data, "hello\n", 6) == 0, "redirect followed");
	if (cause == NULL)
		free(data);
	free(cause);
	cause = NULL;
	free(url);
	xasprintf(&url, "http://127.0.0.1:%d/loop", port);
	is_int(fetch_to_memory(url, 0, &data, &len, &status, &cause), -1,
	    "endless redirects fail");
	ok(starts_with(cause, url), "redirect loop message: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	free(url);
	xasprintf(&url, "http://127.0.0.1:%d/tofile", port);
	is_int(fetch_to_memory(url, 0, &data, &len, &status, &cause), -1,
	    "a redirect to file:// is refused");
	free(cause);
	cause = NULL;
	free(url);

	xasprintf(&url, "http://127.0.0.1:%d/big", port);
	is_int(fetch_to_memory(url, 1000, &data, &len, &status, &cause), -1,
	    "maxsize enforced without Content-Length");
	ok(contains(cause, "larger than 1000 bytes"), "maxsize message: %s",
	    cause ? cause : "");
	free(cause);
	cause = NULL;
	ok(fetch_to_memory(url, 3000, &data, &len, &status, &cause) == 0 &&
	    len == 3000, "exactly maxsize is fine");
	if (cause == NULL)
		free(data);
	free(cause);
	cause = NULL;
	free(url);

	xasprintf(&url, "http://127.0.0.1:%d/quit", port);
	if (fetch_to_memory(url, 0, &data, &len, NULL, &cause) == 0)
		free(data);
	else {
		kill(pid, SIGTERM);
		free(cause);
		cause = NULL;
	}
	free(url);
	waitpid(pid, NULL, 0);

	/* A port nobody listens on: refused, retried, then a clear error. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&sin, sizeof sin);
	getsockname(s, (struct sockaddr *)&sin, &slen);
	close(s);
	xasprintf(&url, "http://127.0.0.1:%d/x", ntohs(sin.sin_port));
	is_int(fetch_to_memory(url, 0, &data, &len, &status, &cause), -1,
	    "connection refused fails");
	ok(starts_with(cause, url) && contains(cause, "onnect"),
	    "connection refused message: %s", cause ? cause : "");
	free(cause);
	free(url);
}

static void
test_url_join(void)
{
	static const struct {
		const char	*base, *rel, *want;
	} t[] = {
		{ "http://h/el9", "repodata/repomd.xml", "http://h/el9/repodata/repomd.xml" },
		{ "http://h/el9/", "repodata/repomd.xml", "http://h/el9/repodata/repomd.xml" },
		{ "http://h/el9//", "x", "http://h/el9/x" },
		{ "http://h", "x", "http://h/x" },
		{ "http://h/a/b", "./x", "http://h/a/b/x" },
		{ "http://h/a/b", "/pool/x.deb", "http://h/pool/x.deb" },
		{ "http://h:8080", "/pool/x.deb", "http://h:8080/pool/x.deb" },
		{ "http://h/a", "https://other/y", "https://other/y" },
		{ "file:///srv/repo", "repodata/x", "file:///srv/repo/repodata/x" },
		{ "file:///", "x", "file:///x" },
	};
	size_t	 i;
	char	*s;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		s = url_join(t[i].base, t[i].rel);
		is_str(s, t[i].want, "url_join(\"%s\", \"%s\")", t[i].base, t[i].rel);
		free(s);
	}
}

static const char *corpora_dir(void);

/* Verifies corpora files DIR/FILE with DIR/SIGFILE; want is NULL or a cause. */
static void
verify_corpus(const char *keyring, const char *work, const char *dir,
    const char *file, const char *sigfile, const char *want)
{
	char		*path, *data = NULL, *sig = NULL, *cause = NULL, *text;
	size_t		 len, siglen, textlen;
	int		 rc;

	xasprintf(&path, "%s/%s", dir, file);
	if (file_read(path, 1 << 24, &data, &len, &cause) == -1) {
		ok(0, "%s", cause);
		free(cause);
		free(path);
		return;
	}
	free(path);
	if (sigfile != NULL) {
		xasprintf(&path, "%s/%s", dir, sigfile);
		if (file_read(path, 1 << 20, &sig, &siglen, &cause) == -1) {
			ok(0, "%s", cause);
			free(cause);
			free(path);
			free(data);
			return;
		}
		free(path);
		rc = verify_detached(keyring, work, data, len, sig, siglen, &cause);
	} else {
		text = NULL;
		rc = verify_clearsigned(keyring, work, data, len, &text, &textlen,
		    &cause);
		if (rc == 0)
			ok(starts_with(text, "Origin: Debian"),
			    "%s: signed text starts with Origin", file);
		free(text);
	}
	if (want == NULL)
		ok(rc == 0, "%s verifies: %s", file, cause ? cause : "ok");
	else {
		is_int(rc, -1, "%s does not verify", file);
		is_str(cause, want, "%s: message", file);
	}
	free(cause);
	free(data);
	free(sig);
}

/* Signatures as distributions made them, good and bad. */
static void
test_sign_corpora(const char *work)
{
	static const char	*debkeys = "/usr/share/keyrings/debian-archive-keyring.gpg";
	const char		*corpora;
	char			*dir, *path, *data, *p, *cause = NULL, *out;
	size_t			 len, outlen;
	struct stat		 sb;

	if ((corpora = corpora_dir()) == NULL || stat(debkeys, &sb) == -1) {
		ok(1, "Debian InRelease verifies # SKIP corpora or %s absent",
		    debkeys);
		return;
	}
	xasprintf(&dir, "%s/apt", corpora);
	verify_corpus(debkeys, work, dir, "debian-bookworm-security.InRelease",
	    NULL, NULL);
	verify_corpus(debkeys, work, dir, "debian-bookworm-updates.InRelease",
	    NULL, NULL);
	xasprintf(&path, "%s/debian-bookworm-security.InRelease", dir);
	if (file_read(path, 1 << 24, &data, &len, &cause) == 0) {
		if ((p = strstr(data, "Suite: ")) != NULL)
			p[7] ^= 0x20;	/* bookworm-security: Bookworm-security */
		is_int(verify_clearsigned(debkeys, work, data, len, &out, &outlen,
		    &cause), -1, "tampered Debian InRelease fails");
		is_str(cause, "bad signature", "tampered InRelease: bad signature");
		free(data);
	} else
		ok(0, "%s", cause);
	free(cause);
	free(path);
	free(dir);

	/* EL9: signed by a key the corpus does not include. */
	xasprintf(&dir, "%s/rpm-md/el9-bzip2-tiny-signed/repodata", corpora);
	verify_corpus(debkeys, work, dir, "repomd.xml", "repomd.xml.asc",
	    "no public key for ED3F023B671B2CE402A638CC6C431928EF743B4C");
	free(dir);
	/* openSUSE 11.0: a good signature by a key that expired long ago. */
	xasprintf(&dir, "%s/zypper/opensuse-11.0-update-rpmmd/repodata", corpora);
	xasprintf(&path, "%s/repomd.xml.key", dir);
	verify_corpus(path, work, dir, "repomd.xml", "repomd.xml.asc",
	    "signature made by an expired key");
	free(path);
	free(dir);
}

static const char *
corpora_dir(void)
{
	static char	 path[4096];
	const char	*top, *file = __FILE__, *p;
	struct stat	 sb;

	if ((top = getenv("top_srcdir")) != NULL && *top != '\0') {
		snprintf(path, sizeof path, "%s/../shared/corpora", top);
		if (stat(path, &sb) == 0)
			return path;
	}
	/* Built by hand: find the source tree from this file's name. */
	if ((p = strstr(file, "tests/unit/test_io.c")) != NULL) {
		snprintf(path, sizeof path, "%.*s../shared/corpora",
		    (int)(p - file), file);
		if (stat(path, &sb) == 0)
			return path;
	}
	return NULL;
}

/*
 * Stops the agent of a GnuPG home and drops the socket directory GnuPG
 * keeps for it in /run/user/UID (one per home, never removed otherwise).
 */
static void
gpg_cleanup(const char *home)
{
	char	*cmd;

	xasprintf(&cmd, "gpgconf --homedir '%s' --kill all && "
	    "gpgconf --homedir '%s' --remove-socketdir", home, home);
	if (system(cmd) != 0)
		printf("# %s: failed\n", cmd);
	free(cmd);
}

/*
 * A signature made in 2020 by a key that expired a day later: gpg(1) with
 * a faked clock makes both, as GPGME cannot.
 */
static void
test_sign_expired(const char *work)
{
	char	*home, *cmd, *path, *data = NULL, *sig = NULL, *cause = NULL;
	size_t	 len, siglen;

	home = tpath("oldkey");
	mkdir(home, 0700);
	path = tpath("oldkey/gpg.conf");
	write_file(path, "faked-system-time 20200101T000000\n", 34);
	free(path);
	path = tpath("oldkey/data");
	write_file(path, "old data\n", 9);
	free(path);
	xasprintf(&cmd, "cd '%s' && { gpg --homedir . --batch --passphrase '' "
	    "--quick-gen-key 'old <old@localhost>' ed25519 sign 1d && "
	    "gpg --homedir . --batch --armor --detach-sign -o data.asc data && "
	    "gpg --homedir . --batch --armor --export > key.asc; } >/dev/null 2>&1",
	    home);
	if (system(cmd) != 0) {
		ok(0, "gpg made a signature with an expired key");
		free(cmd);
		gpg_cleanup(home);
		free(home);
		return;
	}
	free(cmd);
	gpg_cleanup(home);
	path = tpath("oldkey/data");
	file_read(path, 1024, &data, &len, &cause);
	free(path);
	path = tpath("oldkey/data.asc");
	file_read(path, 65536, &sig, &siglen, &cause);
	free(path);
	path = tpath("oldkey/key.asc");
	is_int(verify_detached(path, work, data, len, sig, siglen, &cause), -1,
	    "a signature by an expired key fails");
	is_str(cause, "signature made by an expired key", "expired key: message");
	free(cause);
	free(path);
	free(data);
	free(sig);
	free(home);
}

/* Two processes open a new store at once: they must agree on one key. */
static void
test_sign_race(void)
{
	struct signer	*sg;
	char		*store, *home, *cause = NULL, child[64];
	int		 fds[2], status;
	ssize_t		 n;
	pid_t		 pid;

	store = tpath("racestore");
	mkdir(store, 0755);
	if (pipe(fds) == -1) {
		ok(0, "pipe: %s", strerror(errno));
		free(store);
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		sg = signer_open(store, &cause);
		if (sg != NULL && write(fds[1], signer_fingerprint(sg),
		    strlen(signer_fingerprint(sg))) == -1)
			_exit(2);
		_exit(sg != NULL ? 0 : 1);
	}
	close(fds[1]);
	sg = signer_open(store, &cause);
	n = read(fds[0], child, sizeof child - 1);
	child[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	ok(sg != NULL && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "two processes open a new store at once");
	is_str(child, sg != NULL ? signer_fingerprint(sg) : "?",
	    "and get the same key");
	signer_close(sg);
	free(cause);
	xasprintf(&home, "%s/gnupg", store);
	gpg_cleanup(home);
	free(home);
	free(store);
}

static void
test_sign(void)
{
	static const char	 text[] = "Origin: patchgate\nSuite: test\n"
	    "-----BEGIN PGP SIGNED MESSAGE-----\nnot a real one\n";
	static const char	*debkeys = "/usr/share/keyrings/debian-archive-keyring.gpg";
	struct signer		*sg, *sg2;
	char			*store, *keyasc, *work, *cause = NULL, *sig, *sig2, *cs, *out;
	char			*data, *tampered, *fpr, *p;
	const char		*pub;
	size_t			 siglen, siglen2, cslen, outlen, publen, len;
	size_t			 i;
	struct stat		 sb;
	int			 hexok;

	store = tpath("signstore");
	mkdir(store, 0755);
	keyasc = tpath("signstore/key.asc");
	work = tpath("verify");

	sg = signer_open(store, &cause);
	ok(sg != NULL, "signer_open creates a key: %s", cause ? cause : "ok");
	if (sg == NULL) {
		free(cause);
		free(store);
		free(keyasc);
		free(work);
		return;
	}
	fpr = xstrdup(signer_fingerprint(sg));
	hexok = strlen(fpr) == 40;
	for (i = 0; fpr[i] != '\0'; i++) {
		if (!((fpr[i] >= '0' && fpr[i] <= '9') || (fpr[i] >= 'A' && fpr[i] <= 'F')))
			hexok = 0;
	}
	ok(hexok, "fingerprint is 40 uppercase hex digits: %s", fpr);
	ok(stat(keyasc, &sb) == 0 && sb.st_size > 0, "key.asc written");
	pub = signer_public_key(sg, &publen);
	ok(starts_with(pub, "-----BEGIN PGP PUBLIC KEY BLOCK-----"), "public key is armored");
	ok(file_read(keyasc, 1 << 20, &data, &len, &cause) == 0 && len == publen &&
	    memcmp(data, pub, len) == 0, "key.asc holds the public key");
	free(data);
	{
		char	*gh;

		gh = tpath("signstore/gnupg");
		ok(stat(gh, &sb) == 0 && (sb.st_mode & 0777) == 0700, "gnupg home is 0700");
		free(gh);
	}

	sg2 = signer_open(store, &cause);
	ok(sg2 != NULL && strcmp(signer_fingerprint(sg2), fpr) == 0,
	    "signer_open again keeps the same key");
	signer_close(sg2);
	{
		struct signer_opening	*so;

		/* On a thread of its own: the same key. */
		so = signer_open_start(store, &cause);
		ok(so != NULL, "signer_open_start");
		sg2 = so != NULL ? signer_open_finish(so, &cause) : NULL;
		ok(sg2 != NULL && strcmp(signer_fingerprint(sg2), fpr) == 0,
		    "signer_open_finish gives the same key");
		if (sg2 != NULL)
			signer_close(sg2);
		/* A store that cannot hold a key: the cause comes back. */
		so = signer_open_start("/proc/patchgate-no-store", &cause);
		free(cause);
		cause = NULL;
		sg2 = so != NULL ? signer_open_finish(so, &cause) : NULL;
		ok(so != NULL && sg2 == NULL && cause != NULL &&
		    strstr(cause, "/proc/patchgate-no-store") != NULL,
		    "a failed opening gives its cause: %s",
		    cause ? cause : "none");
		free(cause);
		cause = NULL;
	}
	test_sign_race();

	/* Detached. */
	ok(signer_detach_sign(sg, text, sizeof text - 1, &sig, &siglen, &cause) == 0,
	    "detached signature");
	ok(starts_with(sig, "-----BEGIN PGP SIGNATURE-----"), "signature is armored");
	is_int(verify_detached(keyasc, work, text, sizeof text - 1, sig, siglen, &cause),
	    0, "verify_detached with key.asc");
	tampered = xstrdup(text);
	tampered[0] = 'o';
	is_int(verify_detached(keyasc, work, tampered, sizeof text - 1, sig, siglen,
	    &cause), -1, "tampered data fails");
	is_str(cause, "bad signature", "tampered data: bad signature");
	free(cause);
	cause = NULL;
	if (stat(debkeys, &sb) == 0) {
		is_int(verify_detached(debkeys, work, text, sizeof text - 1, sig,
		    siglen, &cause), -1, "a keyring without the key fails");
		ok(starts_with(cause, "no public key for "), "message: %s",
		    cause ? cause : "");
		free(cause);
		cause = NULL;
	} else
		ok(1, "a keyring without the key fails # SKIP %s absent", debkeys);
	is_int(verify_detached("/nonexistent/keyring.gpg", work, text, sizeof text - 1,
	    sig, siglen, &cause), -1, "missing keyring fails");
	ok(starts_with(cause, "keyring /nonexistent/keyring.gpg: cannot read: "),
	    "missing keyring message: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	is_int(verify_detached(keyasc, work, text, sizeof text - 1, text,
	    sizeof text - 1, &cause), -1, "garbage signature fails");
	free(cause);
	cause = NULL;
	/* The same text again gets the signature made for it (sign_memo). */
	ok(signer_detach_sign(sg, text, sizeof text - 1, &sig2, &siglen2,
	    &cause) == 0 && siglen2 == siglen && memcmp(sig2, sig, siglen) == 0,
	    "the same text signed again: the same signature");
	free(sig2);
	/* Other text gets one of its own, which does not verify the first. */
	ok(signer_detach_sign(sg, tampered, sizeof text - 1, &sig2, &siglen2,
	    &cause) == 0 && verify_detached(keyasc, work, tampered,
	    sizeof text - 1, sig2, siglen2, &cause) == 0,
	    "other text signed next: a signature that verifies it");
	is_int(verify_detached(keyasc, work, text, sizeof text - 1, sig2,
	    siglen2, &cause), -1, "that signature does not verify the first text");
	free(cause);
	cause = NULL;
	free(sig2);
	free(sig);

	/* Clear-signed. */
	ok(signer_clear_sign(sg, text, sizeof text - 1, &cs, &cslen, &cause) == 0,
	    "clear-signed text");
	ok(starts_with(cs, "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256"),
	    "clear-signed with SHA256");
	out = NULL;
	ok(verify_clearsigned(keyasc, work, cs, cslen, &out, &outlen, &cause) == 0,
	    "verify_clearsigned round-trip: %s", cause ? cause : "ok");
	ok(out != NULL && outlen == sizeof text - 1 && memcmp(out, text, outlen) == 0,
	    "signed text comes back unchanged (dash-escaping undone)");
	free(out);
	if ((p = strstr(cs, "Suite: test")) != NULL) {
		p[7] = 'b';
		is_int(verify_clearsigned(keyasc, work, cs, cslen, &out, &outlen,
		    &cause), -1, "tampered clear-signed text fails");
		is_str(cause, "bad signature", "tampered: bad signature");
		free(cause);
		cause = NULL;
		p[7] = 't';
	}
	free(tampered);
	xasprintf(&tampered, "%sSuite: evil\n", cs);
	is_int(verify_clearsigned(keyasc, work, tampered, strlen(tampered), &out,
	    &outlen, &cause), -1, "text after the signature fails");
	free(cause);
	cause = NULL;
	free(tampered);
	xasprintf(&tampered, "Suite: evil\n%s", cs);
	is_int(verify_clearsigned(keyasc, work, tampered, strlen(tampered), &out,
	    &outlen, &cause), -1, "text before the signed message fails");
	free(cause);
	cause = NULL;
	free(tampered);
	is_int(verify_clearsigned(keyasc, work, text, sizeof text - 1, &out,
	    &outlen, &cause), -1, "plain text fails");
	is_str(cause, "not signed", "plain text: not signed");
	free(cause);
	cause = NULL;
	free(cs);

	is_int(verify_clearsigned(keyasc, work, "", 0, &out, &outlen, &cause),
	    -1, "empty input fails");
	free(cause);
	cause = NULL;

	/* The same signature in binary form. */
	if (signer_detach_sign(sg, text, sizeof text - 1, &sig, &siglen, &cause) == 0) {
		char	*sigpath, *cmd;

		sigpath = tpath("sig.asc");
		write_file(sigpath, sig, siglen);
		free(sig);
		xasprintf(&cmd, "gpg --dearmor < '%s' > '%s.bin'", sigpath, sigpath);
		if (system(cmd) == 0) {
			xasprintf(&p, "%s.bin", sigpath);
			file_read(p, 65536, &sig, &siglen, &cause);
			ok(siglen > 0 && sig[0] != '-', "binary signature");
			is_int(verify_detached(keyasc, work, text, sizeof text - 1,
			    sig, siglen, &cause), 0, "verify_detached, binary");
			free(cause);
			cause = NULL;
			free(sig);
			free(p);
		} else
			ok(0, "gpg --dearmor");
		free(cmd);
		free(sigpath);
	} else {
		ok(0, "detached signature: %s", cause);
		free(cause);
		cause = NULL;
	}

	test_sign_expired(work);
	test_sign_corpora(work);

	signer_close(sg);
	free(fpr);
	free(store);
	free(keyasc);
	free(work);
}

int
main(void)
{
	const char	*t;
	char		*tmpl;
	int		 rc;

	alarm(300);
	t = getenv("TMPDIR");
	xasprintf(&tmpl, "%s/test_io.XXXXXX", t != NULL && *t != '\0' ? t : "/tmp");
	if ((tmpdir = mkdtemp(tmpl)) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}

	test_hash();
	test_compress_roundtrip();
	test_compress_tool("bzip2 -c", "bz2");
	test_compress_tool("zstd -q -c", "zst");
	test_compress_tool("gzip -n -c", "gz");
	test_compress_tool("xz -c", "xz");
	test_compress_truncated();
	test_blob();
	test_blob_keying();
	test_url_join();
	test_fetch();
	test_sign();

	{
		char	*home;

		home = tpath("signstore/gnupg");
		gpg_cleanup(home);
		free(home);
		home = tpath("verify");
		gpg_cleanup(home);
		free(home);
	}
	rc = done_testing();
	if (rc == 0)
		remove_tree(tmpdir);
	else
		printf("# files kept in %s\n", tmpdir);
	free(tmpl);
	return rc;
}
