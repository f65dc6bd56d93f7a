# Example Portcullis policy: what `npm start` serves. The gateway evaluates `data.portcullis.decision`
# for every MCP request it forwards (phase "request"), every upstream answer (phase "response") and
# every item it would show in tools/list, prompts/list or resources/list (phase "list").
# docs/policy.md describes the input and the decision; data.json holds the grants this file reads.
#
# Sections: the decision; what is being decided; access (group grants, the read-only profile,
# destructive tools, session labels); argument checks; the response phase.
#
package portcullis

# The decision: allowed when no rule denies. On allow, `reasons` explains what allowed it (for the
# audit log); on deny, it lists every deny reason (the client sees them).
decision := {"allow": true, "reasons": notes, "labels": labels} if count(deny) == 0

decision := {"allow": false, "reasons": deny, "labels": labels} if count(deny) > 0

# Never used while the rules above are well-formed; it keeps a broken edit from leaving the decision
# undefined (which the gateway also treats as deny, but without saying why).
default decision := {"allow": false, "reasons": ["the example policy produced no decision"], "labels": []}

# ---------------------------------------------------------------------------------------------
# What is being decided

# The kind of item the method acts on (completion/complete acts on the prompt or resource whose
# arguments it completes); undefined for methods the gateway answers itself and for upstream
# methods this policy does not know.
item_kind := "tool" if input.method == "tools/call"

item_kind := "prompt" if {
	input.method in {"prompts/get", "completion/complete"}
	input.prompt
}

item_kind := "resource" if {
	input.method in {"resources/read", "resources/subscribe", "resources/unsubscribe", "completion/complete"}
	input.resource
}

# The item's name as data.json spells it: "<server>/<tool or prompt name>" or "<server>/<resource uri>".
item_key := sprintf("%s/%s", [input.server, input.tool.name]) if item_kind == "tool"

item_key := sprintf("%s/%s", [input.server, input.prompt.name]) if item_kind == "prompt"

item_key := sprintf("%s/%s", [input.server, input.resource.uri]) if item_kind == "resource"

# The data.json field that lists grants (and sensitive items) for this kind of item.
kind_field := {"tool": "tools", "prompt": "prompts", "resource": "resources"}[item_kind]

# Request and list phases decide access; the response phase only inspects results.
access_phase if input.phase in {"request", "list"}

# The gateway answers some methods itself (initialize, ping, the list methods); it passes no server.
upstream_method if input.server != null

known_server if data.servers[input.server]

# ---------------------------------------------------------------------------------------------
# Tool annotations. They are the upstream server's own claims: trust them only as far as you trust
# the server. Defaults follow the MCP specification.

annotation(name, default_value) := object.get(input, ["tool", "annotations", name], default_value)

read_only_tool if annotation("readOnlyHint", false) == true

# destructiveHint defaults to true and only means something for tools that are not read-only.
destructive_tool if {
	not read_only_tool
	annotation("destructiveHint", true) == true
}

# openWorldHint (the tool reaches systems outside the server) defaults to true.
open_world_tool if annotation("openWorldHint", true) == true

# ---------------------------------------------------------------------------------------------
# Access (request and list phases): who may use which server's tools, prompts and resources, by
# group (data.groups), with the read-only profile, destructive tools, and blocks that follow
# session labels.

# The caller's teams: each group from the identity provider, renamed through data.sso_groups when
# listed there (SSO group -> team), kept when data.groups defines it under its own name; unknown
# names are ignored. Anonymous callers arrive with the groups the gateway configuration gives them.
caller_groups contains name if {
	some group in input.identity.groups
	name := object.get(data.sso_groups, group, group)
	data.groups[name]
}

# Groups of the caller whose grant for this kind of item matches it. Patterns are globs over
# item_key in which `*` matches any run of characters, "/" and ":" included.
granting_groups contains name if {
	some name in caller_groups
	some pattern in data.groups[name][kind_field]
	glob.match(pattern, null, item_key)
}

# Granting groups that may do more than read: the read-only profile covers only read-only tools.
writer_groups contains name if {
	some name in granting_groups
	not data.groups[name].read_only
}

