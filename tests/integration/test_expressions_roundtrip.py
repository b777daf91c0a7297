"""Packs carry derived events and earliest/latest/roll rules exactly, and a round trip reproduces them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker import create_app
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.packs.export import export_pack
from tracker.packs.importer import import_pack_text
from tracker.packs.validate import PackInvalid, validate_pack

BASE = {
    "pack": "expressions",
    "teams": [{"key": "procurement", "name": "Procurement", "timezone": "America/Los_Angeles"}],
    "sources": [{"key": "csa", "title": "Chip Security Act", "kind": "bill", "jurisdiction": "US"}],
}


def _pack(events, obligations):
    return {**BASE, "events": events, "obligations": obligations}


ROOT = {"key": "csa-enacted", "source": "csa", "title": "Chip Security Act enacted", "status": "expected",
        "date": "2027-01", "precision": "month"}
EFFECTIVE = {"key": "csa-effective", "source": "csa", "title": "Act takes effect",
             "derived": {"from": "csa-enacted", "offset": 90, "unit": "days"}}


@pytest.fixture
def fresh_app(database_template, tmp_path):
    if not isinstance(database_template, Path):
        pytest.skip("the round trip builds many databases; it runs on SQLite")
    count = iter(range(10**6))

    def make():
        path = tmp_path / f"register-{next(count)}.db"
        shutil.copyfile(database_template, path)
        return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                           "TRACKER_SCHEDULER": "off", "SECRET_KEY": "test-secret"})

    return make


def test_bad_expressions_are_refused_whole_each_with_its_path():
    pack = _pack([ROOT, {**EFFECTIVE, "status": "expected"},
                  {"key": "loop", "source": "csa", "title": "Loop", "derived": {"from": "nowhere", "offset": 1}}], [
        {"key": "o1", "title": "One", "team": "procurement", "deadline": {
            "rule": "latest", "of": [{"rule": "fixed", "date": "2027-01-01"},
                                     {"rule": "relative", "anchor": "x", "offset": 180}]}},
        {"key": "o2", "title": "Two", "team": "procurement", "deadline": {
            "rule": "earliest", "roll": "sideways", "of": [{"rule": "fixed", "date": "2027-01-01"},
                                                            {"rule": "recurring", "date": "2027-01-01",
                                                             "rrule": "FREQ=YEARLY"}]}},
    ])
    with pytest.raises(PackInvalid) as refused:
        validate_pack(pack)
    assert refused.value.errors == [
        "events[1].status: not used by a derived event (its date follows the event it derives from)",
        "events[2].derived.from: unknown event 'nowhere'",
        "obligations[0].deadline.of[1].anchor: unknown event 'x'",
        "obligations[1].deadline.roll: must be one of none, following, preceding, got 'sideways'",
        "obligations[1].deadline.of[1].rule: 'recurring' cannot be a part of earliest/latest (use fixed or relative)",
    ]


def test_a_cycle_within_a_pack_is_refused(app):
    import_pack_text(json.dumps(_pack([ROOT, EFFECTIVE], [])), SYSTEM)
    pack = _pack([{**ROOT, "status": None, "date": None, "precision": None,
                   "derived": {"from": "csa-effective", "offset": 1}}], [])
    for name in ("status", "date", "precision"):
        del pack["events"][0][name]
    with pytest.raises(PackInvalid) as refused:
        import_pack_text(json.dumps(pack), SYSTEM)
    assert "cycle" in refused.value.errors[0] and refused.value.errors[0].startswith("events[0].derived")


def test_the_pack_forms_import_and_export_unchanged(app):
    deadline = {"rule": "latest", "of": [{"rule": "fixed", "date": "2027-06-01", "precision": "day"},
                                         {"rule": "relative", "anchor": "csa-effective", "offset": 30,
                                          "unit": "days"}],
                "roll": "following"}
    pack = _pack([ROOT, EFFECTIVE], [{"key": "o", "title": "Later of", "team": "procurement",
                                      "events": ["csa-effective"], "deadline": deadline}])
    import_pack_text(json.dumps(pack), SYSTEM)
    exported = export_pack()
    assert exported["events"][1] == EFFECTIVE
    ob = exported["obligations"][0]
    assert ob["deadline"] == deadline
    # 2027-01-01 + 90 days = 2027-04-01, + 30 = 2027-05-01; the later is 2027-06-01, a Tuesday.
    assert (ob["due_date"], ob["due_state"]) == ("2027-06-01", "projected")


PART = st.one_of(
    st.builds(lambda d: {"rule": "fixed", "date": d, "precision": "day"},
              st.sampled_from(["2026-07-04", "2027-01-01", "2027-06-05", "2028-02-29"])),
    st.builds(lambda a, o, u: {"rule": "relative", "anchor": a, "offset": o, "unit": u},
              st.sampled_from(["csa-enacted", "csa-effective", "csa-report"]), st.integers(-400, 400),
              st.sampled_from(["days", "business_days", "months"])).map(
        lambda r: {**r, "offset": max(-120, min(120, r["offset"]))} if r["unit"] == "months" else r),
)
ROLL = st.sampled_from([None, "following", "preceding"])


def _rolled(rule, roll):
    return {**rule, "roll": roll} if roll else rule


DEADLINE = st.one_of(
    st.builds(_rolled, PART, ROLL),
    st.builds(lambda how, parts, roll: _rolled({"rule": how, "of": parts}, roll),
              st.sampled_from(["earliest", "latest"]), st.lists(PART, min_size=2, max_size=4), ROLL),
)
ROOT_STATE = st.sampled_from([("occurred", "2026-12-03"), ("expected", "2027-01"), ("expected", "2027-Q2"),
                              ("speculative", None), ("withdrawn", None)])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(deadlines=st.lists(DEADLINE, min_size=1, max_size=4), root=ROOT_STATE,
       offsets=st.tuples(st.integers(-200, 200), st.integers(-60, 60)))
def test_export_then_import_into_an_empty_register_reproduces_it(fresh_app, deadlines, root, offsets):
    status, when = root
    root_event = {key: value for key, value in {**ROOT, "status": status, "date": when}.items()
                  if key != "precision" and value is not None}
    events = [root_event, {**EFFECTIVE, "derived": {"from": "csa-enacted", "offset": offsets[0], "unit": "days"}},
              {"key": "csa-report", "source": "csa", "title": "First report",
               "derived": {"from": "csa-effective", "offset": offsets[1], "unit": "business_days"}}]
    obligations = [{"key": f"o{i}", "title": f"Obligation {i}", "team": "procurement", "deadline": d}
                   for i, d in enumerate(deadlines)]
    first = fresh_app()
    with first.app_context():
        import_pack_text(json.dumps(_pack(events, obligations)), SYSTEM)
        exported = export_pack()
        db.engine.dispose()
    second = fresh_app()
    with second.app_context():
        import_pack_text(json.dumps(exported), SYSTEM)
        again = export_pack()
        db.engine.dispose()
    assert again == exported
    for original, written in zip(deadlines, exported["obligations"]):
        assert written["deadline"] == original
