/*
 * patchgate.conf: a good file loads with every value; every bad line is
 * reported as file:line: message, all of them in one pass.
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"
#include "util.h"

static char	tmpdir[] = "/tmp/pg-test-config.XXXXXX";

/* Writes text to a file, loads it; *errors gets what was printed. */
static struct config *
load(const char *text, char **errors)
{
	char		*path, *errpath, *data;
	size_t		 len;
	FILE		*f;
	struct config	*cf;
	int		 saved;

	if (asprintf(&path, "%s/patchgate.conf", tmpdir) < 0 ||
	    asprintf(&errpath, "%s/stderr", tmpdir) < 0)
		abort();
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	fflush(stderr);
	saved = dup(2);
	f = fopen(errpath, "w");
	dup2(fileno(f), 2);
	cf = config_load(path);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(f);
	if (file_read(errpath, 1 << 20, &data, &len, NULL) != 0)
		abort();
	*errors = data;
	free(path);
	free(errpath);
	return cf;
}

static const char good[] =
	"# a comment\n"
	"[server]\n"
	"listen = 127.0.0.1:0\n"
	"store = /var/lib/patchgate\n"
	"grace = 2h\n"
	"\n"
	"[mirror el9-baseos]\n"
	"type = rpm-md\n"
	"url = http://mirror.example/el9/BaseOS/x86_64/os/\n"
	"\n"
	"[mirror debian]\n"
	"type = apt\n"
	"url = http://deb.example/debian\n"
	"suites = bookworm bookworm-updates\n"
	"components = main\n"
	"architectures = amd64\n"
	"classification = security\n"
	"\n"
	"[baseline prod]\n"
	"rule = classification=security severity=critical,important delay=7d\n"
	"rule = classification=* delay=14d\n"
	"rule = classification=bugfix until=2026-06-01\n"
	"approved = RHSA-2026:0001 CVE-2026-1234\n"
	"approved = openssl-3.0.7-2\n"
	"rejected = kernel-6.1.0-13*\n"
	"rejected-action = block\n"
	"\n"
	"[group prod]\n"
	"baseline = prod\n"
	"mirrors = debian el9-baseos\n";

