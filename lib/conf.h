/*
 * patchgate.conf: an INI file with [server], [mirror NAME], [baseline NAME]
 * [group NAME] and [notify NAME] sections.  config_load reports every error as
 * "file:line: message", all of them, before failing.
 */
#ifndef PG_CONF_H
#define PG_CONF_H

#include <sys/queue.h>
#include <time.h>

#include "window.h"

enum mirror_type {
	MIRROR_RPMMD,
	MIRROR_APT,
};

/* Which package files the indexer stores before upstream may delete them. */
enum prefetch_mode {
	PREFETCH_AT_RISK,	/* a version some group sees that upstream drops or supersedes */
	PREFETCH_VISIBLE,	/* every version a delayed group sees */
	PREFETCH_NONE,
};

struct mirror {
	char			*mi_name;
	enum mirror_type	 mi_type;
	char			*mi_url;		/* no trailing slash; see mi_urls */
	/*
	 * Every url, in order (mi_url is the first), tried in turn; NULL
	 * when there is none.  A mirror with only a mirrorlist or metalink
	 * has its URL as mi_url: the prefix package URLs carry, mapped to
	 * the bases the list gives (fetch.h, mirrorlist.h).
	 */
	char			**mi_urls;
	char			*mi_mirrorlist;		/* a list of base URLs; NULL: none */
	char			*mi_metalink;		/* metalink of repodata/repomd.xml; NULL: none */
	char			*mi_keyring;		/* NULL: signatures not checked */
	int			 mi_keyring_allow_expired; /* good signatures by keys expired since */
	char			*mi_classification;	/* of versions no advisory lists; NULL: none */
	char			*mi_severity;		/* likewise */
	char			**mi_suites;		/* apt */
	char			**mi_components;	/* apt */
	char			**mi_architectures;	/* apt */
	char			**mi_archive_urls;	/* fallbacks for dropped files, tried in order */
	enum prefetch_mode	 mi_prefetch;
	long long		 mi_sync_every;		/* seconds between patchgated's syncs; 0: off */
	long long		 mi_fetch_timeout;	/* seconds for one whole download */
	int			 mi_redirects_any;	/* 0: only to the same host */
	char			*mi_proxy;		/* outbound HTTP proxy; NULL: none */
	char			*mi_ca_file;		/* CAs for https; NULL: the system's */
	int			 mi_line;
	TAILQ_ENTRY(mirror)	 mi_entry;
};
TAILQ_HEAD(mirrors, mirror);

/* "classification=security severity=critical,important delay=7d" */
struct rule {
	char			**ru_classifications;	/* NULL-terminated; "*" matches any */
	char			**ru_severities;	/* NULL-terminated; "*" matches any */
	long long		 ru_delay;		/* seconds; -1 when until is used */
	time_t			 ru_until;		/* 0 when delay is used */
	char			*ru_text;		/* as written, for reasons */
	int			 ru_line;
	TAILQ_ENTRY(rule)	 ru_entry;
};
TAILQ_HEAD(rules, rule);

enum rejected_action {
	REJECTED_BLOCK,			/* a version that needs a rejected one is held back */
	REJECTED_ALLOW_AS_DEPENDENCY,	/* a rejected version a visible one needs is listed */
};

struct baseline {
	char			*bl_name;
	struct rules		 bl_rules;
	char			**bl_approved;		/* patterns, advisory and CVE IDs */
	size_t			 bl_napproved;
	char			**bl_rejected;		/* patterns */
	size_t			 bl_nrejected;
	enum rejected_action	 bl_rejected_action;
	int			 bl_line;
	TAILQ_ENTRY(baseline)	 bl_entry;
};
TAILQ_HEAD(baselines, baseline);

