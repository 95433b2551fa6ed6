"""Install pinned npm CLIs into a cache folder outside git, once per version.

The cache is `$LUTHIEN_NPM_CACHE` (default `~/.cache/luthien-e2e/npm`); each version gets its
own folder `<cache>/<package>-<version>/`, filled by `npm install --prefix` into a temporary
sibling that is renamed into place only when complete, so an interrupted or concurrent install
never leaves a half-filled folder behind. A folder whose program exists is reused as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.e2e.clients.versions import NpmCli

INSTALL_TIMEOUT_S = 600.0
DEFAULT_CACHE = Path.home() / ".cache" / "luthien-e2e" / "npm"


class NpmUnavailable(RuntimeError):
    """npm is missing, or the registry could not deliver the package."""


def npm_cache() -> Path:
    """The cache folder (`LUTHIEN_NPM_CACHE`, else `~/.cache/luthien-e2e/npm`)."""
    configured = os.environ.get("LUTHIEN_NPM_CACHE", "").strip()
    return Path(configured).expanduser() if configured else DEFAULT_CACHE


def installed_binary(cli: NpmCli, cache: Path) -> Path:
    """Where the program of `cli` lives once installed."""
    return cache / cli.folder / "node_modules" / ".bin" / cli.binary


def npm_install(cli: NpmCli, cache: Path | None = None) -> Path:
    """The program of `cli`, installed first if absent; raises `NpmUnavailable`."""
    cache = cache or npm_cache()
    binary = installed_binary(cli, cache)
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise NpmUnavailable("npm is not on PATH (install Node.js and npm)")
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{cli.folder}.", dir=cache))
    try:
        _run_npm(npm, cli, staging)
        if not (staging / "node_modules" / ".bin" / cli.binary).exists():
            raise NpmUnavailable(f"{cli.spec} installed no `{cli.binary}` program")
        try:
            staging.rename(cache / cli.folder)
        except OSError:
            if not binary.exists():  # another process won the race only if it finished
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return binary


def _run_npm(npm: str, cli: NpmCli, prefix: Path) -> None:
    command = [
        npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--no-save",
        "--loglevel=error", cli.spec,
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise NpmUnavailable(
            f"`npm install {cli.spec}` took over {INSTALL_TIMEOUT_S:.0f}s"
        ) from error
    if done.returncode != 0:
        raise NpmUnavailable(f"`npm install {cli.spec}` failed:\n{done.stderr[-2000:]}")
