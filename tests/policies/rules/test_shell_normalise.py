"""Normalisation before matching: variables, constant substitutions, decoders, pipes into
shells and xargs, loops, and lines a shell would refuse."""

from __future__ import annotations

import pytest

from policies.rules.shell import parse_shell
from policies.rules.shell_normalise import (
    constant_output,
    decode_base64,
    decode_hex,
    expand_variables,
    split_words,
)
from policies.rules.shell_parse import parse_text


def commands(text: str) -> list[list[str]]:
    return [c.argv for c in parse_shell(text).walk() if c.argv]


def test_expand_variables_replaces_known_names_only() -> None:
    env = {"X": "rm", "D": "/etc"}
    assert expand_variables("$X -rf ${D}/x $UNKNOWN", env) == "rm -rf /etc/x $UNKNOWN"


@pytest.mark.parametrize(
    ("text", "output", "decoded"),
    [
        pytest.param("echo rm", "rm\n", False, id="echo"),
        pytest.param("echo -n rm", "rm", False, id="echo-n"),
        pytest.param(r"echo -e 'a\x41'", "aA\n", False, id="echo-e"),
        pytest.param("printf 'rm -rf %s' ~", "rm -rf ~", False, id="printf"),
        pytest.param(r"printf '\x72\x6d'", "rm", False, id="printf-escapes"),
        pytest.param("which rm", "rm", False, id="which"),
        pytest.param("command -v rm", "rm", False, id="command-v"),
        pytest.param("echo cm0gLXJmIH4= | base64 -d", "rm -rf ~", True, id="base64"),
        pytest.param("base64 --decode <<< cm0gLXJmIH4=", "rm -rf ~", True, id="here-string"),
        pytest.param("echo 726d202d7266207e | xxd -r -p", "rm -rf ~", True, id="hex"),
        pytest.param("rev <<< '~ fr- mr'", "~ fr- mr"[::-1], True, id="rev"),
        pytest.param("cat <<EOF\nrm -rf ~\nEOF", "rm -rf ~", False, id="heredoc"),
    ],
)
def test_constant_output(text: str, output: str, decoded: bool) -> None:
    result = constant_output(parse_text(text))
    assert result is not None
    assert (result.text, result.decoded) == (output, decoded)


@pytest.mark.parametrize(
    "text",
    ["ls", "echo a; echo b", "cat file | base64 -d", "echo '!!' | base64 -d", "date"],
)
def test_output_that_is_not_constant(text: str) -> None:
    assert constant_output(parse_text(text)) is None


def test_decoders_reject_what_is_not_text() -> None:
    assert decode_base64("cm0gLXJmIH4=") == "rm -rf ~"
    assert decode_base64("not base64 at all!") is None
    assert decode_base64("AAEC") is None  # bytes 0,1,2: not text
    assert decode_hex("6869") == "hi"
    assert decode_hex("zz") is None


def test_powershell_utf16_base64_is_decoded() -> None:
    encoded = "SQBFAFgAIAAoAGkAdwByACkA"  # "IEX (iwr)" in UTF-16LE
    assert decode_base64(encoded) == "IEX (iwr)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("X=rm; $X -rf ~", ["rm", "-rf", "~"], id="variable"),
        pytest.param("$(echo rm) -rf ~", ["rm", "-rf", "~"], id="substitution"),
        pytest.param("`echo rm` -rf ~", ["rm", "-rf", "~"], id="backticks"),
        pytest.param('CMD="rm -rf"; $CMD ~', ["rm", "-rf", "~"], id="unquoted-splits"),
        pytest.param("a=r b=m; $a$b -rf ~", ["rm", "-rf", "~"], id="concatenated"),
        pytest.param("X=$(echo rm); $X -rf ~", ["rm", "-rf", "~"], id="assigned-substitution"),
        pytest.param("S=sudo; $S rm -rf ~", ["rm", "-rf", "~"], id="wrapper-re-peeled"),
        pytest.param("echo ~ | xargs rm -rf", ["rm", "-rf", "~"], id="xargs-fed"),
        pytest.param("xargs -a <(echo /etc) rm -rf", ["rm", "-rf", "/etc"], id="xargs-file"),
        pytest.param("find ~ | xargs rm -rf", ["rm", "-rf", "~/*"], id="xargs-find"),
        pytest.param("for d in ~ /etc; do rm -rf $d; done", ["rm", "-rf", "~", "/etc"], id="for"),
    ],
)
def test_normalised_command(text: str, expected: list[str]) -> None:
    assert expected in commands(text)


def test_quoted_expansion_is_one_word() -> None:
    assert ["bash", "-c", "rm -rf ~"] in commands('C="rm -rf ~"; bash -c "$C"')
    assert ["rm", "-rf", "~"] in commands('C="rm -rf ~"; bash -c "$C"')


def test_unknown_expansions_stay_as_written() -> None:
    expected = [["rm", "-rf", "$BUILD_DIR/out", "$(ls)"], ["ls"]]
    assert commands("rm -rf $BUILD_DIR/out $(ls)") == expected


def test_filtered_find_feeds_xargs_nothing() -> None:
    assert ["rm", "-f"] in commands("find . -name '*.pyc' -print0 | xargs -0 rm -f")


def test_loop_over_a_substitution_keeps_it_whole() -> None:
    cmds = commands('for p in $(pgrep -u "$USER"); do kill -9 $p; done')
    assert ["kill", "-9", '$(pgrep -u "$USER")'] in cmds


def test_decoded_text_piped_into_a_shell_is_parsed_and_marked() -> None:
    script = parse_shell("echo cm0gLXJmIH4= | base64 -d | sh")
    shell = next(c for c in script.walk() if c.name == "sh")
    assert shell.decoded
    assert [c.argv for c in shell.nested[0].walk()] == [["rm", "-rf", "~"]]


def test_plain_text_piped_into_a_shell_is_not_marked_decoded() -> None:
    script = parse_shell("echo 'rm -rf /' | sh")
    shell = next(c for c in script.walk() if c.name == "sh")
    assert not shell.decoded and shell.nested


def test_decoded_substitution_marks_the_command() -> None:
    script = parse_shell('bash -c "$(echo cm0gLXJmIH4= | base64 -d)"')
    bash = next(iter(script.walk()))
    assert bash.argv == ["bash", "-c", "rm -rf ~"] and bash.decoded


def test_self_referencing_values_terminate() -> None:
    script = parse_shell("X='bash -c \"$X\"'; $X")
    assert list(script.walk())


@pytest.mark.parametrize(
    ("text", "well_formed"),
    [
        ("echo 'unterminated", False),
        ('echo "unterminated', False),
        ("echo $(ls", False),
        ("echo `ls", False),
        ("echo ok 'quoted' \"too\" $(ls) `pwd`", True),
        ("git commit -m \"$(cat <<'EOF'\ndon't\nEOF\n)\"", True),
    ],
)
def test_lines_a_shell_would_refuse(text: str, well_formed: bool) -> None:
    assert parse_shell(text).well_formed is well_formed


def test_split_words_keeps_substitutions_whole() -> None:
    assert split_words('rm -rf $(ls "a b")') == ["rm", "-rf", '$(ls "a b")']


def test_values_that_keep_doubling_stay_bounded() -> None:
    script = parse_shell("X=a; " + "X=$X$X; " * 30 + "rm -rf $X")
    rm = [c for c in script.walk() if c.name == "rm"]
    assert rm and all(len(w) <= 100_000 for w in rm[0].argv)
