/* Checksums as repository metadata names them: sha256, sha1, sha512, md5... */
#ifndef PG_HASH_H
#define PG_HASH_H

#include <stddef.h>

#define HASH_HEX_MAX	129	/* sha512 in hex, and a NUL */

struct hash;	/* opaque, wraps an OpenSSL EVP_MD_CTX */

/*
 * Algorithm names as they appear in metadata ("sha256", "sha", "sha1",
 * "sha512", "sha384", "sha224", "md5"); "sha" means sha1, as in old repomd.
 * Returns the canonical name ("sha1" for "sha") or NULL when unknown.
 */
const char	*hash_canonical(const char *algo);
struct hash	*hash_new(const char *algo);	/* NULL when algo is unknown */
void		 hash_update(struct hash *, const void *, size_t);
/* Writes lowercase hex into hex (HASH_HEX_MAX bytes) and frees the hash. */
void		 hash_final(struct hash *, char *hex);
void		 hash_free(struct hash *);
/* One-shot helpers. */
int		 hash_buffer(const char *algo, const void *, size_t, char *hex);
int		 hash_file(const char *algo, const char *path, char *hex, long long *size);

#endif
