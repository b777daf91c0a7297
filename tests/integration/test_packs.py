"""Importing and exporting regulation packs."""

import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.audit import CLI
from tracker.clock import local_today
from tracker.db import db
from tracker.models import AuditEntry, DeadlineHistory, Event, Obligation, Source, Team, User
from tracker.packs.export import export_pack
from tracker.packs.importer import import_pack_text
from tracker.packs.validate import PackInvalid

DEMO = Path(__file__).resolve().parents[2] / "tracker" / "packs" / "data" / "demo.json"


def demo_pack() -> dict:
    return json.loads(DEMO.read_text())


def import_dict(pack: dict):
    return import_pack_text(json.dumps(pack), CLI)


def register_state() -> list[tuple]:
    """Everything a user sees of the register, keyed by stable keys."""
    rows = db.session.execute(sa.select(
        Obligation.key, Obligation.title, Obligation.rule, Obligation.rule_date, Obligation.rule_offset,
        Obligation.rule_unit, Obligation.due_date, Obligation.due_state, Obligation.due_precision,
    ).order_by(Obligation.key)).all()
    events = db.session.execute(sa.select(Event.key, Event.status, Event.occurred_on, Event.expected_on,
                                          Event.precision).order_by(Event.key)).all()
    teams = db.session.execute(sa.select(Team.key, Team.name, Team.timezone).order_by(Team.key)).all()
    return [tuple(r) for r in rows + events + teams]


def test_demo_pack_shows_california_overdue_and_chip_act_projected(app, clock):
    import_dict(demo_pack())
    ca = db.session.scalar(sa.select(Obligation).where(Obligation.key == "ca-vendor-cert"))
    assert (ca.due_date, ca.due_precision, ca.due_state) == (date(2026, 7, 1), "month", "firm")
    assert ca.is_overdue(local_today(ca.team.timezone))
    csa = db.session.scalar(sa.select(Obligation).where(Obligation.key == "csa-location-verification"))
    assert (csa.due_date, csa.due_state, csa.due_precision) == (date(2027, 2, 28), "projected", "month")
    assert {e.key for e in csa.events} == {"csa-committee", "csa-enacted"}
    buyer = db.session.scalar(sa.select(User).where(User.email == "buyer@example.com"))
    assert buyer.password_hash is None and buyer.role == "editor"


def test_reimporting_the_same_pack_changes_nothing(app):
    import_dict(demo_pack())
    audit_rows = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    before = register_state()
    report = import_dict(demo_pack())
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0
    assert register_state() == before
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == audit_rows


def test_reimport_with_enactment_recorded_recomputes_like_the_ui(app):
    import_dict(demo_pack())
    pack = demo_pack()
    enacted = next(e for e in pack["events"] if e["key"] == "csa-enacted")
    enacted.update(status="occurred", date="2026-08-06")
    del enacted["precision"]
    report = import_dict(pack)
    # The team's two deadlines counted from enactment, and the vendor-scoped location verification.
    assert report.updated["events"] == 1 and report.moved_deadlines == 3
    csa = db.session.scalar(sa.select(Obligation).where(Obligation.key == "csa-location-verification"))
    assert (csa.due_date, csa.due_state, csa.revision) == (date(2027, 2, 2), "firm", 1)
    reason = db.session.scalar(sa.select(DeadlineHistory.reason).where(DeadlineHistory.obligation_id == csa.id))
    assert reason == ("anchor event 'Chip Security Act enacted' recorded as occurred on 2026-08-06: "
                      "projected 2027-02-28 -> firm 2027-02-02")


def test_reimport_with_a_changed_rule_moves_that_deadline(app):
    import_dict(demo_pack())
    pack = demo_pack()
    rule = next(o for o in pack["obligations"] if o["key"] == "ca-vendor-cert")["deadline"]
    rule.update(date="2026-08-15", precision="day")
    report = import_dict(pack)
    assert report.updated["obligations"] == 1
    ca = db.session.scalar(sa.select(Obligation).where(Obligation.key == "ca-vendor-cert"))
    assert (ca.due_date, ca.revision) == (date(2026, 8, 15), 1)


def test_invalid_pack_is_refused_whole_with_every_problem(app):
    pack = demo_pack()
    pack["teams"].append({"key": "new-team", "name": "New", "timezone": "Mars/Olympus"})
    pack["obligations"][1]["deadline"]["anchor"] = "no-such-event"
    pack["obligations"][0]["title"] = "Line\nbreak"
    with pytest.raises(PackInvalid) as info:
        import_dict(pack)
    errors = info.value.errors
    assert any(e.startswith("teams[2].timezone: ") and "Mars/Olympus" in e for e in errors)
    assert any(e.startswith("obligations[1].deadline.anchor: ") and "no-such-event" in e for e in errors)
    assert any(e.startswith("obligations[0].title: ") for e in errors)
    for model in (Team, Source, Event, Obligation, User, AuditEntry):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_references_may_name_keys_from_earlier_imports(app):
    import_dict(demo_pack())
    follow_up = {"pack": "follow-up", "obligations": [{
        "key": "csa-training", "title": "Train buyers on location verification", "team": "procurement",
        "events": ["csa-committee"],
        "deadline": {"rule": "relative", "anchor": "csa-enacted", "offset": -2, "unit": "months"}}]}
    import_dict(follow_up)
    ob = db.session.scalar(sa.select(Obligation).where(Obligation.key == "csa-training"))
    assert (ob.due_date, ob.due_state) == (date(2026, 7, 1), "projected")


def test_export_reimports_to_the_same_register(app, database_template, tmp_path):
    import_dict(demo_pack())
    exported = export_pack("roundtrip")
    before = register_state()
    ob = next(o for o in exported["obligations"] if o["key"] == "csa-location-verification")
    assert (ob["due_date"], ob["due_state"], ob["revision"], ob["status"]) == ("2027-02-28", "projected", 0, "open")

    # Into an empty register: same rows, same computed dates.
    for table in reversed(db.metadata.sorted_tables):
        if table.name != "audit_log":
            db.session.execute(table.delete())
    db.session.commit()
    import_dict(exported)
    assert register_state() == before
