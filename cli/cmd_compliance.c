/*
 * patchgate compliance [GROUP] [--host H] [--json]: which machines are
 * patched.  Each machine reports its installed packages to patchgated
 * (POST /GROUP/_report/HOST, stored under STORE/reports/GROUP/HOST/); this
 * command sets the latest report of each against what the planner says
 * the group's view holds now (facts_plan_served, as publishing does), and
 * gives each installed package Patch Manager's state:
 *
 *	Installed		the newest version the view offers
 *	InstalledOther		installed, but no mirror of the group has it
 *	InstalledRejected	installed although the baseline rejects it
 *	Missing			a newer version is in the view
 *	NotYetApproved		a newer version exists, the baseline holds it
 *				back (with the time it ripens, when a rule
 *				will let it in)
 *
 * A machine is COMPLIANT without Missing and InstalledRejected packages,
 * and STALE, whatever it is, when its last report is older than
 * report-stale.  Local names carry cc_.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "clock.h"
#include "inventory.h"
#include "log.h"
#include "planner.h"
#include "util.h"
#include "vercmp.h"
#include "visibility.h"
#include "xmalloc.h"

static int	cmd_compliance_exec(struct cli *, const struct cli_cmd *, int,
		    char **);

const struct cli_cmd cmd_compliance_entry = {
	"compliance", "[--json] [--host hostname] [group]",
	cmd_compliance_exec
};

static const struct option cc_options[] = {
	{ "json",	no_argument,		NULL,	'j' },
	{ "host",	required_argument,	NULL,	'H' },
	{ NULL,		0,			NULL,	0 }
};

enum cc_state {
	CC_INSTALLED,
	CC_OTHER,
	CC_REJECTED,
	CC_MISSING,
	CC_NOT_YET,
	CC_NSTATES
};

static const char *const cc_state_names[CC_NSTATES] = {
	"Installed", "InstalledOther", "InstalledRejected", "Missing",
	"NotYetApproved"
};

/* A mirror's facts, loaded once, with its versions sorted by name. */
struct cc_mirror {
	struct mirror	*cm_mirror;
	struct facts	 cm_facts;
	size_t		*cm_byname;
	int		 cm_loaded;
};

/* A mirror of the group being looked at, with the planner's answer. */
struct cc_view {
	struct cc_mirror	*cv_cm;
	struct plan		*cv_plan;
};

/* One installed package's verdict. */
struct cc_pkg {
	const struct inv_pkg	*cp_ip;
	enum cc_state		 cp_state;
	const struct pub_pkg	*cp_newest;	/* listed; NULL: none */
	const struct cc_view	*cp_newest_view;
	const struct pub_pkg	*cp_pending;	/* newer, held back; NULL: none */
	time_t			 cp_ripens;	/* of cp_pending; 0: no date */
	int			 cp_pending_security;
};

/* An advisory behind a machine's Missing packages. */
struct cc_adv {
	const struct vis_advisory	*ca_va;
	char				**ca_pkgs;	/* "name version" */
	size_t				  ca_npkgs;
};

struct cc_machine {
	char			*cm_host;
	struct inventory	*cm_inv;	/* NULL: unreadable */
	char			*cm_error;
	time_t			 cm_received;
	struct cc_pkg		*cm_pkgs;
	size_t			 cm_counts[CC_NSTATES];
	struct cc_adv		*cm_advs;
	size_t			 cm_nadvs;
	int			 cm_stale;
	int			 cm_compliant;
	int			 cm_missing_security;
	int			 cm_waiting_security;
	time_t			 cm_waiting_until;
};

static struct facts	*cc_sort_facts;

static int
cc_name_cmp(const void *a, const void *b)
{
	return strcmp(cc_sort_facts->fa_pkgs[*(const size_t *)a].pp_name,
	    cc_sort_facts->fa_pkgs[*(const size_t *)b].pp_name);
}

static int
cc_load(struct cli *cl, struct cc_mirror *cm)
{
	size_t	i;

	if (cm->cm_loaded)
		return 0;
	if (cli_facts(cl, cm->cm_mirror, &cm->cm_facts) != 0)
		return -1;
	cm->cm_byname = xcalloc(cm->cm_facts.fa_npkgs + 1,
	    sizeof *cm->cm_byname);
	for (i = 0; i < cm->cm_facts.fa_npkgs; i++)
		cm->cm_byname[i] = i;
	cc_sort_facts = &cm->cm_facts;
	qsort(cm->cm_byname, cm->cm_facts.fa_npkgs, sizeof *cm->cm_byname,
	    cc_name_cmp);
	cm->cm_loaded = 1;
	return 0;
}

