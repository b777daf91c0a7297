"""/metrics read by prometheus-client's own text parser: off unless enabled, for allowed callers only,
and values that move when a pass runs, a delivery or an email fails, a feed is fetched."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, text

from tests.backup_support import make_app
from tests.conftest import is_postgresql
from tests.factories import make_obligation, make_team, make_user
from tests.feed_checks import fetch_feed
from tests.integration.api_helpers import http_request, small_register, token_for
from tests.mail_support import free_port
from tracker import PROJECT_ROOT
from tracker.db import db
from tracker.models import OutboxMessage


def samples(client, **kwargs) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of one scrape, parsed by prometheus-client."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        assert family.name.startswith("tracker_")
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted((k, str(v)) for k, v in labels.items()))), 0.0)


@pytest.fixture
def metered(app):
    app.config["TRACKER_METRICS"] = True
    return app


def test_metrics_are_off_unless_turned_on(client):
    assert client.get("/metrics").status_code == 404


def test_only_allowed_addresses_may_scrape_without_a_token(database_url):
    loopback_only = make_app(database_url, TRACKER_METRICS=True).test_client()
    assert loopback_only.get("/metrics").status_code == 200  # the test client calls from 127.0.0.1
    assert loopback_only.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    network = make_app(database_url, TRACKER_METRICS=True, TRACKER_METRICS_ALLOW="10.1.0.0/16").test_client()
    assert network.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert network.get("/metrics").status_code == 403
    with pytest.raises(ValueError, match="TRACKER_METRICS_ALLOW"):
        make_app(database_url, TRACKER_METRICS=True, TRACKER_METRICS_ALLOW="10.1.0.0/16,intranet")


def test_with_a_token_only_the_bearer_of_it_may_scrape(database_url):
    client = make_app(database_url, TRACKER_METRICS=True, TRACKER_METRICS_TOKEN="s3cret-scrape").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Basic s3cret-scrape"}).status_code == 401
    answer = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"},
                        environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert answer.status_code == 200 and "tracker_http_requests_total" in answer.get_data(as_text=True)


def test_a_reminder_pass_moves_the_pass_counters_and_the_outbox_gauges(metered, client, runner, clock):
    team = make_team()
    make_user(teams=[team])
    make_obligation(team, rule_date=date(2026, 11, 30))  # due tomorrow
    clock.move_to("2026-11-29T18:00:00Z")  # 10:00 in Los Angeles: the 09:00 reminder is owed
    before = samples(client)
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    # Channel deliveries are their own job (the mail never waits behind a receiver).
    delivered = runner.invoke(args=["send-deliveries"])
    assert delivered.exit_code == 0, delivered.output
    after = samples(client)
    assert value(after, "tracker_reminder_passes_total", result="ok") == \
        value(before, "tracker_reminder_passes_total", result="ok") + 1
    assert value(after, "tracker_reminder_pass_duration_seconds_count") == \
        value(before, "tracker_reminder_pass_duration_seconds_count") + 1
    planned = value(after, "tracker_reminder_items_planned_total") - value(before, "tracker_reminder_items_planned_total")
    assert planned >= 1
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status == "pending"))
    assert waiting >= 1  # no SMTP host: kept in the outbox
    assert value(after, "tracker_outbox_messages", status="pending") == waiting
    assert value(before, "tracker_outbox_messages", status="pending") == 0
    assert value(after, "tracker_reminder_last_pass_age_seconds") >= 0 > \
        value(before, "tracker_reminder_last_pass_age_seconds")


def test_failed_sends_move_the_retry_counters_and_the_oldest_due_age(metered, client, runner, clock):
    team = make_team(key="procurement")
    make_user(teams=[team])
    make_obligation(team, rule_date=date(2026, 11, 30))
    clock.move_to("2026-11-29T18:00:00Z")
    metered.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = True
    closed = free_port()  # nothing listens: every send fails and is retried later
    added = runner.invoke(args=["add-channel", "procurement", "webhook", f"http://127.0.0.1:{closed}/hook"])
    assert added.exit_code == 0, added.output
    metered.config.update(TRACKER_SMTP_HOST="127.0.0.1", TRACKER_SMTP_PORT=closed)
    before = samples(client)
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    # Channel deliveries are their own job (the mail never waits behind a receiver).
    delivered = runner.invoke(args=["send-deliveries"])
    assert delivered.exit_code == 0, delivered.output
    after = samples(client)
    assert value(after, "tracker_reminder_messages_retried_total") > \
        value(before, "tracker_reminder_messages_retried_total")
    assert value(after, "tracker_channel_deliveries_total", kind="webhook", result="retried") > \
        value(before, "tracker_channel_deliveries_total", kind="webhook", result="retried")
    assert value(after, "tracker_channel_deliveries_queued", status="pending") >= 1
    clock.shift(3600)  # an hour later the retried sends are due and have waited
    later = samples(client)
    assert value(later, "tracker_outbox_oldest_due_age_seconds") >= 3000
    assert value(later, "tracker_channel_delivery_oldest_due_age_seconds") >= 3000


def test_feed_fetches_are_counted_by_how_they_were_answered(metered, client, clock):
    team = make_team()
    make_obligation(team)
    before = samples(client)
    first = fetch_feed(client, team)
    again = fetch_feed(client, team)
    unchanged = fetch_feed(client, team, headers={"If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code, unchanged.status_code) == (200, 200, 304)
    after = samples(client)
    for result, moved in (("rendered", 1), ("cached", 1), ("not_modified", 1)):
        assert value(after, "tracker_feed_fetches_total", result=result) == \
            value(before, "tracker_feed_fetches_total", result=result) + moved, result
    assert value(after, "tracker_feed_render_seconds_count") == value(before, "tracker_feed_render_seconds_count") + 1
    assert value(after, "tracker_http_requests_total", endpoint="feeds.feed", method="GET", status=304) >= 1
    scrape = client.get("/metrics").get_data(as_text=True)
    assert "/feeds/" not in scrape  # endpoints are names, never paths (a feed path holds its token)


@pytest.mark.skipif(not is_postgresql(), reason="row locks: PostgreSQL only")
def test_a_busy_database_answer_is_counted(metered, client, live_server):
    def short(conn):
        conn.exec_driver_sql("SET LOCAL lock_timeout = '300ms'")

    _, _, _, obligation = small_register()
    token = token_for("editor")
    db.session.commit()
    before = samples(client)
    event.listen(db.engine, "begin", short)
    try:
        with db.engine.connect() as holder:
            holder.execute(text("select id from obligations where id = :id for update"), {"id": obligation.id})
            status, headers, answer = http_request(f"{live_server}/api/v1/obligations/{obligation.id}", "PATCH",
                                                   token, {"title": "Renamed while locked"})
            holder.rollback()
    finally:
        event.remove(db.engine, "begin", short)
    assert status == 503 and answer["request_id"] == headers["X-Request-ID"]
    after = samples(client)
    assert value(after, "tracker_database_busy_responses_total") == \
        value(before, "tracker_database_busy_responses_total") + 1


def test_passes_of_other_processes_are_added_up_in_multiprocess_mode(app, database_url, tmp_path):
    """Two `send-reminders` processes and a web process sharing PROMETHEUS_MULTIPROC_DIR."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared), "TRACKER_DATABASE_URL": database_url,
           "TRACKER_SECRET_KEY": "test-secret", "TRACKER_SCHEDULER": "off", "TRACKER_METRICS": "1"}
    for _ in range(2):
        run = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "send-reminders"], cwd=PROJECT_ROOT,
                             env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
    scrape = ("from app import app\n"
              "print(app.test_client().get('/metrics').get_data(as_text=True))\n")
    web = subprocess.run([sys.executable, "-c", scrape], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert web.returncode == 0, web.stderr
    found = {}
    for family in text_string_to_metric_families(web.stdout):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    assert value(found, "tracker_reminder_passes_total", result="ok") == 2
    assert value(found, "tracker_reminder_pass_duration_seconds_count") == 2


def test_watch_polls_are_counted_by_provider_and_result(metered, client, runner):
    from tracker.watches.polling import run_poll_pass

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: every provider fails
    metered.config.update(TRACKER_CONGRESS_API_URL=dead, TRACKER_CONGRESS_API_KEY="k",
                          TRACKER_FEDERAL_REGISTER_API_URL=dead)
    before = samples(client)
    report = run_poll_pass(due_only=False, http_options={"sleep": lambda s: None})
    after = samples(client)
    assert len(report.failed) == 2
    for provider in ("congress", "federal_register"):
        assert value(after, "tracker_watch_polls_total", provider=provider, result="failed") == \
            value(before, "tracker_watch_polls_total", provider=provider, result="failed") + 1, provider
