"""Feed tokens: long secrets, scoped to one team or user, revocable, never leaked."""

from sqlalchemy import select

from tests.factories import make_obligation, make_team, make_user
from tests.feed_checks import feed_events
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.feeds import tokens
from tracker.feeds.uids import obligation_uid
from tracker.models import AuditEntry


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_tokens_are_long_random_secrets(app):
    team = make_team()
    row = tokens.ensure_token(team, SYSTEM)
    assert len(row.token) == 43  # 32 bytes from secrets, URL-safe base64: 256 bits
    assert tokens.ensure_token(team, SYSTEM).token == row.token
    assert tokens.regenerate(team, SYSTEM).token != row.token


def test_team_feed_never_shows_another_teams_obligations(client, clock):
    team_a, team_b = make_team(), make_team()
    mine = make_obligation(team=team_a)
    theirs = make_obligation(team=team_b)
    uids = {event["uid"] for event in feed_events(client, team_a)}
    assert obligation_uid(mine.id) in uids and obligation_uid(theirs.id) not in uids


def test_personal_feed_shows_the_obligations_of_the_users_teams(client, clock):
    team_a, team_b, team_c = make_team(), make_team(), make_team()
    user = make_user(role="viewer", teams=[team_a, team_b])
    ids = [make_obligation(team=team).id for team in (team_a, team_b, team_c)]
    uids = {event["uid"] for event in feed_events(client, user)}
    assert uids == {obligation_uid(ids[0]), obligation_uid(ids[1])}


def test_revoked_and_wrong_tokens_answer_404_without_detail(client, clock):
    team = make_team()
    make_obligation(team=team)
    url = tokens.feed_url(tokens.ensure_token(team, SYSTEM))
    assert client.get(_path(url)).status_code == 200
    tokens.revoke(team, SYSTEM)
    revoked = client.get(_path(url))
    assert revoked.status_code == 404 and revoked.data == b"Not found\n"
    almost = _path(url)[:-5] + ("A" if _path(url)[-5] != "A" else "B") + ".ics"
    assert client.get(almost).status_code == 404
    assert client.get("/feeds/short.ics").status_code == 404


def test_regenerating_retires_the_old_address(client, clock):
    team = make_team()
    old = tokens.feed_url(tokens.ensure_token(team, SYSTEM))
    new = tokens.feed_url(tokens.regenerate(team, SYSTEM))
    assert client.get(_path(old)).status_code == 404
    assert client.get(_path(new)).status_code == 200


def test_deactivated_users_personal_feed_is_gone(client, clock):
    user = make_user(teams=[make_team()])
    url = tokens.feed_url(tokens.ensure_token(user, SYSTEM))
    user.active = False
    db.session.commit()
    assert client.get(_path(url)).status_code == 404


def test_token_changes_are_audited_without_the_secret(app):
    team = make_team(key="procurement")
    created = tokens.ensure_token(team, SYSTEM)
    regenerated = tokens.regenerate(team, SYSTEM)
    tokens.revoke(team, SYSTEM)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "feed_token")).all()
    assert [entry.action for entry in entries] == ["create", "revoke", "create", "revoke"]
    assert all(entry.entity_key == "team:procurement" for entry in entries)
    for entry in entries:
        assert created.token not in str(entry.changes) and regenerated.token not in str(entry.changes)


def test_feed_url_command_prints_the_same_url_every_time(runner, app):
    make_team(key="procurement", name="Procurement Team")
    first = runner.invoke(args=["feed-url", "procurement"])
    second = runner.invoke(args=["feed-url", "Procurement Team"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert first.output == second.output
    assert first.output.startswith("https://tracker.example.test/feeds/") and first.output.endswith(".ics\n")


def test_feed_url_command_refuses_an_unknown_team(runner, app):
    result = runner.invoke(args=["feed-url", "nobody"])
    assert result.exit_code == 1
    assert "no team with key or name 'nobody'" in result.stderr
    assert result.stdout == ""
