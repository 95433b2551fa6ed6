"""`string-replace`: replace strings in response text as it streams (and in the request).

Matching is done by a plain `Replacer` (no I/O, like httpx's decoders) and, while streaming, a
`_StreamState` per request: each piece is released as soon as no later text can change it, so
at most the longest pattern's length minus one characters are held back (one more with
`whole_words`, to see whether the next character ends the word). Streaming gives exactly the
result of replacing in the whole text at once, however the text is split.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict, Field, model_validator

from policies.base import Policy, PolicyConfigSchema, StreamingMode
from policies.context import PolicyContext
from policies.registry import register
from wire.neutral import Block, Message, Request, TextBlock

NOT_PROMPT_ROLES = frozenset({"assistant"})
"""Roles whose text is the model's, not the prompt: every other role (user, system, developer,
and roles clients add later) is prompt text for `apply_to_request`."""


class Replacement(BaseModel):
    """One replacement in list form: `{"from": "foo", "to": "bar"}`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", min_length=1, description="Text to find.")
    to: str = Field(description="Text to put in its place.")


def copy_case(matched: str, to: str) -> str:
    """`to` in the case pattern of `matched`: UPPER, Title (Each Word), Capitalized, lower;
    any other mix leaves `to` as configured."""
    letters = [c for c in matched if c.isalpha()]
    if not letters:
        return to
    if len(letters) > 1 and matched.isupper():
        return to.upper()
    if matched.islower():
        return to.lower()
    if len(matched.split()) > 1 and matched.istitle():
        return re.sub(r"\S+", lambda m: _capitalized(m.group(0)), to)
    if letters[0].isupper() and "".join(letters[1:]).lower() == "".join(letters[1:]):
        return _capitalized(to)
    return to


def _capitalized(word: str) -> str:
    """First letter upper, the rest lower ("[x]" -> "[X]")."""
    for index, char in enumerate(word):
        if char.isalpha():
            return word[:index] + char.upper() + word[index + 1 :].lower()
    return word


def _word_edges(source: str, whole_words: bool) -> tuple[str, str]:
    """Lookarounds that keep a pattern from matching inside a word (only at word-char edges)."""
    if not whole_words:
        return "", ""
    before = r"(?<!\w)" if re.match(r"\w", source[:1]) else ""
    after = r"(?!\w)" if re.match(r"\w", source[-1:]) else ""
    return before, after


class Replacer:
    """Compiled replacements. `replace_all` works on a whole text; `feed`/`flush` stream."""

    def __init__(
        self, pairs: Iterable[tuple[str, str]], *, match_case: bool, whole_words: bool
    ) -> None:
        ordered = sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)  # longest wins
        self._targets = [to for _, to in ordered]
        self._match_case = match_case
        flags = 0 if match_case else re.IGNORECASE
        alternatives, prefixes = [], []
        self.hold = 0  # the most characters a stream may ever hold back
        for index, (source, _) in enumerate(ordered):
            before, after = _word_edges(source, whole_words)
            alternatives.append(f"(?P<r{index}>{before}{re.escape(source)}{after})")
            open_len = len(source) - 1 + (1 if after else 0)
            self.hold = max(self.hold, open_len)
            prefixes += [before + re.escape(source[:k]) for k in range(open_len, 0, -1)]
        self._pattern = re.compile("|".join(alternatives), flags) if alternatives else None
        self._open = re.compile(f"(?:{'|'.join(prefixes)})\\Z", flags) if prefixes else None

    def _replacement(self, match: re.Match[str]) -> str:
        to = self._targets[int((match.lastgroup or "r0")[1:])]
        return to if self._match_case else copy_case(match.group(0), to)

    def replace_all(self, text: str, start: int = 0) -> tuple[str, int]:
        """`text[start:]` with every match replaced (`text[:start]` is lookbehind context)."""
        if self._pattern is None:
            return text[start:], 0
        out, pos, count = [], start, 0
        for match in self._pattern.finditer(text, start):
            out += [text[pos : match.start()], self._replacement(match)]
            pos, count = match.end(), count + 1
        out.append(text[pos:])
        return "".join(out), count

    def _is_open(self, text: str, position: int) -> bool:
        """Could text arriving later still change what matches at `position`?"""
        return self._open is not None and self._open.match(text, position) is not None

    def _first_open(self, text: str, start: int, stop: int) -> int | None:
        for position in range(max(start, len(text) - self.hold), stop):
            if self._is_open(text, position):
                return position
        return None

    def feed(self, state: _StreamState, piece: str) -> str:
        """Take one streamed piece; return the text that is final (replacements applied)."""
        if self._pattern is None:
            return piece
        text = state.context + state.pending + piece
        out: list[str] = []
        pos = len(state.context)
        for match in self._pattern.finditer(text, pos):
            cut = self._first_open(text, pos, match.start())
            if cut is None and self._is_open(text, match.start()):
                cut = match.start()
            if cut is not None:
                return self._keep(state, text, out, pos, cut)
            out += [text[pos : match.start()], self._replacement(match)]
            pos, state.count = match.end(), state.count + 1
        cut = self._first_open(text, pos, len(text))
        return self._keep(state, text, out, pos, len(text) if cut is None else cut)

    @staticmethod
    def _keep(state: _StreamState, text: str, out: list[str], pos: int, cut: int) -> str:
        out.append(text[pos:cut])
        state.pending = text[cut:]
        state.context = text[cut - 1 : cut]
        return "".join(out)

    def flush(self, state: _StreamState) -> str:
        """The text ended: replace in what is still held, release it, reset for the next."""
        text, count = self.replace_all(state.context + state.pending, len(state.context))
        state.count += count
        state.pending = state.context = ""
        return text


