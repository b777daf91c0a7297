"""Grouped mail against a real SMTP server: one change notice per recipient per cause, per-item guarantees."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import vobject
from sqlalchemy import func, select

from tests.factories import make_obligation, make_team, make_user
from tests.grouping_support import SUBJECT, at, forty_deadlines
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.feeds.tokens import ensure_token, feed_url
from tracker.jobs.reminder_pass import run_pass
from tracker.models import ChangeCause, DeadlineHistory, OutboxItem, OutboxMessage
from tracker.people import operations as people
from tracker.register.obligations import set_status


@pytest.fixture
def smtp(smtp_server):
    return smtp_server  # started; each test points the app at it when it should send


def attachment(message) -> str:
    [part] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    return part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode()


def feed_sequences(client, team) -> dict[str, int]:
    path = "/" + feed_url(ensure_token(team, SYSTEM)).split("/", 3)[3]
    feed = vobject.readOne(client.get(path).get_data(as_text=True))
    return {event.uid.value: int(event.sequence.value) for event in feed.vevent_list}


def test_one_event_moving_40_deadlines_gives_each_member_one_message_naming_the_40(app, clock, smtp, client):
    team, users, _, obligations = forty_deadlines(clock)
    cause = db.session.scalar(select(ChangeCause))
    assert cause.title == "Chip Security Act enacted" and cause.kind == "event"
    assert db.session.scalar(select(func.count()).select_from(DeadlineHistory)
                             .where(DeadlineHistory.cause_id == cause.id)) == 40
    smtp.configure(app)
    report = run_pass(at("2026-05-02T15:00:00+00:00"))
    assert (report.planned, report.sent) == (3, 3)
    assert sorted(message["To"].addresses[0].addr_spec for message in smtp.messages) == sorted(
        user.email for user in users)
    sequences = feed_sequences(client, team)
    for message in smtp.messages:
        assert message["Subject"] == SUBJECT
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        for obligation in obligations:
            assert obligation.title in text and f"/obligations/{obligation.id}" in html
        # Most urgent first: the earliest new date leads.
        assert text.index("Obligation 00") < text.index("Obligation 01") < text.index("Obligation 39")
        assert "recorded as occurred on 2026-05-02" in text and "(firm)" in text
        calendar = vobject.readOne(attachment(message))
        calendar.validate()
        events = calendar.vevent_list
        assert len(events) == 40
        assert {event.uid.value: int(event.sequence.value) for event in events} == sequences
        assert all(int(event.sequence.value) == 1 for event in events)
    # A second pass plans nothing new: every item is in exactly one message.
    assert run_pass(at("2026-05-02T16:00:00+00:00")).planned == 0
    assert len(smtp.messages) == 3
    items = db.session.scalars(select(OutboxItem)).all()
    assert len(items) == 120 and len({item.message_id for item in items}) == 3


def test_a_deadline_completed_between_planning_and_sending_leaves_the_message(app, clock, smtp):
    _, users, _, obligations = forty_deadlines(clock, members=1)
    run_pass(at("2026-05-02T15:00:00+00:00"))  # no SMTP host yet: planned and kept
    [queued] = db.session.scalars(select(OutboxMessage)).all()
    assert queued.subject == SUBJECT and queued.status == "pending"
    set_status(obligations[5], "done", SYSTEM)
    smtp.configure(app)
    report = run_pass(at("2026-05-02T16:00:00+00:00"))
    assert report.sent == 1
    [message] = smtp.messages
    assert message["Subject"] == "Chip Security Act enacted: 39 deadlines moved"
    assert message["Message-ID"] == queued.message_id  # rebuilt, same message
    text = message.get_body(("plain",)).get_content()
    assert "Obligation 05" not in text and "Obligation 04" in text and "Obligation 06" in text
    assert len(vobject.readOne(attachment(message)).vevent_list) == 39
    db.session.expire_all()
    left = db.session.scalars(select(OutboxItem).where(OutboxItem.status == "left_out")).all()
    assert [(item.obligation_id, item.note) for item in left] == [
        (obligations[5].id, "not sent: the obligation is done")]


def test_a_message_whose_every_deadline_was_settled_is_cancelled_not_sent(app, clock, smtp):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = make_team(timezone="UTC")
    people.update_team(team, SYSTEM, digest_weekday=None)
    make_user(teams=[team])
    first = make_obligation(team=team, rule_date=date(2026, 7, 1))
    second = make_obligation(team=team, rule_date=date(2026, 7, 1))
    run_pass(at("2026-06-24T09:00:00+00:00"))
    [queued] = db.session.scalars(select(OutboxMessage)).all()
    assert queued.subject == "2 deadlines: 2 due in 7 days"
    set_status(first, "done", SYSTEM)
    set_status(second, "waived", SYSTEM, note="not our market")
    smtp.configure(app)
    report = run_pass(at("2026-06-24T10:00:00+00:00"))
    assert (report.sent, report.cancelled) == (0, 1) and smtp.messages == []
    db.session.expire_all()
    row = db.session.get(OutboxMessage, queued.id)
    assert row.status == "cancelled" and "none of its deadlines is due any more" in row.last_error


def test_one_email_per_deadline_when_the_user_prefers_it(app, clock, smtp):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    _, users, _, _ = forty_deadlines(clock, members=2)
    users[1].email_one_per_deadline = True
    db.session.commit()
    smtp.configure(app)
    run_pass(at("2026-05-02T15:00:00+00:00"))
    by_recipient: dict[str, list[str]] = {}
    for message in smtp.messages:
        by_recipient.setdefault(message["To"].addresses[0].addr_spec, []).append(message["Subject"])
    assert by_recipient[users[0].email] == [SUBJECT]
    assert len(by_recipient[users[1].email]) == 40
    assert all(subject.strip().startswith("Deadline changed: Obligation ") for subject in by_recipient[users[1].email])


def test_an_smtp_outage_keeps_the_grouped_message_whole_and_sends_it_once(app, clock, smtp):
    forty_deadlines(clock, members=1)
    smtp.configure(app)
    smtp.stop()
    report = run_pass(at("2026-05-02T15:00:00+00:00"))
    assert report.retried == 1
    smtp.start()
    run_pass(at("2026-05-02T18:00:00+00:00"))
    run_pass(at("2026-05-02T19:00:00+00:00"))
    [message] = smtp.messages
    assert message["Subject"] == SUBJECT
    items = db.session.scalars(select(OutboxItem)).all()
    assert len(items) == 40 and {item.status for item in items} == {"queued"}


def test_a_pack_import_that_moves_deadlines_is_one_cause_and_one_message(app, clock):
    import json

    from tracker.packs.importer import import_pack_text

    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    pack = {"pack": "csa", "teams": [{"key": "ex", "name": "Export", "timezone": "UTC",
                                      "members": [{"email": "a@example.com", "name": "A", "role": "editor"}]}],
            "sources": [{"key": "csa", "title": "Chip Security Act", "kind": "bill", "jurisdiction": "US"}],
            "events": [{"key": "enacted", "source": "csa", "title": "Enacted", "status": "expected",
                        "date": "2026-10-01"}],
            "obligations": [{"key": f"o{n}", "title": f"Duty {n}", "team": "ex", "events": ["enacted"],
                             "deadline": {"rule": "relative", "anchor": "enacted", "offset": 30 + n, "unit": "days"}}
                            for n in range(5)]}
    import_pack_text(json.dumps(pack), SYSTEM)
    run_pass(at("2026-05-01T12:00:00+00:00"))
    pack["events"][0].update(status="occurred", date="2026-05-02")
    clock.move_to(at("2026-05-02T12:00:00+00:00"))
    import_pack_text(json.dumps(pack), SYSTEM)
    run_pass(at("2026-05-02T13:00:00+00:00"))
    [cause] = db.session.scalars(select(ChangeCause)).all()
    assert (cause.kind, cause.title) == ("pack", "Pack csa imported")
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "change")).all()
    assert message.subject == "Pack csa imported: 5 deadlines moved"
    assert all(f"Duty {n}" in message.body_text for n in range(5))


def test_one_person_in_two_teams_moved_by_one_event_gets_one_message(app, clock):
    from tests.factories import make_event

    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    first, second = make_team(timezone="UTC", name="Legal"), make_team(timezone="UTC", name="Procurement")
    for team in (first, second):
        people.update_team(team, SYSTEM, digest_weekday=None)
    both = make_user(teams=[first, second], email="both@example.com")
    only = make_user(teams=[second], email="only@example.com")
    event = make_event(status="expected", on=date(2026, 9, 1), title="Rule published")
    for team in (first, second, second):
        make_obligation(team=team, rule="relative", anchor=event, rule_offset=30)
    run_pass(at("2026-05-01T12:00:00+00:00"))
    clock.move_to(at("2026-05-02T12:00:00+00:00"))
    from tracker.register.events import EventDate, record_event

    record_event(event.id, EventDate("occurred", date(2026, 5, 2), "day"), SYSTEM)
    run_pass(at("2026-05-02T13:00:00+00:00"))
    subjects = {m.recipient: m.subject for m in db.session.scalars(select(OutboxMessage))}
    assert subjects == {both.email: "Rule published: 3 deadlines moved",
                        only.email: "Rule published: 2 deadlines moved"}
    text = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == both.email)).body_text
    assert "Teams: Legal, Procurement" in text


def test_items_stored_by_a_pass_that_died_before_grouping_are_grouped_by_the_next(app, clock, smtp):
    from tracker.mail.planning import plan_items

    forty_deadlines(clock, members=2)
    assert plan_items(at("2026-05-02T15:00:00+00:00")) == 80  # ... and the process dies here
    assert db.session.scalars(select(OutboxMessage)).all() == []
    smtp.configure(app)
    report = run_pass(at("2026-05-02T15:05:00+00:00"))
    assert (report.planned, report.sent) == (2, 2)
    assert [message["Subject"] for message in smtp.messages] == [SUBJECT, SUBJECT]


def test_a_big_message_with_many_different_due_phrases_keeps_its_subject_to_one_short_line(app, clock, smtp):
    # 40 deadlines overdue by 40 different numbers of days: the subject counts each phrase,
    # which is longer than a subject may be; the pass must not fail on it (it once did).
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = make_team(timezone="UTC", name="Late filings")
    people.update_team(team, SYSTEM, digest_weekday=None)
    make_user(teams=[team], email="late@example.com")
    for n in range(40):
        make_obligation(team=team, title=f"Late {n:02d}", rule_date=date(2026, 4, 30) - timedelta(days=3 * n))
    smtp.configure(app)
    report = run_pass(at("2026-05-01T09:00:00+00:00"))
    assert report.planned == 1
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "overdue")).all()
    assert message.subject == ("40 deadlines: 1 overdue by 118 days, 1 overdue by 115 days, "
                               "1 overdue by 112 days, 1 overdue by 109 days and 36 more")
    [sent] = smtp.messages
    assert sent["Subject"] == message.subject
