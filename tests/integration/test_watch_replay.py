"""Watches polled end to end: the real providers against the regulator replay server (both databases)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tracker.audit import SYSTEM, Actor
from tracker.db import db
from tracker.models import DeadlineHistory, Event, OutboxMessage, Proposal, Watch, WatchObservation
from tracker.watches.operations import create_watch
from tracker.watches.polling import run_poll_pass
from tracker.watches.proposals import accept_proposal
from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tests.regulator_replay import regulator_replay  # noqa: F401 (the fixture)

DEC = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)


def _poll(replay, now, **config):
    report = run_poll_pass(now, due_only=False, config=replay.config(**config), http_options={"sleep": replay.sleep})
    db.session.expire_all()
    return report


def _proposals(status=None):
    query = select(Proposal).order_by(Proposal.id)
    if status:
        query = query.where(Proposal.status == status)
    return list(db.session.scalars(query))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _bill(item="119-hr-3447", key="csa"):
    team = make_team(key=f"{key}-team")
    make_user(email=f"{key}@example.com", teams=[team])
    source = make_source(key=f"{key}-source", title="Chip Security Act")
    committee = make_event(source, key=f"{key}-committee", title="Passed committee", status="expected",
                           on=date(2025, 10, 1))
    enacted = make_event(source, key=f"{key}-enacted", title="Chip Security Act enacted", status="expected",
                         on=date(2027, 1, 15))
    for n in range(3):
        make_obligation(team, rule="relative", key=f"{key}-duty-{n}", anchor=enacted, rule_offset=180, rule_unit="days")
    watch = create_watch(source, SYSTEM, provider="congress", item_kind="bill", item=item,
                         stages={"passed_committee": committee.key, "enacted": enacted.key}, now=DEC)
    return watch, committee, enacted


def test_an_enactment_appearing_between_two_polls_is_proposed_once(app, regulator_replay):
    replay = regulator_replay
    watch, committee, enacted = _bill()
    replay.use("congress/119-hr-3447", "introduced")
    first = _poll(replay, DEC)
    assert replay.count("congress") == 1  # the item and its one page of actions
    assert [(p.event_id, p.change_status, p.change_date) for p in _proposals()] == [
        (committee.id, "occurred", date(2025, 9, 10))]
    replay.use("congress/119-hr-3447", "default")
    second = _poll(replay, DEC + timedelta(hours=6))
    (_, enactment) = _proposals()
    assert (enactment.event_id, enactment.change_status, enactment.change_date) == (enacted.id, "occurred",
                                                                                      date(2026, 12, 3))
    assert not enactment.conflicts_with and len(enactment.moves_preview) == 3
    assert first.outcomes[0].observed == 2 and second.outcomes[0].observed == 5
    # Unmapped stages (introduced, passed house...) are kept for the source page.
    from tracker.watches.queries import unmapped_stages

    assert {u.stage for u in unmapped_stages(db.session.get(Watch, watch.id))} == {
        "introduced", "passed_house", "passed_senate", "presented", "signed"}
    counts = [_count(m) for m in (WatchObservation, Proposal, DeadlineHistory, OutboxMessage)]
    third = _poll(replay, DEC + timedelta(hours=12))
    assert third.proposed == [] and third.outcomes[0].observed == 0
    assert [_count(m) for m in (WatchObservation, Proposal, DeadlineHistory, OutboxMessage)] == counts
    accept_proposal(enactment.id, Actor(None, "reviewer"), now=DEC)
    reasons = db.session.scalars(select(DeadlineHistory.reason)).all()
    assert len(reasons) == 3 and all(r.startswith("Congress.gov: Became Public Law No: 119-52 (2026-12-03) — ")
                                     for r in reasons)


def test_two_became_law_dates_are_conflicts_for_a_person(app, regulator_replay):
    replay = regulator_replay
    watch, _, enacted = _bill("119-s-1001", key="s1001")
    db.session.get(Watch, watch.id).auto_apply = True
    db.session.commit()
    report = _poll(replay, DEC)
    conflicts = [p for p in _proposals() if p.event_id == enacted.id]
    assert [p.change_date for p in conflicts] == [date(2026, 8, 12), date(2026, 8, 17)]
    assert "also reported enacted on 2026-08-17" in conflicts[0].conflicts_with
    assert "also reported enacted on 2026-08-12" in conflicts[1].conflicts_with
    assert all(p.status == "open" for p in conflicts)  # auto_apply never applies a conflict
    assert db.session.get(Event, enacted.id).status == "expected"
    assert len(report.outcomes[0].applied) == 1  # the committee report, which nobody disputes


def test_a_federal_register_delay_supersedes_the_effective_date(app, regulator_replay):
    replay = regulator_replay
    source = make_source(key="bis-rule", title="BIS chip rule")
    published = make_event(source, key="bis-published", status="speculative", on=None)
    effective = make_event(source, key="bis-effective", status="speculative", on=None)
    create_watch(source, SYSTEM, provider="federal_register", item_kind="docket", item="BIS-2026-0001",
                 stages={"published": "bis-published", "effective": "bis-effective"})
    replay.use("federal_register/dockets/BIS-2026-0001", "before-delay")
    _poll(replay, datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert [(p.event_id, p.change_status, p.change_date) for p in _proposals()] == [
        (published.id, "occurred", date(2026, 1, 22)), (effective.id, "expected", date(2026, 3, 23))]
    assert replay.count("federal_register") == 2  # two pages of the docket
    replay.use("federal_register/dockets/BIS-2026-0001", "default")
    _poll(replay, datetime(2026, 3, 20, tzinfo=timezone.utc))
    old, new = [p for p in _proposals() if p.event_id == effective.id]
    assert (old.status, new.status) == ("superseded", "open")
    assert (new.change_status, new.change_date, new.conflicts_with) == ("expected", date(2026, 6, 22), "")
    assert "2026-05678" in new.observation.identifiers.values()


@pytest.mark.parametrize("mode, options, reason", [
    ("html", {}, "HTML"),
    ("truncated", {}, "JSON"),
    ("status", {"status": 500}, "500"),
])
def test_garbage_from_a_provider_is_a_recorded_failure_without_half_a_result(app, regulator_replay, mode, options,
                                                                              reason):
    replay = regulator_replay
    watch, _, _ = _bill()
    other, _, _ = _bill("119-s-1001", key="other")
    replay.fail(mode, times=None, provider="congress", **options) if mode == "status" else \
        replay.fail(mode, times=1, provider="congress")
    report = _poll(replay, DEC)
    failed = [o for o in report.outcomes if o.error]
    assert failed and reason in failed[0].error
    assert len(report.outcomes) == 2  # the other watch was polled all the same
    first = db.session.get(Watch, failed[0].watch_id)
    assert first.status == "failing" and first.last_error_at == DEC and first.claimed_by is None
    assert _count(WatchObservation) == sum(o.observed for o in report.outcomes if not o.error)


def test_429_with_retry_after_sets_the_next_try(app, regulator_replay):
    replay = regulator_replay
    watch, _, _ = _bill()
    replay.fail("429", times=None, provider="congress", retry_after="7200")
    report = _poll(replay, DEC)
    assert report.failed
    watch = db.session.get(Watch, watch.id)
    assert watch.next_poll_at >= DEC + timedelta(hours=2)
    assert _count(Proposal) == 0


def test_a_missing_key_skips_with_a_notice(app, regulator_replay, runner):
    replay = regulator_replay
    watch, _, _ = _bill()
    report = _poll(replay, DEC, TRACKER_CONGRESS_API_KEY=None)
    assert report.failed == [] and "no API key" in report.outcomes[0].skipped
    assert replay.count("congress") == 0
    assert db.session.get(Watch, watch.id).status == "skipped"


def test_poll_watches_command_prints_what_happened(app, regulator_replay, runner):
    replay = regulator_replay
    _bill()
    app.config.update(replay.config())
    result = runner.invoke(args=["poll-watches", "--now", "2026-12-05T12:00:00Z"])
    assert result.exit_code == 0, result.output
    assert "congress bill 119-hr-3447 (Chip Security Act): observed 7 new, proposed 2, applied 0" in result.output
    replay.fail("html", times=None, provider="congress")
    result = runner.invoke(args=["poll-watches", "--now", "2026-12-05T19:00:00Z"])
    assert result.exit_code == 0
    assert "FAILED congress bill 119-hr-3447" in result.output and "1 failed" in result.output
    bad = runner.invoke(args=["poll-watches", "--now", "yesterday"])
    assert bad.exit_code != 0 and "not an ISO-8601 date-time" in bad.output


def test_the_demo_without_network_shows_the_watches_error_state(app, runner, client, clock):
    from tests.factories import login

    # The pass and /healthz read the same (pinned) clock: the watches have failed for an hour.
    clock.move_to("2026-12-05T01:00:00Z")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    # Nothing listens on this port: every provider fails at once, as with no network.
    dead = "http://127.0.0.1:9"
    app.config.update(TRACKER_CONGRESS_API_URL=dead, TRACKER_CONGRESS_API_KEY="k",
                      TRACKER_FEDERAL_REGISTER_API_URL=dead)
    report = run_poll_pass(datetime(2026, 12, 5, tzinfo=timezone.utc), due_only=False,
                           http_options={"sleep": lambda s: None})
    assert len(report.outcomes) == 2 and len(report.failed) == 2
    db.session.expire_all()
    source = db.session.scalar(select(Watch).where(Watch.provider == "congress")).source
    login(client, make_user(role="viewer"))
    page = client.get(f"/sources/{source.id}")
    assert page.status_code == 200 and "failing" in page.text and "Congress.gov" in page.text
    health = client.get("/healthz").get_json()
    assert "watches_failing" not in health  # failing for less than a day


def test_pack_watches_import_export_and_reimport_unchanged(app, runner, tmp_path):
    import json

    first = runner.invoke(args=["seed-demo"])
    assert "watches: 2 created, 0 updated, 0 unchanged" in first.output
    out = tmp_path / "export.json"
    assert runner.invoke(args=["export-pack", str(out)]).exit_code == 0
    data = json.loads(out.read_text())
    csa = next(s for s in data["sources"] if s["key"] == "chip-security-act")
    assert csa["watch"] == {"provider": "congress", "bill": "119-hr-3447", "auto_apply": False,
                            "stages": {"passed_committee": "csa-committee", "enacted": "csa-enacted"}}
    again = runner.invoke(args=["import-pack", str(out)])
    assert "watches: 0 created, 0 updated, 2 unchanged" in again.output, again.output
    csa["watch"]["auto_apply"] = True
    out.write_text(json.dumps(data))
    assert "watches: 0 created, 1 updated, 1 unchanged" in runner.invoke(args=["import-pack", str(out)]).output
