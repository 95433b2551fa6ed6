"""GET /v1/models and /v1/models/{id}: the OpenAI shape by default, the Anthropic shape for
Anthropic clients, a gateway key required, through both entry paths."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from activity.models import Transaction
from activity.recorder import recorder
from tests.gateway.integration.conftest import V1Client
from tests.gateway.integration.test_v1_routes import anthropic_error, openai_error


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def anthropic_headers(key: str) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": "2023-06-01"}


async def test_openai_list_by_default(v1: V1Client, api_key: str) -> None:
    reply = await v1.call("GET", "/v1/models", headers=bearer(api_key))
    assert reply.status == 200
    body = reply.json()
    assert body["object"] == "list" and set(body) == {"object", "data"}
    by_id = {model["id"]: model for model in body["data"]}
    assert {"mock/echo", "mock/tool", "openai/*", "anthropic/*"} <= set(by_id)
    assert by_id["mock/echo"] == {
        "id": "mock/echo",
        "object": "model",
        "created": 0,
        "owned_by": "luthien-mock",
    }
    await sync_to_async(recorder().flush)(10)
    assert await Transaction.objects.acount() == 0  # listing is not a model call


@pytest.mark.parametrize("style", ["x-api-key", "bearer+anthropic-version"])
async def test_anthropic_shape_for_anthropic_clients(
    v1: V1Client, api_key: str, style: str
) -> None:
    headers = (
        {"x-api-key": api_key}
        if style == "x-api-key"
        else {**bearer(api_key), "anthropic-version": "2023-06-01"}
    )
    reply = await v1.call("GET", "/v1/models", headers=headers)
    assert reply.status == 200
    body = reply.json()
    assert set(body) == {"data", "has_more", "first_id", "last_id"}
    ids = [model["id"] for model in body["data"]]
    assert "mock/echo" in ids and "anthropic/*" in ids
    assert (body["first_id"], body["last_id"], body["has_more"]) == (ids[0], ids[-1], False)
    echo = body["data"][ids.index("mock/echo")]
    assert set(echo) == {"type", "id", "display_name", "created_at"}
    assert echo["type"] == "model" and "echo" in echo["display_name"]
    assert datetime.fromisoformat(echo["created_at"].replace("Z", "+00:00")).year == 1970


async def test_anthropic_pages_with_limit_after_and_before(v1: V1Client, api_key: str) -> None:
    headers = anthropic_headers(api_key)
    everything = (await v1.call("GET", "/v1/models", headers=headers)).json()
    all_ids = [model["id"] for model in everything["data"]]
    first = (await v1.call("GET", "/v1/models?limit=2", headers=headers)).json()
    assert [m["id"] for m in first["data"]] == all_ids[:2] and first["has_more"] is True
    after = f"/v1/models?limit=3&after_id={first['last_id']}"
    second = (await v1.call("GET", after, headers=headers)).json()
    assert [m["id"] for m in second["data"]] == all_ids[2:5]
    assert second["first_id"] == all_ids[2]
    before = f"/v1/models?limit=2&before_id={all_ids[-1]}"
    tail = (await v1.call("GET", before, headers=headers)).json()
    assert [m["id"] for m in tail["data"]] == all_ids[-3:-1] and tail["has_more"] is True
    last = f"/v1/models?after_id={all_ids[-2]}"
    end = (await v1.call("GET", last, headers=headers)).json()
    assert [m["id"] for m in end["data"]] == all_ids[-1:] and end["has_more"] is False


@pytest.mark.parametrize(
    ("query", "named"),
    [("limit=0", "limit"), ("limit=abc", "limit"), ("after_id=nope", "after_id")],
)
async def test_bad_page_parameters_are_400(
    v1: V1Client, api_key: str, query: str, named: str
) -> None:
    reply = await v1.call("GET", f"/v1/models?{query}", headers=anthropic_headers(api_key))
    assert reply.status == 400
    error = anthropic_error(reply)
    assert error["type"] == "invalid_request_error" and named in error["message"]


@pytest.mark.parametrize(
    ("path", "model_id"),
    [
        ("/v1/models/mock/echo", "mock/echo"),
        ("/v1/models/mock%2Fecho", "mock/echo"),  # what the SDKs send
        ("/v1/models/mock%2Ftext%3Fchunks%3D3", "mock/text?chunks=3"),
        ("/v1/models/anthropic/*", "anthropic/*"),
    ],
)
async def test_one_model_in_both_shapes(
    v1: V1Client, api_key: str, path: str, model_id: str
) -> None:
    reply = await v1.call("GET", path, headers=bearer(api_key))
    assert reply.status == 200
    assert reply.json()["id"] == model_id and reply.json()["object"] == "model"
    reply = await v1.call("GET", path, headers=anthropic_headers(api_key))
    assert reply.status == 200
    body = reply.json()
    assert (body["type"], body["id"]) == ("model", model_id) and body["display_name"]


@pytest.mark.parametrize(
    "model_id", ["claude-nope-1", "mock/no-such-behaviour", "mock%2Fecho%3Fx%3D1"]
)
async def test_unknown_model_is_404_in_the_clients_format(
    v1: V1Client, api_key: str, model_id: str
) -> None:
    reply = await v1.call("GET", f"/v1/models/{model_id}", headers=bearer(api_key))
    assert reply.status == 404
    error = openai_error(reply)
    assert (error["code"], error["param"]) == ("model_not_found", "model")
    assert "is not listed by this gateway" in error["message"]
    reply = await v1.call("GET", f"/v1/models/{model_id}", headers=anthropic_headers(api_key))
    assert reply.status == 404
    assert anthropic_error(reply)["type"] == "not_found_error"


@pytest.mark.parametrize("path", ["/v1/models", "/v1/models/mock/echo"])
async def test_a_gateway_key_is_required(v1: V1Client, path: str) -> None:
    reply = await v1.call("GET", path)
    assert reply.status == 401
    assert openai_error(reply)["code"] == "invalid_api_key"
    reply = await v1.call("GET", path, headers=anthropic_headers("lk-wrong"))
    assert reply.status == 401
    assert anthropic_error(reply)["type"] == "authentication_error"


async def test_listing_counts_against_the_rate_limit(
    v1: V1Client, api_key: str, settings: Any
) -> None:
    settings.LUTHIEN_RATE_LIMIT_PER_MINUTE = 1
    settings.LUTHIEN_RATE_LIMIT_BURST = 1
    assert (await v1.call("GET", "/v1/models", headers=bearer(api_key))).status == 200
    reply = await v1.call("GET", "/v1/models", headers=bearer(api_key))
    assert reply.status == 429 and reply.headers["retry-after"]
    assert openai_error(reply)["type"] == "rate_limit_error"
