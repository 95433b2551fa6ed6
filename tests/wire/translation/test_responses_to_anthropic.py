"""An OpenAI Responses request (Codex's shape) translated for an Anthropic Messages upstream."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wire.translation.helpers import translate_body
from wire.errors import InvalidRequest

PNG = "iVBORw0KGgo="
SHELL = {
    "type": "function",
    "name": "shell",
    "description": "Runs a command",
    "parameters": {"type": "object", "properties": {"command": {"type": "array"}}},
    "strict": False,
}


def _translate(body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    return translate_body("responses", "anthropic", {"model": "claude-x", **body})


def _sent(body: dict[str, Any]) -> dict[str, Any]:
    return _translate(body)[0]


def _refused(body: dict[str, Any]) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        _translate(body)
    assert "cannot be translated" in caught.value.message
    return caught.value


def test_string_input_and_instructions() -> None:
    sent, notes = _translate({"instructions": "be brief", "input": "hi"})
    assert sent["system"] == "be brief"
    assert sent["messages"] == [{"role": "user", "content": "hi"}]
    assert sent["max_tokens"] == 4096
    assert notes == ["max_tokens was not given: sent 4096 (the Messages API requires it)"]


def test_developer_and_system_items_join_the_system_prompt_in_order() -> None:
    sent = _sent(
        {
            "instructions": "one",
            "input": [
                {"type": "message", "role": "developer", "content": "two"},
                {"role": "system", "content": [{"type": "input_text", "text": "three"}]},
                {"role": "user", "content": "hi"},
            ],
        }
    )
    assert [b["text"] for b in sent["system"]] == ["one", "two", "three"]
    assert [m["role"] for m in sent["messages"]] == ["user"]


def test_images_data_url_and_http_url() -> None:
    parts = [
        {"type": "input_text", "text": "what is this"},
        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}", "detail": "auto"},
        {"type": "input_image", "image_url": "https://x.test/a.png"},
    ]
    sent = _sent({"input": [{"role": "user", "content": parts}]})
    assert sent["messages"][0]["content"] == [
        {"type": "text", "text": "what is this"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
    ]


def test_calls_and_outputs_become_one_assistant_turn_and_one_user_turn() -> None:
    sent = _sent(
        {
            "input": [
                {"role": "user", "content": "list"},
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "e"},
                {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed",
                 "content": [{"type": "output_text", "text": "Listing.", "annotations": []}]},
                {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "shell",
                 "arguments": '{"command": ["ls"]}', "status": "completed"},
                {"type": "function_call", "id": "fc_2", "call_id": "c2", "name": "shell",
                 "arguments": ""},
                {"type": "function_call_output", "call_id": "c1", "output": "a.txt"},
                {"type": "function_call_output", "call_id": "c2",
                 "output": [{"type": "input_text", "text": "b"}]},
                {"role": "user", "content": "thanks"},
            ],
            "tools": [SHELL],
        }
    )  # fmt: skip
    assert sent["messages"] == [
        {"role": "user", "content": "list"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Listing."},
                {"type": "tool_use", "id": "c1", "name": "shell", "input": {"command": ["ls"]}},
                {"type": "tool_use", "id": "c2", "name": "shell", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "c1", "content": "a.txt"},
                {"type": "tool_result", "tool_use_id": "c2",
                 "content": [{"type": "text", "text": "b"}]},
                {"type": "text", "text": "thanks"},
            ],
        },
    ]  # fmt: skip
    assert sent["tools"] == [
        {"name": "shell", "description": "Runs a command", "input_schema": SHELL["parameters"]}
    ]


def test_reasoning_items_in_the_input_are_dropped_with_a_note() -> None:
    _, notes = _translate(
        {
            "input": [
                {"role": "user", "content": "a"},
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "e"},
            ]
        }
    )
    assert "reasoning items in the input were dropped (only their provider reads them)" in notes


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        ({"type": "function", "name": "shell"}, {"type": "tool", "name": "shell"}),
    ],
)
def test_tool_choice(choice: Any, expected: dict[str, Any]) -> None:
    assert _sent({"input": "a", "tools": [SHELL], "tool_choice": choice})["tool_choice"] == expected


def test_parallel_tool_calls_false_disables_parallel_use() -> None:
    sent = _sent({"input": "a", "tools": [SHELL], "parallel_tool_calls": False})
    assert sent["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


@pytest.mark.parametrize(
    ("effort", "budget"), [("minimal", 1024), ("low", 2048), ("medium", 8192), ("high", 24576)]
)
def test_reasoning_effort_becomes_a_thinking_budget(effort: str, budget: int) -> None:
    sent, notes = _translate({"input": "a", "reasoning": {"effort": effort, "summary": "auto"}})
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert sent["max_tokens"] == 4096 + budget
    assert "'reasoning.summary' was dropped: the answer's reasoning is not relayed" in notes


def test_reasoning_effort_none_sends_no_thinking() -> None:
    assert "thinking" not in _sent({"input": "a", "reasoning": {"effort": "none"}})


def test_params_that_translate() -> None:
    sent = _sent(
        {
            "input": "a",
            "max_output_tokens": 300,
            "temperature": 0.5,
            "top_p": 0.9,
            "user": "u1",
            "store": False,
            "previous_response_id": None,
            "stream": True,
            "text": {"format": {"type": "text"}},
        }
    )
    assert {k: sent[k] for k in ("max_tokens", "temperature", "top_p", "metadata", "stream")} == {
        "max_tokens": 300,
        "temperature": 0.5,
        "top_p": 0.9,
        "metadata": {"user_id": "u1"},
        "stream": True,
    }


def test_codex_fields_without_equivalent_are_dropped_with_notes() -> None:
    _, notes = _translate(
        {
            "input": "a",
            "max_output_tokens": 300,
            "include": ["reasoning.encrypted_content"],
            "prompt_cache_key": "k",
            "text": {"verbosity": "low"},
        }
    )
    assert notes == [
        "'include' 'reasoning.encrypted_content' was dropped: the answer's reasoning is not "
        "relayed",
        "'prompt_cache_key' was dropped: the upstream's format has no equivalent",
        "'text.verbosity' was dropped: the upstream's format has no equivalent",
    ]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id"),
        ({"store": True}, "store"),
        ({"include": ["file_search_call.results"]}, "include"),
        ({"background": True}, "background"),
        ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
        (
            {
                "tools": [
                    {
                        "type": "custom",
                        "name": "apply_patch",
                        "format": {"type": "grammar", "syntax": "lark", "definition": "x"},
                    }
                ]
            },
            "tools[0].format",
        ),
        (
            {
                "tools": [
                    {"type": "namespace", "name": "n", "tools": [{"type": "custom", "name": "c"}]}
                ]
            },
            "tools[0].tools[0].type",
        ),
        ({"text": {"format": {"type": "json_schema", "name": "x", "schema": {}}}}, "text.format"),
        ({"tool_choice": {"type": "web_search"}}, "tool_choice"),
        ({"reasoning": {"effort": "extreme"}}, "reasoning.effort"),
        ({"max_output_tokens": 0}, "max_output_tokens"),
    ],
)
def test_fields_that_cannot_be_translated_are_refused(body: dict[str, Any], param: str) -> None:
    assert _refused({"input": "a", **body}).param == param


@pytest.mark.parametrize(
    ("item", "param"),
    [
        ({"type": "local_shell_call", "call_id": "c", "action": {"type": "exec"}},
         "input[0].type"),
        ({"type": "item_reference", "id": "msg_1"}, "input[0]"),
        ({"role": "user", "content": [{"type": "input_file", "file_id": "f"}]},
         "input[0].content[0].type"),
        ({"role": "user", "content": [{"type": "input_image", "file_id": "f"}]},
         "input[0].content[0].image_url"),
        ({"type": "function_call", "call_id": "c", "name": "x", "arguments": "[1]"},
         "input[0].arguments"),
    ],
)  # fmt: skip
def test_items_that_cannot_be_translated_are_refused(item: dict[str, Any], param: str) -> None:
    error = _refused({"input": [item]})
    assert error.param == param


def test_item_reference_refusal_names_its_type() -> None:
    error = _refused({"input": [{"type": "item_reference", "id": "msg_1"}]})
    assert "'item_reference' items have no equivalent" in error.message
