# Tests for policies/mcp-authz (run: portcullis test policies/mcp-authz policies/tests/mcp-authz).
# The generated data.json is too large to reason about, so every test decides against the small
# directory below (`with data... as`), whose teams, users and tools are written for these tests.
package portcullis.authz_test

import data.portcullis.authz

# ---------------------------------------------------------------------------------------------
# Fixture data

teams := {
	"admins": {
		"servers": ["gitlab", "github", "web", "postgres", "filesystem"],
		"tools": ["*"],
		"denied_tools": [],
		"max_calls_per_hour": 1000,
		"allow_destructive": true,
		"internet": true,
		"hours": {"start": 0, "end": 24},
		"weekends": true,
		"path_prefixes": ["/"],
		"repos": ["acme/*"],
	},
	"dev": {
		"servers": ["gitlab", "filesystem", "postgres", "github"],
		"tools": ["gitlab.*", "filesystem.*", "postgres.query", "github.create_issue"],
		"denied_tools": ["gitlab.delete_tag"],
		"max_calls_per_hour": 100,
		"allow_destructive": false,
		"internet": false,
		"hours": {"start": 9, "end": 18},
		"weekends": false,
		"path_prefixes": ["/workspace/dev/"],
		"repos": ["acme/dev-*"],
	},
	"oncall": {
		"servers": ["postgres"],
		"tools": ["postgres.query"],
		"denied_tools": [],
		"max_calls_per_hour": 50,
		"allow_destructive": false,
		"internet": false,
		"hours": {"start": 0, "end": 24},
		"weekends": true,
		"path_prefixes": [],
		"repos": [],
	},
}

users := {
	"alice": {"teams": ["admins"], "role": "admin", "clearance": 5, "disabled": false},
	"bob": {"teams": ["dev"], "role": "member", "clearance": 2, "disabled": false},
	"carol": {"teams": ["dev"], "role": "member", "clearance": 2, "disabled": true},
	"dave": {"teams": ["ghosts"], "role": "member", "clearance": 2, "disabled": false},
	"erin": {"teams": ["oncall"], "role": "lead", "clearance": 3, "disabled": false},
}

servers := {
	"gitlab": {"trust": "internal"},
	"github": {"trust": "external"},
	"web": {"trust": "external"},
	"filesystem": {"trust": "internal"},
	"postgres": {"trust": "internal"},
}

tools := {
	"gitlab.get_issue": {"annotations": {"readOnlyHint": true, "openWorldHint": false}, "sensitivity": 1},
	"gitlab.delete_tag": {"annotations": {"readOnlyHint": false, "destructiveHint": true, "openWorldHint": false}, "sensitivity": 2},
	"github.create_issue": {"annotations": {"readOnlyHint": false, "openWorldHint": false}, "sensitivity": 2},
	"filesystem.read_file": {"annotations": {"readOnlyHint": true, "openWorldHint": false}, "sensitivity": 1},
	"filesystem.delete_file": {"annotations": {"readOnlyHint": false, "destructiveHint": true, "openWorldHint": false}, "sensitivity": 1},
	"postgres.query": {"annotations": {"readOnlyHint": false, "destructiveHint": false, "openWorldHint": false}, "sensitivity": 2},
	"postgres.admin": {"annotations": {"readOnlyHint": false, "destructiveHint": false, "openWorldHint": false}, "sensitivity": 4},
	"web.fetch": {"annotations": {"readOnlyHint": true}, "sensitivity": 1},
}

config := {
	"admin_team": "admins",
	"blocked_arg_patterns": ["(?i)password\\s*[=:]", "AKIA[0-9A-Z]{16}"],
	"max_argument_length": 20,
}

# Tuesday 2025-06-03 12:30 UTC, the same day at 03:00, and Saturday 2025-06-07 12:30.
tuesday_noon := 1748953800000000000

tuesday_night := 1748919600000000000

saturday_noon := 1749299400000000000

