"""Members who leave keep the team feed URL: admins are told who, and rotate in one click."""

from tests.factories import login, make_team, make_user
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.feeds import tokens
from tracker.models import AuditEntry


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_removed_member_is_listed_until_the_admin_rotates_the_team_feed(client, clock):
    team = make_team(name="Procurement")
    leaver = make_user(role="viewer", name="Lee Leaver", email="lee@example.com", teams=[team])
    admin = make_user(role="admin")
    old_url = tokens.feed_url(tokens.ensure_token(team, SYSTEM))
    login(client, admin)
    assert "still hold the team feed" not in client.get(f"/teams/{team.id}").get_data(as_text=True)

    client.post(f"/teams/{team.id}/members/{leaver.id}/remove")
    page = client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert "still hold the team feed" in page
    assert "Lee Leaver &lt;lee@example.com&gt; — removed from the team" in page
    assert "must subscribe again" in page and "personal feed" in page
    # The removed member can indeed still read the team feed: that is the risk shown.
    assert client.get(_path(old_url)).status_code == 200

    response = client.post(f"/calendar/teams/{team.id}/regenerate", data={"back": "team"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/teams/{team.id}#team-feed")
    page = client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert "must subscribe again" in page  # the flash after rotating
    assert "still hold the team feed" not in page and "removed from the team" not in page
    assert client.get(_path(old_url)).status_code == 404
    assert client.get(_path(tokens.feed_url(tokens.active_token(team)))).status_code == 200
    assert old_url not in page


def test_deactivated_member_is_listed_and_the_calendar_page_tells_managers(client, clock):
    team = make_team(name="Payroll")
    leaver = make_user(role="viewer", name="Dee Active", email="dee@example.com", teams=[team])
    tokens.ensure_token(team, SYSTEM)
    admin = make_user(role="admin")
    login(client, admin)
    response = client.post(f"/users/{leaver.id}", data={"name": "Dee Active", "role": "viewer",
                                                        "team_ids": [str(team.id)]})
    assert response.status_code == 302
    db.session.expire_all()
    assert not leaver.active and team in leaver.teams
    page = client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert "Dee Active &lt;dee@example.com&gt; — deactivated" in page
    calendar = client.get("/calendar").get_data(as_text=True)
    assert "Left since this address was issued" in calendar and "dee@example.com" in calendar


def test_viewers_see_no_departure_list_and_no_secret_is_logged(client, clock):
    team = make_team()
    leaver = make_user(role="viewer", email="gone@example.com", teams=[team])
    viewer = make_user(role="viewer", teams=[team])
    token = tokens.ensure_token(team, SYSTEM).token
    from tracker.people import operations

    operations.set_membership(team, leaver, False, SYSTEM)
    assert [gone["email"] for gone in tokens.departures(team)] == ["gone@example.com"]
    login(client, viewer)
    page = client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert "gone@example.com" not in page and "new address" not in page
    for entry in db.session.query(AuditEntry).all():
        assert token not in str(entry.changes)


def test_no_departure_is_noted_for_a_team_without_a_feed(app):
    team = make_team()
    leaver = make_user(role="viewer", teams=[team])
    from tracker.people import operations

    operations.set_membership(team, leaver, False, SYSTEM)
    tokens.ensure_token(team, SYSTEM)
    assert tokens.departures(team) == []
