"""The subscribe page: addresses, webcal and Google links, regenerate and revoke."""

from urllib.parse import quote

import pytest

from tests.factories import login, make_team, make_user
from tracker import create_app
from tracker.audit import SYSTEM
from tracker.feeds import tokens


def test_calendar_page_needs_sign_in(client):
    response = client.get("/calendar")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_page_shows_https_webcal_and_google_links_with_instructions(client, clock):
    team = make_team(name="Procurement")
    user = make_user(role="viewer", teams=[team])
    url = tokens.feed_url(tokens.ensure_token(team, SYSTEM))
    login(client, user)
    page = client.get("/calendar").get_data(as_text=True)
    webcal = "webcal://" + url.removeprefix("https://")
    assert url in page and webcal in page
    assert "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="") in page
    for app_name in ("Google Calendar", "Outlook", "Apple Calendar"):
        assert app_name in page
    assert "Copy" in page
    assert 'href="/calendar">Calendar feeds</a>' in page


def test_viewer_can_turn_on_and_regenerate_their_personal_feed(client, clock):
    user = make_user(role="viewer", teams=[make_team()])
    login(client, user)
    assert "Turn feed on" in client.get("/calendar").get_data(as_text=True)
    client.post("/calendar/personal/regenerate")
    first = tokens.active_token(user).token
    page = client.post("/calendar/personal/regenerate", follow_redirects=True).get_data(as_text=True)
    assert "must subscribe again" in page
    assert tokens.active_token(user).token != first
    assert first not in page
    client.post("/calendar/personal/revoke")
    assert tokens.active_token(user) is None


def test_regenerate_warns_that_subscribers_must_resubscribe(client, clock):
    team = make_team()
    user = make_user(role="editor", teams=[team])
    tokens.ensure_token(team, SYSTEM)
    login(client, user)
    page = client.get("/calendar").get_data(as_text=True)
    assert "Regenerate address" in page and "must subscribe again" in page


def test_viewer_cannot_regenerate_a_team_feed(client, clock):
    team = make_team()
    user = make_user(role="viewer", teams=[team])
    before = tokens.ensure_token(team, SYSTEM).token
    login(client, user)
    assert client.post(f"/calendar/teams/{team.id}/regenerate").status_code == 403
    assert tokens.active_token(team).token == before
    assert "Regenerate address" not in client.get("/calendar").get_data(as_text=True)


def test_editor_manages_only_their_own_teams_feeds(client, clock):
    mine, other = make_team(), make_team()
    user = make_user(role="editor", teams=[mine])
    login(client, user)
    assert client.post(f"/calendar/teams/{mine.id}/regenerate").status_code == 302
    assert tokens.active_token(mine) is not None
    assert client.post(f"/calendar/teams/{other.id}/regenerate").status_code == 403
    assert client.post(f"/calendar/teams/{mine.id}/revoke").status_code == 302
    assert tokens.active_token(mine) is None


def test_admin_sees_and_manages_every_team(client, clock):
    teams = [make_team(name="Alpha"), make_team(name="Beta")]
    admin = make_user(role="admin")
    login(client, admin)
    page = client.get("/calendar").get_data(as_text=True)
    assert "Team feed: Alpha" in page and "Team feed: Beta" in page
    assert client.post(f"/calendar/teams/{teams[1].id}/regenerate").status_code == 302


@pytest.fixture
def csrf_client(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "TRACKER_SCHEDULER": "off",
                      "TRACKER_BASE_URL": "https://tracker.example.test", "SECRET_KEY": "test-secret"})
    with app.app_context():
        yield app.test_client()
        from tracker.db import db

        db.session.remove()
        db.engine.dispose()


def test_regenerate_needs_a_csrf_token_but_the_feed_does_not(csrf_client):
    team = make_team()
    user = make_user(role="admin", teams=[team])
    path = "/" + tokens.feed_url(tokens.ensure_token(team, SYSTEM)).split("/", 3)[3]
    page = csrf_client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0] if 'name="csrf_token" type="hidden"' in page \
        else page.split('name="csrf_token" value="')[1].split('"')[0]
    csrf_client.post("/login", data={"email": user.email, "password": "password-123", "csrf_token": csrf})
    assert csrf_client.get("/calendar").status_code == 200
    assert csrf_client.post(f"/calendar/teams/{team.id}/regenerate").status_code == 400
    assert csrf_client.get(path).status_code == 200
    assert csrf_client.put(path).status_code == 405
