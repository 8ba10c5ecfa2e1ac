#!/bin/bash
# patchgate baseline import: a Patch Manager baseline, as "aws ssm
# get-patch-baseline" prints it, becomes a [baseline NAME] section that
# patchgated -n accepts, with everything that has no patchgate equivalent
# named on stderr by field.  The imported section then gates a real rpm-md
# mirror: 7 days for security critical/important, 14 for the rest, the
# approved kernel at once, the rejected package never.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl
pg_need_programs

PG=$top_builddir/patchgate
OUT=$T/import.out
ERR=$T/import.err

# bimp ARGS: patchgate baseline import ARGS; stdout in $OUT, stderr in
# $ERR (both shown in the log); sets RC.  No -c: it reads no configuration.
bimp() {
	echo "+ patchgate baseline import $*" >&2
	"$PG" baseline import "$@" >"$OUT" 2>"$ERR"
	RC=$?
	sed 's/^/  1| /' "$OUT" >&2
	sed 's/^/  2| /' "$ERR" >&2
}

# conf_with SECTIONFILE: a configuration around an imported section.
conf_with() {
	cat <<-EOF
	[server]
	listen = 127.0.0.1:0
	store = $T/store

	[mirror el9]
	type = rpm-md
	url = ${UPSTREAM_URL:-http://127.0.0.1:1}/repo

	EOF
	cat "$1"
	cat <<-EOF

	[group prod]
	baseline = $2
	mirrors = el9
	EOF
}

# checks_loads WHAT SECTIONFILE NAME: patchgated -n accepts it.
check_loads() {
	conf_with "$2" "$3" >"$T/check.conf"
	assert_true "$1: patchgated -n accepts the printed section" \
	    "$top_builddir/patchgated" -n -c "$T/check.conf"
}

pg_say "a Red Hat baseline, as aws ssm get-patch-baseline prints it"
cat >"$T/rhel.json" <<'EOF'
{
    "BaselineId": "pb-0a1b2c3d4e5f67890",
    "Name": "RHEL9-prod",
    "OperatingSystem": "REDHAT_ENTERPRISE_LINUX",
    "GlobalFilters": {
        "PatchFilters": []
    },
    "ApprovalRules": {
        "PatchRules": [
            {
                "PatchFilterGroup": {
                    "PatchFilters": [
                        {
                            "Key": "CLASSIFICATION",
                            "Values": [
                                "Security"
                            ]
                        },
                        {
                            "Key": "SEVERITY",
                            "Values": [
                                "Critical",
                                "Important"
                            ]
                        }
                    ]
                },
                "ComplianceLevel": "CRITICAL",
                "ApproveAfterDays": 7,
                "EnableNonSecurity": false
            },
            {
                "PatchFilterGroup": {
                    "PatchFilters": [
                        {
                            "Key": "CLASSIFICATION",
                            "Values": [
                                "*"
                            ]
                        },
                        {
                            "Key": "SEVERITY",
                            "Values": [
                                "*"
                            ]
                        },
                        {
                            "Key": "PRODUCT",
                            "Values": [
                                "RedhatEnterpriseLinux9"
                            ]
                        }
                    ]
                },
                "ComplianceLevel": "UNSPECIFIED",
                "ApproveAfterDays": 14,
                "EnableNonSecurity": false
            }
        ]
    },
    "ApprovedPatches": [
        "kernel-5.14.0-70*",
        "RHSA-2026:0001",
        "CVE-2026-1234"
    ],
    "ApprovedPatchesComplianceLevel": "UNSPECIFIED",
    "ApprovedPatchesEnableNonSecurity": false,
    "RejectedPatches": [
        "bar",
        "*openssl*"
    ],
    "RejectedPatchesAction": "ALLOW_AS_DEPENDENCY",
    "PatchGroups": [
        "prod"
    ],
    "CreatedDate": "2026-01-05T10:00:00.123000+00:00",
    "ModifiedDate": "2026-01-06T09:30:00.456000+00:00",
    "Description": "Production RHEL 9 servers",
    "Sources": []
}
EOF
bimp "$T/rhel.json"
assert_eq "the import exits 0 although some fields are not mapped" 0 "$RC"
assert_eq "the printed section" "$(cat <<'EOF'
# Imported from Patch Manager baseline pb-0a1b2c3d4e5f67890
# Name: RHEL9-prod
# OperatingSystem: REDHAT_ENTERPRISE_LINUX
# Description: Production RHEL 9 servers
[baseline RHEL9-prod]
rule = classification=security severity=critical,important delay=7d
rule = classification=* delay=14d
approved = kernel-5.14.0-70*
approved = RHSA-2026:0001
approved = CVE-2026-1234
rejected = bar
rejected-action = allow-as-dependency
EOF
)" "$(cat "$OUT")"
E=$(cat "$ERR")
assert_contains "stderr names the PRODUCT filter by field path" "$E" \
    "$T/rhel.json: ApprovalRules.PatchRules[1].PatchFilterGroup.PatchFilters[2] (PRODUCT = RedhatEnterpriseLinux9): not mapped: patchgate has no product filter"
