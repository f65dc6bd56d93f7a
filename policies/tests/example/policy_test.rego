# Tests for policies/example (run: portcullis test policies/example policies/tests/example).
# They live outside the bundle directory so that the gateway never loads them; the policy reads the
# grants of policies/example/data.json, which `portcullis test` places at the data root.
package portcullis_test

import data.portcullis

# ---------------------------------------------------------------------------------------------
# Input builders: what the gateway sends (docs/policy.md), with the fields a test varies.

identity(groups) := {
	"subject": "tester",
	"anonymous": false,
	"groups": groups,
	"client_id": null,
	"scopes": [],
	"email": null,
	"name": null,
}

read_only := {"readOnlyHint": true, "destructiveHint": false, "openWorldHint": false}

writer := {"readOnlyHint": false, "destructiveHint": false, "openWorldHint": false}

destructive := {"readOnlyHint": false, "destructiveHint": true, "openWorldHint": false}

open_world := {"readOnlyHint": false, "destructiveHint": false, "openWorldHint": true}

tool_call(server, name, annotations, groups) := {
	"phase": "request",
	"method": "tools/call",
	"server": server,
	"tool": {"name": name, "qualified_name": concat("__", [server, name]), "annotations": annotations},
	"arguments": {},
	"identity": identity(groups),
	"session": {"id": "s1", "labels": []},
	"trace_id": "0af7651916cd43dd8448eb211c80319c",
	"time": "2025-06-03T12:30:00.000Z",
}

prompt_get(server, name, groups) := {
	"phase": "request",
	"method": "prompts/get",
	"server": server,
	"prompt": {"name": name, "qualified_name": concat("__", [server, name])},
	"arguments": {},
	"identity": identity(groups),
	"session": {"id": "s1", "labels": []},
}

resource_read(server, uri, groups) := {
	"phase": "request",
	"method": "resources/read",
	"server": server,
	"resource": {"uri": uri},
	"arguments": {},
	"identity": identity(groups),
	"session": {"id": "s1", "labels": []},
}

# ---------------------------------------------------------------------------------------------
# Teams: grants by group

test_engineering_may_create_a_note if {
	d := portcullis.decision with input as tool_call("demo", "create_note", writer, ["engineering"])
	d.allow == true
	d.reasons == {`tool demo/create_note granted to groups ["engineering"]`}
	d.labels == set()
}

test_support_may_not_call_tools_outside_its_list if {
	d := portcullis.decision with input as tool_call("everything", "echo", read_only, ["support"])
	d.allow == false
	d.reasons == {`tool everything/echo is not granted to any of the caller's groups ["support"]`}
}

test_unknown_groups_are_ignored if {
	d := portcullis.decision with input as tool_call("demo", "search_notes", read_only, ["contractors"])
	d.allow == false
	d.reasons == {`tool demo/search_notes is not granted to any of the caller's groups ["contractors"]`}
}

test_callers_without_groups_get_nothing if {
	d := portcullis.decision with input as tool_call("demo", "search_notes", read_only, [])
	d.allow == false
}

test_every_granting_group_is_named if {
	d := portcullis.decision with input as tool_call("demo", "search_notes", read_only, ["support", "auditors"])
	d.allow == true
	d.reasons == {`tool demo/search_notes granted to groups ["auditors", "support"]`}
}

test_prompt_granted_by_group if {
	d := portcullis.decision with input as prompt_get("demo", "summarize_note", ["support"])
	d.allow == true
	d.reasons == {`prompt demo/summarize_note granted to groups ["support"]`}
}

test_resource_granted_by_glob if {
	d := portcullis.decision with input as resource_read("demo", "notes://42", ["support"])
	d.allow == true
	d.reasons == {`resource demo/notes://42 granted to groups ["support"]`}
}

test_completion_on_a_prompt_is_decided_as_the_prompt if {
	request := object.union(prompt_get("demo", "summarize_note", ["engineering"]), {"method": "completion/complete"})
	portcullis.item_kind == "prompt" with input as request
	portcullis.decision.allow with input as request
}

test_completion_on_a_resource_is_decided_as_the_resource if {
	request := object.union(resource_read("demo", "notes://1", ["sam"]), {"method": "completion/complete"})
	portcullis.item_kind == "resource" with input as request
	not portcullis.decision.allow with input as request
}

# ---------------------------------------------------------------------------------------------
# Team profiles from docs/teams.md and the SSO group -> team mapping (data.sso_groups)

test_sales_may_write_customer_notes if {
	d := portcullis.decision with input as tool_call("demo", "create_note", writer, ["sales"])
	d.allow == true
	d.reasons == {`tool demo/create_note granted to groups ["sales"]`}
}

