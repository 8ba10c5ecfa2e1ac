/*
 * status --html: the status page patchgated serves at /_status, rendered
 * by the CLI so that the daemon never reads the store (DESIGN.md): the
 * daemon runs "patchgate status --html" as the admin API runs its
 * commands, and relays the page.
 *
 * The page says what status, snapshot list and compliance say in --json
 * (their documents are its input, so field for field the same), plus,
 * per group, a timeline of what ripens over the next 30 days, from the
 * planner's per-version next change.  One self-contained document: inline
 * CSS and SVG, no script, no external asset; it refreshes itself every 30
 * seconds, reads on a phone (one column, tables that scroll) and on a wall
 * screen (type that grows with the width).  Every text from the store or
 * an upstream (package names, errors, reasons) is HTML-escaped.  Local
 * names carry hp_.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "clock.h"
#include "log.h"
#include "planner.h"
#include "util.h"
#include "window.h"
#include "xmalloc.h"

#define HP_DAYS		30	/* the timeline's span */
#define HP_ROWS_MAX	40	/* versions drawn per timeline */
#define HP_LIST_MAX	500	/* versions listed per group */
#define HP_REFRESH	30	/* seconds */

/* SVG geometry, in the viewBox's units. */
#define HP_SVG_W	700
#define HP_SVG_PAD	16
#define HP_SVG_AXIS	40
#define HP_SVG_ROW	24

/* A version that becomes visible to a group within HP_DAYS. */
struct hp_ripe {
	char		*hr_label;
	const char	*hr_mirror;
	time_t		 hr_at;
};

/* What ripens for one group, gathered from the plans status makes. */
struct hp_group {
	struct group	*hg_group;
	struct hp_ripe	*hg_ripe;
	size_t		 hg_n;
};

struct hp_page {
	struct cli	*hp_cl;
	struct buf	 hp_out;
	time_t		 hp_now;
	json_t		*hp_status;
	json_t		*hp_snapshots;	/* NULL: could not be read */
	json_t		*hp_compliance;	/* likewise */
	struct hp_group	*hp_groups;	/* one per configured group, in order */
	size_t		 hp_ngroups;
};

/* --- text ---------------------------------------------------------------- */

/*
 * Appends s HTML-escaped: the five markup characters become references,
 * control characters but tab and newline are dropped.
 */
static void
hp_esc(struct buf *b, const char *s)
{
	const unsigned char	*p;

	if (s == NULL)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n') ||
			    *p == 0x7f)
				break;
			buf_add(b, p, 1);
		}
	}
}

/* Appends the formatted text, escaped. */
static void __attribute__((format(printf, 2, 3)))
hp_escf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	hp_esc(b, s);
	free(s);
}

static const char *
hp_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long
hp_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* "2026-01-17 12:00" for people; the page says UTC once. */
static const char *
hp_short(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M",
	    &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
	return buf;
}

/*
 * A time as <time>: the date, and how long ago or ahead it is; "never"
 * (or none) for 0.
 */
static void
hp_time(struct hp_page *hp, time_t t, const char *none)
{
	struct buf	*b = &hp->hp_out;
	char		 iso[32], s[32], age[32];

	if (t == 0) {
		buf_addf(b, "<span class=dim>%s</span>", none);
		return;
	}
	buf_addf(b, "<time datetime=\"%s\">%s</time> <span class=dim>(",
	    time_format(t, iso, sizeof iso), hp_short(t, s, sizeof s));
	if (t <= hp->hp_now)
		buf_addf(b, "%s ago", cli_age(hp->hp_now - t, age, sizeof age));
	else
		buf_addf(b, "in %s", cli_age(t - hp->hp_now, age, sizeof age));
	buf_adds(b, ")</span>");
}

/* A JSON time member (RFC 3339 or null) as hp_time. */
static void
hp_jtime(struct hp_page *hp, json_t *o, const char *key, const char *none)
{
	const char	*s = hp_str(o, key);
	time_t		 t = 0;

	if (s != NULL && time_parse_rfc3339(s, &t) != 0) {
		hp_esc(&hp->hp_out, s);
		return;
	}
	hp_time(hp, t, none);
}

/* One figure of a view or a summary: "<b>N</b> what", CLASS when not 0. */
static void
hp_count(struct buf *b, long long n, const char *what, const char *cls)
{
	buf_addf(b, "<span class=\"n%s%s\"><b>%lld</b> %s</span>",
	    n > 0 && cls != NULL ? " " : "", n > 0 && cls != NULL ? cls : "",
	    n, what);
}

/* --- the ripening timeline ----------------------------------------------- */

