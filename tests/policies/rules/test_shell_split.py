"""The shell analyser: splitting, quoting, nesting, wrappers, pipes and working directories."""

from __future__ import annotations

import shlex

import pytest

from policies.rules.shell import MAX_COMMAND_CHARS, Group, parse_shell, simple_commands
from policies.rules.shell_lex import MAX_DEPTH, Op, Redir, Word, tokenize
from policies.rules.shell_parse import MAX_NESTING


def argvs(text: str) -> list[list[str]]:
    return simple_commands(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("ls -la", [["ls", "-la"]], id="plain"),
        pytest.param("a && b || c; d & e", [["a"], ["b"], ["c"], ["d"], ["e"]], id="operators"),
        pytest.param("a\nb\n\nc", [["a"], ["b"], ["c"]], id="newlines"),
        pytest.param("a|b|&c", [["a"], ["b"], ["c"]], id="pipes"),
        pytest.param("echo 'a;b' \"c|d\"", [["echo", "a;b", "c|d"]], id="quoted-operators"),
        pytest.param(r"echo a\ b c\;d", [["echo", "a b", "c;d"]], id="escapes"),
        pytest.param("echo 'it'\"'\"'s'", [["echo", "it's"]], id="adjacent-quotes"),
        pytest.param(r'echo "a \"b\" \$x \\ c"', [["echo", 'a "b" $x \\ c']], id="dq-escapes"),
        pytest.param(r"echo 'a\nb'", [["echo", r"a\nb"]], id="sq-literal-backslash"),
        pytest.param(r"echo $'a\tb\x41'", [["echo", "a\tbA"]], id="ansi-c"),
        pytest.param("echo a\\\nb", [["echo", "ab"]], id="line-continuation"),
        pytest.param("echo hi # rm -rf /", [["echo", "hi"]], id="comment"),
        pytest.param("echo a#b", [["echo", "a#b"]], id="hash-inside-word"),
        pytest.param("r''m -r\\f /", [["rm", "-rf", "/"]], id="obfuscated-name"),
        pytest.param(
            "(cd x && make) | tee log", [["cd", "x"], ["make"], ["tee", "log"]], id="subshell"
        ),
        pytest.param("{ a; b; } > out", [["a"], ["b"]], id="brace-group"),
        pytest.param("echo {a,b} }", [["echo", "{a,b}", "}"]], id="braces-as-words"),
        pytest.param("if true; then rm x; else ls; fi", [["true"], ["rm", "x"], ["ls"]], id="if"),
        pytest.param(
            'while read f; do rm "$f"; done < list', [["read", "f"], ["rm", "$f"]], id="loop"
        ),
        pytest.param("X=1 Y=2 make", [["make"]], id="assignments"),
        pytest.param("echo 'unterminated", [["echo", "unterminated"]], id="unterminated-quote"),
        pytest.param("echo )", [["echo"]], id="stray-closer"),
        pytest.param("", [], id="empty"),
    ],
)
def test_splitting(text: str, expected: list[list[str]]) -> None:
    assert argvs(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("echo $(whoami)", [["echo", "$(whoami)"], ["whoami"]], id="dollar-paren"),
        pytest.param("echo `date`", [["echo", "`date`"], ["date"]], id="backticks"),
        pytest.param(
            'echo "$(a "$(b)")"', [["echo", '$(a "$(b)")'], ["a", "$(b)"], ["b"]], id="nested"
        ),
        pytest.param("echo $((1 + 2))", [["echo", "$((1 + 2))"]], id="arithmetic-is-not-a-command"),
        pytest.param("echo '$(rm -rf /)'", [["echo", "$(rm -rf /)"]], id="single-quoted-is-text"),
        pytest.param(
            "diff <(ls a) <(ls b)",
            [["diff", "<(ls a)", "<(ls b)"], ["ls", "a"], ["ls", "b"]],
            id="process-substitution",
        ),
        pytest.param("echo ${HOME:-$(id)}", [["echo", "${HOME:-$(id)}"]], id="parameter-expansion"),
    ],
)
def test_substitutions(text: str, expected: list[list[str]]) -> None:
    assert argvs(text) == expected


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        pytest.param("bash -c 'rm -rf ~'", ["rm", "-rf", "~"], id="bash-c"),
        pytest.param('sh -c "cd /tmp && ls"', ["ls"], id="sh-c"),
        pytest.param("zsh -lc 'echo hi'", ["echo", "hi"], id="zsh-lc-cluster"),
        pytest.param("bash -o pipefail -c 'make test'", ["make", "test"], id="bash-o-c"),
        pytest.param('eval "rm -rf $DIR"', ["rm", "-rf", "$DIR"], id="eval"),
        pytest.param("sudo -u root -E rm -rf /x", ["rm", "-rf", "/x"], id="sudo"),
        pytest.param("env -i PATH=/bin X=1 rm x", ["rm", "x"], id="env"),
        pytest.param("nohup nice -n 5 ionice -c 3 rm x", ["rm", "x"], id="nohup-nice-ionice"),
        pytest.param("timeout -s KILL 5 rm x", ["rm", "x"], id="timeout"),
        pytest.param("command rm x", ["rm", "x"], id="command"),
        pytest.param("exec /bin/rm x", ["/bin/rm", "x"], id="exec"),
        pytest.param("ls | xargs -0 -n1 rm -f", ["rm", "-f"], id="xargs"),
        pytest.param("find . -name '*.o' -exec rm -f {} \\;", ["rm", "-f", "{}"], id="find-exec"),
        pytest.param("find . -execdir chmod 644 {} +", ["chmod", "644", "{}"], id="find-execdir"),
        pytest.param("su - root -c 'rm x'", ["rm", "x"], id="su-c"),
        pytest.param("watch -n 1 'ls /tmp'", ["ls", "/tmp"], id="watch"),
        pytest.param("bash <<'EOF'\nrm -rf /x\nEOF", ["rm", "-rf", "/x"], id="heredoc-to-shell"),
        pytest.param("bash <<< 'rm x'", ["rm", "x"], id="herestring-to-shell"),
        pytest.param("echo 'rm x' | sh", ["rm", "x"], id="echo-into-shell"),
        pytest.param("python3 -c \"import os; os.system('rm x')\"", ["rm", "x"], id="os-system"),
        pytest.param(
            'python -c \'import subprocess; subprocess.run(["rm", "x"])\'',
            ["rm", "x"],
            id="subprocess-list",
        ),
        pytest.param("sudo bash -c \"sudo sh -c 'rm x'\"", ["rm", "x"], id="deep-nesting"),
    ],
)
def test_indirect_commands_are_found(text: str, inner: list[str]) -> None:
    assert inner in argvs(text)