call(user, server, name, arguments) := {
	"method": "tools/call",
	"subject": {"user": user},
	"server": server,
	"params": {"name": name, "arguments": arguments},
	"tool": {"annotations": {}},
	"context": {"time_ns": tuesday_noon, "calls_last_hour": 0},
}

at(request, time_ns) := json.patch(request, [{"op": "replace", "path": "/context/time_ns", "value": time_ns}])

decide(request) := d if {
	d := authz.decision with input as request
		with data.teams as teams
		with data.users as users
		with data.servers as servers
		with data.tools as tools
		with data.config as config
}

# ---------------------------------------------------------------------------------------------
# Teams and grants

test_member_may_call_a_granted_read_only_tool if {
	decide(call("bob", "gitlab", "get_issue", {})) == {"allow": true, "reasons": set(), "admin_override": false}
}

test_member_may_call_a_granted_writing_tool_in_hours if {
	decide(call("bob", "postgres", "query", {"query": "select 1"})).allow
}

test_unknown_teams_grant_nothing if {
	d := decide(call("dave", "gitlab", "get_issue", {}))
	d.allow == false
	d.reasons == {"user belongs to no known team", "no team grants server gitlab", "no team grants tool gitlab.get_issue"}
}

test_team_denied_tool if {
	d := decide(call("bob", "gitlab", "delete_tag", {}))
	"tool gitlab.delete_tag is denied for team dev" in d.reasons
}

test_tool_outside_the_team_grants if {
	d := decide(call("erin", "postgres", "admin", {}))
	d.reasons == {"no team grants tool postgres.admin", "insufficient clearance"}
}

# ---------------------------------------------------------------------------------------------
# Hard denials

test_only_tools_call_is_decided if {
	request := object.union(call("bob", "gitlab", "get_issue", {}), {"method": "tools/list"})
	d := decide(request)
	d.allow == false
	"method is not tools/call" in d.reasons
}

test_unknown_user if {
	d := decide(call("nobody", "gitlab", "get_issue", {}))
	d.reasons == {"unknown user", "no team grants server gitlab", "no team grants tool gitlab.get_issue"}
}

test_disabled_user if {
	d := decide(call("carol", "gitlab", "get_issue", {}))
	d.reasons == {"user is disabled"}
}

test_unknown_server_and_tool if {
	d := decide(call("bob", "jira", "get_ticket", {}))
	d.reasons == {"unknown server", "unknown tool"}
}

test_blocked_argument_pattern if {
	d := decide(call("bob", "gitlab", "get_issue", {"note": "Password: x"}))
	d.reasons == {"argument note matches a blocked pattern"}
}

test_argument_too_long if {
	d := decide(call("bob", "gitlab", "get_issue", {"body": "this is longer than twenty"}))
	d.reasons == {"argument too long"}
}

test_path_traversal if {
	d := decide(call("bob", "filesystem", "read_file", {"path": "/workspace/dev/../x"}))
	"path traversal in argument path" in d.reasons
}

test_plain_http_url if {
	d := decide(call("bob", "gitlab", "get_issue", {"url": "http://x"}))
	d.reasons == {"url must use https"}
	decide(call("bob", "gitlab", "get_issue", {"url": "https://x"})).allow
}

test_server_may_not_claim_read_only_against_the_registry if {
	request := json.patch(call("alice", "gitlab", "delete_tag", {}), [{"op": "replace", "path": "/tool/annotations", "value": {"readOnlyHint": true}}])
	d := decide(request)
	d.allow == false
	d.reasons == {"server claims read-only for a tool the registry says writes"}
}

test_hard_denials_hold_for_admins if {
	d := decide(call("alice", "gitlab", "get_issue", {"url": "ftp://x"}))
	d.allow == false
	d.reasons == {"url must use https"}
}

# ---------------------------------------------------------------------------------------------
# Soft denials: annotations, clearance, time windows, rate limits, arguments

