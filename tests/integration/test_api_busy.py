"""A write that gives up on a row lock (the production lock_timeout) answers 503 with
Retry-After and changes nothing, instead of a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from tests.conftest import is_postgresql
from tests.integration.api_helpers import http_request, small_register, token_for
from tracker.db import db
from tracker.models import Obligation

pytestmark = pytest.mark.skipif(not is_postgresql(), reason="row locks: PostgreSQL only")


@pytest.fixture
def short_lock_timeout(app):
    def short(conn):
        conn.exec_driver_sql("SET LOCAL lock_timeout = '300ms'")

    event.listen(db.engine, "begin", short)
    yield
    event.remove(db.engine, "begin", short)


def test_a_patch_behind_a_held_row_lock_answers_503_and_changes_nothing(app, live_server, short_lock_timeout):
    _, _, _, obligation = small_register()
    token = token_for("editor")
    db.session.commit()
    with db.engine.connect() as holder:  # another client holding the obligation's row
        holder.execute(text("select id from obligations where id = :id for update"), {"id": obligation.id})
        status, headers, answer = http_request(f"{live_server}/api/v1/obligations/{obligation.id}", "PATCH",
                                               token, {"title": "Renamed while locked"})
        holder.rollback()
    assert status == 503, answer
    assert headers.get("Retry-After") == "1"
    assert answer["status"] == 503 and "try again" in answer["detail"]
    db.session.expire_all()
    assert db.session.get(Obligation, obligation.id).title == "Location verification"
