/*
 * Version comparison as rpm (rpmvercmp) and dpkg (verrevcmp) do it.  A
 * view that disagrees with the package manager about which version is newer
 * would offer an "update" the client refuses or hide one it wants, so both
 * follow their reference down to the odd cases: separators that are all
 * alike, leading zeros, tilde and caret, empty revisions.
 *
 * Only ASCII counts as a letter or digit, whatever the locale, as in rpm
 * and dpkg; nothing here allocates or writes to its arguments.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "vercmp.h"

static int
vercmp_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static int
vercmp_isalpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Compares two runs of digits as numbers of any length. */
static int
vercmp_numeric(const char *a, size_t alen, const char *b, size_t blen)
{
	int	rc;

	while (alen > 0 && *a == '0') {
		a++;
		alen--;
	}
	while (blen > 0 && *b == '0') {
		b++;
		blen--;
	}
	if (alen != blen)
		return alen > blen ? 1 : -1;
	rc = memcmp(a, b, alen);
	return rc == 0 ? 0 : (rc > 0 ? 1 : -1);
}

/*
 * rpm splits each string into runs of digits and runs of letters; anything
 * else only separates runs, and one separator is as good as another ("2.0"
 * equals "2_0").  Runs are compared pairwise: digits as numbers, letters
 * bytewise, and a run of digits is newer than a run of letters.  A '~'
 * sorts before everything, even the end of the string ("1.0~rc1" <
 * "1.0"); a '^' sorts after the end of the string but before any run
 * ("1.0" < "1.0^git1" < "1.0.1").  When all runs agree, the string with
 * runs left over is newer.
 */
int
rpm_vercmp(const char *a, const char *b)
{
	const char	*ea, *eb;
	size_t		 la, lb;
	int		 num, rc;

	if (a == NULL)
		a = "";
	if (b == NULL)
		b = "";
	if (strcmp(a, b) == 0)
		return 0;

	for (;;) {
		while (*a != '\0' && !vercmp_isdigit(*a) &&
		    !vercmp_isalpha(*a) && *a != '~' && *a != '^')
			a++;
		while (*b != '\0' && !vercmp_isdigit(*b) &&
		    !vercmp_isalpha(*b) && *b != '~' && *b != '^')
			b++;

		if (*a == '~' || *b == '~') {
			if (*a != '~')
				return 1;
			if (*b != '~')
				return -1;
			a++;
			b++;
			continue;
		}

		/* A caret loses to any run but beats the end of the string. */
		if (*a == '^' || *b == '^') {
			if (*a == '\0')
				return -1;
			if (*b == '\0')
				return 1;
			if (*a != '^')
				return 1;
			if (*b != '^')
				return -1;
			a++;
			b++;
			continue;
		}

		if (*a == '\0' || *b == '\0')
			break;

		/* The type of a's run decides which kind of run b must have. */
		num = vercmp_isdigit(*a);
		for (ea = a; *ea != '\0' &&
		    (num ? vercmp_isdigit(*ea) : vercmp_isalpha(*ea)); ea++)
			;
		for (eb = b; *eb != '\0' &&
		    (num ? vercmp_isdigit(*eb) : vercmp_isalpha(*eb)); eb++)
			;
		la = ea - a;
		lb = eb - b;
		if (lb == 0)
			return num ? 1 : -1;

		if (num)
			rc = vercmp_numeric(a, la, b, lb);
		else {
			rc = memcmp(a, b, la < lb ? la : lb);
			if (rc == 0 && la != lb)
				rc = la > lb ? 1 : -1;
		}
		if (rc != 0)
			return rc > 0 ? 1 : -1;
		a = ea;
		b = eb;
	}

	/* Equal so far: only separators may differ, or one has more runs. */
	if (*a == '\0' && *b == '\0')
		return 0;
	return *a != '\0' ? 1 : -1;
}

/*
 * Epochs are digit strings, for which rpm_vercmp is a numeric comparison
 * of any length (and for a malformed epoch, still what rpm itself does).
 * A missing release matches any release, as when dnf resolves "name-1.0"
 * against "name-1.0-3.el9".
 */
int
rpm_evrcmp(const char *e1, const char *v1, const char *r1,
    const char *e2, const char *v2, const char *r2)
{
	int	rc;

	if (e1 == NULL || *e1 == '\0')
		e1 = "0";
	if (e2 == NULL || *e2 == '\0')
		e2 = "0";
	if ((rc = rpm_vercmp(e1, e2)) != 0)
		return rc;
	if ((rc = rpm_vercmp(v1, v2)) != 0)
		return rc;
	if (r1 == NULL || *r1 == '\0' || r2 == NULL || *r2 == '\0')
		return 0;
	return rpm_vercmp(r1, r2);
}