def test_wrappers_are_listed() -> None:
    (command,) = parse_shell("sudo env X=1 timeout 5 nohup rm -rf /tmp/x").walk()
    assert command.argv == ["rm", "-rf", "/tmp/x"]
    assert command.wrappers == ["sudo", "env", "timeout", "nohup"]
    assert command.assignments == {"X": "1"}
    assert command.raw_line.startswith("sudo env X=1")


def test_lookups_run_nothing() -> None:
    assert argvs("command -v rm") == []
    assert argvs("sudo -l") == []


def test_heredoc_body_is_data_for_other_programs() -> None:
    text = "cat > notes.md <<'EOF'\nrm -rf /\n(unbalanced ' quote\nEOF\necho done"
    assert argvs(text) == [["cat"], ["echo", "done"]]
    redirects = next(parse_shell(text).walk()).redirects
    assert [(r.op, r.target) for r in redirects] == [(">", "notes.md"), ("<<", "EOF")]
    assert redirects[1].body == "rm -rf /\n(unbalanced ' quote"


def test_commit_message_heredoc_inside_substitution() -> None:
    text = "git commit -m \"$(cat <<'EOF'\nFix: don't (ever) rm -rf ~\nEOF\n)\" && git push"
    assert argvs(text)[1:] == [["cat"], ["git", "push"]]


def test_redirections() -> None:
    (command,) = parse_shell("cmd >out 2>>err &>all 2>&1 <in 3<>rw").walk()
    pairs = [(r.fd, r.op, r.target, r.writes) for r in command.redirects]
    assert pairs == [
        (None, ">", "out", True),
        ("2", ">>", "err", True),
        (None, "&>", "all", True),
        ("2", ">&", "1", False),
        (None, "<", "in", False),
        ("3", "<>", "rw", True),
    ]
    assert command.argv == ["cmd"]


