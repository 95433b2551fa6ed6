"""The docs keep up with the code: every policy, config field and setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policies.registry import registry

ROOT = Path(__file__).resolve().parent.parent
SETTING_READ = re.compile(r'(?:env\.\w+|_env_str)\(\s*"([A-Z0-9_]+)"')


def settings_read() -> set[str]:
    return set(SETTING_READ.findall((ROOT / "luthien_site" / "settings.py").read_text()))


def test_every_setting_is_in_env_example_and_readme() -> None:
    env_example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    names = settings_read() - {"LUTHIEN_ALLOW_DEV_SECRET", "LUTHIEN_REQUIRE_SERVICES"}
    assert "LUTHIEN_MAX_BODY_BYTES" in names  # the parser finds settings at all
    missing_env = sorted(n for n in names if not re.search(rf"^#? ?{n}=", env_example, re.M))
    missing_readme = sorted(n for n in names if f"`{n}`" not in readme)
    assert missing_env == [], "settings missing from .env.example"
    assert missing_readme == [], "settings missing from the README table"


def _policy_section(doc: str, name: str) -> str:
    match = re.search(rf"^### `{re.escape(name)}`\n(.*?)(?=^### |\Z)", doc, re.M | re.S)
    assert match, f"docs/policies.md has no section '### `{name}`'"
    return match.group(1)


@pytest.mark.parametrize("name", registry().names())
def test_every_policy_and_config_field_is_documented(name: str) -> None:
    section = _policy_section((ROOT / "docs" / "policies.md").read_text(), name)
    fields = registry().get(name).Config.model_fields
    missing = sorted(f for f in fields if f"`{f}`" not in section)
    assert missing == [], f"policy {name}: config fields not documented"
