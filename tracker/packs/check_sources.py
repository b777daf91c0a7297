"""Checks for the `sources` section of a pack: the bills, orders and rules obligations come from."""

from __future__ import annotations

from tracker.fields import check_jurisdiction, check_url
from tracker.packs.check_base import JsonObject
from tracker.packs.check_watches import WatchChecks
from tracker.packs.messages import quote
from tracker.packs.specs import (
    CITATION_MAX,
    JURISDICTION_MAX,
    LONG_TEXT_MAX,
    SOURCE_KINDS,
    TITLE_MAX,
    URL_MAX,
    SourceSpec,
)

_SOURCE_FIELDS = frozenset(
    {"key", "title", "kind", "jurisdiction", "citation", "url", "summary", "watch"}
)


class SourceChecks(WatchChecks):
    """Checks source items; records their keys for the events that cite them."""

    def source(self, obj: JsonObject) -> SourceSpec | None:
        before = len(self.errors)
        key = self.defined_key(obj, _SOURCE_FIELDS, self.source_keys)
        title = self.text(obj, "title", limit=TITLE_MAX)
        kind = self.choice(obj, "kind", SOURCE_KINDS, "kind")
        jurisdiction = self.text(obj, "jurisdiction", limit=JURISDICTION_MAX)
        if jurisdiction is not None and (problem := check_jurisdiction(jurisdiction, show=quote)):
            self.field_error(obj, "jurisdiction", problem)
        citation = self.text(obj, "citation", limit=CITATION_MAX, required=False)
        url = self.text(obj, "url", limit=URL_MAX, required=False)
        if url and (problem := check_url(url, show=quote)):
            self.field_error(obj, "url", problem)
        summary = self.text(obj, "summary", limit=LONG_TEXT_MAX, required=False, multiline=True)
        watch = self.watch(obj, key) if obj.present("watch") else None
        if len(self.errors) > before:
            return None
        return SourceSpec(
            key=key,
            title=title,
            kind=kind,
            jurisdiction=jurisdiction,
            citation=citation,
            url=url,
            summary=summary,
            watch=watch,
        )  # type: ignore[arg-type]

