"""Non-streaming bodies built from events a policy changed are still valid for the client."""

from __future__ import annotations

from typing import Any

import anthropic.types
import openai.types.chat
import pytest

from tests.wire.codecs.helpers import CORPUS, load_json
from wire.codecs.anthropic_messages import ANTHROPIC_CODEC
from wire.codecs.openai_chat import OPENAI_CODEC
from wire.errors import UpstreamUnavailable
from wire.neutral import (
    BlockStart,
    BlockStop,
    Event,
    MessageEnd,
    MessageStart,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
    Usage,
)

BLOCKED = '⛔ Luthien blocked a tool call (policy "tool-judge").\nTool: run_shell\n'


def _events(fmt: str, name: str) -> list[Event]:
    body = load_json(CORPUS / fmt / "responses" / f"{name}.json")
    codec = OPENAI_CODEC if fmt == "openai" else ANTHROPIC_CODEC
    return codec.decode_response(body)


def _without_tools(events: list[Event]) -> list[Event]:
    tool_indexes = {
        e.index for e in events if isinstance(e, BlockStart) and isinstance(e.block, ToolCallBlock)
    }
    kept = [e for e in events if getattr(e, "index", None) not in tool_indexes]
    end = kept[-1]
    assert isinstance(end, MessageEnd)
    end.stop_reason = "end_turn"
    return kept


def _replace_tools_with_text(events: list[Event], text: str) -> list[Event]:
    kept = _without_tools(events)
    return [*kept[:-1], BlockStart(40, TextBlock()), TextDelta(40, text), BlockStop(40), kept[-1]]


# --- OpenAI ------------------------------------------------------------------------------------


def _openai_body(events: list[Event]) -> dict[str, Any]:
    body = OPENAI_CODEC.encode_response(events)
    openai.types.chat.ChatCompletion.model_validate(body)
    return body


def test_openai_all_tool_calls_removed() -> None:
    body = _openai_body(_without_tools(_events("openai", "tool_call")))
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["content"] == ""
    assert "tool_calls" not in choice["message"]


def test_openai_tool_call_replaced_by_a_text_block() -> None:
    body = _openai_body(_replace_tools_with_text(_events("openai", "tool_call"), BLOCKED))
    assert body["choices"][0]["message"]["content"] == BLOCKED
    assert body["choices"][0]["finish_reason"] == "stop"


def test_openai_stale_tool_use_stop_reason_is_corrected() -> None:
    events = _without_tools(_events("openai", "two_tool_calls"))
    end = events[-1]
    assert isinstance(end, MessageEnd)
    end.stop_reason = "tool_use"  # the engine forgot; the codec must not claim tool calls
    body = _openai_body(events)
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["choices"][0]["message"]["content"] == "I'll check both cities."


def test_openai_one_of_two_tool_calls_kept_with_arbitrary_indexes() -> None:
    events: list[Event] = [
        MessageStart("chatcmpl-x", "gpt-4o"),
        BlockStart(5, TextBlock()),
        TextDelta(5, "Checking"),
        BlockStop(5),
        BlockStart(17, ToolCallBlock("call_1", "Read")),
        ToolArgsDelta(17, '{"path":'),
        ToolArgsDelta(17, '"a.py"}'),
        BlockStop(17),
        BlockStart(18, TextBlock()),
        TextDelta(18, "."),
        BlockStop(18),
        MessageEnd("tool_use", usage=Usage(3, 4)),
    ]
    body = _openai_body(events)
    message = body["choices"][0]["message"]
    assert message["content"] == "Checking."
    assert message["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "Read", "arguments": '{"path":"a.py"}'},
        }
    ]
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    assert isinstance(body["created"], int)


def test_openai_changed_usage_recomputes_the_total() -> None:
    events = _events("openai", "text")
    end = events[-1]
    assert isinstance(end, MessageEnd) and end.usage is not None
    end.usage.output_tokens = 20
    usage = _openai_body(events)["usage"]
    assert (usage["completion_tokens"], usage["total_tokens"]) == (20, 33)
    assert usage["completion_tokens_details"]["reasoning_tokens"] == 0


def test_openai_only_the_first_choice_is_translated() -> None:
    body = load_json(CORPUS / "openai" / "responses" / "text.json")
    second = {**body["choices"][0], "index": 1, "message": {"role": "assistant", "content": "No"}}
    body["choices"].append(second)
    assert len(_openai_body(OPENAI_CODEC.decode_response(body))["choices"]) == 1


def test_openai_body_without_choices_round_trips() -> None:
    body = {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": []}
    assert OPENAI_CODEC.encode_response(OPENAI_CODEC.decode_response(body)) == body


def test_openai_legacy_function_call_is_a_tool_call_block() -> None:
    events = _events("openai", "function_call_legacy")
    starts = [e.block for e in events if isinstance(e, BlockStart)]
    assert len(starts) == 1 and isinstance(starts[0], ToolCallBlock)
    assert starts[0].name == "calculator"
    removed = _openai_body(_without_tools(events))
    assert "function_call" not in removed["choices"][0]["message"]
    assert removed["choices"][0]["finish_reason"] == "stop"


def test_garbage_upstream_body_is_a_bad_gateway() -> None:
    with pytest.raises(UpstreamUnavailable):
        OPENAI_CODEC.decode_response([])  # type: ignore[arg-type]
    with pytest.raises(UpstreamUnavailable):
        ANTHROPIC_CODEC.decode_response("oops")  # type: ignore[arg-type]


# --- Anthropic ---------------------------------------------------------------------------------


def _anthropic_body(events: list[Event]) -> dict[str, Any]:
    body = ANTHROPIC_CODEC.encode_response(events)
    anthropic.types.Message.model_validate(body)
    return body


def test_anthropic_tool_use_replaced_by_a_text_block() -> None:
    body = _anthropic_body(
        _replace_tools_with_text(_events("anthropic", "thinking_text_tool"), BLOCKED)
    )
    assert [b["type"] for b in body["content"]] == ["thinking", "text", "text"]
    assert body["content"][2]["text"] == BLOCKED
    assert body["stop_reason"] == "end_turn"


def test_anthropic_rewritten_and_broken_arguments() -> None:
    events = _events("anthropic", "two_tool_use")
    args = [e for e in events if isinstance(e, ToolArgsDelta)]
    args[0].partial_json = '{"file_path": "/repo/b.py"}'
    args[1].partial_json = '{"command": "rm -rf'  # cut off: not JSON
    body = _anthropic_body(events)
    assert body["content"][0]["input"] == {"file_path": "/repo/b.py"}
    assert body["content"][1]["input"] == {}
    assert body["stop_reason"] == "tool_use"


def test_anthropic_events_without_extras_or_usage() -> None:
    events: list[Event] = [
        MessageStart("msg_x", "claude-x"),
        BlockStart(3, ToolCallBlock("toolu_1", "Read")),
        BlockStop(3),
        MessageEnd(None),
    ]
    body = _anthropic_body(events)
    assert body["content"] == [{"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {}}]
    assert body["usage"] == {"input_tokens": 0, "output_tokens": 0}
    assert body["stop_reason"] == "end_turn"


def test_anthropic_openai_extras_do_not_leak() -> None:
    events = _events("openai", "text")
    body = _anthropic_body(events)
    assert set(body) == {
        "id",
        "type",
        "role",
        "model",
        "content",
        "stop_reason",
        "stop_sequence",
        "usage",
    }
    assert body["usage"] == {"input_tokens": 13, "output_tokens": 12}
