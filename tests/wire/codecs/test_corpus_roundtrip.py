"""Same-format traffic round-trips losslessly: decode → encode gives back the same JSON."""

from __future__ import annotations

import copy
from pathlib import Path

import anthropic.types
import openai.types.chat
import pytest

from tests.wire.codecs.helpers import corpus_files, load_json
from wire.codecs.anthropic_messages import ANTHROPIC_CODEC
from wire.codecs.base import Codec
from wire.codecs.openai_chat import OPENAI_CODEC

CODECS: dict[str, Codec] = {"openai": OPENAI_CODEC, "anthropic": ANTHROPIC_CODEC}


def _cases(kind: str) -> list[tuple[str, Path]]:
    return [(fmt, path) for fmt in CODECS for path in corpus_files(fmt, kind, ".json")]


def _ids(cases: list[tuple[str, Path]]) -> list[str]:
    return [f"{fmt}-{path.stem}" for fmt, path in cases]


REQUESTS = _cases("requests")
RESPONSES = _cases("responses")

# Responses with block types the installed SDK does not know yet (future-proofing cases).
SDK_UNKNOWN = {"anthropic-unknown_block_and_fields"}


@pytest.mark.parametrize("fmt", list(CODECS))
def test_corpus_is_big_enough(fmt: str) -> None:
    assert len(corpus_files(fmt, "requests", ".json")) >= 12
    assert len(corpus_files(fmt, "responses", ".json")) >= 8
    assert len(corpus_files(fmt, "streams", ".sse")) >= 6


@pytest.mark.parametrize(("fmt", "path"), REQUESTS, ids=_ids(REQUESTS))
def test_request_round_trip(fmt: str, path: Path) -> None:
    body = load_json(path)
    original = copy.deepcopy(body)
    request = CODECS[fmt].decode_request(body)
    assert request.format == fmt
    assert CODECS[fmt].encode_request(request) == original
    assert body == original, "decode must not mutate the client's body"


@pytest.mark.parametrize(("fmt", "path"), REQUESTS, ids=_ids(REQUESTS))
def test_request_round_trip_is_stable(fmt: str, path: Path) -> None:
    codec = CODECS[fmt]
    once = codec.encode_request(codec.decode_request(load_json(path)))
    assert codec.encode_request(codec.decode_request(once)) == once


@pytest.mark.parametrize(("fmt", "path"), RESPONSES, ids=_ids(RESPONSES))
def test_response_round_trip(fmt: str, path: Path) -> None:
    body = load_json(path)
    original = copy.deepcopy(body)
    events = CODECS[fmt].decode_response(body)
    assert CODECS[fmt].encode_response(events) == original
    assert body == original, "decode must not mutate the upstream's body"


SDK_KNOWN = [case for case in RESPONSES if f"{case[0]}-{case[1].stem}" not in SDK_UNKNOWN]


@pytest.mark.parametrize(("fmt", "path"), SDK_KNOWN, ids=_ids(SDK_KNOWN))
def test_encoded_response_parses_with_sdk(fmt: str, path: Path) -> None:
    body = CODECS[fmt].encode_response(CODECS[fmt].decode_response(load_json(path)))
    if fmt == "openai":
        openai.types.chat.ChatCompletion.model_validate(body)
    else:
        anthropic.types.Message.model_validate(body)
