/*
 * OpenPGP through GPGME.  The proxy signs every view with a key of its own,
 * made on first use in STORE/gnupg (views rewrite upstream metadata, so
 * upstream signatures no longer hold); upstream signatures are checked
 * against the configured keyring file alone, imported into an emptied
 * scratch GnuPG home for each check, so that no other key can vouch for it.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gpgme.h>

#include "hash.h"
#include "log.h"
#include "sign.h"
#include "util.h"
#include "xmalloc.h"

#define SIGN_UID	"patchgate signing key <patchgate@localhost>"
#define SIGN_KEYRING_MAX (64 * 1024 * 1024)
/* sun_path is 108 bytes; the longest agent socket is "S.gpg-agent.browser". */
#define SIGN_SOCKET_MAX	(108 - sizeof "/S.gpg-agent.browser")
/* Internal flag of verify_run(): messages name the key (the _flags calls). */
#define VERIFY_DETAIL	0x100

static const char sign_gpg_conf[] =
    "# Written by patchgate: signatures use SHA-256 or stronger.\n"
    "personal-digest-preferences SHA512 SHA384 SHA256\n"
    "digest-algo SHA256\n"
    "no-auto-key-locate\n";

static const char sign_verify_conf[] =
    "# Written by patchgate: a scratch home for verifications.\n"
    "no-autostart\n"
    "no-auto-key-locate\n";

/*
 * The last signature made in a mode, kept with the sha256 of what it
 * signs: groups whose views are the same (all of them, at a first sync)
 * sign the same Release, and each gpg run costs a process.
 */
struct sign_memo {
	char		 sm_hex[HASH_HEX_MAX];	/* "": none */
	char		*sm_out;
	size_t		 sm_len;
};

struct signer {
	gpgme_ctx_t	 sg_ctx;
	gpgme_key_t	 sg_key;
	char		*sg_home;
	char		*sg_fpr;
	char		*sg_pubkey;
	size_t		 sg_publen;
	struct sign_memo sg_memo[2];	/* detached, clear */
};

static int
sign_init(char **cause)
{
	static int	 done;
	gpgme_error_t	 err;

	if (done)
		return 0;
	if (gpgme_check_version(NULL) == NULL) {
		cause_set(cause, "GPGME: cannot initialise");
		return -1;
	}
	err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (err != 0) {
		cause_set(cause, "GnuPG: %s", gpgme_strerror(err));
		return -1;
	}
	done = 1;
	return 0;
}

/* A context for the GnuPG home dir; never asks anyone for a passphrase. */
static gpgme_ctx_t
sign_context(const char *home, char **cause)
{
	gpgme_ctx_t	ctx;
	gpgme_error_t	err;

	if ((err = gpgme_new(&ctx)) != 0) {
		cause_set(cause, "GPGME: %s", gpgme_strerror(err));
		return NULL;
	}
	if ((err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL,
	    home)) != 0 ||
	    (err = gpgme_set_pinentry_mode(ctx,
	    GPGME_PINENTRY_MODE_LOOPBACK)) != 0) {
		cause_set(cause, "%s: %s", home, gpgme_strerror(err));
		gpgme_release(ctx);
		return NULL;
	}
	gpgme_set_armor(ctx, 1);
	gpgme_set_offline(ctx, 1);
	return ctx;
}

/* Takes the bytes out of a GPGME memory object into a caller-freed buffer. */
static char *
sign_take(gpgme_data_t d, size_t *lenp)
{
	char	*mem, *out;
	size_t	 len = 0;

	mem = gpgme_data_release_and_get_mem(d, &len);
	out = xmalloc(len + 1);
	if (len > 0)
		memcpy(out, mem, len);
	out[len] = '\0';
	gpgme_free(mem);
	*lenp = len;
	return out;
}

