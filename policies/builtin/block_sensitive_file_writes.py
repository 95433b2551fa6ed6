"""`block-sensitive-file-writes`: blocks writes to keys, credentials, shell profiles, `.git`
internals and system paths, from file-editing tools and from shell commands.

No LLM: file tools are read by their path argument (and `apply_patch` by the paths in its
patch); shell commands are parsed and their written files found structurally
(`policies.rules.writes`): `>`/`>>`, `tee`, `cp`/`mv`/`install`/`ln` destinations, `sed -i`,
`chmod`/`chown`, … Reading (`cat ~/.ssh/id_rsa.pub`, the Read tool) is never blocked.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from policies.base import PolicyConfigSchema
from policies.preset import PresetConfig, RulePresetPolicy
from policies.registry import register
from policies.rules.findings import Finding, incomplete_finding
from policies.rules.globs import GlobSet
from policies.rules.paths import normalize
from policies.rules.sensitive import sensitive_rule
from policies.rules.shell import parse_shell
from policies.rules.toolcalls import (
    DEFAULT_SHELL_TOOLS,
    ToolNames,
    call_arguments,
    path_values,
    shell_commands,
    tool_keys,
)
from policies.rules.writes import patch_paths, written_paths
from wire.neutral import ToolCallBlock

DEFAULT_FILE_TOOLS = (
    "Write", "Edit", "MultiEdit", "NotebookEdit", "str_replace_based_edit_tool",
    "str_replace_editor", "apply_patch", "write_file", "edit_file", "create_file",
    "write_to_file", "replace_in_file", "insert_edit_into_file", "edit_notebook",
)  # fmt: skip
DEFAULT_PATH_FIELDS = (
    "file_path", "path", "filename", "notebook_path", "target_file", "file", "filepath",
    "target_path", "destination", "new_path",
)  # fmt: skip
_READ_ACTIONS = frozenset({"view", "read", "list", "show"})
_PATCH_FIELDS = ("patch", "input", "diff", "content")


@register
class BlockSensitiveFileWritesPolicy(RulePresetPolicy):
    """Blocks file writes and edits to secrets (SSH keys, `.env`, cloud credentials), shell
    start-up files, `.git` internals and system paths; reads pass."""

    name = "block-sensitive-file-writes"
    description = (
        "Block writes to keys and credentials (~/.ssh, *.pem, .env, ~/.aws/credentials, …), "
        "shell profiles (.bashrc, .zshrc), .git internals and system paths, from file tools "
        "and shell commands; reads are allowed. No LLM."
    )
    example_config = {
        "patterns": ["**/secrets/**", "*.tfstate"],
        "allow": ["tests/fixtures/**/*.pem"],
    }

    class Config(PresetConfig):
        """Extra protected paths, exceptions, and which tools and fields to read."""

        patterns: list[str] = Field(
            default_factory=list,
            description="Extra glob patterns of protected paths (`*.tfstate`, `**/secrets/**`, "
            "`~/.config/app/**`). No `/`: matches the file name anywhere; leading `/` or `~/`: "
            "the whole path; otherwise from any directory. `**` crosses directories.",
        )
        allow: list[str] = Field(
            default_factory=list,
            description="Glob patterns of paths that are always fine to write, even when a "
            "built-in rule or `patterns` matches (e.g. `.env.test`, `tests/fixtures/*.pem`).",
        )
        tool_names: list[str] = Field(
            default_factory=lambda: list(DEFAULT_FILE_TOOLS),
            description="File-writing tools, matched case-insensitively (also as the last "
            "part of `mcp__server__tool`). `str_replace_based_edit_tool` `view` calls are reads.",
        )
        path_fields: list[str] = Field(
            default_factory=lambda: list(DEFAULT_PATH_FIELDS),
            description="Argument fields of file tools that hold the written path (top level "
            "or one level down, e.g. `edits[].path`).",
        )
        shell_tool_names: list[str] = Field(
            default_factory=lambda: list(DEFAULT_SHELL_TOOLS),
            description="Shell tools whose commands are checked for writes (tools with a "
            "`command`/`cmd` string or `argv` list are checked whatever their name).",
        )

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, BlockSensitiveFileWritesPolicy.Config)
        self.patterns = GlobSet(self.config.patterns)
        self.allow = GlobSet(self.config.allow)
        self.file_tools = ToolNames(self.config.tool_names)
        self.shell_tools = ToolNames(self.config.shell_tool_names)
        self.path_fields = tuple(self.config.path_fields)

    def check(self, call: ToolCallBlock) -> Finding | None:
        """The first protected path the call writes, as a finding; None when there is none."""
        paths: list[str] = []
        if call.name in self.file_tools:
            paths += [normalize(p) for p in self.tool_paths(call)]
        for text, cwd in shell_commands(call, self.shell_tools):
            script = parse_shell(text, cwd=cwd)
            unchecked = incomplete_finding(script)
            if unchecked is not None:
                return unchecked
            for command in script.walk():
                paths += [
                    normalize(p, cwd=command.cwd, env=command.env) for p in written_paths(command)
                ]
        return next((f for p in paths if (f := self.classify(p)) is not None), None)

    def tool_paths(self, call: ToolCallBlock) -> list[str]:
        """Paths a file tool call writes: its path fields, or the files of its patch."""
        args: Any = call_arguments(call)
        if isinstance(args, dict):
            action = args.get("command", args.get("action"))
            if isinstance(action, str) and action.strip().lower() in _READ_ACTIONS:
                return []
            paths = path_values(args, self.path_fields)
            if tool_keys(call.name) & {"apply_patch", "applypatch", "patch"}:
                for field in _PATCH_FIELDS:
                    value = args.get(field)
                    if isinstance(value, str):
                        paths += patch_paths(value)
            return paths
        if isinstance(args, str):
            return patch_paths(args)
        return []

    def classify(self, path: str) -> Finding | None:
        """Why writing the normalised `path` is blocked, or None (`allow` wins over all)."""
        if not path or self.allow.match(path):
            return None
        rule = sensitive_rule(path)
        if rule is not None:
            return Finding(rule.id, rule.reason, path)
        pattern = self.patterns.match(path)
        if pattern is not None:
            return Finding("custom-pattern", f"writes to a path matching {pattern!r}", path)
        return None