/* "foo-1:1.1-1.noarch" (rpm-md), "hello 1.1 (all)" (apt); caller-freed. */
static char *
hp_label(const struct mirror *mi, const struct pub_pkg *pp)
{
	char	*s;
	int	 epoch = pp->pp_epoch != NULL && *pp->pp_epoch != '\0' &&
		    strcmp(pp->pp_epoch, "0") != 0;

	if (mi->mi_type == MIRROR_APT)
		xasprintf(&s, "%s %s (%s)", pp->pp_name, pp->pp_version,
		    pp->pp_arch);
	else
		xasprintf(&s, "%s-%s%s%s-%s.%s", pp->pp_name,
		    epoch ? pp->pp_epoch : "", epoch ? ":" : "", pp->pp_version,
		    pp->pp_release ? pp->pp_release : "", pp->pp_arch);
	return s;
}

static int
hp_ripe_cmp(const void *a, const void *b)
{
	const struct hp_ripe	*x = a, *y = b;
	int			 c;

	if (x->hr_at != y->hr_at)
		return x->hr_at < y->hr_at ? -1 : 1;
	if ((c = strcmp(x->hr_label, y->hr_label)) != 0)
		return c;
	return strcmp(x->hr_mirror, y->hr_mirror);
}

/*
 * When a version the planner has waiting becomes visible in gr's view: at
 * its ripening, or, in a windowed group, when a window is next open after
 * it (or after now, for one that ripened while the windows were closed).
 */
static time_t
hp_visible_at(struct hp_page *hp, const struct group *gr, time_t changes)
{
	time_t	t = changes > hp->hp_now ? changes : hp->hp_now;

	if (gr->gr_nwindows == 0)
		return changes;
	return window_next_inside(gr->gr_windows, gr->gr_nwindows, t);
}

/*
 * Status's plan of gr's view of mi (cli_plan_fn): keeps the versions that
 * become visible within HP_DAYS.
 */
static void
hp_plan_seen(void *arg, struct group *gr, struct mirror *mi, struct facts *fa,
    struct plan *pl)
{
	struct hp_page			*hp = arg;
	struct hp_group			*hg = NULL;
	const struct plan_verdict	*v;
	struct hp_ripe			*r;
	time_t				 end = hp->hp_now + HP_DAYS * 86400, t;
	size_t				 i;

	for (i = 0; i < hp->hp_ngroups; i++) {
		if (hp->hp_groups[i].hg_group == gr)
			hg = &hp->hp_groups[i];
	}
	if (hg == NULL)
		return;
	for (i = 0; i < pl->pl_n; i++) {
		v = &pl->pl_verdicts[i];
		if (v->pv_reason != PLAN_WAITING || v->pv_changes == 0)
			continue;
		t = hp_visible_at(hp, gr, v->pv_changes);
		if (t == 0 || t > end)
			continue;
		hg->hg_ripe = xreallocarray(hg->hg_ripe, hg->hg_n + 1,
		    sizeof *hg->hg_ripe);
		r = &hg->hg_ripe[hg->hg_n++];
		r->hr_label = hp_label(mi, &fa->fa_pkgs[i]);
		r->hr_mirror = mi->mi_name;
		r->hr_at = t;
	}
}

/* "Jan 24 12:00", for a label in a timeline. */
static const char *
hp_day(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%b %d %H:%M",
	    &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
	return buf;
}

static int
hp_svg_x(struct hp_page *hp, time_t t)
{
	long long	span = HP_DAYS * 86400LL, d = t - hp->hp_now;

	if (d < 0)
		d = 0;
	if (d > span)
		d = span;
	return HP_SVG_PAD + (int)(d * (HP_SVG_W - 2 * HP_SVG_PAD) / span);
}

/*
 * The next HP_DAYS as an axis with a tick a day and a date a week, and
 * one row per version at the time it becomes visible, labelled beside
 * its dot; each dot's title says all.
 */
