"""Entries: a finished `TransactionRecord` as plain JSON data, the one form the writer stores
and the spill files hold.

An entry has every field of the record except the two response event lists: those are
assembled into complete response bodies with the client format's codec. Every value is made
JSON-safe once, here (unknown objects become strings, NUL characters, which PostgreSQL refuses,
become U+FFFD), so the database and the spill file can never disagree about what a record is.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Callable
from typing import Any

import orjson

from gateway.transaction_record import TransactionRecord
from wire.codecs.base import Codec
from wire.neutral import Event

logger = logging.getLogger("activity.recorder")

ENTRY_VERSION = 1
CodecLookup = Callable[[str], Codec]

_EVENT_FIELDS = {
    "response_events_original": "response_original",
    "response_events_final": "response_final",
}
# The record's fields that go into an entry as they are (all but the event lists).
_ENTRY_FIELDS = tuple(
    spec.name for spec in dataclasses.fields(TransactionRecord) if spec.name not in _EVENT_FIELDS
)
# An escaped NUL (`\u0000`) preceded by an even number of backslashes, i.e. a real escape.
_ESCAPED_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def _parsed(value: bytes) -> Any:
    """Bodies the pipeline kept as raw bytes (so no policy can edit them), parsed; escaped NUL
    characters are replaced first, so the result is JSON-safe as it is."""
    if b"\\u0000" in value:
        value = _ESCAPED_NUL.sub(rb"\1\\ufffd", value)
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        text = value.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        return {"luthien_unparsed_body": text}


def default_codec_lookup(client_format: str) -> Codec:
    """The codec of a wire format (imported lazily: codecs are another app's module)."""
    from wire.codecs import codec_for

    return codec_for(client_format)  # type: ignore[arg-type]


def record_entry(
    record: TransactionRecord, *, codec_lookup: CodecLookup | None = None
) -> dict[str, Any]:
    """The JSON-ready entry of a finished record, response bodies assembled from events."""
    entry: dict[str, Any] = {"v": ENTRY_VERSION}
    for name in _ENTRY_FIELDS:
        entry[name] = _field_jsonable(name, getattr(record, name))
    for events_field, body_field in _EVENT_FIELDS.items():
        if entry[body_field] is None:
            body = response_body(
                None,
                getattr(record, events_field),
                record.client_format,
                codec_lookup or default_codec_lookup,
            )
            entry[body_field] = _field_jsonable(body_field, body)
    return entry


def response_body(
    body: dict[str, Any] | None,
    events: list[Event] | None,
    client_format: str,
    codec_lookup: CodecLookup,
) -> Any:
    """The body if set, else the events encoded as a complete response in the client format.

    Events that cannot be encoded are kept raw, under `luthien_unassembled_events`."""
    if body is not None or events is None:
        return body
    try:
        return codec_lookup(client_format).encode_response(events)
    except Exception as exc:
        logger.warning("could not assemble a %s response body: %r", client_format, exc)
        return {
            "luthien_assembly_error": repr(exc),
            "luthien_unassembled_events": [event_dict(event) for event in events],
        }


def event_dict(event: Event) -> dict[str, Any]:
    """A neutral event as plain data, with its `type` discriminator."""
    data = {spec.name: getattr(event, spec.name) for spec in dataclasses.fields(event)}
    return {"type": event.type, **data}


def jsonable(value: Any) -> Any:
    """A JSON-safe deep copy: unknown objects as strings, NUL characters replaced."""
    data = orjson.dumps(value, default=_fallback, option=orjson.OPT_NON_STR_KEYS)
    if b"\\u0000" in data:
        data = _ESCAPED_NUL.sub(rb"\1\\ufffd", data)
    return orjson.loads(data)


def _field_jsonable(name: str, value: Any) -> Any:
    """JSON-safe form of one field; scalars cheaply, raw bodies parsed, the rest round-tripped."""
    kind = type(value)
    if kind is str:
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if value is None or kind is bool:
        return value
    if kind is int:
        if -(2**63) <= value < 2**63:
            return value
    elif kind is float:
        return value if math.isfinite(value) else None
    elif kind is bytes:
        return _parsed(value)
    try:
        return jsonable(value)
    except (TypeError, orjson.JSONEncodeError) as exc:  # e.g. an integer beyond 64 bits
        logger.warning("field %s of a transaction is not serializable: %r", name, exc)
        return {"luthien_unserializable": repr(exc)}


def _fallback(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