static gpgme_key_t
signer_find_key(gpgme_ctx_t ctx)
{
	gpgme_key_t	key, found = NULL;

	if (gpgme_op_keylist_start(ctx, NULL, 1) != 0)
		return NULL;
	while (gpgme_op_keylist_next(ctx, &key) == 0) {
		if (found == NULL && key->can_sign && key->secret &&
		    !key->revoked && !key->expired && !key->disabled &&
		    !key->invalid && key->subkeys != NULL &&
		    key->subkeys->fpr != NULL)
			found = key;
		else
			gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(ctx);
	return found;
}

static gpgme_key_t
signer_create_key(struct signer *sg, char **cause)
{
	gpgme_genkey_result_t	 res;
	gpgme_key_t		 key;
	gpgme_error_t		 err;
	const char		*hint = "";

	log_info("%s: creating the signing key", sg->sg_home);
	err = gpgme_op_createkey(sg->sg_ctx, SIGN_UID, "ed25519", 0, 0, NULL,
	    GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD | GPGME_CREATE_NOEXPIRE);
	if (err != 0) {
		if (strlen(sg->sg_home) > SIGN_SOCKET_MAX)
			hint = " (the directory's path may be too long for"
			    " gpg-agent's socket; use a shorter store path)";
		cause_set(cause, "%s: cannot create the signing key: %s%s",
		    sg->sg_home, gpgme_strerror(err), hint);
		return NULL;
	}
	res = gpgme_op_genkey_result(sg->sg_ctx);
	if (res == NULL || res->fpr == NULL) {
		cause_set(cause, "%s: key creation gave no key", sg->sg_home);
		return NULL;
	}
	if ((err = gpgme_get_key(sg->sg_ctx, res->fpr, &key, 1)) != 0) {
		cause_set(cause, "%s: new key %s: %s", sg->sg_home, res->fpr,
		    gpgme_strerror(err));
		return NULL;
	}
	return key;
}

struct signer *
signer_open(const char *store_dir, char **cause)
{
	struct signer	*sg;
	gpgme_data_t	 d;
	gpgme_error_t	 err;
	char		*path;
	int		 lockfd = -1;

	if (sign_init(cause) == -1)
		return NULL;
	sg = xcalloc(1, sizeof *sg);
	xasprintf(&sg->sg_home, "%s/gnupg", store_dir);
	if (mkdir(sg->sg_home, 0700) == -1 && errno != EEXIST) {
		cause_set(cause, "%s: %s", sg->sg_home, strerror(errno));
		goto fail;
	}
	/* gpg refuses to trust a home others can write to. */
	if (chmod(sg->sg_home, 0700) == -1) {
		cause_set(cause, "%s: %s", sg->sg_home, strerror(errno));
		goto fail;
	}

	/* Several processes may start at once: one creates the key. */
	xasprintf(&path, "%s/.lock", sg->sg_home);
	lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		free(path);
		goto fail;
	}
	while (flock(lockfd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			cause_set(cause, "%s: %s", path, strerror(errno));
			free(path);
			goto fail;
		}
	}
	free(path);

	xasprintf(&path, "%s/gpg.conf", sg->sg_home);
	if (file_write_atomic(path, sign_gpg_conf, strlen(sign_gpg_conf),
	    cause) == -1) {
		free(path);
		goto fail;
	}
	free(path);

	if ((sg->sg_ctx = sign_context(sg->sg_home, cause)) == NULL)
		goto fail;
	if ((sg->sg_key = signer_find_key(sg->sg_ctx)) == NULL &&
	    (sg->sg_key = signer_create_key(sg, cause)) == NULL)
		goto fail;
	sg->sg_fpr = xstrdup(sg->sg_key->subkeys->fpr);
	if ((err = gpgme_signers_add(sg->sg_ctx, sg->sg_key)) != 0) {
		cause_set(cause, "%s: key %s: %s", sg->sg_home, sg->sg_fpr,
		    gpgme_strerror(err));
		goto fail;
	}

	if ((err = gpgme_data_new(&d)) != 0) {
		cause_set(cause, "GPGME: %s", gpgme_strerror(err));
		goto fail;
	}
	if ((err = gpgme_op_export(sg->sg_ctx, sg->sg_fpr, 0, d)) != 0) {
		gpgme_data_release(d);
		cause_set(cause, "%s: exporting key %s: %s", sg->sg_home,
		    sg->sg_fpr, gpgme_strerror(err));
		goto fail;
	}
	sg->sg_pubkey = sign_take(d, &sg->sg_publen);
	if (sg->sg_publen == 0) {
		cause_set(cause, "%s: exporting key %s gave nothing",
		    sg->sg_home, sg->sg_fpr);
		goto fail;
	}
	xasprintf(&path, "%s/key.asc", store_dir);
	if (file_write_atomic(path, sg->sg_pubkey, sg->sg_publen, cause) == -1) {
		free(path);
		goto fail;
	}
	free(path);
	close(lockfd);
	return sg;
fail:
	if (lockfd != -1)
		close(lockfd);
	signer_close(sg);
	return NULL;
}

