"""Model name parsing: behaviours, prefixes, options and their errors."""

from __future__ import annotations

import pytest

from wire.mock.errors import MockSpecError
from wire.mock.spec import BEHAVIOURS, MockSpec, parse_model


@pytest.mark.parametrize("model", ["", "mock", "mock/", "echo", "mock/echo", "MOCK/Echo"])
def test_echo_is_the_default_and_prefix_is_optional(model: str) -> None:
    assert parse_model(model) == MockSpec(behaviour="echo")


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_every_behaviour_parses_with_and_without_prefix(behaviour: str) -> None:
    assert parse_model(behaviour).behaviour == behaviour
    assert parse_model(f"mock/{behaviour}").behaviour == behaviour


def test_options_are_typed() -> None:
    spec = parse_model(
        "mock/tool?chunks=50&delay_ms=5&ttfb_ms=1.5&abort_after=3&usage_in=7&usage_out=9"
        "&name=Write&args=%7B%22path%22%3A%22a.txt%22%7D&text=Sure&status=429&message=slow"
    )
    assert spec == MockSpec(
        behaviour="tool",
        chunks=50,
        delay_ms=5.0,
        ttfb_ms=1.5,
        abort_after=3,
        usage_in=7,
        usage_out=9,
        name="Write",
        args={"path": "a.txt"},
        text="Sure",
        status=429,
        message="slow",
    )


def test_judge_options() -> None:
    spec = parse_model("judge?p=0.7&mode=fenced")
    assert (spec.p, spec.mode) == (0.7, "fenced")


def test_unknown_behaviour_is_404() -> None:
    with pytest.raises(MockSpecError) as info:
        parse_model("mock/sing")
    assert info.value.status == 404
    assert "sing" in info.value.message and "echo" in info.value.message


@pytest.mark.parametrize(
    "model",
    [
        "text?chunks=0",
        "text?chunks=many",
        "text?colour=blue",
        "error?status=200",
        "judge?p=1.5",
        "judge?mode=poetry",
        "tool?args=[1,2]",
        "tool?args=%7Bnot-json",
        "tool?name=",
    ],
)
def test_bad_options_are_400(model: str) -> None:
    with pytest.raises(MockSpecError) as info:
        parse_model(model)
    assert info.value.status == 400
    assert model.split("?")[1].split("=")[0] in info.value.message