/* One Debian version split in place: [epoch:]upstream[-revision]. */
struct debver {
	const char	*dv_epoch;	/* digits only; empty means 0 */
	size_t		 dv_epochlen;
	const char	*dv_up;
	size_t		 dv_uplen;
	const char	*dv_rev;	/* empty when there is no '-' */
	size_t		 dv_revlen;
};

static int
deb_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/*
 * Splits s as dpkg's parseversion does: blanks around it are ignored, the
 * epoch ends at the first ':', the revision starts after the last '-'.
 * dpkg rejects a non-numeric epoch; here such a string is all upstream,
 * so that a malformed version still has some stable place in the order.
 * Returns 0 if nothing but blanks is left.
 */
static int
deb_split(const char *s, struct debver *dv)
{
	const char	*end, *p, *q;

	while (deb_isspace(*s))
		s++;
	end = s + strlen(s);
	while (end > s && deb_isspace(end[-1]))
		end--;
	if (end == s)
		return 0;

	dv->dv_epoch = "";
	dv->dv_epochlen = 0;
	p = memchr(s, ':', end - s);
	if (p != NULL && p != s) {
		for (q = s; q < p && vercmp_isdigit(*q); q++)
			;
		if (q == p) {
			dv->dv_epoch = s;
			dv->dv_epochlen = p - s;
			s = p + 1;
		}
	}

	dv->dv_up = s;
	dv->dv_uplen = end - s;
	dv->dv_rev = "";
	dv->dv_revlen = 0;
	for (p = end; p > s; p--) {
		if (p[-1] == '-') {
			dv->dv_uplen = p - 1 - s;
			dv->dv_rev = p;
			dv->dv_revlen = end - p;
			break;
		}
	}
	return 1;
}

/*
 * dpkg's weight of a character in the non-digit part of a segment: '~'
 * before the end of the part, the end before letters, letters before
 * everything else.  Digits end the part and weigh like the end.
 */
static int
deb_order(int c)
{
	if (vercmp_isdigit(c))
		return 0;
	if (vercmp_isalpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c != '\0')
		return c + 256;
	return 0;
}

/*
 * dpkg's verrevcmp on counted strings: alternately a non-digit part,
 * character by character with deb_order, then a digit part as a number;
 * a missing part is empty, and an empty number is 0.
 */
static int
deb_revcmp(const char *a, size_t alen, const char *b, size_t blen)
{
	const char	*ea = a + alen, *eb = b + blen;
	int		 ac, bc, first;

	while (a < ea || b < eb) {
		while ((a < ea && !vercmp_isdigit(*a)) ||
		    (b < eb && !vercmp_isdigit(*b))) {
			ac = deb_order(a < ea ? *a : '\0');
			bc = deb_order(b < eb ? *b : '\0');
			if (ac != bc)
				return ac < bc ? -1 : 1;
			/* Equal weights here are two real non-digits. */
			a++;
			b++;
		}

		while (a < ea && *a == '0')
			a++;
		while (b < eb && *b == '0')
			b++;
		first = 0;
		while (a < ea && vercmp_isdigit(*a) &&
		    b < eb && vercmp_isdigit(*b)) {
			if (first == 0)
				first = *a - *b;
			a++;
			b++;
		}
		if (a < ea && vercmp_isdigit(*a))
			return 1;
		if (b < eb && vercmp_isdigit(*b))
			return -1;
		if (first != 0)
			return first < 0 ? -1 : 1;
	}
	return 0;
}

/*
 * An empty version sorts before every other, as with dpkg
 * --compare-versions, where "" stands for "not installed".  An absent
 * revision is empty, which compares equal to "0" ("1.0" = "1.0-0").
 */
int
deb_vercmp(const char *a, const char *b)
{
	struct debver	da, db;
	int		 ha, hb, rc;

	ha = deb_split(a == NULL ? "" : a, &da);
	hb = deb_split(b == NULL ? "" : b, &db);
	if (!ha || !hb)
		return ha - hb;

	if ((rc = vercmp_numeric(da.dv_epoch, da.dv_epochlen, db.dv_epoch,
	    db.dv_epochlen)) != 0)
		return rc;
	if ((rc = deb_revcmp(da.dv_up, da.dv_uplen, db.dv_up,
	    db.dv_uplen)) != 0)
		return rc;
	return deb_revcmp(da.dv_rev, da.dv_revlen, db.dv_rev, db.dv_revlen);
}
