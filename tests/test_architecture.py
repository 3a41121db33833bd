"""The package's import graph has no cycles: shared types live below both of the modules using them.

Every import counts, including those inside functions (an import moved into a function to dodge a
cycle is still a cycle), read with `ast` from the source rather than by importing anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The package's modules that `path` imports anywhere in its body (`from p import m` counts m)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imported_modules(path, set(paths)) for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (depth-first search, colouring the nodes)."""
    state: dict[str, str] = {}
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        trail.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return trail[trail.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        trail.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    assert "assistant.store.backend" in graph["assistant.store.server"]  # from a import b
    assert "assistant.cli.serve" in graph["assistant.cli.commands"]  # from package import module
    # A function-level import is an edge too.
    assert "assistant.llm.chain" in graph["assistant.answer.pipeline"]


@pytest.mark.parametrize("graph, cycle", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b", "c"}, "b": {"c"}, "c": set()}, None),
    ({"a": {"a"}}, ["a", "a"]),
])
def test_find_cycle(graph, cycle):
    assert find_cycle(graph) == cycle


def test_a_function_level_import_that_closes_a_loop_is_caught(tmp_path, monkeypatch):
    package = tmp_path / "assistant"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "one.py").write_text("from assistant import two\n")
    (package / "two.py").write_text("def later():\n    from assistant.one import thing\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", package)
    assert find_cycle(import_graph()) == ["assistant.one", "assistant.two", "assistant.one"]
