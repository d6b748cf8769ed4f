"""Fidelity tests: the official SDKs (google-genai, mem0ai) must parse the fakes' answers.

Run from the repo root:
    python3 -m venv .venv && .venv/bin/pip install -r tests/requirements.txt
    .venv/bin/pytest tests/fidelity -q

The fakes binary is taken from $FAKES_BIN, or built with
`cargo build -p wellness0-fakes` and taken from target/debug/fakes.
"""

import json
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("MEM0_TELEMETRY", "False")

from google import genai  # noqa: E402
from google.genai import errors as genai_errors  # noqa: E402
from google.genai import types  # noqa: E402
from mem0 import MemoryClient  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GEMINI_KEY = "test-gemini-key"
MEM0_KEY = "test-mem0-key"
MODEL = "gemini-3.5-flash"


@pytest.fixture(scope="session")
def fakes():
    """Starts the fakes on free ports; yields {"gemini": url, "mem0": url}."""
    binary = os.environ.get("FAKES_BIN")
    if not binary:
        subprocess.run(["cargo", "build", "-p", "wellness0-fakes"], cwd=ROOT, check=True)
        binary = str(ROOT / "target" / "debug" / "fakes")
    proc = subprocess.Popen(
        [binary, "--gemini-port", "0", "--mem0-port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    urls = {}
    try:
        while len(urls) < 2:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("fakes exited before listening")
            m = re.fullmatch(r"(gemini|mem0) listening on (http://\S+)\n", line)
            assert m, f"unexpected banner line: {line!r}"
            urls[m.group(1)] = m.group(2)
        yield urls
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def control(base, path, body=None):
    """Calls a /_fake/ control route and returns the decoded JSON."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        base + path,
        data=data,
        method="POST" if data is not None or path != "/_fake/requests" else "GET",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())


@pytest.fixture()
def gemini(fakes):
    control(fakes["gemini"], "/_fake/reset", {})
    return genai.Client(
        api_key=GEMINI_KEY,
        http_options={"base_url": fakes["gemini"], "api_version": "v1beta"},
    )


@pytest.fixture()
def mem0(fakes):
    control(fakes["mem0"], "/_fake/reset", {})
    return MemoryClient(api_key=MEM0_KEY, host=fakes["mem0"])


# ------------------------------------------------------------------ Gemini


def test_generate_content(gemini, fakes):
    resp = gemini.models.generate_content(
        model=MODEL,
        contents="Hello there, fake model",
        config=types.GenerateContentConfig(system_instruction="## Memories\n- Likes tea\n- Served in the army"),
    )
    assert resp.text == (
        'I hear you. You said: "Hello there, fake model"\n\n**Turns so far:** 1'
        "\n\nI remember: Likes tea; Served in the army"
    )
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP
    assert resp.usage_metadata.prompt_token_count > 0
    assert resp.usage_metadata.total_token_count == (
        resp.usage_metadata.prompt_token_count + resp.usage_metadata.candidates_token_count
    )
    assert resp.model_version == MODEL
    assert len(resp.response_id) == 20
    recorded = control(fakes["gemini"], "/_fake/requests")
    assert recorded[-1]["path"] == f"/v1beta/models/{MODEL}:generateContent"
    assert recorded[-1]["headers"]["x-goog-api-key"] == GEMINI_KEY


def test_generate_content_stream(gemini, fakes):
    control(fakes["gemini"], "/_fake/script", [{"kind": "reply", "text": "one two three four five six seven"}])
    chunks = list(gemini.models.generate_content_stream(model=MODEL, contents="hi"))
    assert len(chunks) == 3
    assert "".join(c.text for c in chunks) == "one two three four five six seven"
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert all(c.candidates[0].finish_reason is None for c in chunks[:-1])
    assert len({c.response_id for c in chunks}) == 1


def test_default_stream_joins_to_full_text(gemini):
    full = gemini.models.generate_content(model=MODEL, contents="same words here").text
    streamed = "".join(c.text for c in gemini.models.generate_content_stream(model=MODEL, contents="same words here"))
    assert streamed == full


def test_count_tokens(gemini):
    resp = gemini.models.count_tokens(model=MODEL, contents="one two three four")
    assert resp.total_tokens == 4


def test_embed_content(gemini):
    resp = gemini.models.embed_content(
        model="gemini-embedding-001",
        contents=["hello world", "goodbye"],
        config=types.EmbedContentConfig(output_dimensionality=8),
    )
    assert len(resp.embeddings) == 2
    assert all(len(e.values) == 8 for e in resp.embeddings)


def test_models_list_and_get(gemini):
    names = [m.name for m in gemini.models.list(config={"page_size": 3})]
    assert "models/gemini-flash-latest" in names
    assert "models/gemini-embedding-001" in names
    assert len(names) == len(set(names)) > 3
    m = gemini.models.get(model="gemini-3.1-pro-preview")
    assert m.input_token_limit == 1048576
    assert "generateContent" in m.supported_actions


@pytest.mark.parametrize(
    "status,kind,name",
    [
        (429, genai_errors.ClientError, "RESOURCE_EXHAUSTED"),
        (400, genai_errors.ClientError, "INVALID_ARGUMENT"),
        (403, genai_errors.ClientError, "PERMISSION_DENIED"),
        (404, genai_errors.ClientError, "NOT_FOUND"),
        (500, genai_errors.ServerError, "INTERNAL"),
        (503, genai_errors.ServerError, "UNAVAILABLE"),
    ],
)
def test_scripted_errors(gemini, fakes, status, kind, name):
    control(fakes["gemini"], "/_fake/script", [{"kind": "error", "status": status, "retry_delay": "7s"}])
    with pytest.raises(kind) as ei:
        gemini.models.generate_content(model=MODEL, contents="hi")
    assert ei.value.code == status
    assert ei.value.status == name
    if status == 429:
        assert "Please retry in 7s." in ei.value.message
        retry = [d for d in ei.value.details["error"]["details"] if d["@type"].endswith("RetryInfo")]
        assert retry[0]["retryDelay"] == "7s"
    if status == 503:
        assert ei.value.message == "The model is overloaded. Please try again later."


def test_stream_error_before_first_chunk(gemini, fakes):
    control(fakes["gemini"], "/_fake/script", [{"kind": "error", "status": 503}])
    with pytest.raises(genai_errors.ServerError) as ei:
        list(gemini.models.generate_content_stream(model=MODEL, contents="hi"))
    assert ei.value.code == 503


def test_error_mid_stream(gemini, fakes):
    control(
        fakes["gemini"],
        "/_fake/script",
        [{"kind": "error_mid_stream", "text": "a b c d e f g h i", "after_chunks": 2, "status": 503}],
    )
    got = []
    with pytest.raises(genai_errors.APIError) as ei:
        for c in gemini.models.generate_content_stream(model=MODEL, contents="hi"):
            got.append(c.text)
    assert got == ["a b c ", "d e f "]
    assert ei.value.code == 503


def test_blocked_prompt(gemini, fakes):
    control(fakes["gemini"], "/_fake/script", [{"kind": "blocked"}])
    resp = gemini.models.generate_content(model=MODEL, contents="hi")
    assert resp.prompt_feedback.block_reason == types.BlockedReason.SAFETY
    assert not resp.candidates
    assert resp.text is None


def test_bad_key_and_unknown_model(fakes):
    bad = genai.Client(api_key="wrong", http_options={"base_url": fakes["gemini"], "api_version": "v1beta"})
    with pytest.raises(genai_errors.ClientError) as ei:
        bad.models.generate_content(model=MODEL, contents="hi")
    assert (ei.value.code, ei.value.status) == (400, "INVALID_ARGUMENT")
    assert ei.value.message == "API key not valid. Please pass a valid API key."
    good = genai.Client(api_key=GEMINI_KEY, http_options={"base_url": fakes["gemini"], "api_version": "v1beta"})
    with pytest.raises(genai_errors.ClientError) as ei:
        good.models.generate_content(model="gemini-0.1-nope", contents="hi")
    assert ei.value.code == 404
    assert "is not found for API version v1beta" in ei.value.message


# ------------------------------------------------------------------ mem0


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
    from mem0.exceptions import MemoryError as Mem0Error

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