/* The first index of cm_byname whose version is named name. */
static size_t
cc_first(const struct cc_mirror *cm, const char *name)
{
	size_t	lo = 0, hi = cm->cm_facts.fa_npkgs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(cm->cm_facts.fa_pkgs[cm->cm_byname[mid]].pp_name,
		    name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
cc_arch_ok(enum mirror_type t, const char *a, const char *b)
{
	const char	*any = t == MIRROR_APT ? "all" : "noarch";

	return strcmp(a, b) == 0 || strcmp(a, any) == 0 || strcmp(b, any) == 0;
}

/* A mirror's version against an installed one: <0, 0, >0. */
static int
cc_cmp_inst(enum mirror_type t, const struct pub_pkg *pp,
    const struct inv_pkg *ip)
{
	if (t == MIRROR_APT)
		return deb_vercmp(pp->pp_version, ip->ip_version);
	return rpm_evrcmp(pp->pp_epoch, pp->pp_version, pp->pp_release,
	    ip->ip_epoch, ip->ip_version, ip->ip_release);
}

static int
cc_cmp_pkgs(enum mirror_type t, const struct pub_pkg *a,
    const struct pub_pkg *b)
{
	if (t == MIRROR_APT)
		return deb_vercmp(a->pp_version, b->pp_version);
	return rpm_evrcmp(a->pp_epoch, a->pp_version, a->pp_release,
	    b->pp_epoch, b->pp_version, b->pp_release);
}

/* "1.1-1", "2:1.1-1" (rpm), the version as it is (dpkg); caller-freed. */
static char *
cc_version(const char *epoch, const char *version, const char *release)
{
	char	*s;

	if (release == NULL)
		return xstrdup(version);
	if (epoch != NULL && strcmp(epoch, "0") != 0 && *epoch != '\0')
		xasprintf(&s, "%s:%s-%s", epoch, version, release);
	else
		xasprintf(&s, "%s-%s", version, release);
	return s;
}

static int
cc_is_security(const struct vis_advisory *va)
{
	return va->va_type != NULL && strcasecmp(va->va_type, "security") == 0;
}

/* Records va as behind a Missing package of m. */
static void
cc_add_adv(struct cc_machine *m, const struct vis_advisory *va,
    const char *pkg)
{
	struct cc_adv	*ca = NULL;
	size_t		 i;

	for (i = 0; i < m->cm_nadvs; i++) {
		if (strcmp(m->cm_advs[i].ca_va->va_id, va->va_id) == 0) {
			ca = &m->cm_advs[i];
			break;
		}
	}
	if (ca == NULL) {
		m->cm_advs = xreallocarray(m->cm_advs, m->cm_nadvs + 1,
		    sizeof *m->cm_advs);
		ca = &m->cm_advs[m->cm_nadvs++];
		memset(ca, 0, sizeof *ca);
		ca->ca_va = va;
	}
	for (i = 0; i < ca->ca_npkgs; i++) {
		if (strcmp(ca->ca_pkgs[i], pkg) == 0)
			return;
	}
	ca->ca_pkgs = xreallocarray(ca->ca_pkgs, ca->ca_npkgs + 1,
	    sizeof *ca->ca_pkgs);
	ca->ca_pkgs[ca->ca_npkgs++] = xstrdup(pkg);
}

/* Whether the baseline's rejected patterns name the installed version. */
static int
cc_rejected(const struct group *gr, enum mirror_type t,
    const struct inv_pkg *ip)
{
	const struct baseline	*bl = gr->gr_baseline;
	struct vis_package	 vp;
	size_t			 i;

	memset(&vp, 0, sizeof vp);
	vp.vp_format = t;
	vp.vp_name = ip->ip_name;
	vp.vp_arch = ip->ip_arch;
	vp.vp_epoch = ip->ip_epoch;
	vp.vp_version = ip->ip_version;
	vp.vp_release = ip->ip_release;
	for (i = 0; bl != NULL && i < bl->bl_nrejected; i++) {
		if (visibility_pattern_matches(bl->bl_rejected[i], &vp))
			return 1;
	}
	return 0;
}

/* Hidden for now, not for good: a rule, a hold or a dependency waits. */
static int
cc_held_back(enum plan_reason r)
{
	return r == PLAN_WAITING || r == PLAN_NO_RULE || r == PLAN_HELD ||
	    r == PLAN_NEEDS_HIDDEN;
}

/* Decides the state of one installed package of m in gr's views. */
static void
cc_judge(struct cc_machine *m, const struct group *gr, enum mirror_type t,
    struct cc_view *views, size_t nviews, struct cc_pkg *cp)
{
	const struct inv_pkg		*ip = cp->cp_ip;
	const struct pub_pkg		*pp;
	const struct plan_verdict	*v;
	struct cc_view			*cv;
	struct facts			*fa;
	char				*label;
	size_t				 i, j, k;
	int				 exact = 0, rejected = 0, c;

	for (i = 0; i < nviews; i++) {
		cv = &views[i];
		fa = &cv->cv_cm->cm_facts;
		for (j = cc_first(cv->cv_cm, ip->ip_name); j < fa->fa_npkgs;
		    j++) {
			pp = &fa->fa_pkgs[cv->cv_cm->cm_byname[j]];
			if (strcmp(pp->pp_name, ip->ip_name) != 0)
				break;
			if (!cc_arch_ok(t, pp->pp_arch, ip->ip_arch))
				continue;
			v = &cv->cv_plan->pl_verdicts[cv->cv_cm->cm_byname[j]];
			c = cc_cmp_inst(t, pp, ip);
			if (c == 0) {
				exact = 1;
				if (v->pv_reason == PLAN_REJECTED)
					rejected = 1;
			}
			if (v->pv_listed) {
				if (cp->cp_newest == NULL ||
				    cc_cmp_pkgs(t, pp, cp->cp_newest) > 0) {
					cp->cp_newest = pp;
					cp->cp_newest_view = cv;
				}
			} else if (c > 0 && cc_held_back(v->pv_reason)) {
				if (cp->cp_pending == NULL ||
				    cc_cmp_pkgs(t, pp, cp->cp_pending) > 0) {
					cp->cp_pending = pp;
					cp->cp_ripens = v->pv_reason ==
					    PLAN_WAITING ? v->pv_changes : 0;
				}
				for (k = 0; k < pp->pp_nadvs; k++) {
					if (cc_is_security(&pp->pp_advs[k]))
						cp->cp_pending_security = 1;
				}
			}
		}
	}
	/* What the view offers now supersedes what waited below it. */
	if (cp->cp_pending != NULL && cp->cp_newest != NULL &&
	    cc_cmp_pkgs(t, cp->cp_pending, cp->cp_newest) <= 0) {
		cp->cp_pending = NULL;
		cp->cp_ripens = 0;
		cp->cp_pending_security = 0;
	}

	if (rejected || cc_rejected(gr, t, ip))
		cp->cp_state = CC_REJECTED;
	else if (cp->cp_newest != NULL &&
	    cc_cmp_inst(t, cp->cp_newest, ip) > 0)
		cp->cp_state = CC_MISSING;
	else if (cp->cp_pending != NULL)
		cp->cp_state = CC_NOT_YET;
	else if (!exact)
		cp->cp_state = CC_OTHER;
	else
		cp->cp_state = CC_INSTALLED;

	if (cp->cp_state == CC_NOT_YET && cp->cp_pending_security) {
		m->cm_waiting_security = 1;
		if (cp->cp_ripens != 0 && (m->cm_waiting_until == 0 ||
		    cp->cp_ripens < m->cm_waiting_until))
			m->cm_waiting_until = cp->cp_ripens;
	}
	if (cp->cp_state != CC_MISSING)
		return;
	/* The advisories of the listed versions between it and the newest. */
	for (i = 0; i < nviews; i++) {
		cv = &views[i];
		fa = &cv->cv_cm->cm_facts;
		for (j = cc_first(cv->cv_cm, ip->ip_name); j < fa->fa_npkgs;
		    j++) {
			pp = &fa->fa_pkgs[cv->cv_cm->cm_byname[j]];
			if (strcmp(pp->pp_name, ip->ip_name) != 0)
				break;
			v = &cv->cv_plan->pl_verdicts[cv->cv_cm->cm_byname[j]];
			if (!v->pv_listed || pp->pp_nadvs == 0 ||
			    !cc_arch_ok(t, pp->pp_arch, ip->ip_arch) ||
			    cc_cmp_inst(t, pp, ip) <= 0)
				continue;
			label = cc_version(pp->pp_epoch, pp->pp_version,
			    t == MIRROR_APT ? NULL : pp->pp_release);
			for (k = 0; k < pp->pp_nadvs; k++) {
				char	*pkg;

				xasprintf(&pkg, "%s %s", pp->pp_name, label);
				cc_add_adv(m, &pp->pp_advs[k], pkg);
				free(pkg);
				if (cc_is_security(&pp->pp_advs[k]))
					m->cm_missing_security = 1;
			}
			free(label);
		}
	}
}

static int
cc_machine_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cc_machine *)a)->cm_host,
	    ((const struct cc_machine *)b)->cm_host);
}

