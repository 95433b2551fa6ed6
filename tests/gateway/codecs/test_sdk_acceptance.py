"""The official SDKs accept what the encoders produce (the network faked at the transport).

Both SDKs here run on `httpx2`, so the fake upstream is an `httpx2.MockTransport` that answers
every request with the encoded SSE bytes.

Each corpus stream is decoded and re-encoded by the gateway's codec, then accumulated by the SDK.
What the SDK must end up with is written out below, read off the corpus `.sse` files by hand —
never computed by the codec under test.
"""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2
import openai
import pytest

from gateway.codecs.anthropic_messages import ANTHROPIC_CODEC
from gateway.codecs.openai_chat import OPENAI_CODEC
from gateway.neutral import Event, MessageEnd, Request
from tests.gateway.codecs.helpers import corpus_files, decode_stream, load_json, stream_bytes

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


def _openai_expected(**fields: Any) -> dict[str, Any]:
    """An essence: nothing but `id`, `model`, `finish_reason` unless said otherwise."""
    return {
        "content": None,
        "reasoning_content": None,
        "refusal": None,
        "tool_calls": [],
        "function_call": None,
        "usage": None,
        "logprobs": [],
        **fields,
    }


# What the SDK must have accumulated from each corpus stream after the gateway's round trip.
# Streams recorded with a usage chunk are re-sent with one (the client asks for it here); the
# first chunk the gateway sends carries `content: ""`, which the essence reads as no content.
OPENAI_EXPECTED: dict[str, dict[str, Any]] = {
    "text": _openai_expected(
        id="chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        model="gpt-4o-2024-08-06",
        content="Bonjour ! Comment puis-je vous aider aujourd'hui ?",
        finish_reason="stop",
        usage=(13, 12),
    ),
    "tool_call": _openai_expected(
        id="chatcmpl-BQ2pUnYhQzGbVvTj8sKd5cRm1wXyZ",
        model="gpt-4o-2024-08-06",
        tool_calls=[
            ("call_DdmO9pD3xa9XTPNJ32zg2hcA", "run_shell", '{"command":"pytest -q tests/"}'),
        ],
        finish_reason="tool_calls",
        usage=(182, 19),
    ),
    "two_tool_calls": _openai_expected(
        id="chatcmpl-BQ3aaTwoCallsXyZ0123456789abc",
        model="gpt-4.1-2025-04-14",
        content="I'll check both cities.",
        tool_calls=[
            ("call_paris01", "get_weather", '{"city":"Paris","unit":"celsius"}'),
            ("call_tokyo02", "get_weather", '{"city":"Tokyo","unit":"celsius"}'),
        ],
        finish_reason="tool_calls",
        usage=(96, 58),
    ),
    # Upstream interleaves the two calls' argument pieces; the client gets them one after the
    # other, each whole.
    "interleaved_tool_calls": _openai_expected(
        id="chatcmpl-Interleave42",
        model="compat-model-7b",
        tool_calls=[
            ("call_a", "read_file", '{"path":"a.py"}'),
            ("call_b", "read_file", '{"path":"b.py"}'),
        ],
        finish_reason="tool_calls",
    ),
    # Cut off after " here" (no finish_reason, no [DONE]): the gateway ends it with "stop".
    "keepalive_truncated": _openai_expected(
        id="chatcmpl-KeepAlive55",
        model="gpt-4o-mini-2024-07-18",
        content="Still here",
        finish_reason="stop",
    ),
    "legacy_function_call": _openai_expected(
        id="chatcmpl-LegacyFn000",
        model="gpt-3.5-turbo-0613",
        function_call={"name": "calculator", "arguments": '{\n  "expression": "17 * 23"\n}'},
        finish_reason="function_call",
    ),
    "logprobs": _openai_expected(
        id="chatcmpl-Logprobs789",
        model="gpt-4o-mini-2024-07-18",
        content="Yes",
        finish_reason="stop",
        logprobs=[("Yes", -0.0009)],
    ),
    "reasoning_compat": _openai_expected(
        id="8a7f3c2e-1d4b-4f6a-9e0c-5b2d7a1c3e9f",
        model="deepseek-reasoner",
        content="The answer is 391.",
        reasoning_content="17 * 23 = 17 * 20 + 17 * 3 = 340 + 51 = 391.",
        finish_reason="stop",
        usage=(12, 40),
    ),
    "refusal": _openai_expected(
        id="chatcmpl-RefusalAbc123",
        model="gpt-4o-2024-08-06",
        refusal="I'm sorry, I can't help with that.",
        finish_reason="stop",
        usage=(41, 10),
    ),
}
# Streams the SDK's stream helper ends with an exception (see their own tests below).
OPENAI_RAISING = {"error_midstream", "length"}


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


def _message(id: str, model: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "stop_sequence": None,
        **fields,
    }


