"""Channels planned by the reminder pass from database state, against real receivers on loopback."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from tests.factories import make_obligation, make_team, make_user
from tests.grouping_support import at, forty_deadlines
from tests.mail_support import SmtpServer
from tracker.audit import SYSTEM
from tracker.channels import operations
from tracker.channels.planning import enqueue_for_team
from tracker.db import db
from tracker.jobs.deliveries import delivery_pass
from tracker.jobs.reminder_pass import run_pass as reminder_pass
from tracker.models import Channel, ChannelDelivery, OutboxMessage
from tracker.people import operations as people


@pytest.fixture
def private_ok(app):
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"
    return app


def run_pass(now):
    """The scheduler's two jobs at the same moment: the reminder mail, then the channel deliveries."""
    reminder_pass(now)
    delivery_pass(now)


def deliveries() -> list[ChannelDelivery]:
    db.session.expire_all()
    return db.session.scalars(select(ChannelDelivery).order_by(ChannelDelivery.id)).all()


def test_a_webhook_gets_one_signed_deadline_changed_delivery_for_the_40(private_ok, httpserver, clock):
    created = {}

    def add_channel(team):
        created["channel"], created["secret"] = operations.create_channel(
            team, "webhook", httpserver.url_for("/hook"), SYSTEM, event_types="deadline.changed,event.recorded")

    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    _, _, enactment, obligations = forty_deadlines(clock, before_recording=add_channel)
    clock.move_to(at("2026-05-02T15:00:00+00:00"))  # the receiver checks the signed timestamp against its clock
    run_pass(at("2026-05-02T15:00:00+00:00"))
    bodies = {}
    for request, _ in httpserver.log:
        payload = Webhook(created["secret"]).verify(request.get_data(as_text=True), dict(request.headers))
        bodies[payload["type"]] = payload
    assert sorted(bodies) == ["deadline.changed", "event.recorded"] and len(httpserver.log) == 2
    changed = bodies["deadline.changed"]["data"]
    assert changed["summary"] == "40 deadlines changed for Export compliance"
    assert [item["key"] for item in changed["items"]] == [ob.key for ob in obligations]  # soonest first
    first = changed["items"][0]
    assert first["due_state"] == "firm" and first["previous_due_date"] == "2026-12-30"
    assert first["due_date"] == "2026-07-31" and "recorded as occurred on 2026-05-02" in first["reason"]
    assert first["cause"] == "Chip Security Act enacted" and first["url"].endswith(f"/obligations/{obligations[0].id}")
    [event] = bodies["event.recorded"]["data"]["items"]
    assert event["title"] == "Chip Security Act enacted" and event["date"] == "2026-05-02"
    assert len(event["moved"]) == 40
    # A second pass plans nothing new.
    run_pass(at("2026-05-02T16:00:00+00:00"))
    assert len(deliveries()) == 2 and len(httpserver.log) == 2


def test_reminders_due_the_same_morning_are_one_slack_message(private_ok, httpserver, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = make_team(timezone="UTC", name="Procurement")
    people.update_team(team, SYSTEM, digest_weekday=None)
    for n in range(3):
        make_obligation(team=team, rule_date=date(2026, 7, 1), title=f"Certify {n}")
    make_obligation(team=team, rule_date=date(2026, 6, 16), title="Late one")
    operations.create_channel(team, "slack", httpserver.url_for("/services/T/B/x"), SYSTEM,
                              event_types="deadline.upcoming,deadline.overdue")
    httpserver.expect_request("/services/T/B/x").respond_with_data("ok")
    run_pass(at("2026-06-24T08:59:00+00:00"))
    assert deliveries() == []  # before 09:00 team time
    run_pass(at("2026-06-24T09:00:00+00:00"))
    run_pass(at("2026-06-24T13:00:00+00:00"))
    by_type = {row.event_type: json.loads(row.body) for row in deliveries()}
    assert sorted(by_type) == ["deadline.overdue", "deadline.upcoming"]
    upcoming = by_type["deadline.upcoming"]
    assert upcoming["text"] == "3 deadlines coming up for Procurement"
    assert [block["type"] for block in upcoming["blocks"]] == ["section"] * 4
    assert by_type["deadline.overdue"]["text"] == "1 deadline overdue for Procurement"  # 8 days late
    assert len(httpserver.log) == 2


def test_a_410_disables_the_channel_and_emails_the_admins_once(private_ok, httpserver, clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = make_team(timezone="UTC", name="Procurement")
    people.update_team(team, SYSTEM, digest_weekday=None)
    admin = make_user(teams=[team], role="admin", email="admin@example.com")
    make_user(teams=[team], role="editor", email="editor@example.com")
    make_obligation(team=team, rule_date=date(2026, 7, 1), title="Certify")
    channel, _ = operations.create_channel(team, "webhook", httpserver.url_for("/hook"), SYSTEM,
                                           event_types="deadline.upcoming", name="Ops hook")
    httpserver.expect_request("/hook").respond_with_data("gone", status=410)
    server = SmtpServer()
    server.start()
    server.configure(private_ok)
    try:
        run_pass(at("2026-06-24T09:00:00+00:00"))
        run_pass(at("2026-06-25T09:00:00+00:00"))
    finally:
        server.stop()
    db.session.expire_all()
    assert db.session.get(Channel, channel.id).status == "disabled"
    notices = [message for message in server.messages if message["Subject"].startswith("Channel disabled")]
    assert len(notices) == 1 and notices[0]["To"].addresses[0].addr_spec == admin.email
    assert notices[0]["Subject"] == "Channel disabled: Ops hook of Procurement"
    text = notices[0].get_body(("plain",)).get_content()
    assert "410" in text and f"/teams/{team.id}/channels" in text
    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "channel_disabled"))
    assert row.status == "sent"
    # Enabled and disabled again: a new disabling, a new email.
    operations.enable_channel(db.session.get(Channel, channel.id), SYSTEM)
    operations.enqueue(db.session.get(Channel, channel.id), "deadline.upcoming", "again", [{"title": "x"}])
    run_pass(at("2026-06-25T10:00:00+00:00"))
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "channel_disabled")).all()) == 2


def test_other_domains_queue_through_enqueue_for_team_at_most_once(private_ok, httpserver, clock):
    team = make_team(name="Procurement")
    wants, _ = operations.create_channel(team, "slack", httpserver.url_for("/services/T/B/a"), SYSTEM,
                                         event_types="proposal.created")
    operations.create_channel(team, "slack", httpserver.url_for("/services/T/B/b"), SYSTEM,
                              event_types="deadline.changed")
    item = [{"title": "Chip Security Act: enacted observed", "detail": "congress reports enacted"}]
    assert enqueue_for_team(team.id, "proposal.created", "proposal:7", item) == 1
    assert enqueue_for_team(team.id, "proposal.created", "proposal:7", item) == 0
    db.session.commit()
    assert [(row.channel_id, row.event_type) for row in deliveries()] == [(wants.id, "proposal.created")]