/* The machines that reported to group gr (or only host); sorted. */
static struct cc_machine *
cc_read_reports(struct cli *cl, struct group *gr, const char *host,
    size_t *n)
{
	struct cc_machine	*v = NULL, *m;
	struct dirent		*de;
	struct stat		 sb;
	DIR			*d;
	char			*dir, *path, *data, *why = NULL;
	size_t			 len;

	*n = 0;
	xasprintf(&dir, "%s/reports/%s", cl->cl_cf->cf_store, gr->gr_name);
	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT)
			log_warnx("%s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (!inventory_host_ok(de->d_name) ||
		    (host != NULL && strcmp(host, de->d_name) != 0))
			continue;
		xasprintf(&path, "%s/%s/latest", dir, de->d_name);
		if (stat(path, &sb) == -1) {
			free(path);
			continue;
		}
		v = xreallocarray(v, *n + 1, sizeof *v);
		m = &v[(*n)++];
		memset(m, 0, sizeof *m);
		m->cm_host = xstrdup(de->d_name);
		m->cm_received = sb.st_mtime;
		if (file_read(path, INVENTORY_MAX_BYTES + 4096, &data, &len,
		    &why) != 0) {
			m->cm_error = why;
			why = NULL;
		} else {
			if (inventory_parse(data, len, &m->cm_inv, &why) !=
			    INV_OK) {
				xasprintf(&m->cm_error, "%s: %s", path,
				    why != NULL ? why : "out of memory");
				free(why);
				why = NULL;
			} else if (m->cm_inv->iv_received != 0)
				m->cm_received = m->cm_inv->iv_received;
			free(data);
		}
		free(path);
	}
	closedir(d);
	free(dir);
	if (*n > 0)
		qsort(v, *n, sizeof *v, cc_machine_cmp);
	return v;
}