struct group {
	char			*gr_name;
	char			*gr_baseline_name;
	struct baseline		*gr_baseline;
	char			**gr_mirror_names;
	size_t			 gr_nmirrors;
	struct mirror		**gr_mirrors;
	struct window		*gr_windows;	/* maintenance windows; none: always open */
	size_t			 gr_nwindows;
	long long		 gr_report_stale;	/* seconds; -1: the server's */
	char			**gr_allow;	/* CIDRs that may read the view; NULL: any */
	char			*gr_auth_file;	/* user:HASH lines (HTTP basic); NULL: none */
	char			*gr_report_token; /* file of the secret reports may carry */
	int			 gr_line;
	TAILQ_ENTRY(group)	 gr_entry;
};
TAILQ_HEAD(groups, group);

/* [notify NAME]: where patchgated POSTs the events (events.h) it asks for. */
enum notify_format {
	NOTIFY_JSON,		/* text and the structured fields */
	NOTIFY_SLACK,		/* text only: Slack, Mattermost incoming webhooks */
};

struct notify {
	char			*nt_name;
	char			*nt_url;		/* http:// or https:// */
	unsigned int		 nt_events;		/* 1 << enum event_kind */
	enum notify_format	 nt_format;
	long long		 nt_timeout;		/* seconds for one attempt */
	int			 nt_line;
	TAILQ_ENTRY(notify)	 nt_entry;
};
TAILQ_HEAD(notifies, notify);

struct config {
	char			*cf_path;
	char			*cf_listen;		/* "host:port", "[::1]:port"; NULL: none */
	char			*cf_tls_listen;		/* likewise, for HTTPS; NULL: none */
	char			*cf_tls_cert;		/* PEM: certificate, then its chain */
	char			*cf_tls_key;		/* PEM: its private key, not world-readable */
	char			*cf_store;
	char			*cf_user;		/* patchgated runs as it; NULL: no change */
	char			*cf_api_tokens;		/* NAME ROLE SECRET lines; NULL: no API */
	char			**cf_admin_allow;	/* CIDRs /metrics and /_status are open to */
	char			*cf_public_url;		/* what _setup names; NULL: the Host */
	int			 cf_schedule;		/* 0: a replica: patchgated runs no sync or publish */
	long long		 cf_grace;		/* seconds old generations stay served */
	long long		 cf_store_quota;	/* bytes of blobs; 0: no quota */
	long long		 cf_log_keep;		/* seconds run logs (STORE/log) are kept */
	long long		 cf_preview_keep;	/* seconds a published preview stays */
	long long		 cf_report_stale;	/* seconds until a machine's report is stale */
	/* patchgated's client connections (server_conn.c) */
	long long		 cf_header_timeout;	/* seconds to send a whole request head */
	long long		 cf_idle_timeout;	/* seconds a connection may idle or stall */
	long long		 cf_max_header_size;	/* bytes of one request head */
	long long		 cf_max_headers;	/* header fields of one request */
	long long		 cf_max_connections;	/* open at once */
	long long		 cf_max_connections_per_address; /* from one client address */
	long long		 cf_output_buffer_max;	/* bytes of client output waiting in memory, in all */
	struct mirrors		 cf_mirrors;
	struct baselines	 cf_baselines;
	struct groups		 cf_groups;
	struct notifies		 cf_notifies;
};

/* Returns NULL after printing every error (file:line: message) to stderr. */
struct config	*config_load(const char *path);
void		 config_free(struct config *);
struct mirror	*config_find_mirror(struct config *, const char *);
struct group	*config_find_group(struct config *, const char *);
struct baseline	*config_find_baseline(struct config *, const char *);
int		 group_has_mirror(struct group *, struct mirror *);
const char	*mirror_type_name(enum mirror_type);
/*
 * Why pattern is no package pattern for approved, rejected and holds
 * ("has more than one '*'", ...), or NULL when it is one.
 */
const char	*conf_pattern_invalid(const char *pattern);

/* An address and prefix ("10.0.0.0/8", "::1"; no prefix: the host). */
struct conf_cidr {
	int		cc_family;	/* AF_INET, AF_INET6 */
	unsigned char	cc_addr[16];
	int		cc_bits;
};
int		 conf_cidr_parse(const char *, struct conf_cidr *);

#endif