int
main(void)
{
	struct config	*cf;
	struct mirror	*mi;
	struct baseline	*bl;
	struct group	*gr;
	struct rule	*ru;
	char		*err;

	if (mkdtemp(tmpdir) == NULL)
		abort();

	cf = load(good, &err);
	ok(cf != NULL, "a good file loads");
	is_str(err, "", "and prints nothing");
	free(err);
	if (cf == NULL)
		return done_testing();
	is_str(cf->cf_listen, "127.0.0.1:0", "listen");
	is_str(cf->cf_store, "/var/lib/patchgate", "store");
	is_int(cf->cf_grace, 7200, "grace = 2h");
	mi = config_find_mirror(cf, "el9-baseos");
	ok(mi != NULL && mi->mi_type == MIRROR_RPMMD, "rpm-md mirror");
	is_str(mi->mi_url, "http://mirror.example/el9/BaseOS/x86_64/os",
	    "trailing slash removed from url");
	mi = config_find_mirror(cf, "debian");
	ok(mi != NULL && mi->mi_type == MIRROR_APT, "apt mirror");
	is_str(mi->mi_suites[1], "bookworm-updates", "suites");
	is_str(mi->mi_classification, "security", "mirror classification");
	bl = config_find_baseline(cf, "prod");
	ru = TAILQ_FIRST(&bl->bl_rules);
	is_str(ru->ru_classifications[0], "security", "rule classification");
	is_str(ru->ru_severities[1], "important", "rule severities");
	is_int(ru->ru_delay, 7 * 86400, "rule delay");
	ru = TAILQ_LAST(&bl->bl_rules, rules);
	is_int(ru->ru_delay, -1, "until rule has no delay");
	is_int(ru->ru_until, 1780272000, "until date");
	is_int(bl->bl_napproved, 3, "approved entries from two lines");
	is_str(bl->bl_rejected[0], "kernel-6.1.0-13*", "rejected pattern");
	is_int(bl->bl_rejected_action, REJECTED_BLOCK, "rejected-action = block");
	gr = config_find_group(cf, "prod");
	ok(gr->gr_baseline == bl, "group resolves its baseline");
	ok(gr->gr_nmirrors == 2 && gr->gr_mirrors[0] ==
	    config_find_mirror(cf, "debian"), "group resolves its mirrors");
	config_free(cf);

	cf = load(
	    "[server]\n"
	    "listen = nowhere\n"
	    "color = blue\n"
	    "[mirror m1]\n"
	    "type = rpm-md\n"
	    "url = ftp://example/\n"
	    "[mirror m2]\n"
	    "type = susetags\n"
	    "url = http://example/suse\n"
	    "[baseline b]\n"
	    "rule = classification=securty delay=7\n"
	    "rule = delay=1d until=2026-01-01\n"
	    "rejected = a*b*\n"
	    "rejected-action = allow\n"
	    "[group g]\n"
	    "baseline = nope\n"
	    "mirrors = m1 m3\n"
	    "[frob x]\n"
	    "key without equals\n", &err);
	ok(cf == NULL, "a bad file does not load");
	ok(strstr(err, "patchgate.conf:2: listen: \"nowhere\" is not "
	    "HOST:PORT") != NULL, "bad listen, with file and line");
	ok(strstr(err, ":3: [server]: unknown key \"color\"") != NULL,
	    "unknown key");
	ok(strstr(err, ":6: url: \"ftp://example/\" is not an http://, "
	    "https:// or file:// URL") != NULL, "bad url scheme");
	ok(strstr(err, ":8: type: susetags media") != NULL,
	    "susetags is refused with an explanation");
	ok(strstr(err, ":11: rule: unknown classification \"securty\"") != NULL,
	    "misspelt classification");
	ok(strstr(err, ":11: rule: bad delay \"7\"") != NULL,
	    "delay without a unit");
	ok(strstr(err, ":12: rule: delay and until exclude each other") != NULL,
	    "delay and until together");
	ok(strstr(err, ":13: rejected: \"a*b*\" has more than one '*'") != NULL,
	    "two wildcards");
	ok(strstr(err, ":14: rejected-action: unknown action \"allow\" "
	    "(block, allow-as-dependency)") != NULL,
	    "unknown rejected-action names the known ones");
	ok(strstr(err, ":15: [group g]: baseline \"nope\" is not defined") != NULL,
	    "dangling baseline");
	ok(strstr(err, ":15: [group g]: mirror \"m3\" is not defined") != NULL,
	    "dangling mirror");
	ok(strstr(err, ":18: unknown section [frob]") != NULL, "unknown section");
	ok(strstr(err, ":19: expected key = value") != NULL, "line without =");
	ok(strstr(err, "[server]: no store") != NULL, "missing store");
	free(err);

	cf = load("[server]\nstore = /s\n[mirror _x]\n[mirror a]\ntype = rpm-md\n"
	    "url = http://x/\n[mirror a]\n", &err);
	ok(cf == NULL && strstr(err, ":3: [mirror _x]: a name is") != NULL,
	    "reserved name refused");
	ok(strstr(err, ":7: [mirror a] is defined twice") != NULL,
	    "duplicate section");
	free(err);

	cf = load("[server]\nstore = /s\n[baseline b]\nrule = delay=0\n"
	    "rejected = kernel*\nrejected-action = allow-as-dependency\n", &err);
	ok(cf != NULL, "rejected-action = allow-as-dependency loads");
	if (cf != NULL) {
		bl = config_find_baseline(cf, "b");
		is_int(bl->bl_rejected_action, REJECTED_ALLOW_AS_DEPENDENCY,
		    "allow-as-dependency");
		config_free(cf);
	}
	free(err);

	cf = load("[server]\nstore = /s\n[mirror a]\ntype = rpm-md\n"
	    "url = http://x/\nprefetch = visible\n"
	    "archive-url = http://snap/a/ file:///srv/old\n", &err);
	ok(cf != NULL, "prefetch and archive-url load");
	if (cf != NULL) {
		mi = config_find_mirror(cf, "a");
		is_int(mi->mi_prefetch, PREFETCH_VISIBLE, "prefetch = visible");
		ok(mi->mi_archive_urls != NULL &&
		    strcmp(mi->mi_archive_urls[0], "http://snap/a/") == 0 &&
		    strcmp(mi->mi_archive_urls[1], "file:///srv/old") == 0 &&
		    mi->mi_archive_urls[2] == NULL, "archive-url: two, in order");
		config_free(cf);
	}
	free(err);
	cf = load("[server]\nstore = /s\n[mirror a]\ntype = rpm-md\n"
	    "url = http://x/\n", &err);
	ok(cf != NULL && config_find_mirror(cf, "a")->mi_prefetch ==
	    PREFETCH_AT_RISK, "prefetch defaults to at-risk");
	config_free(cf);
	free(err);
	cf = load("[server]\nstore = /s\n[mirror a]\ntype = rpm-md\n"
	    "url = http://x/\nprefetch = always\narchive-url = ftp://old/\n",
	    &err);
	ok(cf == NULL && strstr(err, ":6: prefetch: unknown mode \"always\" "
	    "(at-risk, visible or none)") != NULL, "bad prefetch mode");
	ok(strstr(err, ":7: archive-url: \"ftp://old/\" is not an http://, "
	    "https:// or file:// URL") != NULL, "bad archive-url");
	free(err);

	cf = load("[server]\nstore = /s\n[mirror a]\ntype = apt\nurl = http://x/\n",
	    &err);
	ok(cf == NULL && strstr(err, ":3: [mirror a]: type apt needs suites") !=
	    NULL, "apt mirror without suites");
	free(err);

	/* Several urls, a mirrorlist, a metalink (lib/mirrorlist.c). */
	cf = load("[server]\nstore = /s\n[mirror a]\ntype = rpm-md\n"
	    "url = http://x/ https://y//\nurl = file:///z\n"
	    "mirrorlist = https://m/list?repo=a\n"
	    "[mirror b]\ntype = rpm-md\nmetalink = https://m/ml?repo=b\n", &err);
	ok(cf != NULL, "several urls, a mirrorlist and a metalink load");
	if (cf != NULL) {
		mi = config_find_mirror(cf, "a");
		ok(mi->mi_urls != NULL && strcmp(mi->mi_urls[0], "http://x") == 0 &&
		    strcmp(mi->mi_urls[1], "https://y") == 0 &&
		    strcmp(mi->mi_urls[2], "file:///z") == 0 &&
		    mi->mi_urls[3] == NULL, "url: three, in order, from two lines");
		is_str(mi->mi_url, "http://x", "mi_url is the first");
		is_str(mi->mi_mirrorlist, "https://m/list?repo=a", "mirrorlist");
		mi = config_find_mirror(cf, "b");
		is_str(mi->mi_url, "https://m/ml?repo=b",
		    "a metalink alone: its URL is the mirror's prefix");
		ok(mi->mi_urls == NULL, "... and there is no url");
		config_free(cf);
	}
	free(err);
	cf = load("[server]\nstore = /s\n[mirror a]\ntype = rpm-md\n"
	    "[mirror b]\ntype = rpm-md\nurl = http://x ftp://y\n"
	    "mirrorlist = list.txt\n", &err);
	ok(cf == NULL && strstr(err, ":3: [mirror a]: no url (url, mirrorlist "
	    "or metalink)") != NULL, "a mirror without any url");
	ok(strstr(err, ":7: url: \"ftp://y\" is not an http://, https:// or "
	    "file:// URL") != NULL, "a bad URL in a list");
	ok(strstr(err, ":8: [mirror b]: mirrorlist: \"list.txt\" is not an "
	    "http://, https:// or file:// URL") != NULL, "a bad mirrorlist");
	free(err);

	/* store-quota: bytes, K/M/G/T in powers of 1024, none. */
	{
		static const struct {
			const char	*value;
			long long	 want;	/* -1: refused */
		} quotas[] = {
			{ "50G", 50LL << 30 }, { "1024", 1024 }, { "2K", 2048 },
			{ "3MiB", 3LL << 20 }, { "1TB", 1LL << 40 },
			{ "none", 0 }, { "0", 0 }, { "lots", -1 }, { "5X", -1 },
			{ "-1G", -1 }, { "1.5G", -1 }, { "G", -1 }, { "5Gb", -1 },
			{ "99999999999T", -1 },
		};
		char		*text;
		size_t		 q;

		for (q = 0; q < sizeof quotas / sizeof quotas[0]; q++) {
			if (asprintf(&text, "[server]\nstore = /s\n"
			    "store-quota = %s\n", quotas[q].value) < 0)
				abort();
			cf = load(text, &err);
			if (quotas[q].want >= 0)
				ok(cf != NULL && cf->cf_store_quota ==
				    quotas[q].want, "store-quota = %s",
				    quotas[q].value);
			else
				ok(cf == NULL && strstr(err, ":3: store-quota: "
				    "bad size") != NULL, "store-quota = %s is "
				    "refused: %s", quotas[q].value, err);
			config_free(cf);
			free(err);
			free(text);
		}
	}

	/* output-buffer-max: a size of at least 64K; 64M unless set. */
	cf = load("[server]\nstore = /s\n", &err);
	ok(cf != NULL && cf->cf_output_buffer_max == 64LL << 20,
	    "output-buffer-max is 64M by default");
	config_free(cf);
	free(err);
	cf = load("[server]\nstore = /s\noutput-buffer-max = 256K\n", &err);
	ok(cf != NULL && cf->cf_output_buffer_max == 256 << 10,
	    "output-buffer-max = 256K");
	config_free(cf);
	free(err);
	cf = load("[server]\nstore = /s\noutput-buffer-max = 4K\n", &err);
	ok(cf == NULL && strstr(err, ":3: output-buffer-max: bad size \"4K\"") !=
	    NULL, "output-buffer-max below 64K is refused: %s", err);
	config_free(cf);
	free(err);
	cf = load("[server]\nstore = /s\noutput-buffer-max = none\n", &err);
	ok(cf == NULL && strstr(err, ":3: output-buffer-max: bad size") != NULL,
	    "output-buffer-max = none is refused");
	config_free(cf);
	free(err);

	remove_tree(tmpdir);
	return done_testing();
}
