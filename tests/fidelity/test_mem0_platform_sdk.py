"""The newest `mem0ai` SDK (`MemoryClient(host=fake, api_key=…)`) against the mem0 Platform fake, for
every call the app makes: v3 add (queued, and `infer=False`), the add's event, v3 search, the v3
paginated list, one memory, edit, delete, history, feedback and delete-all, plus the key check the
SDK makes when it starts. The SDK has no event call: events are read through the SDK's own HTTP
client, which carries its headers, as mem0's own integrations do."""

import time

import pytest
from mem0 import MemoryClient
from mem0.exceptions import MemoryError as Mem0Error

from fidelity_fakes import MEM0_KEY, control


@pytest.fixture()
def mem0(fakes):
    control(fakes["mem0"], "/_fake/reset", {})
    return MemoryClient(api_key=MEM0_KEY, host=fakes["mem0"])

def wait_for(pred, timeout=3.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_mem0_ping_and_bad_key(mem0, fakes):
    assert mem0.user_email == "tester@example.com"
    with pytest.raises(ValueError, match="Invalid API key"):
        MemoryClient(api_key="wrong", host=fakes["mem0"])


def test_mem0_add_sync_and_async(mem0, fakes):
    sync = mem0.add(
        [{"role": "user", "content": "I am a veteran with PTSD"}], user_id="alice", infer=False, metadata={"k": 1}
    )
    assert sync["status"] == "SUCCEEDED"
    assert sync["results"][0]["event"] == "ADD"
    queued = mem0.add(
        [
            {"role": "user", "content": "I like green tea in the morning"},
            {"role": "assistant", "content": "Noted, green tea it is."},
        ],
        user_id="alice",
    )
    assert queued["status"] == "PENDING"
    page = wait_for(lambda: (p := mem0.get_all(filters={"user_id": "alice"}))["count"] == 2 and p)
    texts = sorted(m["memory"] for m in page["results"])
    assert texts == ["I am a veteran with PTSD", "I like green tea in the morning"]
    vet = next(m for m in page["results"] if "veteran" in m["memory"])
    assert vet["categories"] == ["health", "personal_details"]
    assert vet["metadata"] == {"k": 1}
    recorded = control(fakes["mem0"], "/_fake/requests")
    adds = [r for r in recorded if r["path"] == "/v3/memories/add/"]
    assert adds and adds[0]["headers"]["authorization"] == f"Token {MEM0_KEY}"


def test_mem0_search_get_update_history_delete(mem0):
    mem0.add([{"role": "user", "content": "My dog is called Rex"}], user_id="bob", infer=False)
    mem0.add([{"role": "user", "content": "I sleep badly after night shifts"}], user_id="bob", infer=False)
    mem0.add([{"role": "user", "content": "Rex is the name of my cat"}], user_id="carol", infer=False)
    found = mem0.search("what is the dog called", filters={"AND": [{"user_id": "bob"}]}, top_k=5)
    assert [r["memory"] for r in found["results"]] == ["My dog is called Rex"]
    assert 0 < found["results"][0]["score"] <= 1
    mid = found["results"][0]["id"]
    assert mem0.get(mid)["memory"] == "My dog is called Rex"
    updated = mem0.update(mid, text="My dog is called Max")
    assert updated["memory"] == "My dog is called Max"
    hist = mem0.history(mid)
    assert [h["event"] for h in hist] == ["ADD", "UPDATE"]
    assert hist[1]["old_memory"] == "My dog is called Rex"
    assert mem0.delete(mid)["message"]
    page = mem0.get_all(filters={"user_id": "bob"}, page=1, page_size=10)
    assert [m["memory"] for m in page["results"]] == ["I sleep badly after night shifts"]
    assert mem0.delete_all(user_id="bob")["message"]
    assert mem0.get_all(filters={"user_id": "bob"})["count"] == 0
    assert mem0.get_all(filters={"user_id": "carol"})["count"] == 1


def test_mem0_batch_and_feedback(mem0):
    res = mem0.add([{"role": "user", "content": "Likes hiking"}], user_id="dave", infer=False)
    mid = res["results"][0]["id"]
    assert "Successfully updated 1" in mem0.batch_update([{"memory_id": mid, "text": "Loves hiking"}])["message"]
    assert mem0.get(mid)["memory"] == "Loves hiking"
    fb = mem0.feedback(mid, feedback="positive", feedback_reason="accurate")
    assert fb["feedback"] == "POSITIVE"
    assert "Successfully deleted 1" in mem0.batch_delete([{"memory_id": mid}])["message"]


def test_mem0_scripted_failures(mem0, fakes):
    control(
        fakes["mem0"],
        "/_fake/script",
        [{"method": "POST", "path_prefix": "/v3/memories/search/", "status": 429, "retry_after": 2, "times": 1}],
    )
    with pytest.raises(Mem0Error) as ei:
        mem0.search("anything", filters={"user_id": "x"})
    assert ei.value.debug_info.get("retry_after") == 2
    assert mem0.search("anything", filters={"user_id": "x"}) == {"results": []}
    control(fakes["mem0"], "/_fake/down", {"down": True})
    with pytest.raises(Mem0Error):
        mem0.get_all(filters={"user_id": "x"})
    control(fakes["mem0"], "/_fake/down", {"down": False})
    assert mem0.get_all(filters={"user_id": "x"})["count"] == 0


# ------------------------------------------------------------------ v3 in detail


def event(mem0, event_id):
    resp = mem0.client.get(f"/v1/event/{event_id}/")
    resp.raise_for_status()
    return resp.json()


def test_mem0_add_event_goes_pending_running_succeeded(mem0):
    queued = mem0.add(
        [
            {"role": "user", "content": "I was deployed in Afghanistan"},
            {"role": "assistant", "content": "Thank you for telling me."},
        ],
        user_id="erin",
        metadata={"source": "chat"},
    )
    assert queued == {"event_id": queued["event_id"], "status": "PENDING"}
    seen = []
    ev = event(mem0, queued["event_id"])
    while ev["status"] in ("PENDING", "RUNNING"):
        if not seen or seen[-1] != ev["status"]:
            seen.append(ev["status"])
        time.sleep(0.02)
        ev = event(mem0, queued["event_id"])
    assert seen == ["PENDING", "RUNNING"]
    assert ev["status"] == "SUCCEEDED"
    assert ev["event_type"] == "ADD"
    assert ev["error"] is None and ev["latency"] > 0 and ev["completed_at"]
    assert ev["payload"]["messages"][0]["content"] == "I was deployed in Afghanistan"
    [extracted] = ev["results"]
    assert set(extracted) == {"id", "event", "user_id", "data"}
    assert (extracted["event"], extracted["user_id"], extracted["data"]) == (
        "ADD", "erin", {"memory": "I was deployed in Afghanistan"})
    stored = mem0.get(extracted["id"])
    assert stored["memory"] == "I was deployed in Afghanistan"
    assert stored["metadata"] == {"source": "chat"}
    assert "session_id" in stored and "run_id" not in stored


def test_mem0_infer_false_answers_at_once(mem0):
    res = mem0.add(
        [{"role": "user", "content": "Alice loves badminton"}, {"role": "assistant", "content": "Noted"}],
        user_id="alice", infer=False,
    )
    assert list(res) == ["message", "status", "event_id", "results"]
    assert (res["message"], res["status"]) == ("Memories stored successfully", "SUCCEEDED")
    assert [r["data"]["memory"] for r in res["results"]] == ["Alice loves badminton", "Noted"]
    assert all(list(r) == ["id", "data", "event"] and r["event"] == "ADD" for r in res["results"])
    assert event(mem0, res["event_id"])["status"] == "SUCCEEDED"


def test_mem0_failed_event(mem0, fakes):
    control(fakes["mem0"], "/_fake/script", [{"fail_event": "Extraction failed"}])
    queued = mem0.add("I sleep badly", user_id="frank")
    ev = wait_for(lambda: (e := event(mem0, queued["event_id"]))["status"] == "FAILED" and e)
    assert (ev["error"], ev["results"]) == ("Extraction failed", [])
    assert mem0.get_all(filters={"user_id": "frank"})["count"] == 0


def test_mem0_v3_search_shape_and_refusals(mem0, fakes):
    mem0.add("My dog is called Rex", user_id="gina", infer=False)
    found = mem0.search("what is my dog called", filters={"user_id": "gina"})
    [hit] = found["results"]
    assert 0 < hit["score"] <= 1
    assert set(hit["score_breakdown"]) == {"semantic", "bm25", "entity"}
    assert "run_id" in hit and "session_id" not in hit
    sent = [r for r in control(fakes["mem0"], "/_fake/requests") if r["path"] == "/v3/memories/search/"][-1]
    assert sent["body"] == {"query": "what is my dog called", "filters": {"user_id": "gina"}}
    refused = mem0.client.post("/v3/memories/search/", json={"query": "dog", "user_id": "gina"})
    assert refused.status_code == 400
    assert "filters" in refused.json()["error"]
    with pytest.raises(Mem0Error):
        mem0.search("dog", filters={"categories": {"in": ["food"]}})


def test_mem0_v3_list_pages(mem0):
    mem0.add([{"role": "user", "content": f"fact {i}"} for i in range(5)], user_id="hank", infer=False)
    seen, page = [], 1
    while True:
        got = mem0.get_all(filters={"AND": [{"user_id": "hank"}]}, page=page, page_size=2)
        assert got["count"] == 5
        seen += [m["memory"] for m in got["results"]]
        if got["next"] is None:
            break
        assert got["next"].endswith(f"/v3/memories/?page={page + 1}&page_size=2")
        page += 1
    assert seen == [f"fact {i}" for i in range(5)]
    assert all("session_id" in m for m in mem0.get_all(filters={"user_id": "hank"})["results"])
    with pytest.raises(Mem0Error):
        mem0.get_all(filters={"user_id": "hank"}, page_size=201)


def test_mem0_wildcard_delete_all_deletes_every_user(mem0):
    mem0.add("one", user_id="ida", infer=False)
    mem0.add("two", user_id="jon", infer=False)
    answer = mem0.delete_all(user_id="ida")
    assert answer["message"] and answer["event_id"]
    assert mem0.get_all(filters={"user_id": "jon"})["count"] == 1
    mem0.delete_all(user_id="*")
    assert mem0.get_all(filters={"user_id": "jon"})["count"] == 0


def test_mem0_every_call_the_app_makes_is_served(mem0, fakes):
    """The app's whole Platform surface through the SDK: nothing it sends is unknown to the fake."""
    res = mem0.add("I like green tea", user_id="kay", infer=False)
    mid = res["results"][0]["id"]
    queued = mem0.add("I walk every morning", user_id="kay")
    wait_for(lambda: event(mem0, queued["event_id"])["status"] == "SUCCEEDED")
    mem0.search("tea", filters={"AND": [{"user_id": "kay"}]}, top_k=5, threshold=0.1, rerank=False)
    mem0.get_all(filters={"AND": [{"user_id": "kay"}]}, page=1, page_size=200)
    mem0.get(mid)
    mem0.update(mid, text="I like black tea", metadata={"edited": True})
    mem0.history(mid)
    mem0.feedback(mid, feedback="POSITIVE", feedback_reason="right")
    mem0.delete(mid)
    mem0.delete_all(user_id="kay")
    log = control(fakes["mem0"], "/_fake/requests")
    calls = {(r["method"], r["path"] if "/v1/memories/" not in r["path"] or r["path"] == "/v1/memories/"
              else r["path"].replace(mid, "{id}"), r["status"]) for r in log if "/v1/event/" not in r["path"]}
    assert calls == {
        ("GET", "/v1/ping/", 200),
        ("POST", "/v3/memories/add/", 200),
        ("POST", "/v3/memories/search/", 200),
        ("POST", "/v3/memories/", 200),
        ("GET", "/v1/memories/{id}/", 200),
        ("PUT", "/v1/memories/{id}/", 200),
        ("GET", "/v1/memories/{id}/history/", 200),
        ("POST", "/v1/feedback/", 200),
        ("DELETE", "/v1/memories/{id}/", 200),
        ("DELETE", "/v1/memories/", 200),
    }
    assert all(r["headers"]["authorization"] == f"Token {MEM0_KEY}" for r in log)
    assert all(r["response_bytes"] > 0 for r in log)
    assert [r["query"] for r in log if r["method"] == "DELETE" and r["path"] == "/v1/memories/"] == [{"user_id": "kay"}]
