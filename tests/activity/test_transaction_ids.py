"""Transaction ids: UUIDv7 layout, unique, ordered by creation time."""

from __future__ import annotations

import time
import uuid

from gateway.transaction_record import new_transaction_id


def test_id_is_a_version_7_uuid_in_32_hex_characters() -> None:
    value = new_transaction_id()
    assert len(value) == 32
    parsed = uuid.UUID(value)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_id_starts_with_the_creation_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    value = new_transaction_id()
    after = time.time_ns() // 1_000_000
    assert before <= int(value[:12], 16) <= after


def test_ids_are_unique_and_later_ones_sort_after_earlier_ones() -> None:
    first = [new_transaction_id() for _ in range(5000)]
    time.sleep(0.002)
    second = new_transaction_id()
    assert len(set(first)) == len(first)
    assert all(second > earlier for earlier in first)
