"""Who may do what, for every endpoint of the URL map: signed out, a viewer, an editor of another
team, an editor of the team, an admin. The endpoints are read from the app, so a new one must be
placed in one of the sets below (or its test fails): nobody can forget to decide who may use it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_team, make_user
from tracker import models
from tracker.db import db

# Pages and forms anyone may reach without signing in (a secret in the URL, or the sign-in itself).
PUBLIC = {
    "auth.login", "respond.page", "respond.answer", "respond.receipt", "respond.contact_calendar",
    "notifications.unsubscribe", "notifications.unsubscribe_post", "respond.contact_unsubscribe",
    "respond.contact_unsubscribe_post", "feeds.feed", "health.healthz", "metrics.metrics", "signin.start",
    "signin.callback",
}
# Writes every signed-in user may make: their own account, tokens, feeds, email, views, and
# comments (a viewer may discuss; editing and deleting are the author's or an editor's).
PERSONAL_WRITES = {
    "account.password", "account.profile", "account.sign_out_everywhere", "api_tokens.revoke",
    "api_tokens.tokens", "feeds.regenerate_personal", "feeds.revoke_personal", "notifications.preferences",
    "work.save", "work.remove", "events.preview",
}
# Writes on one team's things: an editor of another team is refused as a viewer is.
TEAM_WRITES = {
    "vendors.edit", "vendors.add_contact_view", "vendors.contact_role", "vendors.remove_contact_view",
    "vendors.offboard", "vendors.revoke_feeds", "vendor_requests.review_action", "vendor_requests.link_action",
    "vendor_matrix.scope", "vendor_matrix.clear", "watches.edit", "watches.delete", "watches.accept",
    "watches.reject", "watches.create", "watches.make_event", "work.change_one", "evidence.add",
    "feeds.regenerate_team", "feeds.revoke_team", "channels.index", "channels.events", "channels.enable",
    "channels.delete", "channels.test", "channels.replay", "notifications.team_policy", "evidence.team_rule",
}
ID = re.compile(r"<(?:int:)?([a-z_]+)>")


@pytest.fixture
def world(app, runner, clock):
    clock.move_to("2026-12-05T12:00:00Z")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    team = db.session.scalar(select(models.Team).where(models.Team.key == "procurement"))
    other = make_team(key="elsewhere", name="Elsewhere")
    from tracker.audit import SYSTEM
    from tracker.channels.operations import create_channel

    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"  # a loopback target, never called
    create_channel(team, "webhook", "http://127.0.0.1:9/hook", SYSTEM)
    people = {"viewer": make_user(role="viewer", teams=[team], email="v@example.com"),
              "outsider": make_user(role="editor", teams=[other], email="o@example.com"),
              "editor": make_user(role="editor", teams=[team], email="e@example.com")}
    return team, people


def _first(model, **where):
    query = select(func.min(model.id))
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def _ids(team) -> dict[str, object]:
    return {"team_id": team.id, "obligation_id": _first(models.Obligation, team_id=team.id),
            "vendor_id": _first(models.Vendor, team_id=team.id), "source_id": _first(models.Source),
            "event_id": _first(models.Event), "watch_id": _first(models.Watch),
            "request_id": db.session.scalar(select(func.min(models.VendorRequest.id)).join(models.Obligation)
                                            .where(models.Obligation.team_id == team.id)),
            "user_id": _first(models.User), "token": "x" * 43, "channel_id": _first(models.Channel),
            "message_id": _first(models.OutboxMessage), "stage": "enacted",
            "contact_id": _first(models.VendorContact, vendor_id=_first(models.Vendor, team_id=team.id))}


def _url(rule, ids) -> str | None:
    url = rule.rule
    for name in ID.findall(url):
        value = ids.get(name)
        if value is None:
            return None  # no row of that kind in this world: placed in a set, but not requested
        url = re.sub(rf"<(?:int:)?{name}>", str(value), url)
    return url


def _rules(app, method: str):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/static", "/bootstrap", "/api/")) or method not in rule.methods:
            continue
        yield rule


def test_signed_out_every_page_and_form_but_the_public_ones_asks_to_sign_in(app, client, world):
    team, _ = world
    ids = _ids(team)
    for method in ("GET", "POST"):
        for rule in _rules(app, method):
            url = _url(rule, ids)
            if url is None or rule.endpoint in PUBLIC:
                continue
            response = client.open(url, method=method)
            assert response.status_code == 302 and "/login" in response.headers["Location"], \
                (method, rule.endpoint, response.status_code)


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_viewers_and_editors_of_other_teams_are_refused_every_write(app, client, world, who):
    """A viewer may make only personal writes; an editor of another team may not write this team's
    things. 403, whatever the form says."""
    team, people = world
    ids = _ids(team)
    login(client, people[who])
    for rule in _rules(app, "POST"):
        if rule.endpoint in PUBLIC | PERSONAL_WRITES or rule.endpoint.startswith(("comments.", "auth.")):
            continue
        if who == "outsider" and rule.endpoint not in TEAM_WRITES:
            continue
        url = _url(rule, ids)
        if url is None:
            continue
        response = client.post(url, data={})
        assert response.status_code == 403, (who, rule.endpoint, url, response.status_code)


def test_every_write_endpoint_is_placed(app):
    """A new form must be decided: public, personal, team-scoped, or (the default) editors'/admins'."""
    writes = {rule.endpoint for rule in _rules(app, "POST")}
    assert PERSONAL_WRITES <= writes and TEAM_WRITES <= writes
    assert (PUBLIC & writes) == {"auth.login", "respond.answer", "notifications.unsubscribe_post",
                                 "respond.contact_unsubscribe_post"}
