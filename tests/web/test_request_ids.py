"""Every response carries X-Request-ID; a sane incoming one is kept; log lines carry it, as text or JSON."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import current_app

from tests.backup_support import make_app
from tracker.operations import logs


@pytest.mark.parametrize("path", ["/login", "/healthz", "/no-such-page", "/feeds/" + "x" * 43 + ".ics",
                                  "/api/v1/obligations", "/static/tracker.css"])
def test_every_response_carries_a_request_id(client, path):
    first, second = client.get(path), client.get(path)
    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("incoming", ["abc", "req-2026.12.07_01", "A" * 64])
def test_a_sane_incoming_request_id_is_kept(client, incoming):
    assert client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["", "A" * 65, "two words", "semi;colon", "ünïcode", "new\\nline"])
def test_an_odd_incoming_request_id_is_replaced(client, incoming):
    answered = client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert answered != incoming and len(answered) == 32


def _logging_app(database_url, log_format: str):
    application = make_app(database_url, TRACKER_LOG_FORMAT=log_format)

    @application.route("/test-log")
    def test_log():
        current_app.logger.warning("looked at %s", "/feeds/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG.ics")
        return "ok"

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logs.configure_handler(handler, log_format)
    application.logger.addHandler(handler)
    # Alembic's fileConfig (the migrations this session ran) disables the loggers that existed then.
    handler.was_disabled, application.logger.disabled = application.logger.disabled, False
    return application, handler, stream


def test_a_log_line_written_in_a_request_carries_its_id_and_no_feed_token(database_url):
    application, handler, stream = _logging_app(database_url, "text")
    try:
        answer = application.test_client().get("/test-log", headers={"X-Request-ID": "trace-42"})
    finally:
        application.logger.removeHandler(handler)
        application.logger.disabled = handler.was_disabled
    line = stream.getvalue().strip()
    assert answer.headers["X-Request-ID"] == "trace-42"
    assert "[request trace-42]" in line and "looked at /feeds/<redacted>.ics" in line
    assert "abcdefghijklmnop" not in line


def test_json_log_format_writes_one_object_per_line(database_url):
    application, handler, stream = _logging_app(database_url, "json")
    try:
        application.test_client().get("/test-log", headers={"X-Request-ID": "trace-43"})
        application.logger.warning("outside any request")
    finally:
        application.logger.removeHandler(handler)
        application.logger.disabled = handler.was_disabled
    inside, outside = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert inside["request_id"] == "trace-43" and inside["level"] == "WARNING"
    assert inside["message"] == "looked at /feeds/<redacted>.ics" and inside["logger"] == "tracker"
    assert outside["request_id"] is None and inside["time"].endswith("+00:00")


def test_an_unknown_log_format_stops_the_start_with_a_message(database_url):
    with pytest.raises(ValueError, match="TRACKER_LOG_FORMAT must be text or json"):
        make_app(database_url, TRACKER_LOG_FORMAT="xml")