/*
 * signer_open() on a thread of its own: starting GnuPG, and on a new store
 * creating the key, takes a few tenths of a second that a sync spends
 * fetching and parsing meanwhile.
 */
struct signer_opening {
	pthread_t	 so_thread;
	int		 so_started;	/* so_thread runs, or ran unjoined */
	char		*so_store;
	struct signer	*so_signer;
	char		*so_cause;
};

static void *
signer_opening_run(void *arg)
{
	struct signer_opening	*so = arg;

	so->so_signer = signer_open(so->so_store, &so->so_cause);
	return NULL;
}

struct signer_opening *
signer_open_start(const char *store_dir, char **cause)
{
	struct signer_opening	*so;

	/* GPGME is initialised once, before any thread uses it. */
	if (sign_init(cause) == -1)
		return NULL;
	so = xcalloc(1, sizeof *so);
	so->so_store = xstrdup(store_dir);
	if (pthread_create(&so->so_thread, NULL, signer_opening_run, so) == 0)
		so->so_started = 1;
	else
		signer_opening_run(so);
	return so;
}

struct signer *
signer_open_finish(struct signer_opening *so, char **cause)
{
	struct signer	*sg;

	if (so->so_started) {
		pthread_join(so->so_thread, NULL);
		so->so_started = 0;
	}
	sg = so->so_signer;
	if (sg == NULL)
		cause_set(cause, "%s", so->so_cause != NULL ? so->so_cause :
		    "the signing key could not be opened");
	free(so->so_cause);
	free(so->so_store);
	free(so);
	return sg;
}

void
signer_close(struct signer *sg)
{
	if (sg == NULL)
		return;
	if (sg->sg_key != NULL)
		gpgme_key_unref(sg->sg_key);
	if (sg->sg_ctx != NULL)
		gpgme_release(sg->sg_ctx);
	free(sg->sg_home);
	free(sg->sg_fpr);
	free(sg->sg_pubkey);
	free(sg->sg_memo[0].sm_out);
	free(sg->sg_memo[1].sm_out);
	free(sg);
}

const char *
signer_fingerprint(struct signer *sg)
{
	return sg->sg_fpr;
}

const char *
signer_public_key(struct signer *sg, size_t *len)
{
	if (len != NULL)
		*len = sg->sg_publen;
	return sg->sg_pubkey;
}

static int
signer_sign(struct signer *sg, gpgme_sig_mode_t mode, const void *data,
    size_t len, char **out, size_t *outlen, char **cause)
{
	struct sign_memo	*sm;
	gpgme_data_t		 in = NULL, sig = NULL;
	gpgme_sign_result_t	 res;
	gpgme_error_t		 err;
	char			 hex[HASH_HEX_MAX];

	sm = &sg->sg_memo[mode == GPGME_SIG_MODE_CLEAR];
	if (hash_buffer("sha256", data, len, hex) != 0)
		hex[0] = '\0';
	if (hex[0] != '\0' && strcmp(hex, sm->sm_hex) == 0) {
		*out = xmalloc(sm->sm_len + 1);
		memcpy(*out, sm->sm_out, sm->sm_len);
		(*out)[sm->sm_len] = '\0';
		*outlen = sm->sm_len;
		return 0;
	}
	if ((err = gpgme_data_new_from_mem(&in, data, len, 0)) != 0 ||
	    (err = gpgme_data_new(&sig)) != 0) {
		cause_set(cause, "GPGME: %s", gpgme_strerror(err));
		goto fail;
	}
	if ((err = gpgme_op_sign(sg->sg_ctx, in, sig, mode)) != 0) {
		cause_set(cause, "signing with %s: %s", sg->sg_fpr,
		    gpgme_strerror(err));
		goto fail;
	}
	res = gpgme_op_sign_result(sg->sg_ctx);
	if (res == NULL || res->invalid_signers != NULL ||
	    res->signatures == NULL) {
		cause_set(cause, "signing with %s: no signature made",
		    sg->sg_fpr);
		goto fail;
	}
	/* apt and dnf reject SHA-1; gpg.conf asks for SHA-256, check it. */
	switch (res->signatures->hash_algo) {
	case GPGME_MD_SHA256:
	case GPGME_MD_SHA384:
	case GPGME_MD_SHA512:
		break;
	default:
		cause_set(cause, "signing with %s: weak digest %s", sg->sg_fpr,
		    gpgme_hash_algo_name(res->signatures->hash_algo) ?
		    gpgme_hash_algo_name(res->signatures->hash_algo) : "?");
		goto fail;
	}
	gpgme_data_release(in);
	*out = sign_take(sig, outlen);
	free(sm->sm_out);
	sm->sm_out = xmalloc(*outlen + 1);
	memcpy(sm->sm_out, *out, *outlen);
	sm->sm_len = *outlen;
	snprintf(sm->sm_hex, sizeof sm->sm_hex, "%s", hex);
	return 0;
fail:
	if (in != NULL)
		gpgme_data_release(in);
	if (sig != NULL)
		gpgme_data_release(sig);
	return -1;
}

