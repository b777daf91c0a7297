"""Teams and users: edits are validated and audited field by field."""

import pytest
import sqlalchemy as sa

from tracker.people import operations as people
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.models import AuditEntry
from tests.factories import make_obligation, make_team, make_user


def last_changes(entity: str) -> dict:
    return db.session.scalars(sa.select(AuditEntry.changes).where(AuditEntry.entity == entity)
                              .order_by(AuditEntry.id.desc()).limit(1)).one()


def test_team_time_zone_must_be_a_real_iana_zone(app):
    team = make_team()
    with pytest.raises(ValidationFailed) as info:
        people.update_team(team, SYSTEM, timezone="Mars/Olympus")
    assert "timezone" in info.value.errors
    assert people.update_team(team, SYSTEM, timezone="Europe/Berlin", overdue_every_days=3) is True
    assert last_changes("team") == {"timezone": ["America/Los_Angeles", "Europe/Berlin"],
                                    "overdue_every_days": [7, 3]}
    assert people.update_team(team, SYSTEM, timezone="Europe/Berlin") is False


def test_user_role_change_and_deactivation_are_audited(app):
    user = make_user(role="viewer")
    people.update_user(user, SYSTEM, role="editor", active=False)
    assert (user.role, user.active, user.is_active) == ("editor", False, False)
    assert last_changes("user") == {"role": ["viewer", "editor"], "active": [True, False]}


def test_user_email_is_normalised_and_unique(app):
    make_user(email="taken@example.com")
    other = make_user(email="other@example.com")
    with pytest.raises(Conflict):
        people.update_user(other, SYSTEM, email="TAKEN@example.com")
    with pytest.raises(ValidationFailed):
        people.update_user(other, SYSTEM, email="not an email")


def test_password_change_is_logged_without_the_hash(app):
    user = make_user()
    people.set_password(user, "a-new-password", SYSTEM)
    assert last_changes("user") == {"password_hash": ["***", "***"]}


def test_team_with_obligations_cannot_be_deleted(app):
    team = make_team()
    make_obligation(team=team)
    with pytest.raises(Conflict):
        people.delete_team(team, SYSTEM)
    empty = make_team()
    people.delete_team(empty, SYSTEM)
    assert last_changes("team")  # the deletion is logged


def test_a_team_is_created_with_its_policy_in_one_step_or_not_at_all(app):
    from tracker.models import Team

    team = people.create_team("legal", "Legal", "Europe/Berlin", SYSTEM, overdue_every_days=14,
                              reminder_lead_days="30,7")
    assert (team.overdue_every_days, team.lead_days) == (14, [30, 7])
    with pytest.raises(ValidationFailed):
        people.create_team("tax", "Tax", "UTC", SYSTEM, overdue_every_days=7, colour="red")
    db.session.rollback()
    assert db.session.scalar(sa.select(Team).where(Team.key == "tax")) is None
