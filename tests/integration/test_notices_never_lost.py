"""No notice is lost, whatever the pass's clock or however long the scheduler was down.

Every planner reads "everything committed up to this read, back to the last
pass however long ago" (tracker.mail.planning.changes_since): a change recorded
while a pass runs (or with a clock later than a pass's `--now`) and a change
made during a 30-day outage are both told, once. The vendor planner used to
read only up to its clock and 14 days back, and lost both (issue 22); the
other planners are checked for the same two faults here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tests.vendor_support import make_vendor, scope
from tracker.audit import SYSTEM, Actor
from tracker.channels import operations as channels
from tracker.channels.planning import plan_channels
from tracker.db import db
from tracker.jobs.reminder_pass import run_pass
from tracker.models import ChannelDelivery, OutboxMessage, VendorRequest
from tracker.people import operations as people
from tracker.register.events import EventDate, record_event_change

START = datetime(2026, 6, 1, 14, tzinfo=timezone.utc)


def messages(kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                   .order_by(OutboxMessage.id)))


@pytest.fixture
def world(app, clock):
    clock.move_to(datetime(2026, 5, 1, 12, tzinfo=timezone.utc))
    team = make_team(key="procurement", name="Procurement", timezone="America/New_York")
    member = make_user(email="buyer@example.com", teams=[team])
    act = make_source(key="csa", title="Chip Security Act")
    enacted = make_event(act, status="expected", on=date(2026, 9, 1), title="Chip Security Act enacted")
    location = make_obligation(team, rule="relative", key="location", title="Location verification",
                               anchor=enacted, rule_offset=180, rule_unit="days")
    vendor = make_vendor(team, key="gpu-1", name="GPU Maker 1", categories=["gpu_hardware"],
                         contacts=[{"name": "Primary", "email": "p@gpu1.example", "role": "primary"}])
    scope(location, categories=["gpu_hardware"])
    return {"team": team, "member": member, "event": enacted, "vendor": vendor, "obligation": location}


def _record(world, clock, at: datetime, on: date) -> None:
    clock.move_to(at)
    record_event_change(db.session.get(type(world["event"]), world["event"].id), EventDate("occurred", on),
                        Actor.of(world["member"]))
    db.session.expire_all()


def test_a_vendor_change_recorded_a_second_after_the_pass_clock_reaches_the_contacts(world, clock):
    run_pass(START)  # the request itself goes; its next reminder is weeks away
    assert [m.recipient for m in messages("vendor_request")] == ["p@gpu1.example"]
    recorded_at = datetime(2026, 8, 6, 14, 0, 0, tzinfo=timezone.utc)
    _record(world, clock, recorded_at, date(2026, 8, 6))
    assert db.session.scalar(select(VendorRequest.revision)) == 1
    run_pass(recorded_at - timedelta(seconds=1))  # `send-reminders --now` a second before the recording
    run_pass(recorded_at + timedelta(days=1))     # and any later pass
    [change] = messages("vendor_change")
    assert change.recipient == "p@gpu1.example"
    assert "recorded as occurred on 2026-08-06" in change.body_text
    # The members got theirs as well, and each goes once.
    assert [m.recipient for m in messages("change")] == ["buyer@example.com"]
    run_pass(recorded_at + timedelta(days=2))
    assert len(messages("vendor_change")) == 1


def test_a_vendor_change_made_during_a_30_day_outage_is_told_when_the_scheduler_comes_back(world, clock):
    run_pass(START)
    _record(world, clock, START + timedelta(days=1), date(2026, 6, 2))
    back = START + timedelta(days=31)  # nothing ran for 30 days after the change
    clock.move_to(back)
    run_pass(back)
    [change] = messages("vendor_change")
    assert change.recipient == "p@gpu1.example" and "recorded as occurred on 2026-06-02" in change.body_text
    assert [m.recipient for m in messages("change")] == ["buyer@example.com"]  # the members caught up too


def test_a_pass_that_fails_after_claiming_vendor_requests_gives_them_back(world, clock, monkeypatch):
    from tracker.vendors.mail import planning as mail

    def broken(*args, **kwargs):
        raise RuntimeError("the rendering failed")

    monkeypatch.setattr(mail, "_render_group", broken)
    with pytest.raises(RuntimeError):
        run_pass(START)
    monkeypatch.undo()
    run_pass(START)  # the claim was given back: planned again at once, nothing lost
    assert [m.recipient for m in messages("vendor_request")] == ["p@gpu1.example"]


def test_member_change_notices_catch_up_after_a_30_day_outage(world, clock):
    run_pass(START)
    _record(world, clock, START + timedelta(days=1), date(2026, 6, 2))
    run_pass(START + timedelta(days=31))
    [change] = messages("change")
    assert "recorded as occurred on 2026-06-02" in change.body_text


def test_an_overdue_notice_goes_once_after_a_30_day_outage(app, clock):
    clock.move_to(datetime(2026, 5, 1, 12, tzinfo=timezone.utc))
    team = make_team(timezone="UTC")
    people.update_team(team, SYSTEM, digest_weekday=None)
    make_user(teams=[team])
    make_obligation(team=team, title="Annual filing", rule_date=date(2026, 6, 1))
    run_pass(datetime(2026, 5, 1, 12, tzinfo=timezone.utc))
    run_pass(datetime(2026, 7, 1, 12, tzinfo=timezone.utc))  # nothing ran in June
    overdue = messages("overdue")
    assert len(overdue) == 1 and "Annual filing" in overdue[0].subject  # the newest one, not the backlog


def test_the_weekly_digest_goes_for_the_current_week_after_a_30_day_outage(app, clock):
    clock.move_to(datetime(2026, 5, 1, 12, tzinfo=timezone.utc))
    team = make_team(timezone="UTC")
    people.update_team(team, SYSTEM, digest_weekday=0)  # Mondays
    make_user(teams=[team])
    make_obligation(team=team, title="Annual filing", rule_date=date(2026, 7, 20))
    run_pass(datetime(2026, 5, 1, 12, tzinfo=timezone.utc))
    run_pass(datetime(2026, 7, 1, 12, tzinfo=timezone.utc))  # a Wednesday, after a month of nothing
    [digest] = messages("digest")
    assert digest.dedupe_key.split(":")[2] == "2026-W27"
    run_pass(datetime(2026, 7, 1, 13, tzinfo=timezone.utc))
    assert len(messages("digest")) == 1


def _hook(team, event_types: str):
    channel, _ = channels.create_channel(team, "webhook", "http://127.0.0.1:9/hook", SYSTEM, event_types=event_types)
    return channel


def _deliveries(event_type: str) -> list[ChannelDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(ChannelDelivery).where(ChannelDelivery.event_type == event_type)))


def test_a_channel_hears_of_a_change_recorded_after_the_pass_clock_and_after_an_outage(app, world, clock):
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"
    _hook(world["team"], "deadline.changed,event.recorded")
    plan_channels(START)
    recorded_at = datetime(2026, 8, 6, 14, tzinfo=timezone.utc)
    _record(world, clock, recorded_at, date(2026, 8, 6))
    plan_channels(recorded_at - timedelta(seconds=1))  # a pass whose clock is behind the change
    assert len(_deliveries("deadline.changed")) == 1 and len(_deliveries("event.recorded")) == 1
    plan_channels(recorded_at + timedelta(days=30))
    assert len(_deliveries("deadline.changed")) == 1  # once


def test_a_channel_hears_of_a_change_made_during_a_30_day_outage(app, world, clock):
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"
    _hook(world["team"], "deadline.changed")
    run_pass(START)
    _record(world, clock, START + timedelta(days=1), date(2026, 6, 2))
    plan_channels(START + timedelta(days=31))
    assert len(_deliveries("deadline.changed")) == 1


def test_the_first_vendor_progress_summary_after_an_outage_lists_an_answer_from_weeks_before(world, clock):
    from tracker.vendors.review import close

    run_pass(START)
    request = db.session.scalar(select(VendorRequest))
    clock.move_to(START + timedelta(days=1))
    close(request, "waived", Actor.of(world["member"]), "bought elsewhere")
    run_pass(START + timedelta(days=31))  # the first summary: after a month without passes
    [summary] = messages("vendor_progress")
    assert "GPU Maker 1" in summary.body_text and "bought elsewhere" in summary.body_text