assert_contains "and says the rule is kept without it" "$E" \
    "the rule is kept without it, for every mirror of the groups that use the baseline"
assert_contains "stderr names the rejected pattern that cannot be expressed" "$E" \
    "RejectedPatches[1] (*openssl*): cannot be expressed (more than one '*'); NOT REJECTED"
assert_contains "stderr names the compliance level" "$E" \
    "ApprovalRules.PatchRules[0].ComplianceLevel (CRITICAL): not mapped"
assert_contains "stderr names the patch groups" "$E" "PatchGroups (prod): not mapped"
assert_contains "stderr counts what was not mapped" "$E" "4 fields not mapped"
assert_not_contains "the CLASSIFICATION and SEVERITY filters are mapped" "$E" "CLASSIFICATION ="
assert_not_contains "ApproveAfterDays is mapped" "$E" "ApproveAfterDays"
assert_not_contains "the approved patterns are mapped" "$E" "ApprovedPatches["
check_loads "RHEL" "$OUT" RHEL9-prod
assert_eq "FILE - reads stdin (aws ssm get-patch-baseline ... | patchgate baseline import -)" \
    "$(cat "$OUT")" "$("$PG" baseline import - <"$T/rhel.json" 2>/dev/null)"
assert_true "the section with comments is pasted as printed" grep -q '^# Imported' "$T/check.conf"

