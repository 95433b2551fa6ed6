"""Anthropic Messages requests: mapping to neutral form, policy edits, validation."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.codecs.anthropic_messages import ANTHROPIC_CODEC
from gateway.errors import InvalidRequest
from gateway.neutral import (
    Message,
    OpaqueBlock,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
    ToolSpec,
)
from tests.gateway.codecs.helpers import CORPUS, load_json


def _load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = load_json(CORPUS / "anthropic" / "requests" / f"{name}.json")
    return body


def test_system_and_params() -> None:
    body = _load("system_string_sampling")
    request = ANTHROPIC_CODEC.decode_request(body)
    assert request.system == [TextBlock("You are a helpful assistant that answers in haiku.")]
    assert set(request.params) == set(body) - {"model", "messages", "system"}
    assert request.params["max_tokens"] == 512


def test_system_blocks_keep_cache_control() -> None:
    request = ANTHROPIC_CODEC.decode_request(_load("system_blocks_cache_control"))
    assert request.system == [
        TextBlock("You are Claude Code, Anthropic's official CLI for Claude."),
        TextBlock("<long repository context goes here>", {"cache_control": {"type": "ephemeral"}}),
    ]
    assert request.system_text().startswith("You are Claude Code")


def test_tool_use_and_results() -> None:
    request = ANTHROPIC_CODEC.decode_request(_load("tool_results_multi_turn"))
    assistant = request.messages[1].content
    assert assistant[1] == ToolCallBlock(
        "toolu_01A09q90qw90lq917835lq9",
        "Bash",
        '{"command":"pytest -q","timeout":120000,"description":"Run tests"}',
    )
    read = assistant[2]
    assert isinstance(read, ToolCallBlock)
    assert read.parsed_arguments()["unicode"] == "café ☕"
    results = request.messages[2].content
    assert results[0] == ToolResultBlock(
        "toolu_01A09q90qw90lq917835lq9", "1 failed, 41 passed in 2.31s", True
    )
    assert isinstance(results[1], ToolResultBlock)
    assert results[1].text() == "def test_add():\n    assert add(2, 2) == 5\n"
    assert results[1].extra == {"cache_control": {"type": "ephemeral"}}
    assert request.stream is True


def test_thinking_and_other_blocks_are_opaque() -> None:
    request = ANTHROPIC_CODEC.decode_request(_load("thinking_history"))
    kinds = [b.type if isinstance(b, OpaqueBlock) else b.kind for b in request.messages[1].content]
    assert kinds == ["thinking", "redacted_thinking", "tool_call"]
    request = ANTHROPIC_CODEC.decode_request(_load("images_documents"))
    kinds = [b.type if isinstance(b, OpaqueBlock) else b.kind for b in request.messages[0].content]
    assert kinds == ["image", "image", "document", "document", "document", "text"]


def test_server_tools_are_kept_whole() -> None:
    request = ANTHROPIC_CODEC.decode_request(_load("server_tools"))
    web = (request.tools or [])[0]
    assert web == ToolSpec(
        "web_search",
        extra={
            "type": "web_search_20250305",
            "max_uses": 5,
            "allowed_domains": ["docs.python.org", "peps.python.org"],
            "user_location": {
                "type": "approximate",
                "city": "London",
                "country": "GB",
                "timezone": "Europe/London",
            },
        },
    )
    unnamed = ANTHROPIC_CODEC.decode_request(_load("unknown_future")).tools or []
    assert unnamed[0].name == ""


def test_policy_edits_give_a_valid_body() -> None:
    request = ANTHROPIC_CODEC.decode_request(_load("tool_results_multi_turn"))
    call = request.messages[1].content[1]
    assert isinstance(call, ToolCallBlock)
    call.arguments = '{"command": "pytest -q --maxfail=1"}'
    broken = request.messages[1].content[2]
    assert isinstance(broken, ToolCallBlock)
    broken.arguments = '{"file_path": "/repo/te'
    request.messages.append(Message("assistant", [TextBlock("Done.")]))
    request.system = [TextBlock("Luthien: be careful.")]
    body = ANTHROPIC_CODEC.encode_request(request)
    assert body["system"] == "Luthien: be careful."
    assert body["messages"][1]["content"][1]["input"] == {"command": "pytest -q --maxfail=1"}
    assert body["messages"][1]["content"][2]["input"] == {}  # not JSON: documented fallback
    assert body["messages"][-1] == {"role": "assistant", "content": "Done."}


def test_adding_to_a_string_system_prompt_sends_blocks() -> None:
    request = ANTHROPIC_CODEC.decode_request(_load("system_string_sampling"))
    assert request.system is not None
    request.system.append(TextBlock("Never run rm -rf."))
    assert ANTHROPIC_CODEC.encode_request(request)["system"] == [
        {"type": "text", "text": "You are a helpful assistant that answers in haiku."},
        {"type": "text", "text": "Never run rm -rf."},
    ]


def test_system_messages_from_elsewhere_move_into_system() -> None:
    request = ANTHROPIC_CODEC.decode_request(_load("simple_text"))
    request.messages.insert(0, Message("system", [TextBlock("Be brief.")]))
    body = ANTHROPIC_CODEC.encode_request(request)
    assert body["system"] == "Be brief."
    assert [m["role"] for m in body["messages"]] == ["user"]


VALID = {"role": "user", "content": "hi"}


def _body(**fields: Any) -> dict[str, Any]:
    return {"model": "claude-x", "max_tokens": 10, "messages": [VALID], **fields}


def _without(key: str) -> dict[str, Any]:
    body = _body()
    del body[key]
    return body


BAD: list[tuple[str, Any, str, str | None]] = [
    ("not an object", "hello", "must be a JSON object", None),
    ("no model", _without("model"), "'model' is required", "model"),
    ("empty model", _body(model=""), "non-empty string", "model"),
    ("no max_tokens", _without("max_tokens"), "'max_tokens' is required", "max_tokens"),
    ("zero max_tokens", _body(max_tokens=0), "positive integer", "max_tokens"),
    ("negative max_tokens", _body(max_tokens=-5), "positive integer", "max_tokens"),
    ("max_tokens as text", _body(max_tokens="100"), "positive integer", "max_tokens"),
    ("max_tokens as bool", _body(max_tokens=True), "positive integer", "max_tokens"),
    ("max_tokens as float", _body(max_tokens=1.5), "positive integer", "max_tokens"),
    ("no messages", _without("messages"), "'messages' is required", "messages"),
    ("empty messages", _body(messages=[]), "non-empty array", "messages"),
    ("message not an object", _body(messages=[3]), "must be an object", "messages[0]"),
    (
        "system role",
        _body(messages=[{"role": "system", "content": "x"}]),
        "top-level 'system' field",
        "messages[0].role",
    ),
    (
        "no content",
        _body(messages=[{"role": "user"}]),
        "messages[0].content is required",
        "messages[0].content",
    ),
    (
        "block without type",
        _body(messages=[{"role": "user", "content": [{"text": "x"}]}]),
        "with a string 'type'",
        "messages[0].content[0]",
    ),
    (
        "tool_use without input",
        _body(
            messages=[
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f"}]}
            ]
        ),
        "an object 'input'",
        "messages[0].content[0]",
    ),
    (
        "tool_result without id",
        _body(messages=[{"role": "user", "content": [{"type": "tool_result", "content": "x"}]}]),
        "a string 'tool_use_id'",
        "messages[0].content[0]",
    ),
    (
        "text block without text",
        _body(messages=[{"role": "user", "content": [{"type": "text"}]}]),
        "a string 'text'",
        "messages[0].content[0]",
    ),
    ("system not text", _body(system=5), "'system' must be a string", "system"),
    ("system block not an object", _body(system=["x"]), "system[0] must be an object", "system[0]"),
    ("tools not a list", _body(tools="all"), "'tools' must be an array", "tools"),
    ("tool not an object", _body(tools=[1]), "tools[0] must be an object", "tools[0]"),
    ("stream not a bool", _body(stream=1), "'stream' must be a boolean", "stream"),
]


@pytest.mark.parametrize(("case", "body", "message", "param"), BAD, ids=[b[0] for b in BAD])
def test_invalid_requests_are_rejected_clearly(
    case: str, body: Any, message: str, param: str | None
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        ANTHROPIC_CODEC.decode_request(body)
    assert message in caught.value.message
    assert caught.value.param == param
