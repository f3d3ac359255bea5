"""The import rules of STYLE.md: arrows point one way so each room can change alone.

Reads every module's imports with ``ast`` (no importing), so a forbidden import anywhere in a
package — even inside a function — fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {"content_queue", "scheduler", "connectors", "workers", "web", "simulator", "tenfour"}

# package -> (project packages it may import, third-party top-level names it must not import)
RULES: dict[str, tuple[set[str], set[str]]] = {
    "content_queue": (set(), {"flask", "celery", "requests", "httpx", "tweepy", "facebook",
                              "mastodon", "atproto", "werkzeug", "kombu", "redis"}),
    "scheduler": ({"content_queue"}, {"flask", "celery", "requests", "kombu"}),
    "connectors": ({"content_queue"}, {"flask", "celery", "sqlalchemy", "kombu"}),
    "workers": ({"content_queue", "scheduler", "connectors", "tenfour"}, {"flask"}),
    "web": ({"content_queue", "tenfour"}, {"celery", "kombu", "tweepy", "facebook", "mastodon",
                                          "atproto"}),
    "simulator": (set(), {"sqlalchemy", "celery"}),
}
#: connectors may use only these parts of the domain (not models or the database)
CONNECTOR_DOMAIN = {"content_queue.ports", "content_queue.platforms"}
#: tenfour.config is a leaf: the one module that reads the environment
LEAF_TENFOUR = {"tenfour.config"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", sorted(RULES))
def test_package_imports_follow_the_layering(package: str) -> None:
    allowed, banned = RULES[package]
    problems = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            where = f"{path.relative_to(ROOT)} imports {name}"
            if top in PROJECT and top != package and top not in allowed:
                problems.append(where)
            if top in banned:
                problems.append(where)
            if package == "connectors" and top == "content_queue" and name not in CONNECTOR_DOMAIN:
                problems.append(where)
            if top == "tenfour" and package != "tenfour" and name not in LEAF_TENFOUR:
                problems.append(where)
    assert problems == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from flask import Flask\n")
    assert _imports(bad) == ["flask"]
