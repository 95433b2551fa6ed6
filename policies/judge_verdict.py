"""A judge's answer: the verdict it gives, the forgiving parser, and the error when there is none.

Every failure of a judge call is a `JudgeError` whose `reason` reads well in a notice, and whose
`kind` says what went wrong:

    JudgeError
    ├── kind="config"    no usable target: an unset key variable, a model no upstream serves
    ├── kind="timeout"   no complete answer within `timeout_s`
    ├── kind="network"   the judge could not be reached (connection refused, dropped, ...)
    ├── kind="http"      the judge answered with an HTTP error status
    └── kind="reply"     the answer holds no usable {"probability": ...} object

The parser accepts what judges really write: plain JSON, JSON in ```json fences, JSON inside
prose (the first balanced `{...}` object that has a "probability"), the probability as a
number, a string ("0.8") or a percentage ("85%"), clamped to [0, 1]; the explanation is
optional.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

_EXCERPT = 200


class JudgeError(Exception):
    """The judge gave no usable verdict; `reason` is readable, `kind` is the failure class."""

    def __init__(self, reason: str, *, kind: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True, slots=True)
class JudgeVerdict:
    """A parsed answer: probability in [0, 1], explanation ("" if none), the reply text, and
    the whole JSON object the verdict came from (for extra fields such as "rule")."""

    probability: float
    explanation: str
    raw: str
    data: dict[str, Any] = field(default_factory=dict)


def parse_verdict(text: str) -> JudgeVerdict:
    """Parse a judge's reply text (see the module docstring); `JudgeError` if unusable."""
    data = _verdict_object(text)
    if data is None:
        raise JudgeError(
            f'judge reply has no JSON object with a "probability": {excerpt(text)!r}',
            kind="reply",
        )
    explanation = data.get("explanation") or data.get("reason") or ""
    return JudgeVerdict(_probability(data["probability"]), str(explanation).strip(), text, data)


def _verdict_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text` (at any `{`, so nested ones too) with a probability."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict) and "probability" in value:
            return value
        start = text.find("{", start + 1)
    return None


def _probability(value: Any) -> float:
    """A number, numeric string or percentage string, clamped to [0, 1]."""
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        cleaned = value.strip()
        percent = cleaned.endswith("%")
        try:
            number = float(cleaned.rstrip("%").strip())
        except ValueError:
            number = None
        if number is not None and percent:
            number /= 100
    if number is None or math.isnan(number):
        raise JudgeError(f"judge probability is not a number: {value!r}", kind="reply")
    return min(1.0, max(0.0, number))


def excerpt(text: str) -> str:
    """`text`, cut to a readable length for an error message."""
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"