int
signer_detach_sign(struct signer *sg, const void *data, size_t len,
    char **sig, size_t *siglen, char **cause)
{
	return signer_sign(sg, GPGME_SIG_MODE_DETACH, data, len, sig, siglen,
	    cause);
}

int
signer_clear_sign(struct signer *sg, const void *data, size_t len,
    char **out, size_t *outlen, char **cause)
{
	return signer_sign(sg, GPGME_SIG_MODE_CLEAR, data, len, out, outlen,
	    cause);
}

static int
verify_read_keyring(const char *path, struct buf *b, char **cause)
{
	char	chunk[65536];
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cause_set(cause, "keyring %s: cannot read: %s", path,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cause_set(cause, "keyring %s: cannot read: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		if (b->b_len + n > SIGN_KEYRING_MAX) {
			cause_set(cause, "keyring %s: cannot read: larger than"
			    " %d bytes", path, SIGN_KEYRING_MAX);
			close(fd);
			return -1;
		}
		buf_add(b, chunk, n);
	}
	close(fd);
	if (b->b_len == 0) {
		cause_set(cause, "keyring %s: empty", path);
		return -1;
	}
	return 0;
}

/* Ranks a failed signature's status: the most telling one is reported. */
static int
verify_rank(gpgme_error_t status)
{
	switch (gpgme_err_code(status)) {
	case GPG_ERR_BAD_SIGNATURE:
		return 6;
	case GPG_ERR_CERT_REVOKED:
		return 5;
	case GPG_ERR_KEY_EXPIRED:
		return 4;
	case GPG_ERR_SIG_EXPIRED:
		return 3;
	case GPG_ERR_NO_PUBKEY:
		return 2;
	default:
		return 1;
	}
}

/* A day for messages ("2010-05-05"), in UTC. */
static const char *
verify_day(time_t t, char *buf, size_t size)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
	return buf;
}

/*
 * Finds the (sub)key that made a signature among the keys imported into
 * ctx's home; *sk then points into *key, which the caller unrefs.
 */
static int
verify_signing_key(gpgme_ctx_t ctx, gpgme_signature_t s, gpgme_key_t *key,
    gpgme_subkey_t *sk)
{
	gpgme_subkey_t	k;
	size_t		n, m;

	*key = NULL;
	*sk = NULL;
	/* gpgme_get_key() lists in a context of its own: s stays valid. */
	if (s->fpr == NULL || gpgme_get_key(ctx, s->fpr, key, 0) != 0 ||
	    *key == NULL)
		return -1;
	n = strlen(s->fpr);
	for (k = (*key)->subkeys; k != NULL; k = k->next) {
		/* s->fpr is a fingerprint, or a key ID: its last digits. */
		if (k->fpr == NULL || (m = strlen(k->fpr)) < n)
			continue;
		if (strcasecmp(k->fpr + m - n, s->fpr) == 0) {
			*sk = k;
			return 0;
		}
	}
	gpgme_key_unref(*key);
	*key = NULL;
	return -1;
}

/*
 * A good signature by a key that has expired since it was made: accepted
 * under VERIFY_ALLOW_EXPIRED, with a warning that names the key.  One made
 * after the key expired, or by a key also revoked, is not.
 */
