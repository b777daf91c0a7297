"""Channels against real HTTP receivers on loopback (pytest-httpserver): signing, retries, disabling."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook
from werkzeug import Response

from tests.factories import make_team
from tracker.audit import SYSTEM
from tracker.channels import operations
from tracker.channels.delivery import deliver_due
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import Channel, ChannelDelivery

ITEMS = [{"title": "File the annual report", "due_date": "2027-01-15", "url": "https://tracker.example.test/o/1"}]


@pytest.fixture
def private_ok(app):
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"
    return app


def _webhook(httpserver, events=None):
    channel, secret = operations.create_channel(make_team(name="Procurement"), "webhook",
                                                httpserver.url_for("/hook"), SYSTEM, event_types=events)
    return channel, secret


def _deliveries():
    db.session.expire_all()
    return db.session.scalars(db.select(ChannelDelivery).order_by(ChannelDelivery.id)).all()


def test_receiver_verifies_the_standard_webhooks_signature(private_ok, httpserver, clock):
    channel, secret = _webhook(httpserver)
    assert secret.startswith("whsec_") and channel.secret == secret
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    operations.enqueue(channel, "deadline.upcoming", "u-1", ITEMS)
    assert deliver_due(utcnow()).delivered == 1
    request = httpserver.log[0][0]
    payload = Webhook(secret).verify(request.get_data(as_text=True), dict(request.headers))
    assert payload["type"] == "deadline.upcoming" and payload["data"]["items"][0]["title"] == ITEMS[0]["title"]
    assert payload["timestamp"].endswith("Z")
    assert request.headers["webhook-id"].startswith("msg_")
    assert "compliance-deadline-tracker" in request.headers["User-Agent"]
    with pytest.raises(Exception):
        Webhook("whsec_" + "A" * 44).verify(request.get_data(as_text=True), dict(request.headers))


def test_a_500_then_a_200_is_two_attempts_with_one_webhook_id(private_ok, httpserver, clock):
    channel, secret = _webhook(httpserver)
    httpserver.expect_ordered_request("/hook").respond_with_data("boom", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=200)
    operations.enqueue(channel, "deadline.overdue", "o-1", ITEMS)
    first = deliver_due(utcnow(), rng=random.Random(1))
    assert (first.delivered, first.retried) == (0, 1)
    [row] = _deliveries()
    assert (row.status, row.attempts, row.response_code) == ("pending", 1, 500)
    assert deliver_due(utcnow()).delivered == 0  # not due yet
    clock.move_to(row.next_attempt_at + timedelta(seconds=1))
    assert deliver_due(utcnow()).delivered == 1
    [row] = _deliveries()
    assert (row.status, row.attempts, row.response_code) == ("delivered", 2, 200)
    ids = [entry[0].headers["webhook-id"] for entry in httpserver.log]
    assert len(ids) == 2 and ids[0] == ids[1] == row.webhook_id
    for entry in httpserver.log:
        Webhook(secret).verify(entry[0].get_data(as_text=True), dict(entry[0].headers))


def test_retry_after_is_respected(private_ok, httpserver, clock):
    channel, _ = _webhook(httpserver)
    httpserver.expect_request("/hook").respond_with_data("slow down", status=429, headers={"Retry-After": "3600"})
    operations.enqueue(channel, "deadline.changed", "c-1", ITEMS)
    started = utcnow()
    deliver_due(started, rng=random.Random(2))
    [row] = _deliveries()
    assert row.next_attempt_at >= started + timedelta(seconds=3600)
    clock.move_to(started + timedelta(minutes=59))
    deliver_due(utcnow())
    assert len(httpserver.log) == 1 and _deliveries()[0].attempts == 1


def test_a_redirect_is_not_followed_and_counts_as_a_failure(private_ok, httpserver, clock):
    channel, _ = _webhook(httpserver)
    httpserver.expect_request("/hook").respond_with_response(
        Response("", status=302, headers={"Location": httpserver.url_for("/elsewhere")}))
    httpserver.expect_request("/elsewhere").respond_with_data("ok")
    operations.enqueue(channel, "event.recorded", "e-1", ITEMS)
    result = deliver_due(utcnow())
    assert result.delivered == 0 and result.retried == 1
    assert [entry[0].path for entry in httpserver.log] == ["/hook"]
    row = _deliveries()[0]
    assert row.response_code == 302 and "not followed" in row.last_error


def test_a_410_disables_the_channel_and_records_why(private_ok, httpserver, clock):
    channel, _ = _webhook(httpserver)
    httpserver.expect_request("/hook").respond_with_data("gone", status=410)
    operations.enqueue(channel, "deadline.upcoming", "u-1", ITEMS)
    operations.enqueue(channel, "deadline.upcoming", "u-2", ITEMS)
    result = deliver_due(utcnow())
    assert result.disabled == 1 and len(httpserver.log) == 1
    db.session.expire_all()
    channel = db.session.get(Channel, channel.id)
    assert channel.status == "disabled" and "410" in channel.disabled_reason
    assert [row.status for row in _deliveries()] == ["failed", "pending"]


def test_five_consecutive_failures_disable_the_channel(private_ok, httpserver, clock):
    channel, _ = _webhook(httpserver)
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    for n in range(5):
        operations.enqueue(channel, "deadline.upcoming", f"u-{n}", ITEMS)
    result = deliver_due(utcnow())
    assert result.disabled == 1 and len(httpserver.log) == 5
    db.session.expire_all()
    assert "5 consecutive failed deliveries" in db.session.get(Channel, channel.id).disabled_reason


def test_slack_no_service_disables_the_channel(private_ok, httpserver):
    channel, secret = operations.create_channel(make_team(), "slack", httpserver.url_for("/services/T/B/x"), SYSTEM)
    assert secret is None
    httpserver.expect_request("/services/T/B/x").respond_with_data("no_service", status=404)
    operations.enqueue(channel, "deadline.overdue", "o-1", ITEMS)
    assert deliver_due(utcnow()).disabled == 1


def test_private_targets_are_refused_unless_allowed(app, httpserver):
    team = make_team()
    with pytest.raises(ValidationFailed) as refused:
        operations.create_channel(team, "webhook", httpserver.url_for("/hook"), SYSTEM)
    assert "TRACKER_WEBHOOK_ALLOW_PRIVATE" in refused.value.errors["url"] or "https" in refused.value.errors["url"]
    with pytest.raises(ValidationFailed) as private:
        operations.create_channel(team, "webhook", "https://10.1.2.3/hook", SYSTEM)
    assert "private" in private.value.errors["url"]
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"
    channel, _ = operations.create_channel(team, "webhook", httpserver.url_for("/hook"), SYSTEM)
    httpserver.expect_request("/hook").respond_with_data("ok")
    operations.enqueue(channel, "deadline.upcoming", "u-1", ITEMS)
    # Checked again at send time: turning the switch off stops the delivery.
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "0"
    assert deliver_due(utcnow()).delivered == 0 and len(httpserver.log) == 0
    assert "refused at send time" in _deliveries()[0].last_error


def test_slack_and_teams_bodies_have_their_documented_shapes(private_ok, httpserver):
    team = make_team(name="Legal")
    slack, _ = operations.create_channel(team, "slack", httpserver.url_for("/services/T/B/s"), SYSTEM)
    teams, _ = operations.create_channel(team, "teams", httpserver.url_for("/workflows/abc"), SYSTEM)
    httpserver.expect_request("/services/T/B/s").respond_with_data("ok")
    httpserver.expect_request("/workflows/abc").respond_with_data("", status=202)
    for channel in (slack, teams):
        operations.enqueue(channel, "deadline.upcoming", "u-1", ITEMS)
    assert deliver_due(utcnow()).delivered == 2
    bodies = {entry[0].path: json.loads(entry[0].get_data()) for entry in httpserver.log}
    slack_body = bodies["/services/T/B/s"]
    assert slack_body["text"] == "1 deadline coming up for Legal"
    assert all(block["type"] == "section" and block["text"]["type"] == "mrkdwn" for block in slack_body["blocks"])
    assert "<https://tracker.example.test/o/1|File the annual report>" in slack_body["blocks"][1]["text"]["text"]
    teams_body = bodies["/workflows/abc"]
    assert teams_body["type"] == "message"
    [attachment] = teams_body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["type"] == "TextBlock" and "Legal" in card["body"][0]["text"]


def test_enqueue_is_at_most_once_per_key_and_respects_event_types(private_ok, httpserver):
    channel, _ = _webhook(httpserver, events="deadline.overdue")
    assert operations.enqueue(channel, "deadline.upcoming", "u-1", ITEMS) is None
    first = operations.enqueue(channel, "deadline.overdue", "o-1", ITEMS)
    again = operations.enqueue(channel, "deadline.overdue", "o-1", ITEMS)
    assert first.id == again.id and len(_deliveries()) == 1


def test_cli_adds_a_channel_and_refuses_bad_input(private_ok, runner, httpserver):
    make_team(key="legal")
    ok = runner.invoke(args=["add-channel", "legal", "webhook", httpserver.url_for("/h"),
                             "--events", "deadline.upcoming,digest.weekly"])
    assert ok.exit_code == 0, ok.output
    channel = db.session.scalar(db.select(Channel))
    assert f"channel {channel.id}" in ok.stdout and f"signing secret {channel.secret}" in ok.stdout
    assert channel.event_types == ["deadline.upcoming", "digest.weekly"]
    for args, words in ((["legal", "pager", "https://x.example"], "unknown kind"),
                        (["legal", "slack", "https://example.com/hook"], "hooks.slack.com"),
                        (["legal", "teams", "https://acme.webhook.office.com/webhookb2/x"], "retired"),
                        (["legal", "webhook", httpserver.url_for("/h"), "--events", "deadline.sooner"],
                         "unknown event type"),
                        (["nobody", "webhook", httpserver.url_for("/h")], "no team")):
        result = runner.invoke(args=["add-channel", *args])
        assert result.exit_code == 1 and words in result.stderr, (args, result.stderr)
    assert db.session.scalar(db.select(db.func.count()).select_from(Channel)) == 1
    httpserver.expect_request("/h").respond_with_data("ok")
    operations.send_test(channel, SYSTEM)
    sent = runner.invoke(args=["send-deliveries"])
    assert sent.exit_code == 0 and "delivered 1" in sent.stdout


def test_team_admin_manages_channels_on_the_team_page(private_ok, client, httpserver):
    from tests.factories import login, make_user

    team = make_team(name="Buyers")
    login(client, make_user(role="admin", email="boss@example.com"))
    assert f"/teams/{team.id}/channels" in client.get(f"/teams/{team.id}").get_data(as_text=True)
    bad = client.post(f"/teams/{team.id}/channels", data={"kind": "teams", "url": "https://x.webhook.office.com/a"})
    assert bad.status_code == 400 and "retired" in bad.get_data(as_text=True)
    added = client.post(f"/teams/{team.id}/channels", data={"kind": "webhook", "url": httpserver.url_for("/hook"),
                                                           "name": "Ops hook", "events": ["deadline.overdue"]})
    channel = db.session.scalar(db.select(Channel))
    assert added.status_code == 200 and added.headers["Cache-Control"] == "no-store"
    assert channel.secret in added.get_data(as_text=True)
    assert channel.secret not in client.get(f"/teams/{team.id}/channels").get_data(as_text=True)
    assert channel.event_types == ["deadline.overdue"]
    httpserver.expect_ordered_request("/hook").respond_with_data("nope", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    queued = client.post(f"/channels/{channel.id}/test", follow_redirects=True)
    assert "Test message queued" in queued.get_data(as_text=True) and len(httpserver.log) == 0  # not sent yet
    deliver_due(utcnow())
    page = client.get(f"/channels/{channel.id}").get_data(as_text=True)
    [delivery] = _deliveries()
    assert delivery.webhook_id in page and "HTTP 500" in page and delivery.status == "pending"
    client.post(f"/channels/{channel.id}/deliveries/{delivery.id}/replay")
    deliver_due(utcnow())
    [delivery] = _deliveries()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 2, 200)
    client.post(f"/channels/{channel.id}/events", data={"events": ["deadline.upcoming", "digest.weekly"]})
    db.session.expire_all()
    assert db.session.get(Channel, channel.id).event_types == ["deadline.upcoming", "digest.weekly"]
    client.post(f"/channels/{channel.id}/delete")
    assert db.session.scalar(db.select(Channel)) is None and _deliveries() == []
    viewer = make_user(role="viewer", email="v@example.com")
    client.get("/logout")
    login(client, viewer)
    assert client.get(f"/teams/{team.id}/channels").status_code == 403


@pytest.mark.parametrize("header, expected", [
    ("120", timedelta(minutes=2)), (" 0 ", timedelta(0)), ("9" * 5000, timedelta(hours=24)),
    ("86401", timedelta(hours=24)), ("²", None), ("٣", None), ("-5", None), ("soon", None), ("", None),
    ("Sun, 29 Nov 2026 13:00:00 GMT", timedelta(hours=1)), ("Sun, 29 Nov 2026 11:00:00 GMT", timedelta(0)),
])
def test_a_receiver_s_retry_after_is_read_or_ignored_never_raised(header, expected):
    from tracker.channels.delivery import parse_retry_after

    assert parse_retry_after(header, datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)) == expected
