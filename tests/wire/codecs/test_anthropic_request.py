"""Anthropic Messages requests: mapping to neutral form, policy edits, validation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wire.codecs.helpers import CORPUS, load_json
from wire.codecs.anthropic_messages import ANTHROPIC_CODEC
from wire.errors import InvalidRequest
from wire.neutral import (
    Message,
    OpaqueBlock,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
    ToolSpec,
)


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


def test_system_messages_stay_where_the_client_put_them() -> None:
    body = {
        "model": "claude-x",
        "max_tokens": 10,
        "system": "Top-level prompt.",
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "system", "content": [{"type": "text", "text": "Reminder: be brief."}]},
        ],
    }
    request = ANTHROPIC_CODEC.decode_request(body)
    assert request.messages[1].role == "system"
    assert "Reminder: be brief." in request.system_text()
    assert ANTHROPIC_CODEC.encode_request(request) == body


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
    ("model not text", _body(model=7), "non-empty string", "model"),
    ("stream not a bool", _body(stream=1), "'stream' must be true or false", "stream"),
]


@pytest.mark.parametrize(("case", "body", "message", "param"), BAD, ids=[b[0] for b in BAD])
def test_what_the_gateway_needs_is_rejected_clearly(
    case: str, body: Any, message: str, param: str | None
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        ANTHROPIC_CODEC.decode_request(body)
    assert message in caught.value.message
    assert caught.value.param == param


# Shapes only the upstream can judge: the gateway sends them on exactly as received.
UPSTREAM_JUDGES: list[tuple[str, dict[str, Any]]] = [
    ("no max_tokens", _without("max_tokens")),
    ("zero max_tokens", _body(max_tokens=0)),
    ("max_tokens as text", _body(max_tokens="100")),
    ("no messages", _without("messages")),
    ("empty messages", _body(messages=[])),
    ("messages not a list", _body(messages="hi")),
    ("message not an object", _body(messages=[3, VALID])),
    ("system role", _body(messages=[{"role": "system", "content": "x"}, VALID])),
    ("developer role", _body(messages=[{"role": "developer", "content": "x"}, VALID])),
    (
        "a new role",
        _body(messages=[VALID, {"role": "critic", "content": [{"type": "text", "text": "x"}]}]),
    ),
    ("no role", _body(messages=[{"content": "x"}])),
    ("no content", _body(messages=[{"role": "user"}])),
    ("content a number", _body(messages=[{"role": "user", "content": 5}])),
    ("block without type", _body(messages=[{"role": "user", "content": [{"text": "x"}]}])),
    ("block not an object", _body(messages=[{"role": "user", "content": ["x"]}])),
    (
        "tool_use without input",
        _body(
            messages=[
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f"}]}
            ]
        ),
    ),
    (
        "tool_result without id",
        _body(messages=[{"role": "user", "content": [{"type": "tool_result", "content": "x"}]}]),
    ),
    ("text block without text", _body(messages=[{"role": "user", "content": [{"type": "text"}]}])),
    (
        "a new block type",
        _body(messages=[{"role": "user", "content": [{"type": "hologram", "x": 1}]}]),
    ),
    ("system not text", _body(system=5)),
    ("system block not an object", _body(system=["x"])),
    ("tools not a list", _body(tools="all")),
    ("tool not an object", _body(tools=[1])),
    ("a new top-level field", _body(context_management={"edits": [{"type": "clear"}]})),
]


@pytest.mark.parametrize(("case", "body"), UPSTREAM_JUDGES, ids=[b[0] for b in UPSTREAM_JUDGES])
def test_shapes_only_the_upstream_can_judge_pass_through(case: str, body: dict[str, Any]) -> None:
    request = ANTHROPIC_CODEC.decode_request(body)
    assert ANTHROPIC_CODEC.encode_request(request) == body


def test_text_of_any_role_is_visible_to_policies() -> None:
    body = _body(
        messages=[
            VALID,
            {"role": "system", "content": [{"type": "text", "text": "secret plan"}]},
        ]
    )
    request = ANTHROPIC_CODEC.decode_request(body)
    assert request.messages[1].text() == "secret plan"
    assert "secret plan" in request.system_text()


def test_server_and_mcp_tool_calls_are_tool_calls() -> None:
    server = {
        "type": "server_tool_use",
        "id": "srv_1",
        "name": "bash_code_execution",
        "input": {"command": "ls"},
    }
    mcp = {
        "type": "mcp_tool_use",
        "id": "mcp_1",
        "name": "write",
        "server_name": "fs",
        "input": {"path": "a"},
    }
    body = _body(messages=[VALID, {"role": "assistant", "content": [server, mcp]}])
    request = ANTHROPIC_CODEC.decode_request(body)
    calls = request.messages[1].content
    assert [type(c) for c in calls] == [ToolCallBlock, ToolCallBlock]
    assert isinstance(calls[0], ToolCallBlock) and calls[0].parsed_arguments() == {"command": "ls"}
    assert ANTHROPIC_CODEC.encode_request(request) == body
