"""`string-replace`: streamed replacement equals whole-text replacement for every chunking."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from policies.base import StreamingMode
from policies.builtin.string_replace import StringReplacePolicy, copy_case
from policies.context import PolicyContext
from policies.registry import registry
from wire.neutral import Message, Request, TextBlock, ToolResultBlock


def make_ctx(text: str = "hello") -> PolicyContext:
    request = Request(format="openai", model="m", messages=[Message("user", [TextBlock(text)])])
    return PolicyContext(transaction_id="t", request=request)


def make_policy(**config: object) -> StringReplacePolicy:
    policy = StringReplacePolicy.from_config(config)
    assert isinstance(policy, StringReplacePolicy)
    return policy


def stream(policy: StringReplacePolicy, pieces: list[str], ctx: PolicyContext) -> str:
    out = [policy.on_text_delta(piece, ctx) for piece in pieces]
    return "".join(out) + policy.on_text_end(ctx)


def splits(text: str, parts: int) -> list[list[str]]:
    """Every way to cut `text` into `parts` pieces (empty pieces included)."""
    result = []
    for cuts in itertools.combinations_with_replacement(range(len(text) + 1), parts - 1):
        bounds = [0, *cuts, len(text)]
        result.append([text[a:b] for a, b in itertools.pairwise(bounds)])
    return result


SAMPLE = "The foobar said foo, then FOO-Foo: food is foo."


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"replacements": {"foo": "bar", "foobar": "X"}},
            "The X said bar, then FOO-Foo: bard is bar.",
        ),
        (
            {"replacements": {"foo": "bar"}, "match_case": False},
            "The barbar said bar, then BAR-Bar: bard is bar.",
        ),
        (
            {"replacements": {"foo": "bar"}, "match_case": False, "whole_words": True},
            "The foobar said bar, then BAR-Bar: food is bar.",
        ),
        (
            {"replacements": [{"from": "foo", "to": "quux"}, {"from": "said", "to": "s"}]},
            "The quuxbar s quux, then FOO-Foo: quuxd is quux.",
        ),
    ],
)
async def test_every_two_and_three_way_split_gives_the_whole_text_result(
    config: dict[str, object], expected: str
) -> None:
    policy = make_policy(**config)
    assert stream(policy, [SAMPLE], make_ctx()) == expected
    for parts in (2, 3):
        for pieces in splits(SAMPLE, parts):
            assert stream(policy, pieces, make_ctx()) == expected, pieces


def test_holds_only_a_tail_that_could_start_a_match() -> None:
    policy = make_policy(replacements={"world": "there"})
    ctx = make_ctx()
    assert policy.on_text_delta("hello wor", ctx) == "hello "  # "wor" may become "world"
    assert policy.on_text_delta("m", ctx) == "worm"  # it cannot any more: released at once
    assert policy.on_text_delta("xyz w", ctx) == "xyz "
    assert policy.on_text_delta("orld!", ctx) == "there!"
    assert policy.on_text_delta("no match here", ctx) == "no match here"
    assert policy.on_text_end(ctx) == ""


def test_never_holds_more_than_the_longest_pattern_minus_one() -> None:
    policy = make_policy(replacements={"abcdef": "X", "ab": "Y"})
    ctx = make_ctx()
    assert policy.on_text_delta("zzabcde", ctx) == "zz"
    assert policy.on_text_delta("f", ctx) == "X"
    assert policy.on_text_delta("abcdz", ctx) == "Ycdz"
    assert policy.on_text_delta("abcd", ctx) == ""
    assert policy.on_text_end(ctx) == "Ycd"


def test_whole_words_waits_for_the_character_after_a_match() -> None:
    policy = make_policy(replacements={"cat": "dog"}, whole_words=True)
    ctx = make_ctx()
    assert policy.on_text_delta("a cat", ctx) == "a "
    assert policy.on_text_delta("s and a cat", ctx) == "cats and a "
    assert policy.on_text_delta(".", ctx) == "dog."
    assert policy.on_text_delta(" cat", ctx) == " "
    assert policy.on_text_end(ctx) == "dog"  # the end of the text ends the word


def test_whole_words_sees_the_character_before_a_chunk() -> None:
    policy = make_policy(replacements={"cat": "dog"}, whole_words=True)
    assert stream(policy, ["bob", "cat cat"], make_ctx()) == "bobcat dog"


@pytest.mark.parametrize(
    ("matched", "to", "expected"),
    [
        ("FOO", "bar", "BAR"),
        ("Foo", "bar", "Bar"),
        ("foo", "Bar", "bar"),
        ("Hello World", "good night", "Good Night"),
        ("Hello world", "good NIGHT", "Good night"),
        ("fOO", "Bar", "Bar"),
        ("I", "we", "We"),
        ("123", "Mixed", "Mixed"),
        ("Secret", "[x]", "[X]"),
    ],
)
def test_copy_case(matched: str, to: str, expected: str) -> None:
    assert copy_case(matched, to) == expected


def test_match_case_true_keeps_the_replacement_as_configured() -> None:
    policy = make_policy(replacements={"Foo": "bAR"})
    assert stream(policy, ["Foo foo FOO"], make_ctx()) == "bAR foo FOO"


async def test_one_rewrote_decision_per_response_with_the_count() -> None:
    policy = make_policy(replacements={"a": "b"})
    ctx = make_ctx()
    stream(policy, ["a", "a", "xa"], ctx)
    stream(policy, ["a"], ctx)  # a second text block
    assert ctx.decisions == []
    assert await policy.on_response_end(ctx) == []
    assert [(d.action, d.details) for d in ctx.decisions] == [("rewrote", {"count": 4})]


async def test_no_decision_when_nothing_was_replaced() -> None:
    policy = make_policy(replacements={"zzz": "b"})
    ctx = make_ctx()
    stream(policy, ["abc"], ctx)
    assert await policy.on_response_end(ctx) == []
    assert ctx.decisions == []


async def test_state_is_per_request() -> None:
    policy = make_policy(replacements={"hello": "bye"})
    first, second = make_ctx(), make_ctx()
    assert policy.on_text_delta("hel", first) == ""
    assert policy.on_text_delta("say hel", second) == "say "
    assert policy.on_text_delta("lo", first) == "bye"
    assert policy.on_text_end(second) == "hel"


async def test_held_modes_use_the_same_rewrite() -> None:
    policy = make_policy(replacements={"foo": "bar"})
    block = await policy.process_text_block(TextBlock("foo food"), make_ctx())
    assert block == TextBlock("bar bard")


async def test_request_rewriting_touches_user_and_system_text_only() -> None:
    policy = make_policy(replacements={"secret": "[x]"}, match_case=False, apply_to_request=True)
    request = Request(
        format="anthropic",
        model="m",
        system=[TextBlock("Secret system")],
        messages=[
            Message("user", [TextBlock("my SECRET"), ToolResultBlock("t1", "secret result")]),
            Message("assistant", [TextBlock("a secret reply")]),
            Message("system", [TextBlock("secret")]),
            Message("developer", [TextBlock("secret dev")]),
            Message("future-role", [TextBlock("a secret")]),
        ],
    )
    ctx = PolicyContext(transaction_id="t", request=request)
    result = await policy.on_request(request, ctx)
    assert isinstance(result, Request)
    assert result.system == [TextBlock("[X] system")]
    assert result.messages[0].content == [
        TextBlock("my [X]"),
        ToolResultBlock("t1", "secret result"),
    ]
    assert result.messages[1].content == [TextBlock("a secret reply")]
    assert result.messages[2].content == [TextBlock("[x]")]
    assert result.messages[3].content == [TextBlock("[x] dev")]
    assert result.messages[4].content == [TextBlock("a [x]")]
    assert request.messages[0].content[0] == TextBlock("my SECRET")  # original untouched
    assert [(d.action, d.details) for d in ctx.decisions] == [("rewrote", {"count": 5})]


async def test_request_untouched_unless_enabled() -> None:
    policy = make_policy(replacements={"hello": "bye"})
    ctx = make_ctx("hello")
    assert await policy.on_request(ctx.request, ctx) is ctx.request
    assert ctx.decisions == []


def test_registered_pass_through_with_a_valid_example() -> None:
    assert registry().get("string-replace") is StringReplacePolicy
    assert StringReplacePolicy.Config.model_validate(StringReplacePolicy.example_config)
    assert make_policy().mode is StreamingMode.PASS_THROUGH


@pytest.mark.parametrize(
    "config",
    [
        {"replacements": {"": "x"}},
        {"replacements": [{"from": "a", "to": "b"}, {"from": "a", "to": "c"}]},
        {"replacements": {"a": "b", "A": "c"}, "match_case": False},
        {"replacements": [{"from": "a"}]},
        {"unknown": True},
    ],
)
def test_invalid_config(config: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        StringReplacePolicy.Config.model_validate(config)


def test_no_replacements_passes_everything() -> None:
    policy = make_policy()
    assert stream(policy, ["abc", "def"], make_ctx()) == "abcdef"
