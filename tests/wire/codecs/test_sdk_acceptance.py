"""The official SDKs accept what the encoders produce (the network faked at the transport).

Both SDKs here run on `httpx2`, so the fake upstream is an `httpx2.MockTransport` that answers
every request with the encoded SSE bytes.

Each corpus stream is decoded and re-encoded by the gateway's codec, then accumulated by the SDK.
What the SDK must end up with is written out in `sdk_expectations`, read off the corpus `.sse`
files by hand — never computed by the codec under test.
"""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2
import openai
import pytest

from tests.wire.codecs.helpers import corpus_files, decode_stream, load_json, stream_bytes
from tests.wire.codecs.sdk_expectations import (
    ANTHROPIC_EXPECTED,
    ANTHROPIC_RAISING,
    OPENAI_EXPECTED,
    OPENAI_RAISING,
)
from wire.codecs.anthropic_messages import ANTHROPIC_CODEC
from wire.codecs.openai_chat import OPENAI_CODEC
from wire.neutral import Event, MessageEnd, Request

OPENAI_STREAMS = [p.stem for p in corpus_files("openai", "streams", ".sse")]
ANTHROPIC_STREAMS = [p.stem for p in corpus_files("anthropic", "streams", ".sse")]
ANTHROPIC_RESPONSES = [
    p for p in corpus_files("anthropic", "responses", ".json") if "unknown" not in p.stem
]
OPENAI_RESPONSES = corpus_files("openai", "responses", ".json")


def _transport(body: bytes) -> httpx2.MockTransport:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})

    return httpx2.MockTransport(handler)


def _openai(body: bytes) -> openai.OpenAI:
    client = httpx2.Client(transport=_transport(body))
    return openai.OpenAI(
        api_key="sk-test", base_url="http://upstream.test/v1", http_client=client, max_retries=0
    )


def _anthropic(body: bytes) -> anthropic.Anthropic:
    client = httpx2.Client(transport=_transport(body))
    return anthropic.Anthropic(
        api_key="sk-test", base_url="http://upstream.test", http_client=client, max_retries=0
    )


# --- OpenAI ------------------------------------------------------------------------------------


def _openai_bytes(events: list[Event]) -> bytes:
    has_usage = any(isinstance(e, MessageEnd) and e.usage for e in events)
    params = {"stream_options": {"include_usage": True}} if has_usage else {}
    request = Request(format="openai", model="gpt-4o", messages=[], stream=True, params=params)
    encoder = OPENAI_CODEC.stream_encoder(request)
    return encoder.encode(events) + encoder.finish()


def _openai_stream_bytes(name: str) -> bytes:
    """A corpus stream through the gateway: decoded, then encoded again for the client."""
    return _openai_bytes(decode_stream(OPENAI_CODEC.stream_decoder(), stream_bytes("openai", name)))


def _openai_final(data: bytes) -> dict[str, Any]:
    messages: Any = [{"role": "user", "content": "hi"}]
    with _openai(data).chat.completions.stream(model="gpt-4o", messages=messages) as stream:
        completion = stream.get_final_completion()
    return _openai_essence(completion.model_dump(mode="json"))


def _openai_essence(body: dict[str, Any]) -> dict[str, Any]:
    """What a client acts on: text, reasoning, refusal, tool calls, finish reason, usage,
    logprobs."""
    choice = body["choices"][0]
    message = choice["message"]
    calls = [
        (c["id"], c["function"]["name"], c["function"]["arguments"])
        for c in message.get("tool_calls") or []
    ]
    usage = body.get("usage")
    logprobs = (choice.get("logprobs") or {}).get("content") or []
    return {
        "id": body["id"],
        "model": body["model"],
        "content": message.get("content") or None,
        "reasoning_content": message.get("reasoning_content"),
        "refusal": message.get("refusal"),
        "tool_calls": calls,
        "function_call": message.get("function_call") or None,
        "finish_reason": choice["finish_reason"],
        "usage": (usage["prompt_tokens"], usage["completion_tokens"]) if usage else None,
        "logprobs": [(t["token"], t["logprob"]) for t in logprobs],
    }


