"""Helpers the format adapters share: refusals naming the field, notes, value checks."""

from __future__ import annotations

from typing import Any, NoReturn

from wire.errors import InvalidRequest


def refuse(param: str, why: str) -> NoReturn:
    """400: `param` cannot be translated (`why` says what the target lacks)."""
    raise InvalidRequest(
        f"'{param}' cannot be translated to the upstream's format: {why}. "
        "Remove it, or call a model whose upstream speaks this endpoint's format.",
        param=param,
    )


class Notes:
    """What a translation dropped or filled in, each said once (recorded on the transaction)."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, note: str) -> None:
        """Record `note` unless it was already said."""
        if note not in self.items:
            self.items.append(note)


def number(value: Any, param: str) -> float:
    """`value` as a number (400 naming `param` otherwise)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        refuse(param, f"expected a number, got {value!r}")
    return float(value) if isinstance(value, float) else value


def positive_int(value: Any, param: str) -> int:
    """`value` as an integer ≥ 1 (400 naming `param` otherwise)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        refuse(param, f"expected a positive integer, got {value!r}")
    return value


def string_list(value: Any, param: str) -> list[str]:
    """A string or a list of strings as a list (400 naming `param` otherwise)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    refuse(param, f"expected a string or a list of strings, got {value!r}")
