/*
 * Checksums through OpenSSL's EVP interface, under the names repository
 * metadata uses.  Allocation is checked rather than fatal: the proxy hashes
 * package files on its request path while it writes them to the blob store.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hash.h"

struct hash {
	EVP_MD_CTX	*h_ctx;
};

static const struct {
	const char	*name;
	const char	*canonical;
} hash_names[] = {
	{ "sha256", "sha256" },
	{ "sha", "sha1" },
	{ "sha1", "sha1" },
	{ "sha512", "sha512" },
	{ "sha384", "sha384" },
	{ "sha224", "sha224" },
	{ "md5", "md5" },
};

const char *
hash_canonical(const char *algo)
{
	size_t	i;

	if (algo == NULL)
		return NULL;
	for (i = 0; i < sizeof hash_names / sizeof hash_names[0]; i++) {
		if (strcasecmp(algo, hash_names[i].name) == 0)
			return hash_names[i].canonical;
	}
	return NULL;
}

struct hash *
hash_new(const char *algo)
{
	const char	*name;
	const EVP_MD	*md;
	struct hash	*h;

	if ((name = hash_canonical(algo)) == NULL)
		return NULL;
	if ((md = EVP_get_digestbyname(name)) == NULL)
		return NULL;
	if ((h = malloc(sizeof *h)) == NULL)
		return NULL;
	if ((h->h_ctx = EVP_MD_CTX_new()) == NULL) {
		free(h);
		return NULL;
	}
	if (EVP_DigestInit_ex(h->h_ctx, md, NULL) != 1) {
		hash_free(h);
		return NULL;
	}
	return h;
}

void
hash_update(struct hash *h, const void *p, size_t len)
{
	if (len > 0)
		EVP_DigestUpdate(h->h_ctx, p, len);
}

void
hash_final(struct hash *h, char *hex)
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 len = 0, i;

	if (EVP_DigestFinal_ex(h->h_ctx, md, &len) != 1)
		len = 0;
	for (i = 0; i < len && 2 * i + 2 < HASH_HEX_MAX; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[2 * i] = '\0';
	hash_free(h);
}

void
hash_free(struct hash *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->h_ctx);
	free(h);
}

int
hash_buffer(const char *algo, const void *p, size_t len, char *hex)
{
	struct hash	*h;

	if ((h = hash_new(algo)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	hash_update(h, p, len);
	hash_final(h, hex);
	return 0;
}

/* Streams the file, so package files of any size hash in constant memory. */
int
hash_file(const char *algo, const char *path, char *hex, long long *size)
{
	struct hash	*h;
	char		 chunk[65536];
	long long	 total = 0;
	ssize_t		 n;
	int		 fd, saved;

	if ((h = hash_new(algo)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		saved = errno;
		hash_free(h);
		errno = saved;
		return -1;
	}
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			close(fd);
			hash_free(h);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		hash_update(h, chunk, n);
		total += n;
	}
	close(fd);
	hash_final(h, hex);
	if (size != NULL)
		*size = total;
	return 0;
}
