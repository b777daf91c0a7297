"""Shared setup for the API tests: a small register, a token per role, problem documents,
and plain HTTP requests to a live server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date

from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tracker.people.api_tokens import create_token
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


PROBLEM_FIELDS = {"type", "title", "status", "detail", "errors", "request_id"}


def expect_problem(response, status: int) -> dict:
    """The body of a test-client response that must be an RFC 9457 problem with `status`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert set(body) == PROBLEM_FIELDS
    assert body["status"] == status
    assert body["request_id"] == response.headers["X-Request-ID"]  # the id the log lines carry
    return body


def http_request(url: str, method: str, token: str, body: dict | None = None, if_match: str | None = None):
    """(status, headers, JSON body) of a real HTTP request with a bearer token."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if if_match:
        headers["If-Match"] = if_match
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")
