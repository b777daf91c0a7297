"""Snapshots of the rendered email bodies (text and HTML), one per kind of email.

Set UPDATE_MAIL_SNAPSHOTS=1 to rewrite them after an intended change, then
read the diff before committing; a missing snapshot fails.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import make_event, make_obligation, make_team, make_user
from tests.mail_support import match_snapshot
from tracker.people import operations as people
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.register.events import EventDate, record_event_change
from tracker.register.obligations import set_status
from tracker.models import OutboxItem, OutboxMessage
from tracker.jobs.reminder_pass import run_pass

SNAPSHOTS = Path(__file__).parent / "mail_snapshots"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def normalized(body: str) -> str:
    body = re.sub(r"/unsubscribe/[A-Za-z0-9_.\-]+", "/unsubscribe/TOKEN", body)
    return re.sub(r"/obligations/\d+", "/obligations/ID", body)


def check(name: str, message: OutboxMessage) -> None:
    for suffix, body in (("txt", message.body_text), ("html", message.body_html)):
        match_snapshot(SNAPSHOTS / f"{name}.{suffix}", normalized(body))


@pytest.fixture
def register(clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = make_team(key="procurement", name="Procurement", timezone="America/Los_Angeles")
    people.update_team(team, SYSTEM, digest_weekday=0)
    make_user(email="buyer@example.com", name="Buyer", teams=[team])
    enactment = make_event(status="expected", on=date(2026, 9, 1), precision="month",
                           title="Chip Security Act enacted", key="csa-enacted")
    firm = make_obligation(team=team, key="ca-vendor-cert", title="California vendor self-certification",
                           rule_date=date(2026, 7, 1), rule_precision="month")
    projected = make_obligation(team=team, key="csa-loc", title="Location verification on AI chips",
                                rule="relative", anchor=enactment, rule_offset=30)
    return team, firm, projected, enactment


def only(kind: str | None, obligation_id: int | None = None) -> OutboxMessage:
    """The newest message of `kind` (any kind: None), carrying that obligation's item when given."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if obligation_id is not None:
        query = query.where(OutboxMessage.id.in_(select(OutboxItem.message_id).where(
            OutboxItem.obligation_id == obligation_id)))
    return db.session.scalars(query).first()


def test_reminder_and_overdue_bodies_match_snapshots(app, register):
    _, firm, projected, _ = register
    run_pass(at("2026-06-24T09:00:00-07:00"))
    check("reminder_firm", only("reminder", firm.id))
    run_pass(at("2026-07-02T09:00:00-07:00"))
    check("overdue", only("overdue", firm.id))
    set_status(firm, "done", SYSTEM)  # else its overdue notice would share the next email
    run_pass(at("2026-09-01T09:00:00-07:00"))
    check("reminder_projected", only("reminder", projected.id))


def test_grouped_bodies_match_snapshots(app, register, clock):
    team, firm, projected, enactment = register
    make_obligation(team=team, key="csa-report", title="Report chip shipments", rule="relative",
                    anchor=enactment, rule_offset=10)
    run_pass(at("2026-06-24T09:00:00-07:00"))
    run_pass(at("2026-09-01T09:00:00-07:00"))
    # Due at the same send time for the same person: the overdue notice of the firm
    # one and the reminders of the projected ones come as one email, most urgent first.
    grouped = only("overdue", projected.id)
    assert grouped.subject == "3 deadlines: 1 overdue by 62 days, 1 due in 10 days, 1 due in 30 days"
    check("deadlines_grouped", grouped)
    clock.move_to(at("2026-09-02T16:00:00+00:00"))
    record_event_change(enactment, EventDate("occurred", date(2026, 9, 2), "day"), SYSTEM)
    run_pass(at("2026-09-02T17:00:00+00:00"))
    changed = only("change", projected.id)
    assert changed.subject == "Chip Security Act enacted: 2 deadlines moved"
    check("changes_grouped", changed)


def test_change_and_digest_bodies_match_snapshots(app, register, clock):
    _, _, projected, enactment = register
    clock.move_to(at("2026-08-03T16:00:00+00:00"))
    record_event_change(enactment, EventDate("occurred", date(2026, 8, 3), "day"), SYSTEM)
    run_pass(at("2026-08-03T17:00:00+00:00"))
    check("change", only("change", projected.id))
    run_pass(at("2026-08-10T09:00:00-07:00"))  # a Monday
    check("digest", only("digest"))


def test_recurring_obligation_attachment_uses_the_occurrence_uid(app, clock):
    import vobject

    from tracker.feeds.attachment import single_event_calendar
    from tracker.feeds.uids import obligation_uid

    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    obligation = make_obligation(rule="recurring", rule_date=date(2026, 12, 31), rule_rrule="FREQ=MONTHLY;INTERVAL=3")
    calendar = vobject.readOne(single_event_calendar(obligation).decode("utf-8"))
    calendar.validate()
    assert calendar.vevent.uid.value == obligation_uid(obligation.id, date(2026, 12, 31))
    assert calendar.vevent.dtstart.value == date(2026, 12, 31)


def test_the_demo_headline_reminder_says_its_date_comes_from_a_month_estimate(app, clock):
    """180 days after an enactment expected in September 2026 is 28 Feb 2027, not 'February 2027'."""
    from tracker.packs.importer import import_pack_text

    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    demo = Path(__file__).resolve().parents[2] / "tracker" / "packs" / "data" / "demo.json"
    import_pack_text(demo.read_text(), SYSTEM)
    run_pass(at("2027-01-29T09:00:00-08:00"))  # 30 days ahead, in the team's morning
    from tracker.models import Obligation

    csa = db.session.scalar(select(Obligation).where(Obligation.key == "csa-location-verification"))
    headline = only(None, csa.id)  # with the other deadlines due that morning
    for body in (headline.body_text, headline.body_html):
        assert "Sun 28 Feb 2027 (from a month estimate)" in body
        assert "first day of" not in body and "(February 2027)" not in body
