"""Slow receivers and regulators (review 2026-12, items 2, 7 and 8): a wall-clock deadline per attempt and
per fetch, capped body reads (gzip included), one attempt per delivery per pass, mail that never waits
behind channels, the Test button that only queues, and private IPv4 inside 6to4 and Teredo addresses."""

from __future__ import annotations

import logging
import time
import tracemalloc
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from tests.factories import login, make_obligation, make_team, make_user
from tests.mail_support import SmtpServer
from tests.slow_servers import drip_body, drip_headers, gzip_bomb, hang, huge_error, json_answer, serving
from tracker.audit import SYSTEM
from tracker.channels import operations
from tracker.channels.delivery import MAX_ANSWER_BYTES, deliver_due
from tracker.channels.targets import TargetRefused, check_url
from tracker.db import db
from tracker.jobs.reminder_pass import run_pass
from tracker.models import ChannelDelivery, OutboxMessage
from tracker.people import operations as people
from tracker.watches.providers.base import ProviderError
from tracker.watches.providers.http import Http


@pytest.fixture
def private_ok(app):
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"
    app.config["TRACKER_DELIVERY_DEADLINE_SECONDS"] = 2
    return app


def _test_delivery(url: str) -> ChannelDelivery:
    channel, _ = operations.create_channel(make_team(), "webhook", url, SYSTEM, name="Hook")
    return operations.send_test(channel, SYSTEM)


def _reloaded(delivery: ChannelDelivery) -> ChannelDelivery:
    db.session.expire_all()
    return db.session.get(ChannelDelivery, delivery.id)


@pytest.mark.parametrize("behaviour", [drip_body(every=0.5, total=30), drip_headers(every=0.5, total=30)],
                         ids=["dripping body", "dripping headers"])
def test_a_dripping_receiver_holds_an_attempt_no_longer_than_its_deadline(private_ok, behaviour):
    with serving(behaviour) as server:
        delivery = _test_delivery(server.url + "/drip")
        started = time.monotonic()
        deliver_due()
        elapsed = time.monotonic() - started
    row = _reloaded(delivery)
    assert elapsed < 6  # the deadline is 2 s; before, about 30 s (a timeout per read only)
    assert row.attempts == 1 and row.status == "pending"
    assert row.last_error == "timed out: no complete answer within 2 s"
    assert len(server.requests) == 1  # one attempt per delivery per pass, even once its retry time has come


def test_a_huge_error_answer_is_read_only_as_far_as_its_first_64_kb(private_ok):
    with serving(huge_error(megabytes=200)) as server:
        delivery = _test_delivery(server.url + "/huge500")
        deliver_due()
        time.sleep(0.2)
        sent = server.bytes_sent
    row = _reloaded(delivery)
    assert row.response_code == 500 and row.last_error.startswith("HTTP 500: xxxx")
    assert sent < 32 * 1024 * 1024  # the client hung up after MAX_ANSWER_BYTES; before, it read all 200 MB
    assert MAX_ANSWER_BYTES == 64 * 1024


def test_the_test_button_queues_one_delivery_and_sends_nothing_itself(private_ok, client):
    with serving(hang(30)) as server:
        team = make_team()
        channel, _ = operations.create_channel(team, "webhook", server.url + "/h", SYSTEM, name="Hook")
        operations.send_test(channel, SYSTEM)  # another delivery already due
        login(client, make_user(role="admin"))
        started = time.monotonic()
        response = client.post(f"/channels/{channel.id}/test", follow_redirects=True)
        assert time.monotonic() - started < 2 and "Test message queued" in response.get_data(as_text=True)
        assert server.requests == []
        rows = db.session.scalars(select(ChannelDelivery)).all()
        assert [(r.status, r.attempts) for r in rows] == [("pending", 0), ("pending", 0)]


