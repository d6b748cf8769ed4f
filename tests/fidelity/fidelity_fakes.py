"""What the fidelity tests share besides fixtures: the keys the fakes are started with and a helper
for their control API. (A module of its own: `conftest` is ambiguous when pytest also loads the
end-to-end tests' conftest.)"""

import json
import urllib.request

GEMINI_KEY = "test-gemini-key"
MEM0_KEY = "test-mem0-key"
SELFHOSTED_KEY = "test-selfhosted-key"
SELFHOSTED_MEMBER_KEY = "m0sk_member_key"
# Long enough to watch an add's event go PENDING -> RUNNING -> SUCCEEDED.
MEM0_EVENT_MS = 400


def control(base, path, body=None):
    """Calls a /_fake/ control route and returns the decoded JSON."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        base + path,
        data=data,
        method="POST" if data is not None or path != "/_fake/requests" else "GET",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())