static int
verify_excuse_expired(gpgme_ctx_t ctx, gpgme_signature_t s, char **warning,
    char **cause)
{
	gpgme_key_t	key;
	gpgme_subkey_t	sk;
	char		d1[32], d2[32];
	int		rc = -1;

	if (gpgme_err_code(s->status) != GPG_ERR_KEY_EXPIRED)
		return -1;
	if (s->summary & (GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_SIG_EXPIRED |
	    GPGME_SIGSUM_KEY_MISSING | GPGME_SIGSUM_RED)) {
		cause_set(cause, "signature made by an expired key: %s is "
		    "also revoked or the signature is not good",
		    s->fpr ? s->fpr : "(unknown key)");
		return -1;
	}
	if (verify_signing_key(ctx, s, &key, &sk) != 0) {
		cause_set(cause, "signature made by an expired key: %s is not "
		    "in the keyring", s->fpr ? s->fpr : "(unknown key)");
		return -1;
	}
	if (sk->revoked || key->revoked)
		cause_set(cause, "signature made by a revoked key: %s", sk->fpr);
	else if (s->timestamp == 0 || (sk->expires != 0 &&
	    s->timestamp >= (unsigned long)sk->expires))
		cause_set(cause, "signature made on %s by key %s, which had "
		    "expired on %s", verify_day(s->timestamp, d1, sizeof d1),
		    sk->fpr, verify_day(sk->expires, d2, sizeof d2));
	else {
		if (warning != NULL)
			cause_set(warning, "good signature made on %s by key "
			    "%s, which has expired since (on %s)",
			    verify_day(s->timestamp, d1, sizeof d1), sk->fpr,
			    sk->expires != 0 ? verify_day(sk->expires, d2,
			    sizeof d2) : "an unknown date");
		rc = 0;
	}
	gpgme_key_unref(key);
	return rc;
}

static void
verify_cause(gpgme_ctx_t ctx, gpgme_signature_t s, int flags, char **cause)
{
	gpgme_key_t	key;
	gpgme_subkey_t	sk;
	char		day[32];

	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_BAD_SIGNATURE:
		cause_set(cause, "bad signature");
		break;
	case GPG_ERR_CERT_REVOKED:
		if (flags & VERIFY_DETAIL)
			cause_set(cause, "signature made by a revoked key: %s",
			    s->fpr != NULL ? s->fpr : "(unknown key)");
		else
			cause_set(cause, "signature made by a revoked key");
		break;
	case GPG_ERR_KEY_EXPIRED:
		if (!(flags & VERIFY_DETAIL))
			cause_set(cause, "signature made by an expired key");
		else if (verify_signing_key(ctx, s, &key, &sk) == 0) {
			cause_set(cause, "signature made by an expired key: "
			    "%s expired on %s", sk->fpr, sk->expires != 0 ?
			    verify_day(sk->expires, day, sizeof day) :
			    "an unknown date");
			gpgme_key_unref(key);
		} else
			cause_set(cause, "signature made by an expired key: %s",
			    s->fpr != NULL ? s->fpr : "(unknown key)");
		break;
	case GPG_ERR_SIG_EXPIRED:
		cause_set(cause, "signature expired");
		break;
	case GPG_ERR_NO_PUBKEY:
		cause_set(cause, "no public key for %s",
		    s->fpr != NULL ? s->fpr : "(unknown key)");
		break;
	default:
		cause_set(cause, "signature not valid: %s",
		    gpgme_strerror(s->status));
		break;
	}
}

/*
 * A clear-signed file must be one signed message and nothing else (as apt
 * insists): text before or after it is not covered by the signature and
 * must not reach a parser that might take it for part of the index.
 */
static int
verify_clear_shape(const char *p, size_t len, char **cause)
{
	static const char	 begin[] = "-----BEGIN PGP SIGNED MESSAGE-----";
	static const char	 end[] = "-----END PGP SIGNATURE-----";
	const char		*q, *last = NULL;
	size_t			 i, nbegin = 0;

	if (len < sizeof begin - 1 || memcmp(p, begin, sizeof begin - 1) != 0) {
		cause_set(cause, "not signed");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (i != 0 && p[i - 1] != '\n')
			continue;
		q = p + i;
		if (len - i >= sizeof begin - 1 &&
		    memcmp(q, begin, sizeof begin - 1) == 0)
			nbegin++;
		if (len - i >= sizeof end - 1 &&
		    memcmp(q, end, sizeof end - 1) == 0)
			last = q + sizeof end - 1;
	}
	if (nbegin != 1) {
		cause_set(cause, "more than one signed message");
		return -1;
	}
	if (last == NULL) {
		cause_set(cause, "not signed");
		return -1;
	}
	for (q = last; q < p + len; q++) {
		if (*q != '\n' && *q != '\r' && *q != ' ' && *q != '\t') {
			cause_set(cause, "unsigned data after the signature");
			return -1;
		}
	}
	return 0;
}

