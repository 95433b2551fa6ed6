"""Small helpers shared by the wire-format codecs (no format knowledge here).

`MISSING` marks an absent JSON key; `rest` splits the fields a codec lifts into typed attributes
from those it keeps in `extra`; `shape_of`/`value_of_shape` record and restore whether a value was
absent, null or present, so that encode reproduces the exact JSON it was given.
"""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

from wire.errors import InvalidRequest
from wire.neutral import Request, StreamError


class _Missing:
    """Sentinel type for "the key was not there"."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

# Shape hints recorded when a value was not a plain list/object.
ABSENT = "absent"
NULL = "null"
RAW = "raw"
"""`Message.hints[RAW]`: a message whose shape the gateway does not understand, kept whole and
sent back exactly as received (policies see no content in it)."""

_ERROR_STATUS: Final[dict[str, int]] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def rest(obj: dict[str, Any], lifted: tuple[str, ...] | frozenset[str]) -> dict[str, Any]:
    """The fields of `obj` that are not in `lifted`, in their original order."""
    return {k: v for k, v in obj.items() if k not in lifted}


def lifted_fields(names: tuple[str, ...], liftable: dict[str, bool]) -> tuple[str, ...]:
    """The top-level fields a codec lifts into typed attributes: `names` minus those whose value
    it does not understand (`liftable[name]` False), which stay in `params` untouched."""
    return tuple(name for name in names if liftable.get(name, True))


def require_model(body: dict[str, Any]) -> str:
    """The `model` field, which the gateway needs for routing (400 when absent or not text)."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' is required and must be a non-empty string.", param="model")
    return model


def fill(out: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Add the `extra` fields `out` does not already have (typed values win); returns `out`."""
    for key, value in extra.items():
        if key not in out:
            out[key] = value
    return out


def compact_json(value: Any) -> str:
    """JSON text without spaces, as a model would write tool arguments."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # e.g. an integer wider than 64 bits
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads_or_missing(text: str) -> Any:
    """Parse JSON text; `MISSING` when it is empty or not JSON."""
    if not text.strip():
        return MISSING
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return MISSING


def as_int(value: Any) -> int | None:
    """`value` when it is a real integer (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def stream_error(error: Any, *, default_type: str) -> StreamError:
    """A `StreamError` from a provider's `error` object (tolerates odd shapes)."""
    if not isinstance(error, dict):
        return StreamError(500, default_type, str(error) if error else "upstream stream error")
    err_type = error.get("type")
    err_type = err_type if isinstance(err_type, str) and err_type else default_type
    message = error.get("message")
    message = message if isinstance(message, str) and message else "upstream stream error"
    status = as_int(error.get("status")) or _ERROR_STATUS.get(err_type, 500)
    return StreamError(status, err_type, message)


def unreadable_chunk(data: str) -> StreamError:
    """The error reported when the upstream sends a data line that is not JSON."""
    preview = data[:80] + ("…" if len(data) > 80 else "")
    return StreamError(502, "api_error", f"upstream sent an unreadable stream event: {preview!r}")


def decode_stream_flag(value: Any, hints: dict[str, Any]) -> bool:
    """`stream` → bool, remembering in `hints` whether it was absent or null."""
    if value is MISSING:
        hints["stream"] = ABSENT
        return False
    if value is None:
        hints["stream"] = NULL
        return False
    if not isinstance(value, bool):
        raise InvalidRequest(
            f"'stream' must be true or false (the gateway needs it to answer); got {value!r}.",
            param="stream",
        )
    return value


def encode_stream_flag(request: Request, body: dict[str, Any]) -> None:
    """Write `stream` into `body` the way the client sent it (absent / null / bool)."""
    if request.stream:
        body["stream"] = True
        return
    hint = request.hints.get("stream")
    if hint != ABSENT:
        body["stream"] = None if hint == NULL else False
