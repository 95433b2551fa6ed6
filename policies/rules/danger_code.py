"""Inline interpreter programs scanned for the same categories as shell commands.

`inline_program(command)` finds the program an interpreter runs from its command line or a
here-document: `python -c`, `node -e`, `perl -e`, `ruby -e`, `php -r`, `lua -e`, an awk
program, PowerShell `-Command` / `-EncodedCommand`, and `python3 - <<EOF`. `check_code` then
reports, from the calls the code makes and the paths it names (`code_paths`):

- deletes (`shutil.rmtree`, `os.remove`, `fs.rmSync`, `FileUtils.rm_rf`, `unlink`, …) of
  home, system or parent directories, judged like `rm` (uncertain when no path is named);
- reverse shells (a socket plus a spawned shell or `dup2`), uploads of secret files, code
  fetched from the network and evaluated, decoded (base64/hex) code evaluated — decoded
  literals are analysed again, as code and as shell commands;
- risky code too long to analyse (uncertain).

Shell commands the code runs (`os.system('…')`, `subprocess.run([...])`, `execSync('…')`) are
parsed as nested scripts by `shell_wrappers` and checked by the shell rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from policies.rules.code_paths import call_arguments, fold_code, string_literals
from policies.rules.danger_files import DELETE_RULES, critical_target, resolve
from policies.rules.findings import Finding
from policies.rules.programs import (
    interpreter_code,
    is_interpreter,
    is_shell,
    positionals,
    program,
    reads_program_from_stdin,
)
from policies.rules.secrets import is_secret_path
from policies.rules.shell_model import SimpleCommand
from policies.rules.shell_normalise import decode_base64, decode_hex

MAX_CODE_CHARS = 4000  # longer risky programs are uncertain rather than guessed at
_AWK = frozenset({"awk", "gawk", "mawk", "nawk", "busybox"})

_DELETE = re.compile(
    r"\b(?:shutil\.rmtree|rmtree|remove_tree|removedirs|rm_rf|rm_r|rimraf|rmSync|rmdirSync|"
    r"unlinkSync|os\.remove|os\.unlink|os\.rmdir|fs\.rm|fs\.rmdir|fs\.unlink|fsp\.rm|"
    r"File\.delete|Dir\.delete|FileUtils\.rm|FileUtils\.remove\w*|unlink|rmdir|"
    r"Remove-Item|rm)\s*\("
    r"|\.(?:unlink|rmdir|rmtree|delete)\(\)|\bunlink\s+[\"'$]",
    re.IGNORECASE,
)
_RECURSIVE = re.compile(
    r"rmtree|remove_tree|removedirs|rm_rf|rm_r\b|rimraf|recursive|os\.walk|rglob|glob\(['\"]\*\*"
    r"|-Recurse",
    re.IGNORECASE,
)
_NETWORK = re.compile(
    r"urlopen|urllib|requests\.|httpx|http\.client|\bfetch\(|https?\.(?:get|request)\(|"
    r"require\(\s*['\"]https?['\"]\s*\)|"
    r"Net::HTTP|open-uri|URI\.open|LWP|HTTP::Tiny|file_get_contents\(\s*['\"]https?:|curl_exec|"
    r"DownloadString|WebClient|Invoke-WebRequest|\biwr\b|\birm\b|socket\.http",
    re.IGNORECASE,
)
_SOCKET = re.compile(
    r"socket\.socket|socket\(|create_connection|TCPSocket|fsockopen|IO::Socket|net\.Socket|"
    r"net\.connect|createConnection|socket\.tcp|/inet/(?:tcp|udp)/|\bztcp\b|Sockets\.TCPClient",
    re.IGNORECASE,
)
_SPAWN_SHELL = re.compile(
    r"dup2|pty\.spawn|/bin/(?:ba|z|da)?sh\b|\bsh\s+-i\b|\bbash\s+-i\b|cmd\.exe|os\.execute|"
    r"shell_exec|proc_open|passthru|\bexec\s+sprintf|popen2|stdio:\s*\[|\.pipe\(\s*\w+\.std",
    re.IGNORECASE,
)
_EVAL = re.compile(
    r"\b(?:exec|eval|execfile|compile|loadstring|instance_eval|Invoke-Expression|iex)\s*[\(\{\"']"
    r"|\bnew\s+Function\(|\bvm\.run|\beval\s+\$",
    re.IGNORECASE,
)
_DECODE = re.compile(
    r"b64decode|decodebytes|base64_decode|decode_base64|Buffer\.from\([^)]*(?:base64|hex)|atob\("
    r"|unpack1?\(\s*['\"]m|unhexlify|fromhex|pack\(\s*['\"]H|FromBase64String",
    re.IGNORECASE,
)
_ENV_DUMP = re.compile(
    r"dict\(\s*os\.environ\s*\)|os\.environ\.copy\(|json\.dumps\(\s*os\.environ|"
    r"JSON\.stringify\(\s*process\.env\s*\)|ENV\.to_h|%ENV\b|getenv\(\s*\)"
)
_LOCAL_HOST = re.compile(r"^(?:localhost|127\.\d+\.\d+\.\d+|::1|0\.0\.0\.0)$")
_HOST_LITERAL = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z0-9-]+$|^\d+\.\d+\.\d+\.\d+$", re.IGNORECASE)
_BASE64ISH = re.compile(r"^[A-Za-z0-9+/=_-]{8,}$|^(?:[0-9a-fA-F]{2}){4,}$")

ShellCheck = Callable[[str], list[Finding]]


@dataclass(frozen=True, slots=True)
class Program:
    """The inline program of an interpreter: its language, its text, and whether the text was
    hidden in an encoding on the command line (`powershell -EncodedCommand`)."""

    language: str
    code: str
    decoded: bool = False


def inline_program(command: SimpleCommand) -> Program | None:
    """The program `command` runs as text, if it is an interpreter given one (see module)."""
    argv, name = command.argv, command.name
    if not argv:
        return None
    low = name.lower()
    if low in ("powershell", "pwsh"):
        return _powershell(argv[1:])
    if name in _AWK:
        words = positionals(argv[1:], {"-f", "-v", "-F"}, stop_at_first=True)
        return Program("awk", words[0]) if words and not {"-f"} & set(argv) else None
    code = interpreter_code(argv)
    if code is None and name == "lua" and "-e" in argv[:-1]:
        code = argv[argv.index("-e") + 1]
    stdin_program = is_interpreter(name) and not is_shell(name) and reads_program_from_stdin(argv)
    if code is None and stdin_program:
        bodies = [r.body for r in command.redirects if r.body is not None]
        code = "\n".join(bodies) or None
    return Program(program(name), code) if code else None


def _powershell(args: list[str]) -> Program | None:
    for index, arg in enumerate(args[:-1]):
        if arg.lower() in ("-encodedcommand", "-enc", "-ec", "-e"):
            text = decode_base64(args[index + 1])
            return Program("powershell", text, decoded=True) if text else None
        if arg.lower() in ("-command", "-c"):
            return Program("powershell", " ".join(args[index + 1 :]))
    return None


def check_code(command: SimpleCommand, shell_check: ShellCheck) -> Iterator[Finding]:
    """Findings about the inline program of `command` (see the module docstring)."""
    program_ = inline_program(command)
    if program_ is None:
        return
    yield from code_findings(program_, command, shell_check, depth=0)


def code_findings(
    program_: Program, command: SimpleCommand, shell_check: ShellCheck, *, depth: int
) -> Iterator[Finding]:
    """Findings about one program (recursing once into decoded literals)."""
    code, language, line = program_.code, program_.language, command.raw_line
    folded = fold_code(code)
    if _SOCKET.search(code) and _SPAWN_SHELL.search(code) and not _only_local(code):
        yield Finding("reverse-shell", f"inline {language} code connects a shell to a socket", line)
        return
    network = bool(_NETWORK.search(code) or _SOCKET.search(code))
    secrets = [p for p in string_literals(code) if is_secret_path(resolve(command, p))]
    if network and secrets:
        reason = f"inline {language} code sends {secrets[0]} over the network"
        yield Finding("exfil-upload", reason, line)
    elif network and _ENV_DUMP.search(code):
        reason = f"inline {language} code sends the environment over the network"
        yield Finding("exfil-upload", reason, line)
    if _EVAL.search(code) and _NETWORK.search(code):
        yield Finding("download-exec", f"inline {language} code runs code it downloads", line)
    yield from _delete_findings(folded, language, command)
    if _DECODE.search(code) or program_.decoded:
        yield from _decoded_findings(program_, command, shell_check, depth)
    if len(code) > MAX_CODE_CHARS and (network or _DELETE.search(code) or _EVAL.search(code)):
        reason = f"the inline {language} program is too long to analyse ({len(code)} characters)"
        yield Finding("code-too-long", reason, line[:200], uncertain=True)


def _only_local(code: str) -> bool:
    hosts = [s for s in string_literals(code) if _HOST_LITERAL.match(s)]
    return bool(hosts) and all(_LOCAL_HOST.match(h) for h in hosts)


def _delete_findings(folded: str, language: str, command: SimpleCommand) -> Iterator[Finding]:
    if not _DELETE.search(folded):
        return
    arguments = [a for a in call_arguments(folded, _DELETE) if a.strip()]
    paths = [p for a in arguments for p in string_literals(a)] or string_literals(folded)
    if not paths:
        reason = f"inline {language} code deletes a path it computes at run time"
        yield Finding("code-unknown-target", reason, command.raw_line, uncertain=True)
        return
    recursive = bool(_RECURSIVE.search(folded))
    for path in paths:
        target = critical_target(resolve(command, path))
        if target is None or (not recursive and target.kind not in ("system", "secret")):
            continue
        kind = "recursive delete" if recursive else "delete"
        reason = f"inline {language} code: {kind} of {target.text}"
        yield Finding(DELETE_RULES[target.kind], reason, command.raw_line)
        return


def _decoded_findings(
    program_: Program, command: SimpleCommand, shell_check: ShellCheck, depth: int
) -> Iterator[Finding]:
    """Decode the encoded literals (or the whole decoded program) and analyse them."""
    runs = bool(_EVAL.search(program_.code) or re.search(r"system|popen|exec", program_.code))
    texts = [program_.code] if program_.decoded else _decoded_literals(program_.code)
    found: list[Finding] = []
    for text in texts:
        found += shell_check(text)
        if depth < 1:
            inner = Program(program_.language, text)
            found += code_findings(inner, command, shell_check, depth=depth + 1)
    certain = [f for f in found if not f.uncertain]
    if certain:
        first = certain[0]
        reason = f"hidden (encoded) code: {first.reason}"
        yield Finding(first.rule, reason, command.raw_line, category=first.category)
    elif runs or program_.decoded:
        reason = f"inline {program_.language} code runs decoded (hidden) code"
        if texts:
            yield Finding("hidden-code", f"{reason}: {texts[0][:120]!r}", command.raw_line,
                          uncertain=True)  # fmt: skip
        else:
            yield Finding("decode-exec", reason, command.raw_line)


def _decoded_literals(code: str) -> list[str]:
    texts: list[str] = []
    for literal in string_literals(code):
        if not _BASE64ISH.match(literal):
            continue
        text = decode_base64(literal) or decode_hex(literal)
        if text and len(text) >= 2:
            texts.append(text)
    return texts
