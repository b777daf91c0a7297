"""Owners, priority, tags and bulk changes through the services: rules, audit, mail and channels."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import make_obligation, make_team, make_user
from tests.grouping_support import at
from tracker.audit import SYSTEM, Actor
from tracker.channels import operations as channels
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.jobs.reminder_pass import run_pass
from tracker.models import AuditEntry, ChannelDelivery, Obligation, OutboxMessage, WorkNotice
from tracker.people import operations as people
from tracker.register.obligations import ObligationInput, update_obligation
from tracker.work.operations import BulkRefused, WorkChange, bulk_change, change_work, row_version
from tracker.work.saved_views import clean_query, save_view, views_of


@pytest.fixture
def smtp(smtp_server):
    return smtp_server  # started; each test points the app at it when it should send


def audit_rows(obligation_id: int) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "obligation",
                                                       AuditEntry.entity_id == obligation_id)
                              .order_by(AuditEntry.id)).all()


def test_an_owner_outside_the_team_is_a_field_error_and_nothing_changes(app):
    team, other = make_team(), make_team()
    editor = make_user(teams=[team])
    outsider = make_user(teams=[other])
    ob = make_obligation(team=team)
    with pytest.raises(ValidationFailed) as refused:
        change_work(ob, WorkChange(owner_id=outsider.id), editor, Actor.of(editor))
    assert "not a member" in refused.value.errors["owner"]
    assert db.session.get(Obligation, ob.id).owner_id is None
    with pytest.raises(ValidationFailed) as refused:
        update_obligation(ob, ObligationInput(key=ob.key, title=ob.title, team_id=team.id, rule="fixed",
                                              rule_date=date(2027, 1, 15), owner_id=outsider.id), SYSTEM)
    assert "not a member" in refused.value.errors["owner_id"]


def test_assigning_tells_the_new_owner_once_in_one_email_and_the_channel_that_asks(app, clock, smtp, httpserver):
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"
    clock.move_to(at("2026-06-01T08:00:00+00:00"))
    team = make_team(name="Export compliance", timezone="UTC")
    team.digest_weekday = None
    boss = make_user(teams=[team], name="Boss")
    dana = make_user(teams=[team], name="Dana")
    db.session.commit()
    channels.create_channel(team, "webhook", httpserver.url_for("/hook"), SYSTEM, event_types="obligation.assigned")
    channels.create_channel(team, "webhook", httpserver.url_for("/other"), SYSTEM, event_types="deadline.changed")
    first = make_obligation(team=team, title="Screening procedure", rule_date=date(2026, 12, 1))
    second = make_obligation(team=team, title="Board approval", rule_date=date(2026, 12, 2))
    change_work(first, WorkChange(owner_id=dana.id), boss, Actor.of(boss))
    bulk_change({second.id: None}, WorkChange(owner_id=dana.id), boss, Actor.of(boss))
    # Assigning yourself tells nobody by email.
    third = make_obligation(team=team, title="Self assigned", rule_date=date(2026, 12, 3))
    change_work(third, WorkChange(owner_id=boss.id), boss, Actor.of(boss))
    deliveries = db.session.scalars(select(ChannelDelivery).order_by(ChannelDelivery.id)).all()
    assert {d.event_type for d in deliveries} == {"obligation.assigned"} and len(deliveries) == 3

    smtp.configure(app)
    run_pass(at("2026-06-01T08:05:00+00:00"))
    to_dana = [m for m in smtp.messages if m["To"].addresses[0].addr_spec == dana.email]
    assert len(to_dana) == 1
    body = to_dana[0].get_body(("plain",)).get_content()
    assert "assigned you “Screening procedure”" in body and "assigned you “Board approval”" in body
    assert to_dana[0]["Subject"] == "2 obligations assigned to you"
    assert not [m for m in smtp.messages if m["To"].addresses[0].addr_spec == boss.email
                and "assigned" in str(m["Subject"])]
    run_pass(at("2026-06-01T08:10:00+00:00"))  # told once
    assert len([m for m in smtp.messages if m["To"].addresses[0].addr_spec == dana.email]) == 1
    assert db.session.scalar(select(func.count()).select_from(WorkNotice).where(WorkNotice.outbox_id.is_(None))) == 0


def test_a_bulk_change_with_one_row_the_user_may_not_change_changes_nothing(app):
    team = make_team()
    editor, viewer = make_user(teams=[team]), make_user(teams=[team], role="viewer")
    rows = [make_obligation(team=team) for _ in range(3)]
    with pytest.raises(BulkRefused) as refused:
        bulk_change({ob.id: None for ob in rows}, WorkChange(priority="high"), viewer, Actor.of(viewer))
    assert [r.obligation_id for r in refused.value.rows] == [ob.id for ob in rows]
    assert all(r.reason == "you may not edit it" for r in refused.value.rows)
    # A row changed since it was shown refuses the whole change, naming that row.
    shown = {ob.id: row_version(ob) for ob in rows}
    change_work(rows[1], WorkChange(priority="low"), editor, Actor.of(editor))
    with pytest.raises(BulkRefused) as refused:
        bulk_change(shown, WorkChange(priority="critical"), editor, Actor.of(editor))
    assert [(r.obligation_id, r.reason) for r in refused.value.rows] == [
        (rows[1].id, "it changed since the list was shown; reload and try again")]
    db.session.expire_all()
    assert [db.session.get(Obligation, ob.id).priority for ob in rows] == ["normal", "low", "normal"]


def test_a_bulk_change_writes_one_audit_row_per_obligation_changed(app):
    team = make_team()
    editor = make_user(teams=[team])
    rows = [make_obligation(team=team) for _ in range(4)]
    change_work(rows[0], WorkChange(set_tags=["export"]), editor, Actor.of(editor))
    before = {ob.id: len(audit_rows(ob.id)) for ob in rows}
    changed = bulk_change({ob.id: None for ob in rows}, WorkChange(add_tags=["Export", "board"]),
                          editor, Actor.of(editor))
    assert changed == 4
    for ob in rows:
        entries = audit_rows(ob.id)
        assert len(entries) == before[ob.id] + 1
        assert entries[-1].changes["tags"][1] == ["board", "export"]
    bulk_change({ob.id: None for ob in rows}, WorkChange(remove_tags=["board"]), editor, Actor.of(editor))
    db.session.expire_all()
    assert all(db.session.get(Obligation, ob.id).tags == ["export"] for ob in rows)


def test_bulk_waive_needs_a_note_and_bad_tags_are_field_errors(app):
    team = make_team()
    editor = make_user(teams=[team])
    ob = make_obligation(team=team)
    with pytest.raises(ValidationFailed) as refused:
        bulk_change({ob.id: None}, WorkChange(status="waived"), editor, Actor.of(editor))
    assert "note" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        bulk_change({ob.id: None}, WorkChange(add_tags=["<script>"]), editor, Actor.of(editor))
    assert "add_tags" in refused.value.errors
    assert bulk_change({ob.id: None}, WorkChange(status="waived", note="not our market"), editor,
                       Actor.of(editor)) == 1
    assert db.session.get(Obligation, ob.id).status == "waived"


def test_an_owner_removed_from_the_team_keeps_ownership_until_reassigned(app):
    team = make_team()
    editor, former = make_user(teams=[team]), make_user(teams=[team])
    ob = make_obligation(team=team, owner_id=former.id)
    people.set_membership(team, former, False, SYSTEM)
    # Other changes still go through; the owner stays.
    assert change_work(ob, WorkChange(priority="high"), editor, Actor.of(editor))
    assert db.session.get(Obligation, ob.id).owner_id == former.id


def test_saved_views_keep_only_the_filters_and_replace_by_name(app):
    user = make_user()
    save_view(user, "My overdue", "owner=me&window=overdue&page=3&view=9&bogus=1")
    save_view(user, "My overdue", "owner=me&window=next_30")
    [view] = views_of(user)
    assert view.query == "window=next_30&owner=me"
    assert clean_query("tag=export&priority=high&q=chips") == "q=chips&priority=high&tag=export"
    with pytest.raises(ValidationFailed):
        save_view(user, "   ", "owner=me")


def test_bulk_done_names_the_rows_whose_team_requires_evidence(app):
    from tracker.evidence.operations import add_link, set_done_needs_evidence

    strict, relaxed = make_team(name="Strict"), make_team(name="Relaxed")
    editor = make_user(teams=[strict, relaxed])
    proven, unproven, easy = (make_obligation(team=strict), make_obligation(team=strict),
                              make_obligation(team=relaxed))
    set_done_needs_evidence(strict, True, SYSTEM)
    add_link(proven, "https://docs.example.org/proof", editor, Actor.of(editor))
    with pytest.raises(BulkRefused) as refused:
        bulk_change({ob.id: None for ob in (proven, unproven, easy)}, WorkChange(status="done"), editor,
                    Actor.of(editor))
    assert [(r.obligation_id, r.field) for r in refused.value.rows] == [(unproven.id, "status")]
    db.session.expire_all()
    assert {db.session.get(Obligation, ob.id).status for ob in (proven, unproven, easy)} == {"open"}


def test_an_editor_of_one_team_may_not_change_another_teams_obligation(app):
    """Roles per team: owners, bulk changes, comments and evidence ask tracker.work.policy."""
    from tests.factories import make_obligation, make_team, make_user
    from tracker.work.policy import edit_refusal

    team_a, team_b = make_team(key="a", name="A"), make_team(key="b", name="B")
    theirs = make_obligation(team=team_b, title="B's filing")
    editor_of_a = make_user(role="editor", teams=[team_a], email="ed-a@example.com")
    editor_of_b = make_user(role="editor", teams=[team_b], email="ed-b@example.com")
    admin = make_user(role="admin", email="boss@example.com")
    assert edit_refusal(editor_of_a, theirs) == "you may not edit it"
    assert edit_refusal(editor_of_b, theirs) is None and edit_refusal(admin, theirs) is None
