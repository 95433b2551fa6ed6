"""Chat Completions and Messages requests lowered to a Responses request (no route sends them
to a Responses upstream today; the direction is kept whole and tested here)."""

from __future__ import annotations

import pytest

from tests.wire.translation.helpers import translate_body
from wire.errors import InvalidRequest

TOOL = {"name": "Bash", "input_schema": {"type": "object", "properties": {}}}


def test_messages_request_as_responses_input() -> None:
    sent, notes = translate_body(
        "anthropic",
        "responses",
        {
            "model": "gpt-x",
            "max_tokens": 100,
            "system": "be brief",
            "thinking": {"type": "enabled", "budget_tokens": 2000},
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "hm", "signature": "s"},
                        {"type": "text", "text": "Running."},
                        {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"c": 1}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "t1", "content": "out",
                         "is_error": True},
                        {"type": "image", "source": {"type": "url", "url": "https://x.test/a"}},
                    ],
                },
            ],
            "tools": [TOOL],
            "tool_choice": {"type": "tool", "name": "Bash", "disable_parallel_tool_use": True},
        },
    )  # fmt: skip
    assert sent["instructions"] == "be brief"
    assert sent["input"] == [
        {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        {"role": "assistant", "content": [{"type": "output_text", "text": "Running."}]},
        {"type": "function_call", "call_id": "t1", "name": "Bash", "arguments": '{"c":1}'},
        {"type": "function_call_output", "call_id": "t1", "output": "Error: out"},
        {"role": "user", "content": [
            {"type": "input_image", "image_url": "https://x.test/a", "detail": "auto"}]},
    ]  # fmt: skip
    assert sent["tools"] == [
        {"type": "function", "name": "Bash", "parameters": TOOL["input_schema"]}
    ]
    assert sent["tool_choice"] == {"type": "function", "name": "Bash"}
    assert sent["parallel_tool_calls"] is False
    assert sent["reasoning"] == {"effort": "low"}
    assert (sent["max_output_tokens"], sent["store"]) == (100, False)
    assert notes == ["thinking blocks in the history were dropped (no such Responses item)"]


def test_chat_request_as_responses_input() -> None:
    sent, _ = translate_body(
        "openai",
        "responses",
        {
            "model": "gpt-x",
            "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}],
            "tool_choice": "required",
            "reasoning_effort": "high",
        },
    )
    assert sent["instructions"] == "s"
    assert sent["input"] == [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}]
    assert (sent["tool_choice"], sent["reasoning"]) == ("required", {"effort": "high"})


def test_stop_sequences_are_refused() -> None:
    body = {"model": "m", "max_tokens": 5, "stop_sequences": ["x"], "messages": []}
    with pytest.raises(InvalidRequest) as caught:
        translate_body("anthropic", "responses", body)
    assert caught.value.param == "stop"
