"""Rule presets that need no LLM: structural analysis of shell commands, paths and URLs.

Plain Python (no Django), shared by the `block-*` built-in policies:

- `shell`: parse a command line into simple commands (argv lists), pipelines and the commands
  run indirectly (`bash -c`, `$( … )`, `eval`, `find -exec`, `sudo`/`env`/`xargs` wrappers…),
  normalised by `shell_normalise` (literal variables, constant substitutions, decoders);
- `paths`, `globs`, `sensitive`, `secrets`: normalise paths; protected-path globs; secrets;
- `urls`: hosts of URLs and of network commands; host allow-lists;
- `taxonomy`: the threat categories; `dangerous`: the dangerous-command rules (`danger_*`,
  `danger_code` + `code_paths` for inline interpreter programs); `writes`: files a command
  writes;
- `toolcalls`: shell commands, paths and URLs in tool-call arguments.
"""

from policies.rules.dangerous import RULES, DangerOptions, find_dangers, pattern_findings
from policies.rules.findings import Finding
from policies.rules.globs import GlobSet, compile_glob
from policies.rules.paths import is_system_path, normalize
from policies.rules.sensitive import (
    PATH_RULES,
    is_credential_file,
    is_git_internal,
    is_shell_profile,
    sensitive_rule,
)
from policies.rules.shell import Pipeline, Script, SimpleCommand, parse_shell, simple_commands
from policies.rules.urls import HostMatcher, command_hosts, host_of, urls_in_text
from policies.rules.writes import patch_paths, written_paths

__all__ = [
    "PATH_RULES",
    "RULES",
    "DangerOptions",
    "Finding",
    "GlobSet",
    "HostMatcher",
    "Pipeline",
    "Script",
    "SimpleCommand",
    "command_hosts",
    "compile_glob",
    "find_dangers",
    "host_of",
    "is_credential_file",
    "is_git_internal",
    "is_shell_profile",
    "is_system_path",
    "normalize",
    "parse_shell",
    "patch_paths",
    "pattern_findings",
    "sensitive_rule",
    "simple_commands",
    "urls_in_text",
    "written_paths",
]
