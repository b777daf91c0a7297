"""Checks for a source's `watch`: the provider, exactly one item reference, the stage map.

The stage map names events, which the pack defines after its sources: those
references are noted here and checked by `check_watch_events` once the events
section is read (an event of the pack must belong to the watched source).
"""

from __future__ import annotations

from tracker.packs.check_base import MISSING, Checker, JsonObject
from tracker.packs.messages import choices, quote
from tracker.packs.specs import KEY_MAX, EventSpec, WatchSpec
from tracker.watches.providers import ITEM_KINDS, NAMES, STAGES, ItemError, get_provider

_WATCH_FIELDS = frozenset({"provider", "bill", "document", "docket", "stages", "auto_apply"})
_ITEM_FIELDS = ("bill", "document", "docket")
ITEM_MAX = 200


class WatchChecks(Checker):
    """Checks `watch` objects of sources; their event references wait for the events section."""

    def __init__(self, existing) -> None:
        super().__init__(existing)
        # (stages object, stage, event key, source key) to check once the events are known
        self._watch_refs: list[tuple[JsonObject, str, str, str | None]] = []

    def watch(self, source_obj: JsonObject, source_key: str | None) -> WatchSpec | None:
        path, pos = source_obj.at("watch")
        obj = self.as_object(source_obj.get("watch"), path, pos)
        if obj is None:
            return None
        before = len(self.errors)
        self.check_fields(obj, _WATCH_FIELDS)
        provider = self.choice(obj, "provider", NAMES, "provider")
        given = [name for name in _ITEM_FIELDS if obj.present(name)]
        kind = item = None
        if provider is not None:
            if len(given) != 1:
                self.field_error(obj, "provider", f"give exactly one item: {choices(ITEM_KINDS[provider])}")
            elif given[0] not in ITEM_KINDS[provider]:
                self.field_error(obj, given[0], f"{quote(provider)} watches {choices(ITEM_KINDS[provider])}, "
                                                f"not a {given[0]}")
            else:
                kind = given[0]
                text = self.text(obj, kind, limit=ITEM_MAX)
                if text is not None:
                    try:
                        item = get_provider(provider, {}).check_item(kind, text)
                    except ItemError as exc:
                        self.field_error(obj, kind, str(exc))
        stages = self._stages(obj, provider, source_key)
        auto_apply = obj.get("auto_apply")
        if auto_apply is not MISSING and auto_apply is not None and not isinstance(auto_apply, bool):
            self.type_error(*obj.at("auto_apply"), "true or false", auto_apply)
        if len(self.errors) > before or provider is None or item is None:
            return None
        return WatchSpec(provider=provider, kind=kind, item=item, stages=stages, auto_apply=auto_apply is True)

    def _stages(self, obj: JsonObject, provider: str | None, source_key: str | None) -> tuple:
        value = obj.get("stages")
        if value is MISSING or value is None:
            return ()
        path, pos = obj.at("stages")
        stages = self.as_object(value, path, pos)
        if stages is None:
            return ()
        result = []
        for stage in stages.data:
            if provider is not None and stage not in STAGES[provider]:
                self.field_error(stages, stage, f"unknown stage {quote(stage)} (expected one of "
                                                f"{choices(STAGES[provider])})")
                continue
            key = self.string(stages.data[stage], stages, stage, limit=KEY_MAX)
            if key is not None:
                result.append((stage, key))
                self._watch_refs.append((stages, stage, key, source_key))
        return tuple(result)

    def check_watch_events(self, events: list[EventSpec]) -> None:
        """Every stage names an event of its own source (in the pack) or an existing event."""
        sources = {e.key: e.source for e in events}
        for stages, stage, key, source_key in self._watch_refs:
            if key in sources:
                if source_key is not None and sources[key] != source_key:
                    self.field_error(stages, stage, f"event {quote(key)} belongs to source "
                                                    f"{quote(sources[key])}, not to the watched source")
            elif key not in self.event_keys and key not in self.existing.events:
                self.field_error(stages, stage, f"unknown event {quote(key)}")
