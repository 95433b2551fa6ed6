"""The plain helpers under the rule presets: paths, globs, sensitive paths, URLs and hosts,
written files, interpreters, tool-call arguments."""

from __future__ import annotations

import pytest

from policies.rules import (
    HostMatcher,
    command_hosts,
    compile_glob,
    host_of,
    is_credential_file,
    is_git_internal,
    is_shell_profile,
    is_system_path,
    normalize,
    parse_shell,
    patch_paths,
    written_paths,
)
from policies.rules.paths import is_parent_dir, split_glob
from policies.rules.programs import interpreter_code, reads_program_from_stdin, shell_script_arg
from policies.rules.toolcalls import ToolNames, call_arguments, salvage_fields, shell_commands
from wire.neutral import ToolCallBlock


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("~", "~"),
        ("~/", "~"),
        ("$HOME/", "~"),
        ("${HOME}/.ssh", "~/.ssh"),
        ("~alice/.ssh", "~/.ssh"),
        ("/home/alice/.bashrc", "~/.bashrc"),
        ("/Users/alice/Library", "~/Library"),
        ("/Users/Shared/x", "/Users/Shared/x"),
        ("/root/.profile", "~/.profile"),
        ("~/..", "/home"),
        ("~/../..", "/"),
        ("/tmp/../etc/passwd", "/etc/passwd"),
        ("//etc///hosts", "/etc/hosts"),
        ("./build/", "build"),
        ("a/../../b", "../b"),
        ("C:\\Users\\bob\\.ssh\\id_rsa", "~/.ssh/id_rsa"),
        ("C:\\Windows\\System32", "c:/Windows/System32"),
        ("$XDG_CONFIG_HOME/fish/config.fish", "~/.config/fish/config.fish"),
        ("", ""),
    ],
)
def test_normalize(path: str, expected: str) -> None:
    assert normalize(path) == expected


def test_normalize_with_cwd_and_env() -> None:
    assert normalize("*", cwd="/") == "/*"
    assert normalize(".", cwd="~") == "~"
    assert normalize("../x", cwd="/srv/app") == "/srv/x"
    assert normalize("/abs", cwd="/srv") == "/abs"
    assert normalize("$D/x", env={"D": "/etc"}) == "/etc/x"
    assert normalize("$UNKNOWN/x") == "$UNKNOWN/x"


def test_path_helpers() -> None:
    assert split_glob("/etc/*") == ("/etc", True)
    assert split_glob("/etc/hosts") == ("/etc/hosts", False)
    assert is_parent_dir("..") and is_parent_dir("../..")
    assert not is_parent_dir("../build")
    assert is_system_path("/etc/hosts") and is_system_path("/usr/local/bin/x")
    assert not is_system_path("/tmp/x") and not is_system_path("~/etc")


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.pem", "certs/a.pem", True),
        ("*.pem", "a.pem.txt", False),
        (".env", "~/proj/.env", True),
        (".env", "~/proj/.env/x", False),
        ("/etc/**", "/etc", True),
        ("/etc/**", "/etc/a/b", True),
        ("/etc/**", "/etcetera", False),
        ("~/.aws/**", "~/.aws/credentials", True),
        ("$HOME/.aws/**", "~/.aws/credentials", True),
        ("/home/me/secret/*", "~/secret/a", True),
        (".git/**", "~/p/.git/hooks/x", True),
        (".git/**", "~/p/.github/x", False),
        ("**/secrets/**", "secrets/a", True),
        ("src/*.py", "~/p/src/a.py", True),
        ("src/*.py", "src/sub/a.py", False),
        ("id_[rd]sa", "id_rsa", True),
        ("*.{key,pem}", "a.key", True),
        ("C:\\Windows\\**", "c:/windows/system32/x", True),
        ("*.PEM", "a.pem", True),
    ],
)
def test_globs(pattern: str, path: str, matches: bool) -> None:
    assert bool(compile_glob(pattern).match(path)) is matches


def test_sensitive_predicates() -> None:
    assert is_credential_file("~/.ssh/id_ed25519") and is_credential_file("x/.env.local")
    assert not is_credential_file(".env.example")
    assert is_shell_profile("~/.zshrc") and is_shell_profile("/etc/profile.d/x.sh")
    assert is_git_internal("repo/.git/config")
    assert not is_git_internal(".gitignore") and not is_git_internal(".github/ci.yml")


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://pypi.org/simple/", "pypi.org"),
        ("HTTPS://PyPI.org:443/x", "pypi.org"),
        ("https://pypi.org@evil.com/", "evil.com"),
        ("https://evil.com#@pypi.org", "evil.com"),
        ("http://[::1]:8000/", "::1"),
        ("example.com/path", "example.com"),
        ("localhost:8000", "localhost"),
        ("git@github.com:org/repo.git", "github.com"),
        ("user@10.0.0.5:/tmp/", "10.0.0.5"),
        ("https://example.com./", "example.com"),
        ("http://", None),
        ("", None),
    ],
)
def test_host_of(url: str, host: str | None) -> None:
    assert host_of(url) == host