static void
cc_machine_free(struct cc_machine *m)
{
	size_t	i, j;

	free(m->cm_host);
	free(m->cm_error);
	inventory_free(m->cm_inv);
	free(m->cm_pkgs);
	for (i = 0; i < m->cm_nadvs; i++) {
		for (j = 0; j < m->cm_advs[i].ca_npkgs; j++)
			free(m->cm_advs[i].ca_pkgs[j]);
		free(m->cm_advs[i].ca_pkgs);
	}
	free(m->cm_advs);
}

/* --- output ------------------------------------------------------------------ */

static json_t *
cc_json_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
cc_json_version(const struct pub_pkg *pp, enum mirror_type t)
{
	char	*s;
	json_t	*j;

	if (pp == NULL)
		return json_null();
	s = cc_version(pp->pp_epoch, pp->pp_version,
	    t == MIRROR_APT ? NULL : pp->pp_release);
	j = json_string(s);
	free(s);
	return j;
}

static json_t *
cc_json_machine(struct cc_machine *m, enum mirror_type t, time_t now)
{
	json_t		*jm, *jc, *jp, *ja, *jx, *jcves;
	struct cc_pkg	*cp;
	char		*s;
	size_t		 i, k;

	jm = json_object();
	json_object_set_new(jm, "host", json_string(m->cm_host));
	json_object_set_new(jm, "status", json_string(m->cm_inv == NULL ?
	    "UNREADABLE" : m->cm_compliant ? "COMPLIANT" : "NON_COMPLIANT"));
	json_object_set_new(jm, "stale", json_boolean(m->cm_stale));
	json_object_set_new(jm, "received", cli_json_time(m->cm_received));
	json_object_set_new(jm, "age", json_integer(now - m->cm_received));
	if (m->cm_inv == NULL) {
		json_object_set_new(jm, "error", cc_json_str(m->cm_error));
		return jm;
	}
	json_object_set_new(jm, "format",
	    json_string(inventory_format_name(m->cm_inv->iv_format)));
	json_object_set_new(jm, "reboot_required", m->cm_inv->iv_reboot < 0 ?
	    json_null() : json_boolean(m->cm_inv->iv_reboot));
	json_object_set_new(jm, "kernel", cc_json_str(m->cm_inv->iv_kernel));
	jc = json_object();
	for (i = 0; i < CC_NSTATES; i++)
		json_object_set_new(jc, cc_state_names[i],
		    json_integer(m->cm_counts[i]));
	json_object_set_new(jm, "counts", jc);
	jp = json_array();
	for (i = 0; i < m->cm_inv->iv_npkgs; i++) {
		cp = &m->cm_pkgs[i];
		jx = json_object();
		json_object_set_new(jx, "name", json_string(cp->cp_ip->ip_name));
		json_object_set_new(jx, "arch", json_string(cp->cp_ip->ip_arch));
		s = cc_version(cp->cp_ip->ip_epoch, cp->cp_ip->ip_version,
		    cp->cp_ip->ip_release);
		json_object_set_new(jx, "installed", json_string(s));
		free(s);
		json_object_set_new(jx, "state",
		    json_string(cc_state_names[cp->cp_state]));
		json_object_set_new(jx, "available",
		    cc_json_version(cp->cp_newest, t));
		json_object_set_new(jx, "mirror", cp->cp_newest_view == NULL ?
		    json_null() :
		    json_string(cp->cp_newest_view->cv_cm->cm_mirror->mi_name));
		json_object_set_new(jx, "pending",
		    cc_json_version(cp->cp_pending, t));
		json_object_set_new(jx, "ripens", cli_json_time(cp->cp_ripens));
		json_array_append_new(jp, jx);
	}
	json_object_set_new(jm, "packages", jp);
	ja = json_array();
	for (i = 0; i < m->cm_nadvs; i++) {
		jx = json_object();
		json_object_set_new(jx, "id",
		    json_string(m->cm_advs[i].ca_va->va_id));
		json_object_set_new(jx, "type",
		    cc_json_str(m->cm_advs[i].ca_va->va_type));
		json_object_set_new(jx, "severity",
		    cc_json_str(m->cm_advs[i].ca_va->va_severity));
		jcves = json_array();
		for (k = 0; m->cm_advs[i].ca_va->va_cves != NULL &&
		    m->cm_advs[i].ca_va->va_cves[k] != NULL; k++)
			json_array_append_new(jcves,
			    json_string(m->cm_advs[i].ca_va->va_cves[k]));
		json_object_set_new(jx, "cves", jcves);
		jcves = json_array();
		for (k = 0; k < m->cm_advs[i].ca_npkgs; k++)
			json_array_append_new(jcves,
			    json_string(m->cm_advs[i].ca_pkgs[k]));
		json_object_set_new(jx, "packages", jcves);
		json_array_append_new(ja, jx);
	}
	json_object_set_new(jm, "missing_advisories", ja);
	return jm;
}

