"""The incremental SSE decoder: any split of the bytes gives the same events."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from wire.sse import SSEDecoder, SSEEvent


@pytest.fixture(autouse=True)
def _fresh_singletons() -> Iterator[None]:
    """The SSE decoder is pure: skip the project-wide reset (it needs Django)."""
    yield


STREAM = (
    b": connected\n\n"
    b"event: message_start\n"
    b'data: {"type":"message_start"}\n\n'
    b": keep-alive\n"
    b"data: first line\n"
    b"data: second line\n"
    b"\n"
    b"id: 7\n"
    b"retry: 1000\n"
    b"data:no-space\n\n"
    b"data\n\n"
    b"event: ping\n\n"
    b'data: {"text":"caf\xc3\xa9 \xe2\x98\x95"}\n\n'
    b"data: [DONE]\n\n"
)
EXPECTED = [
    SSEEvent("message_start", '{"type":"message_start"}'),
    SSEEvent(None, "first line\nsecond line"),
    SSEEvent(None, "no-space"),
    SSEEvent(None, ""),
    SSEEvent("ping", ""),
    SSEEvent(None, '{"text":"café ☕"}'),
    SSEEvent(None, "[DONE]"),
]


def _feed(pieces: list[bytes]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for piece in pieces:
        events += decoder.feed(piece)
    return events + decoder.flush()


def _random_pieces(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    pieces, i = [], 0
    while i < len(data):
        step = rng.randint(1, 9)
        pieces.append(data[i : i + step])
        i += step
    return pieces


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_whole_stream(ending: bytes) -> None:
    assert _feed([STREAM.replace(b"\n", ending)]) == EXPECTED


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_byte_by_byte(ending: bytes) -> None:
    data = STREAM.replace(b"\n", ending)
    assert _feed([data[i : i + 1] for i in range(len(data))]) == EXPECTED


@pytest.mark.parametrize("seed", range(20))
def test_random_splits_with_crlf(seed: int) -> None:
    assert _feed(_random_pieces(STREAM.replace(b"\n", b"\r\n"), seed)) == EXPECTED


def test_split_inside_crlf_is_one_line_end() -> None:
    assert _feed([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]) == [SSEEvent(None, "a\nb")]


def test_split_inside_a_utf8_character() -> None:
    data = "data: café\n\n".encode()
    cut = data.index(b"\xa9")  # between the two bytes of "é"
    assert _feed([data[:cut], data[cut:]]) == [SSEEvent(None, "café")]


def test_events_come_out_as_soon_as_they_are_complete() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: one\n") == []
    assert decoder.feed(b"\ndata: tw") == [SSEEvent(None, "one")]
    assert decoder.feed(b"o\n\n") == [SSEEvent(None, "two")]


def test_comments_only_give_nothing() -> None:
    assert _feed([b": keep-alive\n\n: still here\n\n"]) == []


@pytest.mark.parametrize(
    "tail",
    [b"data: last", b"data: last\n", b"data: last\r\n", b"event: end\ndata: last"],
    ids=["no-newline", "lf", "crlf", "named"],
)
def test_flush_returns_an_unterminated_event(tail: bytes) -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: first\n\n" + tail) == [SSEEvent(None, "first")]
    name = "end" if tail.startswith(b"event") else None
    assert decoder.flush() == [SSEEvent(name, "last")]
    assert decoder.flush() == []


def test_empty_chunk_between_cr_and_lf() -> None:
    assert _feed([b"data: a\r", b"", b"\ndata: b\r\n\r\n"]) == [SSEEvent(None, "a\nb")]
