"""The vendor scope rule, without Flask or a database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tracker
from tracker.vendors.scope import Scope, VendorFacts, in_scope, matches, scope_problem


def vendor(key="v", status="active", categories=("gpu_hardware",), markets=("US",)) -> VendorFacts:
    return VendorFacts(id=hash(key) % 1000, key=key, status=status, categories=categories, markets=markets)


@pytest.mark.parametrize("scope, facts, expected", [
    (Scope.of(["gpu_hardware"]), vendor(), True),
    (Scope.of(["gpu_hardware", "cloud"]), vendor(), False),  # every listed category
    (Scope.of(["gpu_hardware", "cloud"]), vendor(categories=("cloud", "gpu_hardware", "x")), True),
    (Scope.of(markets=["US-CA", "EU"]), vendor(markets=("EU",)), True),  # one of the markets
    (Scope.of(markets=["US-CA"]), vendor(markets=("US",)), False),
    (Scope.of(["gpu_hardware"], ["US-CA"]), vendor(markets=("US", "US-CA")), True),
    (Scope.of(["gpu_hardware"]), vendor(status="prospective"), False),  # criteria: active only
    (Scope.of(["gpu_hardware"]), vendor(status="offboarded"), False),
    (Scope.of(keys=["v"]), vendor(status="prospective"), True),  # named: prospective too
    (Scope.of(keys=["v"]), vendor(status="offboarded"), False),
    (Scope.of(keys=["other"]), vendor(), False),
    (Scope.of(markets=["US"]), vendor(categories=()), True),  # an omitted list matches all
])
def test_matching(scope, facts, expected):
    assert matches(scope, facts) is expected


def test_empty_lists_count_as_left_out_and_an_empty_scope_is_refused():
    assert Scope.of([], [], []).is_empty
    assert scope_problem(Scope.of()) == "name the vendors: categories and/or markets, or vendor keys"
    assert scope_problem(Scope.of(["a"], keys=["k"])) == "use either vendor keys or categories and markets, not both"
    assert scope_problem(Scope.of(markets=["US"])) is None


def test_in_scope_and_words():
    vendors = [vendor("a"), vendor("b", categories=("cloud",)), vendor("c", status="offboarded")]
    assert in_scope(Scope.of(["gpu_hardware"]), vendors) == {vendors[0].id}
    assert Scope.of(["gpu_hardware"], ["US", "US-CA"]).describe() == (
        "active vendors in gpu_hardware selling in US or US-CA")
    assert Scope.of(keys=["a", "b"]).as_dict() == {"keys": ["a", "b"]}


def test_scope_module_imports_neither_flask_nor_the_database():
    path = Path(tracker.__file__).parent / "vendors" / "scope.py"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    assert not {n for n in names if n.split(".")[0] in ("flask", "sqlalchemy", "flask_sqlalchemy", "tracker")}