static void
hp_svg(struct hp_page *hp, const struct group *gr, const struct hp_ripe *v,
    size_t n)
{
	struct buf	*b = &hp->hp_out;
	size_t		 rows = n < HP_ROWS_MAX ? n : HP_ROWS_MAX, i;
	int		 h, x, y, d, right;
	char		 s[32];
	struct tm	 tm;
	time_t		 t;

	h = HP_SVG_AXIS + (int)rows * HP_SVG_ROW + 12;
	buf_addf(b, "<svg class=timeline viewBox=\"0 0 %d %d\" role=img "
	    "aria-labelledby=\"tl-", HP_SVG_W, h);
	hp_esc(b, gr->gr_name);
	buf_adds(b, "\"><title id=\"tl-");
	hp_esc(b, gr->gr_name);
	buf_adds(b, "\">What group ");
	hp_esc(b, gr->gr_name);
	buf_addf(b, " sees next, over %d days</title>", HP_DAYS);
	/* The axis. */
	buf_addf(b, "<line class=axis x1=%d y1=%d x2=%d y2=%d />", HP_SVG_PAD,
	    HP_SVG_AXIS - 8, HP_SVG_W - HP_SVG_PAD, HP_SVG_AXIS - 8);
	for (d = 0; d <= HP_DAYS; d++) {
		x = hp_svg_x(hp, hp->hp_now + d * 86400);
		buf_addf(b, "<line class=tick x1=%d y1=%d x2=%d y2=%d />", x,
		    d % 7 == 0 ? HP_SVG_AXIS - 16 : HP_SVG_AXIS - 12, x,
		    d % 7 == 0 ? h : HP_SVG_AXIS - 8);
		if (d % 7 != 0)
			continue;
		t = hp->hp_now + d * 86400;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(s, sizeof s, "%b %d", &tm) == 0)
			snprintf(s, sizeof s, "+%dd", d);
		buf_addf(b, "<text class=day x=%d y=%d text-anchor=%s>%s"
		    "</text>", x, HP_SVG_AXIS - 22, d == 0 ? "start" :
		    d == HP_DAYS ? "end" : "middle", d == 0 ? "now" : s);
	}
	for (i = 0; i < rows; i++) {
		x = hp_svg_x(hp, v[i].hr_at);
		y = HP_SVG_AXIS + (int)i * HP_SVG_ROW + HP_SVG_ROW / 2;
		right = x > HP_SVG_W * 6 / 10;
		buf_addf(b, "<g class=ripe><line class=stem x1=%d y1=%d "
		    "x2=%d y2=%d /><circle cx=%d cy=%d r=6><title>", x,
		    HP_SVG_AXIS - 8, x, y, x, y);
		hp_esc(b, v[i].hr_label);
		hp_escf(b, " (%s): visible from %s UTC", v[i].hr_mirror,
		    hp_short(v[i].hr_at, s, sizeof s));
		buf_addf(b, "</title></circle><text x=%d y=%d text-anchor=%s>",
		    right ? x - 12 : x + 12, y + 5, right ? "end" : "start");
		hp_esc(b, v[i].hr_label);
		buf_addf(b, "<tspan class=when> %s</tspan></text></g>",
		    hp_day(v[i].hr_at, s, sizeof s));
	}
	buf_adds(b, "</svg>\n");
}

/* Per group, the timeline and the list of what ripens in HP_DAYS. */
static void
hp_timelines(struct hp_page *hp)
{
	struct buf	*b = &hp->hp_out;
	struct group	*gr;
	struct hp_ripe	*v;
	size_t		 n, i, k;
	char		 s[32];

	buf_addf(b, "<section id=ripening><h2>Ripening, next %d days</h2>\n",
	    HP_DAYS);
	for (k = 0; k < hp->hp_ngroups; k++) {
		gr = hp->hp_groups[k].hg_group;
		v = hp->hp_groups[k].hg_ripe;
		n = hp->hp_groups[k].hg_n;
		if (n > 0)
			qsort(v, n, sizeof *v, hp_ripe_cmp);
		buf_adds(b, "<article class=card id=\"ripe-");
		hp_esc(b, gr->gr_name);
		buf_adds(b, "\"><h3>");
		hp_esc(b, gr->gr_name);
		buf_addf(b, " <span class=dim>%zu version%s</span></h3>\n", n,
		    n == 1 ? "" : "s");
		if (n == 0) {
			buf_adds(b, "<p class=dim>Nothing ripens for ");
			hp_esc(b, gr->gr_name);
			buf_addf(b, " in the next %d days.</p>", HP_DAYS);
			buf_adds(b, "</article>\n");
			continue;
		}
		buf_adds(b, "<div class=scroll>");
		hp_svg(hp, gr, v, n);
		buf_adds(b, "</div>");
		if (n > HP_ROWS_MAX)
			buf_addf(b, "<p class=dim>The timeline shows the "
			    "first %d; all %zu are listed below.</p>",
			    HP_ROWS_MAX, n);
		buf_adds(b, "<details><summary>List</summary><div class=scroll>"
		    "<table><tr><th>visible from (UTC)<th>version<th>mirror"
		    "</tr>\n");
		for (i = 0; i < n && i < HP_LIST_MAX; i++) {
			buf_addf(b, "<tr><td data-label=\"visible from\">%s"
			    "<td data-label=version>", hp_short(v[i].hr_at, s,
			    sizeof s));
			hp_esc(b, v[i].hr_label);
			buf_adds(b, "<td data-label=mirror>");
			hp_esc(b, v[i].hr_mirror);
			buf_adds(b, "</tr>\n");
		}
		buf_adds(b, "</table></div></details></article>\n");
	}
	buf_adds(b, "</section>\n");
}

/* --- sections ------------------------------------------------------------ */