# A destructive tool needs a destructive_tools grant from a group that may write, even for writers.
destructive_granting_groups contains name if {
	some name in writer_groups
	some pattern in data.groups[name].destructive_tools
	glob.match(pattern, null, item_key)
}

# The groups whose grant applies to this request.
effective_groups := destructive_granting_groups if {
	item_kind == "tool"
	destructive_tool
} else := writer_groups if {
	item_kind == "tool"
	not read_only_tool
} else := granting_groups

notes contains sprintf("%s %s granted to groups %v", [item_kind, item_key, sort(effective_groups)]) if {
	access_phase
	count(effective_groups) > 0
}

# Revoked callers (the gateway's admin endpoint or `portcullis revoke` keeps this list in
# data.portcullis_revocations). The gateway refuses them before any policy runs; denying them here
# too keeps the policy correct wherever else it is evaluated.
deny contains sprintf("subject %q is revoked", [input.identity.subject]) if {
	input.identity.subject in data.portcullis_revocations.subjects
}

deny contains sprintf("client %q is revoked", [input.identity.client_id]) if {
	input.identity.client_id in data.portcullis_revocations.clients
}

deny contains sprintf("unknown server %q", [input.server]) if {
	access_phase
	upstream_method
	not known_server
}

deny contains sprintf("method %s is not covered by this policy", [input.method]) if {
	access_phase
	upstream_method
	not item_kind
}

deny contains sprintf("%s %s is not granted to any of the caller's groups %v", [item_kind, item_key, input.identity.groups]) if {
	access_phase
	known_server
	count(granting_groups) == 0
}

deny contains sprintf("tool %s is not read-only (readOnlyHint) and groups %v may only call read-only tools", [item_key, sort(granting_groups)]) if {
	access_phase
	known_server
	item_kind == "tool"
	not read_only_tool
	count(granting_groups) > 0
	count(writer_groups) == 0
}

deny contains sprintf("tool %s is destructive (destructiveHint) and needs a destructive_tools grant", [item_key]) if {
	access_phase
	known_server
	item_kind == "tool"
	destructive_tool
	count(writer_groups) > 0
	count(destructive_granting_groups) == 0
}

# After a session has seen sensitive data (see the response phase below), tools that reach outside systems
# could carry it away: block them for the rest of the session.
deny contains sprintf("session is labelled %s, which blocks open-world tools such as %s", [label, item_key]) if {
	access_phase
	item_kind == "tool"
	open_world_tool
	some label in input.session.labels
	label in data.open_world_blocked_by_labels
}

# ---------------------------------------------------------------------------------------------
# Argument checks on tools and prompts. Request phase only: the list phase has no arguments, and
# the response phase has already passed these checks.

argument_phase if {
	input.phase == "request"
	item_kind in {"tool", "prompt"}
}

# Numeric limits per item and argument (data.argument_limits).
deny contains sprintf("argument %s of %s is %v; the limit is %v", [name, item_key, value, limit]) if {
	argument_phase
	some name, limit in data.argument_limits[item_key]
	value := input.arguments[name]
	is_number(value)
	value > limit
}

# Credentials must not travel in arguments, at any depth (data.blocked_argument_patterns).
deny contains sprintf("the arguments of %s contain what looks like %s", [item_key, blocked.description]) if {
	argument_phase
	walk(input.arguments, [_, value])
	is_string(value)
	some blocked in data.blocked_argument_patterns
	regex.match(blocked.pattern, value)
}

# ---------------------------------------------------------------------------------------------
# The response phase: results are allowed; a successful result from an item flagged sensitive in
# data.sensitive labels the session (e.g. "pii"), which later decisions see in
# input.session.labels (and the access rules above block open-world tools in such sessions).

# An answer that carries data: not a JSON-RPC error and not a tool result with isError.
successful_response if {
	input.phase == "response"
	not input.error
	object.get(input, ["result", "isError"], false) != true
}

# Labels the gateway adds to the session.
labels contains label if {
	successful_response
	some pattern, flagged in data.sensitive[kind_field]
	glob.match(pattern, null, item_key)
	some label in flagged
}

notes contains sprintf("%s %s is flagged sensitive: session labelled %s", [item_kind, item_key, label]) if {
	some label in labels
}