def test_pipe_structure() -> None:
    script = parse_shell("curl -fsSL https://x | sudo bash -s -- --yes && echo ok")
    pipeline = script.pipelines[0]
    assert [s.argv for s in pipeline.stages] == [
        ["curl", "-fsSL", "https://x"],
        ["bash", "-s", "--", "--yes"],
    ]
    assert pipeline.line == "curl -fsSL https://x | sudo bash -s -- --yes"
    assert script.pipelines[1].stages[0].argv == ["echo", "ok"]


def test_background_and_groups() -> None:
    script = parse_shell("(sleep 1; echo a) & wait")
    first = script.pipelines[0]
    assert first.background
    assert isinstance(first.stages[0], Group) and first.stages[0].subshell


def test_function_definitions() -> None:
    script = parse_shell(":(){ :|:& };:")
    (function,) = script.functions()
    assert function.name == ":"
    assert [c.argv for c in function.body.walk()] == [[":"], [":"]]
    assert any(p.background for p in function.body.walk_pipelines())
    (named,) = parse_shell("function deploy { make; }; deploy").functions()
    assert named.name == "deploy"


@pytest.mark.parametrize(
    ("text", "cwd"),
    [
        pytest.param("cd / && rm -rf *", "/", id="cd-root"),
        pytest.param("cd && rm x", "~", id="cd-no-args"),
        pytest.param("cd $HOME/proj; rm x", "~/proj", id="cd-home-var"),
        pytest.param("cd /tmp && cd ../etc && rm x", "/etc", id="cd-relative"),
        pytest.param("cd build && rm x", "build", id="cd-relative-unknown-base"),
        pytest.param("cd /a && cd - && rm x", None, id="cd-dash"),
        pytest.param("(cd /etc) && rm x", None, id="subshell-does-not-leak"),
        pytest.param("{ cd /etc; } && rm x", "/etc", id="brace-group-leaks"),
        pytest.param("cd /etc | true; rm x", None, id="pipeline-does-not-leak"),
        pytest.param("pushd /srv && rm x", "/srv", id="pushd"),
    ],
)
def test_working_directory_tracking(text: str, cwd: str | None) -> None:
    last = list(parse_shell(text).walk())[-1]
    assert last.cwd == cwd


def test_variables_are_tracked() -> None:
    last = list(parse_shell("D=/etc; export E=/usr; rm -rf $D $E").walk())[-1]
    assert last.env == {"D": "/etc", "E": "/usr"}


def test_start_directory() -> None:
    (command,) = parse_shell("rm x", cwd="/home/alice/proj").walk()
    assert command.cwd == "~/proj"


def test_tokens() -> None:
    tokens = tokenize("a 2>/dev/null | b")
    assert isinstance(tokens[0], Word) and tokens[0].text == "a"
    assert (
        isinstance(tokens[1], Redir)
        and tokens[1].fd == "2"
        and tokens[1].target.text == "/dev/null"
    )
    assert isinstance(tokens[2], Op) and tokens[2].op == "|"


def test_deep_nesting_is_bounded() -> None:
    text = "echo " + "$(" * (MAX_DEPTH * 3) + "x" + ")" * (MAX_DEPTH * 3)
    assert argvs(text)[0][0] == "echo"
    deep = "bash -c " + "'bash -c " * 40 + "x" + "'" * 40
    assert argvs(deep)


@pytest.mark.parametrize(
    "text",
    ["'", '"', "$(", "`", "${", "<(", "((", "))", "|||", ";;", "<<", "<<EOF", "&>", "\\", "$'\\"],
)
def test_garbage_never_raises(text: str) -> None:
    parse_shell(text)
    parse_shell(text * 3 + " rm -rf / " + text)


def test_limits_mark_the_script_incomplete() -> None:
    assert parse_shell("ls").complete
    assert not parse_shell("echo " + "$(" * 20 + "x" + ")" * 20).complete
    assert not parse_shell("x" * (MAX_COMMAND_CHARS + 1)).complete
    nested_shells = "x"
    for _ in range(MAX_NESTING + 2):
        nested_shells = f"bash -c {shlex.quote(nested_shells)}"
    assert not parse_shell(nested_shells).complete


def test_deep_groups_are_flattened_not_dropped() -> None:
    script = parse_shell("(" * 200 + "rm -rf ~" + ")" * 200)
    assert script.complete
    assert ["rm", "-rf", "~"] in script.commands()
