"""End to end: count_tokens, the model list and the /v1 404/405 answers over real HTTP, through
a real gateway process (uvicorn) and a real mock process, with the official SDKs."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest

from tests.e2e.servers import Server
from tests.e2e.test_gateway_sdks import ant, oai, wait_recorded

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_anthropic_sdk_count_tokens(gateway_server: Server, e2e_key: str) -> None:
    raw = ant(gateway_server, e2e_key).messages.with_raw_response.count_tokens(
        model="mock/echo",
        system="be brief",
        messages=[{"role": "user", "content": "how many tokens is this"}],
    )
    assert raw.parse().input_tokens == 7  # 2 system words + 5 user words
    row = wait_recorded(raw.headers["x-luthien-transaction-id"])
    assert (row.endpoint, row.status, row.policy_name) == (
        "/v1/messages/count_tokens",
        "completed",
        "",
    )
    assert row.body.request_final["model"] == "echo"


def test_anthropic_sdk_count_tokens_for_an_openai_model_is_a_400(
    gateway_server: Server, e2e_key: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as raised:
        ant(gateway_server, e2e_key).messages.count_tokens(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
    assert "count_tokens is not available" in raised.value.message


def test_anthropic_sdk_models(gateway_server: Server, e2e_key: str) -> None:
    client = ant(gateway_server, e2e_key)
    ids = [model.id for model in client.models.list()]  # follows has_more across pages
    assert "mock/echo" in ids and "anthropic/*" in ids and len(ids) == len(set(ids))
    assert [m.id for m in client.models.list(limit=2)] == ids  # auto-pagination, 2 at a time
    model = client.models.retrieve("mock/echo")
    assert (model.id, model.type) == ("mock/echo", "model")
    with pytest.raises(anthropic.NotFoundError):
        client.models.retrieve("claude-not-listed")


def test_openai_sdk_models(gateway_server: Server, e2e_key: str) -> None:
    client = oai(gateway_server, e2e_key)
    ids = [model.id for model in client.models.list()]
    assert "mock/echo" in ids and "openai/*" in ids
    assert client.models.retrieve("mock/tool").owned_by == "luthien-mock"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-not-listed")
    with pytest.raises(openai.AuthenticationError):
        oai(gateway_server, "lk-wrong").models.list()


def test_wrong_methods_and_unknown_paths_over_http(gateway_server: Server) -> None:
    with httpx.Client(base_url=gateway_server.url) as http:
        got = http.get("/v1/messages")
        assert (got.status_code, got.headers["allow"]) == (405, "POST")
        assert got.json()["error"]["type"] == "invalid_request_error"  # Anthropic shape
        head = http.head("/v1/chat/completions")
        assert (head.status_code, head.headers["allow"], head.content) == (405, "POST", b"")
        missing = http.post("/v1/embeddings", json={"model": "mock/echo", "input": "x"})
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/json"
        assert missing.json()["error"]["code"] == "unknown_url"
        anthropic_missing = http.get("/v1/files", headers={"anthropic-version": "2023-06-01"})
        assert anthropic_missing.json()["error"]["type"] == "not_found_error"
