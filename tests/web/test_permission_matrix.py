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


# Roles per team for the register itself (issue 23): an obligation is written, and an event's date
# changed so that its deadlines move, only by an editor of its team. Each case: (endpoint, a
# prepare(world) -> (url, form)). The world is one team's fixed and relative obligation and the event
# the relative one counts from; the outsider edits another team.
OBLIGATION_WRITES = {
    "obligations.create": lambda w: ("/obligations/new", {
        "key": "new-one", "title": "New", "team_id": w["team"].id, "rule": "fixed", "rule_date": "2027-05-01"}),
    "obligations.edit": lambda w: (f"/obligations/{w['fixed'].id}/edit", {
        "key": w["fixed"].key, "title": "Renamed", "team_id": w["team"].id, "rule": "fixed",
        "rule_date": "2027-06-01"}),
    "obligations.change_status": lambda w: (f"/obligations/{w['fixed'].id}/status", {"status": "in_progress"}),
    "obligations.delete": lambda w: (f"/obligations/{w['fixed'].id}/delete", {}),
    "events.preview": lambda w: (f"/events/{w['event'].id}/preview", {"status": "occurred", "date": "2027-02-01"}),
    "events.record": lambda w: (f"/events/{w['event'].id}/record", {"status": "occurred", "date": "2027-02-01",
                                                                    "fingerprint": ""}),
    "events.edit": lambda w: (f"/events/{w['event'].id}/edit", {  # now derived: its deadline moves
        "key": w["event"].key, "title": w["event"].title, "source_id": w["event"].source_id,
        "derived_from_event_id": w["base"].id, "derived_offset": "10", "derived_unit": "days"}),
}


def _team_register(team) -> dict:
    from datetime import date

    from tests.factories import make_event, make_obligation, make_source

    source = make_source()
    base = make_event(source=source, status="occurred", on=date(2027, 1, 4))
    event = make_event(source=source, status="expected", on=date(2027, 3, 1))
    relative = make_obligation(team=team, rule="relative", anchor=event, rule_offset=30)
    fixed = make_obligation(team=team, rule_date=date(2027, 4, 1))
    return {"team": team, "base": base, "event": event, "relative": relative, "fixed": fixed}


def _register_state(w) -> tuple:
    db.session.expire_all()
    fixed, relative = db.session.get(models.Obligation, w["fixed"].id), db.session.get(models.Obligation, w["relative"].id)
    event = db.session.get(models.Event, w["event"].id)
    return (fixed.title, fixed.revision, fixed.status, fixed.deleted_at, relative.revision, relative.due_date,
            event.status, event.derived_from_event_id,
            db.session.scalar(select(func.count(models.Obligation.id)).where(models.Obligation.team_id == w["team"].id)))


@pytest.mark.parametrize("endpoint", sorted(OBLIGATION_WRITES))
def test_an_editor_of_another_team_may_not_write_this_teams_obligations_or_move_its_deadlines(
        app, client, world, endpoint):
    team, people = world
    w = _team_register(team)
    url, form = OBLIGATION_WRITES[endpoint](w)
    before = _register_state(w)
    login(client, people["outsider"])
    response = client.post(url, data=form)
    assert response.status_code == 403, (endpoint, response.status_code)
    assert "editor role" in response.get_data(as_text=True)  # the page says what it would take
    assert _register_state(w) == before  # nothing written


@pytest.mark.parametrize("endpoint", sorted(OBLIGATION_WRITES))
def test_an_editor_of_the_team_may_write_its_obligations_and_move_its_deadlines(app, client, world, endpoint):
    team, people = world
    w = _team_register(team)
    url, form = OBLIGATION_WRITES[endpoint](w)
    if endpoint == "events.record":  # the confirmation carries what the preview showed
        login(client, people["editor"])
        preview = client.post(f"/events/{w['event'].id}/preview", data={"status": "occurred", "date": "2027-02-01"})
        form["fingerprint"] = preview.get_data(as_text=True).split('name="fingerprint" type="hidden" value="')[1] \
            .split('"')[0]
    before = _register_state(w)
    login(client, people["editor"])
    response = client.post(url, data=form)
    assert response.status_code in (200, 302), (endpoint, response.status_code)
    if endpoint != "events.preview":  # a preview writes nothing; every other form changes the register
        assert _register_state(w) != before, endpoint


def test_moving_an_obligation_to_another_team_needs_editor_in_both(app, client, world):
    team, people = world
    other = db.session.scalar(select(models.Team).where(models.Team.key == "elsewhere"))
    w = _team_register(team)
    form = {"key": w["fixed"].key, "title": w["fixed"].title, "team_id": other.id, "rule": "fixed",
            "rule_date": "2027-04-01"}
    login(client, people["editor"])  # editor of this team only
    response = client.post(f"/obligations/{w['fixed'].id}/edit", data=form)
    assert response.status_code == 403 and "Elsewhere" in response.get_data(as_text=True)
    both = make_user(role="editor", teams=[team, other], email="both@example.com")
    login(client, both)
    assert client.post(f"/obligations/{w['fixed'].id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(models.Obligation, w["fixed"].id).team_id == other.id


def test_recording_an_event_names_the_teams_whose_deadlines_it_would_move(app, client, world):
    team, people = world
    w = _team_register(team)
    login(client, people["outsider"])
    response = client.post(f"/events/{w['event'].id}/preview", data={"status": "occurred", "date": "2027-02-01"})
    assert response.status_code == 403 and team.name in response.get_data(as_text=True)
    # An event that moves no deadline: any editor records it.
    from tests.factories import make_event
    lone = make_event()
    assert client.post(f"/events/{lone.id}/preview", data={"status": "occurred", "date": "2027-02-01"}
                       ).status_code == 200
