"""Roles per team in pack imports (issue 23): an import by a user writes only the obligations of
teams they edit, and moves only those teams' deadlines; otherwise it is refused whole, naming the
rows, and nothing is written. The command line (no user) may write every team."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.factories import make_user
from tests.integration.test_packs import demo_pack, import_dict, register_state
from tracker.audit import Actor
from tracker.db import db
from tracker.models import Team
from tracker.packs.importer import import_pack_text
from tracker.packs.validate import PackInvalid


def _team(key: str) -> Team:
    return db.session.scalar(sa.select(Team).where(Team.key == key))


def _edited_pack() -> dict:
    """The demo with a Procurement rule changed and the enactment (moving Export Compliance too) recorded."""
    pack = demo_pack()
    next(o for o in pack["obligations"] if o["key"] == "ca-vendor-cert")["deadline"].update(
        date="2026-08-15", precision="day")
    enacted = next(e for e in pack["events"] if e["key"] == "csa-enacted")
    enacted.update(status="occurred", date="2026-08-06")
    del enacted["precision"]
    return pack


def test_an_editor_of_one_team_may_not_import_rows_writing_another_teams_obligations(app):
    import_dict(demo_pack())
    buyer = make_user(role="editor", teams=[_team("procurement")], password=None)
    before = register_state()
    with pytest.raises(PackInvalid) as refused:
        import_pack_text(json.dumps(_edited_pack()), Actor.of(buyer))
    errors = refused.value.errors
    assert any(line.startswith("events[") and "(csa-enacted)" in line and "'Export Compliance'" in line
               for line in errors), errors
    assert not any("ca-vendor-cert" in line for line in errors)  # Procurement's own row is theirs to write
    db.session.rollback()
    assert register_state() == before  # refused whole: nothing written


def test_an_editor_of_every_team_it_touches_imports_it(app):
    import_dict(demo_pack())
    both = make_user(role="editor", teams=[_team("procurement"), _team("export-compliance")], password=None)
    report = import_pack_text(json.dumps(_edited_pack()), Actor.of(both))
    assert report.updated["obligations"] == 1 and report.moved_deadlines >= 5
