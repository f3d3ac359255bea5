"""The house rules of STYLE.md, read from the source: arrows point one way, and no module
imports another that (directly or through others) imports it back.

Imports are read with ``ast``, never by importing, so an import anywhere in a module counts,
including one inside a function (a deferred import hides a cycle; it does not remove it).
Relative imports are resolved to absolute names, and ``from pkg import name`` points at the
module ``pkg.name`` when there is one, else at ``pkg`` itself. As in import-linter's graph, an
import of ``a.b.c`` is an arrow to ``a.b.c`` only, not to the packages ``a`` and ``a.b`` that
Python initialises on the way.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("content_queue", "scheduler", "connectors", "workers", "web", "simulator", "tenfour")

# package -> (project packages it may import, third-party top-level names it must not import).
# Nothing but tenfour, the composition root, may import tenfour.
RULES: dict[str, tuple[set[str], set[str]]] = {
    "content_queue": (set(), {"flask", "celery", "requests", "httpx", "tweepy", "facebook",
                              "mastodon", "atproto", "werkzeug", "kombu", "redis"}),
    "scheduler": ({"content_queue"}, {"flask", "celery", "requests", "kombu"}),
    "connectors": ({"content_queue"}, {"flask", "celery", "sqlalchemy", "kombu"}),
    "workers": ({"content_queue", "scheduler", "connectors"}, {"flask"}),
    "web": ({"content_queue"}, {"celery", "kombu", "tweepy", "facebook", "mastodon", "atproto"}),
    "simulator": (set(), {"sqlalchemy", "celery"}),
}
#: connectors may use only these parts of the domain (not models or the database)
CONNECTOR_DOMAIN = {"content_queue.ports", "content_queue.platforms"}


@dataclass(frozen=True)
class Import:
    line: int
    #: The absolute module the statement names (``a.b`` for ``from a.b import c``).
    module: str
    #: The names a ``from`` import takes (``("c",)`` above); empty for ``import a.b``.
    names: tuple[str, ...] = ()


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def read_imports(path: Path, module: str) -> list[Import]:
    """Every import statement in ``path`` (the module ``module``), relative ones made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level - 1 >= len(package):
                    raise ValueError(f"{path}:{node.lineno}: relative import beyond the top")
                base = package[:len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append(Import(node.lineno, target, tuple(a.name for a in node.names)))
    return found


def product_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    return {module_name(path, root): path
            for package in packages for path in sorted((root / package).rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module ``name`` refers to: itself, or the closest enclosing module that exists."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imported_modules(imp: Import, modules: dict[str, Path]) -> set[str]:
    """The product modules one import statement points at."""
    names = [f"{imp.module}.{n}" for n in imp.names] or [imp.module]
    found = {_resolve(name, modules) for name in names}
    return {m for m in found if m is not None}


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """module -> {module it imports: ["path:line", ...]}, for the product's own modules only."""
    modules = product_modules(root, packages)
    graph: dict[str, dict[str, list[str]]] = {m: {} for m in modules}
    for module, path in modules.items():
        for imp in read_imports(path, module):
            for target in imported_modules(imp, modules):
                where = f"{path.relative_to(root)}:{imp.line}"
                graph[module].setdefault(target, []).append(where)
    return graph


def strongly_connected(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit on long import chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = []

        def visit(node: str) -> None:
            index[node] = low[node] = len(index)
            stack.append(node)
            on_stack.add(node)
            work.append((node, iter(sorted(graph[node]))))

        visit(start)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    visit(nxt)
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def find_cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Groups of modules that import each other, and modules that import themselves."""
    return sorted(c for c in strongly_connected(graph)
                  if len(c) > 1 or c[0] in graph[c[0]])


def describe_cycle(graph: dict[str, dict[str, list[str]]], members: list[str]) -> str:
    inside = set(members)
    arrows = [f"  {a} -> {b}  ({', '.join(graph[a][b])})"
              for a in members for b in sorted(graph[a]) if b in inside]
    return "cycle among " + ", ".join(members) + ":\n" + "\n".join(arrows)


# --- the product's rules ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def product_graph() -> dict[str, dict[str, list[str]]]:
    return import_graph(ROOT, PROJECT)


@pytest.mark.parametrize("package", sorted(RULES))
def test_package_imports_follow_the_layering(package: str) -> None:
    allowed, banned = RULES[package]
    modules = product_modules(ROOT, PROJECT)
    problems = []
    for module, path in modules.items():
        if module.split(".")[0] != package:
            continue
        for imp in read_imports(path, module):
            top = imp.module.split(".")[0]
            where = f"{path.relative_to(ROOT)}:{imp.line} imports {imp.module}"
            if top in PROJECT and top != package and top not in allowed:
                problems.append(where)
            if top in banned:
                problems.append(where)
            if package == "connectors":
                problems.extend(f"{where} ({m})" for m in imported_modules(imp, modules)
                                if m.startswith("content_queue") and m not in CONNECTOR_DOMAIN)
    assert problems == []


def test_nothing_outside_the_composition_root_imports_tenfour(product_graph) -> None:
    problems = [f"{module} imports {target} ({', '.join(where)})"
                for module, targets in product_graph.items() if not module.startswith("tenfour")
                for target, where in targets.items() if target.split(".")[0] == "tenfour"]
    assert problems == []


def test_every_product_package_has_layering_rules() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(PROJECT)
    assert set(RULES) == set(PROJECT) - {"tenfour"}


def test_no_module_in_the_product_is_part_of_an_import_cycle(product_graph) -> None:
    cycles = [describe_cycle(product_graph, c) for c in find_cycles(product_graph)]
    assert not cycles, "\n\n".join(cycles)


# --- the checker itself ----------------------------------------------------------------------


def test_the_checker_sees_a_forbidden_import_inside_a_function(tmp_path: Path) -> None:
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from flask import Flask\n")
    assert read_imports(bad, "m") == [Import(2, "flask", ("Flask",))]


def _mini_package(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)


def test_the_checker_resolves_relative_and_from_imports_to_modules(tmp_path: Path) -> None:
    _mini_package(tmp_path, {
        "pkg/__init__.py": "from .core import VALUE\n",
        "pkg/core.py": "VALUE = 1\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/leaf.py": "from .. import core\nfrom ..core import VALUE\nfrom . import twig\n"
                           "from pkg import VALUE as V\nimport pkg.sub.twig\n",
        "pkg/sub/twig.py": "import os\n",
    })
    graph = import_graph(tmp_path, ["pkg"])
    assert set(graph["pkg.sub.leaf"]) == {"pkg.core", "pkg.sub.twig", "pkg"}
    assert graph["pkg.sub.leaf"]["pkg.core"] == ["pkg/sub/leaf.py:1", "pkg/sub/leaf.py:2"]
    assert set(graph["pkg"]) == {"pkg.core"}
    assert graph["pkg.sub.twig"] == {}
    assert find_cycles(graph) == []


def test_the_checker_finds_a_cycle_even_through_a_function_level_import(tmp_path: Path) -> None:
    _mini_package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg import b\n",
        "pkg/b.py": "import pkg.c\n",
        "pkg/c.py": "def later():\n    from .a import thing\n",
        "pkg/d.py": "from pkg import a\n",  # imports into the cycle, is not part of it
        "pkg/e.py": "from . import e\n",  # imports itself
    })
    graph = import_graph(tmp_path, ["pkg"])
    assert find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"], ["pkg.e"]]
    message = describe_cycle(graph, ["pkg.a", "pkg.b", "pkg.c"])
    assert "pkg.c -> pkg.a  (pkg/c.py:2)" in message
