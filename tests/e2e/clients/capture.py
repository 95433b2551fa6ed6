"""A recording reverse proxy for the real-client tests: what a CLI sends, byte for byte.

Runs as its own process (`python -m tests.e2e.clients.capture --target URL --out FILE`): every
request is appended to `FILE` as one JSON line (method, path, query, headers, body as text)
before it is forwarded to `--target` (the gateway); the answer streams back unchanged. The
line is written and flushed before the request is forwarded, so once the client process has
exited every request it made is in the file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)


def record_line(
    method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes
) -> str:
    """One captured request as a JSON line (the body is kept as text; clients send JSON)."""
    entry = {
        "method": method,
        "path": path,
        "query": query,
        "headers": [[name, value] for name, value in headers],
        "body": body.decode("utf-8", errors="replace"),
    }
    return json.dumps(entry, ensure_ascii=False) + "\n"


def read_captures(path: Path) -> list[dict[str, Any]]:
    """The requests a capture file holds, in arrival order (an absent file holds none)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class CaptureProxy:
    """ASGI app: record each request to `out`, forward it to `target`, stream the answer."""

    def __init__(self, target: str, out: Path) -> None:
        self.target = target.rstrip("/")
        self.out = out
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(300.0), follow_redirects=False)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        query = scope.get("query_string", b"").decode("latin-1")
        with self.out.open("a", encoding="utf-8") as handle:
            handle.write(record_line(scope["method"], scope["path"], query, headers, body))
            handle.flush()
        url = self.target + scope["path"] + (f"?{query}" if query else "")
        forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        request = self.client.build_request(scope["method"], url, headers=forwarded, content=body)
        response = await self.client.send(request, stream=True)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k.encode("latin-1"), v.encode("latin-1"))
                        for k, v in response.headers.items()
                        if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"
                    ],
                }
            )
            async for chunk in _chunks(response):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Any) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if message["type"] != "http.request" or not message.get("more_body"):
            return bytes(body)


async def _chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    async for chunk in response.aiter_raw():
        if chunk:
            yield chunk


def main(argv: list[str] | None = None) -> None:
    """Serve the proxy until terminated."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m tests.e2e.clients.capture")
    parser.add_argument("--target", required=True, help="base URL to forward to")
    parser.add_argument("--out", required=True, type=Path, help="JSON-lines file to append to")
    parser.add_argument("--port", required=True, type=int)
    args = parser.parse_args(argv)
    app = CaptureProxy(args.target, args.out)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    sys.exit(main())