test_sales_may_not_read_the_environment if {
	d := portcullis.decision with input as tool_call("everything", "get-env", read_only, ["sales"])
	d.allow == false
}

test_finance_reads_but_does_not_write if {
	portcullis.decision.allow with input as tool_call("demo", "search_notes", read_only, ["finance"])
	d := portcullis.decision with input as tool_call("demo", "create_note", writer, ["finance"])
	d.allow == false
	d.reasons == {`tool demo/create_note is not read-only (readOnlyHint) and groups ["finance"] may only call read-only tools`}
}

test_sso_group_names_map_to_teams if {
	d := portcullis.decision with input as tool_call("demo", "create_note", writer, ["sso-sales"])
	d.allow == true
	d.reasons == {`tool demo/create_note granted to groups ["sales"]`}
}

test_sso_mapping_changes_with_data if {
	request := tool_call("demo", "create_note", writer, ["okta-sales-emea"])
	not portcullis.decision.allow with input as request
	portcullis.decision.allow with input as request with data.sso_groups as {"okta-sales-emea": "sales"}
}

# ---------------------------------------------------------------------------------------------
# Revocation (data.portcullis_revocations, kept by the gateway's admin endpoint)

test_revoked_subject_is_denied if {
	d := portcullis.decision with input as tool_call("demo", "create_note", writer, ["engineering"])
		with data.portcullis_revocations as {"subjects": ["tester"], "clients": []}
	d.allow == false
	d.reasons == {`subject "tester" is revoked`}
}

test_revoked_client_is_denied if {
	request := object.union(
		tool_call("demo", "search_notes", read_only, ["engineering"]),
		{"identity": object.union(identity(["engineering"]), {"client_id": "rogue-agent"})},
	)
	d := portcullis.decision with input as request
		with data.portcullis_revocations as {"subjects": [], "clients": ["rogue-agent"]}
	d.allow == false
	d.reasons == {`client "rogue-agent" is revoked`}
}

test_other_subjects_are_not_affected_by_revocations if {
	portcullis.decision.allow with input as tool_call("demo", "search_notes", read_only, ["engineering"])
		with data.portcullis_revocations as {"subjects": ["someone-else"], "clients": ["other-client"]}
}

# ---------------------------------------------------------------------------------------------
# The read-only profile (tool annotations) and destructive tools

test_read_only_profile_may_call_read_only_tools if {
	d := portcullis.decision with input as tool_call("demo", "read_note", read_only, ["auditors"])
	d.allow == true
}

test_read_only_profile_may_not_call_writing_tools if {
	d := portcullis.decision with input as tool_call("demo", "create_note", writer, ["auditors"])
	d.allow == false
	d.reasons == {`tool demo/create_note is not read-only (readOnlyHint) and groups ["auditors"] may only call read-only tools`}
}

test_writer_group_lifts_the_read_only_profile if {
	d := portcullis.decision with input as tool_call("demo", "create_note", writer, ["auditors", "engineering"])
	d.allow == true
	d.reasons == {`tool demo/create_note granted to groups ["engineering"]`}
}

test_destructive_tool_needs_a_destructive_grant if {
	d := portcullis.decision with input as tool_call("demo", "delete_note", destructive, ["engineering"])
	d.allow == false
	d.reasons == {"tool demo/delete_note is destructive (destructiveHint) and needs a destructive_tools grant"}
}

test_destructive_grant_allows_a_destructive_tool if {
	d := portcullis.decision with input as tool_call("demo", "delete_note", destructive, ["notes-admins"])
	d.allow == true
	d.reasons == {`tool demo/delete_note granted to groups ["notes-admins"]`}
}

test_unannotated_tool_is_destructive_by_mcp_defaults if {
	portcullis.destructive_tool with input as tool_call("everything", "x", {}, ["engineering"])
	portcullis.open_world_tool with input as tool_call("everything", "x", {}, ["engineering"])
	not portcullis.read_only_tool with input as tool_call("everything", "x", {}, ["engineering"])
}

# ---------------------------------------------------------------------------------------------
# Session labels: the response phase labels a session; labelled sessions lose open-world tools

test_successful_response_from_a_sensitive_tool_labels_the_session if {
	request := object.union(
		tool_call("demo", "read_note", read_only, ["engineering"]),
		{"phase": "response", "result": {"content": [], "isError": false}},
	)
	d := portcullis.decision with input as request
	d.allow == true
	d.labels == {"pii"}
	"tool demo/read_note is flagged sensitive: session labelled pii" in d.reasons
}

