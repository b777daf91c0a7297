"""Priority and tags travel: pack export and import, the calendar feed, the digest's order."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from tests.factories import make_obligation, make_team, make_user
from tracker.audit import CLI, Actor
from tracker.db import db
from tracker.feeds.items import single_spec
from tracker.mail.digest import _content
from tracker.models import Obligation, Team
from tracker.packs.export import export_pack
from tracker.packs.importer import import_pack_text
from tracker.packs.specs import PackInvalid
from tracker.work.operations import WorkChange, change_work


def test_export_writes_owner_priority_and_tags_and_import_reads_them_back(app):
    team = make_team(key="export-compliance")
    dana = make_user(email="dana@example.com", teams=[team])
    ob = make_obligation(team=team, key="screening", owner_id=dana.id, priority="critical",
                         tags=["board", "export-control"])
    pack = export_pack("work")
    written = next(o for o in pack["obligations"] if o["key"] == "screening")
    assert (written["owner"], written["priority"], written["tags"]) == ("dana@example.com", "critical",
                                                                         ["board", "export-control"])
    change_work(ob, WorkChange(priority="low", set_tags=[]), dana, Actor.of(dana))
    report = import_pack_text(json.dumps(pack), CLI)
    assert report.updated["obligations"] == 1
    db.session.expire_all()
    back = db.session.scalar(sa.select(Obligation).where(Obligation.key == "screening"))
    assert (back.owner_id, back.priority, back.tags) == (dana.id, "critical", ["board", "export-control"])
    # A second import of the same pack changes nothing.
    assert import_pack_text(json.dumps(pack), CLI).unchanged["obligations"] == 1


def test_a_pack_with_a_bad_priority_or_tag_is_refused_naming_the_field(app):
    make_team(key="t")
    pack = {"pack": "bad", "obligations": [{"key": "x", "title": "X", "team": "t", "priority": "urgent",
                                            "tags": ["has space"], "deadline": {"rule": "fixed", "date": "2027-01-01"}}]}
    with pytest.raises(PackInvalid) as refused:
        import_pack_text(json.dumps(pack), CLI)
    assert "obligations[0].priority" in str(refused.value) and "obligations[0].tags" in str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count(Obligation.id))) == 0


def test_the_feed_description_names_priority_and_tags(app):
    ob = make_obligation(priority="high", tags=["board"])
    assert "Priority: high. Tags: board." in single_spec(ob).description
    plain = make_obligation()
    assert "Priority" not in single_spec(plain).description


def test_within_a_day_the_digest_lists_the_most_urgent_first(app):
    team = make_team(timezone="UTC")
    low = make_obligation(team=team, title="Low one", rule_date=date(2027, 1, 15), priority="low")
    critical = make_obligation(team=team, title="Critical one", rule_date=date(2027, 1, 15), priority="critical")
    earlier = make_obligation(team=team, title="Earlier", rule_date=date(2027, 1, 10), priority="low")
    team = db.session.get(Team, team.id)
    _, upcoming, _ = _content(team, date(2027, 1, 1), datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert [o.id for o in upcoming] == [earlier.id, critical.id, low.id]


def test_a_pack_owner_outside_the_obligations_team_is_refused_and_nothing_is_imported(app):
    make_team(key="legal")
    make_user(email="lee@example.com")
    pack = {"pack": "owners", "teams": [{"key": "buyers", "name": "Buyers", "timezone": "UTC",
                                         "members": [{"email": "bea@example.com"}]}],
            "obligations": [{"key": "x", "title": "X", "team": "buyers", "owner": "lee@example.com",
                             "deadline": {"rule": "fixed", "date": "2027-01-01"}}]}
    with pytest.raises(PackInvalid) as refused:
        import_pack_text(json.dumps(pack), CLI)
    assert "obligations[0].owner: 'lee@example.com' is not a member of team 'buyers'" in str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count(Obligation.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Team.id))) == 1