static void
cc_print_machine(struct cc_machine *m, enum mirror_type t, time_t now,
    int detail)
{
	const struct vis_advisory	*va;
	struct cc_pkg			*cp;
	char				 tb[32], ab[32], *inst, *avail;
	size_t				 i, k;

	printf("  %-24s %-13s%s received %s (%s ago)", m->cm_host,
	    m->cm_inv == NULL ? "UNREADABLE" : m->cm_compliant ? "COMPLIANT" :
	    "NON_COMPLIANT", m->cm_stale ? " STALE" : "",
	    cli_time(m->cm_received, tb, sizeof tb),
	    cli_age(now - m->cm_received, ab, sizeof ab));
	if (m->cm_inv == NULL) {
		printf("\n    %s\n", m->cm_error ? m->cm_error : "");
		return;
	}
	printf("\n    ");
	for (i = 0; i < CC_NSTATES; i++)
		printf("%s%s %zu", i == 0 ? "" : ", ", cc_state_names[i],
		    m->cm_counts[i]);
	if (m->cm_inv->iv_reboot == 1)
		printf("; reboot required");
	if (m->cm_inv->iv_kernel != NULL)
		printf("; kernel %s", m->cm_inv->iv_kernel);
	printf("\n");
	for (i = 0; i < m->cm_inv->iv_npkgs; i++) {
		cp = &m->cm_pkgs[i];
		if (!detail && (cp->cp_state == CC_INSTALLED ||
		    cp->cp_state == CC_OTHER))
			continue;
		inst = cc_version(cp->cp_ip->ip_epoch, cp->cp_ip->ip_version,
		    cp->cp_ip->ip_release);
		printf("    %-17s %s %s (%s)", cc_state_names[cp->cp_state],
		    cp->cp_ip->ip_name, inst, cp->cp_ip->ip_arch);
		free(inst);
		if (cp->cp_state == CC_MISSING && cp->cp_newest != NULL) {
			avail = cc_version(cp->cp_newest->pp_epoch,
			    cp->cp_newest->pp_version, t == MIRROR_APT ? NULL :
			    cp->cp_newest->pp_release);
			printf(": %s is in the view", avail);
			free(avail);
		}
		if (cp->cp_pending != NULL && cp->cp_state == CC_NOT_YET) {
			avail = cc_version(cp->cp_pending->pp_epoch,
			    cp->cp_pending->pp_version, t == MIRROR_APT ? NULL :
			    cp->cp_pending->pp_release);
			printf(": %s is held back", avail);
			if (cp->cp_ripens != 0)
				printf(" until %s", cli_time(cp->cp_ripens, tb,
				    sizeof tb));
			free(avail);
		}
		printf("\n");
	}
	for (i = 0; i < m->cm_nadvs; i++) {
		va = m->cm_advs[i].ca_va;
		printf("    advisory %s (%s%s%s)", va->va_id,
		    va->va_type ? va->va_type : "?", va->va_severity ? ", " : "",
		    va->va_severity ? va->va_severity : "");
		for (k = 0; va->va_cves != NULL && va->va_cves[k] != NULL; k++)
			printf("%s%s", k == 0 ? ": " : " ", va->va_cves[k]);
		printf(" fixes");
		for (k = 0; k < m->cm_advs[i].ca_npkgs; k++)
			printf(" %s", m->cm_advs[i].ca_pkgs[k]);
		printf("\n");
	}
}

