"""Comments: safe rendering, mentions that notify team members only, the edit window, deletion, audit."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from tests.factories import login, make_obligation, make_team, make_user
from tests.grouping_support import at
from tracker.audit import SYSTEM, Actor
from tracker.channels import operations as channels
from tracker.comments.operations import add_comment, delete_comment, edit_comment
from tracker.comments.render import render_comment
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import AuditEntry, ChannelDelivery, Comment, WorkNotice


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    '<a href="javascript:alert(1)" onclick="alert(2)">x</a>',
    "<iframe src=https://example.org></iframe>",
])
def test_no_raw_html_script_event_handler_or_javascript_link_survives(text):
    html = render_comment(text)
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<a " not in html
    assert not re.search(r"<a[^>]*javascript", html, re.I)  # shown as text at most, never a tag


def test_markdown_subset_renders_with_safe_links():
    html = render_comment("**Done**, see [the PDF](https://example.org/p.pdf) and `code`\n\n- one\n- two")
    assert "<strong>Done</strong>" in html and "<code>code</code>" in html and "<li>one</li>" in html
    assert '<a href="https://example.org/p.pdf" rel="nofollow noopener noreferrer">the PDF</a>' in html


def test_mentions_notify_team_members_and_name_outsiders_not_notified(app, httpserver):
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"
    team = make_team()
    author = make_user(teams=[team])
    dana = make_user(email="dana@example.com", teams=[team])
    make_user(email="outsider@example.com", teams=[make_team()])
    asks, _ = channels.create_channel(team, "webhook", httpserver.url_for("/a"), SYSTEM, event_types="comment.created")
    channels.create_channel(team, "webhook", httpserver.url_for("/b"), SYSTEM)  # default types: no comments
    ob = make_obligation(team=team)
    posted = add_comment(ob, "Ready for review @Dana@example.com and @outsider@example.com, @nobody@example.com",
                         author, Actor.of(author))
    assert posted.notified == ["dana@example.com"]
    assert posted.not_notified == {"outsider@example.com": "not a member of the team",
                                   "nobody@example.com": "not a member of the team"}
    assert db.session.scalars(select(WorkNotice.recipient_id)).all() == [dana.id]
    assert [(d.channel_id, d.event_type) for d in db.session.scalars(select(ChannelDelivery))] == [
        (asks.id, "comment.created")]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "comment")).one()
    assert (entry.entity, entry.entity_id, entry.changes["mentions"][1]) == ("obligation", ob.id, ["dana@example.com"])


def test_editing_is_for_the_author_within_15_minutes_and_deletion_leaves_a_trace(app, clock):
    clock.move_to(at("2026-06-01T09:00:00+00:00"))
    team = make_team()
    author, other = make_user(teams=[team]), make_user(teams=[team])
    ob = make_obligation(team=team, rule_date=date(2027, 1, 1))
    comment = add_comment(ob, "first", author, Actor.of(author)).comment
    with pytest.raises(ValidationFailed, match="only its author"):
        edit_comment(comment, "changed", other, Actor.of(other))
    assert edit_comment(comment, "first, edited", author, Actor.of(author),
                        now=at("2026-06-01T09:14:00+00:00"))
    with pytest.raises(ValidationFailed, match="15 minutes"):
        edit_comment(comment, "too late", author, Actor.of(author), now=at("2026-06-01T09:16:00+00:00"))
    with pytest.raises(ValidationFailed, match="write something"):
        add_comment(ob, "   ", author, Actor.of(author))
    delete_comment(comment, other, Actor.of(other))  # an editor of the obligation moderates
    row = db.session.get(Comment, comment.id)
    assert row.deleted_at is not None and row.body == ""
    trail = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "obligation",
                                                        AuditEntry.entity_id == ob.id, AuditEntry.action == "comment")
                               .order_by(AuditEntry.id)).all()
    assert [e.changes["comment"] for e in trail] == [[None, "first"], ["first", "first, edited"],
                                                     ["first, edited", None]]


def test_the_obligation_page_shows_the_thread_and_says_who_was_not_notified(client):
    team = make_team()
    author = make_user(teams=[team])
    make_user(email="outsider@example.com")
    ob = make_obligation(team=team)
    login(client, author)
    page = client.post(f"/obligations/{ob.id}/comments", data={"body": "*See* @outsider@example.com <b>x</b>"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Not notified: outsider@example.com (not a member of the team)" in page
    assert "<em>See</em>" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    comment = db.session.scalar(select(Comment))
    client.post(f"/comments/{comment.id}/delete")
    page = client.get(f"/obligations/{ob.id}").get_data(as_text=True)
    assert "comment deleted" in page and "<em>See</em>" not in page



def test_a_vendor_request_has_its_own_thread_and_audit_trail(client):
    from tests.vendor_support import make_vendor, scope
    from tracker.models import VendorRequest

    team = make_team()
    editor = make_user(teams=[team])
    ob = make_obligation(team=team)
    make_vendor(team)
    scope(ob, categories=["gpu_hardware"])
    request = db.session.scalars(select(VendorRequest)).one()
    login(client, editor)
    page = client.post(f"/vendor-requests/{request.id}/comments", data={"body": "Chased them by phone"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Comment posted." in page and "Chased them by phone" in page
    assert "Chased them by phone" not in client.get(f"/obligations/{ob.id}").get_data(as_text=True)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "comment")).one()
    assert (entry.entity, entry.entity_id) == ("vendor_request", request.id)
