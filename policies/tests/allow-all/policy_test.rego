# Tests for policies/allow-all (run: portcullis test policies/allow-all policies/tests/allow-all).
package portcullis_test

import data.portcullis

test_every_call_is_allowed if {
	portcullis.decision == {"allow": true, "reasons": []} with input as {"phase": "request", "method": "tools/call"}
}

test_allowed_whatever_the_input if {
	portcullis.decision.allow with input as {}
	portcullis.decision.allow with input as "not even an object"
}
