"""Helpers of the captured-traffic corpus test: load fixtures, send one through the gateway
in-process, see what the upstream (the in-process mock) received, and describe differences.

Fixtures live in `tests/fixtures/clients/<client>/<case>-<n>.json` (written by the real-client
suite with `LUTHIEN_CAPTURE_CLIENTS=1`): method, path, query, headers and the parsed body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tests.lane import LaneClient

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "clients"
# Headers the gateway does not pass on by design: the client's gateway key, the transport's own,
# and user-agent (replaced by the gateway's own, see docs/decisions.md).
NOT_FORWARDED = frozenset(
    {
        "x-api-key",
        "authorization",
        "host",
        "content-length",
        "connection",
        "accept-encoding",
        "user-agent",
    }
)


@dataclass(frozen=True, slots=True)
class Seen:
    """One request the mock upstream received."""

    path: str
    query: str
    headers: dict[str, str]
    body: dict[str, Any]


def fixture_paths() -> list[Path]:
    """Every committed fixture, sorted."""
    return sorted(FIXTURES.glob("*/*.json"))


def fixture_id(path: Path) -> str:
    """`client/case-n`."""
    return f"{path.parent.name}/{path.stem}"


def load_fixture(path: Path) -> dict[str, Any]:
    """A fixture document."""
    return dict(json.loads(path.read_text()))


def with_stream(body: dict[str, Any], stream: bool) -> dict[str, Any]:
    """The body as the client would send it in the other stream mode: `stream` set in place
    (same key order) and, without streaming, no `stream_options` (only valid with a stream)."""
    changed = {k: v for k, v in body.items() if stream or k != "stream_options"}
    changed["stream"] = stream
    return changed


def encode(body: dict[str, Any]) -> bytes:
    """JSON as the JS clients write it: compact, non-ASCII kept as UTF-8."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


async def send(document: dict[str, Any], body: dict[str, Any]) -> tuple[int, bytes]:
    """POST the fixture's request with `body` through the gateway; returns status and bytes."""
    headers = {
        name: value
        for name, value in document["headers"]
        if name.lower() not in {"content-type", "content-length"}
    }
    query = f"?{document['query']}" if document["query"] else ""
    response = await LaneClient().post(
        document["path"] + query,
        data=encode(body),
        content_type="application/json",
        headers=headers,
    )
    if response.streaming:
        return response.status_code, b"".join([c async for c in response.streaming_content])
    return response.status_code, response.content


def seen_from(request_path: str, query: str, headers: Mapping[str, str], body: bytes) -> Seen:
    """A `Seen` from what the mock upstream was sent."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return Seen(request_path, query, lowered, orjson.loads(body))


def without_model(body: dict[str, Any]) -> dict[str, Any]:
    """The body minus `model` (routing may rename it)."""
    return {key: value for key, value in body.items() if key != "model"}


def first_difference(
    sent: Any, got: Any, path: tuple[Any, ...] = (), *, ordered: bool = False
) -> str | None:
    """Where two JSON values first differ, as a readable line; or None. With `ordered`, the
    order of object keys counts too."""
    if isinstance(sent, dict) and isinstance(got, dict):
        if (list(sent) != list(got)) if ordered else (set(sent) != set(got)):
            missing, extra = set(sent) - set(got), set(got) - set(sent)
            detail = f"missing {sorted(missing)}, added {sorted(extra)}"
            return f"{_where(path)}: keys differ ({detail}; order {list(sent)} -> {list(got)})"
        for key in sent:
            found = first_difference(sent[key], got[key], (*path, key), ordered=ordered)
            if found:
                return found
        return None
    if isinstance(sent, list) and isinstance(got, list):
        if len(sent) != len(got):
            return f"{_where(path)}: {len(sent)} items sent, {len(got)} received"
        for index, (left, right) in enumerate(zip(sent, got, strict=True)):
            found = first_difference(left, right, (*path, index), ordered=ordered)
            if found:
                return found
        return None
    if sent != got or type(sent) is not type(got):
        return f"{_where(path)}: sent {_short(sent)}, received {_short(got)}"
    return None


def changed_leaves(sent: Any, got: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of string leaves that differ when both trees have the same shape otherwise;
    raises AssertionError naming the first structural difference."""
    if isinstance(sent, str) and isinstance(got, str):
        return [path] if sent != got else []
    if isinstance(sent, dict) and isinstance(got, dict) and set(sent) == set(got):
        return [p for k in sent for p in changed_leaves(sent[k], got[k], (*path, k))]
    if isinstance(sent, list) and isinstance(got, list) and len(sent) == len(got):
        pairs = zip(sent, got, strict=True)
        return [p for i, (a, b) in enumerate(pairs) for p in changed_leaves(a, b, (*path, i))]
    difference = first_difference(sent, got, path)
    if difference:
        raise AssertionError(f"structure changed: {difference}")
    return []


def leaf(value: Any, path: tuple[Any, ...]) -> Any:
    """The value at `path`."""
    for step in path:
        value = value[step]
    return value


def _where(path: tuple[Any, ...]) -> str:
    return "body" + "".join(f"[{step!r}]" for step in path)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:160] + "…"