static const char hp_css[] =
	":root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1b1f24;--card:#fff;"
	"--line:#d0d7de;--dim:#57606a;--ok:#1a7f37;--bad:#cf222e;"
	"--warn:#9a6700;"
	"--accent:#0969da}"
	"@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;"
	"--card:#161b22;--line:#30363d;--dim:#8d96a0;--ok:#3fb950;"
	"--bad:#f85149;"
	"--warn:#d29922;--accent:#58a6ff}}"
	"html{font-size:clamp(15px,0.6vw + 10px,32px)}"
	"body{margin:0;background:var(--bg);color:var(--fg);"
	"font:1rem/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}"
	"header,main{padding:0 clamp(.6rem,2vw,2.5rem)}"
	"header{display:flex;flex-wrap:wrap;align-items:baseline;"
	"gap:.2rem 1.2rem;padding-top:.8rem}"
	"h1{font-size:1.6rem;margin:0}"
	"h2{font-size:1.3rem;margin:1.4rem 0 .6rem}"
	"h3{font-size:1.1rem;margin:0 0 .4rem}"
	".dim{color:var(--dim);font-weight:normal}"
	".tiles{display:flex;flex-wrap:wrap;gap:.5rem;margin:.8rem 0 0}"
	".tile{background:var(--card);border:1px solid var(--line);"
	"border-radius:.5rem;padding:.3rem .8rem}"
	".tile b{font-size:1.4rem;margin-right:.3rem}"
	".grid{display:grid;gap:.8rem;grid-template-columns:repeat(auto-fit,"
	"minmax(min(100%,22rem),1fr))}"
	".card{background:var(--card);border:1px solid var(--line);"
	"border-radius:.5rem;padding:.7rem .9rem;margin-bottom:.8rem;"
	"min-width:0}"
	".grid .card{margin:0}"
	".card.bad{border-left:.35rem solid var(--bad)}"
	".card.ok{border-left:.35rem solid var(--ok)}"
	".card.never{border-left:.35rem solid var(--dim)}"
	".badge{display:inline-block;border-radius:1rem;padding:0 .55rem;"
	"font-size:.8rem;font-weight:600;color:#fff;background:var(--dim);"
	"vertical-align:middle}"
	".badge.ok{background:var(--ok)}.badge.bad{background:var(--bad)}"
	".badge.warn{background:var(--warn)}"
	"dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;"
	"margin:.3rem 0}dt{color:var(--dim)}dd{margin:0;min-width:0}"
	"pre.err{white-space:pre-wrap;overflow-wrap:anywhere;margin:.4rem 0 0;"
	"padding:.5rem;border-radius:.3rem;background:color-mix(in srgb,"
	"var(--bad) 10%,transparent);border:1px solid var(--bad);"
	"font-size:.85rem}"
	".counts{display:flex;flex-wrap:wrap;gap:.2rem .9rem;margin:.2rem 0}"
	".n b{font-size:1.15rem}.n.warn b{color:var(--warn)}.n.bad b{color:"
	"var(--bad)}.n.ok b{color:var(--ok)}"
	".view{border-top:1px solid var(--line);padding:.4rem 0}"
	".scroll{overflow-x:auto}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:.25rem .6rem .25rem 0;border-bottom:1px "
	"solid var(--line);vertical-align:top;overflow-wrap:anywhere}"
	"th{color:var(--dim);font-weight:600;font-size:.85rem}"
	"td.num{text-align:right}"
	"svg.timeline{width:100%;min-width:34rem;max-width:64rem;height:auto;"
	"display:block;margin:.3rem 0}"
	"svg .axis{stroke:var(--fg);stroke-width:2}"
	"svg .tick{stroke:var(--line);stroke-width:1}"
	"svg .day{fill:var(--dim);font-size:15px}"
	"svg .stem{stroke:var(--accent);stroke-width:1;stroke-dasharray:3 3;"
	"opacity:.5}"
	"svg circle{fill:var(--accent)}"
	"svg .ripe text{fill:var(--fg);font-size:15px}"
	"svg .when{fill:var(--dim)}"
	"details summary{cursor:pointer;color:var(--accent)}"
	"footer{color:var(--dim);font-size:.8rem;padding:1rem clamp(.6rem,2vw,"
	"2.5rem)}"
	"@media (max-width:40rem){h1{font-size:1.3rem}"
	".tile b{font-size:1.15rem}"
	"table,tbody,tr,td{display:block}tr:first-child{display:none}"
	"tr{border-bottom:1px solid var(--line);padding:.3rem 0}"
	"td{border:0;padding:.05rem 0;text-align:left!important}"
	"td[data-label]::before{content:attr(data-label);display:inline-block;"
	"min-width:8.5rem;color:var(--dim);font-size:.85rem}"
	"td:empty{display:none}}";