/* --- one group --------------------------------------------------------------- */

/* Judges and prints (or adds to jgroups) every machine of gr. */
static int
cc_group(struct cli *cl, struct group *gr, struct cc_mirror *cms,
    size_t ncms, const char *host, json_t *jgroups)
{
	struct cc_machine	*ms, *m;
	struct cc_view		*views = NULL;
	size_t			 nms, nviews = 0, i, j, k;
	size_t			 ncompliant = 0, nnon = 0, nstale = 0;
	size_t			 nmissec = 0, nwaitsec = 0;
	time_t			 now = cl->cl_ix.ix_now, waituntil = 0;
	long long		 stale;
	enum mirror_type	 t;
	json_t			*jg = NULL, *jms = NULL, *jx;
	char			 tb[32], ab[32];
	int			 rc = 0;

	stale = gr->gr_report_stale >= 0 ? gr->gr_report_stale :
	    cl->cl_cf->cf_report_stale;
	ms = cc_read_reports(cl, gr, host, &nms);
	if (host != NULL && nms == 0) {
		log_warnx("group %s: no report of %s", gr->gr_name, host);
		return -1;
	}
	if (jgroups == NULL)
		printf("group %s:\n", gr->gr_name);
	for (i = 0; i < nms; i++) {
		m = &ms[i];
		m->cm_stale = now - m->cm_received > stale;
		if (m->cm_stale)
			nstale++;
		if (m->cm_inv == NULL) {
			nnon++;
			if (jgroups == NULL)
				cc_print_machine(m, MIRROR_RPMMD, now, 0);
			else {
				if (jms == NULL)
					jms = json_array();
				json_array_append_new(jms,
				    cc_json_machine(m, MIRROR_RPMMD, now));
			}
			continue;
		}
		t = m->cm_inv->iv_format == INV_RPM ? MIRROR_RPMMD : MIRROR_APT;
		/* The group's views of mirrors of the report's kind. */
		nviews = 0;
		views = xreallocarray(views, gr->gr_nmirrors + 1,
		    sizeof *views);
		for (j = 0; j < gr->gr_nmirrors; j++) {
			if (gr->gr_mirrors[j]->mi_type != t)
				continue;
			for (k = 0; k < ncms; k++) {
				if (cms[k].cm_mirror == gr->gr_mirrors[j])
					break;
			}
			if (cc_load(cl, &cms[k]) != 0) {
				rc = -1;
				goto out;
			}
			views[nviews].cv_cm = &cms[k];
			views[nviews].cv_plan = facts_plan_served(&cl->cl_ix, gr,
			    cms[k].cm_mirror, &cms[k].cm_facts);
			nviews++;
		}
		m->cm_pkgs = xcalloc(m->cm_inv->iv_npkgs + 1,
		    sizeof *m->cm_pkgs);
		for (j = 0; j < m->cm_inv->iv_npkgs; j++) {
			m->cm_pkgs[j].cp_ip = &m->cm_inv->iv_pkgs[j];
			cc_judge(m, gr, t, views, nviews, &m->cm_pkgs[j]);
			m->cm_counts[m->cm_pkgs[j].cp_state]++;
		}
		m->cm_compliant = m->cm_counts[CC_MISSING] == 0 &&
		    m->cm_counts[CC_REJECTED] == 0;
		if (m->cm_compliant)
			ncompliant++;
		else
			nnon++;
		if (m->cm_missing_security)
			nmissec++;
		if (m->cm_waiting_security) {
			nwaitsec++;
			if (m->cm_waiting_until != 0 && (waituntil == 0 ||
			    m->cm_waiting_until < waituntil))
				waituntil = m->cm_waiting_until;
		}
		/* Output now: the plans go with this machine. */
		if (jgroups != NULL) {
			if (jms == NULL)
				jms = json_array();
			json_array_append_new(jms, cc_json_machine(m, t, now));
		}
		if (jgroups == NULL)
			cc_print_machine(m, t, now, host != NULL);
		for (j = 0; j < nviews; j++)
			plan_free(views[j].cv_plan);
		nviews = 0;
	}
	if (jgroups != NULL) {
		jg = json_object();
		json_object_set_new(jg, "group", json_string(gr->gr_name));
		json_object_set_new(jg, "report_stale", json_integer(stale));
		jx = json_object();
		json_object_set_new(jx, "machines", json_integer(nms));
		json_object_set_new(jx, "compliant", json_integer(ncompliant));
		json_object_set_new(jx, "non_compliant", json_integer(nnon));
		json_object_set_new(jx, "stale", json_integer(nstale));
		json_object_set_new(jg, "summary", jx);
		jx = json_object();
		json_object_set_new(jx, "missing_security", json_integer(nmissec));
		json_object_set_new(jx, "waiting_security", json_integer(nwaitsec));
		json_object_set_new(jx, "waiting_until", cli_json_time(waituntil));
		json_object_set_new(jg, "exposure", jx);
		json_object_set_new(jg, "machines", jms != NULL ? jms :
		    json_array());
		jms = NULL;
		json_array_append_new(jgroups, jg);
	} else {
		printf("  summary: %zu machines: %zu compliant, %zu non-compliant,"
		    " %zu stale (older than %s)\n", nms, ncompliant, nnon, nstale,
		    cli_age(stale, ab, sizeof ab));
		printf("  exposure: %zu missing a security fix the view offers, "
		    "%zu waiting on one the baseline holds back", nmissec,
		    nwaitsec);
		if (waituntil != 0)
			printf(" (until %s at the earliest)",
			    cli_time(waituntil, tb, sizeof tb));
		printf("\n");
	}
out:
	for (j = 0; j < nviews; j++)
		plan_free(views[j].cv_plan);
	free(views);
	if (jms != NULL)
		json_decref(jms);
	for (i = 0; i < nms; i++)
		cc_machine_free(&ms[i]);
	free(ms);
	return rc;
}

