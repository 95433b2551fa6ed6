"""End to end: the OpenAI Python SDK's Responses API (`responses.create`, `responses.stream`)
against a real gateway process and a real mock process — text, reasoning, function calls,
calls a policy blocked, and errors, all parsed by the SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.e2e.servers import Server
from tests.e2e.test_gateway_sdks import oai, wait_recorded

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHELL_TOOL = {
    "type": "function",
    "name": "exec_command",
    "description": "Runs a command in a PTY.",
    "strict": False,
    "parameters": {
        "type": "object",
        "properties": {"cmd": {"type": "string"}},
        "required": ["cmd"],
        "additionalProperties": False,
    },
}


@pytest.fixture
def client(gateway_server: Server, e2e_key: str) -> Iterator[openai.OpenAI]:
    """An SDK client whose calls are all recorded before the test ends (the gateway process
    writes in the background; the database is flushed after each test)."""
    ids: list[str] = []

    def keep_id(response: httpx.Response) -> None:
        if "x-luthien-transaction-id" in response.headers:
            ids.append(response.headers["x-luthien-transaction-id"])

    http = httpx.Client(event_hooks={"response": [keep_id]})
    yield openai.OpenAI(
        base_url=gateway_server.url + "/v1", api_key=e2e_key, max_retries=0, http_client=http
    )
    http.close()
    for transaction_id in ids:
        wait_recorded(transaction_id)


@pytest.fixture
def blocking(transactional_db: None) -> Iterator[dict[str, str]]:
    """Headers choosing a saved `block-dangerous-commands` policy for one call."""
    from policies.services import policy_config_create

    policy_config_create(name="no-rm", policy_class="block-dangerous-commands", config={})
    yield {"X-Luthien-Policy": "no-rm"}


def test_create_text_and_recorded(client: openai.OpenAI) -> None:
    raw = client.responses.with_raw_response.create(
        model="mock/echo", input="hi responses", instructions="be brief"
    )
    response = raw.parse()
    assert response.output_text == "You said: hi responses"
    assert response.status == "completed" and response.usage is not None
    row = wait_recorded(raw.headers["x-luthien-transaction-id"])
    assert (row.endpoint, row.client_format, row.status) == (
        "/v1/responses",
        "responses",
        "completed",
    )


def test_stream_function_call(client: openai.OpenAI) -> None:
    with client.responses.stream(
        model="mock/agent", input="RUN: git status", tools=[SHELL_TOOL]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert "response.function_call_arguments.delta" in kinds and kinds[-1] == "response.completed"
    call = final.output[-1]
    assert call.type == "function_call" and call.name == "exec_command"
    assert json.loads(call.arguments) == {"cmd": "git status"}
    assert final.output_text == "Running `git status` now."


def test_create_streamed_reasoning_with_encrypted_content(client: openai.OpenAI) -> None:
    events = list(
        client.responses.create(
            model="mock/thinking",
            input="think first",
            include=["reasoning.encrypted_content"],
            stream=True,
        )
    )
    assert [e.sequence_number for e in events] == list(range(len(events)))
    final = events[-1].response
    reasoning = final.output[0]
    assert reasoning.type == "reasoning" and reasoning.encrypted_content
    assert "think first" in reasoning.summary[0].text
    assert final.output_text == "You said: think first"


@pytest.mark.parametrize("stream", [False, True])
def test_a_blocked_call_reads_as_text(
    client: openai.OpenAI, blocking: dict[str, str], stream: bool
) -> None:
    kwargs = {"model": "mock/agent", "input": "RUN: rm -rf ~", "tools": [SHELL_TOOL]}
    if stream:
        with client.responses.stream(**kwargs, extra_headers=blocking) as events:
            final = events.get_final_response()
    else:
        final = client.responses.create(**kwargs, extra_headers=blocking)
    assert [item.type for item in final.output] == ["message", "message"]
    assert final.output_text.startswith("Running `rm -rf ~` now.")
    assert 'Luthien blocked a tool call (policy "no-rm")' in final.output_text
    assert "Tool: exec_command" in final.output_text
    assert final.status == "completed"


def test_errors(client: openai.OpenAI, gateway_server: Server) -> None:
    with pytest.raises(openai.RateLimitError):
        client.responses.create(model="mock/error?status=429", input="x")
    with pytest.raises(openai.AuthenticationError):
        oai(gateway_server, "lk-not-a-key").responses.create(
            model="mock/echo", input="x"
        )  # unrecorded
    with pytest.raises(openai.BadRequestError) as bad:
        client.responses.create(model="mock/echo", input=3)  # type: ignore[arg-type]
    assert "input" in str(bad.value)
    with client.responses.stream(model="mock/midstream-error", input="x") as stream:
        errors = [event for event in stream if event.type == "error"]
        with pytest.raises(RuntimeError):
            stream.get_final_response()
    assert len(errors) == 1 and errors[0].message
