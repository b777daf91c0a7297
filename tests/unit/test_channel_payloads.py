"""Channel payloads and target checks, without Flask or a database."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from standardwebhooks import Webhook

from tracker.channels import payloads
from tracker.channels.signing import new_secret, signed_headers
from tracker.channels.targets import TargetRefused, check_url

PUBLIC = lambda host, port: ["93.184.216.34"]  # noqa: E731
AT = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def test_slack_escapes_mrkdwn_and_summarises_long_lists():
    items = [{"title": f"A <b> & {n}", "due_date": "2027-01-15"} for n in range(45)]
    body = payloads.slack_payload("deadline.overdue", items, "Legal")
    assert body["text"] == "45 deadlines overdue for Legal"
    assert body["blocks"][1]["text"]["text"].startswith("A &lt;b&gt; &amp; 0 · due 2027-01-15")
    assert len(body["blocks"]) == 1 + payloads.MAX_LISTED + 1
    assert body["blocks"][-1]["type"] == "context" and "5 more" in body["blocks"][-1]["elements"][0]["text"]


def test_teams_card_is_an_adaptive_card_in_the_message_envelope():
    body = payloads.teams_payload("event.recorded", [{"title": "Act *enacted*", "url": "https://t.example/e/1"}], "Ops")
    card = body["attachments"][0]["content"]
    assert body["type"] == "message" and body["attachments"][0]["contentType"] == payloads.CARD_TYPE
    assert card["version"] == "1.4" and card["body"][1]["text"].startswith("[Act \\*enacted\\*](https://t.example/e/1)")


def test_webhook_body_and_signature_verify_with_the_reference_library():
    text = payloads.build_body("webhook", "digest.weekly", [{"title": "x"}], {"key": "k", "name": "K"}, AT)
    assert json.loads(text) == {"type": "digest.weekly", "timestamp": "2026-11-29T12:00:00Z",
                                "data": {"team": {"key": "k", "name": "K"}, "summary": "1 item in the weekly digest for K",
                                         "items": [{"title": "x"}]}}
    secret = new_secret()
    now = datetime.now(timezone.utc)
    headers = signed_headers(secret, "msg_1", text, now)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(text, headers)["type"] == "digest.weekly"


@pytest.mark.parametrize("kind, url, words", [
    ("slack", "https://hooks.slack.com/services/T0/B0/xyz", None),
    ("slack", "https://hooks.slack.com/workflows/T0", "hooks.slack.com/services"),
    ("teams", "https://prod-01.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke", None),
    ("teams", "https://abc.environment.api.powerplatform.com/powerautomate/automations/direct/x", None),
    ("teams", "https://contoso.webhook.office.com/webhookb2/abc", "retired"),
    ("webhook", "http://example.org/hook", "https://"),
    ("webhook", "https://user:pw@example.org/hook", "user name"),
    ("webhook", "ftp://example.org/x", "https://"),
    ("webhook", "https://example.org/hook", None),
])
def test_url_forms(kind, url, words):
    if words is None:
        assert check_url(kind, url, allow_private=False, resolve=PUBLIC).address == "93.184.216.34"
    else:
        with pytest.raises(TargetRefused, match=words):
            check_url(kind, url, allow_private=False, resolve=PUBLIC)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.8", "192.168.1.1", "169.254.169.254", "::1",
                                     "fe80::1", "224.0.0.1", "0.0.0.0", "::ffff:10.0.0.1", "100.64.0.1"])
def test_non_public_addresses_are_refused_unless_allowed(address):
    with pytest.raises(TargetRefused, match="TRACKER_WEBHOOK_ALLOW_PRIVATE"):
        check_url("webhook", "https://hook.example.org/x", allow_private=False, resolve=lambda h, p: [address])
    assert check_url("webhook", "https://hook.example.org/x", allow_private=True,
                     resolve=lambda h, p: [address]).address == address


def test_plain_http_only_to_loopback_when_allowed_and_the_connect_url_pins_the_address():
    target = check_url("slack", "http://127.0.0.1:8080/services/x", allow_private=True,
                       resolve=lambda h, p: ["127.0.0.1"])
    assert target.connect_url == "http://127.0.0.1:8080/services/x"
    pinned = check_url("webhook", "https://hook.example.org/a?b=1", allow_private=False, resolve=PUBLIC)
    assert pinned.connect_url == "https://93.184.216.34:443/a?b=1" and pinned.host == "hook.example.org"
    with pytest.raises(TargetRefused, match="https"):
        check_url("webhook", "http://127.0.0.1/x", allow_private=False, resolve=lambda h, p: ["127.0.0.1"])
