"""The layout's promises: no import cycle inside tracker/, no module past ~400 lines, pure parts stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

import tracker

ROOT = Path(tracker.__file__).parent
MAX_LINES = 420


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    graph = {}
    for path in ROOT.rglob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tracker"):
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name.startswith("tracker"))
        graph[_module_name(path)] = found
    # Importing one's own parent package is how Python loads a submodule, not a cycle.
    return {name: {d for d in deps if d in graph and d != name and not name.startswith(d + ".")}
            for name, deps in graph.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        state[name] = 2
        path.pop()
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_no_import_cycle_inside_the_tracker_package():
    assert _cycle(_imports()) is None


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_module_is_longer_than_about_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long


def test_pure_parts_import_neither_flask_nor_the_database():
    pure = [*ROOT.joinpath("deadlines").glob("*.py"), ROOT / "feeds" / "ical.py", ROOT / "vendors" / "sniff.py",
            ROOT / "channels" / "payloads.py", ROOT / "channels" / "signing.py",
            *ROOT.joinpath("watches", "providers").glob("*.py"), ROOT / "watches" / "decide.py",
            ROOT / "watches" / "wording.py", ROOT / "retry_after.py", ROOT / "fields.py",
            ROOT / "http_limits.py", ROOT / "vendors" / "filenames.py",
            ROOT / "work" / "vocabulary.py", ROOT / "comments" / "render.py"]
    for path in pure:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        impure = {n for n in names if n.split(".")[0] in ("flask", "sqlalchemy", "flask_sqlalchemy")}
        impure |= {n for n in names if n.startswith("tracker") and not n.startswith(("tracker.deadlines", "tracker.channels.payloads", "tracker.channels.signing",
                                                                         "tracker.watches.providers", "tracker.retry_after", "tracker.fields",
                                                                         "tracker.http_limits"))}
        assert not impure, (path.name, impure)


def _with_package_inits(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Importing `a.b.c` runs `a/__init__.py` and `a/b/__init__.py` first: add those edges, except
    to a module's own parent packages (already being imported when it runs)."""
    def ancestors(name: str) -> list[str]:
        parts = name.split(".")
        return [".".join(parts[:i]) for i in range(2, len(parts))]

    result = {}
    for name, deps in graph.items():
        own = set(ancestors(name))
        extra = {parent for dep in deps for parent in ancestors(dep) if parent in graph and parent not in own}
        result[name] = (deps | extra) - {name}
    return result


def test_no_import_cycle_through_package_init_files():
    """The cycle tracker.api -> api.teams -> api.token_admin -> people.operations -> tracker.api
    (through the package's __init__) is gone, and no other one may come back."""
    assert _cycle(_with_package_inits(_imports())) is None
