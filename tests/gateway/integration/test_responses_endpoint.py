"""POST /v1/responses through the gateway (both entry paths): the mock and an OpenAI-shaped
upstream, streamed and not, under policies (rewrites, Codex's calls blocked), recorded with a
readable diff; the stored-response calls pass through with auth and recording, no policy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import openai
import orjson
import pytest
from asgiref.sync import sync_to_async
from pydantic import TypeAdapter

from activity.diffs.text import request_lines, response_lines
from activity.models import Transaction
from activity.recorder import recorder
from gateway import upstream_call
from policies.registry import registry
from policies.runtime import ActivePolicy, policy_runtime
from tests.gateway.integration.conftest import Reply, V1Client
from tests.gateway.integration.test_v1_routes import openai_error
from tests.wire.codecs.helpers import stream_bytes
from wire.upstreams import reset_upstreams

PATH = "/v1/responses"
EVENT = TypeAdapter(openai.types.responses.ResponseStreamEvent)


def auth(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def activate(name: str, config: dict[str, Any] | None = None) -> None:
    cls = registry().get(name)
    policy = cls.from_config(config if config is not None else cls.example_config, label=name)
    policy_runtime().set(ActivePolicy(policy=policy, name=name, version=1, source="test"))


def final_response(reply: Reply, stream: bool) -> Any:
    """The SDK's `Response` of a reply: the body, or the terminal event's response after
    checking every event parses and `sequence_number` counts from 0."""
    assert reply.status == 200, reply.body
    if not stream:
        return openai.types.responses.Response.model_validate_json(reply.body)
    events = []
    for block in reply.body.split(b"\n\n"):
        data = [line[5:] for line in block.split(b"\n") if line.startswith(b"data:")]
        if data:
            events.append(EVENT.validate_json(data[0]))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    terminal = [e for e in events if e.type in ("response.completed", "response.incomplete")]
    assert len(terminal) == 1 and events[-1] is terminal[0]
    return terminal[0].response


def texts(response: Any) -> str:
    return "".join(
        p.text
        for i in response.output
        if i.type == "message"
        for p in i.content
        if p.type == "output_text"
    )


async def stored(reply: Reply) -> Transaction:
    await sync_to_async(recorder().flush)(10)
    return await Transaction.objects.select_related("body").aget(
        id=reply.headers["x-luthien-transaction-id"]
    )


# --- the mock --------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
async def test_the_mock_answers_and_the_call_is_recorded(
    v1: V1Client, api_key: str, stream: bool
) -> None:
    body = {"model": "mock/echo", "input": "hello gateway", "stream": stream}
    reply = await v1.call("POST", PATH, body=body, headers=auth(api_key))
    response = final_response(reply, stream)
    assert texts(response) == "You said: hello gateway"
    assert response.status == "completed" and response.usage.input_tokens == 2
    row = await stored(reply)
    assert (row.endpoint, row.client_format, row.status) == (PATH, "responses", "completed")
    assert (row.upstream, row.upstream_model, row.input_tokens) == ("mock", "echo", 2)
    assert row.body.response_final["output"][0]["content"][0]["text"] == "You said: hello gateway"


@pytest.mark.parametrize("stream", [False, True])
async def test_codex_exec_command_is_blocked_with_the_readable_notice(
    v1: V1Client, api_key: str, stream: bool
) -> None:
    activate("block-dangerous-commands")
    model = 'mock/tool?name=exec_command&args={"cmd":"rm -rf ~"}'
    body = {"model": model, "input": "clean up", "stream": stream}
    reply = await v1.call("POST", PATH, body=body, headers=auth(api_key))
    response = final_response(reply, stream)
    assert [i.type for i in response.output] == ["message"]
    assert 'Luthien blocked a tool call (policy "block-dangerous-commands")' in texts(response)
    assert "Tool: exec_command" in texts(response) and '"cmd": "rm -rf ~"' in texts(response)
    assert response.status == "completed" and response.incomplete_details is None
    row = await stored(reply)
    assert row.status == "blocked"


@pytest.mark.parametrize("stream", [False, True])
async def test_all_caps_and_a_benign_call_through_the_mock(
    v1: V1Client, api_key: str, stream: bool
) -> None:
    activate("all-caps")
    body = {"model": "mock/text-tool", "input": "ls", "stream": stream}
    reply = await v1.call("POST", PATH, body=body, headers=auth(api_key))
    response = final_response(reply, stream)
    assert texts(response) == "I'LL RUN THAT COMMAND FOR YOU."
    call = response.output[-1]
    assert call.type == "function_call" and orjson.loads(call.arguments) == {"command": "ls"}


# --- an OpenAI-shaped upstream ------------------------------------------------------------------


class _Chunks(httpx.AsyncByteStream):
    """An upstream body sent in small pieces, as a network would."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), 97):
            yield self.data[start : start + 97]


