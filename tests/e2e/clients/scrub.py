"""Turn captured client requests into committed fixtures, scrubbed of what is not the client's.

A capture holds the run's temp paths, the test key, session and device ids, tool-call ids,
today's date (as clients write it), timestamps, the machine's kernel release and host name.
`Scrubber` replaces each with a fixed stand-in on the raw text (before JSON parsing, so string
escapes are untouched); ids map consistently (the same id gets the same stand-in everywhere in
one run, so a tool result still names its call). Transport headers (host, length, connection)
are dropped; the rest are kept in order.
"""

from __future__ import annotations

import datetime
import json
import platform
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIXTURE_KEY = "lk-fixture-key"
FIXTURE_ROOT = "/tmp/luthien-e2e"
DROPPED_HEADERS = frozenset({"host", "content-length", "connection", "transfer-encoding"})
KEY_HEADERS = frozenset({"x-api-key", "authorization"})
FIXED_DAY = datetime.date(2026, 1, 1)
FIXED_UNIX_MS = 1767225600000  # FIXED_DAY at midnight UTC

# Not `\b`: ids such as `msg_<uuid>` glue the id to a word.
UUID = re.compile(r"(?<![0-9a-f])[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}(?![0-9a-f])")
HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
UNIX_MS = re.compile(r'(_unix_ms\\?":)\d{12,13}')
TOOL_ID = re.compile(r"\b(toolu|call|srvtoolu|fc)_[A-Za-z0-9]{6,}\b")


@dataclass
class Scrubber:
    """Replaces one run's private values with stand-ins (see the module docstring)."""

    literals: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_run(cls, *, key: str, paths: dict[Path, str]) -> Scrubber:
        """A scrubber for a run with this key and these temp paths (path -> stand-in)."""
        literals: dict[str, str] = {}
        for path, stand_in in paths.items():
            literals[str(path)] = stand_in
            literals[dashed(str(path))] = dashed(stand_in)  # per-project state folders
        literals[key] = FIXTURE_KEY
        for day in {datetime.date.today(), datetime.datetime.now(datetime.UTC).date()}:
            literals.update(dict(zip(date_forms(day), date_forms(FIXED_DAY), strict=True)))
        release, host = platform.release(), socket.gethostname()
        if release:
            literals[release] = "6.0.0-fixture"
        if len(host) >= 6:  # a short name would also match ordinary words
            literals[host] = "fixture-host"
        return cls(literals)

    def text(self, raw: str) -> str:
        """`raw` with every private value replaced."""
        for literal in sorted(self.literals, key=len, reverse=True):
            raw = raw.replace(literal, self.literals[literal])
        raw = UUID.sub(self._mapper("uuid", _uuid), raw)
        raw = HEX64.sub(self._mapper("hex", lambda n: f"{n:064x}"), raw)
        raw = UNIX_MS.sub(lambda m: m.group(1) + str(FIXED_UNIX_MS), raw)
        return TOOL_ID.sub(self._tool_id, raw)

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[list[str]]:
        """Headers without transport ones, keys replaced by the fixture key."""
        kept: list[list[str]] = []
        for name, value in headers:
            lowered = name.lower()
            if lowered in DROPPED_HEADERS:
                continue
            if lowered in KEY_HEADERS:
                value = f"Bearer {FIXTURE_KEY}" if lowered == "authorization" else FIXTURE_KEY
            kept.append([name, self.text(value)])
        return kept

    def _mapper(self, kind: str, make: Callable[[int], str]) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            return self._stand_in(f"{kind}:{match.group(0)}", make)

        return replace

    def _tool_id(self, match: re.Match[str]) -> str:
        prefix = match.group(1)
        return self._stand_in(f"{prefix}:{match.group(0)}", lambda n: f"{prefix}_fixture{n:04d}")

    def _stand_in(self, key: str, make: Callable[[int], str]) -> str:
        if key not in self.ids:
            self.ids[key] = make(sum(k.split(":")[0] == key.split(":")[0] for k in self.ids) + 1)
        return self.ids[key]


def dashed(path: str) -> str:
    """A path as clients name a per-project folder (`/tmp/a_b` -> `-tmp-a-b`)."""
    return re.sub(r"[^A-Za-z0-9]", "-", path)


def date_forms(day: datetime.date) -> tuple[str, ...]:
    """How clients write a day: `2026-01-01`, `Thursday, January 1, 2026`, `1/1/2026`."""
    return (
        day.isoformat(),
        f"{day:%A}, {day:%B} {day.day}, {day.year}",
        f"{day.month}/{day.day}/{day.year}",
    )


def _uuid(number: int) -> str:
    return f"00000000-0000-4000-8000-{number:012x}"


def fixture_from_capture(
    capture: dict[str, Any], scrubber: Scrubber, *, client: str, version: str, case: str
) -> dict[str, Any]:
    """One captured request as a fixture document (body parsed after scrubbing)."""
    body_text = scrubber.text(capture["body"])
    return {
        "client": client,
        "version": version,
        "case": case,
        "method": capture["method"],
        "path": capture["path"],
        "query": scrubber.text(capture["query"]),
        "headers": scrubber.headers(tuple(pair) for pair in capture["headers"]),
        "body": json.loads(body_text) if body_text else None,
    }


def write_fixtures(folder: Path, case: str, documents: list[dict[str, Any]]) -> list[Path]:
    """Replace the fixtures of `case` in `folder` by `documents` (`<case>-<n>.json`)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(f"{case}-*.json"):
        stale.unlink()
    written = []
    for number, document in enumerate(documents, start=1):
        path = folder / f"{case}-{number}.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        written.append(path)
    return written
