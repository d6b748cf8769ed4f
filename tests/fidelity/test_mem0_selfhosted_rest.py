"""The self-hosted mem0 fake against the open-source server's REST surface (`server/main.py`,
`server/auth.py` in mem0's repository). mem0 ships no REST client for that server, so these are
plain HTTP requests whose expected routes, statuses and bodies were read from the server's
source and checked against FastAPI 0.115.8 / pydantic 2.10 (the versions the server pins)."""

import httpx
import pytest

from fidelity_fakes import SELFHOSTED_KEY, SELFHOSTED_MEMBER_KEY, control

ADMIN = {"X-API-Key": SELFHOSTED_KEY}
MEMBER = {"X-API-Key": SELFHOSTED_MEMBER_KEY}


@pytest.fixture()
def server(fakes):
    control(fakes["selfhosted"], "/_fake/reset", {})
    with httpx.Client(base_url=fakes["selfhosted"], headers=ADMIN, timeout=10) as client:
        yield client


def add(server, user, *texts, infer=True):
    resp = server.post("/memories", json={
        "messages": [{"role": "user", "content": t} for t in texts], "user_id": user, "infer": infer})
    assert resp.status_code == 200, resp.text
    return resp.json()["results"]


def test_the_calls_the_app_makes(server, fakes):
    """add -> search -> list -> get -> edit -> history -> delete -> delete all, with the answers' shapes."""
    [added] = add(server, "alice", "I was deployed in Afghanistan")
    assert list(added) == ["id", "memory", "event"] and added["event"] == "ADD"
    mid = added["id"]
    found = server.post("/search", json={"query": "Where was I deployed? Afghanistan", "filters": {"user_id": "alice"},
                                         "top_k": 5, "threshold": 0.1}).json()
    [hit] = found["results"]
    assert set(hit) == {"id", "memory", "hash", "metadata", "score", "created_at", "updated_at", "user_id"}
    assert hit["id"] == mid and 0 < hit["score"] <= 1
    listed = server.get("/memories", params={"user_id": "alice", "top_k": 1000}).json()
    assert [m["id"] for m in listed["results"]] == [mid] and "score" not in listed["results"][0]
    assert list(listed) == ["results"], "one unpaginated list"
    one = server.get(f"/memories/{mid}").json()
    assert one["memory"] == "I was deployed in Afghanistan" and one["score"] is None and one["metadata"] is None
    assert server.put(f"/memories/{mid}", json={"text": "I served in Afghanistan"}).json() == {
        "message": "Memory updated successfully!"}
    history = server.get(f"/memories/{mid}/history").json()
    assert [(h["event"], h["old_memory"], h["new_memory"]) for h in history] == [
        ("ADD", None, "I was deployed in Afghanistan"), ("UPDATE", "I was deployed in Afghanistan", "I served in Afghanistan")]
    assert set(history[0]) == {"id", "memory_id", "old_memory", "new_memory", "event", "created_at", "updated_at",
                               "is_deleted", "actor_id", "role"}
    assert server.delete(f"/memories/{mid}").json() == {"message": "Memory deleted successfully"}
    add(server, "alice", "I like tea")
    assert server.delete("/memories", params={"user_id": "alice"}).json() == {"message": "All relevant memories deleted"}
    assert server.get("/memories", params={"user_id": "alice"}).json() == {"results": []}
    log = control(fakes["selfhosted"], "/_fake/requests")
    assert {r["path"].replace(mid, "{id}") for r in log} == {
        "/memories", "/search", "/memories/{id}", "/memories/{id}/history"}
    assert all(r["status"] == 200 and r["headers"]["x-api-key"] == SELFHOSTED_KEY for r in log)


@pytest.mark.parametrize("method,path", [
    ("POST", "/memories/"), ("GET", "/memories/"), ("DELETE", "/memories/"), ("POST", "/search/"),
    ("GET", "/memories/00000000-0000-0000-0000-000000000000/"),
    ("GET", "/memories/00000000-0000-0000-0000-000000000000/history/"), ("POST", "/v3/memories/add/"),
])
def test_a_trailing_slash_is_a_404(server, method, path):
    resp = server.request(method, path)
    assert (resp.status_code, resp.json()) == (404, {"detail": "Not Found"})