int
cli_compliance_has_reports(struct cli *cl)
{
	struct group	*gr;
	struct dirent	*de;
	DIR		*d;
	char		*dir;
	int		 found = 0;

	TAILQ_FOREACH(gr, &cl->cl_cf->cf_groups, gr_entry) {
		xasprintf(&dir, "%s/reports/%s", cl->cl_cf->cf_store,
		    gr->gr_name);
		if ((d = opendir(dir)) != NULL) {
			while (!found && (de = readdir(d)) != NULL)
				found = de->d_name[0] != '.';
			closedir(d);
		}
		free(dir);
		if (found)
			return 1;
	}
	return 0;
}

void
cli_compliance_counts(struct cli *cl, json_t *doc)
{
	static const char *const sums[] = { "machines", "compliant",
	    "non_compliant", "stale", NULL };
	static const char *const exps[] = { "missing_security",
	    "waiting_security", NULL };
	struct buf	 b;
	json_t		*g, *o;
	const char	*group;
	char		*path, *cause = NULL;
	size_t		 i, k;

	buf_init(&b);
	json_array_foreach(json_object_get(doc, "groups"), i, g) {
		if ((group = json_string_value(json_object_get(g, "group"))) ==
		    NULL)
			continue;
		o = json_object_get(g, "summary");
		for (k = 0; sums[k] != NULL; k++)
			buf_addf(&b, "%s %s %lld\n", group, sums[k], (long long)
			    json_integer_value(json_object_get(o, sums[k])));
		o = json_object_get(g, "exposure");
		for (k = 0; exps[k] != NULL; k++)
			buf_addf(&b, "%s %s %lld\n", group, exps[k], (long long)
			    json_integer_value(json_object_get(o, exps[k])));
	}
	xasprintf(&path, "%s/compliance.counts", cl->cl_cf->cf_store);
	if (file_write_atomic(path, b.b_data != NULL ? b.b_data : "", b.b_len,
	    &cause) != 0) {
		log_warnx("compliance figures for /metrics: %s", cause);
		free(cause);
	}
	free(path);
	buf_free(&b);
}