static void
hp_head(struct hp_page *hp)
{
	struct buf	*b = &hp->hp_out;
	char		 iso[32], s[32];

	buf_addf(b, "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
	    "<meta name=viewport "
	    "content=\"width=device-width,initial-scale=1\">"
	    "<meta http-equiv=refresh content=%d>"
	    "<title>patchgate status</title>\n<style>%s</style></head>\n"
	    "<body><header><h1>patchgate</h1><span class=dim>status at "
	    "<time datetime=\"%s\">%s UTC</time></span></header>\n",
	    HP_REFRESH, hp_css, time_format(hp->hp_now, iso, sizeof iso),
	    hp_short(hp->hp_now, s, sizeof s));
}

/* The figures an admin looks at first, from the other sections' documents. */
static void
hp_tiles(struct hp_page *hp)
{
	struct buf	*b = &hp->hp_out;
	json_t		*o, *g;
	size_t		 i, nm = 0, nbad = 0, nholds = 0, nmach = 0, nnon = 0;
	size_t		 nstale = 0, nlost = 0;

	json_array_foreach(json_object_get(hp->hp_status, "mirrors"), i, o) {
		nm++;
		nbad += hp_str(o, "error") != NULL;
	}
	json_array_foreach(json_object_get(hp->hp_status, "views"), i, o)
		nlost += hp_int(o, "lost");
	json_array_foreach(json_object_get(hp->hp_status, "holds"), i, o) {
		if (hp_str(o, "state") != NULL &&
		    strcmp(hp_str(o, "state"), "active") == 0)
			nholds++;
	}
	json_array_foreach(json_object_get(hp->hp_compliance, "groups"), i, g) {
		o = json_object_get(g, "summary");
		nmach += hp_int(o, "machines");
		nnon += hp_int(o, "non_compliant");
		nstale += hp_int(o, "stale");
	}
	buf_adds(b, "<main><div class=tiles>");
	buf_addf(b, "<span class=tile><b>%zu</b>mirrors</span>", nm);
	buf_addf(b, "<span class=tile><b%s>%zu</b>failing</span>",
	    nbad ? " style=\"color:var(--bad)\"" : "", nbad);
	buf_addf(b, "<span class=tile><b%s>%zu</b>lost</span>",
	    nlost ? " style=\"color:var(--bad)\"" : "", nlost);
	buf_addf(b, "<span class=tile><b>%zu</b>holds</span>", nholds);
	if (hp->hp_compliance != NULL) {
		buf_addf(b, "<span class=tile><b>%zu</b>machines</span>",
		    nmach);
		buf_addf(b, "<span class=tile><b%s>%zu</b>non-compliant</span>",
		    nnon ? " style=\"color:var(--bad)\"" : "", nnon);
		buf_addf(b, "<span class=tile><b%s>%zu</b>stale</span>",
		    nstale ? " style=\"color:var(--warn)\"" : "", nstale);
	}
	buf_adds(b, "</div>\n");
}

static void
hp_mirrors(struct hp_page *hp)
{
	struct buf	*b = &hp->hp_out;
	json_t		*m, *run;
	const char	*err, *cls, *what;
	long long	 ms;
	size_t		 i;
	char		 age[32];

	buf_adds(b, "<section id=mirrors><h2>Mirrors</h2><div class=grid>\n");
	json_array_foreach(json_object_get(hp->hp_status, "mirrors"), i, m) {
		err = hp_str(m, "error");
		if (err != NULL) {
			cls = "bad";
			what = "sync failed";
		} else if (hp_str(m, "last_attempt") == NULL) {
			cls = "never";
			what = "never synced";
		} else {
			cls = "ok";
			what = "ok";
		}
		buf_addf(b, "<article class=\"card %s\" id=\"mirror-", cls);
		hp_esc(b, hp_str(m, "name"));
		buf_adds(b, "\"><h3>");
		hp_esc(b, hp_str(m, "name"));
		buf_addf(b, " <span class=\"badge %s\">%s</span> "
		    "<span class=dim>", cls, what);
		hp_esc(b, hp_str(m, "type"));
		buf_adds(b, "</span></h3><dl><dt>last sync<dd>");
		hp_jtime(hp, m, "last_sync", "never");
		if ((ms = json_is_integer(json_object_get(m,
		    "last_sync_duration_ms")) ? hp_int(m,
		    "last_sync_duration_ms") : -1) >= 0)
			buf_addf(b, ", took %s", ms < 1000 ? "under 1s" :
			    cli_age(ms / 1000, age, sizeof age));
		buf_adds(b, "<dt>last attempt<dd>");
		hp_jtime(hp, m, "last_attempt", "never");
		buf_addf(b, "<dt>versions<dd>%lld, %lld listed upstream",
		    hp_int(m, "versions"), hp_int(m, "upstream"));
		run = json_object_get(m, "last_run");
		if (json_is_object(run) && hp_str(run, "kind") != NULL &&
		    strcmp(hp_str(run, "kind"), "sync") != 0 &&
		    hp_str(run, "error") != NULL) {
			buf_adds(b, "<dt>last ");
			hp_esc(b, hp_str(run, "kind"));
			buf_adds(b, "<dd>failed ");
			hp_jtime(hp, run, "started", "-");
		}
		buf_adds(b, "</dl>");
		if (err != NULL) {
			buf_adds(b, "<pre class=err>");
			hp_esc(b, err);
			buf_adds(b, "</pre>");
		}
		if (json_is_object(run) && hp_str(run, "kind") != NULL &&
		    strcmp(hp_str(run, "kind"), "sync") != 0 &&
		    hp_str(run, "error") != NULL) {
			buf_adds(b, "<pre class=err>");
			hp_esc(b, hp_str(run, "error"));
			buf_adds(b, "</pre>");
		}
		buf_adds(b, "</article>\n");
	}
	buf_adds(b, "</div></section>\n");
}