def test_the_reminder_pass_sends_its_mail_without_waiting_for_a_hanging_channel(private_ok, clock):
    clock.move_to(datetime(2026, 5, 1, tzinfo=timezone.utc))
    team = make_team(timezone="UTC")
    people.update_team(team, SYSTEM, digest_weekday=None)
    make_user(teams=[team], email="buyer@example.com")
    make_obligation(team=team, rule_date=date(2026, 7, 1), title="Certify")
    smtp = SmtpServer()
    smtp.start()
    smtp.configure(private_ok)
    try:
        with serving(hang(30)) as server:
            channel, _ = operations.create_channel(team, "webhook", server.url + "/h", SYSTEM, name="Hook")
            operations.send_test(channel, SYSTEM)
            started = time.monotonic()
            run_pass(datetime(2026, 6, 24, 9, tzinfo=timezone.utc))  # the 7-day reminder is due
            elapsed = time.monotonic() - started
            assert server.requests == []  # deliveries are their own job now
    finally:
        smtp.stop()
    assert elapsed < 10
    assert [m["To"].addresses[0].addr_spec for m in smtp.messages] == ["buyer@example.com"]
    assert db.session.scalar(select(OutboxMessage.status)) == "sent"


def _http(server, **options) -> Http:
    return Http("Test provider", server.url, sleep=lambda seconds: None, max_attempts=1, **options)


@pytest.mark.parametrize("behaviour", [drip_body(every=0.5, total=30), drip_headers(every=0.5, total=30)],
                         ids=["dripping body", "dripping headers"])
def test_a_dripping_regulator_fails_the_fetch_at_its_deadline(app, behaviour):
    with serving(behaviour) as server:
        http = _http(server, deadline=2)
        started = time.monotonic()
        with pytest.raises(ProviderError, match=r"no complete answer within 2 s \(deadline\)"), http.session():
            http.get_json(server.url + "/bill")
        assert time.monotonic() - started < 6  # before: about 30 s, the drip's whole length


def test_a_gzip_bomb_is_refused_without_expanding_it_in_memory(app):
    with serving(gzip_bomb(megabytes=200)) as server:
        http = _http(server)
        tracemalloc.start()
        try:
            with pytest.raises(ProviderError, match="larger than 10 MB"), http.session():
                http.get_json(server.url + "/bill")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 40 * 1024 * 1024  # before: each decoded slice could be ~1000x the network slice


def test_deeply_nested_json_is_malformed_json_without_a_traceback(app, caplog):
    with serving(json_answer(b'{"a":' * 200_000 + b"1" + b"}" * 200_000)) as server:
        http = _http(server)
        caplog.set_level(logging.DEBUG)
        with pytest.raises(ProviderError, match="malformed JSON: nested too deeply"), http.session():
            http.get_json(server.url + "/bill")
    assert not any(record.exc_info for record in caplog.records)


@pytest.mark.parametrize("address, inside", [
    ("2002:7f00:1::", "127.0.0.1"), ("2002:a00:1::", "10.0.0.1"), ("2002:c0a8:101::5", "192.168.1.1"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"),  # Teredo: the client is the inverted last 32 bits
    ("2001:0:a00:1:8000:63bf:f7f7:f7f7", "10.0.0.1"),  # Teredo: a private server
])
def test_6to4_and_teredo_addresses_carrying_a_private_ipv4_are_refused(address, inside):
    with pytest.raises(TargetRefused, match=inside.replace(".", r"\.")):
        check_url("webhook", f"https://[{address}]/x", allow_private=False)  # an IP literal: nothing resolved


def test_a_public_6to4_address_is_still_allowed():
    target = check_url("webhook", "https://[2002:808:808::1]/x", allow_private=False)  # 8.8.8.8 inside
    assert "2002:808:808::1" in target.connect_url


def test_a_watch_pass_past_its_deadline_gives_the_rest_back_for_the_next_pass(app, monkeypatch):
    from tests.watch_support import GivenProvider, poll, watched_bill
    from tracker.models import Watch
    from tracker.watches import polling

    watch, *_ = watched_bill()
    monkeypatch.setattr(polling, "PASS_DEADLINE_SECONDS", -1.0)  # already past: nothing may start
    report = poll(GivenProvider())
    assert report.outcomes == [] and "stopped after" in report.notice
    row = db.session.get(Watch, watch.id)
    assert (row.claimed_by, row.lease_expires_at, row.last_polled_at) == (None, None, None)  # free, still due
    monkeypatch.setattr(polling, "PASS_DEADLINE_SECONDS", 600.0)
    assert len(poll(GivenProvider()).outcomes) == 1
