/*
 * OpenPGP through GPGME: the proxy's own signing key (generated on first
 * use, kept in STORE/gnupg), signatures for the views' metadata, and
 * verification of upstream signatures against a configured keyring.
 */
#ifndef PG_SIGN_H
#define PG_SIGN_H

#include <stddef.h>

struct signer;	/* opaque */

/*
 * Opens (creating on first use) the key in store_dir/gnupg and writes its
 * armored public key to store_dir/key.asc.  Safe when several processes
 * start at once (a lock file serialises key creation).
 */
struct signer	*signer_open(const char *store_dir, char **cause);
/*
 * signer_open() on a thread of its own, so that the caller goes on
 * meanwhile; signer_open_finish() waits for it and returns its signer, or
 * NULL with signer_open()'s cause.  Either way it frees the opening.
 */
struct signer_opening;
struct signer_opening *signer_open_start(const char *store_dir, char **cause);
struct signer	*signer_open_finish(struct signer_opening *, char **cause);
void		 signer_close(struct signer *);
/* Fingerprint of the signing key, uppercase hex. */
const char	*signer_fingerprint(struct signer *);
/* The armored public key (owned by the signer). */
const char	*signer_public_key(struct signer *, size_t *len);
/* Armored detached signature of data (repomd.xml.asc, Release.gpg). */
int		 signer_detach_sign(struct signer *, const void *data, size_t len,
		     char **sig, size_t *siglen, char **cause);
/* Clear-signed text (InRelease). */
int		 signer_clear_sign(struct signer *, const void *data, size_t len,
		     char **out, size_t *outlen, char **cause);

/*
 * Verifies a detached signature (armored or binary) over data with the keys
 * of keyring_path only (a binary or armored keyring file, e.g.
 * /usr/share/keyrings/debian-archive-keyring.gpg).  work_dir is a directory
 * the function may use as a scratch GNUPGHOME (created 0700; its keyrings
 * are emptied on every call, under a lock).  Returns 0 when at least one
 * signature is good and made by a key of the keyring, else -1 with a cause
 * such as "bad signature", "no public key for 1234ABCD...", "expired key".
 */
int		 verify_detached(const char *keyring_path, const char *work_dir,
		     const void *data, size_t len, const void *sig, size_t siglen,
		     char **cause);
/*
 * Verifies a clear-signed document (InRelease) the same way and returns
 * the signed text (caller-freed) in *text.
 */
int		 verify_clearsigned(const char *keyring_path, const char *work_dir,
		     const void *data, size_t len, char **text, size_t *textlen,
		     char **cause);

/* Flags of the verify_*_flags() functions. */
#define VERIFY_ALLOW_EXPIRED	0x1	/* a key that expired after signing */

/*
 * As verify_detached() and verify_clearsigned(), with flags, and with
 * messages that name the key ("signature made by an expired key: 79C1...
 * expired on 2010-05-05").  VERIFY_ALLOW_EXPIRED accepts a good signature
 * made by a key of the keyring that has expired since (an archive signed
 * long ago); *warning (caller-freed; NULL when nothing was excused) then
 * says so.  Bad signatures, unknown or revoked keys and signatures made
 * after the key expired fail all the same.
 */
int		 verify_detached_flags(const char *keyring_path,
		     const char *work_dir, const void *data, size_t len,
		     const void *sig, size_t siglen, int flags, char **warning,
		     char **cause);
int		 verify_clearsigned_flags(const char *keyring_path,
		     const char *work_dir, const void *data, size_t len,
		     char **text, size_t *textlen, int flags, char **warning,
		     char **cause);

#endif
