"""An OpenAI Chat Completions request translated for an Anthropic Messages upstream."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wire.translation.helpers import translate_body
from wire.errors import InvalidRequest

PNG = "iVBORw0KGgo="


def _sent(body: dict[str, Any]) -> dict[str, Any]:
    return translate_body("openai", "anthropic", {"model": "claude-x", **body})[0]


def test_system_and_developer_messages_become_the_system_prompt() -> None:
    sent = _sent(
        {
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "developer", "content": [{"type": "text", "text": "no emoji"}]},
                {"role": "user", "content": "hi"},
            ]
        }
    )
    assert sent["system"] == [
        {"type": "text", "text": "be brief"},
        {"type": "text", "text": "no emoji"},
    ]
    assert sent["messages"] == [{"role": "user", "content": "hi"}]


def test_max_tokens_default_is_filled_in_and_noted() -> None:
    sent, notes = translate_body(
        "openai", "anthropic", {"model": "claude-x", "messages": [{"role": "user", "content": "a"}]}
    )
    assert sent["max_tokens"] == 4096
    assert notes == ["max_tokens was not given: sent 4096 (the Messages API requires it)"]


@pytest.mark.parametrize("key", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_either_name(key: str) -> None:
    sent = _sent({key: 77, "messages": [{"role": "user", "content": "a"}]})
    assert sent["max_tokens"] == 77


def test_images_data_url_and_http_url() -> None:
    parts = [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": "https://x.test/a.png", "detail": "low"}},
    ]
    sent = _sent({"messages": [{"role": "user", "content": parts}]})
    assert sent["messages"][0]["content"] == [
        {"type": "text", "text": "what is this"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
    ]


def test_tools_tool_choice_and_parallel_calls() -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "Bash",
                "description": "run",
                "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
                "strict": True,
            },
        },
        {"type": "function", "function": {"name": "Now"}},
    ]
    sent = _sent(
        {
            "messages": [{"role": "user", "content": "a"}],
            "tools": tools,
            "tool_choice": {"type": "function", "function": {"name": "Bash"}},
            "parallel_tool_calls": False,
        }
    )
    assert sent["tools"] == [
        {
            "name": "Bash",
            "description": "run",
            "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
        },
        {"name": "Now", "input_schema": {"type": "object", "properties": {}}},
    ]
    assert sent["tool_choice"] == {
        "type": "tool",
        "name": "Bash",
        "disable_parallel_tool_use": True,
    }


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("auto", {"type": "auto"}), ("none", {"type": "none"}), ("required", {"type": "any"})],
)
def test_tool_choice_words(choice: str, expected: dict[str, Any]) -> None:
    sent = _sent({"messages": [{"role": "user", "content": "a"}], "tool_choice": choice})
    assert sent["tool_choice"] == expected


def test_parallel_tool_calls_and_their_results() -> None:
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "A", "arguments": '{"x": 1}'}},
        {"id": "c2", "type": "function", "function": {"name": "B", "arguments": ""}},
    ]
    sent = _sent(
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": "", "tool_calls": calls},
                {"role": "tool", "tool_call_id": "c1", "content": "one"},
                {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "2"}]},
                {"role": "user", "content": "and now?"},
            ]
        }
    )
    assert sent["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "c1", "name": "A", "input": {"x": 1}},
                {"type": "tool_use", "id": "c2", "name": "B", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "c1", "content": "one"},
                {
                    "type": "tool_result",
                    "tool_use_id": "c2",
                    "content": [{"type": "text", "text": "2"}],
                },
                {"type": "text", "text": "and now?"},
            ],
        },
    ]


def test_params_mapped() -> None:
    sent = _sent(
        {
            "messages": [{"role": "user", "content": "a"}],
            "temperature": 0.5,
            "top_p": 0.9,
            "stop": "END",
            "user": "u-1",
            "n": 1,
            "stream_options": {"include_usage": True},
            "stream": True,
        }
    )
    assert {k: sent[k] for k in ("temperature", "top_p", "stop_sequences", "metadata")} == {
        "temperature": 0.5,
        "top_p": 0.9,
        "stop_sequences": ["END"],
        "metadata": {"user_id": "u-1"},
    }
    assert sent["stream"] is True and "stream_options" not in sent and "n" not in sent


def test_reasoning_effort_becomes_a_thinking_budget() -> None:
    sent = _sent({"messages": [{"role": "user", "content": "a"}], "reasoning_effort": "medium"})
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 8192}
    assert sent["max_tokens"] == 4096 + 8192


def test_reasoning_effort_above_max_tokens_is_refused() -> None:
    body = {"messages": [{"role": "user", "content": "a"}], "reasoning_effort": "high"}
    with pytest.raises(InvalidRequest) as caught:
        _sent({**body, "max_tokens": 100})
    assert caught.value.param == "reasoning_effort"


def test_dropped_fields_are_noted() -> None:
    body = {"model": "claude-x", "messages": [{"role": "user", "content": "a"}], "store": True}
    sent, notes = translate_body("openai", "anthropic", {**body, "seed": 3})
    assert "store" not in sent and "seed" not in sent
    assert "'store' was dropped: the upstream's format has no equivalent" in notes
    assert "'seed' was dropped: the upstream's format has no equivalent" in notes


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"logprobs": True}, "logprobs"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"some_new_field": 1}, "some_new_field"),
        ({"temperature": 1.5}, "temperature"),
        ({"tools": [{"type": "custom", "custom": {"name": "apply_patch"}}]}, "tools[0].type"),
        (
            {"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]},
            "messages[0].content.type",
        ),
        ({"messages": [{"role": "function", "name": "f", "content": "x"}]}, "messages[0].role"),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "c",
                                "type": "function",
                                "function": {"name": "f", "arguments": "[1]"},
                            }
                        ],
                    }
                ]
            },
            "messages[0].tool_calls.function.arguments",
        ),
    ],
)
def test_untranslatable_is_a_400_naming_the_field(body: dict[str, Any], param: str) -> None:
    full = {"messages": [{"role": "user", "content": "a"}], **body}
    with pytest.raises(InvalidRequest) as caught:
        _sent(full)
    assert caught.value.param == param
    assert f"'{param}' cannot be translated" in caught.value.message


def test_unknown_message_fields_are_dropped() -> None:
    sent = _sent({"messages": [{"role": "user", "content": "a", "name": "bob"}]})
    assert sent["messages"] == [{"role": "user", "content": "a"}]


def test_a_system_prompt_a_policy_set_comes_first() -> None:
    from wire.codecs import codec_for
    from wire.neutral import TextBlock
    from wire.translation import Translation

    request = codec_for("openai").decode_request(
        {
            "model": "claude-x",
            "messages": [{"role": "system", "content": "client"}, {"role": "user", "content": "a"}],
        }
    )
    request.system = [TextBlock("policy")]
    sent = codec_for("anthropic").encode_request(
        Translation("openai", "anthropic").request(request)
    )
    assert sent["system"] == [
        {"type": "text", "text": "policy"},
        {"type": "text", "text": "client"},
    ]