/*
 * Makes work_dir an empty GnuPG home: the keys of an earlier call (another
 * mirror's keyring) must not vouch for this one.  The same directory is
 * reused rather than a new one made each time, because GnuPG keeps a
 * socket directory per home in /run/user/UID.  Returns the fd of the lock
 * that keeps other processes out until the caller closes it, or -1.
 */
static int
verify_prepare(const char *work_dir, char **cause)
{
	static const char	*stale[] = { "pubring.kbx", "pubring.kbx~",
	    "pubring.gpg", "pubring.gpg~", "trustdb.gpg" };
	char			*path;
	size_t			 i;
	int			 fd;

	xasprintf(&path, "%s/.lock", work_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			cause_set(cause, "%s: %s", path, strerror(errno));
			free(path);
			close(fd);
			return -1;
		}
	}
	free(path);
	for (i = 0; i < sizeof stale / sizeof stale[0]; i++) {
		xasprintf(&path, "%s/%s", work_dir, stale[i]);
		if (unlink(path) == -1 && errno != ENOENT) {
			cause_set(cause, "%s: %s", path, strerror(errno));
			free(path);
			close(fd);
			return -1;
		}
		free(path);
	}
	/* Public keys need no agent, and none should be left running. */
	xasprintf(&path, "%s/gpg.conf", work_dir);
	if (file_write_atomic(path, sign_verify_conf, strlen(sign_verify_conf),
	    cause) == -1) {
		free(path);
		close(fd);
		return -1;
	}
	free(path);
	return fd;
}

/*
 * Imports keyring_path into work_dir, emptied first, and verifies there:
 * detached when sig is not NULL, else clear-signed with the signed text
 * returned in *text.
 */
