# Allow-all policy, for MCP conformance tests only (scripts/mcp-conformance.ts): every call is allowed so the
# suite exercises the gateway's protocol handling, not its policy. Never deploy this.
package portcullis

decision := {"allow": true, "reasons": []}
