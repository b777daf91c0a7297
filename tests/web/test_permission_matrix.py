"""Who may do what, for every endpoint of the URL map: signed out, a viewer, an editor of another
team, an editor of the team, an admin. The endpoints are read from the app, so a new one must be
placed in one of the sets below (or its test fails): nobody can forget to decide who may use it.

The API's endpoints (/api/v1) have their own sets and tests in test_api_permission_matrix.py."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_team, make_user
from tests.vendor_files import pdf_bytes
from tracker import models
from tracker.db import db

# Pages and forms anyone may reach without signing in (a secret in the URL, or the sign-in itself).
PUBLIC = {
    "auth.login", "respond.page", "respond.answer", "respond.receipt", "respond.contact_calendar",
    "notifications.unsubscribe", "notifications.unsubscribe_post", "respond.contact_unsubscribe",
    "respond.contact_unsubscribe_post", "feeds.feed", "health.healthz", "metrics.metrics", "signin.start",
    "signin.callback",
}
# Pages every signed-in user may read.
READS = {
    "dashboard.index", "account.index", "api_tokens.reference", "feeds.subscribe", "events.index", "events.detail",
    "obligations.index", "obligations.detail", "transfer.download_csv", "deadline_form.explain_deadline",
    "watches.index", "watches.detail", "reports.index", "search.index", "sources.index", "sources.detail",
    "teams.index", "teams.detail", "timeline.index", "vendors.index", "vendors.detail", "vendors.download_csv",
    "vendor_requests.detail", "vendor_matrix.matrix", "vendor_matrix.matrix_download", "work.open_view",
}
# Files only the team's members (and admins) may read: evidence and vendors' uploads.
TEAM_READS = {"evidence.download", "vendor_requests.download"}
# Writes every signed-in user may make: their own account, tokens, feeds, email, views.
PERSONAL_WRITES = {
    "account.password", "account.profile", "account.sign_out_everywhere", "api_tokens.revoke",
    "api_tokens.tokens", "feeds.regenerate_personal", "feeds.revoke_personal", "notifications.preferences",
    "work.save", "work.remove", "events.preview", "auth.logout",
}
# Writes on one team's things (comments too): an editor of another team is refused as a viewer is.
TEAM_WRITES = {
    "vendors.edit", "vendors.add_contact_view", "vendors.contact_role", "vendors.remove_contact_view",
    "vendors.offboard", "vendors.revoke_feeds", "vendor_requests.review_action", "vendor_requests.link_action",
    "vendor_matrix.scope", "vendor_matrix.clear", "watches.edit", "watches.delete", "watches.accept",
    "watches.reject", "watches.create", "watches.make_event", "work.change_one", "evidence.add",
    "feeds.regenerate_team", "feeds.revoke_team", "evidence.remove", "comments.on_obligation",
    "comments.on_vendor_request", "comments.delete",
}
# An obligation's and an event's writes: editors of the obligation's team, and of every team whose
# deadlines an event change moves. An empty form already names the obligation (refused below); a new
# obligation's team and an event's change are in the form: OBLIGATION_CASES at the end tries them filled in.
OBLIGATION_WRITES = {"obligations.create", "obligations.edit", "obligations.change_status", "obligations.delete"}
EVENT_WRITES = {"events.create", "events.edit", "events.record", "events.delete"}
# A comment's text is its author's: anyone else (an admin too) is told so on the page (a 302).
AUTHOR_ONLY = {"comments.edit"}
# Writes any editor may make: things no team owns, or whose team is chosen in the form (checked per row).
EDITOR_WRITES = {"sources.create", "sources.edit", "sources.delete", "vendors.create", "work.bulk"}
# Pages and forms for admins only: people, teams, the organization, channels, the outbox, imports.
ADMIN_ONLY = {
    "organization.settings", "signin.groups", "signin.delete_group", "api_tokens.admin_tokens",
    "api_tokens.admin_revoke", "transfer.import_pack", "outbox.index", "outbox.show", "outbox.retry",
    "teams.create", "teams.edit", "teams.add_member", "teams.member_role", "teams.remove_member", "users.index",
    "users.create", "users.edit", "users.set_password", "channels.overview", "channels.deliveries", "channels.index",
    "channels.events", "channels.enable", "channels.delete", "channels.test", "channels.replay",
    "notifications.team_policy", "evidence.team_rule",
}
SETS = {"PUBLIC": PUBLIC, "READS": READS, "TEAM_READS": TEAM_READS, "PERSONAL_WRITES": PERSONAL_WRITES,
        "TEAM_WRITES": TEAM_WRITES, "OBLIGATION_WRITES": OBLIGATION_WRITES, "EVENT_WRITES": EVENT_WRITES,
        "AUTHOR_ONLY": AUTHOR_ONLY, "EDITOR_WRITES": EDITOR_WRITES, "ADMIN_ONLY": ADMIN_ONLY}
# What an editor of another team may not do to this team's things.
OUTSIDER_REFUSED = TEAM_READS | TEAM_WRITES | ADMIN_ONLY | (OBLIGATION_WRITES - {"obligations.create"})
# What a viewer is not refused with a 403.
VIEWER_WRITES = PUBLIC | PERSONAL_WRITES | AUTHOR_ONLY
# Writes that end what the rest of a pass needs (the session, the rows): made last.
ENDS = re.compile(r"delete|remove|offboard|revoke|clear|logout|sign_out|reject")
SIGN_OUTS = {"auth.logout", "account.sign_out_everywhere"}
ID = re.compile(r"<(?:int:|path:)?([a-z_]+)>")


def _first(model, **where):
    query = select(func.min(model.id))
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


@pytest.fixture
def world(app, runner, clock):
    """The demo, a row of every kind an URL names, and a person of each role (password-123)."""
    clock.move_to("2026-12-05T12:00:00Z")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    from tracker.audit import SYSTEM
    from tracker.channels.operations import create_channel
    from tracker.comments.operations import add_comment
    from tracker.evidence.operations import add_file
    from tracker.people.api_tokens import create_token
    from tracker.signin.operations import save_group_mapping
    from tracker.vendors.uploads import Upload
    from tracker.work.saved_views import save_view

    team = db.session.scalar(select(models.Team).where(models.Team.key == "procurement"))
    other = make_team(key="elsewhere", name="Elsewhere")
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"  # a loopback target, never called
    channel, _ = create_channel(team, "webhook", "http://127.0.0.1:9/hook", SYSTEM)
    db.session.add(models.ChannelDelivery(channel_id=channel.id, event_type="deadline.test", unique_key="matrix",
                                          webhook_id=f"msg_{uuid.uuid4().hex}", body="{}"))
    people = {"viewer": make_user(role="viewer", teams=[team], email="v@example.com"),
              "outsider": make_user(role="editor", teams=[other], email="o@example.com"),
              "editor": make_user(role="editor", teams=_watched_teams(team), email="e@example.com"),
              "admin": make_user(role="admin", email="a@example.com"),
              # whom the people and team forms change (never the person signed in)
              "spare": make_user(role="viewer", teams=[team], email="s@example.com")}
    obligation = db.session.get(models.Obligation, _first(models.Obligation, team_id=team.id))
    add_comment(obligation, "Who has the signed copy?", people["editor"], SYSTEM)
    signed = pdf_bytes()
    add_file(obligation, Upload("signed-copy.pdf", io.BytesIO(signed), len(signed)), people["editor"], SYSTEM)
    save_group_mapping("auditors", "viewer", ["procurement"], SYSTEM)
    for person in people.values():
        save_view(person, "Mine", f"team={team.id}")
        create_token(person, "a token to revoke", SYSTEM)
    _propose_enactment(team)
    db.session.commit()
    return team, people


def _watched_teams(team) -> list:
    """The team, and the other teams its first watched source drives (a watch's editor edits for them all)."""
    from tracker.people.permissions import teams_driven_by_source

    for watch in db.session.scalars(select(models.Watch).order_by(models.Watch.id)):
        driven = teams_driven_by_source(watch.source_id)
        if team.id in driven:
            return [team] + [db.session.get(models.Team, team_id) for team_id in sorted(driven - {team.id})]
    raise AssertionError("no watched source drives the team's deadlines")


def _propose_enactment(team) -> None:
    """One open proposal on a watch that drives the team's deadlines (the demo's watches, polled once)."""
    from tests.watch_support import GivenProvider, enacted, poll

    provider = GivenProvider()
    provider.observations = [enacted(date(2026, 12, 3))]
    poll(provider)
    assert db.session.scalar(select(func.count(models.Proposal.id))), "the poll proposed nothing"


def _ids(team, person) -> dict[str, object]:
    """A value for each URL parameter: the team's rows (its watched source, a request with uploads),
    and the person's own view and token."""
    from tracker.people.permissions import teams_driven_by_source

    vendor_id = _first(models.Vendor, team_id=team.id)
    uploaded = db.session.execute(select(models.VendorEvidence.id, models.VendorEvidence.request_id)
                                  .join(models.VendorRequest).join(models.Obligation)
                                  .where(models.Obligation.team_id == team.id).order_by(models.VendorEvidence.id)).first()
    watch = next(watch for watch in db.session.scalars(select(models.Watch).order_by(models.Watch.id))
                 if team.id in teams_driven_by_source(watch.source_id))
    spare = db.session.scalar(select(models.User).where(models.User.email == "s@example.com"))
    return {"team_id": team.id, "obligation_id": _first(models.Obligation, team_id=team.id),
            "vendor_id": vendor_id, "source_id": watch.source_id, "event_id": _first(models.Event, source_id=watch.source_id),
            "watch_id": watch.id, "request_id": uploaded.request_id, "user_id": spare.id, "token": "x" * 43,
            "channel_id": _first(models.Channel), "delivery_id": _first(models.ChannelDelivery),
            "message_id": _first(models.OutboxMessage), "stage": "enacted",
            "contact_id": _first(models.VendorContact, vendor_id=vendor_id),
            "evidence_id": _first(models.ObligationEvidence), "vendor_evidence_id": uploaded.id,
            "proposal_id": _first(models.Proposal, watch_id=watch.id), "comment_id": _first(models.Comment),
            "mapping_id": _first(models.OidcGroupMapping), "view_id": _first(models.SavedView, user_id=person.id),
            "token_id": _first(models.ApiToken, user_id=person.id)}


# The same parameter name naming another kind of row.
RENAMED = {"vendor_requests.download": {"evidence_id": "vendor_evidence_id"},
           "api.download_vendor_evidence": {"evidence_id": "vendor_evidence_id"}}


def url_for_rule(rule, ids) -> str:
    url = rule.rule
    for name in ID.findall(url):
        value = ids[RENAMED.get(rule.endpoint, {}).get(name, name)]
        assert value is not None, f"{rule.endpoint}: the world has no row for <{name}>: add one to the fixture"
        url = re.sub(rf"<(?:int:|path:)?{name}>", str(value), url)
    return url


def _rules(app, method: str):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/static", "/bootstrap", "/api/v1")) or method not in rule.methods:
            continue
        yield rule


def _in_order(app):
    """Every (method, rule): pages first, then forms, those that end a session or remove rows last,
    and deleting whole objects (a watch takes its proposals along) after those."""
    requests = [("GET", rule) for rule in _rules(app, "GET")] + [("POST", rule) for rule in _rules(app, "POST")]
    return sorted(requests, key=lambda pair: (pair[0] == "POST", bool(ENDS.search(pair[1].endpoint)),
                                              pair[1].endpoint.endswith(".delete")))


def _signed_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


def test_signed_out_every_page_and_form_but_the_public_ones_asks_to_sign_in(app, client, world):
    team, people = world
    ids = _ids(team, people["spare"])
    for method, rule in _in_order(app):
        if rule.endpoint in PUBLIC:
            continue
        response = client.open(url_for_rule(rule, ids), method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"], \
            (method, rule.endpoint, response.status_code)


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_viewers_and_editors_of_other_teams_are_refused_every_write(app, client, world, who):
    """A viewer may make only personal writes; an editor of another team may not
    touch this team's things nor open admin pages. 403, whatever the form says."""
    team, people = world
    ids = _ids(team, people[who])
    login(client, people[who])
    for method, rule in _in_order(app):
        refused = OUTSIDER_REFUSED if who == "outsider" else ADMIN_ONLY
        if method == "POST" and who == "viewer":
            refused = refused | (set(rule.endpoint for rule in _rules(app, "POST")) - VIEWER_WRITES)
        if rule.endpoint not in refused:
            continue
        response = client.open(url_for_rule(rule, ids), method=method, data={})
        assert response.status_code == 403, (who, method, rule.endpoint, response.status_code)


@pytest.mark.parametrize("who", ["editor", "admin"])
def test_editors_of_the_team_and_admins_are_never_refused_and_never_get_a_500(app, client, world, who):
    """Every page and every form (empty: a 400 with field errors is fine) as the team's editor and
    as an admin: never a 403 (but the admin pages for the editor), never a 500, never asked to sign in."""
    team, people = world
    ids = _ids(team, people[who])
    login(client, people[who])
    answered = {}
    for method, rule in _in_order(app):
        if rule.endpoint in PUBLIC:
            continue
        if not _signed_in(client):  # the last form signed out (sign out, sign out everywhere)
            login(client, people[who])
        response = client.open(url_for_rule(rule, ids), method=method, data={})
        answered[method, rule.endpoint] = response.status_code
        expected_403 = who == "editor" and rule.endpoint in ADMIN_ONLY
        assert (response.status_code == 403) == expected_403, (who, method, rule.endpoint, response.status_code)
        assert response.status_code < 500, (who, method, rule.endpoint, response.status_code)
        if rule.endpoint not in SIGN_OUTS:
            assert "/login" not in response.headers.get("Location", ""), (who, method, rule.endpoint)
    # Each request found its row: a 404 would have hidden what the role may do.
    assert not {key: status for key, status in answered.items() if status == 404}


def test_every_endpoint_is_placed_in_exactly_one_set(app):
    """A new page or form must be decided: public, a read, a team's files, personal, team-scoped,
    an obligation's or an event's, its author's, any editor's, or admins' only."""
    endpoints = {rule.endpoint for method in ("GET", "POST") for rule in _rules(app, method)}
    placed = [endpoint for members in SETS.values() for endpoint in members]
    assert len(placed) == len(set(placed)), sorted({e for e in placed if placed.count(e) > 1})
    assert not endpoints - set(placed), f"place these endpoints in a set: {sorted(endpoints - set(placed))}"
    assert not set(placed) - endpoints, f"no such endpoints any more: {sorted(set(placed) - endpoints)}"
    writes = {rule.endpoint for rule in _rules(app, "POST")}
    assert not READS & writes, "a read that takes a POST: place it with the writes"


# Roles per team for the register itself (issue 23): an obligation is written, and an event's date
# changed so that its deadlines move, only by an editor of its team. Each case: (endpoint, a
# prepare(world) -> (url, form)). The world is one team's fixed and relative obligation and the event
# the relative one counts from; the outsider edits another team.
OBLIGATION_CASES = {
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


@pytest.mark.parametrize("endpoint", sorted(OBLIGATION_CASES))
def test_an_editor_of_another_team_may_not_write_this_teams_obligations_or_move_its_deadlines(
        app, client, world, endpoint):
    team, people = world
    w = _team_register(team)
    url, form = OBLIGATION_CASES[endpoint](w)
    before = _register_state(w)
    login(client, people["outsider"])
    response = client.post(url, data=form)
    assert response.status_code == 403, (endpoint, response.status_code)
    assert "editor role" in response.get_data(as_text=True)  # the page says what it would take
    assert _register_state(w) == before  # nothing written


@pytest.mark.parametrize("endpoint", sorted(OBLIGATION_CASES))
def test_an_editor_of_the_team_may_write_its_obligations_and_move_its_deadlines(app, client, world, endpoint):
    team, people = world
    w = _team_register(team)
    url, form = OBLIGATION_CASES[endpoint](w)
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
