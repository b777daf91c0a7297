"""schemathesis against the OpenAPI document, in-process on the Flask app.

Bounded (a few examples per operation) so the whole suite fits CI twice. It
fails on any 5xx, any response that does not match the document, any
undocumented status code or content type.
"""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tracker.api.openapi import build_document
from tracker.people.api_tokens import create_token
from tracker.audit import SYSTEM

schema = schemathesis.openapi.from_dict(build_document())


@schema.hook
def map_path_parameters(context, path_parameters):
    """Aim most generated ids at rows that exist (1-3), so writes reach the services."""
    if path_parameters is None:
        return None
    return {name: 1 + value % 3 if isinstance(value, int) and not isinstance(value, bool) and value > 0 else value
            for name, value in path_parameters.items()}


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def admin_headers(app):
    """An admin token and a small register, so ids 1-3 exist for the generated requests."""
    team = make_team(key="procurement")
    source = make_source(key="chip-act")
    anchor = make_event(source=source, key="enacted", on=date(2026, 9, 1), precision="month")
    make_event(source=source, key="committee", status="occurred", on=date(2026, 3, 26))
    make_obligation(team=team, rule="relative", anchor=anchor, rule_offset=180, key="verify")
    make_obligation(team=team, key="cert")
    make_obligation(team=team, rule="recurring", key="annual")
    _, secret = create_token(make_user(role="admin", teams=[team]), "schemathesis", SYSTEM)
    return {"Authorization": f"Bearer {secret}"}


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, app, admin_headers):
    case.call_and_validate(app=app, headers=admin_headers, checks=CHECKS)