/* What compliance --json says of every group (the status page's part). */
json_t *
cli_compliance_json(struct cli *cl)
{
	struct cc_mirror	*cms = NULL;
	struct mirror		*mi;
	struct group		*gr;
	json_t			*j, *jgroups;
	size_t			 ncms = 0, i;
	int			 rc = 0;

	TAILQ_FOREACH(mi, &cl->cl_cf->cf_mirrors, mi_entry) {
		cms = xreallocarray(cms, ncms + 1, sizeof *cms);
		memset(&cms[ncms], 0, sizeof *cms);
		cms[ncms++].cm_mirror = mi;
	}
	j = json_object();
	json_object_set_new(j, "now", cli_json_time(cl->cl_ix.ix_now));
	jgroups = json_array();
	TAILQ_FOREACH(gr, &cl->cl_cf->cf_groups, gr_entry) {
		if (cc_group(cl, gr, cms, ncms, NULL, jgroups) != 0)
			rc = -1;
	}
	json_object_set_new(j, "groups", jgroups);
	for (i = 0; i < ncms; i++) {
		if (cms[i].cm_loaded)
			facts_free(&cms[i].cm_facts);
		free(cms[i].cm_byname);
	}
	free(cms);
	if (rc != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int
cmd_compliance_exec(struct cli *cl, const struct cli_cmd *cc, int argc,
    char **argv)
{
	struct cc_mirror	*cms = NULL;
	struct mirror		*mi;
	struct group		*gr, *only = NULL;
	const char		*host = NULL;
	json_t			*j = NULL, *jgroups = NULL;
	size_t			 ncms = 0, i, ngroups = 0;
	int			 ch, json = 0, rc = CLI_OK;

	while ((ch = getopt_long(argc, argv, "", cc_options, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'H':
			host = optarg;
			break;
		default:
			return cli_usage(cc);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		return cli_usage(cc);
	if (argc == 1 && (only = config_find_group(cl->cl_cf, argv[0])) ==
	    NULL) {
		log_warnx("no group named %s in %s", argv[0], cl->cl_cf->cf_path);
		return CLI_ERROR;
	}
	if (host != NULL && !inventory_host_ok(host)) {
		log_warnx("%s: not a host name", host);
		return CLI_ERROR;
	}
	if (cli_open(cl, 0) != 0)
		return CLI_ERROR;
	TAILQ_FOREACH(mi, &cl->cl_cf->cf_mirrors, mi_entry) {
		cms = xreallocarray(cms, ncms + 1, sizeof *cms);
		memset(&cms[ncms], 0, sizeof *cms);
		cms[ncms++].cm_mirror = mi;
	}
	if (json) {
		j = json_object();
		json_object_set_new(j, "now", cli_json_time(cl->cl_ix.ix_now));
		jgroups = json_array();
	}
	TAILQ_FOREACH(gr, &cl->cl_cf->cf_groups, gr_entry) {
		if (only != NULL && gr != only)
			continue;
		if (host != NULL && only == NULL) {
			/* --host without a group: the groups it reported to. */
			char		*p;
			struct stat	 sb;
			int		 there;

			xasprintf(&p, "%s/reports/%s/%s/latest",
			    cl->cl_cf->cf_store, gr->gr_name, host);
			there = stat(p, &sb) == 0;
			free(p);
			if (!there)
				continue;
		}
		ngroups++;
		if (cc_group(cl, gr, cms, ncms, host, jgroups) != 0)
			rc = CLI_ERROR;
	}
	if (host != NULL && only == NULL && ngroups == 0) {
		log_warnx("no group has a report of %s", host);
		rc = CLI_ERROR;
	}
	if (json) {
		json_object_set_new(j, "groups", jgroups);
		if (cli_json_print(j) != 0)
			rc = CLI_ERROR;
	}
	for (i = 0; i < ncms; i++) {
		if (cms[i].cm_loaded)
			facts_free(&cms[i].cm_facts);
		free(cms[i].cm_byname);
	}
	free(cms);
	return rc;
}
