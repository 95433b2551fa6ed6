"""The mock upstream's request handler, and a raw ASGI app serving it over HTTP.

`handle` answers one request; `asgi_app` and `wire.mock.transport` put it on a socket or
in-process behind httpx. Routes (the `/v1` prefix is optional, any prefix is accepted):

    POST /v1/chat/completions        OpenAI Chat Completions, streaming or not
    POST /v1/messages                Anthropic Messages, streaming or not
    POST /v1/messages/count_tokens   Anthropic token count (`{"input_tokens": n}`, as usage)
    POST /v1/responses               OpenAI Responses, streaming or not
    GET  /v1/models                  the mock models (Anthropic shape if `anthropic-version` sent)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from wire.mock import anthropic_wire, openai_wire, responses_wire
from wire.mock.errors import MockAbort, MockError
from wire.mock.pacing import paced, truncated
from wire.mock.prompt import Prompt, load_body, load_responses_body, prompt_from_anthropic
from wire.mock.scripts import Script, build_script
from wire.mock.spec import BEHAVIOURS, PREFIX, parse_model


class Wire(Protocol):
    """What a wire-format module provides (`openai_wire`, `anthropic_wire`, `responses_wire`)."""

    def parse_request(self, payload: dict[str, Any]) -> Prompt: ...
    def request_id(self) -> str: ...
    def headers(self, rid: str, *, stream: bool) -> list[tuple[str, str]]: ...
    def error_body(
        self, status: int, message: str = "", code: str | None = None, rid: str = ""
    ) -> bytes: ...
    def render_body(self, script: Script, prompt: Prompt) -> bytes: ...
    def stream_events(self, script: Script, prompt: Prompt) -> list[bytes]: ...


@dataclass(slots=True)
class MockResponse:
    """A status, headers, and either a whole `body` or an async byte `stream`.

    A stream may raise `MockAbort`: the server must then drop the connection without ending
    the response.
    """

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None


async def handle(method: str, path: str, headers: Mapping[str, str], body: bytes) -> MockResponse:
    """Answer one request to the mock upstream."""
    route = path.partition("?")[0].rstrip("/")
    lowered = {key.lower(): value for key, value in headers.items()}
    if method == "GET" and route.endswith("/models"):
        return _json(200, _models("anthropic-version" in lowered), [])
    if method == "POST" and route.endswith("/messages/count_tokens"):
        return _count_tokens(body)
    if method == "POST" and route.endswith("/chat/completions"):
        return await _complete(openai_wire, body)
    if method == "POST" and route.endswith("/messages"):
        return await _complete(anthropic_wire, body)
    if method == "POST" and route.endswith("/responses"):
        return await _complete(responses_wire, body, load_responses_body)
    wire: Wire = anthropic_wire if "anthropic-version" in lowered else openai_wire
    return _error(wire, wire.request_id(), 404, f"no route for {method} {route or '/'}")


async def _complete(
    wire: Wire, body: bytes, load: Callable[[bytes], dict[str, Any]] = load_body
) -> MockResponse:
    rid = wire.request_id()
    try:
        prompt = wire.parse_request(load(body))
        spec = parse_model(prompt.model)
    except MockError as exc:
        return _error(wire, rid, exc.status, exc.message, exc.code)
    if spec.ttfb_ms:
        await asyncio.sleep(spec.ttfb_ms / 1000)
    if spec.behaviour == "error" or (spec.behaviour == "midstream-error" and not prompt.stream):
        return _error(wire, rid, spec.status or 500, spec.message or "")
    script = build_script(spec, prompt)
    if prompt.stream:
        events = wire.stream_events(script, prompt)
        stream = paced(events, delay_ms=spec.delay_ms, abort_after=spec.abort_after)
        return MockResponse(200, wire.headers(rid, stream=True), stream=stream)
    if spec.delay_ms:
        await asyncio.sleep(spec.delay_ms * script.piece_count / 1000)
    payload = wire.render_body(script, prompt)
    response = _body(200, wire.headers(rid, stream=False), payload)
    if spec.abort_after is not None:
        response.stream, response.body = truncated(payload), b""
    return response


def _body(status: int, headers: list[tuple[str, str]], body: bytes) -> MockResponse:
    return MockResponse(status, [*headers, ("content-length", str(len(body)))], body=body)


def _json(status: int, payload: Any, headers: list[tuple[str, str]]) -> MockResponse:
    return _body(status, [("content-type", "application/json"), *headers], orjson.dumps(payload))


def _error(
    wire: Wire, rid: str, status: int, message: str, code: str | None = None
) -> MockResponse:
    body = wire.error_body(status, message, code, rid)
    return _body(status, wire.headers(rid, stream=False), body)


def _models(anthropic: bool) -> dict[str, Any]:
    ids = [f"{PREFIX}{name}" for name in BEHAVIOURS]
    data: list[dict[str, Any]]
    if anthropic:
        data = [
            {"type": "model", "id": i, "display_name": i, "created_at": "2025-01-01T00:00:00Z"}
            for i in ids
        ]
        return {"data": data, "has_more": False, "first_id": ids[0], "last_id": ids[-1]}
    created = int(time.time())
    data = [{"id": i, "object": "model", "created": created, "owned_by": "luthien"} for i in ids]
    return {"object": "list", "data": data}


def _count_tokens(body: bytes) -> MockResponse:
    """`{"input_tokens": n}`: the count a `/v1/messages` call with this body reports as
    `usage.input_tokens` (words of the system prompt and the conversation, or `usage_in`).
    The model name is honoured as for messages: unknown behaviour 404, `error` its status."""
    rid = anthropic_wire.request_id()
    try:
        prompt = prompt_from_anthropic(load_body(body))
        spec = parse_model(prompt.model)
    except MockError as exc:
        return _error(anthropic_wire, rid, exc.status, exc.message, exc.code)
    if spec.behaviour == "error":
        return _error(anthropic_wire, rid, spec.status or 500, spec.message or "")
    tokens = spec.usage_in if spec.usage_in is not None else prompt.input_words
    return _json(200, {"input_tokens": tokens}, [("request-id", rid)])


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """ASGI3 entry point: serve `handle` (and answer lifespan events)."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "http":
        return
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    response = await handle(scope["method"], scope["path"], headers, bytes(body))
    await send(
        {
            "type": "http.response.start",
            "status": response.status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers],
        }
    )
    if response.stream is None:
        await send({"type": "http.response.body", "body": response.body})
        return
    await _send_stream(response.stream, receive, send)


async def _send_stream(stream: AsyncIterator[bytes], receive: Any, send: Any) -> None:
    """Send each chunk; stop early if the client leaves; on `MockAbort` return unfinished."""

    async def wait_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(wait_disconnect())
    try:
        async for chunk in stream:
            if watcher.done():
                return
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    except MockAbort:
        return  # the server sees an unfinished response and closes the connection
    finally:
        watcher.cancel()
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