def test_auth(fakes):
    url = f"{fakes['selfhosted']}/memories?user_id=a"
    missing = httpx.get(url)
    assert (missing.status_code, missing.json()) == (
        401, {"detail": "Authentication required. Provide a Bearer token or X-API-Key header."})
    assert missing.headers["www-authenticate"] == "Bearer"
    assert httpx.get(url, headers={"X-API-Key": "wrong"}).json() == {"detail": "Invalid API key."}
    assert httpx.get(url, headers={"Authorization": f"Token {SELFHOSTED_KEY}"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer x.y.z"}).json() == {"detail": "Invalid or expired token."}
    assert httpx.get(url, headers=MEMBER).status_code == 200
    assert httpx.delete(url, headers=MEMBER).json() == {"detail": "Admin role required."}
    assert httpx.get(url, headers=ADMIN).headers["x-request-id"]


def test_validation_is_fastapis_422(server):
    resp = server.post("/memories", json={"messages": [{"role": "user"}], "user_id": ["a"]})
    assert resp.status_code == 422
    assert resp.json() == {"detail": [
        {"type": "missing", "loc": ["body", "messages", 0, "content"], "msg": "Field required", "input": {"role": "user"}},
        {"type": "string_type", "loc": ["body", "user_id"], "msg": "Input should be a valid string", "input": ["a"]},
    ]}
    resp = server.get("/memories", params={"user_id": "a", "top_k": "-1"})
    assert resp.json()["detail"][0]["type"] == "greater_than_equal"
    resp = server.post("/search", json={"filters": {"user_id": "a"}})
    assert resp.json()["detail"] == [{"type": "missing", "loc": ["body", "query"], "msg": "Field required",
                                      "input": {"filters": {"user_id": "a"}}}]


def test_server_and_library_refusals(server):
    assert server.post("/memories", json={"messages": [{"role": "user", "content": "x"}]}).json() == {
        "detail": "At least one identifier (user_id, agent_id, run_id) is required."}
    assert server.post("/search", json={"query": "x"}).json() == {
        "detail": "filters must contain at least one of: user_id, agent_id, run_id. Example: filters={'user_id': 'u1'}"}
    assert server.delete("/memories").json() == {"detail": "At least one identifier is required."}
    missing = "11111111-1111-1111-1111-111111111111"
    assert server.get(f"/memories/{missing}").json() is None
    assert server.delete(f"/memories/{missing}").json() == {"detail": f"Memory with id {missing} not found"}
    assert server.get(f"/memories/{missing}/history").json() == []
    broken = server.get("/memories/not-a-uuid")
    assert broken.status_code == 502
    assert broken.json() == {"detail": "Upstream provider error.", "code": "unknown",
                             "request_id": broken.headers["x-request-id"]}


def test_list_returns_twenty_unless_asked(server):
    add(server, "bob", *[f"fact number {i}" for i in range(25)], infer=False)
    assert len(server.get("/memories", params={"user_id": "bob"}).json()["results"]) == 20
    assert len(server.get("/memories", params={"user_id": "bob", "top_k": 1000}).json()["results"]) == 25


def test_wildcards_reach_every_user(server):
    add(server, "carl", "one")
    add(server, "dora", "two")
    assert len(server.get("/memories", params={"user_id": "*", "top_k": 1000}).json()["results"]) == 2
    server.delete("/memories", params={"user_id": "*"})
    assert server.get("/memories").json() == {"results": []}


def test_cors_allows_a_single_origin(fakes):
    base = fakes["selfhosted"]
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key,content-type"}
    refused = httpx.options(f"{base}/memories", headers={"Origin": "http://127.0.0.1:9999", **ask})
    assert (refused.status_code, refused.text) == (400, "Disallowed CORS origin")
    allowed = httpx.options(f"{base}/memories", headers={"Origin": "http://localhost:3000", **ask})
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
