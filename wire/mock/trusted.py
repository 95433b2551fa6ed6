"""The `trusted` behaviour: a deterministic stand-in for the trusted model of `monitor`.

Asked to rewrite a tool call (the user text holds its arguments between `<arguments>` and
`</arguments>`), it answers with those arguments as a JSON object in which every string that a
dangerous marker of `wire.mock.judge` matches becomes `SAFE_COMMAND`. Asked anything else (the
client's own request, when the gateway defers to it), it answers `DEFERRED_TEXT` and no tool call.
"""

from __future__ import annotations

import json
import re
from typing import Any

from wire.mock.judge import MARKERS

SAFE_COMMAND = "echo 'the trusted model removed a risky command'"
DEFERRED_TEXT = (
    "I (the trusted model) will not run that. Tell me more about what you need and I will "
    "suggest a safe way to do it."
)
_ARGUMENTS = re.compile(r"<arguments>\s*(.*?)\s*</arguments>", re.DOTALL)


def trusted_reply(last_user_text: str) -> str:
    """The edited arguments (JSON) for an edit request, else the deferral answer."""
    match = _ARGUMENTS.search(last_user_text)
    if match is None:
        return DEFERRED_TEXT
    try:
        arguments = json.loads(match.group(1))
    except ValueError:
        return "{}"
    return json.dumps(_defused(arguments))


def _defused(value: Any) -> Any:
    if isinstance(value, str):
        return SAFE_COMMAND if any(p.search(value) for _, p in MARKERS) else value
    if isinstance(value, dict):
        return {key: _defused(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_defused(item) for item in value]
    return value
