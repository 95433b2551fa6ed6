"""POST /v1/messages/count_tokens: forwarded as it came (but the routed model), no policy,
recorded as a pass-through, errors in the Anthropic format; through both entry paths."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from asgiref.sync import sync_to_async

from activity.models import Transaction
from activity.recorder import recorder
from gateway import upstream_call
from policies.active import ActivePolicy
from policies.builtin.string_replace import StringReplacePolicy
from policies.runtime import policy_runtime
from tests.gateway.integration.conftest import Reply, V1Client
from tests.gateway.integration.test_v1_routes import anthropic_error
from wire.upstreams import reset_upstreams

PATH = "/v1/messages/count_tokens"
BODY = {
    "model": "mock/echo",
    "system": "be brief",
    "messages": [{"role": "user", "content": "count these four words"}],
}


def headers(key: str, **extra: str) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": "2023-06-01", **extra}


async def stored(reply: Reply) -> Transaction:
    await sync_to_async(recorder().flush)(10)
    return await Transaction.objects.select_related("body").aget(
        id=reply.headers["x-luthien-transaction-id"]
    )


async def test_the_mock_counts_what_messages_reports_as_input(v1: V1Client, api_key: str) -> None:
    reply = await v1.call("POST", PATH, body=BODY, headers=headers(api_key))
    assert reply.status == 200
    assert reply.json() == {"input_tokens": 6}  # "be brief" + "count these four words"
    assert reply.headers["request-id"]  # the upstream's id is relayed
    assert float(reply.headers["x-luthien-overhead-ms"]) >= 0
    message = await v1.call(
        "POST", "/v1/messages", body={**BODY, "max_tokens": 20}, headers=headers(api_key)
    )
    assert message.json()["usage"]["input_tokens"] == reply.json()["input_tokens"]


@pytest.mark.parametrize("path", [f"{PATH}?beta=true", "/v1/messages?beta=true"])
async def test_the_query_string_claude_code_adds_is_no_obstacle(
    v1: V1Client, api_key: str, path: str
) -> None:
    reply = await v1.call("POST", path, body={**BODY, "max_tokens": 5}, headers=headers(api_key))
    assert reply.status == 200
    assert (await stored(reply)).endpoint == path.partition("?")[0]


@pytest.mark.parametrize("path", [PATH, "/v1/messages"])
async def test_the_clients_query_string_reaches_the_upstream(
    v1: V1Client, api_key: str, anthropic_upstream: list[httpx.Request], path: str
) -> None:
    body = {**BODY, "model": "claude-sonnet-4-5", "max_tokens": 5}
    reply = await v1.call("POST", f"{path}?beta=true&x=a%20b", body=body, headers=headers(api_key))
    assert reply.status == 200, reply.body
    (call,) = anthropic_upstream
    assert call.url.path == path
    assert call.url.query == b"beta=true&x=a%20b"


async def test_recorded_as_a_pass_through(v1: V1Client, api_key: str) -> None:
    reply = await v1.call(
        "POST", PATH, body=BODY, headers=headers(api_key, **{"x-session-id": "s1"})
    )
    row = await stored(reply)
    assert (row.endpoint, row.status, row.http_status) == (PATH, "completed", 200)
    assert (row.model, row.upstream, row.upstream_model) == ("mock/echo", "mock", "echo")
    assert (row.policy_name, row.decision_count, row.input_tokens) == ("", 0, None)
    assert (row.api_key_name, row.session_id, row.client_format) == (
        "test-client",
        "s1",
        "anthropic",
    )
    assert row.body.request_original == BODY
    assert row.body.request_final == {**BODY, "model": "echo"}
    assert row.body.response_original == row.body.response_final == {"input_tokens": 6}
    message = await v1.call(
        "POST", "/v1/messages", body={**BODY, "max_tokens": 5}, headers=headers(api_key)
    )
    assert (await stored(message)).endpoint == "/v1/messages"


@pytest.fixture
def anthropic_upstream(settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """A fake Anthropic API (count_tokens and messages) that keeps what it received."""
    settings.ANTHROPIC_BASE_URL = "https://anthropic.test"
    settings.ANTHROPIC_API_KEY = "sk-ant-upstream"
    reset_upstreams()
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/count_tokens"):
            return httpx.Response(
                200,
                content=b'{"input_tokens": 42}',
                headers={
                    "content-type": "application/json",
                    "request-id": "req_up_1",
                    "anthropic-ratelimit-requests-remaining": "99",
                    "x-upstream-internal": "not for clients",
                },
            )
        message = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "ok"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 1},
        }
        return httpx.Response(200, json=message)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    monkeypatch.setattr(upstream_call, "http_client", lambda: client)
    return seen


async def test_the_body_passes_unchanged_and_no_policy_runs(
    v1: V1Client, api_key: str, anthropic_upstream: list[httpx.Request]
) -> None:
    policy = StringReplacePolicy.from_config(
        {"replacements": {"secret": "[x]"}, "apply_to_request": True}, label="redact"
    )
    policy_runtime().set(ActivePolicy(policy=policy, name="redact", version=3, source="test"))
    body = (
        b'{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"my secret"},'
        b'{"role":"system","content":"new role"}],"tools":[{"name":"Bash","input_schema":{}}],'
        b'"thinking":{"type":"enabled","budget_tokens":1024},"future_field":[1, 2.50]}'
    )
    sent = headers(api_key, **{"anthropic-beta": "token-counting-2099"})
    reply = await v1.call("POST", PATH, body=body, headers=sent)
    assert (reply.status, reply.json()) == (200, {"input_tokens": 42})
    counted = anthropic_upstream[0]
    assert str(counted.url) == "https://anthropic.test/v1/messages/count_tokens"
    assert counted.content == body  # byte for byte: the model needed no renaming
    assert counted.headers["x-api-key"] == "sk-ant-upstream"  # never the client's key
    assert counted.headers["anthropic-beta"] == "token-counting-2099"
    assert reply.headers["request-id"] == "req_up_1"
    assert reply.headers["anthropic-ratelimit-requests-remaining"] == "99"
    assert reply.headers["x-upstream-internal"] == "not for clients"  # transparent, see headers.py
    row = await stored(reply)
    assert (row.policy_name, row.decision_count, row.upstream) == ("", 0, "anthropic")
    # the same text through /v1/messages is rewritten: the policy is active, count_tokens skips it
    message = body.replace(b'"messages"', b'"max_tokens":5,"messages"')
    assert (await v1.call("POST", "/v1/messages", body=message, headers=sent)).status == 200
    assert b"my [x]" in anthropic_upstream[1].content


async def test_a_prefixed_model_is_renamed_and_nothing_else(
    v1: V1Client, api_key: str, anthropic_upstream: list[httpx.Request]
) -> None:
    body = {"model": "anthropic/claude-haiku-4-5", "messages": [{"role": "user", "content": "x"}]}
    reply = await v1.call(
        "POST", PATH, body={**body, "extra": {"a": None}}, headers=headers(api_key)
    )
    assert reply.status == 200
    forwarded = orjson.loads(anthropic_upstream[0].content)
    assert forwarded == {**body, "model": "claude-haiku-4-5", "extra": {"a": None}}
    assert list(forwarded) == ["model", "messages", "extra"]  # order kept


@pytest.mark.parametrize(
    ("model", "status", "error_type"),
    [
        ("mock/error?status=529", 529, "overloaded_error"),
        ("mock/error?status=400&message=bad%20tools", 400, "invalid_request_error"),
        ("mock/no-such-behaviour", 404, "not_found_error"),
    ],
)
async def test_upstream_errors_are_relayed(
    v1: V1Client, api_key: str, model: str, status: int, error_type: str
) -> None:
    reply = await v1.call("POST", PATH, body={**BODY, "model": model}, headers=headers(api_key))
    assert reply.status == status
    assert anthropic_error(reply)["type"] == error_type
    row = await stored(reply)
    assert (row.status, row.http_status, row.endpoint) == ("upstream_error", status, PATH)


@pytest.mark.parametrize(
    ("failure", "status", "error_type"),
    [
        (httpx.ConnectError("refused"), 502, "api_error"),
        (httpx.ReadTimeout("slow"), 504, "timeout_error"),
        (None, 502, "api_error"),  # a 200 that is not JSON
    ],
)
async def test_transport_failures_are_anthropic_errors(
    v1: V1Client,
    api_key: str,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception | None,
    status: int,
    error_type: str,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if failure is not None:
            raise failure
        return httpx.Response(200, content=b"<html>proxy page</html>")

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    monkeypatch.setattr(upstream_call, "http_client", lambda: client)
    reply = await v1.call("POST", PATH, body=BODY, headers=headers(api_key))
    assert reply.status == status
    assert anthropic_error(reply)["type"] == error_type
    assert (await stored(reply)).status == "upstream_error"


@pytest.mark.parametrize(("model", "upstream"), [("gpt-4o", "openai"), ("ollama/llama3", "ollama")])
async def test_an_openai_format_upstream_is_a_clear_400(
    v1: V1Client, api_key: str, settings: Any, model: str, upstream: str
) -> None:
    settings.LUTHIEN_EXTRA_UPSTREAMS = "ollama=http://ollama.test/v1"
    reset_upstreams()
    reply = await v1.call("POST", PATH, body={**BODY, "model": model}, headers=headers(api_key))
    assert reply.status == 400
    error = anthropic_error(reply)
    assert error["type"] == "invalid_request_error"
    assert f"count_tokens is not available for model '{model}'" in error["message"]
    assert f"the {upstream} upstream, which speaks the OpenAI format" in error["message"]
    row = await stored(reply)
    assert (row.status, row.endpoint, row.model) == ("rejected", PATH, model)


@pytest.mark.parametrize(
    ("body", "status", "error_type", "says"),
    [
        (b"{nope", 400, "invalid_request_error", "not valid JSON"),
        (b"[1]", 400, "invalid_request_error", "must be a JSON object"),
        (b'{"messages": []}', 400, "invalid_request_error", "'model' is required"),
        (b'{"model": 7}', 400, "invalid_request_error", "'model' is required"),
        (b'{"model": "x", "pad": "' + b"y" * 400 + b'"}', 413, "request_too_large", "limit"),
    ],
)
async def test_what_the_gateway_checks_itself(
    v1: V1Client,
    api_key: str,
    settings: Any,
    body: bytes,
    status: int,
    error_type: str,
    says: str,
) -> None:
    settings.LUTHIEN_MAX_BODY_BYTES = 300
    reply = await v1.call("POST", PATH, body=body, headers=headers(api_key))
    assert reply.status == status
    error = anthropic_error(reply)
    assert error["type"] == error_type and says in error["message"]
    assert (await stored(reply)).status == "rejected"


async def test_a_gateway_key_is_required_and_failures_are_not_recorded(v1: V1Client) -> None:
    reply = await v1.call("POST", PATH, body=BODY)  # no key, no Anthropic header: still Anthropic
    assert reply.status == 401
    assert anthropic_error(reply)["type"] == "authentication_error"
    reply = await v1.call("POST", PATH, body=BODY, headers=headers("lk-wrong"))
    assert reply.status == 401
    await sync_to_async(recorder().flush)(10)
    assert await Transaction.objects.acount() == 0


async def test_count_tokens_shares_the_keys_rate_limit(
    v1: V1Client, api_key: str, settings: Any
) -> None:
    settings.LUTHIEN_RATE_LIMIT_PER_MINUTE = 1
    settings.LUTHIEN_RATE_LIMIT_BURST = 1
    first = await v1.call("POST", PATH, body=BODY, headers=headers(api_key))
    assert first.status == 200
    message = await v1.call(
        "POST", "/v1/messages", body={**BODY, "max_tokens": 5}, headers=headers(api_key)
    )
    assert message.status == 429 and message.headers["retry-after"]
    assert anthropic_error(message)["type"] == "rate_limit_error"
