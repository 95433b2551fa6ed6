"""Which secret paths a tool call touches: file tools' path fields and shell command words.

For the `taint` trajectory rule: a call that names a secret path (`policies.rules.secrets`:
SSH private keys, `.env`, cloud credentials, shell history, …) in a path field, or a shell
command with such a path as an argument or redirection, is taken to have read it. This is
deliberately broad (an `rm .env` counts too): taint errs towards caution.
"""

from __future__ import annotations

from policies.rules.globs import GlobSet
from policies.rules.paths import normalize
from policies.rules.secrets import is_secret_path
from policies.rules.shell import parse_shell
from policies.rules.toolcalls import ToolNames, call_arguments, path_values, shell_commands
from wire.neutral import ToolCallBlock

PATH_FIELDS = (
    "file_path", "path", "paths", "filename", "notebook_path", "target_file", "file", "filepath",
    "absolute_path", "source", "pattern_path", "directory", "dir",
)  # fmt: skip


def secret_path_in_call(
    call: ToolCallBlock, shell_tools: ToolNames, extra: GlobSet | None = None
) -> str | None:
    """The first secret path the call names (normalised), or None."""

    def secret(path: str) -> bool:
        return is_secret_path(path) or (extra is not None and extra.match(path) is not None)

    for raw in path_values(call_arguments(call), PATH_FIELDS):
        path = normalize(raw)
        if secret(path):
            return path
    for text, cwd in shell_commands(call, shell_tools):
        for command in parse_shell(text, cwd=cwd).walk():
            words = [*command.args, *(r.target for r in command.redirects if r.target)]
            for word in words:
                if word.startswith("-") and "=" not in word:
                    continue
                value = word.split("=", 1)[1] if word.startswith("-") else word
                path = normalize(value, cwd=command.cwd, env=command.env)
                if secret(path):
                    return path
    return None
