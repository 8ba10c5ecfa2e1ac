/*
 * patchgated's HTTPS: the OpenSSL context of the tls-listen listener, made
 * from tls-cert and tls-key at start and made again on SIGHUP, the
 * bufferevent of each TLS connection, and file bodies for TLS connections.
 *
 * A reload builds a whole new context first; only when the certificate,
 * the key and their match all check out does it replace the old one, so a
 * bad file leaves the daemon serving the previous certificate.  Connections
 * that are open keep the context they started with (OpenSSL counts its
 * references); new ones get the new certificate.
 *
 * sendfile() and a mapped file cannot go through TLS: a file is encrypted
 * from memory.  tls_send_file reads it in pieces of TLS_FILE_PIECE bytes,
 * one at a time as the connection drains, so that a large file costs that
 * much memory, not its size; upstream.c sends a file still downloading
 * the same way (tls_read_piece, tls_drained).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>

#include "conf.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

#define TLS_FILE_PIECE		(256 * 1024)

/*
 * TLS 1.2 with forward secrecy and AEAD only (Mozilla's "intermediate"
 * list without DHE); TLS 1.3 keeps OpenSSL's own suites.
 */
#define TLS_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct tls {
	SSL_CTX		*tl_ctx;	/* what new connections get */
	SSL_CTX		*tl_next;	/* tls_prepare's, until tls_commit */
	char		*tl_next_desc;
};

/* One file answered over TLS. */
struct tls_file {
	struct evhttp_request	*tf_req;
	char			*tf_client;	/* for the access log, which */
	char			*tf_uri;	/* may outlive the connection */
	int			 tf_fd;
	int			 tf_code;
	long long		 tf_first;
	long long		 tf_next;	/* the next byte to read */
	long long		 tf_end;	/* exclusive */
};

/*
 * OpenSSL's first queued error, the cause ("no start line (PEM
 * routines)"), as text; the queue is emptied.
 */
static const char *
tls_error(void)
{
	static char	 buf[256];
	unsigned long	 e;
	const char	*reason, *lib;

	if ((e = ERR_peek_error()) == 0)
		snprintf(buf, sizeof buf, "unknown error");
	else if ((reason = ERR_reason_error_string(e)) == NULL ||
	    (lib = ERR_lib_error_string(e)) == NULL)
		ERR_error_string_n(e, buf, sizeof buf);
	else
		snprintf(buf, sizeof buf, "%s (%s)", reason, lib);
	ERR_clear_error();
	return buf;
}

/* An encrypted key would have OpenSSL ask a terminal: refuse it. */
static int
tls_no_password(char *buf, int size, int rwflag, void *arg)
{
	return -1;
}

/*
 * Reads the private key of path, which must not be open to others: the
 * key of every connection's secrecy.
 */
