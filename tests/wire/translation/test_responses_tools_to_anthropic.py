"""Responses tools (Codex's namespace bundles and custom tools) translated for an Anthropic
Messages upstream, and every captured Codex request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.wire.translation.test_responses_to_anthropic import SHELL, _refused, _translate
from wire.codecs import codec_for
from wire.neutral import (
    BlockStart,
    BlockStop,
    MessageEnd,
    MessageStart,
    ToolArgsDelta,
    ToolCallBlock,
)
from wire.translation import Translation

NAMESPACE = {
    "type": "namespace",
    "name": "agents",
    "description": "Sub-agents",
    "tools": [
        {"type": "function", "name": "spawn", "parameters": {"type": "object"}, "strict": False},
        {"type": "function", "name": "close", "description": "Close one"},
    ],
}


def test_namespace_functions_are_flattened_and_their_calls_named_back() -> None:
    translation = Translation("responses", "anthropic")
    request = codec_for("responses").decode_request(
        {
            "model": "claude-x",
            "input": [
                {"role": "user", "content": "go"},
                {"type": "function_call", "call_id": "c1", "name": "spawn",
                 "namespace": "agents", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "ok"},
            ],
            "tools": [SHELL, NAMESPACE],
        }
    )  # fmt: skip
    sent = codec_for("anthropic").encode_request(translation.request(request))
    assert [t["name"] for t in sent["tools"]] == ["shell", "agents__spawn", "agents__close"]
    assert sent["tools"][2] == {
        "name": "agents__close",
        "description": "Close one",
        "input_schema": {"type": "object", "properties": {}},
    }
    assert sent["messages"][1]["content"][0]["name"] == "agents__spawn"
    answer = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "agents__close", "input": {}},
            {"type": "tool_use", "id": "toolu_2", "name": "shell", "input": {}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    events = translation.events().feed(codec_for("anthropic").decode_response(answer))
    body = codec_for("responses").encode_response(events)
    calls = [(i["name"], i.get("namespace"), i["call_id"]) for i in body["output"]]
    assert calls == [("close", "agents", "toolu_1"), ("shell", None, "toolu_2")]
    assert body["output"][0]["status"] == "completed"


def test_a_namespaced_name_too_long_is_refused() -> None:
    tools = [{**NAMESPACE, "name": "n" * 60}]
    assert _refused({"input": "a", "tools": tools}).param == "tools[0].tools[0].name"


CODEX = Path(__file__).parents[2] / "fixtures" / "clients" / "codex"


@pytest.mark.parametrize("path", sorted(CODEX.glob("*.json")), ids=lambda p: p.stem)
def test_codex_requests_translate_once_web_search_is_off(path: Path) -> None:
    """A captured Codex request reaches Claude but for its `web_search` tool (a built-in tool
    the provider runs: refused, naming it); without it, everything else translates."""
    body = json.loads(path.read_text())["body"]
    searching = [i for i, t in enumerate(body["tools"]) if t.get("type") == "web_search"]
    assert searching, "the fixture offers web_search"
    assert _refused(body).param == f"tools[{searching[0]}].type"
    body["tools"] = [t for t in body["tools"] if t.get("type") != "web_search"]
    sent, notes = _translate(body)
    assert isinstance(sent["system"], (str, list)) and sent["system"]
    assert {m["role"] for m in sent["messages"]} <= {"user", "assistant"}
    assert "multi_agent_v1__close_agent" in {t["name"] for t in sent["tools"]}
    assert "multi_agent_v1" not in {t["name"] for t in sent["tools"]}
    assert "'client_metadata' was dropped: the upstream's format has no equivalent" in notes
    assert sent["stream"] is True and sent["max_tokens"] == 4096


PATCH_TOOL = {"type": "custom", "name": "apply_patch", "description": "Edit files"}


def test_custom_tools_travel_as_one_string_argument_and_come_back_free_form() -> None:
    translation = Translation("responses", "anthropic")
    request = codec_for("responses").decode_request(
        {
            "model": "claude-x",
            "input": [
                {"role": "user", "content": "fix it"},
                {"type": "custom_tool_call", "id": "ctc_1", "call_id": "c1",
                 "name": "apply_patch", "input": "*** Begin Patch\n"},
                {"type": "custom_tool_call_output", "call_id": "c1", "output": "Done"},
            ],
            "tools": [{**PATCH_TOOL, "format": {"type": "text"}}],
        }
    )  # fmt: skip
    sent = codec_for("anthropic").encode_request(translation.request(request))
    assert sent["tools"] == [
        {
            "name": "apply_patch",
            "description": "Edit files",
            "input_schema": {
                "type": "object",
                "properties": {
                    "input": {
                        "type": "string",
                        "description": "The tool's whole input, as plain text.",
                    }
                },
                "required": ["input"],
            },
        }
    ]
    assert sent["messages"][1]["content"] == [
        {"type": "tool_use", "id": "c1", "name": "apply_patch",
         "input": {"input": "*** Begin Patch\n"}}
    ]  # fmt: skip
    assert sent["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "c1", "content": "Done"}
    ]
    events = translation.events().feed(
        [
            MessageStart("msg_1", "claude-x"),
            BlockStart(0, ToolCallBlock("toolu_1", "apply_patch")),
            ToolArgsDelta(0, '{"input": "*** Begin'),
            ToolArgsDelta(0, ' Patch\\n"}'),
            BlockStop(0),
            MessageEnd("tool_use"),
        ]
    )
    assert [type(e).__name__ for e in events] == [
        "MessageStart", "BlockStart", "ToolArgsDelta", "BlockStop", "MessageEnd"
    ]  # fmt: skip
    assert events[2] == ToolArgsDelta(0, "*** Begin Patch\n")
    body = codec_for("responses").encode_response(events)
    (item,) = body["output"]
    assert (item["type"], item["name"], item["input"], item["call_id"]) == (
        "custom_tool_call",
        "apply_patch",
        "*** Begin Patch\n",
        "toolu_1",
    )


def test_a_custom_call_not_in_the_wrapped_shape_is_sent_as_it_came_and_noted() -> None:
    translation = Translation("responses", "anthropic")
    request = codec_for("responses").decode_request(
        {"model": "claude-x", "input": "a", "tools": [PATCH_TOOL]}
    )
    translation.request(request)
    events = translation.events().feed(
        [
            BlockStart(0, ToolCallBlock("toolu_1", "apply_patch")),
            ToolArgsDelta(0, '{"patch": 1}'),
            BlockStop(0),
        ]
    )
    assert events[1] == ToolArgsDelta(0, '{"patch": 1}')
    assert translation.notes.items[-1] == (
        "a custom tool call's arguments had no string 'input': sent as they came"
    )
