"""The npm installer's cache rules (fast: npm itself is not run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.clients.npm import NpmUnavailable, installed_binary, npm_cache, npm_install
from tests.e2e.clients.versions import PINNED, NpmCli

CLI = NpmCli("@scope/some-cli", "1.2.3", "some")


def test_each_exact_version_has_its_own_folder(tmp_path: Path) -> None:
    assert installed_binary(CLI, tmp_path) == (
        tmp_path / "scope+some-cli-1.2.3" / "node_modules" / ".bin" / "some"
    )
    folders = {cli.folder for cli in PINNED.values()}
    assert len(folders) == len(PINNED) and all("/" not in f and "@" not in f for f in folders)


def test_an_installed_program_is_reused_without_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = installed_binary(CLI, tmp_path)
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert npm_install(CLI, tmp_path) == binary


def test_missing_npm_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(NpmUnavailable, match="npm is not on PATH"):
        npm_install(CLI, tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-installed left behind


def test_cache_folder_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUTHIEN_NPM_CACHE", "~/elsewhere")
    assert npm_cache() == Path.home() / "elsewhere"
    monkeypatch.setenv("LUTHIEN_NPM_CACHE", " ")
    assert npm_cache() == Path.home() / ".cache" / "luthien-e2e" / "npm"
