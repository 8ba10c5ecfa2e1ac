/* Version comparison as rpm and dpkg do it. */
#ifndef PG_VERCMP_H
#define PG_VERCMP_H

/* rpm's rpmvercmp on one version or release string (tilde and caret). */
int	rpm_vercmp(const char *a, const char *b);
/* Compares (epoch, version, release); NULL epoch means 0. <0, 0, >0. */
int	rpm_evrcmp(const char *e1, const char *v1, const char *r1,
	    const char *e2, const char *v2, const char *r2);
/* dpkg's comparison of whole versions "[epoch:]upstream[-revision]". */
int	deb_vercmp(const char *a, const char *b);

#endif
