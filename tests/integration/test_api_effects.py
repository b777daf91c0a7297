"""A write through the API has the UI's effects: history, feed SEQUENCE, change notice."""

from __future__ import annotations

from datetime import date

import vobject
from sqlalchemy import select

from tests.factories import make_obligation, make_team, make_user
from tests.integration.api_helpers import auth, token_for
from tracker.audit import SYSTEM
from tracker.clock import utcnow
from tracker.db import db
from tracker.feeds.tokens import ensure_token, feed_url
from tracker.feeds.uids import obligation_uid
from tracker.models import AuditEntry, DeadlineHistory, OutboxMessage
from tracker.mail.planning import plan_obligations


def test_api_patch_moves_the_deadline_in_history_feed_and_mail(client, clock):
    team = make_team(timezone="UTC")
    member = make_user(teams=[team], password=None)
    obligation = make_obligation(team=team, rule_date=date(2027, 1, 15))
    path = feed_url(ensure_token(team, SYSTEM)).split("tracker.example.test", 1)[1]
    db.session.commit()
    before = vobject.readOne(client.get(path).get_data(as_text=True))
    token = token_for("editor", teams=[team])
    etag = client.get(f"/api/v1/obligations/{obligation.id}", headers=auth(token)).headers["ETag"]
    response = client.patch(f"/api/v1/obligations/{obligation.id}", headers=auth(token, **{"If-Match": etag}),
                            json={"deadline": {"rule": "fixed", "date": "2027-02-01"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["revision"] == 1

    history = db.session.scalars(select(DeadlineHistory)).one()
    assert (history.old_due_date, history.new_due_date) == (date(2027, 1, 15), date(2027, 2, 1))
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "update",
                                                      AuditEntry.entity == "obligation")) is not None
    uid = obligation_uid(obligation.id)
    old_event = next(e for e in before.vevent_list if e.uid.value == uid)
    clock.shift(60)  # the feed's content version follows row timestamps
    after = vobject.readOne(client.get(path).get_data(as_text=True))
    new_event = next(e for e in after.vevent_list if e.uid.value == uid)
    assert new_event.dtstart.value == date(2027, 2, 1)
    assert int(new_event.sequence.value) > int(old_event.sequence.value)

    plan_obligations(utcnow())  # the next reminder pass: members hear of the move once
    [notice] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "change",
                                                              OutboxMessage.recipient_id == member.id)).all()
    assert notice.revision == 1 and "Mon 1 Feb 2027" in notice.subject
