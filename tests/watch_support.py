"""Watch test helpers: a provider double at the provider boundary, and a watched bill with deadlines."""

from __future__ import annotations

from datetime import date, datetime, timezone

from tracker.audit import SYSTEM
from tracker.db import db
from tracker.watches.operations import create_watch
from tracker.watches.polling import run_poll_pass
from tracker.watches.providers import Observation, ProviderError, ProviderSkipped
from tests.factories import make_event, make_obligation, make_source, make_team, make_user

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)


class GivenProvider:
    """A provider that returns the observations (or raises the error) a test gives it."""

    name = "congress"
    label = "Congress.gov"
    item_kinds = ("bill",)

    def __init__(self):
        self.observations: list[Observation] = []
        self.error: Exception | None = None
        self.calls = 0

    def fetch(self, kind: str, item: str) -> list[Observation]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return list(self.observations)


def enacted(on: date, law: str = "119-52", **ids) -> Observation:
    return Observation(stage="enacted", on=on, text=f"Became Public Law No: {law}.",
                       url="https://www.congress.gov/bill/119th-congress/house-bill/3447/all-actions",
                       identifiers={"bill": "119-hr-3447", "action_code": "36000", "source_system": "9",
                                    "law": law, **ids})


def committee(on: date, chamber: str = "house") -> Observation:
    return Observation(stage="passed_committee", on=on, text="Reported by the Committee on Foreign Affairs.",
                       url="https://www.congress.gov/bill/119th-congress/house-bill/3447/all-actions",
                       identifiers={"bill": "119-hr-3447", "action_code": "5000", "chamber": chamber})


def watched_bill(auto_apply: bool = False, obligations: int = 3):
    """A source with committee and enactment events, deadlines counted from enactment, a watch on it."""
    team = make_team(key="export-controls", name="Export controls")
    member = make_user(email="member@example.com", teams=[team])
    source = make_source(key="chip-security-act", title="Chip Security Act")
    committee_event = make_event(source, key="csa-committee", title="Chip Security Act passed committee",
                                 status="expected", on=date(2026, 10, 1))
    enacted_event = make_event(source, key="csa-enacted", title="Chip Security Act enacted",
                               status="expected", on=date(2027, 1, 15))
    for n in range(obligations):
        make_obligation(team, rule="relative", key=f"csa-duty-{n}", title=f"Duty {n}", anchor=enacted_event,
                        rule_offset=180 + n, rule_unit="days")
    watch = create_watch(source, SYSTEM, provider="congress", item_kind="bill", item="119-hr-3447",
                         stages={"passed_committee": "csa-committee", "enacted": "csa-enacted"},
                         auto_apply=auto_apply, now=NOW)
    return watch, enacted_event, committee_event, team, member


def poll(provider, now: datetime = NOW, due_only: bool = False):
    """One pass with `provider` standing in for every provider."""
    report = run_poll_pass(now, due_only=due_only, providers=lambda name: provider)
    db.session.expire_all()
    return report


__all__ = ["GivenProvider", "ProviderError", "ProviderSkipped", "enacted", "committee", "watched_bill", "poll",
           "NOW"]