@dataclass(slots=True)
class _StreamState:
    """One request's streaming state: held text, the character before it, replacements made."""

    pending: str = ""
    context: str = ""
    count: int = 0


@register
class StringReplacePolicy(Policy):
    """Replaces configured strings in assistant text as it streams, optionally case-insensitive
    (copying the matched text's case) and whole-word only; optionally in the request too."""

    name = "string-replace"
    description = "Replace strings in response text as it streams (optionally in the request)."
    streaming_mode = StreamingMode.PASS_THROUGH
    example_config = {
        "replacements": {"colour": "color", "Acme Corp": "[redacted]"},
        "match_case": False,
        "whole_words": True,
        "apply_to_request": False,
    }

    class Config(PolicyConfigSchema):
        replacements: dict[str, str] | list[Replacement] = Field(
            default_factory=dict,
            description='What to replace: {"from": "to", ...} or [{"from": ..., "to": ...}]. '
            "At one position the longest match wins.",
        )
        match_case: bool = Field(
            default=True,
            description="Match case exactly. If false, matching ignores case and the "
            "replacement copies the matched text's case (UPPER, Title, lower).",
        )
        whole_words: bool = Field(
            default=False, description="Only replace matches that are not part of a longer word."
        )
        apply_to_request: bool = Field(
            default=False,
            description="Also rewrite the text of user and system messages of the request.",
        )

        def pairs(self) -> list[tuple[str, str]]:
            """The replacements as (from, to) pairs, in configured order."""
            if isinstance(self.replacements, dict):
                return list(self.replacements.items())
            return [(r.from_, r.to) for r in self.replacements]

        @model_validator(mode="after")
        def _distinct_sources(self) -> StringReplacePolicy.Config:
            seen: set[str] = set()
            for source, _ in self.pairs():
                if not source:
                    raise ValueError("replacements: the text to find must not be empty")
                key = source if self.match_case else source.casefold()
                if key in seen:
                    raise ValueError(f"replacements: {source!r} is listed twice")
                seen.add(key)
            return self

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, StringReplacePolicy.Config)
        self.replacer = Replacer(
            self.config.pairs(),
            match_case=self.config.match_case,
            whole_words=self.config.whole_words,
        )

    def _state(self, ctx: PolicyContext) -> _StreamState:
        return ctx.state_for(self, _StreamState)

    async def on_request(self, request: Request, ctx: PolicyContext) -> Request:
        """With `apply_to_request`, return a copy of the request whose user/system/developer
        text is rewritten (the original is not mutated) and record one `rewrote` decision."""
        assert isinstance(self.config, StringReplacePolicy.Config)
        if not self.config.apply_to_request:
            return request
        counter = [0]
        messages = [self._message(m, counter) for m in request.messages]
        system = self._blocks(request.system, counter) if request.system is not None else None
        if not counter[0]:
            return request
        ctx.decide(self, "rewrote", f"replaced {counter[0]} in the request", count=counter[0])
        return replace(request, messages=messages, system=system)

    def _message(self, message: Message, counter: list[int]) -> Message:
        if message.role in NOT_PROMPT_ROLES:
            return message
        return replace(message, content=self._blocks(message.content, counter))

    def _blocks(self, blocks: list[Block], counter: list[int]) -> list[Block]:
        out: list[Block] = []
        for block in blocks:
            if isinstance(block, TextBlock):
                text, count = self.replacer.replace_all(block.text)
                if count:
                    counter[0] += count
                    block = TextBlock(text=text, extra=block.extra)
            out.append(block)
        return out

    def on_text_delta(self, text: str, ctx: PolicyContext) -> str:
        """Return the part of the text seen so far that no later piece can change, with
        replacements applied; hold the rest (only a tail that could start a match)."""
        return self.replacer.feed(self._state(ctx), text)

    def on_text_end(self, ctx: PolicyContext) -> str:
        """The text block ended: return the held tail, replacements applied."""
        return self.replacer.flush(self._state(ctx))

    async def on_response_end(self, ctx: PolicyContext) -> list[Block]:
        """Record one `rewrote` decision (with the count) if anything was replaced; append
        nothing."""
        state = self._state(ctx)
        if state.count:
            ctx.decide(
                self, "rewrote", f"replaced {state.count} in the response", count=state.count
            )
        return []
