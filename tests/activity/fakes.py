"""Test doubles for the recorder: a tiny codec and controllable write functions."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from django.db import OperationalError

from activity.recorder.database import database_write
from activity.services import BatchResult
from wire.neutral import Event, MessageEnd, MessageStart, TextDelta


class FakeCodec:
    """Encodes a response as {"id", "text", "stop"}: enough to see the events were assembled."""

    format = "openai"

    def encode_response(self, events: list[Event]) -> dict[str, Any]:
        start = next(e for e in events if isinstance(e, MessageStart))
        end = next(e for e in events if isinstance(e, MessageEnd))
        text = "".join(e.text for e in events if isinstance(e, TextDelta))
        return {"id": start.id, "text": text, "stop": end.stop_reason}


def fake_codec_lookup(client_format: str) -> Any:
    """The codec lookup to inject into `record_entry` and `Recorder`."""
    return FakeCodec()


class SwitchableWrite:
    """The real database write, failing with OperationalError while `down` is set; records the
    size of every batch it was asked to write; can be held at a gate."""

    def __init__(self) -> None:
        self.down = threading.Event()
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.batches: list[int] = []
        self.calls = 0

    def __call__(self, entries: Sequence[dict[str, Any]]) -> BatchResult:
        self.calls += 1
        self.entered.set()
        self.gate.wait(10)
        if self.down.is_set():
            raise OperationalError("connection refused (simulated outage)")
        self.batches.append(len(entries))
        return database_write(list(entries))
