"""Normalisation before matching: what a command means once the shell has expanded it.

Small pure functions over parsed commands; nothing is run and nothing touches the disk.

- `expand_variables(word, env)`: `$X` / `${X}` whose value an earlier command of the same script
  set literally (`X=rm; $X -rf ~`);
- `constant_output(script)` / `stream_text(stages)`: what a command or the first stages of a
  pipeline print when that is fixed by their text: `echo`, `printf`, `which`/`command -v`,
  here-documents, and decoders fed such text (`base64 -d`, `xxd -r -p`, `openssl base64 -d`,
  `rev`), so `$(echo cm0= | base64 -d)` is known to print `rm`;
- `expand_word(word, env, parse)`: both, until nothing changes;
- `normalise_command(command, parse)`: rewrite a command's words that way and peel its wrappers
  again (`$(echo sudo) $X -rf ~` runs `rm -rf ~`);
- `pipeline_feeds(pipeline, parse)`: the programs a pipeline pipes into a shell
  (`echo … | base64 -d | sh`) and the arguments it pipes into `xargs` (`echo ~ | xargs rm -rf`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from policies.rules.programs import positionals, program, reads_program_from_stdin, short_flags
from policies.rules.shell_lex import Word, matching, tokenize
from policies.rules.shell_model import Pipeline, Script, SimpleCommand
from policies.rules.shell_parse import parse_tokens
from policies.rules.shell_wrappers import resolve

Parse = Callable[[str], Script]

VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_SINGLE_EXPANSION = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\((?!\().*\)|`[^`]*`", re.DOTALL)
_ESCAPES = re.compile(r"\\(x[0-9a-fA-F]{1,2}|0[0-7]{0,3}|[0-7]{1,3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_PRINTF_SPEC = re.compile(r"%(?:%|[-+ #0]*\d*(?:\.\d+)?([sbdiouxXcq]))")
_FIND_FILTERS = frozenset({"-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-newer"})
MAX_ROUNDS = 8  # expansions of expansions (a value that names another variable, …)
MAX_OUTPUT = 100_000


@dataclass(frozen=True, slots=True)
class Output:
    """Text a command prints; `decoded` when it came out of a decoder (hidden text)."""

    text: str
    decoded: bool = False


def expand_variables(word: str, env: Mapping[str, str]) -> str:
    """`word` with every `$X` / `${X}` that `env` knows replaced by its value."""
    return VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), word)


def expand_substitutions(word: str, parse: Parse) -> Output:
    """`word` with every `$( … )` and backtick substitution of constant output replaced by it."""
    out: list[str] = []
    decoded = False
    index = 0
    while index < len(word):
        if word.startswith("$((", index):
            end = matching(word, index + 3, "(", ")", 2)
            out.append(word[index:end])
        elif word.startswith("$(", index) or word[index] == "`":
            if word[index] == "`":
                close = word.find("`", index + 1)
                end = len(word) if close < 0 else close + 1
                inner = word[index + 1 : end - 1]
            else:
                end = matching(word, index + 2, "(", ")", 1)
                inner = word[index + 2 : end - 1]
            result = constant_output(parse(inner))
            out.append(word[index:end] if result is None else result.text.rstrip("\n"))
            decoded = decoded or bool(result and result.decoded)
        else:
            end = index + 1
            out.append(word[index])
        index = end
    return Output("".join(out), decoded)


def expand_word(word: str, env: Mapping[str, str], parse: Parse) -> Output:
    """Variables and constant substitutions expanded, repeatedly (a value may hold more)."""
    decoded = False
    for _ in range(MAX_ROUNDS):
        expanded = expand_variables(word, env) if "$" in word else word
        if "$(" in expanded or "`" in expanded:
            result = expand_substitutions(expanded, parse)
            expanded, decoded = result.text, decoded or result.decoded
        if expanded == word or len(expanded) > MAX_OUTPUT:
            break
        word = expanded
    return Output(word, decoded)


def normalise_command(command: SimpleCommand, parse: Parse) -> bool:
    """Rewrite `command.words` with expansions (an unquoted whole-word expansion splits on
    blanks), then peel wrappers again and parse substitutions the expansion brought in.
    Returns whether anything changed."""
    if not any("$" in w or "`" in w for w in command.words):
        return False
    words: list[str] = []
    quoted: list[bool] = []
    decoded = False
    for index, word in enumerate(command.words):
        result = expand_word(word, command.env, parse)
        decoded = decoded or result.decoded
        was_quoted = index < len(command.quoted) and command.quoted[index]
        if result.text != word and not was_quoted and _SINGLE_EXPANSION.fullmatch(word):
            split = split_words(result.text)
            words += split
            quoted += [False] * len(split)
        else:
            words.append(result.text)
            quoted.append(was_quoted)
    if words == command.words:
        return False
    before = " ".join(command.words)
    command.words, command.quoted = words, quoted
    command.decoded = command.decoded or decoded
    command.wrappers = []
    resolve(command, parse)
    for word in words:
        if ("$(" in word or "`" in word) and word not in before:
            command.substitutions += _substitutions(word)
    return True


def split_words(text: str) -> list[str]:
    """Field splitting of an unquoted expansion: on blanks, keeping `$( … )` whole."""
    return [token.text for token in tokenize(text) if isinstance(token, Word)]


def _substitutions(word: str) -> list[Script]:
    scripts: list[Script] = []
    for token in tokenize(word):
        if isinstance(token, Word):
            scripts += [parse_tokens(sub, depth=1) for sub in token.subs]
    return scripts


# --- constant output ---------------------------------------------------------------------------


def constant_output(script: Script) -> Output | None:
    """What `script` prints when its text alone decides it (one pipeline of `echo`, `printf`,
    `which`, here-documents and decoders); None otherwise."""
    if len(script.pipelines) != 1:
        return None
    stages = script.pipelines[0].stages
    if not all(isinstance(stage, SimpleCommand) for stage in stages):
        return None
    return stream_text([s for s in stages if isinstance(s, SimpleCommand)])


def stream_text(commands: list[SimpleCommand]) -> Output | None:
    """What the pipeline `commands` writes to its standard output, when constant."""
    output: Output | None = None
    for index, command in enumerate(commands):
        output = source_text(command) if index == 0 else transform(command, output)
        if output is None or len(output.text) > MAX_OUTPUT:
            return None
    return output


def source_text(command: SimpleCommand) -> Output | None:
    """Output of a command that reads nothing: `echo`, `printf`, `which x`, `cat <<EOF`, and a
    decoder reading a here-string (`base64 -d <<< …`)."""
    name, args = command.name, command.args
    bodies = [r.body for r in command.redirects if r.body is not None]
    decoded = command.decoded
    if name == "echo":
        return Output(_echo(args), decoded)
    if name == "printf" and args:
        return Output(_printf(args[0], args[1:]), decoded)
    if name == "which" or command.words[:2] in (["command", "-v"], ["command", "-V"]):
        words = positionals(command.words[1:])
        return Output(program(words[0]), decoded) if words else None
    if bodies and name == "cat" and not args:
        return Output("\n".join(bodies), decoded)
    if bodies:
        return transform(command, Output(bodies[0], decoded))
    return None


def transform(command: SimpleCommand, data: Output | None) -> Output | None:
    """What a filter makes of constant input: decoders decode, `rev` reverses, `tee` and a bare
    `cat` pass it on; anything else is not constant."""
    if data is None:
        return None
    name, args = command.name, command.args
    if name in ("tee", "cat") and (name == "tee" or not args):
        return data
    if name == "rev":
        return Output("\n".join(line[::-1] for line in data.text.split("\n")), True)
    if _decodes_base64(name, args):
        text = decode_base64(data.text)
    elif name == "xxd" and "r" in short_flags(args):
        text = decode_hex(data.text)
    else:
        return None
    return None if text is None else Output(text, True)


def _decodes_base64(name: str, args: list[str]) -> bool:
    if name in ("base64", "gbase64"):
        return bool({"d", "D"} & short_flags(args)) or "--decode" in args
    return name == "openssl" and args[:1] in (["base64"], ["enc"]) and "-d" in args


def decode_base64(text: str) -> str | None:
    """Base64 (standard or URL-safe, whitespace ignored) as UTF-8 or UTF-16LE text, or None."""
    compact = "".join(text.split())
    if not compact:
        return None
    compact += "=" * (-len(compact) % 4)
    try:
        raw = base64.b64decode(compact.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decode_bytes(raw)


def decode_hex(text: str) -> str | None:
    """Plain hex digits (`xxd -p` form) as text, or None."""
    compact = "".join(text.split())
    try:
        return decode_bytes(bytes.fromhex(compact))
    except ValueError:
        return None


def decode_bytes(raw: bytes) -> str | None:
    """Bytes as text when they look like text: UTF-8, else UTF-16LE (PowerShell), else None."""
    for encoding in ("utf-8", "utf-16-le"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text and all(c.isprintable() or c in "\n\r\t" for c in text):
            return text
    return None


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "x":
            return chr(int(code[1:], 16))
        if code[0].isdigit():
            return chr(int(code[1:] or "0", 8) if code[0] == "0" else int(code, 8))
        return _SIMPLE_ESCAPES.get(code, "\\" + code)

    return _ESCAPES.sub(one, text)


def _echo(args: list[str]) -> str:
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0] or (escapes and "E" not in args[0])
        args = args[1:]
    text = " ".join(args)
    return (_unescape(text) if escapes else text) + ("\n" if newline else "")


def _printf(fmt: str, args: list[str]) -> str:
    out: list[str] = []
    remaining = list(args)
    for _ in range(len(args) + 1):

        def one(match: re.Match[str]) -> str:
            if match.group(0) == "%%":
                return "%"
            value = remaining.pop(0) if remaining else ""
            return _unescape(value) if match.group(1) == "b" else value

        out.append(_PRINTF_SPEC.sub(one, _unescape(fmt)))
        if not remaining:
            break
    return "".join(out)


# --- pipelines -----------------------------------------------------------------------------------


def pipeline_feeds(pipeline: Pipeline, parse: Parse) -> Iterator[tuple[SimpleCommand, Script]]:
    """For each stage that runs its input as a program (`sh`, `bash -s`, `python3 -`): the
    stage and the parsed program the earlier stages feed it, when constant. Stages run by
    `xargs` get the constant arguments fed to them (`echo ~ | xargs rm -rf` → `rm -rf ~`; the
    files of an unfiltered `find DIR` → `DIR/*`)."""
    stages = pipeline.stages
    for index in range(1, len(stages)):
        stage = stages[index]
        if not isinstance(stage, SimpleCommand):
            continue
        before = stages[:index]
        commands = [s for s in before if isinstance(s, SimpleCommand)]
        output = stream_text(commands) if len(commands) == len(before) else None
        if "xargs" in stage.wrappers and stage.argv:
            stage.argv += _xargs_input(output, before[-1])
        elif output is not None and reads_program_from_stdin(stage.argv):
            stage.decoded = stage.decoded or output.decoded
            yield stage, parse(output.text)


def _xargs_input(output: Output | None, previous: object) -> list[str]:
    if output is not None:
        return output.text.split()
    if isinstance(previous, SimpleCommand) and previous.name == "find":
        args = previous.args
        starts: list[str] = []
        for arg in args:
            if arg[:1] in ("-", "(", "!"):
                break
            starts.append(arg)
        if not _FIND_FILTERS & set(args):
            return [f"{start.rstrip('/') or '/'}/*" for start in starts or ["."]]
    return []


def xargs_file_input(command: SimpleCommand, parse: Parse) -> list[str]:
    """`xargs -a <(echo /etc) rm -rf`: the constant arguments read from `-a`/`--arg-file`."""
    words = command.words
    for index, word in enumerate(words[:-1]):
        if word in ("-a", "--arg-file") and words[index + 1].startswith("<("):
            inner = words[index + 1][2:-1]
            output = constant_output(parse(inner))
            return output.text.split() if output else []
    return []
