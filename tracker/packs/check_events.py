"""Checks for the `events` section of a pack: the dated steps of a source, such as enactment.

An event either has its own `status` and `date`, or is `derived` from an earlier event
of the pack (or one already in the register) by an offset, and then has neither.
"""

from __future__ import annotations

from tracker import deadlines
from tracker.packs.check_base import MISSING
from tracker.packs.check_deadlines import DeadlineChecks
from tracker.packs.check_base import JsonObject
from tracker.packs.messages import quote, show
from tracker.packs.specs import EVENT_STATUSES, LONG_TEXT_MAX, TITLE_MAX, EventSpec

_EVENT_FIELDS = frozenset(
    {"key", "source", "title", "status", "date", "precision", "description", "derived"}
)


class EventChecks(DeadlineChecks):
    """Checks event items against the sources so far; records their keys for obligations."""

    def event(self, obj: JsonObject) -> EventSpec | None:
        before = len(self.errors)
        derived_value = obj.get("derived")
        derived = None
        if derived_value is not MISSING and derived_value is not None:
            path, pos = obj.at("derived")
            derived_obj = self.as_object(derived_value, path, pos)
            if derived_obj is not None:
                derived = self.derivation(derived_obj)
        key = self.defined_key(obj, _EVENT_FIELDS, self.event_keys)
        source = self.reference(obj, "source", self.source_keys, self.existing.sources, "source")
        title = self.text(obj, "title", limit=TITLE_MAX)
        if derived_value is not MISSING and derived_value is not None:
            for name in ("status", "date", "precision"):
                if obj.present(name):
                    self.field_error(obj, name, "not used by a derived event (its date follows the event "
                                                "it derives from)")
            if derived is not None and key is not None:
                self._check_cycle(obj, key, derived)
            status, when = "speculative", None
        else:
            status, when = self._own_date(obj)
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
            derived=derived,
        )  # type: ignore[arg-type]

    def _own_date(self, obj: JsonObject):
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
        return status, when

    def _check_cycle(self, obj: JsonObject, key: str, derived: deadlines.DerivedEvent) -> None:
        # A pack may re-derive events it defined earlier, so a cycle can close
        # within the pack; one through events only in the register is refused by
        # the import (it runs in one transaction).
        graph = getattr(self, "_derivations", None)
        if graph is None:
            graph = self._derivations = {}
        graph[key] = derived
        view = {k: v for k, v in graph.items()}
        for base in {d.base for d in graph.values()} - set(view):
            view[base] = deadlines.PlainEvent("speculative")
        cycle = deadlines.find_cycle(view)
        if cycle is not None and key in cycle:
            path, pos = obj.at("derived")
            self.error(path, pos, "derived events form a cycle: " + " -> ".join(cycle))
            del graph[key]
