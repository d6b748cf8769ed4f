"""The official `google-genai` SDK against the Gemini fake: every call the app makes parses, and
errors surface with the SDK's own codes, statuses and messages."""

import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from fidelity_fakes import GEMINI_KEY, control

MODEL = "gemini-3.5-flash"


@pytest.fixture()
def gemini(fakes):
    control(fakes["gemini"], "/_fake/reset", {})
    return genai.Client(
        api_key=GEMINI_KEY,
        http_options={"base_url": fakes["gemini"], "api_version": "v1beta"},
    )


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