/* One group x mirror: generation, the planner's counts, the next change. */
static void
hp_view(struct hp_page *hp, json_t *v)
{
	struct buf	*b = &hp->hp_out;

	buf_adds(b, "<div class=view><b>");
	hp_esc(b, hp_str(v, "mirror"));
	buf_adds(b, "</b> <span class=dim>");
	if (hp_str(v, "generation") != NULL)
		hp_esc(b, hp_str(v, "generation"));
	else
		buf_adds(b, "no generation yet");
	buf_adds(b, "</span>");
	if (!json_is_true(json_object_get(v, "planned"))) {
		buf_adds(b, "<p class=dim>never synced</p></div>\n");
		return;
	}
	buf_adds(b, "<div class=counts>");
	hp_count(b, hp_int(v, "visible"), "visible", NULL);
	hp_count(b, hp_int(v, "listed"), "listed", NULL);
	hp_count(b, hp_int(v, "waiting"), "waiting", "warn");
	hp_count(b, hp_int(v, "held"), "held", "warn");
	hp_count(b, hp_int(v, "dep_held"), "held back for dependencies",
	    "warn");
	hp_count(b, hp_int(v, "rejected"), "rejected", NULL);
	hp_count(b, hp_int(v, "lost"), "lost", "bad");
	hp_count(b, hp_int(v, "at_risk"), "at risk", "warn");
	buf_adds(b, "</div><dl><dt>published<dd>");
	hp_jtime(hp, v, "published", "-");
	buf_adds(b, "<dt>next change<dd>");
	hp_jtime(hp, v, "next_change", "none planned");
	buf_adds(b, "</dl></div>\n");
}

static void
hp_groups(struct hp_page *hp)
{
	struct buf	*b = &hp->hp_out;
	struct group	*gr;
	json_t		*v;
	size_t		 i, w;

	buf_adds(b, "<section id=groups><h2>Groups</h2><div class=grid>\n");
	TAILQ_FOREACH(gr, &hp->hp_cl->cl_cf->cf_groups, gr_entry) {
		buf_adds(b, "<article class=card id=\"group-");
		hp_esc(b, gr->gr_name);
		buf_adds(b, "\"><h3>");
		hp_esc(b, gr->gr_name);
		buf_adds(b, " <span class=dim>baseline ");
		hp_esc(b, gr->gr_baseline_name);
		buf_adds(b, "</span></h3>");
		for (w = 0; w < gr->gr_nwindows; w++) {
			buf_adds(b, "<p class=dim>window ");
			hp_esc(b, gr->gr_windows[w].wi_text);
			buf_adds(b, "</p>");
		}
		json_array_foreach(json_object_get(hp->hp_status, "views"), i,
		    v) {
			if (hp_str(v, "group") != NULL &&
			    strcmp(hp_str(v, "group"), gr->gr_name) == 0)
				hp_view(hp, v);
		}
		buf_adds(b, "</article>\n");
	}
	buf_adds(b, "</div></section>\n");
}

