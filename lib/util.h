/* Small file and string helpers shared by every program. */
#ifndef PG_UTIL_H
#define PG_UTIL_H

#include <sys/types.h>
#include <stddef.h>

/* A growing byte buffer (xmalloc-backed). */
struct buf {
	char	*b_data;
	size_t	 b_len;
	size_t	 b_size;
};

void	 buf_init(struct buf *);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_addf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);
/* Discards the first n bytes. */
void	 buf_consume(struct buf *, size_t n);

/* mkdir -p; returns -1 with errno set. */
int	 mkdir_p(const char *path, mode_t mode);
/* rm -rf; returns -1 with errno set on the first failure. */
int	 remove_tree(const char *path);
/* Reads a whole file; caller frees *data.  Fails above maxlen bytes. */
int	 file_read(const char *path, size_t maxlen, char **data, size_t *len, char **cause);
/* Writes data to path.tmpPID, fsyncs and renames over path. */
int	 file_write_atomic(const char *path, const void *data, size_t len, char **cause);
/* Removes the path.tmpPID files of dir whose writer is dead (killed). */
void	 file_tmp_clean(const char *dir);
/* Points the symbolic link path at target, atomically (rename over it). */
int	 symlink_replace(const char *target, const char *path, char **cause);
/* fsyncs a directory so that a rename in it survives a crash. */
int	 dir_sync(const char *path);

/* Sets *cause to a formatted, caller-freed string (never fails). */
void	 cause_set(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Splits s on blanks and commas into a NULL-terminated, caller-freed array. */
char	**words_split(const char *s, size_t *n);
/* The same with the separators given. */
char	**words_split_on(const char *s, const char *seps, size_t *n);
void	 words_free(char **);

/* True when name is a safe single path component (no /, not . or ..). */
int	 name_is_safe(const char *name);

#endif
