"""End to end: the official SDKs against a real gateway process and a real mock process."""

from __future__ import annotations

import json
import time

import anthropic
import httpx
import openai
import pytest

from activity.models import Transaction
from tests.e2e.servers import Server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def oai(server: Server, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0)


def ant(server: Server, key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key=key, max_retries=0)


def wait_recorded(transaction_id: str, timeout: float = 10.0) -> Transaction:
    """The gateway process writes in the background: poll until the row is there."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = Transaction.objects.filter(id=transaction_id).select_related("body").first()
        if row is not None:
            return row
        time.sleep(0.05)
    raise AssertionError(f"transaction {transaction_id} was not recorded")


def test_openai_sdk_text(gateway_server: Server, e2e_key: str) -> None:
    raw = oai(gateway_server, e2e_key).chat.completions.with_raw_response.create(
        model="mock/echo", messages=[{"role": "user", "content": "hi sdk"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "You said: hi sdk"
    assert float(raw.headers["x-luthien-overhead-ms"]) >= 0
    row = wait_recorded(raw.headers["x-luthien-transaction-id"])
    assert row.status == "completed" and row.api_key_name == "e2e-client"


def test_openai_sdk_streaming_tool_call(gateway_server: Server, e2e_key: str) -> None:
    stream = oai(gateway_server, e2e_key).chat.completions.create(
        model="mock/text-tool",
        messages=[{"role": "user", "content": "git status"}],
        stream=True,
        stream_options={"include_usage": True},
        tools=[
            {
                "type": "function",
                "function": {
                    "name": "Bash",
                    "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
                },
            }
        ],
    )
    text, args, name, finish, usage = "", "", "", None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            for call in choice.delta.tool_calls or []:
                name += call.function.name or ""
                args += call.function.arguments or ""
            finish = choice.finish_reason or finish
    assert text and name == "Bash" and json.loads(args) == {"command": "git status"}
    assert finish == "tool_calls" and usage is not None and usage.completion_tokens > 0


def test_anthropic_sdk_text_and_stream(gateway_server: Server, e2e_key: str) -> None:
    client = ant(gateway_server, e2e_key)
    message = client.messages.create(
        model="mock/echo", max_tokens=50, messages=[{"role": "user", "content": "yo"}]
    )
    assert message.content[0].text == "You said: yo"
    with client.messages.stream(
        model="mock/text?chunks=30", max_tokens=50, messages=[{"role": "user", "content": "x"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) >= 2 and len("".join(pieces).split()) == 30
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0


def test_anthropic_sdk_tools_and_thinking(gateway_server: Server, e2e_key: str) -> None:
    client = ant(gateway_server, e2e_key)
    with client.messages.stream(
        model="mock/tools", max_tokens=50, messages=[{"role": "user", "content": "make test"}]
    ) as stream:
        final = stream.get_final_message()
    calls = [b for b in final.content if b.type == "tool_use"]
    assert [c.name for c in calls] == ["Bash", "Read"]
    assert calls[0].input == {"command": "make test"}
    assert final.stop_reason == "tool_use"
    with client.messages.stream(
        model="mock/thinking", max_tokens=50, messages=[{"role": "user", "content": "think"}]
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "thinking" and final.content[0].signature


def test_sdk_errors(gateway_server: Server, e2e_key: str) -> None:
    with pytest.raises(anthropic.APIStatusError) as overloaded:
        ant(gateway_server, e2e_key).messages.create(
            model="mock/error?status=529", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    assert overloaded.value.status_code == 529
    with pytest.raises(openai.AuthenticationError):
        oai(gateway_server, "lk-not-a-key").chat.completions.create(
            model="mock/echo", messages=[{"role": "user", "content": "x"}]
        )
    with pytest.raises(openai.BadRequestError) as bad:
        oai(gateway_server, e2e_key).chat.completions.create(model="mock/echo", messages=[])
    assert "messages" in str(bad.value)


def test_client_disconnect_closes_upstream_and_records_cancelled(
    gateway_server: Server, e2e_key: str
) -> None:
    body = {
        "model": "mock/text?chunks=200&delay_ms=20",
        "stream": True,
        "messages": [{"role": "user", "content": "x"}],
    }
    with (
        httpx.Client(timeout=10) as client,
        client.stream(
            "POST",
            gateway_server.url + "/v1/chat/completions",
            json=body,
            headers={"authorization": f"Bearer {e2e_key}"},
        ) as response,
    ):
        transaction_id = response.headers["x-luthien-transaction-id"]
        for _ in response.iter_bytes():
            break  # read one chunk, then hang up
    row = wait_recorded(transaction_id)
    assert row.status == "cancelled"
    received = row.body.response_original["choices"][0]["message"]["content"] or ""
    assert len(received.split()) < 200  # the upstream stream was closed, not read to the end


def test_client_leaving_before_the_answer_cancels_the_call(
    gateway_server: Server, e2e_key: str
) -> None:
    body = {"model": "mock/echo?ttfb_ms=3000", "messages": [{"role": "user", "content": "x"}]}
    since = time.time()
    with pytest.raises(httpx.ReadTimeout), httpx.Client(timeout=0.5) as client:
        client.post(
            gateway_server.url + "/v1/chat/completions",
            json=body,
            headers={"authorization": f"Bearer {e2e_key}"},
        )
    deadline = time.monotonic() + 10
    row = None
    while row is None and time.monotonic() < deadline:
        row = Transaction.objects.filter(model=body["model"]).first()
        time.sleep(0.05)
    assert row is not None and row.started_at.timestamp() >= since - 1
    assert row.status == "cancelled"  # not "completed" three seconds later
