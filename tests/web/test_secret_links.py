"""Secret links: feed and unsubscribe tokens stay out of access logs however they are encoded,
and unsubscribe links expire after a year with a page saying what to do instead."""

import http.client
from datetime import timedelta

from itsdangerous import URLSafeSerializer

from tests.factories import make_team, make_user
from tests.server_support import served, werkzeug_access_log
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.feeds import tokens
from tracker.feeds.logfilter import redact
from tracker.mail.render import unsubscribe_token


def _served_log(app, paths: list[str]) -> tuple[str, list[int]]:
    """Request each raw path from a real werkzeug server; its access log and the status codes."""
    codes = []
    with werkzeug_access_log() as captured, served(app) as base:
        port = int(base.rsplit(":", 1)[1])
        for path in paths:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.putrequest("GET", path, skip_accept_encoding=True)  # sent exactly as written
            connection.endheaders()
            response = connection.getresponse()
            response.read()
            codes.append(response.status)
            connection.close()
    return captured.getvalue(), codes


def test_percent_encoded_feed_paths_work_and_are_redacted_in_the_access_log(app, clock):
    token = tokens.ensure_token(make_team(), SYSTEM).token
    paths = [f"/feeds/{token}%2Eics", f"/feeds/{token}%2eics?events=1", f"/feeds%2F{token}.ics",
             f"/%66eeds/{token}.ics", f"/feeds/{token[:5]}%{ord(token[5]):02X}{token[6:]}.ics"]
    log, codes = _served_log(app, paths)
    assert codes == [200] * len(paths)  # each of them reads the feed, so each must be hidden
    assert token not in log and token[:16] not in log and token[-16:] not in log
    assert log.count("/feeds/<redacted>.ics") == len(paths)
    assert "/feeds/<redacted>.ics?events=1" in log


def test_unsubscribe_tokens_are_redacted_in_the_access_log(app, clock):
    user = make_user(role="viewer")
    token = unsubscribe_token(user.id, "digest")
    log, codes = _served_log(app, [f"/unsubscribe/{token}", f"/unsubscribe/{token.replace('.', '%2E')}"])
    assert codes == [200, 200]
    assert token not in log and token.split(".")[-1] not in log
    assert log.count("/unsubscribe/<redacted>") == 2


def test_redaction_does_not_let_a_decoded_newline_forge_a_log_line():
    line = redact('"GET /feeds/abc.ics%0A127.0.0.1 - - fake HTTP/1.1" 404')
    assert "\n" not in line and "abc" not in line and "/feeds/<redacted>.ics%0A127.0.0.1" in line
    assert redact("GET /obligations?q=%2Fx%0A 200") == "GET /obligations?q=%2Fx%0A 200"


def test_unsubscribe_link_works_for_a_year_then_explains_how_to_unsubscribe(client, clock):
    user = make_user(role="viewer", email="reader@example.com")
    token = unsubscribe_token(user.id, "digest")
    clock.shift(timedelta(days=364))
    assert client.get(f"/unsubscribe/{token}").status_code == 200
    clock.shift(timedelta(days=2))
    for response in (client.get(f"/unsubscribe/{token}"), client.post(f"/unsubscribe/{token}")):
        assert response.status_code == 410
        page = response.get_data(as_text=True)
        assert "This unsubscribe link has expired" in page
        assert 'href="/notifications"' in page and "email preferences" in page
        assert "reader@example.com" not in page  # an old link no longer says whose it was
    db.session.expire_all()
    assert user.email_digest is True


def test_undated_links_from_before_count_as_expired_and_forged_ones_as_unknown(client, app):
    user = make_user(role="viewer")
    legacy = URLSafeSerializer(app.config["SECRET_KEY"], salt="tracker-unsubscribe").dumps([user.id, "digest"])
    assert client.get(f"/unsubscribe/{legacy}").status_code == 410
    forged = URLSafeSerializer("another-key", salt="tracker-unsubscribe").dumps([user.id, "digest"])
    assert client.get(f"/unsubscribe/{forged}").status_code == 404
    db.session.expire_all()
    assert user.email_digest is True
