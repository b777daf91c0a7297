"""Planning reminders from the database state: timing, catch-up, changes, recipients."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from tests.factories import make_event, make_obligation, make_team, make_user
from tracker.people import operations as people
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.register.events import EventDate, record_event_change
from tracker.models import OutboxItem, OutboxMessage
from tracker.register.obligations import ObligationInput, set_status, update_obligation
from tracker.jobs.reminder_pass import run_pass


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def items(kind: str | None = None) -> list[OutboxItem]:
    query = select(OutboxItem).order_by(OutboxItem.id)
    if kind:
        query = query.where(OutboxItem.kind == kind)
    return list(db.session.scalars(query))


def quiet_team(**kwargs):
    """A team without a digest, so only the reminders under test arrive."""
    team = make_team(**kwargs)
    people.update_team(team, SYSTEM, digest_weekday=None)
    return team


def test_it_sends_the_lead_reminder_at_nine_local_time_not_before(app, clock):
    clock.move_to(at("2026-06-02T00:00:00+00:00"))  # after the 30-day reminder's time
    team = quiet_team(timezone="Asia/Tokyo")
    user = make_user(teams=[team])
    make_obligation(team=team, title="California vendor self-certification", rule_date=date(2026, 7, 1))
    run_pass(at("2026-06-24T08:59:00+09:00"))
    assert outbox() == []
    run_pass(at("2026-06-24T09:00:00+09:00"))
    [message] = outbox()
    assert message.subject == "Due in 7 days: California vendor self-certification, Wed 1 Jul 2026"
    assert message.recipient == user.email and message.lead_days == 7
    run_pass(at("2026-06-24T15:00:00+09:00"))
    assert len(outbox()) == 1


def test_downtime_catches_up_with_only_the_newest_missed_reminder(app, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team(timezone="America/New_York")
    make_user(teams=[team])
    make_obligation(team=team, rule_date=date(2026, 7, 1))
    make_obligation(team=team, rule_date=date(2026, 7, 3))
    # Nothing ran from before the 30-day reminders until after the 7-day ones.
    run_pass(at("2026-06-26T12:00:00-04:00"))
    # One item per deadline (the 7-day one only), both in one message for the one recipient.
    assert sorted((item.lead_days, item.revision) for item in items()) == [(7, 0), (7, 0)]
    [message] = outbox()
    assert message.subject == "2 deadlines: 1 due in 5 days, 1 due in 7 days"
    assert {item.message_id for item in items()} == {message.id}
    run_pass(at("2026-06-26T18:00:00-04:00"))
    assert len(outbox()) == 1 and len(items()) == 2


def test_recipients_are_members_and_owner_minus_opt_outs_and_inactive(app, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team(timezone="UTC")
    member = make_user(teams=[team], role="viewer")
    opted_out = make_user(teams=[team])
    opted_out.email_reminders = False
    inactive = make_user(teams=[team])
    inactive.active = False
    owner = make_user(teams=[team])  # owners are members when assigned; this one left the team since
    db.session.commit()
    make_obligation(team=team, rule_date=date(2026, 7, 1), owner_id=owner.id)
    people.set_membership(team, owner, False, SYSTEM)
    run_pass(at("2026-06-01T09:00:00+00:00"))
    reminders = [m for m in outbox() if "assigned you" not in m.subject]  # the owner was also told of the assignment
    assert sorted(m.recipient for m in reminders) == sorted([member.email, owner.email])


def test_nothing_for_done_waived_undated_or_projected_when_the_team_says_no(app, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team(timezone="UTC")
    make_user(teams=[team])
    done = make_obligation(team=team, rule_date=date(2026, 7, 1))
    set_status(done, "done", SYSTEM)
    waived = make_obligation(team=team, rule_date=date(2026, 7, 1))
    set_status(waived, "waived", SYSTEM, note="not our market")
    make_obligation(team=team, rule="relative", anchor=make_event(status="speculative", on=None), rule_offset=30)
    projected = make_obligation(team=team, rule="relative", anchor=make_event(on=date(2026, 6, 1)),
                                rule_offset=30, title="Projected one")
    people.update_team(team, SYSTEM, remind_projected=False)
    run_pass(at("2026-06-30T09:00:00+00:00"))
    assert outbox() == []
    people.update_team(team, SYSTEM, remind_projected=True)
    run_pass(at("2026-06-30T09:00:00+00:00"))
    # The estimate (2026-06-01) has passed: besides the reminder, the stale-estimate notice goes.
    [stale] = [m for m in outbox() if m.kind == "stale_estimate"]
    assert "record what happened or move the estimate" in stale.body_text
    [message] = [m for m in outbox() if m.kind != "stale_estimate"]
    assert message.obligation_id == projected.id
    assert message.subject.startswith("Due tomorrow (projected): Projected one")
    assert "projected, not firm: it waits for" in message.body_text


def test_moved_deadline_gets_one_change_notice_and_reminders_follow_the_new_date(app, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team(timezone="Europe/Berlin")
    make_user(teams=[team])
    event = make_event(status="expected", on=date(2026, 6, 1), title="Rule published")
    obligation = make_obligation(team=team, rule="relative", anchor=event, rule_offset=30, title="File report")
    run_pass(at("2026-06-01T09:00:00+02:00"))  # due 2026-07-01: the 30-day reminder
    assert [m.lead_days for m in outbox("reminder")] == [30]
    clock.move_to(at("2026-06-03T10:00:00+02:00"))
    record_event_change(event, EventDate("occurred", date(2026, 6, 11), "day"), SYSTEM)
    for day in range(3, 30):
        run_pass(at(f"2026-06-{day:02d}T12:00:00+02:00"))
    [change] = outbox("change")
    assert "Wed 1 Jul 2026" in change.subject and "Sat 11 Jul 2026" in change.subject
    assert "Rule published" in change.body_text
    reminders = outbox("reminder")
    assert [(m.revision, m.lead_days) for m in reminders] == [(0, 30), (1, 30)]
    assert reminders[1].created_at == at("2026-06-11T12:00:00+02:00")
    run_pass(at("2026-07-04T12:00:00+02:00"))
    assert [(m.revision, m.lead_days) for m in outbox("reminder")][-1] == (1, 7)


def test_overdue_notices_repeat_every_interval_and_catch_up_once(app, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team(timezone="America/Los_Angeles")
    make_user(teams=[team])
    obligation = make_obligation(team=team, rule_date=date(2026, 5, 10))
    db.session.execute(db.delete(OutboxMessage))
    run_pass(at("2026-05-11T09:00:00-07:00"))
    assert [m.lead_days for m in outbox("overdue")] == [1]
    run_pass(at("2026-05-30T09:00:00-07:00"))  # 8 and 15 passed while down: only 15
    assert [m.lead_days for m in outbox("overdue")] == [1, 15]
    set_status(obligation, "done", SYSTEM)
    run_pass(at("2026-06-30T09:00:00-07:00"))
    assert [m.lead_days for m in outbox("overdue")] == [1, 15]


def test_weekly_digest_goes_once_per_week_on_the_team_day(app, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = make_team(timezone="Asia/Kolkata")
    people.update_team(team, SYSTEM, digest_weekday=2, reminder_lead_days="", overdue_every_days=0)
    make_user(teams=[team])
    make_obligation(team=team, rule_date=date(2026, 5, 20), title="Soon")
    run_pass(at("2026-05-06T08:59:00+05:30"))  # a Wednesday, before 09:00
    assert outbox("digest") == []
    for hour in (9, 13, 20):
        run_pass(at(f"2026-05-06T{hour:02d}:00:00+05:30"))
    [digest] = outbox("digest")
    assert "1 due in the next 30 days" in digest.subject and "Soon" in digest.body_text
    run_pass(at("2026-05-13T09:00:00+05:30"))
    assert len(outbox("digest")) == 2


def test_policy_change_replans_the_teams_obligations(app, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team(timezone="UTC")
    make_user(teams=[team])
    make_obligation(team=team, rule_date=date(2026, 7, 1))
    run_pass(at("2026-06-01T09:00:00+00:00"))
    run_pass(at("2026-06-10T09:00:00+00:00"))  # 21 days before: nothing new under 30,7,1,0
    assert [m.lead_days for m in outbox()] == [30]
    people.update_team(team, SYSTEM, reminder_lead_days="21")
    run_pass(at("2026-06-10T09:30:00+00:00"))
    assert [m.lead_days for m in outbox()] == [30, 21]


def test_renamed_obligation_is_not_a_change_notice(app, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team(timezone="UTC")
    make_user(teams=[team])
    obligation = make_obligation(team=team, rule_date=date(2026, 9, 1), key="k1")
    update_obligation(obligation, ObligationInput(key="k1", title="Renamed", team_id=team.id, rule="fixed",
                                                  rule_date=date(2026, 9, 1)), SYSTEM)
    run_pass(at("2026-05-02T09:00:00+00:00"))
    assert outbox() == []


def test_every_change_of_a_reminder_input_replans_the_obligation(app, clock):
    from tracker.models import Obligation
    from tracker.models.register import PLAN_NOW
    from tracker.register.obligations import delete_obligation

    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team(timezone="UTC")
    event = make_event(status="expected", on=date(2026, 6, 1))
    obligation = make_obligation(team=team, rule="relative", anchor=event, rule_offset=30, key="k2")
    assert obligation.next_reminder_at == PLAN_NOW  # new: planned at the next pass

    def planned_then(change) -> None:
        run_pass(at("2026-05-01T12:00:00+00:00"))
        db.session.refresh(obligation)
        assert obligation.next_reminder_at > PLAN_NOW
        change()
        db.session.expire_all()
        assert db.session.get(Obligation, obligation.id).next_reminder_at == PLAN_NOW

    planned_then(lambda: record_event_change(event, EventDate("expected", date(2026, 6, 8), "day"), SYSTEM))
    planned_then(lambda: update_obligation(obligation, ObligationInput(
        key="k2", title="t", team_id=team.id, rule="fixed", rule_date=date(2026, 8, 1)), SYSTEM))
    planned_then(lambda: set_status(obligation, "in_progress", SYSTEM))
    planned_then(lambda: people.update_team(team, SYSTEM, timezone="Asia/Tokyo"))
    planned_then(lambda: people.update_team(team, SYSTEM, overdue_every_days=3))
    planned_then(lambda: delete_obligation(obligation, SYSTEM))


def test_ten_days_without_a_pass_then_one_catch_up_per_obligation(app, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team(timezone="Asia/Tokyo")
    make_user(teams=[team])
    make_user(teams=[team])
    dues = [date(2026, 7, day) for day in range(1, 9)]
    obligations = [make_obligation(team=team, rule_date=due) for due in dues]
    for day in range(1, 21):  # daily passes until 20 June, then 10 days of downtime
        run_pass(at(f"2026-06-{day:02d}T10:00:00+09:00"))
    before = {item.id for item in items()}
    messages_before = len(outbox())
    sent_before = {(item.obligation_id, item.lead_days) for item in items()}
    run_pass(at("2026-06-30T10:00:00+09:00"))
    new = [item for item in items() if item.id not in before]
    # Two recipients, one item each per obligation: the newest missed lead time only,
    # all of a recipient's items in one message.
    newest = {ob.id: min(lead for lead in (30, 7, 1, 0) if (ob.due_date - date(2026, 6, 30)).days <= lead)
              for ob in obligations}
    expected = [(ob_id, lead) for ob_id, lead in newest.items() if (ob_id, lead) not in sent_before]
    assert len(expected) == 7  # the 8 July one already had its 30-day reminder on 8 June
    assert sorted((item.obligation_id, item.lead_days) for item in new) == sorted(expected * 2)
    assert len(outbox()) == messages_before + 2 and len({item.message_id for item in new}) == 2
    run_pass(at("2026-06-30T11:00:00+09:00"))
    assert len(items()) == len(before) + len(new) and len(outbox()) == messages_before + 2


def test_change_notices_survive_a_downtime_longer_than_their_window(app, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team(timezone="UTC")
    make_user(teams=[team])
    event = make_event(status="expected", on=date(2026, 9, 1), title="Act enacted")
    make_obligation(team=team, rule="relative", anchor=event, rule_offset=90, title="Certify")
    run_pass(at("2026-05-01T12:00:00+00:00"))  # the last pass before a month of downtime
    clock.move_to(at("2026-05-03T12:00:00+00:00"))
    record_event_change(event, EventDate("occurred", date(2026, 5, 2), "day"), SYSTEM)
    run_pass(at("2026-06-01T12:00:00+00:00"))  # 29 days later: older than the 14-day window
    [change] = outbox("change")
    assert "Act enacted" in change.body_text