static void
hp_holds(struct hp_page *hp)
{
	struct buf	*b = &hp->hp_out;
	json_t		*h, *a = json_object_get(hp->hp_status, "holds");
	const char	*state;
	size_t		 i;

	buf_adds(b, "<section id=holds><h2>Holds</h2>\n");
	if (json_array_size(a) == 0) {
		buf_adds(b, "<p class=dim>No holds.</p></section>\n");
		return;
	}
	buf_adds(b, "<div class=scroll><table><tr><th>pattern<th>group<th>state"
	    "<th>until<th>reason<th>created</tr>\n");
	json_array_foreach(a, i, h) {
		state = hp_str(h, "state") != NULL ? hp_str(h, "state") : "";
		buf_adds(b, "<tr><td data-label=pattern><code>");
		hp_esc(b, hp_str(h, "pattern"));
		buf_adds(b, "</code><td data-label=group>");
		hp_esc(b, hp_str(h, "group") != NULL ? hp_str(h, "group") :
		    "every group");
		buf_addf(b, "<td data-label=state><span class=\"badge %s\">",
		    strcmp(state, "active") == 0 ? "warn" : "");
		hp_esc(b, state);
		buf_adds(b, "</span><td data-label=until>");
		hp_jtime(hp, h, "until", "until removed");
		buf_adds(b, "<td data-label=reason>");
		hp_esc(b, hp_str(h, "reason"));
		buf_adds(b, "<td data-label=created>");
		hp_jtime(hp, h, "created", "-");
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</table></div></section>\n");
}

static void
hp_snapshots(struct hp_page *hp)
{
	struct buf	*b = &hp->hp_out;
	json_t		*s, *m, *a;
	size_t		 i, k;

	buf_adds(b, "<section id=snapshots><h2>Snapshots</h2>\n");
	if (hp->hp_snapshots == NULL) {
		buf_adds(b, "<p class=dim>The snapshots could not be read (see "
		    "the daemon's log).</p></section>\n");
		return;
	}
	a = json_object_get(hp->hp_snapshots, "snapshots");
	if (json_array_size(a) == 0) {
		buf_adds(b, "<p class=dim>No snapshots.</p></section>\n");
		return;
	}
	buf_adds(b, "<div class=scroll><table><tr><th>name<th>group<th>created"
	    "<th>mirrors</tr>\n");
	json_array_foreach(a, i, s) {
		buf_adds(b, "<tr><td data-label=name><b>");
		hp_esc(b, hp_str(s, "name"));
		buf_adds(b, "</b><td data-label=group>");
		hp_esc(b, hp_str(s, "group"));
		buf_adds(b, "<td data-label=created>");
		hp_jtime(hp, s, "created", "-");
		buf_adds(b, "<td data-label=mirrors>");
		json_array_foreach(json_object_get(s, "mirrors"), k, m) {
			buf_addf(b, "%s<code>", k > 0 ? "<br>" : "");
			hp_esc(b, hp_str(m, "path"));
			buf_addf(b, "</code> <span class=dim>%lld "
			    "versions</span>", hp_int(m, "versions"));
		}
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</table></div></section>\n");
}

/* One machine's row: its state and its packages' counts by state. */
static void
hp_machine(struct hp_page *hp, json_t *g, json_t *m)
{
	struct buf	*b = &hp->hp_out;
	json_t		*c = json_object_get(m, "counts");
	const char	*st = hp_str(m, "status");
	int		 stale = json_is_true(json_object_get(m, "stale"));

	if (st == NULL)
		st = "";
	buf_adds(b, "<tr><td data-label=host><b>");
	hp_esc(b, hp_str(m, "host"));
	buf_adds(b, "</b><td data-label=group>");
	hp_esc(b, hp_str(g, "group"));
	buf_addf(b, "<td data-label=state><span class=\"badge %s\">",
	    strcmp(st, "COMPLIANT") == 0 ? "ok" : "bad");
	hp_esc(b, st);
	buf_adds(b, "</span>");
	if (stale)
		buf_adds(b, " <span class=\"badge warn\">STALE</span>");
	buf_adds(b, "<td data-label=\"last report\">");
	hp_jtime(hp, m, "received", "-");
	if (json_is_object(c))
		buf_addf(b, "<td class=num data-label=Missing>%lld"
		    "<td class=num data-label=InstalledRejected>%lld"
		    "<td class=num data-label=NotYetApproved>%lld"
		    "<td class=num data-label=Installed>%lld",
		    hp_int(c, "Missing"),
		    hp_int(c, "InstalledRejected"), hp_int(c, "NotYetApproved"),
		    hp_int(c, "Installed") + hp_int(c, "InstalledOther"));
	else {
		buf_adds(b, "<td colspan=4>");
		hp_esc(b, hp_str(m, "error"));
	}
	buf_addf(b, "<td data-label=reboot>%s</tr>\n",
	    json_is_true(json_object_get(m, "reboot_required")) ? "pending" :
	    "");
}

static void
hp_compliance(struct hp_page *hp)
{
	struct buf	*b = &hp->hp_out;
	json_t		*g, *s, *x, *m, *a;
	size_t		 i, k, nmach = 0;

	buf_adds(b, "<section id=compliance><h2>Compliance</h2>\n");
	if (hp->hp_compliance == NULL) {
		buf_adds(b, "<p class=dim>Compliance could not be computed "
		    "(see the daemon's log).</p></section>\n");
		return;
	}
	a = json_object_get(hp->hp_compliance, "groups");
	buf_adds(b, "<div class=grid>\n");
	json_array_foreach(a, i, g) {
		s = json_object_get(g, "summary");
		x = json_object_get(g, "exposure");
		nmach += hp_int(s, "machines");
		buf_adds(b, "<article class=card id=\"compliance-");
		hp_esc(b, hp_str(g, "group"));
		buf_adds(b, "\"><h3>");
		hp_esc(b, hp_str(g, "group"));
		buf_addf(b, " <span class=dim>%lld machine%s</span></h3>"
		    "<div class=counts>", hp_int(s, "machines"),
		    hp_int(s, "machines") == 1 ? "" : "s");
		hp_count(b, hp_int(s, "compliant"), "compliant", "ok");
		hp_count(b, hp_int(s, "non_compliant"), "non-compliant", "bad");
		hp_count(b, hp_int(s, "stale"), "stale", "warn");
		buf_addf(b, "</div><p>%lld missing a security fix the view "
		    "offers; %lld waiting on one the baseline holds back",
		    hp_int(x, "missing_security"),
		    hp_int(x, "waiting_security"));
		if (hp_str(x, "waiting_until") != NULL) {
			buf_adds(b, ", until ");
			hp_jtime(hp, x, "waiting_until", "-");
		}
		buf_adds(b, ".</p></article>\n");
	}
	buf_adds(b, "</div>\n");
	if (nmach == 0) {
		buf_adds(b, "<p class=dim>No machine has reported.</p>"
		    "</section>\n");
		return;
	}
	buf_adds(b, "<div class=scroll><table><tr><th>host<th>group<th>state"
	    "<th>last report<th>Missing<th>Installed&shy;Rejected"
	    "<th>NotYet&shy;Approved<th>Installed<th>reboot</tr>\n");
	json_array_foreach(a, i, g) {
		json_array_foreach(json_object_get(g, "machines"), k, m)
			hp_machine(hp, g, m);
	}
	buf_adds(b, "</table></div></section>\n");
}

static void
hp_render(struct hp_page *hp)
{
	struct buf	*b = &hp->hp_out;

	hp_head(hp);
	hp_tiles(hp);
	hp_mirrors(hp);
	hp_groups(hp);
	hp_timelines(hp);
	hp_holds(hp);
	hp_snapshots(hp);
	hp_compliance(hp);
	buf_addf(b, "</main><footer>patchgate %s. The page refreshes every %d "
	    "seconds; times are UTC. The same figures: <code>patchgate status "
	    "--json</code>, <code>/_api/v1/status</code>.</footer></body>"
	    "</html>\n", PACKAGE_VERSION, HP_REFRESH);
}

int
cli_status_html(struct cli *cl)
{
	struct hp_page	 hp;
	struct group	*gr;
	size_t		 i, k;
	int		 rc = CLI_ERROR;

	memset(&hp, 0, sizeof hp);
	hp.hp_cl = cl;
	hp.hp_now = cl->cl_ix.ix_now;
	buf_init(&hp.hp_out);
	TAILQ_FOREACH(gr, &cl->cl_cf->cf_groups, gr_entry) {
		hp.hp_groups = xreallocarray(hp.hp_groups, hp.hp_ngroups + 1,
		    sizeof *hp.hp_groups);
		memset(&hp.hp_groups[hp.hp_ngroups], 0, sizeof *hp.hp_groups);
		hp.hp_groups[hp.hp_ngroups++].hg_group = gr;
	}
	/* One planning of each view for the counts and the timelines. */
	if ((hp.hp_status = cli_status_json(cl, hp_plan_seen, &hp)) == NULL)
		goto out;
	/* A page without these still says what status says. */
	hp.hp_snapshots = cli_snapshots_json(cl);
	hp.hp_compliance = cli_compliance_json(cl);
	hp_render(&hp);
	if (fwrite(hp.hp_out.b_data, 1, hp.hp_out.b_len, stdout) !=
	    hp.hp_out.b_len || fflush(stdout) != 0) {
		log_warnx("standard output: cannot write");
		goto out;
	}
	rc = CLI_OK;
out:
	json_decref(hp.hp_status);
	json_decref(hp.hp_snapshots);
	json_decref(hp.hp_compliance);
	for (i = 0; i < hp.hp_ngroups; i++) {
		for (k = 0; k < hp.hp_groups[i].hg_n; k++)
			free(hp.hp_groups[i].hg_ripe[k].hr_label);
		free(hp.hp_groups[i].hg_ripe);
	}
	free(hp.hp_groups);
	buf_free(&hp.hp_out);
	return rc;
}