pg_say "the imported baseline gates a mirror"
if command -v rpmbuild >/dev/null && command -v createrepo_c >/dev/null &&
    command -v modifyrepo_c >/dev/null; then
	W=$T/www
	REPO=$W/repo
	STORE=$T/store
	for p in foo-1.0-1 bar-1.0-1 qux-1.0-1 kernel-5.14.0-69; do
		r=${p##*-} vr=${p%-*}
		mkrpm "$REPO/Packages" "${vr%-*}" "${vr##*-}" "$r"
	done
	mkrepo "$REPO"
	start_upstream "$W"
	PG_CONF=$T/patchgate.conf
	conf_with "$OUT" RHEL9-prod >"$PG_CONF"
	PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"

	mkrpm "$REPO/Packages" foo 1.1 1
	mkrpm "$REPO/Packages" qux 1.1 1
	mkrpm "$REPO/Packages" bar 2.0 1
	mkrpm "$REPO/Packages" kernel 5.14.0 70
	UI=$T/updateinfo.xml
	updateinfo_begin "$UI"
	updateinfo_advisory "$UI" PGTEST-2026-0001 security Important \
	    "2026-01-10 00:00:00" "Important: foo security update" foo-1.1-1
	updateinfo_advisory "$UI" PGTEST-2026-0002 bugfix Moderate \
	    "2026-01-10 00:00:00" "qux bug fix update" qux-1.1-1
	updateinfo_end "$UI"
	mkrepo "$REPO" "$UI"
	PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync || fail "the sync of 2026-01-10 failed"
	PATCHGATE_NOW=2026-01-10T12:00:00Z start_patchgated "$PG_CONF"

	# primary_nevras: name-version-release of every package prod/el9 lists.
	primary_nevras() {
		pg_next primary
		pg_rpmmd fetch "$PG_URL/prod/el9" primary "$REPLY.xml" || { echo "no primary"; return; }
		"$PYTHON" - "$REPLY.xml" <<-'PYEOF'
		import re, sys
		out = []
		for p in re.findall(r'<package[\s>].*?</package>', open(sys.argv[1]).read(), re.S):
		    v = re.search(r'<version\b[^>]*\bver="([^"]*)"[^>]*\brel="([^"]*)"', p)
		    out.append("%s-%s-%s" % (re.search(r'<name>([^<]*)</name>', p).group(1),
		                             v.group(1), v.group(2)))
		print(" ".join(sorted(out)))
		PYEOF
	}
	# publish_at TIME: patchgate publish with the clock at TIME.
	publish_at() {
		echo "+ PATCHGATE_NOW=$1 patchgate publish" >&2
		PATCHGATE_NOW=$1 "$PG" -c "$PG_CONF" publish >&2 2>&1
	}

	assert_eq "2026-01-10: the base, and the approved kernel at once; bar rejected" \
	    "foo-1.0-1 kernel-5.14.0-69 kernel-5.14.0-70 qux-1.0-1" "$(primary_nevras)"
	assert_true "publish works with the imported baseline" publish_at 2026-01-17T11:00:00Z
	assert_eq "2026-01-17 11:00: the security update is not 7 days old yet" \
	    "foo-1.0-1 kernel-5.14.0-69 kernel-5.14.0-70 qux-1.0-1" "$(primary_nevras)"
	assert_true "publish on 2026-01-17 13:00" publish_at 2026-01-17T13:00:00Z
	assert_eq "2026-01-17 13:00: the security update after 7 days, the bugfix not yet" \
	    "foo-1.0-1 foo-1.1-1 kernel-5.14.0-69 kernel-5.14.0-70 qux-1.0-1" "$(primary_nevras)"
	assert_true "publish on 2026-01-24 13:00" publish_at 2026-01-24T13:00:00Z
	assert_eq "2026-01-24 13:00: the bugfix after 14 days; bar never" \
	    "foo-1.0-1 foo-1.1-1 kernel-5.14.0-69 kernel-5.14.0-70 qux-1.0-1 qux-1.1-1" \
	    "$(primary_nevras)"
	stop_patchgated
else
	pg_say "SKIP (part): rpmbuild, createrepo_c or modifyrepo_c missing; no mirror gated"
fi

pg_say "ApproveUntilDate, global filters, an unmappable rule, a bad name"
cat >"$T/until.json" <<'EOF'
{
    "BaselineId": "pb-0123456789abcdef0",
    "Name": "AL2023 frozen (Q1)",
    "OperatingSystem": "AMAZON_LINUX_2023",
    "GlobalFilters": {
        "PatchFilters": [
            {
                "Key": "SEVERITY",
                "Values": [
                    "Critical",
                    "Important",
                    "Medium"
                ]
            }
        ]
    },
    "ApprovalRules": {
        "PatchRules": [
            {
                "PatchFilterGroup": {
                    "PatchFilters": [
                        {
                            "Key": "CLASSIFICATION",
                            "Values": [
                                "Security",
                                "Bugfix",
                                "Kernel"
                            ]
                        }
                    ]
                },
                "ComplianceLevel": "UNSPECIFIED",
                "ApproveUntilDate": "2026-03-31",
                "EnableNonSecurity": true
            },
            {
                "PatchFilterGroup": {
                    "PatchFilters": [
                        {
                            "Key": "CLASSIFICATION",
                            "Values": [
                                "CriticalUpdates"
                            ]
                        }
                    ]
                },
                "ComplianceLevel": "UNSPECIFIED",
                "ApproveAfterDays": 3,
                "EnableNonSecurity": false
            }
        ]
    },
    "ApprovedPatches": [],
    "ApprovedPatchesComplianceLevel": "UNSPECIFIED",
    "ApprovedPatchesEnableNonSecurity": false,
    "RejectedPatches": [],
    "RejectedPatchesAction": "BLOCK",
    "PatchGroups": [],
    "CreatedDate": "2026-01-05T10:00:00.123000+00:00",
    "ModifiedDate": "2026-01-05T10:00:00.123000+00:00",
    "Description": "",
    "Sources": [
        {
            "Name": "epel",
            "Products": [
                "AmazonLinux2023"
            ],
            "Configuration": "[epel]\nname=EPEL\nbaseurl=https://example.invalid/epel\nenabled=1"
        }
    ]
}
EOF
bimp "$T/until.json"
assert_eq "ApproveUntilDate: exit 0" 0 "$RC"
assert_eq "ApproveUntilDate becomes until= through the end of that day (UTC)" "$(cat <<'EOF'
[baseline AL2023-frozen-Q1]
rule = classification=security,bugfix severity=critical,important,moderate until=2026-03-31T23:59:59Z
rejected-action = block
EOF
)" "$(sed -n '/^\[baseline/,$p' "$OUT")"
E=$(cat "$ERR")
assert_contains "the name is made a section name, and said" "$E" \
    "Name (AL2023 frozen (Q1)): not a patchgate section name"