@pytest.fixture
def openai_upstream(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], list[httpx.Request]]]:
    """A fake OpenAI API answering every call with one corpus stream (or its body)."""
    settings.OPENAI_BASE_URL = "https://openai.test/v1"
    settings.OPENAI_API_KEY = "sk-upstream"
    reset_upstreams()
    seen: list[httpx.Request] = []

    def install(name: str) -> list[httpx.Request]:
        raw = stream_bytes("responses", name)

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            if request.url.path != "/v1/responses":
                return httpx.Response(200, json={"id": "resp_1", "object": "response"})
            if orjson.loads(request.content).get("stream"):
                return httpx.Response(
                    200, stream=_Chunks(raw), headers={"content-type": "text/event-stream"}
                )
            frames = [line[5:] for line in raw.split(b"\n") if line.startswith(b"data:")]
            return httpx.Response(200, json=orjson.loads(frames[-1])["response"])

        client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
        monkeypatch.setattr(upstream_call, "http_client", lambda: client)
        return seen

    yield install
    reset_upstreams()


CODEX_LIKE = {
    "model": "gpt-5.1-codex",
    "instructions": "You are a coding agent.",
    "input": [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]}
    ],
    "store": False,
    "include": ["reasoning.encrypted_content"],
    "previous_response_id": "resp_previous",
    "prompt_cache_key": "k1",
}


@pytest.mark.parametrize("stream", [False, True])
async def test_string_replace_rewrites_text_and_keeps_reasoning(
    v1: V1Client, api_key: str, openai_upstream: Callable[[str], list[httpx.Request]], stream: bool
) -> None:
    seen = openai_upstream("codex_reasoning_exec")
    activate("string-replace", {"replacements": {"files": "documents"}})
    reply = await v1.call(
        "POST", PATH, body={**CODEX_LIKE, "stream": stream}, headers=auth(api_key)
    )
    response = final_response(reply, stream)
    assert texts(response) == "I'll list the documents."
    reasoning = response.output[0]
    assert reasoning.type == "reasoning" and reasoning.encrypted_content.startswith("gAAAA")
    assert response.output[2].type == "function_call"
    sent = orjson.loads(seen[0].content)
    assert sent["previous_response_id"] == "resp_previous" and sent["store"] is False
    assert sent["include"] == ["reasoning.encrypted_content"] and sent["prompt_cache_key"] == "k1"
    assert seen[0].headers["authorization"] == "Bearer sk-upstream"
    assert seen[0].url.path == "/v1/responses"


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("fixture", "policy", "tool"),
    [
        ("local_shell", "block-dangerous-commands", "local_shell"),
        ("apply_patch_custom", "block-sensitive-file-writes", "apply_patch"),
    ],
)
async def test_custom_and_local_shell_calls_are_judged(
    v1: V1Client,
    api_key: str,
    openai_upstream: Callable[[str], list[httpx.Request]],
    stream: bool,
    fixture: str,
    policy: str,
    tool: str,
) -> None:
    openai_upstream(fixture)
    activate(policy)
    reply = await v1.call(
        "POST", PATH, body={**CODEX_LIKE, "stream": stream}, headers=auth(api_key)
    )
    response = final_response(reply, stream)
    assert [i.type for i in response.output] == ["message"]
    assert f"Tool: {tool}" in texts(response) and "Luthien blocked a tool call" in texts(response)
    assert response.status == "completed"
    row = await stored(reply)
    assert row.status == "blocked"
    diff_before = "\n".join(response_lines(row.body.response_original))
    diff_after = "\n".join(response_lines(row.body.response_final))
    assert f"[tool call] {tool}" in diff_before and "Luthien blocked" in diff_after
    assert "── user ──" in "\n".join(request_lines(row.body.request_original))


