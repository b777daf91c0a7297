"""A pack's watches: imported through the watch service, exported in the pack's `watch` shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from tracker.audit import Actor
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import Event, Source, Watch
from tracker.packs.specs import Pack, PackInvalid
from tracker.watches.operations import create_watch, update_watch


def import_watches(pack: Pack, sources: dict[str, Source], actor: Actor, now: datetime, report) -> None:
    """Create or update each source's watch (matched by provider and item); the caller commits."""
    db.session.flush()
    for index, spec in enumerate(pack.sources):
        watch_spec = spec.watch
        if watch_spec is None:
            continue
        source = sources[spec.key]
        existing = db.session.scalar(select(Watch).where(
            Watch.source_id == source.id, Watch.provider == watch_spec.provider,
            Watch.item_kind == watch_spec.kind, Watch.item == watch_spec.item))
        stages = dict(watch_spec.stages)
        try:
            if existing is None:
                create_watch(source, actor, provider=watch_spec.provider, item_kind=watch_spec.kind,
                             item=watch_spec.item, stages=stages, auto_apply=watch_spec.auto_apply, now=now,
                             commit=False)
                report.created["watches"] += 1
            else:
                changed = update_watch(existing, actor, stages=stages, auto_apply=watch_spec.auto_apply, now=now,
                                       commit=False)
                (report.updated if changed else report.unchanged)["watches"] += 1
        except ValidationFailed as exc:  # an existing event of another source, say
            raise PackInvalid([f"sources[{index}].watch.{name.replace('/', '.')}: {reason}"
                               for name, reason in exc.errors.items()]) from None


def watch_of(source: Source, event_keys: dict[int, str]) -> dict[str, Any] | None:
    """The source's first watch as a pack's `watch` object (a pack holds one per source)."""
    watch = db.session.scalar(select(Watch).where(Watch.source_id == source.id).order_by(Watch.id))
    if watch is None:
        return None
    return {"provider": watch.provider, watch.item_kind: watch.item,
            "stages": {stage: event_keys[event_id] for stage, event_id in (watch.stages or {}).items()
                       if event_id in event_keys},
            "auto_apply": watch.auto_apply}


def event_keys() -> dict[int, str]:
    return dict(db.session.execute(select(Event.id, Event.key)).all())