test_error_response_adds_no_label if {
	request := object.union(
		tool_call("demo", "read_note", read_only, ["engineering"]),
		{"phase": "response", "error": {"code": -32603, "message": "boom"}},
	)
	d := portcullis.decision with input as request
	d.allow == true
	d.labels == set()
}

test_tool_result_with_is_error_adds_no_label if {
	request := object.union(
		tool_call("everything", "get-env", read_only, ["engineering"]),
		{"phase": "response", "result": {"content": [], "isError": true}},
	)
	count(portcullis.labels) == 0 with input as request
}

test_labelled_session_blocks_open_world_tools if {
	request := json.patch(
		tool_call("everything", "gzip-file-as-resource", open_world, ["engineering"]),
		[{"op": "replace", "path": "/session/labels", "value": ["pii"]}],
	)
	d := portcullis.decision with input as request
	d.allow == false
	d.reasons == {"session is labelled pii, which blocks open-world tools such as everything/gzip-file-as-resource"}
}

test_label_blocks_follow_data if {
	request := json.patch(
		tool_call("everything", "gzip-file-as-resource", open_world, ["engineering"]),
		[{"op": "replace", "path": "/session/labels", "value": ["pii"]}],
	)
	d := portcullis.decision with input as request with data.open_world_blocked_by_labels as []
	d.allow == true
}

# ---------------------------------------------------------------------------------------------
# The list phase: the same access rules, no argument checks

test_list_phase_hides_ungranted_tools if {
	request := object.union(tool_call("everything", "echo", read_only, ["support"]), {"phase": "list"})
	not portcullis.decision.allow with input as request
}

test_list_phase_shows_granted_tools if {
	request := object.remove(object.union(tool_call("demo", "slow_count", read_only, ["engineering"]), {"phase": "list"}), ["arguments"])
	portcullis.decision.allow with input as request
	not portcullis.argument_phase with input as request
}

# ---------------------------------------------------------------------------------------------
# Argument checks

test_argument_above_its_limit_is_denied if {
	request := json.patch(
		tool_call("demo", "slow_count", read_only, ["engineering"]),
		[{"op": "replace", "path": "/arguments", "value": {"n": 101, "delay_ms": 10}}],
	)
	d := portcullis.decision with input as request
	d.allow == false
	d.reasons == {"argument n of demo/slow_count is 101; the limit is 100"}
}

test_argument_within_its_limit_is_allowed if {
	request := json.patch(
		tool_call("demo", "slow_count", read_only, ["engineering"]),
		[{"op": "replace", "path": "/arguments", "value": {"n": 100, "delay_ms": "fast"}}],
	)
	portcullis.decision.allow with input as request
}

test_credentials_in_arguments_are_denied_at_any_depth if {
	request := json.patch(
		tool_call("demo", "create_note", writer, ["engineering"]),
		[{"op": "replace", "path": "/arguments", "value": {"body": {"lines": ["key: AKIAABCDEFGHIJKLMNOP"]}}}],
	)
	d := portcullis.decision with input as request
	d.allow == false
	d.reasons == {"the arguments of demo/create_note contain what looks like an AWS access key id"}
}

# ---------------------------------------------------------------------------------------------
# Default deny and malformed input

test_unknown_server_is_denied if {
	d := portcullis.decision with input as tool_call("payments", "refund", destructive, ["engineering"])
	d.allow == false
	`unknown server "payments"` in d.reasons
}

test_method_outside_the_policy_is_denied if {
	request := object.union(tool_call("demo", "search_notes", read_only, ["engineering"]), {"method": "sampling/createMessage"})
	d := portcullis.decision with input as request
	d.allow == false
	d.reasons == {"method sampling/createMessage is not covered by this policy"}
}

test_gateway_methods_are_allowed if {
	request := {"phase": "request", "method": "ping", "server": null, "identity": identity([]), "session": {"id": null, "labels": []}}
	d := portcullis.decision with input as request
	d.allow == true
	d.reasons == set()
}

test_empty_input_yields_a_decision if {
	d := portcullis.decision with input as {}
	is_boolean(d.allow)
}

test_malformed_groups_grant_nothing if {
	request := json.patch(
		tool_call("demo", "search_notes", read_only, ["engineering"]),
		[{"op": "replace", "path": "/identity/groups", "value": "engineering"}],
	)
	not portcullis.decision.allow with input as request
}

test_broken_rules_fall_back_to_the_default_deny if {
	d := portcullis.decision with input as tool_call("demo", "search_notes", read_only, ["engineering"]) with portcullis.deny as 7
	d == {"allow": false, "reasons": ["the example policy produced no decision"], "labels": []}
}