# The whole message the SDK must have accumulated from each corpus stream after the gateway's
# round trip: blocks with their text, thinking and signature, tool ids, names and parsed input,
# citations; stop reason; usage (message_start's, with message_delta's counts written over it).
ANTHROPIC_EXPECTED: dict[str, dict[str, Any]] = {
    "text": _message(
        "msg_01XFDUDYJgAACzvnptvVoYEL",
        "claude-sonnet-4-5-20250929",
        content=[
            {"type": "text", "text": "Hello! It's nice to meet you. How can I help you today?"}
        ],
        stop_reason="end_turn",
        usage={
            "input_tokens": 10,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": 18,
            "service_tier": "standard",
        },
    ),
    "tool_use": _message(
        "msg_01Aq9w938a90dw8q",
        "claude-sonnet-4-20250514",
        content=[
            {"type": "text", "text": "I'll check the current weather in San Francisco for you."},
            {
                "type": "tool_use",
                "id": "toolu_01A09q90qw90lq917835lq9",
                "name": "get_weather",
                "input": {"location": "San Francisco, CA", "unit": "celsius"},
            },
        ],
        stop_reason="tool_use",
        usage={
            "input_tokens": 384,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 92,
            "service_tier": "standard",
        },
    ),
    "two_tool_use": _message(
        "msg_01TwoToolsQ7",
        "claude-opus-4-1-20250805",
        content=[
            {
                "type": "tool_use",
                "id": "toolu_01Read",
                "name": "Read",
                "input": {"file_path": "/repo/a.py"},
            },
            {
                "type": "tool_use",
                "id": "toolu_02Bash",
                "name": "Bash",
                "input": {
                    "command": "rm -rf ~",
                    "description": "Clean up",
                    "timeout": 5000,
                    "flags": [1.5, None, True],
                },
            },
        ],
        stop_reason="tool_use",
        usage={
            "input_tokens": 2095,
            "cache_creation_input_tokens": 1024,
            "cache_read_input_tokens": 18000,
            "output_tokens": 130,
        },
    ),
    "thinking": _message(
        "msg_01ThinkingXyz",
        "claude-sonnet-4-5-20250929",
        content=[
            {
                "type": "thinking",
                "thinking": "The user wants the weather in Paris. I'll call the tool.",
                "signature": (
                    "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds8ig1iC2BkJ7E5qYa6dYVoQc"
                ),
            },
            {"type": "text", "text": "Let me look that up."},
            {
                "type": "tool_use",
                "id": "toolu_01CswdEQBMshySk6Y9DFKrfq",
                "name": "get_weather",
                "input": {"location": "Paris, France"},
            },
        ],
        stop_reason="tool_use",
        usage={
            "input_tokens": 512,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 215,
            "service_tier": "standard",
        },
    ),
    "citations": _message(
        "msg_01Citations77",
        "claude-sonnet-4-5",
        content=[
            {"type": "text", "text": "According to the document, "},
            {
                "type": "text",
                "text": "the grass is green",
                "citations": [
                    {
                        "type": "char_location",
                        "cited_text": "The grass is green.",
                        "document_index": 0,
                        "document_title": "Facts",
                        "start_char_index": 0,
                        "end_char_index": 20,
                        "file_id": None,
                    }
                ],
            },
            {"type": "text", "text": " and ", "citations": None},
            {
                "type": "text",
                "text": "the sky is blue",
                "citations": [
                    {
                        "type": "char_location",
                        "cited_text": "The sky is blue.",
                        "document_index": 0,
                        "document_title": "Facts",
                        "start_char_index": 20,
                        "end_char_index": 36,
                        "file_id": None,
                    }
                ],
            },
            {"type": "text", "text": "."},
        ],
        stop_reason="end_turn",
        usage={"input_tokens": 610, "output_tokens": 54},
    ),
    "server_tool": _message(
        "msg_01WebSearch99",
        "claude-opus-4-1-20250805",
        container=None,
        content=[
            {"type": "text", "text": "I'll search for when PEP 695 was accepted."},
            {
                "type": "server_tool_use",
                "id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE",
                "name": "web_search",
                "input": {"query": "PEP 695 accepted"},
            },
            {
                "type": "web_search_tool_result",
                "tool_use_id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE",
                "content": [
                    {
                        "type": "web_search_result",
                        "url": "https://peps.python.org/pep-0695/",
                        "title": "PEP 695 – Type Parameter Syntax",
                        "encrypted_content": (
                            "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y2Ey"
                        ),
                        "page_age": "June 15, 2023",
                    }
                ],
            },
            {
                "type": "text",
                "text": "PEP 695 was accepted in 2023.",
                "citations": [
                    {
                        "type": "web_search_result_location",
                        "url": "https://peps.python.org/pep-0695/",
                        "title": "PEP 695 – Type Parameter Syntax",
                        "encrypted_index": "Eo8BCioIAhgBIiQyYjQ0OWJmZi1lNm",
                        "cited_text": "Status: Final ... Accepted in 2023",
                    }
                ],
            },
        ],
        stop_reason="end_turn",
        usage={
            "input_tokens": 6039,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 931,
            "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0},
        },
    ),
    "refusal": _message(
        "msg_01Refusal",
        "claude-sonnet-4-5",
        content=[],
        stop_reason="refusal",
        stop_details={
            "type": "refusal",
            "category": "cyber",
            "explanation": "This request was declined.",
        },
        usage={"input_tokens": 40, "output_tokens": 0},
    ),
    # An unknown block type is kept as sent; unknown deltas and events change nothing.
    "unknown_event": _message(
        "msg_01Unknown",
        "claude-future-5",
        x_trace={"id": "t1"},
        content=[{"type": "hologram", "frames": 0}, {"type": "text", "text": "Done."}],
        stop_reason="pause_turn",
        usage={"input_tokens": 5, "output_tokens": 9},
    ),
    # Cut off inside the tool input (`{"command": "ls`, no stop events): the gateway closes the
    # block and ends the turn with message_start's usage; the SDK's partial JSON parser drops
    # the unfinished string, which leaves no input.
    "truncated": _message(
        "msg_01Trunc",
        "claude-sonnet-4-5",
        content=[{"type": "tool_use", "id": "toolu_trunc", "name": "Bash", "input": {}}],
        stop_reason="end_turn",
        usage={"input_tokens": 50, "output_tokens": 1},
    ),
}
# Streams the SDK ends with an exception (see their own tests below).
ANTHROPIC_RAISING = {"error_overloaded"}


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
