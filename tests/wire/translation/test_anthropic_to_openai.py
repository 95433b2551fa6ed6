"""An Anthropic Messages request translated for an OpenAI Chat Completions upstream."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wire.translation.helpers import translate_body
from wire.errors import InvalidRequest

PNG = "iVBORw0KGgo="
BASE = {"model": "gpt-x", "max_tokens": 100}


def _sent(body: dict[str, Any]) -> dict[str, Any]:
    return translate_body("anthropic", "openai", {**BASE, **body})[0]


def test_system_prompt_becomes_a_leading_system_message() -> None:
    system = [
        {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Be careful."},
    ]
    sent = _sent({"system": system, "messages": [{"role": "user", "content": "hi"}]})
    assert sent["messages"] == [
        {"role": "system", "content": "You are Claude Code.\n\nBe careful."},
        {"role": "user", "content": "hi"},
    ]
    assert sent["max_completion_tokens"] == 100 and "max_tokens" not in sent


def test_system_role_messages_join_the_system_prompt() -> None:
    sent, notes = translate_body(
        "anthropic",
        "openai",
        {
            **BASE,
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "system", "content": "reminder"},
            ],
        },
    )
    assert sent["messages"] == [
        {"role": "system", "content": "reminder"},
        {"role": "user", "content": "hi"},
    ]
    assert notes == ["system messages inside 'messages' joined the system prompt"]


def test_images() -> None:
    content = [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
        {"type": "text", "text": "what is this"},
    ]
    sent = _sent({"messages": [{"role": "user", "content": content}]})
    assert sent["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}},
        {"type": "text", "text": "what is this"},
    ]


def test_tool_calls_and_results_in_order() -> None:
    sent = _sent(
        {
            "messages": [
                {"role": "user", "content": "go"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "hmm", "signature": "s"},
                        {"type": "text", "text": "Running."},
                        {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"c": "ls"}},
                        {"type": "tool_use", "id": "t2", "name": "Read", "input": {}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "t1", "content": "a b"},
                        {
                            "type": "tool_result",
                            "tool_use_id": "t2",
                            "is_error": True,
                            "content": [{"type": "text", "text": "no such file"}],
                        },
                        {"type": "text", "text": "next?"},
                    ],
                },
            ]
        }
    )
    assert sent["messages"][1:] == [
        {
            "role": "assistant",
            "content": "Running.",
            "tool_calls": [
                {
                    "id": "t1",
                    "type": "function",
                    "function": {"name": "Bash", "arguments": '{"c":"ls"}'},
                },
                {"id": "t2", "type": "function", "function": {"name": "Read", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "content": "a b"},
        {"role": "tool", "tool_call_id": "t2", "content": "Error: no such file"},
        {"role": "user", "content": "next?"},
    ]


def test_thinking_in_the_history_is_dropped_with_a_note() -> None:
    body = {
        **BASE,
        "messages": [
            {"role": "user", "content": "a"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "x", "signature": "s"},
                    {"type": "text", "text": "b"},
                ],
            },
        ],
    }
    sent, notes = translate_body("anthropic", "openai", body)
    assert sent["messages"][1] == {"role": "assistant", "content": "b"}
    assert notes == ["thinking blocks in the history were dropped (no such Chat block)"]


def test_images_in_a_tool_result_follow_in_a_user_message() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    result = {
        "type": "tool_result",
        "tool_use_id": "t1",
        "content": [{"type": "text", "text": "shot"}, image],
    }
    sent = _sent(
        {
            "messages": [
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "t1", "name": "S", "input": {}}],
                },
                {"role": "user", "content": [result]},
            ]
        }
    )
    assert sent["messages"][1:] == [
        {"role": "tool", "tool_call_id": "t1", "content": "shot"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "(images returned by tool call t1)"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            ],
        },
    ]


def test_tools_tool_choice_and_params() -> None:
    sent = _sent(
        {
            "messages": [{"role": "user", "content": "a"}],
            "tools": [
                {
                    "name": "Bash",
                    "description": "run",
                    "input_schema": {"type": "object"},
                    "cache_control": {"type": "ephemeral"},
                }
            ],
            "tool_choice": {"type": "tool", "name": "Bash", "disable_parallel_tool_use": True},
            "stop_sequences": ["END"],
            "temperature": 0.2,
            "metadata": {"user_id": "u-1"},
            "thinking": {"type": "enabled", "budget_tokens": 2000},
        }
    )
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {"name": "Bash", "description": "run", "parameters": {"type": "object"}},
        }
    ]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "Bash"}}
    assert sent["parallel_tool_calls"] is False
    assert sent["stop"] == ["END"]
    assert sent["temperature"] == 0.2
    assert sent["user"] == "u-1"
    assert sent["reasoning_effort"] == "low"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [({"type": "auto"}, "auto"), ({"type": "any"}, "required"), ({"type": "none"}, "none")],
)
def test_tool_choice_words(choice: dict[str, Any], expected: str) -> None:
    sent = _sent({"messages": [{"role": "user", "content": "a"}], "tool_choice": choice})
    assert sent["tool_choice"] == expected


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"top_k": 5}, "top_k"),
        ({"mcp_servers": [{"type": "url"}]}, "mcp_servers"),
        ({"tools": [{"type": "bash_20250124", "name": "bash"}]}, "tools[0].type"),
        (
            {"messages": [{"role": "user", "content": [{"type": "document", "source": {}}]}]},
            "messages[0].content[0].type",
        ),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "content": [
                            {
                                "type": "server_tool_use",
                                "id": "s",
                                "name": "web_search",
                                "input": {},
                            }
                        ],
                    }
                ]
            },
            "messages[0].content[0].type",
        ),
        ({"stop_sequences": ["a", "b", "c", "d", "e"]}, "stop_sequences"),
    ],
)
def test_untranslatable_is_a_400_naming_the_field(body: dict[str, Any], param: str) -> None:
    full = {"messages": [{"role": "user", "content": "a"}], **body}
    with pytest.raises(InvalidRequest) as caught:
        _sent(full)
    assert caught.value.param == param
    assert f"'{param}' cannot be translated" in caught.value.message