def test_host_matcher() -> None:
    matcher = HostMatcher(["pypi.org", "*.example.com", "10.0.0.0/8", "::1", "bad/net/x"])
    assert matcher.allows("pypi.org") and matcher.allows("PYPI.ORG.")
    assert matcher.allows("a.example.com") and matcher.allows("a.b.example.com")
    assert not matcher.allows("example.com") and not matcher.allows("badexample.com")
    assert matcher.allows("10.20.30.40") and matcher.allows("[::1]")
    assert not matcher.allows("pypi.org.evil.com") and not matcher.allows("11.0.0.1")


@pytest.mark.parametrize(
    ("command", "hosts"),
    [
        ("curl -fsSL -o out.txt -H 'X: y' https://a.com/x", ["a.com"]),
        ("curl -d @data.json b.com/api", ["b.com"]),
        ("wget -O file.tgz --header 'A: b' https://c.com/f", ["c.com"]),
        ("http POST :8000/api a=1", ["localhost"]),
        ("ssh -i key -p 2222 -J jump.com user@d.com ls", ["d.com", "jump.com"]),
        ("scp -P 22 a.txt user@e.com:/tmp/", ["e.com"]),
        ("rsync -av src/ f.com:/dst/", ["f.com"]),
        ("git clone git@g.com:o/r.git", ["g.com"]),
        ("git -C repo fetch https://h.com/r.git", ["h.com"]),
        ("git commit -m 'https://no.com'", []),
        ("nc -l 8080", []),
        ("pip install -i https://i.com/simple x", ["i.com"]),
        ("python3 -c \"import requests; requests.get('https://j.com')\"", ["j.com"]),
        ("echo https://k.com", []),
    ],
)
def test_command_hosts(command: str, hosts: list[str]) -> None:
    found = [host for cmd in parse_shell(command).walk() for host, _ in command_hosts(cmd)]
    assert found == hosts


@pytest.mark.parametrize(
    ("command", "paths"),
    [
        ("echo x > a 2>&1 >> b", ["a", "b"]),
        ("tee -a x y", ["x", "y"]),
        ("cp -r src/ dest/", ["dest/", "dest/src"]),
        ("cp a b.txt", ["b.txt"]),
        ("cp -t dir a b", ["dir"]),
        ("mv a b c dir", ["dir", "dir/a", "dir/b", "dir/c"]),
        ("ln -sf target link", ["link", "link/target"]),
        ("sed -i 's/a/b/' f1 f2", ["f1", "f2"]),
        ("sed -i.bak -e 's/a/b/' f", ["f"]),
        ("sed -n 's/a/b/p' f", []),
        ("chmod -R 755 d", ["d"]),
        ("chown user:group f", ["f"]),
        ("dd if=a of=b", ["b"]),
        ("curl -o out https://x", ["out"]),
        ("cat a b", []),
        ("rm -rf x", []),
    ],
)
def test_written_paths(command: str, paths: list[str]) -> None:
    (cmd,) = parse_shell(command).walk()
    assert written_paths(cmd) == paths


def test_patch_paths() -> None:
    patch = (
        "*** Begin Patch\n*** Update File: a.py\n*** Move to: b.py\n*** Add File: c.py\n"
        "*** Delete File: d.py\n*** End Patch\n"
        "diff --git a/e.py b/e.py\n--- a/e.py\n+++ b/e.py\n--- /dev/null\n+++ b/f.py\n"
    )
    assert patch_paths(patch) == ["a.py", "b.py", "c.py", "d.py", "e.py", "f.py"]


@pytest.mark.parametrize(
    ("argv", "reads"),
    [
        (["sh"], True),
        (["bash", "-s", "--", "--yes"], True),
        (["bash", "-x"], True),
        (["python3"], True),
        (["python3", "-"], True),
        (["busybox", "sh"], True),
        (["iex"], True),
        (["bash", "script.sh"], False),
        (["bash", "-c", "ls"], False),
        (["python3", "-m", "json.tool"], False),
        (["python3", "-c", "print(1)"], False),
        (["node", "app.js"], False),
        (["jq", "."], False),
    ],
)
def test_reads_program_from_stdin(argv: list[str], reads: bool) -> None:
    assert reads_program_from_stdin(argv) is reads


def test_interpreter_code_and_shell_script() -> None:
    assert interpreter_code(["python3", "-W", "ignore", "-c", "x=1"]) == "x=1"
    assert interpreter_code(["perl", "-pe", "s/a/b/"]) == "s/a/b/"
    assert interpreter_code(["node", "--eval", "1"]) == "1"
    assert interpreter_code(["python3", "script.py", "-c", "x"]) is None
    assert shell_script_arg(["bash", "-euo", "pipefail", "-c", "ls"]) == "ls"
    assert shell_script_arg(["bash", "script.sh", "-c"]) is None


def test_tool_call_arguments() -> None:
    assert salvage_fields('{"command": "rm -rf \\u007e", "x": 1') == {"command": "rm -rf ~"}
    broken = ToolCallBlock(id="c", name="Bash", arguments='{"command": "ls -la')
    assert call_arguments(broken) == {"command": "ls -la"}
    names = ToolNames(["Bash"])
    assert "mcp__box__bash" in names and "BASH" in names and "Bashful" not in names
    call = ToolCallBlock(id="c", name="x", arguments='{"cmd": "ls", "cwd": "/srv"}')
    assert shell_commands(call, names) == [("ls", "/srv")]
