"""The agent CLIs the real-client suite runs, pinned to exact npm versions (one place).

Bump a version here, run `make test` (the suite installs it into the npm cache on first use),
and re-capture the fixtures (`LUTHIEN_CAPTURE_CLIENTS=1`, see `tests/e2e/clients/README.md`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NpmCli:
    """An npm package that provides a command-line program."""

    package: str
    version: str
    binary: str

    @property
    def spec(self) -> str:
        """`package@version`, as npm takes it."""
        return f"{self.package}@{self.version}"

    @property
    def folder(self) -> str:
        """The cache sub-folder of this exact version (no slashes or `@`)."""
        return self.spec.lstrip("@").replace("/", "+").replace("@", "-")


CLAUDE_CODE = NpmCli("@anthropic-ai/claude-code", "2.1.332", "claude")
QWEN_CODE = NpmCli("@qwen-code/qwen-code", "0.24.4", "qwen")
CODEX = NpmCli("@openai/codex", "0.171.0", "codex")

PINNED: dict[str, NpmCli] = {"claude-code": CLAUDE_CODE, "qwen-code": QWEN_CODE, "codex": CODEX}
