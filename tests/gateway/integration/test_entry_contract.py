"""The contract between the two entry paths to `/v1/`: the production ASGI lane and the ninja
API (Django) adapt the same `ProxyResponse`, so a client sees the same status, headers and
body through either (the transaction id and overhead aside, which differ per call)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.gateway.integration.conftest import Reply, V1Client

PER_CALL = {
    "x-luthien-transaction-id",
    "x-luthien-overhead-ms",
    "content-length",
    "x-request-id",  # the mock upstream's own id, new on each call
    "request-id",
}
# Added by Django's security middleware to every Django response (the lane has none).
DJANGO_ONLY = {
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "cross-origin-opener-policy",
}
IDS = re.compile(rb"\"id\":\"[^\"]+\"|\"created\":\d+")  # the mock makes new ones per call


def openai(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def anthropic(key: str) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": "2023-06-01"}


def chat(stream: bool) -> dict[str, Any]:
    return {"model": "mock/echo", "stream": stream, "messages": [{"role": "user", "content": "hi"}]}


def message(stream: bool) -> dict[str, Any]:
    return {**chat(stream), "max_tokens": 20}


CASES: list[tuple[str, str, str, Any, str]] = [
    ("json", "POST", "/v1/chat/completions", chat(False), "openai"),
    ("stream", "POST", "/v1/chat/completions", chat(True), "openai"),
    ("anthropic-json", "POST", "/v1/messages", message(False), "anthropic"),
    ("anthropic-stream", "POST", "/v1/messages", message(True), "anthropic"),
    ("count-tokens", "POST", "/v1/messages/count_tokens", message(False), "anthropic"),
    ("bad-json", "POST", "/v1/chat/completions", b"{not json", "openai"),
    ("no-key", "POST", "/v1/messages", message(False), "none"),
    ("unknown-path", "POST", "/v1/nothing/here", chat(False), "openai"),
    ("wrong-method", "GET", "/v1/chat/completions", None, "openai"),
    ("head-models", "HEAD", "/v1/models", None, "openai"),
    ("models", "GET", "/v1/models", None, "anthropic"),
]


def comparable(reply: Reply) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in reply.headers.items() if k not in PER_CALL | DJANGO_ONLY}
    return reply.status, headers, IDS.sub(b"<id>", reply.body)


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "auth"), CASES, ids=[c[0] for c in CASES]
)
async def test_both_entry_paths_answer_alike(
    api_key: str, name: str, method: str, path: str, body: Any, auth: str
) -> None:
    headers = {"openai": openai, "anthropic": anthropic}.get(auth, lambda _: {})(api_key)
    lane, django = V1Client("lane"), V1Client("django")
    try:
        through_lane = await lane.call(method, path, body=body, headers=headers)
        through_django = await django.call(method, path, body=body, headers=headers)
    finally:
        await lane.aclose()
        await django.aclose()
    assert comparable(through_lane) == comparable(through_django)
    assert through_lane.status in (200, 400, 401, 404, 405), name  # each case is answered
