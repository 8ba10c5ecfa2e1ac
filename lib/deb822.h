/*
 * Debian control data (deb822): Packages indexes and Release files.  The
 * stanza parser keeps each stanza's exact bytes, because views carry
 * upstream's stanzas byte for byte.
 */
#ifndef PG_DEB822_H
#define PG_DEB822_H

#include <stddef.h>
#include <time.h>

#include "compress.h"

/* One stanza; memory valid only during the callback. */
struct deb822_stanza {
	const char	*ds_raw;	/* from its first byte to the end of its last
					   line, newline included, no blank line */
	size_t		 ds_rawlen;
	long		 ds_line;	/* line of its first field */
	long long	 ds_offset;	/* byte offset of ds_raw in the document */
};

/*
 * The value of field name (case-insensitive) as a caller-freed string:
 * the first line trimmed; continuation lines, when keep_lines, appended
 * with their newlines and leading space as written (the CR of a CRLF
 * line end dropped, no newline after the last).  NULL when absent.
 */
char	*deb822_field(const struct deb822_stanza *, const char *name,
	     int keep_lines);
/*
 * The first lines of n fields at once, in one pass over the stanza, as
 * deb822_field() without keep_lines finds them: val[i] points at the
 * value of names[i] in ds_raw, len[i] bytes, trimmed; NULL when absent.
 */
void	 deb822_fields(const struct deb822_stanza *,
	     const char *const *names, size_t n, const char **val,
	     size_t *len);

typedef int (*deb822_cb)(const struct deb822_stanza *, void *arg);

/*
 * Parses a document of stanzas separated by blank lines (lines of spaces,
 * tabs and CR count as blank), reading it as a stream: memory is bounded
 * by the largest stanza, not the document.  Errors name the document
 * (what), the line and the cause: "main/binary-amd64/Packages: line 12:
 * line is neither a field nor a continuation".  A stanza larger than 16
 * MiB, a NUL byte, a field line without ':' or with blanks in its name, a
 * comment line ('#') or a continuation line opening a stanza is an error.
 * A read error's cause is passed through as the reader wrote it.  The
 * callback returns 0 to go on, or -1 to stop: deb822_parse then returns
 * -1 and leaves *cause alone (the callback reports through its arg).
 */
int	 deb822_parse(pg_read_fn, void *rarg, const char *what, deb822_cb,
	     void *cbarg, char **cause);

/*
 * Bounds on untrusted input: the bytes of one stanza, of one field (its
 * continuation lines included, and so of one line; 0: lines of 16 MiB),
 * and the number of stanzas in one document (0: no bound).  deb822_parse() allows 16 MiB
 * stanzas and lines and any number of stanzas; a Packages index is read
 * with the tighter DEB822_PACKAGES_* bounds.  Past a bound the parse
 * stops: "Packages.xz: line 12: field Description larger than the limit
 * of 512 KiB", "Packages.xz: more than 1000000 stanzas, the limit for
 * one index".
 */
struct deb822_limits {
	size_t		 dl_stanza;
	size_t		 dl_field;
	unsigned long	 dl_stanzas;
};
#define DEB822_PACKAGES_STANZA	(1024 * 1024)
#define DEB822_PACKAGES_FIELD	(512 * 1024)
#define DEB822_PACKAGES_STANZAS	1000000UL
int	 deb822_parse_limited(pg_read_fn, void *rarg, const char *what,
	     const struct deb822_limits *, deb822_cb, void *cbarg,
	     char **cause);

/* One file of a Release's SHA256 list. */
struct apt_release_file {
	char		*arf_path;	/* "main/binary-amd64/Packages.xz" */
	long long	 arf_size;
	char		 arf_sha256[65];
};

struct apt_release {
	char			*ar_origin;
	char			*ar_label;
	char			*ar_suite;
	char			*ar_codename;
	char			*ar_version;
	char			*ar_description;
	time_t			 ar_date;		/* 0 when absent */
	time_t			 ar_valid_until;	/* 0 when absent */
	char			**ar_architectures;	/* NULL-terminated */
	char			**ar_components;	/* NULL-terminated, as written */
	int			 ar_acquire_by_hash;
	char			*ar_no_support_arch_all; /* value, NULL when absent */
	struct apt_release_file	*ar_files;		/* SHA256 section */
	size_t			 ar_nfiles;
};

/*
 * Parses a Release file (the text, not the clear-signed InRelease: see
 * apt_inrelease_text).  Dates are RFC 2822 as Debian writes them ("Thu,
 * 26 Nov 2026 21:03:35 UTC").  A Release without a SHA256 list is an
 * error ("no SHA256 list"); MD5Sum and SHA1 lists are ignored.  Paths
 * that could leave a directory and paths listed twice are errors.
 * Absent Architectures or Components come back as empty lists.
 */
struct apt_release		*apt_release_parse(const char *text, size_t len,
				     const char *what, char **cause);
void				 apt_release_free(struct apt_release *);
const struct apt_release_file	*apt_release_find(const struct apt_release *,
				     const char *path);
/* RFC 2822 date as in Release files; 0 on success. */
int				 apt_date_parse(const char *, time_t *);
/*
 * Formats "Sun, 29 Nov 2026 02:03:04 UTC" into buf (at least 32 bytes);
 * NULL when it does not fit.
 */
const char			*apt_date_format(time_t, char *buf, size_t len);

/*
 * The signed text of a clear-signed InRelease, without checking the
 * signature (sign.h's verify_clearsigned does both): dash-escaping undone,
 * caller-freed, byte for byte what gpg prints (each line without trailing
 * blanks and with its line end, the last one included).  Errors when the
 * armor is malformed, or when apt would refuse it (text before or after
 * the signed block, a dash line that is not an escape).
 */
int	 apt_inrelease_text(const char *data, size_t len, char **text,
	     size_t *textlen, char **cause);

#endif