async def test_an_incomplete_response_stays_incomplete(
    v1: V1Client, api_key: str, openai_upstream: Callable[[str], list[httpx.Request]]
) -> None:
    openai_upstream("incomplete")
    activate("all-caps")
    reply = await v1.call("POST", PATH, body={**CODEX_LIKE, "stream": True}, headers=auth(api_key))
    response = final_response(reply, True)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output[0].status == "incomplete"


# --- stored responses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "endpoint"),
    [
        ("GET", "/v1/responses/resp_1?include[]=reasoning.encrypted_content", "/v1/responses/{id}"),
        ("DELETE", "/v1/responses/resp_1", "/v1/responses/{id}"),
        ("POST", "/v1/responses/resp_1/cancel", "/v1/responses/{id}/cancel"),
        ("GET", "/v1/responses/resp_1/input_items?limit=2", "/v1/responses/{id}/input_items"),
    ],
)
async def test_stored_response_calls_pass_through(
    v1: V1Client,
    api_key: str,
    openai_upstream: Callable[[str], list[httpx.Request]],
    method: str,
    path: str,
    endpoint: str,
) -> None:
    seen = openai_upstream("codex_reasoning_exec")
    activate("all-caps")
    reply = await v1.call(method, path, headers=auth(api_key))
    assert reply.status == 200 and reply.json() == {"id": "resp_1", "object": "response"}
    (request,) = seen
    assert request.method == method
    assert request.url.raw_path.decode() == "/v1" + path.removeprefix("/v1")
    assert request.headers["authorization"] == "Bearer sk-upstream"
    row = await stored(reply)
    assert (row.endpoint, row.policy_name, row.status) == (endpoint, "", "completed")
    assert row.client_format == "responses" and row.upstream == "openai"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/responses/resp_1/nope", 404),
        ("GET", "/v1/responses/resp_1/cancel/x", 404),
        ("POST", "/v1/responses/resp_1", 405),
        ("GET", "/v1/responses/resp_1/cancel", 405),
        ("GET", "/v1/responses", 405),
    ],
)
async def test_other_shapes_are_refused_in_the_openai_format(
    v1: V1Client, api_key: str, method: str, path: str, status: int
) -> None:
    reply = await v1.call(method, path, headers=auth(api_key))
    assert reply.status == status
    assert openai_error(reply)["type"] == "invalid_request_error"


async def test_a_stored_response_needs_the_gateway_key(v1: V1Client) -> None:
    reply = await v1.call("GET", "/v1/responses/resp_1", headers=auth("wrong"))
    assert reply.status == 401 and openai_error(reply)["code"] == "invalid_api_key"


async def test_a_failed_response_is_relayed_and_recorded_as_an_upstream_error(
    v1: V1Client, api_key: str, openai_upstream: Callable[[str], list[httpx.Request]]
) -> None:
    openai_upstream("failed")
    reply = await v1.call("POST", PATH, body={**CODEX_LIKE, "stream": True}, headers=auth(api_key))
    assert reply.status == 200
    last = [line for line in reply.body.split(b"\n") if line.startswith(b"data:")][-1]
    failed = EVENT.validate_json(last[5:])
    assert failed.type == "response.failed" and failed.response.error.code == "server_error"
    row = await stored(reply)
    assert row.status == "upstream_error"


async def test_a_model_of_another_format_is_translated_or_a_400_naming_the_field(
    v1: V1Client, api_key: str
) -> None:
    """`claude-*` is translated to the Messages API (`test_translation_responses.py`); what the
    translation cannot carry is refused on both entry paths before any upstream is called."""
    body = {"model": "claude-sonnet-4-5", "input": "hi", "previous_response_id": "resp_1"}
    reply = await v1.call("POST", PATH, body=body, headers=auth(api_key))
    assert reply.status == 400
    error = openai_error(reply)
    assert error["param"] == "previous_response_id"
    assert "'previous_response_id' cannot be translated" in error["message"]
