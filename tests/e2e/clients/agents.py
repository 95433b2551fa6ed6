"""How each agent CLI is pointed at the gateway and run once, non-interactively.

Each run gets a fresh `home` (the CLI's own config and state) and `workdir` (where the agent's
tools run) and a minimal environment: PATH, HOME, the base URL, key and model variables of the
client's wire format, and the switches that keep the CLI quiet and non-interactive. Nothing
from the developer's own environment (real provider keys, proxies, configs) leaks in.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

RUN_TIMEOUT_S = 120.0
# Codex takes a custom provider from its config (`-c` overrides): the base URL inline, the key
# from the variable named by `env_key`; no retries, so a refused call fails at once.
CODEX_PROVIDER = (
    'model_providers.luthien={{name="Luthien",base_url="{base_url}",env_key="LUTHIEN_API_KEY",'
    'wire_api="responses",request_max_retries=0,stream_max_retries=0}}'
)


@dataclass(frozen=True, slots=True)
class AgentRun:
    """One finished run: exit status, output, wall time."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        """The run as text for assertion messages."""
        return (
            f"exit {self.returncode} after {self.seconds:.1f}s\n"
            f"--- stdout ---\n{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-3000:]}"
        )


@dataclass(frozen=True, slots=True)
class AgentCli:
    """A client: how to build its command line and environment."""

    name: str

    def command(self, binary: Path, *, prompt: str, model: str, base_url: str) -> list[str]:
        """The argv of a one-shot run with every tool auto-approved."""
        if self.name == "claude-code":
            return [str(binary), "-p", prompt, "--model", model, "--dangerously-skip-permissions"]
        if self.name == "qwen-code":
            return [str(binary), "--auth-type", "openai", "--model", model, "--yolo", prompt]
        if self.name == "codex":
            return [
                str(binary), "exec", "--skip-git-repo-check", "--ephemeral",
                "--dangerously-bypass-approvals-and-sandbox", "--model", model,
                "-c", "model_provider=luthien",
                "-c", CODEX_PROVIDER.format(base_url=base_url + "/v1"), prompt,
            ]  # fmt: skip
        raise ValueError(f"unknown client {self.name!r}")

    def environment(self, *, base_url: str, key: str, model: str, home: Path) -> dict[str, str]:
        """The client's variables pointing it at `base_url` (the gateway's root URL)."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "NO_COLOR": "1",
        }
        if self.name == "claude-code":
            env.update(
                ANTHROPIC_BASE_URL=base_url,
                ANTHROPIC_API_KEY=key,
                CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
                IS_SANDBOX="1",
            )
        elif self.name == "codex":
            env.update(LUTHIEN_API_KEY=key)
        elif self.name == "qwen-code":
            env.update(
                OPENAI_BASE_URL=base_url + "/v1",
                OPENAI_API_KEY=key,
                OPENAI_MODEL=model,
                QWEN_CODE_SUPPRESS_YOLO_WARNING="1",
            )
        return env

    def prepare_home(self, home: Path) -> None:
        """Settings that stop update checks and usage statistics (no such traffic in tests)."""
        if self.name == "qwen-code":
            settings = {
                "general": {"enableAutoUpdate": False},
                "privacy": {"usageStatisticsEnabled": False},
            }
            (home / ".qwen").mkdir(parents=True, exist_ok=True)
            (home / ".qwen" / "settings.json").write_text(json.dumps(settings))


CLAUDE = AgentCli("claude-code")
QWEN = AgentCli("qwen-code")
CODEX = AgentCli("codex")


def run_agent(
    cli: AgentCli,
    binary: Path,
    *,
    base_url: str,
    key: str,
    model: str,
    prompt: str,
    home: Path,
    workdir: Path,
) -> AgentRun:
    """Run the CLI once in `workdir` and wait for it to exit (killed after `RUN_TIMEOUT_S`)."""
    home.mkdir(parents=True, exist_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    cli.prepare_home(home)
    started = time.monotonic()
    process = subprocess.Popen(
        cli.command(binary, prompt=prompt, model=model, base_url=base_url),
        cwd=workdir,
        env=cli.environment(base_url=base_url, key=key, model=model, home=home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: whatever it spawned can be ended
    )
    try:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        stderr += f"\n[killed after {RUN_TIMEOUT_S:.0f}s]"
    finally:
        _kill_group(process)
    return AgentRun(process.returncode, stdout, stderr, time.monotonic() - started)


def _kill_group(process: subprocess.Popen[str]) -> None:
    """End the run's process group (the CLI and anything it left running)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=10)
