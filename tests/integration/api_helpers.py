"""Shared setup for the API tests: a small register and a token per role."""

from __future__ import annotations

from datetime import date

from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tracker.api.tokens import create_token
from tracker.audit import SYSTEM


def token_for(role: str, **user_fields) -> str:
    """A fresh user of `role` and a token of theirs."""
    user_fields.setdefault("password", None)  # no scrypt hashing: tokens only
    _, secret = create_token(make_user(role=role, **user_fields), f"{role} token", SYSTEM)
    return secret


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def small_register():
    """A team, a bill with an expected enactment, and an obligation counted from it."""
    team = make_team(key="procurement", name="Procurement")
    source = make_source(key="chip-security-act", title="Chip Security Act")
    enacted = make_event(source=source, key="csa-enacted", title="Chip Security Act enacted",
                         status="expected", on=date(2026, 9, 1), precision="month")
    obligation = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=180,
                                 key="csa-location-verification", title="Location verification")
    return team, source, enacted, obligation
