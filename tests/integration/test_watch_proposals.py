"""Polling a watch turns observations into proposals; deciding them records events (both databases)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tracker.audit import Actor
from tracker.db import db
from tracker.errors import Conflict
from tracker.models import (
    DeadlineHistory, Event, EventProvenance, Obligation, OutboxItem, OutboxMessage, Proposal, Watch, WatchObservation,
)
from tracker.watches.proposals import accept_proposal, reject_proposal
from tests.watch_support import NOW, GivenProvider, ProviderError, ProviderSkipped, committee, enacted, poll, watched_bill

ENACTED_ON = date(2026, 12, 3)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _proposals(status: str | None = None) -> list[Proposal]:
    query = select(Proposal).order_by(Proposal.id)
    if status:
        query = query.where(Proposal.status == status)
    return list(db.session.scalars(query))


def test_enactment_observed_becomes_a_proposal_with_its_deadline_preview(app):
    watch, event, _, _, _ = watched_bill()
    provider = GivenProvider()
    provider.observations = [committee(date(2026, 9, 10)), enacted(ENACTED_ON)]
    report = poll(provider)
    proposals = _proposals()
    assert [(p.event.key, p.change_status, p.change_date) for p in proposals] == [
        ("csa-committee", "occurred", date(2026, 9, 10)), ("csa-enacted", "occurred", ENACTED_ON)]
    assert all(p.status == "open" and not p.conflicts_with for p in proposals)
    moves = proposals[1].moves_preview
    assert len(moves) == 3 and moves[0]["new_state"] == "firm"
    assert moves[0]["new_date"] == (ENACTED_ON + timedelta(days=180)).isoformat()
    assert db.session.get(Event, event.id).status == "expected"  # nothing recorded without a person
    assert report.lines()[-1].startswith("1 watch(es) polled: 2 observed, 2 proposed, 0 applied, 0 failed")
    watch = db.session.get(Watch, watch.id)
    assert watch.status == "ok" and watch.last_success_at == NOW and watch.next_poll_at > NOW + timedelta(hours=6) - timedelta(seconds=1)


def test_second_poll_of_the_same_data_proposes_nothing_and_writes_nothing(app):
    watched_bill()
    provider = GivenProvider()
    provider.observations = [committee(date(2026, 9, 10)), enacted(ENACTED_ON)]
    poll(provider)
    counts = [_count(m) for m in (WatchObservation, Proposal, DeadlineHistory, OutboxMessage)]
    report = poll(provider, NOW + timedelta(hours=7))
    assert report.proposed == [] and report.outcomes[0].observed == 0
    assert [_count(m) for m in (WatchObservation, Proposal, DeadlineHistory, OutboxMessage)] == counts


def test_rejected_observation_is_never_proposed_again(app):
    watched_bill()
    provider = GivenProvider()
    provider.observations = [enacted(ENACTED_ON)]
    poll(provider)
    (proposal,) = _proposals()
    reject_proposal(proposal.id, Actor(None, "reviewer"))
    # The same report, even from another source system (new fingerprint, same happening and date).
    provider.observations = [enacted(ENACTED_ON), enacted(ENACTED_ON, source_system="2")]
    report = poll(provider, NOW + timedelta(hours=7))
    assert report.proposed == []
    assert [p.status for p in _proposals()] == ["rejected"]
    with pytest.raises(Conflict):
        accept_proposal(proposal.id, Actor(None, "reviewer"))


def test_another_date_for_the_same_stage_is_a_conflict_proposal(app):
    watch, event, _, _, _ = watched_bill()
    provider = GivenProvider()
    provider.observations = [enacted(ENACTED_ON)]
    poll(provider)
    accept_proposal(_proposals()[0].id, Actor(None, "reviewer"))
    provider.observations = [enacted(ENACTED_ON), enacted(date(2026, 12, 8), source_system="2")]
    poll(provider, NOW + timedelta(hours=7))
    accepted, conflict = _proposals()
    assert conflict.status == "open" and conflict.change_date == date(2026, 12, 8)
    assert "also reported enacted on 2026-12-03" in conflict.conflicts_with
    assert conflict.conflict_observation_id == accepted.observation_id


def test_two_dates_in_one_poll_are_both_conflicts_and_auto_apply_leaves_them(app):
    watch, event, _, _, _ = watched_bill(auto_apply=True)
    provider = GivenProvider()
    provider.observations = [enacted(date(2026, 12, 1)), enacted(date(2026, 12, 3), source_system="2")]
    report = poll(provider)
    assert report.outcomes[0].applied == []
    assert [bool(p.conflicts_with) for p in _proposals()] == [True, True]
    assert db.session.get(Event, event.id).status == "expected"


def test_auto_apply_records_the_event_with_provenance(app):
    watch, event, _, _, _ = watched_bill(auto_apply=True)
    provider = GivenProvider()
    provider.observations = [enacted(ENACTED_ON)]
    report = poll(provider)
    (proposal,) = _proposals()
    assert report.outcomes[0].applied == [proposal.id] and proposal.status == "accepted"
    assert proposal.decided_by == "watch (auto_apply)"
    event = db.session.get(Event, event.id)
    assert (event.status, event.occurred_on) == ("occurred", ENACTED_ON)
    provenance = db.session.get(EventProvenance, event.id)
    assert provenance.provider == "congress" and provenance.identifiers["law"] == "119-52"
    assert provenance.fetched_at == NOW and provenance.url.startswith("https://www.congress.gov/")
    reasons = db.session.scalars(select(DeadlineHistory.reason)).all()
    assert len(reasons) == 3
    assert all(r.startswith("Congress.gov: Became Public Law No: 119-52 (2026-12-03) — anchor event "
                            "'Chip Security Act enacted' recorded as occurred on 2026-12-03: projected ") for r in reasons)


def test_failure_is_recorded_without_half_a_result_and_other_watches_go_on(app):
    watch, _, _, _, _ = watched_bill()
    provider = GivenProvider()
    provider.error = ProviderError("Congress.gov: HTML page instead of JSON (HTTP 200)", retry_after=7200)
    report = poll(provider)
    assert [o.error for o in report.failed] == ["Congress.gov: HTML page instead of JSON (HTTP 200)"]
    watch = db.session.get(Watch, watch.id)
    assert watch.status == "failing" and watch.failing_since == NOW and watch.claimed_by is None
    assert watch.next_poll_at == NOW + timedelta(hours=2)  # Retry-After beats the first 15-minute retry
    assert _count(WatchObservation) == 0 and _count(Proposal) == 0
    provider.error = ProviderSkipped("Congress.gov: no API key (set TRACKER_CONGRESS_API_KEY); watch not polled")
    report = poll(provider, NOW + timedelta(hours=3))
    assert report.failed == [] and "no API key" in report.outcomes[0].skipped
    assert db.session.get(Watch, watch.id).status == "skipped"


def test_storing_failure_rolls_back_everything(app, monkeypatch):
    watched_bill()
    provider = GivenProvider()
    provider.observations = [committee(date(2026, 9, 10)), enacted(ENACTED_ON)]
    import tracker.watches.store as store

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "moves_json", broken)
    report = poll(provider)
    assert "storing the poll failed (RuntimeError); nothing was written" in report.failed[0].error
    assert _count(WatchObservation) == 0 and _count(Proposal) == 0


def test_a_leased_watch_is_not_polled_by_a_second_pass(app):
    from tracker.watches.polling import claim_watches

    watch, _, _, _, _ = watched_bill()
    assert claim_watches(NOW, "other-process", due_only=False, exclude=set()) == [watch.id]
    provider = GivenProvider()
    provider.observations = [enacted(ENACTED_ON)]
    report = poll(provider, NOW + timedelta(minutes=1))
    assert report.outcomes == [] and provider.calls == 0
    # The lease runs out (the other process died): the next pass takes it.
    report = poll(provider, NOW + timedelta(minutes=20))
    assert len(report.outcomes) == 1 and provider.calls == 1


def test_new_proposals_mail_each_team_member_once_per_pass(app):
    watched_bill()
    provider = GivenProvider()
    provider.observations = [committee(date(2026, 9, 10)), enacted(ENACTED_ON)]
    poll(provider)
    (message,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "proposal")).all()
    assert message.recipient == "member@example.com"
    assert message.subject == "Regulator watches: 2 proposals to review"
    assert "Congress.gov: Became Public Law No: 119-52 (2026-12-03)" in message.body_text
    assert "3 deadlines would move" in message.body_text


def test_accepting_moves_deadlines_like_recording_by_hand(app, client, clock):
    """Same revisions, due dates, history (but the reason's origin), feed SEQUENCE and change
    notices as the event page's record, which goes through record_event too."""
    clock.move_to(NOW)  # the feed is read on the day of the poll, not whenever the suite runs
    from tests.feed_checks import by_uid, feed_events
    from tracker.feeds.uids import obligation_uid
    from tracker.mail.planning import plan_obligations
    from tracker.register.events import EventDate, record_event

    watch, event, _, team, _ = watched_bill(obligations=2)
    provider = GivenProvider()
    provider.observations = [enacted(ENACTED_ON)]
    poll(provider)
    (proposal,) = _proposals()
    before = by_uid(feed_events(client, team))
    accept_proposal(proposal.id, Actor(None, "reviewer"), now=NOW)
    by_proposal = [(o.key, o.due_date, o.due_state, o.revision) for o in
                   db.session.scalars(select(Obligation).order_by(Obligation.key))]
    history = [h.reason.split(" — ", 1)[1] for h in db.session.scalars(select(DeadlineHistory).order_by(DeadlineHistory.id))]
    # The same change recorded by hand on a twin register.
    twin_source = watch.source
    twin = Event(key="twin-enacted", source=twin_source, title="Chip Security Act enacted", status="expected",
                 expected_on=date(2027, 1, 15))
    db.session.add(twin)
    db.session.commit()
    from tests.factories import make_obligation

    team = db.session.scalars(select(Obligation)).first().team
    for n in range(2):
        make_obligation(team, rule="relative", key=f"twin-duty-{n}", title=f"Duty {n}", anchor=twin,
                        rule_offset=180 + n, rule_unit="days")
    record_event(twin.id, EventDate("occurred", ENACTED_ON), Actor(None, "reviewer"), now=NOW)
    by_hand = [(o.key.replace("twin", "csa"), o.due_date, o.due_state, o.revision) for o in
               db.session.scalars(select(Obligation).where(Obligation.key.like("twin-%")).order_by(Obligation.key))]
    assert by_hand == by_proposal
    hand_history = [h.reason for h in db.session.scalars(select(DeadlineHistory).where(
        DeadlineHistory.obligation_id.in_(select(Obligation.id).where(Obligation.key.like("twin-%"))))
        .order_by(DeadlineHistory.id))]
    assert hand_history == [h.replace("csa", "twin") for h in history]
    after = by_uid(feed_events(client, team))
    ids = {o.key: o.id for o in db.session.scalars(select(Obligation))}
    for n in range(2):
        ours, theirs = after[obligation_uid(ids[f"csa-duty-{n}"])], after[obligation_uid(ids[f"twin-duty-{n}"])]
        assert ours["sequence"] == theirs["sequence"] > before[obligation_uid(ids[f"csa-duty-{n}"])]["sequence"]
        assert (ours["start"], ours["status"]) == (theirs["start"], theirs["status"]) == (
            ENACTED_ON + timedelta(days=180 + n), "CONFIRMED")
    plan_obligations(NOW + timedelta(minutes=5))
    # Grouped mail: one change notice per recipient per cause, naming both duties.
    items = db.session.scalars(select(OutboxItem).where(OutboxItem.kind == "change")).all()

    def notices_of(prefix: str) -> list:
        message_ids = {i.message_id for i in items if i.obligation_id in (ids[f"{prefix}-duty-0"], ids[f"{prefix}-duty-1"])}
        assert {i.revision for i in items if i.message_id in message_ids} == {1}
        return [db.session.get(OutboxMessage, m) for m in sorted(message_ids)]

    ours, theirs = notices_of("csa"), notices_of("twin")
    assert len(ours) == len(theirs) >= 1
    for notice in ours:
        assert "2 deadlines moved" in notice.subject
        assert "Duty 0" in notice.body_text and "Duty 1" in notice.body_text
        assert "Congress.gov: Became Public Law No: 119-52 (2026-12-03)" in notice.body_text
    assert all("Congress.gov" not in notice.body_text for notice in theirs)


def test_healthz_reports_watches_failing_for_more_than_a_day(app, client, clock):
    watch, _, _, _, _ = watched_bill()
    provider = GivenProvider()
    provider.error = ProviderError("Congress.gov: HTTP 503: down for maintenance")
    clock.move_to(NOW)
    poll(provider, NOW)
    clock.move_to(NOW + timedelta(hours=20))
    assert "watches_failing" not in client.get("/healthz").get_json()
    poll(provider, NOW + timedelta(hours=26))
    clock.move_to(NOW + timedelta(hours=26))
    body = client.get("/healthz").get_json()
    assert body["watches"] == "1 watch(es) failing for more than a day"
    assert body["watches_failing"] == [{"watch_id": watch.id, "provider": "congress",
                                        "failing_since": NOW.isoformat()}]
    assert "maintenance" not in str(body)  # the error stays on the signed-in pages
    provider.error = None
    poll(provider, NOW + timedelta(hours=27))
    assert "watches_failing" not in client.get("/healthz").get_json()


def test_two_passes_at_once_poll_each_watch_once(app):
    """The lease: two processes (threads here, each with its own session) never poll a watch twice."""
    import threading
    import time
    from collections import Counter

    from tracker.audit import SYSTEM
    from tracker.watches.operations import create_watch
    from tracker.watches.polling import run_poll_pass

    watch, _, _, _, _ = watched_bill()
    for n in range(5):
        create_watch(watch.source, SYSTEM, provider="congress", item_kind="bill", item=f"119-hr-{100 + n}", now=NOW)
    fetched = Counter()

    class Slow(GivenProvider):
        def fetch(self, kind, item):
            fetched[item] += 1
            time.sleep(0.05)
            return [enacted(ENACTED_ON)]

    def one_pass():
        with app.app_context():
            run_poll_pass(NOW, due_only=True, providers=lambda name: Slow(), notify=False)
            db.session.remove()

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(fetched.values()) == [1] * 6
    db.session.expire_all()
    assert _count(Proposal) == 1  # only the first watch maps `enacted`


def test_new_proposals_reach_the_teams_channels_once_per_pass(app):
    import json

    from tracker.audit import SYSTEM
    from tracker.channels.operations import create_channel
    from tracker.models import ChannelDelivery

    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"  # loopback targets; nothing is sent here
    _, _, _, team, _ = watched_bill()
    create_channel(team, "webhook", "http://127.0.0.1:9/hook", SYSTEM, event_types=["proposal.created"])
    create_channel(team, "slack", "http://127.0.0.1:9/services/T0/B0/x", SYSTEM, event_types=["deadline.changed"])
    provider = GivenProvider()
    provider.observations = [committee(date(2026, 9, 10)), enacted(ENACTED_ON)]
    poll(provider)
    (delivery,) = db.session.scalars(select(ChannelDelivery)).all()
    body = json.loads(delivery.body)
    assert delivery.event_type == body["type"] == "proposal.created"
    titles = [item["title"] for item in body["data"]["items"]]
    assert titles == ["Record 'Chip Security Act passed committee' as occurred on 2026-09-10?",
                      "Record 'Chip Security Act enacted' as occurred on 2026-12-03?"]
    provider.observations.append(enacted(date(2026, 12, 9), source_system="2"))
    poll(provider, NOW + timedelta(hours=7))
    assert len(db.session.scalars(select(ChannelDelivery)).all()) == 2  # the conflict, in a pass of its own
