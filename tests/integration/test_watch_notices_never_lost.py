"""Proposal notices are planned from what is stored: a crash, a clock behind, or a month of nothing loses none.

A watch pass stores its proposals and tells the teams afterwards. The telling
used to follow straight from what the pass found, so a pass that died between
the two lost the notice for good (issue 22). Now a proposal is stored untold
and every pass, polled watches or none, tells whatever is still untold,
however old, exactly once. The regulator is the loopback replay server
(tests/regulator_replay.py); both databases.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tracker.audit import SYSTEM
from tracker.channels.operations import create_channel
from tracker.db import db
from tracker.models import ChannelDelivery, OutboxMessage, Proposal
from tracker.watches import notify, polling
from tracker.watches.operations import create_watch
from tracker.watches.polling import run_poll_pass
from tracker.watches.providers import get_provider
from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tests.regulator_replay import regulator_replay  # noqa: F401 (the fixture)

DEC = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def bill(app, clock):
    """A watched bill whose enactment two teams count from; one person is in both teams."""
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"  # a loopback channel target; nothing is sent here
    clock.move_to(DEC)
    exports = make_team(key="exports", name="Export controls")
    legal = make_team(key="legal", name="Legal")
    make_user(email="exports@example.com", teams=[exports])
    make_user(email="legal@example.com", teams=[legal])
    make_user(email="both@example.com", teams=[exports, legal])
    create_channel(exports, "webhook", "http://127.0.0.1:9/hook", SYSTEM, event_types=["proposal.created"])
    watch = _watch("csa", "Chip Security Act", [exports, legal])
    return {"watch": watch, "teams": (exports, legal)}


def _watch(key: str, title: str, teams) -> object:
    source = make_source(key=f"{key}-source", title=title)
    make_event(source, key=f"{key}-committee", title=f"{title} passed committee", status="expected",
               on=date(2025, 10, 1))
    enacted = make_event(source, key=f"{key}-enacted", title=f"{title} enacted", status="expected",
                         on=date(2027, 1, 15))
    for team in teams:
        make_obligation(team, rule="relative", key=f"{key}-{team.key}-duty", anchor=enacted, rule_offset=180,
                        rule_unit="days")
    return create_watch(source, SYSTEM, provider="congress", item_kind="bill", item="119-hr-3447",
                        stages={"passed_committee": f"{key}-committee", "enacted": f"{key}-enacted"}, now=DEC)


def _pass(replay, now: datetime, *, due_only: bool = True, providers=None):
    report = run_poll_pass(now, due_only=due_only, config=replay.config(), http_options={"sleep": replay.sleep},
                           providers=providers)
    db.session.expire_all()
    return report


def _told() -> list[str]:
    """Who got a proposal email, one entry per message."""
    db.session.expire_all()
    return sorted(db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "proposal")))


def _deliveries() -> int:
    return len(db.session.scalars(select(ChannelDelivery).where(ChannelDelivery.event_type == "proposal.created"))
               .all())


EVERYONE = ["both@example.com", "exports@example.com", "legal@example.com"]


def test_a_pass_whose_telling_fails_leaves_the_notice_to_the_next_pass_which_tells_everyone_once(
        bill, regulator_replay, monkeypatch):
    real = notify._queue_notices
    failures = []

    def fails_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("the mail template could not be read")
        return real(*args, **kwargs)

    monkeypatch.setattr(notify, "_queue_notices", fails_once)
    report = _pass(regulator_replay, DEC, due_only=False)
    assert len(db.session.scalars(select(Proposal)).all()) == 2  # committee report and enactment, stored
    assert _told() == [] and _deliveries() == 0
    assert "notifying the teams failed (RuntimeError)" in report.lines()[-1]
    polled = regulator_replay.count("congress")
    # Ten minutes later the watch is not due again (six hours), yet the pass tells what is owed.
    later = _pass(regulator_replay, DEC + timedelta(minutes=10))
    assert later.outcomes == [] and regulator_replay.count("congress") == polled
    assert _told() == EVERYONE and _deliveries() == 1
    [message] = [m for m in db.session.scalars(select(OutboxMessage)) if m.recipient == "both@example.com"]
    assert "2 proposals to review" in message.subject
    _pass(regulator_replay, DEC + timedelta(minutes=20))
    _pass(regulator_replay, DEC + timedelta(hours=7))  # the watch polled again: the same data, nothing new
    assert _told() == EVERYONE and _deliveries() == 1  # never twice


def test_a_pass_killed_before_telling_is_made_good_after_a_30_day_outage(bill, regulator_replay, monkeypatch, clock):
    real = polling.notify_untold
    calls = []

    def killed_after_storing(now):
        calls.append(now)
        if len(calls) == 2:  # the telling after the poll: the process dies there
            raise SystemExit("killed")
        return real(now)

    monkeypatch.setattr(polling, "notify_untold", killed_after_storing)
    with pytest.raises(SystemExit):
        run_poll_pass(DEC, due_only=False, config=regulator_replay.config(),
                      http_options={"sleep": regulator_replay.sleep})
    db.session.rollback()
    monkeypatch.undo()
    assert len(db.session.scalars(select(Proposal)).all()) == 2 and _told() == []
    back = DEC + timedelta(days=30)  # nothing ran for thirty days
    clock.move_to(back)
    _pass(regulator_replay, back)
    assert _told() == EVERYONE and _deliveries() == 1
    _pass(regulator_replay, back + timedelta(hours=7))
    assert _told() == EVERYONE and _deliveries() == 1


def test_a_proposal_stored_by_another_process_while_a_pass_runs_is_told_by_that_pass(app, bill, regulator_replay):
    """The other process stores with a later clock and dies before telling; this pass's clock is earlier."""
    legal = bill["teams"][1]
    config = regulator_replay.config()
    other_clock = DEC + timedelta(minutes=5)  # inside this pass's lease: the other process leaves its watch alone

    def other_process():
        with app.app_context():
            _watch("gpu", "GPU Export Act", [db.session.merge(legal)])
            run_poll_pass(other_clock, due_only=False, config=config, notify=False,
                          http_options={"sleep": regulator_replay.sleep})
            db.session.remove()

    class OtherProcessMidPass:
        """The real provider; while this pass fetches, someone adds a watch and another process polls it."""

        def __init__(self):
            self.provider = get_provider("congress", config, sleep=regulator_replay.sleep)
            self.started = False

        def fetch(self, kind, item):
            if not self.started:
                self.started = True
                thread = threading.Thread(target=other_process)
                thread.start()
                thread.join(60)
            return self.provider.fetch(kind, item)

    provider = OtherProcessMidPass()
    report = _pass(regulator_replay, DEC, due_only=False, providers=lambda name: provider)
    # This pass polled the new watch too, once the other process had let it go: nothing new by then.
    assert [len(o.proposed) for o in report.outcomes] == [2, 0]
    other = db.session.scalars(select(Proposal).where(Proposal.watch_id != bill["watch"].id)).all()
    assert len(other) == 2 and all(p.created_at == other_clock for p in other)
    # This pass told both watches' proposals: the legal team hears of both acts, exports of its own.
    messages = {m.recipient: m for m in db.session.scalars(select(OutboxMessage)
                                                           .where(OutboxMessage.kind == "proposal"))}
    assert sorted(messages) == EVERYONE
    assert "GPU Export Act" in messages["legal@example.com"].body_text
    assert "Chip Security Act" in messages["legal@example.com"].body_text
    assert "GPU Export Act" not in messages["exports@example.com"].body_text
    _pass(regulator_replay, DEC + timedelta(hours=2))
    assert _told() == EVERYONE
