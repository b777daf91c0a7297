"""The navigation's search: one text across obligations, sources, events and vendors.

An obligation matches on its title, key or description, and also on the title or citation of a
source it comes from, and the title of one of its source events or anchor event: searching
"chip" finds every obligation of the Chip Security Act, whatever its own title says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.models import Event, Obligation, Source
from tracker.models.vendors import Vendor
from tracker.register.queries import obligation_text_match, text_match, undated_last

GROUP_LIMIT = 25


@dataclass
class SearchResults:
    """Matches grouped by kind, each capped at GROUP_LIMIT (`more` says which groups were cut)."""

    text: str
    obligations: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    events: list = field(default_factory=list)
    vendors: list = field(default_factory=list)
    more: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return len(self.obligations) + len(self.sources) + len(self.events) + len(self.vendors)


def _capped(query, name: str, results: SearchResults) -> list:
    rows = list(db.session.scalars(query.limit(GROUP_LIMIT + 1)).unique())
    if len(rows) > GROUP_LIMIT:
        results.more.add(name)
    return rows[:GROUP_LIMIT]


def search(text: str) -> SearchResults:
    """Everything that matches `text` (stripped; empty text finds nothing)."""
    text = text.strip()[:200]
    results = SearchResults(text)
    if not text:
        return results
    results.obligations = _capped(
        select(Obligation).where(Obligation.deleted_at.is_(None), obligation_text_match(text))
        .options(joinedload(Obligation.team)).order_by(*undated_last()), "obligations", results)
    results.sources = _capped(
        select(Source).where(text_match(text, Source.title, Source.key, Source.citation, Source.summary))
        .order_by(Source.title), "sources", results)
    results.events = _capped(
        select(Event).where(text_match(text, Event.title, Event.key, Event.description))
        .options(joinedload(Event.source)).order_by(Event.title), "events", results)
    results.vendors = _capped(
        select(Vendor).where(text_match(text, Vendor.name, Vendor.key, Vendor.website))
        .order_by(Vendor.name), "vendors", results)
    return results
