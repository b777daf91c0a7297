"""Contacts' calendar feeds: each contact gets only their own, by their own mail; revoked with the response
links, on offboarding and by hand; removing a contact rotates the links (review 2026-12, item 6)."""

import re

import pytest
import sqlalchemy as sa

from tests.factories import login, make_team, make_user
from tests.integration.test_vendor_responses import setup  # noqa: F401 (fixture)
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.jobs.reminder_pass import MAIL_CHECKS
from tracker.mail.dispatch import dispatch
from tracker.mail.smtp import SmtpSettings
from tracker.models import OutboxMessage
from tracker.vendors import links
from tracker.vendors.contact_feeds import ensure_contact_token
from tracker.vendors.operations import offboard_vendor, remove_contact

FEED = re.compile(r"https://tracker\.example\.test(/feeds/v/[A-Za-z0-9_-]{43}\.ics)")


def _mailed_feeds(app, smtp) -> dict[str, str]:
    """Send what is queued; {recipient: the feed URL in their mail}."""
    from tracker.clock import utcnow

    dispatch(utcnow(), SmtpSettings.from_config(app.config), checks=MAIL_CHECKS)
    found = {}
    for message in smtp.messages:
        body = message.get_body(preferencelist=("plain",)).get_content()
        match = FEED.search(body)
        if match:
            found[message["To"].addresses[0].addr_spec] = match.group(1)
    return found


def test_each_contact_gets_only_their_own_feed_in_their_own_mail(app, client, smtp, setup):
    links.replace_and_resend(setup["request"], SYSTEM)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.body_text.like("%/feeds/v/[contact-%"))) == 2  # never the token
    feeds = _mailed_feeds(app, smtp)
    ana = next(c for c in setup["vendor"].contacts if c.email == "ana@acme.example")
    assert feeds["ana@acme.example"] == f"/feeds/v/{ensure_contact_token(ana)}.ics"
    assert feeds["ana@acme.example"] != feeds["bo@acme.example"]
    assert all(client.get(url).status_code == 200 for url in feeds.values())
    page = client.get(f"/respond/{links.ensure_link(setup['request'], SYSTEM)}")
    assert page.status_code == 200 and "/feeds/v/" not in page.get_data(as_text=True)  # the shared page: none


@pytest.mark.parametrize("how", ["revoke link", "send again", "offboard", "revoke by hand"])
def test_feeds_are_revoked_with_the_links_on_offboarding_and_by_hand(client, setup, how):
    feeds = [f"/feeds/v/{ensure_contact_token(c)}.ics" for c in setup["vendor"].contacts]
    assert all(client.get(url).status_code == 200 for url in feeds)
    editor = make_user(role="editor", teams=[setup["team"]])
    if how == "revoke link":
        links.revoke_links(setup["request"], SYSTEM)
    elif how == "send again":
        links.replace_link(setup["request"], SYSTEM)
    elif how == "offboard":
        offboard_vendor(setup["vendor"], SYSTEM)
    else:
        outsider = make_user(role="editor", teams=[make_team()])
        login(client, outsider)
        assert client.post(f"/vendors/{setup['vendor'].id}/feeds/revoke").status_code == 403
        assert all(client.get(url).status_code == 200 for url in feeds)
        client.get("/logout")
        login(client, editor)
        assert client.post(f"/vendors/{setup['vendor'].id}/feeds/revoke").status_code == 302
    assert [client.get(url).status_code for url in feeds] == [404, 404]
    # The next mail carries a new feed of their own.
    fresh = [f"/feeds/v/{ensure_contact_token(c)}.ics" for c in setup["vendor"].contacts]
    assert not set(fresh) & set(feeds) and all(client.get(url).status_code == 200 for url in fresh)


def test_removing_a_contact_rotates_the_links_and_mails_the_others(client, setup):
    bo = next(c for c in setup["vendor"].contacts if c.email == "bo@acme.example")
    bo_feed = f"/feeds/v/{ensure_contact_token(bo)}.ics"
    remove_contact(bo, SYSTEM)
    assert client.get(f"/respond/{setup['token']}").status_code == 410  # Bo knew this link
    assert client.get(bo_feed).status_code == 404
    resent = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "vendor_request")).all()
    assert [m.recipient for m in resent] == ["ana@acme.example"]
    current = links.current_link(setup["request"])
    assert f"/respond/[link-{current.id}]" in resent[0].body_text