def test_every_openai_stream_has_an_expectation() -> None:
    assert set(OPENAI_EXPECTED) | OPENAI_RAISING == set(OPENAI_STREAMS)
    assert not set(OPENAI_EXPECTED) & OPENAI_RAISING


@pytest.mark.parametrize("name", list(OPENAI_EXPECTED))
def test_openai_sdk_accumulates_the_encoded_stream(name: str) -> None:
    assert _openai_final(_openai_stream_bytes(name)) == OPENAI_EXPECTED[name]


def test_openai_sdk_raises_the_mid_stream_error() -> None:
    with pytest.raises(openai.APIError, match="The server had an error"):
        _openai_final(_openai_stream_bytes("error_midstream"))


def test_openai_sdk_sees_the_length_finish_reason() -> None:
    with pytest.raises(openai.LengthFinishReasonError) as raised:
        _openai_final(_openai_stream_bytes("length"))
    choice = raised.value.completion.choices[0]
    assert choice.finish_reason == "length"
    assert choice.message.content == "Proxies stand between,\nquietly they"


def _sdk_can_stream(path: Any) -> bool:
    """The SDK's stream helper raises on purpose for length/content_filter, does not do legacy
    function calling, and has no custom tool-call deltas: those bodies are left out."""
    finish = load_json(path)["choices"][0]["finish_reason"]
    return finish not in ("length", "content_filter", "function_call") and (
        path.stem != "custom_tool_call"
    )


STREAMABLE = [path for path in OPENAI_RESPONSES if _sdk_can_stream(path)]


@pytest.mark.parametrize("path", STREAMABLE, ids=[p.stem for p in STREAMABLE])
def test_openai_non_streaming_events_stream_like_the_body(path: Any) -> None:
    """Logprobs are left out here: a complete body's events keep them on the choice, which the
    stream encoder does not send (the gateway never streams a complete upstream body)."""
    body = load_json(path)
    data = _openai_bytes(OPENAI_CODEC.decode_response(body))
    streamed, whole = _openai_final(data), _openai_essence(body)
    del streamed["logprobs"], whole["logprobs"]
    assert streamed == whole


# --- Anthropic ---------------------------------------------------------------------------------


def _anthropic_bytes(events: list[Event]) -> bytes:
    request = Request(format="anthropic", model="claude-sonnet-4-5", messages=[], stream=True)
    encoder = ANTHROPIC_CODEC.stream_encoder(request)
    return encoder.encode(events) + encoder.finish()


def _anthropic_stream_bytes(name: str) -> bytes:
    """A corpus stream through the gateway: decoded, then encoded again for the client."""
    events = decode_stream(ANTHROPIC_CODEC.stream_decoder(), stream_bytes("anthropic", name))
    return _anthropic_bytes(events)


def _anthropic_final(data: bytes) -> dict[str, Any]:
    messages: Any = [{"role": "user", "content": "hi"}]
    client = _anthropic(data)
    with client.messages.stream(model="claude-x", max_tokens=64, messages=messages) as stream:
        final = stream.get_final_message()
    body = final.to_dict()
    if body.get("stop_details") is None:
        body.pop("stop_details", None)
    return body


def test_every_anthropic_stream_has_an_expectation() -> None:
    assert set(ANTHROPIC_EXPECTED) | ANTHROPIC_RAISING == set(ANTHROPIC_STREAMS)
    assert not set(ANTHROPIC_EXPECTED) & ANTHROPIC_RAISING


@pytest.mark.parametrize("name", list(ANTHROPIC_EXPECTED))
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_anthropic_sdk_accumulates_the_encoded_stream(name: str) -> None:
    assert _anthropic_final(_anthropic_stream_bytes(name)) == ANTHROPIC_EXPECTED[name]


def test_anthropic_sdk_raises_the_mid_stream_error() -> None:
    with pytest.raises(anthropic.APIError, match="Overloaded"):
        _anthropic_final(_anthropic_stream_bytes("error_overloaded"))


@pytest.mark.parametrize("path", ANTHROPIC_RESPONSES, ids=[p.stem for p in ANTHROPIC_RESPONSES])
def test_anthropic_non_streaming_events_stream_like_the_body(path: Any) -> None:
    body = load_json(path)
    data = _anthropic_bytes(ANTHROPIC_CODEC.decode_response(body))
    assert _anthropic_final(data) == body
