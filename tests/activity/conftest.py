"""Fixtures for the transaction log: records, recorders with fast timings, a private spill dir."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from activity.recorder import Recorder
from gateway.transaction_record import TransactionRecord, new_transaction_id

RecordFactory = Callable[..., TransactionRecord]
RecorderFactory = Callable[..., Recorder]


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.02) -> bool:
    """Poll `predicate` until it is true or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.fixture
def spill_dir(tmp_path: Path) -> Path:
    """A spill directory private to the test."""
    return tmp_path / "spill"


@pytest.fixture(autouse=True)
def _private_global_recorder(settings: Any, tmp_path: Path) -> None:
    """The process-wide recorder (made fresh per test by `tests/conftest.py`) spills apart from
    the recorders a test makes itself in `spill_dir`."""
    settings.LUTHIEN_SPILL_DIR = str(tmp_path / "global-spill")


@pytest.fixture
def make_record() -> RecordFactory:
    """Build a finished record with all four bodies set; keyword arguments override fields."""

    def factory(**overrides: Any) -> TransactionRecord:
        now = time.time()
        fields: dict[str, Any] = {
            "id": new_transaction_id(),
            "client_format": "openai",
            "started_at": now - 0.5,
            "first_byte_at": now - 0.4,
            "ended_at": now,
            "model": "mock/echo",
            "upstream": "mock",
            "upstream_model": "echo",
            "policy_name": "pass-through",
            "policy_version": 1,
            "input_tokens": 12,
            "output_tokens": 3,
            "latency_ms": 500.0,
            "overhead_ms": 1.5,
            "request_original": {"model": "mock/echo", "messages": [{"role": "user"}]},
            "request_final": {"model": "echo", "messages": [{"role": "user"}]},
            "response_original": {"id": "r1", "choices": [{"text": "original"}]},
            "response_final": {"id": "r1", "choices": [{"text": "final"}]},
        }
        fields.update(overrides)
        return TransactionRecord(**fields)

    return factory


@pytest.fixture
def make_recorder(spill_dir: Path) -> Iterator[RecorderFactory]:
    """Build recorders with test-friendly timings; every one is closed at the end."""
    created: list[Recorder] = []

    def factory(**options: Any) -> Recorder:
        options.setdefault("spill_dir", spill_dir)
        options.setdefault("flush_interval", 0.02)
        options.setdefault("backoff_initial", 0.05)
        options.setdefault("backoff_max", 0.2)
        instance = Recorder(**options)
        created.append(instance)
        return instance

    yield factory
    for instance in created:
        instance.close(timeout=5.0)
