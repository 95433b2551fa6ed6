"""What the official SDKs must end up with after accumulating each corpus stream that went
through the gateway's codecs (`test_sdk_acceptance`).

Written out by hand, read off the corpus `.sse` files — never computed by the codec under test.
"""

from __future__ import annotations

from typing import Any

# --- OpenAI ------------------------------------------------------------------------------------


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
# Streams recorded with a usage chunk are re-sent with one (the test client asks for it); the
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
    "router_extra_fields": _openai_expected(
        id="gen-1765000000-AbCdEf",
        model="deepseek/deepseek-r1-0528",
        content="Hello there!",
        reasoning_content="The user greets me. Answer briefly.",
        finish_reason="stop",
        usage=(12, 9),
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
# Streams the SDK's stream helper ends with an exception (they have their own tests).
OPENAI_RAISING = {"error_midstream", "length"}


# --- Anthropic ---------------------------------------------------------------------------------


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
    "pause_turn": _message(
        "msg_01PauseTurn",
        "claude-sonnet-4-5-20250929",
        content=[
            {
                "type": "server_tool_use",
                "id": "srvtoolu_01Bash",
                "name": "bash_code_execution",
                "input": {"command": "python3 analyse.py"},
            },
            {
                "type": "bash_code_execution_tool_result",
                "tool_use_id": "srvtoolu_01Bash",
                "content": {
                    "type": "bash_code_execution_result",
                    "stdout": "rows: 42\n",
                    "stderr": "",
                    "return_code": 0,
                    "content": [],
                },
            },
        ],
        stop_reason="pause_turn",
        container=None,
        usage={
            "input_tokens": 900,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 51,
            "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
        },
    ),
    "context_management": _message(
        "msg_01CtxMgmt",
        "claude-sonnet-4-5-20250929",
        content=[{"type": "text", "text": "Done."}],
        stop_reason="end_turn",
        usage={
            "input_tokens": 2100,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 3,
        },
    ),
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
# Streams the SDK ends with an exception (they have their own tests).
ANTHROPIC_RAISING = {"error_overloaded"}