assert_contains "an unknown classification value is named" "$E" \
    "ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters[0] (CLASSIFICATION = Security, Bugfix, Kernel): Kernel not a patchgate classification"
assert_contains "a rule with no known classification is left out, by field" "$E" \
    "ApprovalRules.PatchRules[1].PatchFilterGroup.PatchFilters[0] (CLASSIFICATION = CriticalUpdates): no value is a patchgate classification"
assert_contains "EnableNonSecurity is named" "$E" "ApprovalRules.PatchRules[0].EnableNonSecurity (true): not mapped"
assert_contains "Sources are named" "$E" "Sources[0] (epel): not mapped"
check_loads "ApproveUntilDate" "$OUT" AL2023-frozen-Q1

pg_say "an Ubuntu baseline: SECTION and PRIORITY have no patchgate equivalent"
cat >"$T/ubuntu.json" <<'EOF'
{
    "BaselineId": "pb-0fedcba9876543210",
    "Name": "ubuntu-web",
    "OperatingSystem": "UBUNTU",
    "GlobalFilters": {
        "PatchFilters": []
    },
    "ApprovalRules": {
        "PatchRules": [
            {
                "PatchFilterGroup": {
                    "PatchFilters": [
                        {
                            "Key": "PRIORITY",
                            "Values": [
                                "Required",
                                "Important"
                            ]
                        },
                        {
                            "Key": "SECTION",
                            "Values": [
                                "*"
                            ]
                        }
                    ]
                },
                "ComplianceLevel": "UNSPECIFIED",
                "EnableNonSecurity": false
            },
            {
                "PatchFilterGroup": {
                    "PatchFilters": [
                        {
                            "Key": "PRODUCT",
                            "Values": [
                                "*"
                            ]
                        },
                        {
                            "Key": "SECTION",
                            "Values": [
                                "python",
                                "libs"
                            ]
                        },
                        {
                            "Key": "PRIORITY",
                            "Values": [
                                "Required",
                                "Important",
                                "Standard",
                                "Optional",
                                "Extra"
                            ]
                        }
                    ]
                },
                "ComplianceLevel": "UNSPECIFIED",
                "EnableNonSecurity": false
            },
            {
                "PatchFilterGroup": {
                    "PatchFilters": [
                        {
                            "Key": "PRODUCT",
                            "Values": [
                                "*"
                            ]
                        },
                        {
                            "Key": "SECTION",
                            "Values": [
                                "*"
                            ]
                        },
                        {
                            "Key": "PRIORITY",
                            "Values": [
                                "Required",
                                "Important",
                                "Standard",
                                "Optional",
                                "Extra"
                            ]
                        }
                    ]
                },
                "ComplianceLevel": "UNSPECIFIED",
                "EnableNonSecurity": false
            }
        ]
    },
    "ApprovedPatches": [
        "nginx"
    ],
    "ApprovedPatchesComplianceLevel": "UNSPECIFIED",
    "ApprovedPatchesEnableNonSecurity": false,
    "RejectedPatches": [
        "openssl 3.0.2-0ubuntu1.15"
    ],
    "RejectedPatchesAction": "ALLOW_AS_DEPENDENCY",
    "PatchGroups": [],
    "Description": "Web servers",
    "Sources": []
}
EOF
bimp "$T/ubuntu.json" --name ubuntu-prod
assert_eq "Ubuntu: exit 0" 0 "$RC"
assert_eq "Ubuntu: only the rule that selects everything is kept, named by --name" "$(cat <<'EOF'
[baseline ubuntu-prod]
rule = classification=* delay=0d
approved = nginx
rejected-action = allow-as-dependency
EOF
)" "$(sed -n '/^\[baseline/,$p' "$OUT")"
E=$(cat "$ERR")
assert_contains "PRIORITY is reported by field" "$E" \
    "ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters[0] (PRIORITY = Required, Important): not mapped: patchgate cannot select Debian packages by priority; the rule is left out"