static int
verify_run(const char *keyring_path, const char *work_dir, const void *data,
    size_t len, const void *sig, size_t siglen, char **text, size_t *textlen,
    int flags, char **warning, char **cause)
{
	struct buf		 keys;
	gpgme_ctx_t		 ctx = NULL;
	gpgme_data_t		 kd = NULL, sd = NULL, dd = NULL, plain = NULL;
	gpgme_import_result_t	 ires;
	gpgme_verify_result_t	 vres;
	gpgme_signature_t	 s, worst = NULL;
	gpgme_error_t		 err;
	char			*out;
	size_t			 outlen;
	int			 rc = -1, lockfd = -1;

	if (warning != NULL)
		*warning = NULL;
	if (sign_init(cause) == -1)
		return -1;
	buf_init(&keys);
	if (verify_read_keyring(keyring_path, &keys, cause) == -1)
		goto out;
	if (mkdir_p(work_dir, 0700) == -1 || chmod(work_dir, 0700) == -1) {
		cause_set(cause, "%s: %s", work_dir, strerror(errno));
		goto out;
	}
	if ((lockfd = verify_prepare(work_dir, cause)) == -1)
		goto out;
	if ((ctx = sign_context(work_dir, cause)) == NULL)
		goto out;

	if ((err = gpgme_data_new_from_mem(&kd, keys.b_data, keys.b_len, 0)) != 0) {
		cause_set(cause, "GPGME: %s", gpgme_strerror(err));
		goto out;
	}
	err = gpgme_op_import(ctx, kd);
	ires = gpgme_op_import_result(ctx);
	if (err != 0) {
		cause_set(cause, "keyring %s: cannot import: %s", keyring_path,
		    gpgme_strerror(err));
		goto out;
	}
	if (ires == NULL || ires->imported + ires->unchanged == 0) {
		cause_set(cause, "keyring %s: no usable OpenPGP keys",
		    keyring_path);
		goto out;
	}

	if (sig != NULL) {
		if ((err = gpgme_data_new_from_mem(&sd, sig, siglen, 0)) != 0 ||
		    (err = gpgme_data_new_from_mem(&dd, data, len, 0)) != 0) {
			cause_set(cause, "GPGME: %s", gpgme_strerror(err));
			goto out;
		}
		err = gpgme_op_verify(ctx, sd, dd, NULL);
	} else {
		if (verify_clear_shape(data, len, cause) == -1)
			goto out;
		if ((err = gpgme_data_new_from_mem(&sd, data, len, 0)) != 0 ||
		    (err = gpgme_data_new(&plain)) != 0) {
			cause_set(cause, "GPGME: %s", gpgme_strerror(err));
			goto out;
		}
		err = gpgme_op_verify(ctx, sd, NULL, plain);
	}
	if (gpgme_err_code(err) == GPG_ERR_NO_DATA) {
		cause_set(cause, "not signed");
		goto out;
	}
	if (err != 0) {
		cause_set(cause, "cannot verify: %s", gpgme_strerror(err));
		goto out;
	}
	vres = gpgme_op_verify_result(ctx);
	if (vres == NULL || vres->signatures == NULL) {
		cause_set(cause, "not signed");
		goto out;
	}
	for (s = vres->signatures; s != NULL; s = s->next) {
		/* Validity (trust) is moot: only keyring keys are here. */
		if (gpgme_err_code(s->status) == GPG_ERR_NO_ERROR) {
			rc = 0;
			break;
		}
		if (worst == NULL || verify_rank(s->status) > verify_rank(worst->status))
			worst = s;
	}
	/* Only when no signature is good without excuse. */
	if (rc == -1 && (flags & VERIFY_ALLOW_EXPIRED)) {
		char	*why = NULL, *next = NULL;

		for (s = vres->signatures; s != NULL; s = s->next) {
			if (verify_excuse_expired(ctx, s, warning, &next) == 0) {
				rc = 0;
				break;
			}
			/* The first reason not to excuse is the one reported. */
			if (why == NULL)
				why = next;
			else
				free(next);
			next = NULL;
		}
		if (rc == -1 && why != NULL) {
			cause_set(cause, "%s", why);
			free(why);
			goto out;
		}
		free(why);
	}
	if (rc == -1) {
		verify_cause(ctx, worst, flags, cause);
		goto out;
	}
	if (plain != NULL) {
		out = sign_take(plain, &outlen);
		plain = NULL;
		if (textlen != NULL)
			*textlen = outlen;
		if (text != NULL)
			*text = out;
		else
			free(out);
	}
out:
	if (plain != NULL)
		gpgme_data_release(plain);
	if (dd != NULL)
		gpgme_data_release(dd);
	if (sd != NULL)
		gpgme_data_release(sd);
	if (kd != NULL)
		gpgme_data_release(kd);
	if (ctx != NULL)
		gpgme_release(ctx);
	if (lockfd != -1)
		close(lockfd);
	buf_free(&keys);
	return rc;
}

int
verify_detached(const char *keyring_path, const char *work_dir,
    const void *data, size_t len, const void *sig, size_t siglen,
    char **cause)
{
	if (sig == NULL || siglen == 0) {
		cause_set(cause, "not signed");
		return -1;
	}
	return verify_run(keyring_path, work_dir, data, len, sig, siglen, NULL,
	    NULL, 0, NULL, cause);
}

int
verify_clearsigned(const char *keyring_path, const char *work_dir,
    const void *data, size_t len, char **text, size_t *textlen, char **cause)
{
	return verify_run(keyring_path, work_dir, data, len, NULL, 0, text,
	    textlen, 0, NULL, cause);
}

int
verify_detached_flags(const char *keyring_path, const char *work_dir,
    const void *data, size_t len, const void *sig, size_t siglen, int flags,
    char **warning, char **cause)
{
	if (warning != NULL)
		*warning = NULL;
	if (sig == NULL || siglen == 0) {
		cause_set(cause, "not signed");
		return -1;
	}
	return verify_run(keyring_path, work_dir, data, len, sig, siglen, NULL,
	    NULL, flags | VERIFY_DETAIL, warning, cause);
}

int
verify_clearsigned_flags(const char *keyring_path, const char *work_dir,
    const void *data, size_t len, char **text, size_t *textlen, int flags,
    char **warning, char **cause)
{
	return verify_run(keyring_path, work_dir, data, len, NULL, 0, text,
	    textlen, flags | VERIFY_DETAIL, warning, cause);
}
