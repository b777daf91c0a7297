"""The layer order (docs/architecture.md): every import inside tracker/ points down or sideways.

Views, API, forms and commands stand on top; under them the jobs; then the
domains in the order below; then the shared pieces, the models and the pure
engine. The one sanctioned upward import is the register's recompute moving
vendor requests' due dates in the same transaction (tracker.vendors.moves).
"""

from __future__ import annotations

from tests.unit.test_layout import _imports

# Floor of each top-level module or package of tracker/ (higher may import lower or the same floor).
FLOORS = {
    # shared mechanisms: no domain knowledge
    "clock": 0, "db": 0, "errors": 0, "fields": 0, "retry_after": 0, "http_limits": 0, "process": 0,
    "sealing": 0, "txn": 0, "queue": 0, "extensions": 0,
    "deadlines": 1,  # the pure engine
    "models": 2,
    # what every domain writes or reads beside its tables: the audit log, the organization's settings,
    # the words people read, the operations counters
    "audit": 3, "organization": 3, "vocabulary": 3, "operations": 3,
    "register": 4,
    "feeds": 5,
    "people": 6,
    "mail": 7, "signin": 7,
    "channels": 8,
    "vendors": 9, "watches": 9, "work": 9,
    # newer domains that read several of the above
    "evidence": 10, "comments": 10, "reports": 10, "overview": 10, "packs": 10,
    "jobs": 11,  # the clock and the passes it runs: they drive every domain
    # the web, the API, the command line and the app itself
    "api": 12, "views": 12, "forms": 12, "commands": 12, "navigation": 12, "templating": 12,
    "security_headers": 12, "config": 12, "": 12,
}

# The one import against the order: a vendor request's due date is a copy that must move in the
# same transaction as its obligation's (docs/architecture.md, "Imports go one way").
SANCTIONED = {("tracker.register.recompute", "tracker.vendors.moves")}


def floor_of(module: str, floors: dict[str, int] = FLOORS) -> int:
    """The floor of a tracker module, by its top-level package (or the module itself: `tracker.txn`)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top not in floors:
        raise KeyError(f"{module}: put tracker/{top} on a floor in tests/unit/test_layers.py and docs/architecture.md")
    return floors[top]


def upward_imports(graph: dict[str, set[str]], floors: dict[str, int] = FLOORS) -> set[tuple[str, str]]:
    """Every (importer, imported) pair whose target stands on a higher floor.

    A pure module (it imports nothing of the tracker) brings no dependency along, so
    any floor may import it: the words of a domain (`work/vocabulary.py`) or a
    provider's pure mapping are read from below as safely as `fields.py`.
    """
    pure = {name for name, deps in graph.items() if not deps}
    return {(name, dep) for name, deps in graph.items() for dep in deps
            if dep not in pure and floor_of(dep, floors) > floor_of(name, floors)}


def test_every_tracker_module_stands_on_a_floor():
    for name in _imports():
        floor_of(name)


def test_the_only_upward_import_is_the_register_moving_vendor_requests():
    assert upward_imports(_imports()) == SANCTIONED


def test_the_check_finds_an_upward_import():
    floors = {"low": 1, "high": 2}
    graph = {"tracker.low.a": {"tracker.high.b"}, "tracker.high.b": {"tracker.low.c"},
             "tracker.low.c": set(), "tracker.high.d": set()}
    assert upward_imports(graph, floors) == {("tracker.low.a", "tracker.high.b")}
    # ...but importing a pure module (one that imports nothing of the tracker) is never upward.
    graph["tracker.low.a"] = {"tracker.high.d"}
    assert upward_imports(graph, floors) == set()