assert_contains "SECTION is reported by field" "$E" \
    "ApprovalRules.PatchRules[1].PatchFilterGroup.PatchFilters[1] (SECTION = python, libs): not mapped: patchgate cannot select Debian packages by archive section"
assert_not_contains "a SECTION of * is no restriction" "$E" "(SECTION = *)"
assert_not_contains "nor a PRIORITY that lists them all" "$E" "PatchFilters[2] (PRIORITY"
assert_contains "a rejected name with a blank is reported" "$E" \
    "RejectedPatches[0] (openssl 3.0.2-0ubuntu1.15): cannot be expressed"
check_loads "Ubuntu" "$OUT" ubuntu-prod

pg_say "errors"
printf '{\n    "Name": "broken",\n    "ApprovedPatches": ["a", ]\n}\n' >"$T/bad.json"
bimp "$T/bad.json"
assert_eq "malformed JSON exits 1" 1 "$RC"
assert_match "and says file:line:column" "$(cat "$ERR")" "^$T/bad.json:3:[0-9]+: "
assert_eq "and prints no section" "" "$(cat "$OUT")"

printf '{\n    "Name": "trunc",\n    "ApprovedPatches": ["a"' >"$T/trunc.json"
bimp "$T/trunc.json"
assert_eq "a truncated file exits 1" 1 "$RC"
assert_match "with file:line:column" "$(cat "$ERR")" "^$T/trunc.json:3:[0-9]+: "

cat >"$T/empty.json" <<'EOF'
{
    "BaselineId": "pb-0aaaaaaaaaaaaaaaa",
    "Name": "empty",
    "OperatingSystem": "REDHAT_ENTERPRISE_LINUX",
    "ApprovalRules": {
        "PatchRules": []
    },
    "ApprovedPatches": [],
    "RejectedPatches": ["bar"]
}
EOF
bimp "$T/empty.json"
assert_eq "neither rules nor approved patches: exit 1" 1 "$RC"
assert_contains "saying so" "$(cat "$ERR")" "no ApprovalRules.PatchRules and no ApprovedPatches"
assert_eq "and prints no section" "" "$(cat "$OUT")"

echo '[1, 2]' >"$T/array.json"
bimp "$T/array.json"
assert_eq "a JSON array: exit 1" 1 "$RC"

bimp "$T/nosuch.json"
assert_eq "a missing file: exit 1" 1 "$RC"
assert_contains "naming it" "$(cat "$ERR")" "$T/nosuch.json: No such file or directory"

head -c 1100000 /dev/zero | tr '\0' ' ' >"$T/huge.json"
bimp "$T/huge.json"
assert_eq "a file over the size limit: exit 1" 1 "$RC"
assert_contains "saying so" "$(cat "$ERR")" "larger than"

bimp
assert_eq "no FILE: usage, exit 2" 2 "$RC"
assert_contains "the usage names the command" "$(cat "$ERR")" "baseline import FILE [--name NAME]"
bimp "$T/rhel.json" extra
assert_eq "two FILEs: exit 2" 2 "$RC"
bimp "$T/rhel.json" --name "bad name"
assert_eq "a --name that is no section name: exit 2" 2 "$RC"
bimp "$T/rhel.json" --bogus
assert_eq "an unknown option: exit 2" 2 "$RC"
echo "+ patchgate baseline export" >&2
"$PG" baseline export "$T/rhel.json" >/dev/null 2>&1
assert_eq "an unknown subcommand: exit 2" 2 "$?"

pg_done