static EVP_PKEY *
tls_read_key(const char *path, char **cause)
{
	struct stat	 sb;
	EVP_PKEY	*pkey;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		cause_set(cause, "tls-key %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &sb) == -1) {
		cause_set(cause, "tls-key %s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	if (sb.st_mode & S_IRWXO) {
		cause_set(cause, "tls-key %s: mode %04o lets every user read "
		    "it; refused (chmod o-rwx %s)", path,
		    (unsigned)(sb.st_mode & 07777), path);
		fclose(f);
		return NULL;
	}
	pkey = PEM_read_PrivateKey(f, NULL, tls_no_password, NULL);
	fclose(f);
	if (pkey == NULL)
		cause_set(cause, "tls-key %s: no usable private key (an "
		    "unencrypted PEM key is needed): %s", path, tls_error());
	return pkey;
}

/* "CN=gate.example.com, valid until Mar  1 12:00:00 2027 GMT", caller-freed. */
static char *
tls_describe(SSL_CTX *ctx)
{
	X509	*x;
	BIO	*bio;
	char	*s, *data, name[256];
	long	 len;

	if ((x = SSL_CTX_get0_certificate(ctx)) == NULL)
		return strdup("?");
	X509_NAME_oneline(X509_get_subject_name(x), name, sizeof name);
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return strdup(name);
	ASN1_TIME_print(bio, X509_get0_notAfter(x));
	len = BIO_get_mem_data(bio, &data);
	if (asprintf(&s, "%s, valid until %.*s", name, (int)len, data) == -1)
		s = NULL;
	BIO_free(bio);
	return s;
}

/* A server context from the certificate chain and key of cf. */
static SSL_CTX *
tls_load(const struct config *cf, char **cause)
{
	SSL_CTX		*ctx;
	EVP_PKEY	*pkey = NULL;
	FILE		*f;

	/* OpenSSL's message for a missing file says less than errno. */
	if ((f = fopen(cf->cf_tls_cert, "r")) == NULL) {
		cause_set(cause, "tls-cert %s: %s", cf->cf_tls_cert,
		    strerror(errno));
		return NULL;
	}
	fclose(f);
	if ((pkey = tls_read_key(cf->cf_tls_key, cause)) == NULL)
		return NULL;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		cause_set(cause, "TLS: %s", tls_error());
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS) != 1) {
		cause_set(cause, "TLS: %s", tls_error());
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE
#ifdef SSL_OP_NO_RENEGOTIATION
	    | SSL_OP_NO_RENEGOTIATION
#endif
	    );
	/* An idle connection gives its buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cf->cf_tls_cert) != 1) {
		cause_set(cause, "tls-cert %s: no usable certificate chain: %s",
		    cf->cf_tls_cert, tls_error());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		cause_set(cause, "tls-key %s does not go with tls-cert %s: %s",
		    cf->cf_tls_key, cf->cf_tls_cert, tls_error());
		goto fail;
	}
	EVP_PKEY_free(pkey);
	return ctx;
fail:
	EVP_PKEY_free(pkey);
	SSL_CTX_free(ctx);
	return NULL;
}

/* Logs what ctx presents, and warns when it has expired. */
static void
tls_note(SSL_CTX *ctx, const struct config *cf, const char *desc)
{
	X509	*x = SSL_CTX_get0_certificate(ctx);

	log_info("TLS: certificate %s (%s)", cf->cf_tls_cert,
	    desc != NULL ? desc : "?");
	if (x != NULL && X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		log_warnx("TLS: certificate %s has expired: clients will "
		    "refuse it", cf->cf_tls_cert);
}

struct tls *
tls_new(const struct config *cf, char **cause)
{
	struct tls	*tl;
	char		*desc;

	if ((tl = calloc(1, sizeof *tl)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	if ((tl->tl_ctx = tls_load(cf, cause)) == NULL) {
		free(tl);
		return NULL;
	}
	desc = tls_describe(tl->tl_ctx);
	tls_note(tl->tl_ctx, cf, desc);
	free(desc);
	return tl;
}

void
tls_free(struct tls *tl)
{
	if (tl == NULL)
		return;
	SSL_CTX_free(tl->tl_ctx);
	SSL_CTX_free(tl->tl_next);
	free(tl->tl_next_desc);
	free(tl);
}

int
tls_prepare(struct tls *tl, const struct config *cf, char **cause)
{
	if (tl == NULL) {
		if (cf->cf_tls_listen != NULL)
			log_warnx("SIGHUP: tls-listen %s takes a restart; no "
			    "TLS listener until then", cf->cf_tls_listen);
		return 0;
	}
	SSL_CTX_free(tl->tl_next);
	free(tl->tl_next_desc);
	tl->tl_next = NULL;
	tl->tl_next_desc = NULL;
	if (cf->cf_tls_listen == NULL) {
		log_warnx("SIGHUP: no tls-listen any more: it takes a restart; "
		    "still serving TLS with the previous certificate");
		return 0;
	}
	if ((tl->tl_next = tls_load(cf, cause)) == NULL)
		return -1;
	tl->tl_next_desc = tls_describe(tl->tl_next);
	return 0;
}

void
tls_commit(struct tls *tl, const struct config *cf)
{
	if (tl == NULL || tl->tl_next == NULL)
		return;
	SSL_CTX_free(tl->tl_ctx);
	tl->tl_ctx = tl->tl_next;
	tl->tl_next = NULL;
	tls_note(tl->tl_ctx, cf, tl->tl_next_desc);
	free(tl->tl_next_desc);
	tl->tl_next_desc = NULL;
}

struct bufferevent *
tls_bufferevent_new(struct tls *tl, struct event_base *base)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(tl->tl_ctx)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	/* evhttp gives it its socket; on failure, libevent frees ssl. */
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	/* Many clients close without a close_notify: an end, not an error. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

int
server_request_is_tls(struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;

	if ((evcon = evhttp_request_get_connection(req)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return 0;
	return bufferevent_openssl_get_ssl(bev) != NULL;
}

/*
 * Ends one file answer, the only place that does: finishes the reply, or
 * cuts the connection (cause set), or forgets a client that left (gone).
 */
static void
tls_file_close(struct tls_file *tf, const char *cause, int gone)
{
	struct evhttp_request		*req = tf->tf_req;
	struct evhttp_connection	*evcon;
	long long			 sent = tf->tf_next - tf->tf_first;

	evcon = evhttp_request_get_connection(req);
	if (evcon != NULL)
		server_on_close(evcon, NULL, NULL);
	server_access(tf->tf_client, "GET", tf->tf_uri, tf->tf_code, sent);
	if (gone) {
		log_debug("%s: client %s left after %lld bytes", tf->tf_uri,
		    tf->tf_client, sent);
		/* libevent detached the request from its dead connection. */
		if (evcon == NULL)
			evhttp_request_free(req);
	} else if (cause == NULL)
		evhttp_send_reply_end(req);
	else {
		log_warnx("%s: client %s cut after %lld of %lld bytes: %s",
		    tf->tf_uri, tf->tf_client, sent, tf->tf_end - tf->tf_first,
		    cause);
		/* Frees req; the Content-Length shows the client it failed. */
		evhttp_connection_free(evcon);
	}
	close(tf->tf_fd);
	free(tf->tf_client);
	free(tf->tf_uri);
	free(tf);
}

static void	tls_file_pump(struct tls_file *);

/*
 * Whether what evcon queued has gone to the TLS layer.  libevent defers the
 * write callback of a TLS connection to the next turn of the loop, so it
 * may come after more was queued: a callback is a drain only when the
 * output is empty; another comes when it is.
 */
int
tls_drained(struct evhttp_connection *evcon)
{
	struct bufferevent	*bev;

	if ((bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return 1;
	return evbuffer_get_length(bufferevent_get_output(bev)) == 0;
}

ssize_t
tls_read_piece(struct evbuffer *buf, int fd, long long off, long long len)
{
	struct evbuffer_iovec	 v;
	ssize_t			 n;
	size_t			 share;

	if (len > TLS_FILE_PIECE)
		len = TLS_FILE_PIECE;
	/* No more than the connection's share of output-buffer-max. */
	if ((size_t)len > (share = conns_output_share()))
		len = share;
	if (evbuffer_reserve_space(buf, len, &v, 1) != 1) {
		errno = ENOMEM;
		return -1;
	}
	if ((n = pread(fd, v.iov_base, len, off)) <= 0)
		return n;
	v.iov_len = n;
	if (evbuffer_commit_space(buf, &v, 1) != 0) {
		errno = ENOMEM;
		return -1;
	}
	return n;
}

static void
tls_file_drained(struct evhttp_connection *evcon, void *arg)
{
	if (tls_drained(evcon))
		tls_file_pump(arg);
}

static void
tls_file_gone(struct evhttp_connection *evcon, void *arg)
{
	tls_file_close(arg, NULL, 1);
}

/* Queues the next piece of the file, or ends the answer. */
static void
tls_file_pump(struct tls_file *tf)
{
	struct evhttp_connection	*evcon;
	struct evbuffer			*buf;
	ssize_t				 n;

	if (tf->tf_next == tf->tf_end) {
		tls_file_close(tf, NULL, 0);
		return;
	}
	if ((buf = evbuffer_new()) == NULL) {
		tls_file_close(tf, "out of memory", 0);
		return;
	}
	n = tls_read_piece(buf, tf->tf_fd, tf->tf_next,
	    tf->tf_end - tf->tf_next);
	if (n <= 0) {
		evbuffer_free(buf);
		tls_file_close(tf, n == 0 ? "the file is shorter than its "
		    "size" : strerror(errno), 0);
		return;
	}
	tf->tf_next += n;
	evcon = evhttp_request_get_connection(tf->tf_req);
	evhttp_send_reply_chunk_with_cb(tf->tf_req, buf, tls_file_drained, tf);
	evbuffer_free(buf);
	server_writing(evcon);
}

void
tls_send_file(struct evhttp_request *req, int code, int fd,
    const struct range *rg)
{
	struct tls_file	*tf;

	if ((tf = calloc(1, sizeof *tf)) == NULL ||
	    (tf->tf_client = strdup(server_client(req))) == NULL ||
	    (tf->tf_uri = strdup(evhttp_request_get_uri(req))) == NULL) {
		if (tf != NULL)
			free(tf->tf_client);
		free(tf);
		close(fd);
		server_error(req, 500, "out of memory");
		return;
	}
	tf->tf_req = req;
	tf->tf_fd = fd;
	tf->tf_code = code;
	tf->tf_first = tf->tf_next = rg->rg_first;
	tf->tf_end = rg->rg_last + 1;
	evhttp_send_reply_start(req, code, NULL);
	server_on_close(evhttp_request_get_connection(req), tls_file_gone, tf);
	tls_file_pump(tf);
}
