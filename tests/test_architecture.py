"""The import rules between the apps, checked on the source (no module is imported).

Layers, lowest first; a module may import its own app and the apps below it, never above:

    wire  <-  policies  <-  gateway  <-  activity  <-  luthien_site

Across apps only the public modules listed in `PUBLIC` may be imported (a package listed there
covers itself, not its submodules). Inside the project the module graph has no cycle, counting
imports inside functions too (they would otherwise hide one); `TYPE_CHECKING` imports and the
imports in an `AppConfig.ready` are not edges (type hints and app start-up, not load order).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("wire", "policies", "gateway", "activity", "luthien_site")
PUBLIC: dict[str, frozenset[str]] = {
    "wire": frozenset(
        {
            "wire.neutral",
            "wire.codecs",
            "wire.codecs.base",
            "wire.codecs.common",
            "wire.errors",
            "wire.routes",
            "wire.upstreams",
            "wire.translation",
            "wire.headers",
            "wire.sse",
            "wire.http_client",
            "wire.process_wide",
            "wire.egress.failures",
            "wire.egress.transports",
            "wire.mock.spec",
            "wire.mock.errors",
            "wire.mock.server",
            "wire.tracing",
        }
    ),
    "policies": frozenset(
        {
            "policies.base",
            "policies.context",
            "policies.engine",
            "policies.engine.request",
            "policies.engine.blocks",
            "policies.selection",
            "policies.runtime",
            "policies.reloader",
            "policies.api",
            "policies.api_auth",
            "policies.assignments",
            "policies.models",
            "policies.session",
            "policies.approvals.api",
            "policies.approvals.selectors",
            "policies.approvals.services",
        }
    ),
    "gateway": frozenset(
        {
            "gateway.transaction_record",
            "gateway.taps",
            "gateway.models",
            "gateway.asgi_lane",
            "gateway.api",
            "gateway.admin_api",
            "gateway.sessions",
            "gateway.metrics",
            "gateway.circuit",
            "gateway.rate_limit",
        }
    ),
    "activity": frozenset(
        {
            "activity.recorder",
            "activity.broadcast",
            "activity.audience",
            "activity.consumers",
            "activity.api",
            "activity.session_api",
        }
    ),
    "luthien_site": frozenset(),
}


@dataclass(frozen=True)
class Import:
    """One import statement: the importing module, the imported module, where, and how."""

    source: str
    target: str
    line: int
    in_function: bool


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(source: str, module: str, *, is_package: bool = False) -> Iterator[Import]:
    """Every import in `source` (the code of `module`) of a project module."""
    tree = ast.parse(source)

    def walk(node: ast.AST, in_function: bool, in_ready: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if not in_ready:
                        yield Import(module, alias.name, child.lineno, in_function)
            elif isinstance(child, ast.ImportFrom):
                if not in_ready:
                    yield from _from_import(child, module, is_package, in_function)
            else:
                function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                ready = function and child.name == "ready"  # type: ignore[union-attr]
                yield from walk(child, in_function or function, in_ready or ready)

    for found in walk(tree, False, False):
        if found.target.split(".")[0] in LAYERS:
            yield found


def _from_import(
    node: ast.ImportFrom, module: str, is_package: bool, in_function: bool
) -> Iterator[Import]:
    if node.level:
        base = module.split(".")
        base = base if is_package else base[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    for alias in node.names:
        candidate = f"{target}.{alias.name}"
        yield Import(
            module, candidate if _is_module(candidate) else target, node.lineno, in_function
        )


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def project_imports(root: Path = ROOT) -> list[Import]:
    """Every import of a project module in the apps' own code (migrations and tests excluded)."""
    found: list[Import] = []
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = module_name(path, root)
            source = path.read_text(encoding="utf-8")
            found += imports_of(source, name, is_package=path.name == "__init__.py")
    return found


def violations(imports: Iterable[Import]) -> list[str]:
    """Imports that go up a layer, or across apps into a module that is not public."""
    problems = []
    for item in imports:
        source_app, target_app = item.source.split(".")[0], item.target.split(".")[0]
        if source_app == target_app:
            continue
        where = f"{item.source}:{item.line} imports {item.target}"
        if LAYERS.index(target_app) > LAYERS.index(source_app):
            problems.append(f"{where}: {target_app} is above {source_app}")
        elif item.target not in PUBLIC[target_app]:
            problems.append(f"{where}: not a public module of {target_app}")
    return problems


def cycles(imports: Iterable[Import]) -> list[list[str]]:
    """Module cycles (each as a path that returns to its start), found by depth-first search."""
    graph: dict[str, set[str]] = {}
    for item in imports:
        if item.target != item.source:
            graph.setdefault(item.source, set()).add(item.target)
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_apps_import_one_way_and_only_public_modules() -> None:
    assert violations(project_imports()) == []


def test_no_module_cycles_not_even_through_function_level_imports() -> None:
    assert cycles(project_imports()) == []


def test_the_allowed_dependencies() -> None:
    """What each app imports from the others, as it stands (the layer order above)."""
    uses: dict[str, set[str]] = {layer: set() for layer in LAYERS}
    for item in project_imports():
        source_app, target_app = item.source.split(".")[0], item.target.split(".")[0]
        if source_app != target_app:
            uses[source_app].add(target_app)
    assert uses == {
        "wire": set(),
        "policies": {"wire"},
        "gateway": {"wire", "policies"},
        "activity": {"wire", "policies", "gateway"},
        "luthien_site": {"wire", "policies", "gateway", "activity"},
    }


@pytest.mark.parametrize(
    ("module", "code", "problem"),
    [
        ("policies.base", "from gateway.pipeline import proxy", "gateway is above policies"),
        ("wire.neutral", "def f():\n    import activity.models", "activity is above wire"),
        ("gateway.pipeline", "from activity import taps", "activity is above gateway"),
        ("activity.views", "from policies.loading import saved_policy_load", "not a public"),
    ],
)
def test_a_forbidden_import_is_caught(module: str, code: str, problem: str) -> None:
    (found,) = violations(imports_of(code, module))
    assert problem in found


def test_a_cycle_hidden_in_a_function_is_caught() -> None:
    fake = list(imports_of("from policies.loading import x", "policies.runtime"))
    fake += list(imports_of("def f():\n    from policies.runtime import y", "policies.loading"))
    assert cycles(fake) == [["policies.loading", "policies.runtime", "policies.loading"]]


def test_type_checking_and_app_ready_imports_are_not_edges() -> None:
    code = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from gateway.pipeline import proxy\n"
        "class C:\n    def ready(self):\n        from gateway.taps import observer_add\n"
    )
    assert list(imports_of(code, "policies.apps")) == []
