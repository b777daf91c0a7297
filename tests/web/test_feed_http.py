"""The feed route speaks HTTP as calendar clients expect, and keeps tokens out of logs."""

import io
import logging
import urllib.request

from tests.factories import make_obligation, make_team
from tests.feed_checks import fetch_feed, parse_all
from tests.server_support import served, werkzeug_access_log
from tracker.audit import SYSTEM
from tracker.feeds import tokens


def _feed_path(team) -> str:
    return "/" + tokens.feed_url(tokens.ensure_token(team, SYSTEM)).split("/", 3)[3]


def test_feed_is_text_calendar_without_compression_with_a_strong_etag(client, clock):
    team = make_team()
    make_obligation(team=team)
    response = fetch_feed(client, team, headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Encoding" not in response.headers
    assert "no-transform" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert response.headers["Last-Modified"] == "Sun, 29 Nov 2026 12:00:00 GMT"
    parse_all(response.data)


def test_head_answers_like_get_without_a_body(client, clock):
    team = make_team()
    make_obligation(team=team)
    path = _feed_path(team)
    get, head = client.get(path), client.head(path)
    assert head.status_code == 200 and head.data == b""
    for name in ("Content-Type", "ETag", "Last-Modified", "Content-Length"):
        assert head.headers[name] == get.headers[name]


def test_other_methods_are_not_allowed(client, clock):
    path = _feed_path(make_team())
    for method in ("PUT", "POST", "DELETE", "PATCH", "OPTIONS"):
        response = client.open(path, method=method)
        assert response.status_code == 405, method
        assert "GET" in response.headers["Allow"]


def test_if_none_match_and_if_modified_since_answer_304(client, clock):
    team = make_team()
    make_obligation(team=team)
    path = _feed_path(team)
    first = client.get(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.head(path, headers={"If-None-Match": etag}).status_code == 304


def test_if_none_match_wins_over_if_modified_since(client, clock):
    team = make_team()
    make_obligation(team=team)
    path = _feed_path(team)
    first = client.get(path)
    stale = client.get(path, headers={"If-None-Match": '"stale"', "If-Modified-Since": first.headers["Last-Modified"]})
    assert stale.status_code == 200 and stale.data == first.data
    fresh = client.get(path, headers={"If-None-Match": first.headers["ETag"],
                                      "If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
    assert fresh.status_code == 304


def test_feed_tokens_never_appear_in_the_served_access_log(app, clock):
    team = make_team()
    make_obligation(team=team)
    path = _feed_path(team)
    token = path.removeprefix("/feeds/").removesuffix(".ics")
    with werkzeug_access_log() as captured, served(app) as base:
        with urllib.request.urlopen(f"{base}{path}") as response:
            body = response.read()
        assert body.startswith(b"BEGIN:VCALENDAR")
        try:
            urllib.request.urlopen(f"{base}{path}?events=1", data=b"x")
        except urllib.error.HTTPError as error:
            assert error.code == 405
    log = captured.getvalue()
    assert "GET /feeds/<redacted>.ics" in log and "POST /feeds/<redacted>.ics?events=1" in log
    assert token not in log


def test_gunicorn_access_log_records_are_redacted_too(app):
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("gunicorn.access")
    access.addHandler(handler)
    was_disabled, access.disabled = access.disabled, False
    access.setLevel(logging.INFO)
    token = "A" * 43
    try:
        access.info('%(h)s "%(r)s" %(s)s', {"h": "127.0.0.1", "r": f"GET /feeds/{token}.ics HTTP/1.1", "s": "200"})
    finally:
        access.removeHandler(handler)
        access.disabled = was_disabled
    assert captured.getvalue() == '127.0.0.1 "GET /feeds/<redacted>.ics HTTP/1.1" 200\n'