test_destructive_tool_needs_a_destructive_team if {
	d := decide(call("bob", "filesystem", "delete_file", {}))
	d.reasons == {"destructive tool needs a team that allows destructive tools"}
}

test_insufficient_clearance if {
	d := decide(call("bob", "gitlab", "get_issue", {})) with tools as json.patch(tools, [{"op": "replace", "path": "/gitlab.get_issue/sensitivity", "value": 3}])
	d.reasons == {"insufficient clearance"}
}

test_open_world_tool_needs_internet if {
	d := decide(call("bob", "web", "fetch", {}))
	"open-world tool needs a team with internet access" in d.reasons
}

test_open_world_tool_with_internet if {
	decide(call("alice", "web", "fetch", {})).allow
}

test_unregistered_tool_claims_are_not_contradicted if {
	request := json.patch(call("bob", "jira", "get_ticket", {}), [{"op": "replace", "path": "/tool/annotations", "value": {"readOnlyHint": true}}])
	decide(request).reasons == {"unknown server", "unknown tool"}
}

test_advertised_annotations_fill_registry_gaps if {
	request := json.patch(call("alice", "web", "fetch", {}), [{"op": "replace", "path": "/tool/annotations", "value": {"openWorldHint": false}}])
	not authz.open_world with input as request with data.tools as tools with data.users as users with data.teams as teams
}

test_missing_tool_annotations_default_to_none if {
	request := object.remove(call("bob", "gitlab", "get_issue", {}), ["tool"])
	decide(request).allow
}

test_writing_tools_only_in_working_hours if {
	d := decide(at(call("bob", "postgres", "query", {}), tuesday_night))
	d.reasons == {"outside working hours only read-only tools are allowed"}
	decide(at(call("bob", "gitlab", "get_issue", {}), tuesday_night)).allow
}

test_weekends_only_for_teams_that_work_them if {
	d := decide(at(call("bob", "postgres", "query", {}), saturday_noon))
	d.reasons == {"outside working hours only read-only tools are allowed"}
	decide(at(call("erin", "postgres", "query", {}), saturday_noon)).allow
}

test_rate_limit if {
	request := json.patch(call("bob", "gitlab", "get_issue", {}), [{"op": "replace", "path": "/context/calls_last_hour", "value": 100}])
	d := decide(request)
	d.reasons == {"rate limit exceeded"}
}

test_path_outside_team_workspaces if {
	d := decide(call("bob", "filesystem", "read_file", {"path": "/etc/passwd"}))
	d.reasons == {"path outside team workspaces"}
	decide(call("bob", "filesystem", "read_file", {"path": "/workspace/dev/a"})).allow
}

test_repository_outside_team_repos if {
	d := decide(call("bob", "gitlab", "get_issue", {"repo": "acme/web"}))
	d.reasons == {"repository not allowed for the user's teams"}
	decide(call("bob", "gitlab", "get_issue", {"repo": "acme/dev-api"})).allow
}

test_destructive_sql if {
	d := decide(call("bob", "postgres", "query", {"query": "DROP TABLE t"}))
	d.reasons == {"destructive SQL needs a team that allows destructive tools"}
}

test_external_server_writes_need_a_lead if {
	d := decide(call("bob", "github", "create_issue", {}))
	"external server writes need a lead" in d.reasons
}

# ---------------------------------------------------------------------------------------------
# Admin override and the default deny

test_admin_overrides_soft_denials if {
	request := json.patch(call("alice", "postgres", "admin", {"path": "/x"}), [{"op": "replace", "path": "/context/calls_last_hour", "value": 5000}])
	d := decide(request)
	d == {"allow": true, "reasons": set(), "admin_override": true}
}

test_admin_needs_the_admin_team if {
	d := decide(call("erin", "postgres", "query", {})) with users.erin.role as "admin"
	d.admin_override == false
}

test_default_deny if {
	not authz.allow with input as {}
	authz.decision.allow == false with input as {}
}
