"""The forms a viewer may post are the ones marked @viewer_may_write, and only those.

The mark sits on the view function (people/permissions.py), so "may a viewer post
this?" is answered where the form is written, not in a list kept elsewhere."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import login, make_user
from tracker import models
from tracker.db import db
from tracker.people.permissions import viewer_may_post

MARKED = {
    "auth.login", "auth.logout", "account.profile", "account.password", "account.sign_out_everywhere",
    "api_tokens.tokens", "api_tokens.revoke", "feeds.regenerate_personal", "feeds.revoke_personal",
    "notifications.preferences", "notifications.unsubscribe_post", "work.save", "work.remove",
}


def test_the_marked_forms_are_the_personal_ones(app):
    marked = {endpoint for endpoint, view in app.view_functions.items() if viewer_may_post(view)}
    assert marked == MARKED


def test_a_viewer_saves_a_view_but_may_not_add_a_source(app, client):
    viewer = make_user(role="viewer", email="viewer@example.com")
    login(client, viewer)
    saved = client.post("/views", data={"name": "Mine", "query": "owner=me"})
    assert saved.status_code == 302
    assert db.session.scalar(select(models.SavedView.name).where(models.SavedView.user_id == viewer.id)) == "Mine"
    refused = client.post("/sources/new", data={"key": "x", "title": "X"})
    assert refused.status_code == 403
