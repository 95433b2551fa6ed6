"""The official `openai` SDK against the mock, in-process: every behaviour, streamed and not."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import openai
import pytest

USER = [{"role": "user", "content": "ls -la"}]


@dataclass
class Streamed:
    """What an OpenAI stream added up to."""

    text: str = ""
    text_chunks: int = 0
    calls: dict[int, dict[str, str]] = field(default_factory=dict)
    argument_chunks: int = 0
    finish: str | None = None
    usage: Any = None
    chunks: int = 0


async def collect(stream: Any) -> Streamed:
    out = Streamed()
    async for chunk in stream:
        out.chunks += 1
        if chunk.usage is not None:
            out.usage = chunk.usage
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        if choice.delta.content:
            out.text += choice.delta.content
            out.text_chunks += 1
        for call in choice.delta.tool_calls or ():
            slot = out.calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            slot["id"] += call.id or ""
            slot["name"] += call.function.name or ""
            if call.function.arguments:
                slot["arguments"] += call.function.arguments
                out.argument_chunks += 1
        out.finish = choice.finish_reason or out.finish
    return out


async def stream(client: openai.AsyncOpenAI, model: str, **kwargs: Any) -> Streamed:
    kwargs.setdefault("messages", USER)
    kwargs.setdefault("stream_options", {"include_usage": True})
    return await collect(await client.chat.completions.create(model=model, stream=True, **kwargs))


async def test_echo_non_streaming(openai_client: openai.AsyncOpenAI) -> None:
    reply = await openai_client.chat.completions.create(
        model="mock/echo",
        messages=[{"role": "system", "content": "be brief"}, *USER],
    )
    assert reply.choices[0].message.content == "You said: ls -la"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.id.startswith("chatcmpl-") and reply.object == "chat.completion"
    usage = reply.usage
    assert usage is not None and usage.prompt_tokens == 4 and usage.completion_tokens == 4
    assert usage.total_tokens == 8
    assert usage.prompt_tokens_details is not None and usage.completion_tokens_details is not None


async def test_echo_streaming_in_word_chunks_with_usage(openai_client: openai.AsyncOpenAI) -> None:
    out = await stream(openai_client, "mock")
    assert out.text == "You said: ls -la"
    assert out.text_chunks == 4
    assert out.finish == "stop"
    assert out.usage.completion_tokens == 4 and out.usage.total_tokens == 6


async def test_streaming_without_include_usage_has_no_usage(
    openai_client: openai.AsyncOpenAI,
) -> None:
    reply = await openai_client.chat.completions.create(model="echo", messages=USER, stream=True)
    chunks = [chunk async for chunk in reply]
    assert all(chunk.usage is None and chunk.choices for chunk in chunks)


async def test_text_chunks(openai_client: openai.AsyncOpenAI) -> None:
    out = await stream(openai_client, "mock/text?chunks=50")
    assert out.text_chunks == 50 and len(out.text.split()) == 50
    assert out.text.startswith("Lorem ipsum") and out.text.endswith(".")
    reply = await openai_client.chat.completions.create(model="text?chunks=50", messages=USER)
    assert reply.choices[0].message.content == out.text


@pytest.mark.parametrize("streamed", [False, True])
async def test_tool(openai_client: openai.AsyncOpenAI, streamed: bool) -> None:
    calls, finish = await _calls(openai_client, "mock/tool", streamed)
    assert finish == "tool_calls"
    (call,) = calls
    assert call["id"].startswith("call_") and call["name"] == "Bash"
    assert json.loads(call["arguments"]) == {"command": "ls -la"}


async def test_tool_arguments_stream_in_pieces(openai_client: openai.AsyncOpenAI) -> None:
    out = await stream(openai_client, "tool")
    assert out.argument_chunks == 3


@pytest.mark.parametrize("streamed", [False, True])
async def test_tool_with_name_args_and_text(
    openai_client: openai.AsyncOpenAI, streamed: bool
) -> None:
    model = 'mock/tool?name=Write&args={"file_path":"a.txt","content":"hi"}&text=Writing it now.'
    calls, _ = await _calls(openai_client, model, streamed)
    assert [c["name"] for c in calls] == ["Write"]
    assert json.loads(calls[0]["arguments"]) == {"file_path": "a.txt", "content": "hi"}
    reply = await openai_client.chat.completions.create(model=model, messages=USER)
    assert reply.choices[0].message.content == "Writing it now."


async def test_tool_other_name_defaults_to_input(openai_client: openai.AsyncOpenAI) -> None:
    calls, _ = await _calls(openai_client, "tool?name=Search", False)
    assert json.loads(calls[0]["arguments"]) == {"input": "ls -la"}


@pytest.mark.parametrize("streamed", [False, True])
async def test_tools(openai_client: openai.AsyncOpenAI, streamed: bool) -> None:
    calls, finish = await _calls(openai_client, "mock/tools", streamed)
    assert finish == "tool_calls"
    assert [c["name"] for c in calls] == ["Bash", "Read"]
    assert [json.loads(c["arguments"]) for c in calls] == [
        {"command": "ls -la"},
        {"file_path": "README.md"},
    ]
    assert calls[0]["id"] != calls[1]["id"]


async def test_text_tool(openai_client: openai.AsyncOpenAI) -> None:
    out = await stream(openai_client, "mock/text-tool")
    assert out.text == "I'll run that command for you."
    assert [c["name"] for c in out.calls.values()] == ["Bash"]
    assert out.finish == "tool_calls"
    reply = await openai_client.chat.completions.create(model="text-tool", messages=USER)
    message = reply.choices[0].message
    assert message.content == out.text and message.tool_calls


async def test_tool_after_tool_result_answers_with_text(openai_client: openai.AsyncOpenAI) -> None:
    messages: list[Any] = [
        *USER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "Bash", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "a.txt"},
    ]
    reply = await openai_client.chat.completions.create(model="mock/tool", messages=messages)
    assert reply.choices[0].finish_reason == "stop" and reply.choices[0].message.content


async def test_thinking_is_text_with_reasoning_tokens(openai_client: openai.AsyncOpenAI) -> None:
    out = await stream(openai_client, "mock/thinking")
    assert out.text == "You said: ls -la"
    assert out.usage.completion_tokens_details.reasoning_tokens > 0


ERRORS = [
    (400, openai.BadRequestError, "invalid_request_error"),
    (401, openai.AuthenticationError, "invalid_request_error"),
    (403, openai.PermissionDeniedError, "invalid_request_error"),
    (404, openai.NotFoundError, "invalid_request_error"),
    (413, openai.APIStatusError, "invalid_request_error"),
    (429, openai.RateLimitError, "tokens"),
    (500, openai.InternalServerError, "server_error"),
    (529, openai.InternalServerError, "server_error"),
]


@pytest.mark.parametrize(("status", "exc_type", "error_type"), ERRORS)
@pytest.mark.parametrize("streamed", [False, True])
async def test_error_statuses(
    openai_client: openai.AsyncOpenAI, status: int, exc_type: type, error_type: str, streamed: bool
) -> None:
    with pytest.raises(exc_type) as info:
        await openai_client.chat.completions.create(
            model=f"mock/error?status={status}", messages=USER, stream=streamed
        )
    assert info.value.status_code == status
    assert info.value.type == error_type
    assert set(info.value.body) == {"message", "type", "param", "code"}
    assert info.value.request_id and info.value.request_id.startswith("req_")


async def test_unknown_model_is_not_found(openai_client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        await openai_client.chat.completions.create(model="mock/nonsense", messages=USER)
    assert info.value.code == "model_not_found"
    assert "nonsense" in info.value.message


async def test_midstream_error(openai_client: openai.AsyncOpenAI) -> None:
    seen: list[str] = []
    reply = await openai_client.chat.completions.create(
        model="mock/midstream-error?chunks=4", messages=USER, stream=True
    )
    with pytest.raises(openai.APIError) as info:
        async for chunk in reply:
            seen.extend(c.delta.content or "" for c in chunk.choices)
    assert len([s for s in seen if s]) == 4
    assert info.value.body["type"] == "server_error"


@pytest.mark.parametrize(
    ("mode", "check"),
    [
        ("plain", lambda t: json.loads(t)["probability"] == 0.95),
        ("string", lambda t: json.loads(t)["probability"] == "0.95"),
        ("fenced", lambda t: json.loads(t.removeprefix("```json").removesuffix("```"))),
        ("prose", lambda t: '"probability": 0.95' in t and not t.startswith("{")),
        ("garbage", lambda t: "probability" not in t),
    ],
)
@pytest.mark.parametrize("streamed", [False, True])
async def test_judge_modes(
    openai_client: openai.AsyncOpenAI, mode: str, check: Any, streamed: bool
) -> None:
    messages = [
        {"role": "system", "content": "Rate the risk of this tool call."},
        {"role": "user", "content": 'Tool: Bash\nArguments: {"command": "rm -rf ~"}'},
    ]
    model = f"mock/judge?mode={mode}"
    if streamed:
        text = (await stream(openai_client, model, messages=messages)).text
    else:
        reply = await openai_client.chat.completions.create(model=model, messages=messages)
        text = reply.choices[0].message.content or ""
    assert check(text), text


async def test_judge_harmless_and_p_override(openai_client: openai.AsyncOpenAI) -> None:
    harmless = await openai_client.chat.completions.create(model="judge", messages=USER)
    assert json.loads(harmless.choices[0].message.content or "")["probability"] == 0.05
    fixed = await openai_client.chat.completions.create(model="judge?p=0.42", messages=USER)
    assert json.loads(fixed.choices[0].message.content or "")["probability"] == 0.42


async def test_delay_between_chunks_is_real(openai_client: openai.AsyncOpenAI) -> None:
    started = time.monotonic()
    reply = await openai_client.chat.completions.create(
        model="mock/text?chunks=5&delay_ms=40", messages=USER, stream=True
    )
    stamps = [
        time.monotonic()
        async for chunk in reply
        if chunk.choices and chunk.choices[0].delta.content
    ]
    assert len(stamps) == 5
    assert stamps[-1] - stamps[0] >= 4 * 0.040
    assert time.monotonic() - started >= 5 * 0.040


async def test_ttfb_delays_the_headers(openai_client: openai.AsyncOpenAI) -> None:
    started = time.monotonic()
    reply = await openai_client.chat.completions.create(
        model="mock/echo?ttfb_ms=150", messages=USER, stream=True
    )
    assert time.monotonic() - started >= 0.150
    await reply.close()


async def test_abort_after_raises(openai_client: openai.AsyncOpenAI) -> None:
    reply = await openai_client.chat.completions.create(
        model="mock/text?abort_after=3", messages=USER, stream=True
    )
    received = 0
    with pytest.raises(openai.APIConnectionError):
        async for _ in reply:
            received += 1
    assert received == 3


async def test_abort_after_non_streaming_raises(openai_client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.APIConnectionError):
        await openai_client.chat.completions.create(model="text?abort_after=0", messages=USER)


async def test_usage_overrides(openai_client: openai.AsyncOpenAI) -> None:
    out = await stream(openai_client, "mock/text?usage_in=1000&usage_out=77")
    assert (out.usage.prompt_tokens, out.usage.completion_tokens) == (1000, 77)
    assert out.usage.total_tokens == 1077


async def test_models_list(openai_client: openai.AsyncOpenAI) -> None:
    ids = [model.id async for model in openai_client.models.list()]
    assert "mock/echo" in ids and "mock/judge" in ids


async def _calls(
    client: openai.AsyncOpenAI, model: str, streamed: bool
) -> tuple[list[dict[str, str]], str | None]:
    if streamed:
        out = await stream(client, model)
        return [out.calls[i] for i in sorted(out.calls)], out.finish
    reply = await client.chat.completions.create(model=model, messages=USER)
    choice = reply.choices[0]
    calls = [
        {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
        for c in choice.message.tool_calls or ()
        if c.type == "function"
    ]
    return calls, choice.finish_reason
