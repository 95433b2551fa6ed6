"""Remote code execution: code downloaded and run, decoded (hidden) code run.

- `curl … | sh`, `bash <(curl …)`, `sh -c "$(wget -O- …)"`, `eval "$(curl …)"`, `iwr … | iex`;
- a file downloaded earlier in the script and then run (`curl -o x … && chmod +x x && ./x`,
  `wget …/run.sh && sh run.sh`);
- decoded text run: when the text could be decoded (`shell_normalise`), what it runs is checked
  by every rule; if that finds nothing the call is *uncertain* (hidden code, harmless-looking);
  when it could not be decoded (`cat payload | base64 -d | sh`) it is blocked.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from policies.rules.danger_files import resolve
from policies.rules.findings import Finding
from policies.rules.programs import (
    interpreter_code,
    is_interpreter,
    is_shell,
    positionals,
    reads_program_from_stdin,
    shell_script_arg,
    short_flags,
    words,
)
from policies.rules.shell_model import Pipeline, Script, SimpleCommand
from policies.rules.shell_parse import parse_text
from policies.rules.urls import urls_in_text

DOWNLOADERS = words(
    "curl wget fetch http https httpie xh xhs aria2c lwp-request GET lynx w3m links iwr irm "
    "invoke-webrequest invoke-restmethod nc ncat netcat socat"
)
_NETWORK_CODE = re.compile(
    r"urlopen|urllib|requests\.(?:get|post)|httpx|http\.client|\bfetch\(|Net::HTTP|open-uri|"
    r"LWP::|DownloadString|WebClient",
    re.IGNORECASE,
)
_POWERSHELL_DOWNLOAD_EXEC = re.compile(
    r"\b(?:iex|invoke-expression)\b.*\b(?:iwr|irm|invoke-webrequest|invoke-restmethod|"
    r"downloadstring)\b|\b(?:iwr|irm|invoke-webrequest|invoke-restmethod)\b.*\|\s*(?:iex|"
    r"invoke-expression)\b",
    re.IGNORECASE | re.DOTALL,
)
_POWERSHELL_NAMES = words(
    "iex invoke-expression powershell pwsh iwr irm invoke-webrequest invoke-restmethod"
)
_CODE_RUNNERS = words("eval source . iex invoke-expression")


def is_downloader(command: SimpleCommand) -> bool:
    """Whether the command fetches data from the network (curl, wget, `python -c urlopen…`)."""
    if command.name.lower() in DOWNLOADERS or command.name in DOWNLOADERS:
        return True
    code = interpreter_code(command.argv)
    return bool(code and _NETWORK_CODE.search(code))


def is_decoder(command: SimpleCommand) -> bool:
    """Whether the command decodes or unscrambles text (`base64 -d`, `xxd -r`, `rev`)."""
    name, args = command.name, command.args
    if name in ("base64", "gbase64"):
        return bool({"d", "D"} & short_flags(args)) or "--decode" in args
    if name == "xxd":
        return "r" in short_flags(args)
    if name in ("rev", "tac"):
        return True
    return name == "openssl" and bool(args) and args[0] in ("enc", "base64") and "-d" in args


def runs_code(command: SimpleCommand) -> bool:
    """Whether the command runs text as a program (`eval`, `bash -c`, a shell reading stdin)."""
    if command.name.lower() in _CODE_RUNNERS:
        return True
    if shell_script_arg(command.argv) is not None or interpreter_code(command.argv) is not None:
        return True
    return reads_program_from_stdin(command.argv)


def check_pipelines(script: Script) -> Iterator[Finding]:
    """`curl … | sh` (download-exec) and `… | base64 -d | sh` whose text could not be decoded
    (decode-exec; decodable text is parsed and checked as a nested script instead)."""
    for pipeline in script.walk_pipelines():
        downloaded = decoded = False
        for index, stage in enumerate(pipeline.stages):
            if index and isinstance(stage, SimpleCommand):
                yield from _pipe_receiver(stage, pipeline, downloaded, decoded)
            for command in pipeline.stage_commands(index):
                downloaded = downloaded or is_downloader(command)
                decoded = decoded or is_decoder(command)


def _pipe_receiver(
    stage: SimpleCommand, pipeline: Pipeline, downloaded: bool, decoded: bool
) -> Iterator[Finding]:
    if not (downloaded or decoded) or not reads_program_from_stdin(stage.argv):
        return
    if downloaded:
        reason = f"pipes a download into {stage.name} (runs code from the internet)"
        yield Finding("download-exec", reason, pipeline.line)
    elif not stage.nested:
        reason = f"pipes decoded data into {stage.name} (runs hidden code)"
        yield Finding("decode-exec", reason, pipeline.line)


def check_package_url(command: SimpleCommand) -> Iterator[Finding]:
    """`npx https://host/pkg.tgz`, `pnpm dlx git+https://…`: running a package from a URL."""
    name, args = command.name, command.args
    runner = name in ("npx", "bunx", "pnpx") or (
        name in ("npm", "pnpm", "yarn") and args[:1] and args[0] in ("exec", "dlx", "x")
    )
    if runner and any(re.match(r"^(?:git\+)?https?://", a) for a in positionals(args)):
        yield Finding("download-exec", f"{name} runs a package fetched from a URL", command.line)


def check_run_substitution(command: SimpleCommand) -> Iterator[Finding]:
    """`bash <(curl …)`, `sh -c "$(wget -O- …)"`, `eval "$(curl …)"`, `source <(curl …)`."""
    text = _program_text(command)
    if not text or not any(mark in text for mark in ("$(", "`", "<(")):
        return
    inner = list(parse_text(text).walk())
    if any(is_downloader(c) for c in inner):
        reason = f"{command.name} runs a script fetched from the internet"
        yield Finding("download-exec", reason, command.raw_line)
    elif any(is_decoder(c) for c in inner):
        yield Finding("decode-exec", f"{command.name} runs decoded (hidden) code", command.raw_line)


def _program_text(command: SimpleCommand) -> str | None:
    """The text an interpreter runs as its program (its `-c` script, script file or stdin)."""
    argv, name = command.argv, command.name
    if name.lower() in ("eval", "source", ".", "iex", "invoke-expression"):
        return " ".join(argv[1:])
    if not is_interpreter(name):
        return None
    stdin = [r.target for r in command.redirects if r.op == "<" and r.target.startswith("<(")]
    script = shell_script_arg(argv) if is_shell(name) else interpreter_code(argv)
    if script is None:
        rest = positionals(argv[1:], {"-o", "+o", "-O", "-W", "-X"})
        script = rest[0] if rest else None
    return " ".join(filter(None, [script, *stdin])) or None


def check_powershell(script: Script) -> Iterator[Finding]:
    """`iex (iwr …)`, `iwr … | iex`, `IEX (New-Object Net.WebClient).DownloadString(…)`."""
    names = {c.name.lower() for c in script.walk()}
    if names & _POWERSHELL_NAMES and _POWERSHELL_DOWNLOAD_EXEC.search(script.source):
        yield Finding("download-exec", "runs a script fetched from the internet", script.source)


def check_download_then_run(script: Script) -> Iterator[Finding]:
    """A file downloaded earlier in the script and then run, directly or by an interpreter."""
    downloaded: set[str] = set()
    for command in script.walk():
        if is_downloader(command):
            downloaded |= {resolve(command, p) for p in download_outputs(command)}
            continue
        ran = _ran_file(command)
        if ran and resolve(command, ran) in downloaded:
            reason = f"runs {ran}, downloaded earlier in the same command"
            yield Finding("download-run", reason, command.raw_line)
            return


def download_outputs(command: SimpleCommand) -> list[str]:
    """Files a `curl`/`wget` command saves (`-o`, `-O`, `> file`, wget's default name, `-P`)."""
    name, args = command.name, command.args
    outputs = [r.target for r in command.redirects if r.op in (">", ">>") and r.target]
    urls = [u for a in args for u in urls_in_text(a)]
    names = [posixpath.basename(urlsplit(u).path) for u in urls]
    if name == "curl":
        outputs += _values(args, ("-o", "--output"))
        if "O" in short_flags(args) or "--remote-name" in args:
            outputs += names
    elif name == "wget":
        given = _values(args, ("-O", "--output-document"))
        directory = (_values(args, ("-P", "--directory-prefix")) or ["."])[0]
        outputs += given or [posixpath.join(directory, n) for n in names]
    return [o for o in outputs if o and o != "-"]


def _values(args: list[str], names: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for index, arg in enumerate(args):
        if arg in names and index + 1 < len(args):
            out.append(args[index + 1])
        elif "=" in arg and arg.split("=", 1)[0] in names:
            out.append(arg.split("=", 1)[1])
        elif len(names[0]) == 2 and re.fullmatch(rf"-[a-zA-Z]+{names[0][1]}", arg):
            out += args[index + 1 : index + 2]  # `-qO file`
        elif len(names[0]) == 2 and arg.startswith(names[0]) and len(arg) > 2 and arg[1] != "-":
            out.append(arg[2:])
    return out


def _ran_file(command: SimpleCommand) -> str | None:
    """The file a command executes: itself (`./x`, `/tmp/x`) or an interpreter's script."""
    argv = command.argv
    if not argv:
        return None
    if "/" in argv[0]:
        return argv[0]
    if command.name in (".", "source") or (is_interpreter(command.name) and not runs_code(command)):
        rest = positionals(argv[1:], {"-o", "+o", "-O", "-W", "-X", "-m"})
        return rest[0] if rest and "-m" not in argv else None
    return None


def hidden_code_finding(script: Script) -> Finding | None:
    """An uncertain finding when decoded text is run (and no rule found it dangerous)."""
    for command in script.walk():
        if command.decoded and runs_code(command):
            reason = f"{command.name} runs decoded (hidden) code"
            return Finding("hidden-code", reason, command.raw_line, uncertain=True)
    return None
