"""Dispatch to a real SMTP server on loopback: headers, attachment, retries, failures."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import vobject
from sqlalchemy import select, update

from tests.factories import make_event, make_obligation, make_team, make_user
from tracker.people import operations as people
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.mail.dispatch import MAX_ATTEMPTS
from tracker.feeds.uids import obligation_uid
from tracker.models import Obligation, OutboxMessage
from tracker.jobs.reminder_pass import run_pass


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def setup_due_in_seven_days(clock, title="California vendor self-certification", **team_fields):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = make_team(timezone="America/Los_Angeles", name="Procurement")
    people.update_team(team, SYSTEM, digest_weekday=None, **team_fields)
    user = make_user(teams=[team], name="Buyer Person", email="buyer@example.com")
    obligation = make_obligation(team=team, title=title, rule_date=date(2026, 7, 1))
    return team, user, obligation


def test_reminder_arrives_once_with_alternatives_headers_and_calendar(app, clock, smtp):
    _, user, obligation = setup_due_in_seven_days(clock)
    report = run_pass(at("2026-06-24T09:00:00-07:00"))
    assert (report.planned, report.sent, report.failed) == (1, 1, 0)
    run_pass(at("2026-06-24T10:00:00-07:00"))
    [message] = smtp.messages
    row = db.session.scalar(select(OutboxMessage))
    assert message["Message-ID"] == row.message_id and row.status == "sent"
    assert message["Subject"] == "Due in 7 days: California vendor self-certification, Wed 1 Jul 2026"
    assert message["To"].addresses[0].addr_spec == user.email
    assert message["List-Unsubscribe"] == f"<{row.unsubscribe_url}>"
    assert row.unsubscribe_url.startswith("https://tracker.example.test/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"https://tracker.example.test/obligations/{obligation.id}"
    assert link in text and f'href="{link}"' in html and "This date is firm." in text
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    calendar = vobject.readOne(attachment.get_content())
    calendar.validate()
    assert calendar.method.value == "PUBLISH"
    assert calendar.vevent.uid.value == obligation_uid(obligation.id)
    assert int(calendar.vevent.sequence.value) == obligation.revision
    assert calendar.vevent.dtstart.value == date(2026, 7, 1)
    assert calendar.vevent.dtend.value == date(2026, 7, 2)
    assert calendar.vevent.status.value == "CONFIRMED"


def test_projected_deadline_attachment_is_tentative_with_the_feed_sequence(app, clock, smtp):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = make_team(timezone="UTC")
    people.update_team(team, SYSTEM, digest_weekday=None)
    make_user(teams=[team])
    event = make_event(status="expected", on=date(2026, 5, 2), title="Act enacted")
    obligation = make_obligation(team=team, rule="relative", anchor=event, rule_offset=60)
    from tracker.register.events import EventDate, record_event_change
    record_event_change(event, EventDate("expected", date(2026, 5, 3), "day"), SYSTEM)
    db.session.refresh(obligation)
    assert obligation.revision == 1
    run_pass(at("2026-06-02T09:00:00+00:00"))  # the 30-day reminder of the new date
    reminder = next(m for m in smtp.messages if m["Subject"].startswith("Due in 30 days (projected)"))
    calendar = vobject.readOne(next(reminder.iter_attachments()).get_content())
    assert calendar.vevent.status.value == "TENTATIVE"
    assert int(calendar.vevent.sequence.value) == 1


def test_titles_with_line_breaks_cannot_inject_headers(app, clock, smtp):
    _, user, obligation = setup_due_in_seven_days(clock)
    # Written straight to the database, as a careless import might.
    db.session.execute(update(Obligation).where(Obligation.id == obligation.id).values(
        title="Cert\r\nBcc: victim@example.net\r\nX-Evil: 1"))
    user.name = "Buyer\r\nCc: other@example.net"
    db.session.commit()
    run_pass(at("2026-06-24T09:00:00-07:00"))
    [message] = smtp.messages
    assert message["Bcc"] is None and message["X-Evil"] is None and message["Cc"] is None
    assert "Bcc: victim@example.net" in message["Subject"]
    assert "\n" not in message["Subject"]
    assert [a.addr_spec for a in message["To"].addresses] == [user.email]


def test_smtp_outage_of_two_hours_retries_and_delivers_once(app, clock, smtp):
    setup_due_in_seven_days(clock)
    smtp.stop()
    start = at("2026-06-24T09:00:00-07:00")
    rng = random.Random(7)
    moment, retried = start, 0
    while moment < start + timedelta(hours=2):
        report = run_pass(moment, rng=rng)
        retried += report.retried
        assert report.sent == 0 and report.failed == 0
        moment += timedelta(minutes=5)
    row = db.session.scalar(select(OutboxMessage))
    assert row.status == "pending" and row.attempts >= 4 and "cannot connect" in row.last_error
    assert retried == row.attempts
    smtp.start()
    moment = start + timedelta(hours=2)
    while not smtp.messages and moment < start + timedelta(hours=4):
        run_pass(moment, rng=rng)
        moment += timedelta(minutes=5)
    run_pass(moment + timedelta(hours=1), rng=rng)
    assert len(smtp.messages) == 1
    db.session.refresh(row)
    assert row.status == "sent"


def test_backoff_grows_exponentially_with_jitter(app):
    from tracker.mail.dispatch import backoff

    rng = random.Random(1)
    delays = [backoff(n, rng).total_seconds() for n in range(1, 9)]
    for n, delay in enumerate(delays[:6], start=1):
        assert 0.8 * 60 * 2 ** (n - 1) <= delay <= 1.2 * 60 * 2 ** (n - 1)
    assert all(delay <= 1.2 * 3600 for delay in delays)


def test_permanent_refusal_is_marked_failed_and_can_be_retried(app, clock, smtp):
    _, user, _ = setup_due_in_seven_days(clock)
    smtp.recorder.refuse[user.email] = "550 5.1.1 mailbox unavailable"
    report = run_pass(at("2026-06-24T09:00:00-07:00"))
    assert (report.sent, report.failed) == (0, 1)
    row = db.session.scalar(select(OutboxMessage))
    assert row.status == "failed" and "550" in row.last_error
    run_pass(at("2026-06-25T09:00:00-07:00"))
    db.session.refresh(row)
    assert row.status == "failed" and smtp.messages == []


def test_temporary_refusals_end_as_failed_after_the_last_attempt(app, clock, smtp):
    _, user, _ = setup_due_in_seven_days(clock)
    smtp.recorder.refuse[user.email] = "451 4.3.0 try again later"
    moment = at("2026-06-24T09:00:00-07:00")
    for _ in range(40):
        run_pass(moment, rng=random.Random(3))
        moment += timedelta(hours=2)
    row = db.session.scalar(select(OutboxMessage))
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS and "451" in row.last_error


def test_without_smtp_host_mail_is_kept_in_the_outbox(app, clock):
    setup_due_in_seven_days(clock)
    report = run_pass(at("2026-06-24T09:00:00-07:00"))
    assert (report.planned, report.sent, report.kept) == (1, 0, 1)
    assert "kept in the outbox" in report.summary()
    row = db.session.scalar(select(OutboxMessage))
    assert row.status == "pending" and row.attempts == 0


def test_attachment_is_the_same_event_the_team_feed_shows(app, clock, smtp):
    """Same UID, SEQUENCE, dates and status as the feed, so calendars merge them."""
    from tracker.feeds.tokens import ensure_token, feed_url

    team, user, obligation = setup_due_in_seven_days(clock)
    run_pass(at("2026-06-24T09:00:00-07:00"))
    [message] = smtp.messages
    attached = vobject.readOne(next(message.iter_attachments()).get_content()).vevent
    feed_path = feed_url(ensure_token(team, SYSTEM)).split("tracker.example.test", 1)[1]
    db.session.commit()
    feed = vobject.readOne(app.test_client().get(feed_path).get_data(as_text=True))
    [in_feed] = [e for e in feed.vevent_list if e.uid.value == attached.uid.value]
    for name in ("uid", "sequence", "dtstart", "dtend", "status", "summary"):
        assert getattr(in_feed, name).value == getattr(attached, name).value, name


def test_reminder_queued_during_an_outage_is_not_sent_once_the_work_is_done(app, clock, smtp):
    _, _, obligation = setup_due_in_seven_days(clock)
    smtp.stop()
    run_pass(at("2026-06-24T09:00:00-07:00"), rng=random.Random(1))  # planned, the relay is down
    from tracker.register.obligations import set_status
    set_status(db.session.get(Obligation, obligation.id), "done", SYSTEM)
    smtp.start()
    report = run_pass(at("2026-06-24T12:00:00-07:00"), rng=random.Random(1))
    assert smtp.messages == [] and report.cancelled == 1
    row = db.session.scalar(select(OutboxMessage))
    assert (row.status, row.last_error) == ("cancelled", "not sent: the obligation is done")
    assert "cancelled 1" in report.summary()


def test_reminder_queued_before_the_deadline_moved_is_not_sent_for_the_old_date(app, clock, smtp):
    team, _, obligation = setup_due_in_seven_days(clock)
    smtp.stop()
    run_pass(at("2026-06-24T09:00:00-07:00"), rng=random.Random(1))
    from tracker.register.obligations import ObligationInput, update_obligation
    clock.move_to(at("2026-06-24T10:00:00-07:00"))
    current = db.session.get(Obligation, obligation.id)
    update_obligation(current, ObligationInput(key=current.key, title=current.title, team_id=team.id,
                                               rule="fixed", rule_date=date(2026, 9, 1)), SYSTEM)
    smtp.start()
    run_pass(at("2026-06-24T12:00:00-07:00"), rng=random.Random(1))
    subjects = [message["Subject"] for message in smtp.messages]
    assert not any(subject.startswith("Due in 7 days") for subject in subjects)
    assert any(subject.startswith("Deadline changed") for subject in subjects)  # the news that counts
    stale = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
    assert (stale.status, stale.last_error) == ("cancelled", "not sent: the deadline moved since this reminder "
                                                             "was planned")


def test_a_slow_batch_gives_its_unsent_rows_back_before_the_lease_runs_out(app, clock, smtp, monkeypatch):
    import tracker.mail.dispatch as dispatch_module

    team, user, _ = setup_due_in_seven_days(clock)
    for _ in range(4):
        make_obligation(team=team, rule_date=date(2026, 7, 1))
    user.email_one_per_deadline = True  # five messages, not one grouped message
    db.session.commit()
    released = []
    original = dispatch_module._release
    monkeypatch.setattr(dispatch_module, "SEND_WITHIN", timedelta(0))  # every batch is "too slow"
    monkeypatch.setattr(dispatch_module, "_release", lambda rows, worker: released.append(len(rows))
                        or original(rows, worker))
    report = run_pass(at("2026-06-24T09:00:00-07:00"))
    assert report.sent == 5 and released == [4, 3, 2, 1]  # one sent per claim, the rest re-claimed
    assert sorted(message["Message-ID"] for message in smtp.messages) == sorted(
        db.session.scalars(select(OutboxMessage.message_id)))


def queue_during_an_outage(clock, smtp):
    """A reminder planned while the relay is down, so it waits in the outbox."""
    team, user, obligation = setup_due_in_seven_days(clock)
    smtp.stop()
    run_pass(at("2026-06-24T09:00:00-07:00"), rng=random.Random(1))
    smtp.start()
    return team, db.session.get(type(user), user.id), obligation


def assert_cancelled(smtp, reason: str) -> None:
    report = run_pass(at("2026-06-24T12:00:00-07:00"), rng=random.Random(1))
    assert smtp.messages == [] and (report.sent, report.cancelled) == (0, 1)
    row = db.session.scalar(select(OutboxMessage))
    assert (row.status, row.last_error) == ("cancelled", reason)


def test_a_queued_reminder_is_not_sent_to_someone_deactivated_since(app, clock, smtp):
    _, user, _ = queue_during_an_outage(clock, smtp)
    people.update_user(user, SYSTEM, active=False)
    assert_cancelled(smtp, "not sent: the recipient was deactivated")


def test_a_queued_reminder_is_not_sent_to_someone_removed_from_the_team_since(app, clock, smtp):
    team, user, _ = queue_during_an_outage(clock, smtp)
    people.set_membership(team, user, False, SYSTEM)
    assert_cancelled(smtp, "not sent: the recipient is no longer a member of the team")


def test_a_queued_reminder_is_not_sent_to_someone_who_opted_out_since(app, clock, smtp):
    from tracker.mail.preferences import set_email_preferences

    _, user, _ = queue_during_an_outage(clock, smtp)
    set_email_preferences(user, SYSTEM, email_reminders=False)
    assert_cancelled(smtp, "not sent: the recipient turned off deadline reminders")


def test_a_queued_reminder_still_reaches_the_owner_who_is_not_a_member(app, clock, smtp):
    team, user, obligation = queue_during_an_outage(clock, smtp)
    from tracker.register.obligations import ObligationInput, update_obligation
    current = db.session.get(Obligation, obligation.id)
    update_obligation(current, ObligationInput(key=current.key, title=current.title, team_id=team.id,
                                               rule="fixed", rule_date=date(2026, 7, 1), owner_id=user.id),
                      SYSTEM)
    people.set_membership(team, user, False, SYSTEM)
    report = run_pass(at("2026-06-24T12:00:00-07:00"), rng=random.Random(1))
    # The queued reminder, and the notice that they were assigned (issue 25).
    assert (report.sent, report.cancelled) == (2, 0) and len(smtp.messages) == 2
    assert sum("assigned you" in str(message["Subject"]) for message in smtp.messages) == 1


def test_a_queued_digest_is_not_sent_to_someone_removed_from_the_team_since(app, clock, smtp):
    clock.move_to(at("2026-06-01T00:00:00+00:00"))
    team = make_team(timezone="UTC")
    user = make_user(teams=[team])
    smtp.stop()
    run_pass(at("2026-06-08T09:00:00+00:00"), rng=random.Random(1))  # Monday: the digest is queued
    smtp.start()
    people.set_membership(team, user, False, SYSTEM)
    report = run_pass(at("2026-06-08T12:00:00+00:00"), rng=random.Random(1))
    assert smtp.messages == [] and report.cancelled == 1
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "digest"))
    assert (row.status, row.last_error) == ("cancelled", "not sent: the recipient is no longer a member of "
                                                         "the team")
