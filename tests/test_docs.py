"""The docs keep up with the code: every policy, config field, setting and module is documented."""

from __future__ import annotations

import ast
import re
from collections import Counter
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


APPS = ("wire", "policies", "gateway", "activity", "luthien_site")
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def _only_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return not body


def architecture_modules(root: Path = ROOT) -> dict[str, list[Path]]:
    """The modules `docs/architecture.md` must name, per app (paths relative to `root`): every
    `.py` file but migrations, each app's own `__init__.py` and `apps.py`, and sub-package
    `__init__.py` files that hold nothing but a docstring."""
    modules: dict[str, list[Path]] = {}
    for app in APPS:
        found = []
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root)
            if "migrations" in relative.parts or "__pycache__" in relative.parts:
                continue
            if len(relative.parts) == 2 and relative.name in {"__init__.py", "apps.py"}:
                continue
            if relative.name == "__init__.py" and _only_docstring(path):
                continue
            found.append(relative)
        modules[app] = found
    return modules


def module_stem(module: Path) -> str:
    """The name a module goes by in the doc: its file stem, or its folder for `__init__.py`."""
    return module.parent.name if module.name == "__init__.py" else module.stem


def module_folder(module: Path) -> str:
    """The folder that tells a module from another of the same stem (`http11` for
    `wire/http11/transport.py`, `policies` for `policies/preset_eval/__init__.py`)."""
    package = module.parent.parent if module.name == "__init__.py" else module.parent
    return package.name


def app_section(doc: str, app: str) -> str:
    """The doc's section of `app`: from its `## `app/`` heading to the next `## ` heading."""
    match = re.search(rf"^## `{app}/`.*?(?=^## |\Z)", doc, re.M | re.S)
    assert match, f"docs/architecture.md has no section '## `{app}/`'"
    return match.group(0)


def modules_missing(doc: str, modules: dict[str, list[Path]]) -> list[str]:
    """The modules not named in their app's section, in backticks, by stem (`pool`), file
    (`pool.py`) or with folders (`http11/pool.py`, `engine/` for a package's `__init__.py`).
    Where two modules of an app share a stem, each must be named with its folder
    (`http11/transport.py`, `mock/transport.py`)."""
    missing = []
    for app, paths in modules.items():
        section = app_section(doc, app)
        stems = Counter(module_stem(module) for module in paths)
        for module in paths:
            stem = module_stem(module)
            folder = f"{re.escape(module_folder(module))}/" if stems[stem] > 1 else ""
            name = rf"`(?:[\w.]+/)*{folder}{re.escape(stem)}(?:\.py|/)?`"
            if not re.search(name, section):
                missing.append(str(module))
    return missing


def test_every_module_is_in_the_architecture_doc() -> None:
    modules = architecture_modules()
    assert Path("wire/http11/pool.py") in modules["wire"]  # the walk finds modules at all
    assert Path("policies/engine/__init__.py") in modules["policies"]
    assert Path("gateway/management/commands/mockllm.py") in modules["gateway"]
    assert Path("gateway/apps.py") not in modules["gateway"]
    assert not any("migrations" in str(m) for ms in modules.values() for m in ms)
    assert modules_missing(ARCHITECTURE.read_text(), modules) == []


def test_the_module_check_reports_what_the_doc_lacks() -> None:
    doc = ARCHITECTURE.read_text()
    made_up = {"gateway": [Path("gateway/made_up_module.py")]}
    assert modules_missing(doc, made_up) == ["gateway/made_up_module.py"]
    # named in another app's section only: still missing from its own
    elsewhere = {"activity": [Path("activity/rate_limit.py")]}
    assert modules_missing(doc, elsewhere) == ["activity/rate_limit.py"]
    # a row taken out of the doc is noticed
    pool = {"wire": [Path("wire/http11/pool.py")]}
    assert modules_missing(doc, pool) == []
    without = doc.replace("| `pool.py` |", "| the pool |")
    assert without != doc
    assert modules_missing(without, pool) == ["wire/http11/pool.py"]
    # a package's __init__ goes by its folder's name
    assert module_stem(Path("policies/engine/__init__.py")) == "engine"
    # two modules with one stem: each needs its folder
    twins = {"wire": [Path("wire/http11/transport.py"), Path("wire/mock/transport.py")]}
    assert modules_missing(doc, twins) == []
    unqualified = doc.replace("`http11/transport.py`", "`transport.py`")
    assert unqualified != doc
    assert modules_missing(unqualified, twins) == ["wire/http11/transport.py"]


def test_architecture_prose_lines_fit_in_100_columns() -> None:
    long = [
        number
        for number, line in enumerate(ARCHITECTURE.read_text().splitlines(), 1)
        if not line.startswith("|") and len(line) > 100
    ]
    assert long == [], "lines of docs/architecture.md (tables aside) longer than 100 columns"
