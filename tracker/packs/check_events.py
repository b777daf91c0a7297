"""Checks for the `events` section of a pack: the dated steps of a source, such as enactment."""

from __future__ import annotations

from tracker import deadlines
from tracker.packs.check_base import Checker, JsonObject
from tracker.packs.messages import quote, show
from tracker.packs.specs import EVENT_STATUSES, LONG_TEXT_MAX, TITLE_MAX, EventSpec

_EVENT_FIELDS = frozenset(
    {"key", "source", "title", "status", "date", "precision", "description"}
)


class EventChecks(Checker):
    """Checks event items against the sources so far; records their keys for obligations."""

    def event(self, obj: JsonObject) -> EventSpec | None:
        before = len(self.errors)
        key = self.defined_key(obj, _EVENT_FIELDS, self.event_keys)
        source = self.reference(obj, "source", self.source_keys, self.existing.sources, "source")
        title = self.text(obj, "title", limit=TITLE_MAX)
        status = self.choice(obj, "status", EVENT_STATUSES, "status")
        precision = self.choice(obj, "precision", deadlines.PRECISIONS, "precision", required=False)
        when = None
        if status == "speculative":
            if obj.present("date"):
                self.field_error(
                    obj,
                    "date",
                    f"must be empty when status is 'speculative' (got {show(obj.get('date'))})",
                )
        elif obj.present("date"):
            when = self.partial_date(obj, "date", precision)
        elif status in ("occurred", "expected"):
            self.field_error(obj, "date", f"required when status is {quote(status)}")
        description = self.text(obj, "description", limit=LONG_TEXT_MAX, required=False, multiline=True)
        if len(self.errors) > before:
            return None
        return EventSpec(
            key=key,
            source=source,
            title=title,
            status=status,
            date=when.first if when is not None else None,
            precision=when.precision if when is not None else "day",
            description=description,
        )  # type: ignore[arg-type]
