"""Adding, editing and removing watches, and making an event of an observed stage."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.models import Event, Source, Watch, WatchObservation
from tracker.register.events import EventDate, create_event
from tracker.txn import owns_transaction
from tracker.watches.decide import status_for
from tracker.watches.provenance import keep_provenance
from tracker.watches.providers import ITEM_KINDS, NAMES, STAGES, ItemError, get_provider
from tracker.watches.wording import provider_label, stage_words

WATCH_FIELDS = ("provider", "item_kind", "item", "stages", "auto_apply")


def check_watch(provider: str, item_kind: str, item: str, stages: Mapping[str, object],
                source_events: Mapping[str, int]) -> tuple[str, dict[str, int]]:
    """The normalised item and the stage map {stage: event id}; ValidationFailed naming each problem.

    `stages` maps stage names to event keys (or ids); `source_events` maps the
    source's event keys to their ids: a stage may only point at the source's own events.
    """
    errors: dict[str, str] = {}
    if provider not in NAMES:
        raise ValidationFailed({"provider": f"unknown provider '{provider}' (expected one of {', '.join(NAMES)})"})
    if item_kind not in ITEM_KINDS[provider]:
        errors["item_kind"] = (f"{provider_label(provider)} watches a {' or a '.join(ITEM_KINDS[provider])}, "
                               f"not '{item_kind}'")
    normalised = item
    if not errors:
        try:
            normalised = get_provider(provider, {}).check_item(item_kind, item)
        except ItemError as exc:
            errors["item"] = str(exc)
    mapping: dict[str, int] = {}
    ids = set(source_events.values())
    for stage, target in (stages or {}).items():
        if stage not in STAGES[provider]:
            errors[f"stages/{stage}"] = (f"unknown stage '{stage}' for {provider_label(provider)} "
                                         f"(expected one of {', '.join(STAGES[provider])})")
        elif isinstance(target, int) and not isinstance(target, bool) and target in ids:
            mapping[stage] = target
        elif isinstance(target, str) and target in source_events:
            mapping[stage] = source_events[target]
        else:
            errors[f"stages/{stage}"] = f"'{target}' is not an event of this source"
    if errors:
        raise ValidationFailed(errors)
    return normalised, mapping


def source_event_keys(source: Source) -> dict[str, int]:
    """The source's events, key -> id."""
    return dict(db.session.execute(select(Event.key, Event.id).where(Event.source_id == source.id)).all())


def _snapshot(watch: Watch) -> dict:
    return audit.snapshot(watch, WATCH_FIELDS)


@owns_transaction
def create_watch(source: Source, actor: Actor, *, provider: str, item_kind: str, item: str,
                 stages: Mapping[str, object] | None = None, auto_apply: bool = False,
                 now: datetime | None = None, commit: bool = True) -> Watch:
    """Watch one item of a regulator API for `source`; it is polled at the next pass."""
    item, mapping = check_watch(provider, item_kind, (item or "").strip(), stages or {}, source_event_keys(source))
    _refuse_duplicate(source.id, provider, item_kind, item, None)
    now = now or utcnow()
    watch = Watch(source_id=source.id, provider=provider, item_kind=item_kind, item=item, stages=mapping,
                  auto_apply=bool(auto_apply), status="new", last_error="", next_poll_at=now,
                  created_at=now, updated_at=now, consecutive_failures=0)
    db.session.add(watch)
    audit.log(actor, "create", watch, audit.diff({}, _snapshot(watch)), at=now)
    return watch


def _refuse_duplicate(source_id: int, provider: str, kind: str, item: str, except_id: int | None) -> None:
    query = select(Watch.id).where(Watch.source_id == source_id, Watch.provider == provider,
                                   Watch.item_kind == kind, Watch.item == item)
    if except_id is not None:
        query = query.where(Watch.id != except_id)
    if db.session.scalar(query) is not None:
        raise Conflict(f"this source already watches {provider_label(provider)} {kind} {item}", field="item")


@owns_transaction
def update_watch(watch: Watch, actor: Actor, *, now: datetime | None = None, commit: bool = True,
                 **values) -> bool:
    """Change a watch's item, stage map or auto_apply; True when anything changed.

    A new item is polled at the next pass.
    """
    merged = {name: values[name] if values.get(name) is not None else getattr(watch, name) for name in WATCH_FIELDS}
    item, mapping = check_watch(merged["provider"], merged["item_kind"], str(merged["item"]).strip(),
                                merged["stages"], source_event_keys(watch.source))
    _refuse_duplicate(watch.source_id, merged["provider"], merged["item_kind"], item, watch.id)
    moved = (merged["provider"], merged["item_kind"], item) != (watch.provider, watch.item_kind, watch.item)
    changed = audit.update_fields(actor, watch, {"provider": merged["provider"], "item_kind": merged["item_kind"],
                                                 "item": item, "stages": mapping,
                                                 "auto_apply": bool(merged["auto_apply"])}, now)
    if moved:
        watch.next_poll_at = now or utcnow()
    return changed


@owns_transaction
def delete_watch(watch: Watch, actor: Actor, now: datetime | None = None, commit: bool = True) -> None:
    """Stop watching; its observations and proposals go with it (accepted changes stay recorded)."""
    audit.log(actor, "delete", watch, audit.diff(_snapshot(watch), {}), at=now or utcnow())
    db.session.delete(watch)


def _event_key(source: Source, stage: str) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", f"{source.key}-{stage}".lower()).strip("-")[:90]
    key, n = base, 2
    while db.session.scalar(select(Event.id).where(Event.key == key)) is not None:
        key, n = f"{base}-{n}", n + 1
    return key


@owns_transaction
def make_event_of_stage(watch: Watch, stage: str, actor: Actor, now: datetime | None = None,
                        commit: bool = True) -> Event:
    """Add an event for an observed but unmapped stage, dated as observed, and map the stage to it."""
    if stage not in STAGES.get(watch.provider, ()):
        raise ValidationFailed({"stage": f"unknown stage '{stage}'"})
    if stage in (watch.stages or {}):
        raise Conflict(f"the stage '{stage_words(stage)}' already has an event", field="stage")
    observed = db.session.scalars(select(WatchObservation).where(
        WatchObservation.watch_id == watch.id, WatchObservation.stage == stage)
        .order_by(WatchObservation.observed_on.desc(), WatchObservation.id.desc())).first()
    if observed is None:
        raise ValidationFailed({"stage": f"'{stage_words(stage)}' was not observed"})
    now = now or utcnow()
    when = EventDate(status=status_for(observed.observed_on, now.date()), on=observed.observed_on)
    source = watch.source
    event = create_event(actor, when, now=now, commit=False, key=_event_key(source, stage),
                         title=f"{source.title}: {stage_words(stage)}", source_id=source.id,
                         description=f"{provider_label(watch.provider)}: {observed.text}")
    db.session.flush()
    audit.update_fields(actor, watch, {"stages": dict(watch.stages or {}, **{stage: event.id})}, now)
    keep_provenance(event, watch.provider, observed, when.status, when.on, None)
    return event
