"""Feed tokens at rest: a database reader sees neither a token nor a part of one."""

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.factories import make_team
from tracker import create_app
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.feeds import tokens
from tracker.models import FeedToken


def _all_stored_text() -> str:
    rows = db.session.execute(sa.text("SELECT * FROM feed_tokens")).all()
    return " ".join(str(value) for row in rows for value in row)


def test_the_database_holds_no_token_nor_a_prefix_of_one(client):
    team = make_team()
    token = tokens.ensure_token(team, SYSTEM).token
    stored = _all_stored_text()
    for part in (token, token[:16], token[:8], token[-8:]):
        assert part not in stored
    assert client.get(f"/feeds/{token}.ics").status_code == 200
    # Same secret, other SECRET_KEY: the stored digest and seal are useless.
    row = db.session.scalar(sa.select(FeedToken))
    assert tokens.unseal(row.digest, row.sealed, "another-secret-key") is None
    assert tokens.digest_of(token, "another-secret-key") != row.digest


def test_an_altered_sealed_column_is_refused_not_misread(app):
    team = make_team()
    row = tokens.ensure_token(team, SYSTEM)
    digest, sealed = row.digest, row.sealed
    flipped = sealed[:5] + ("A" if sealed[5] != "A" else "B") + sealed[6:]
    assert tokens.unseal(digest, flipped) is None
    assert tokens.unseal(digest, sealed) == row.token


def test_migration_keeps_existing_feed_urls_working(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "migration-secret"})
    old_token = "A" * 10 + "b_-" * 11
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO teams (key, name, timezone, reminder_lead_days, overdue_every_days,"
                                 " remind_projected, created_at, updated_at) VALUES ('t', 'T', 'UTC', '30,7,1,0', 7,"
                                 " 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
            conn.execute(sa.text("INSERT INTO feed_tokens (team_id, selector, token, created_at)"
                                 " VALUES (1, :selector, :token, '2026-01-01 00:00:00')"),
                         {"selector": old_token[:16], "token": old_token})
        upgrade()
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("feed_tokens")}
        assert "token" not in columns and "selector" not in columns
        assert old_token[:16] not in _all_stored_text()
        row = tokens.find_active(old_token)
        assert row is not None and row.token == old_token
        assert tokens.feed_url(row).endswith(f"/feeds/{old_token}.ics")
        response = app.test_client().get(f"/feeds/{old_token}.ics")
        assert response.status_code == 200 and b"BEGIN:VCALENDAR" in response.data
        db.session.remove()
        downgrade(revision="0007")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT selector, token FROM feed_tokens")).one() == (old_token[:16], old_token)
        db.engine.dispose()
