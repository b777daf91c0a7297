"""Request and response shapes of watches and proposals, and the functions that build them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from flask import url_for
from pydantic import Field, model_validator

from tracker.api.representations import Links, Move, Out
from tracker.api.schemas import Body, Cursor, Query, _line, patch_of
from tracker.models import Event, Proposal, Watch
from tracker.watches.providers import NAMES

ProviderName = Literal[NAMES]  # type: ignore[valid-type]
ItemRef = Annotated[_line(200, required=True), Field(examples=["119-hr-3447"])]
StageMap = Annotated[dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=100)]],
                     Field(description="The provider's stage names -> keys of the source's events",
                           examples=[{"passed_committee": "csa-committee", "enacted": "csa-enacted"}])]
ITEM_FIELDS = ("bill", "document", "docket")


class WatchIn(Body):
    """As in a pack: the provider, exactly one of `bill`, `document`, `docket`, the stage map."""

    provider: ProviderName
    bill: ItemRef | None = None
    document: ItemRef | None = None
    docket: ItemRef | None = None
    stages: StageMap = Field(default_factory=dict)
    auto_apply: bool = False

    @model_validator(mode="after")
    def _one_item(self):
        given = [name for name in ITEM_FIELDS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of bill, document, docket")
        return self

    def item(self) -> tuple[str, str]:
        kind = next(name for name in ITEM_FIELDS if getattr(self, name) is not None)
        return kind, getattr(self, kind)


WatchPatch = patch_of(WatchIn, exclude=("provider",))

class WatchOut(Out):
    id: int
    source_id: int
    provider: str
    kind: str
    item: str
    stages: dict[str, str]
    auto_apply: bool
    status: Literal["ok", "failing", "skipped", "new"]
    last_success_at: dt.datetime | None
    last_error: str
    last_error_at: dt.datetime | None
    failing_since: dt.datetime | None
    next_poll_at: dt.datetime
    links: Links


class WatchList(Out):
    items: list[WatchOut]


class ProposalQuery(Query):
    status: Literal["open", "accepted", "rejected", "superseded"] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Cursor | None = None


class Change(Out):
    status: Literal["occurred", "expected", "speculative", "withdrawn"]
    date: dt.date | None


class Observed(Out):
    provider: str
    provider_label: str
    text: str
    date: dt.date | None
    url: str
    identifiers: dict[str, str]
    fetched_at: dt.datetime


class ProposalOut(Out):
    id: int
    status: Literal["open", "accepted", "rejected", "superseded"]
    source: str
    event: str
    change: Change
    observed: Observed
    conflicts_with: str | None
    moves: list[Move] = Field(description="Open: what accepting would move now (a dry run). Decided: what "
                                          "would have moved when it was proposed.")
    created_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    links: Links


class ProposalPage(Out):
    items: list[ProposalOut]
    next: str | None


def watch_out(watch: Watch, event_keys: dict[int, str]) -> WatchOut:
    return WatchOut(
        id=watch.id, source_id=watch.source_id, provider=watch.provider, kind=watch.item_kind, item=watch.item,
        stages={stage: event_keys.get(event_id, str(event_id)) for stage, event_id in (watch.stages or {}).items()},
        auto_apply=watch.auto_apply, status=watch.status, last_success_at=watch.last_success_at,
        last_error=watch.last_error or "", last_error_at=watch.last_error_at, failing_since=watch.failing_since,
        next_poll_at=watch.next_poll_at, links=Links(self=url_for("api.get_watch", watch_id=watch.id),
                                                     html=url_for("sources.detail", source_id=watch.source_id)))


def _move(item: dict) -> Move:
    return Move(obligation_id=item["obligation_id"], key=item["key"], title=item["title"],
                old_due_date=item["old_date"], old_due_state=item["old_state"], new_due_date=item["new_date"],
                new_due_state=item["new_state"], summary=item["summary"])


def proposal_out(proposal: Proposal, moves: list[dict] | None = None) -> ProposalOut:
    from tracker.watches.wording import provider_label

    observation = proposal.observation
    event: Event = proposal.event
    return ProposalOut(
        id=proposal.id, status=proposal.status, source=proposal.source.key, event=event.key,
        change=Change(status=proposal.change_status, date=proposal.change_date),
        observed=Observed(provider=proposal.watch.provider, provider_label=provider_label(proposal.watch.provider),
                          text=observation.text, date=observation.observed_on, url=observation.url,
                          identifiers={k: str(v) for k, v in (observation.identifiers or {}).items()},
                          fetched_at=observation.fetched_at),
        conflicts_with=proposal.conflicts_with or None,
        moves=[_move(m) for m in (moves if moves is not None else proposal.moves_preview or [])],
        created_at=proposal.created_at, decided_by=proposal.decided_by or None, decided_at=proposal.decided_at,
        links=Links(self=url_for("api.get_proposal", proposal_id=proposal.id),
                    html=url_for("watches.detail", proposal_id=proposal.id)))
