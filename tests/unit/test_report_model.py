"""The pure parts of reports: undoing changes after a cutoff, the summary, the timeline, priority."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from tracker.reports.history import Change, as_date, fields_as_of
from tracker.reports.model import ObligationRow, Report, Scope, priority_of

T = lambda day, hour=12: datetime(2026, 11, day, hour, tzinfo=timezone.utc)  # noqa: E731

CHANGES = [
    Change(T(1), {"status": [None, "open"], "title": [None, "Draft"], "owner_id": [None, 3]}),
    Change(T(3), {"status": ["open", "in_progress"]}),
    Change(T(5), {"status": ["in_progress", "done"], "title": ["Draft", "Final"]}),
]
CURRENT = {"status": "done", "title": "Final", "owner_id": 3, "team_id": 7}


@pytest.mark.parametrize(("cutoff", "expected"), [
    (T(1, 0), {"status": None, "title": None, "owner_id": None, "team_id": 7}),   # before creation
    (T(2), {"status": "open", "title": "Draft", "owner_id": 3, "team_id": 7}),
    (T(3), {"status": "open", "title": "Draft", "owner_id": 3, "team_id": 7}),     # a change at the cutoff is undone
    (T(4), {"status": "in_progress", "title": "Draft", "owner_id": 3, "team_id": 7}),
    (T(6), CURRENT),
])
def test_fields_are_undone_back_to_the_cutoff(cutoff, expected):
    assert fields_as_of(CURRENT, CHANGES, cutoff) == expected


def test_a_field_that_never_changed_keeps_its_current_value_and_unknown_fields_are_ignored():
    changes = [Change(T(9), {"other": [1, 2], "status": "not a pair"})]
    assert fields_as_of({"status": "open"}, changes, T(2)) == {"status": "open"}


def test_dates_come_back_from_the_audit_logs_iso_text():
    assert as_date("2027-01-15") == date(2027, 1, 15)
    assert as_date(date(2027, 1, 15)) == date(2027, 1, 15)
    assert as_date(None) is None and as_date("soon") is None


def test_priority_defaults_to_normal_until_obligations_have_one():
    class Without:
        pass

    class With:
        priority = "critical"

    class Odd:
        priority = "urgent!"

    assert [priority_of(Without()), priority_of(With()), priority_of(Odd())] == ["normal", "critical", "normal"]


def _row(n, due, state="firm", status="open"):
    return ObligationRow(id=n, key=f"o{n}", title=f"O{n}", team="T", owner="", priority="normal", due_date=due,
                         due_state=state, due_precision="day", status=status, why="")


def test_summary_and_timeline_count_what_is_due_as_of_the_report_day():
    rows = [_row(1, date(2026, 11, 30)), _row(2, date(2026, 12, 20)), _row(3, date(2027, 2, 1), "projected"),
            _row(4, None, "undated"), _row(5, date(2026, 1, 1), status="done"), _row(6, date(2029, 1, 1))]
    report = Report("Org", Scope("team", 1, "t", "T"), date(2026, 12, 7), False,
                    datetime(2026, 12, 7, tzinfo=timezone.utc), "me", rows)
    summary = report.summary()
    assert dict(summary["Attention"]) == {"Obligations": 6, "Overdue": 1, "Waiting on an event": 2}
    assert dict(summary["Obligations by status"])["Done"] == 1
    overdue, bars, later, undated = report.timeline()
    assert (overdue, later, undated) == (1, 1, 1)
    assert [(b.label, b.firm, b.projected) for b in bars if b.total] == [("Dec 2026", 1, 0), ("Feb 2027", 0, 1)]
    assert len(bars) == 12 and bars[0].label == "Dec 2026"
    assert report.metadata_time == datetime(2026, 12, 7)


def test_the_report_model_and_the_reconstruction_import_neither_flask_nor_the_database():
    import ast
    from pathlib import Path

    import tracker.reports

    folder = Path(tracker.reports.__file__).parent
    for name in ("model.py", "history.py"):
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {n for n in names if n.split(".")[0] in ("flask", "sqlalchemy", "flask_sqlalchemy")}, name
        assert {n for n in names if n.startswith("tracker")} <= {"tracker.models.vocabulary"}, name
