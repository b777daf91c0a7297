"""Derived events and deadline expressions in the register: one graph of events, resolved in memory.

Every event is read once (one SELECT) into the pure engine's graph, keyed by
the event id as text, so a derived event's chain and an earliest/latest rule's
parts resolve without further queries. ``plan_event_move`` works out what
changing one event does to everything down its chains: the derived events
that move and every obligation whose rule reads any of them, each with a
history reason that names the whole chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update

from tracker import audit
from tracker.audit import Actor
from tracker.db import db
from tracker.deadlines import (
    DerivationCycleError,
    DerivationError,
    DerivedEvent,
    Due,
    EventStatus,
    Outcome,
    PlainEvent,
    ResolvedEvent,
    RuleExpr,
    describe_chain,
    describe_moves,
    evaluate,
    expression_to_json,
    parse_deadline,
    resolve_events,
)
from tracker.deadlines.expressions import Expression
from tracker.deadlines.wording import offset_phrase
from tracker.errors import ValidationFailed
from tracker.models import Event, Obligation, Source
from tracker.models.register import rule_of
from tracker.register.recompute import RULE_COLUMNS, DueChange

GRAPH_COLUMNS = (
    Event.id, Event.key, Event.title, Event.status, Event.occurred_on, Event.expected_on,
    Event.precision, Event.derived_from_event_id, Event.derived_offset, Event.derived_unit,
    Event.derived_calendar, Source.jurisdiction,
)
EXPRESSION_COLUMNS = RULE_COLUMNS + (
    Obligation.anchor_event_id, Obligation.rule_roll, Obligation.rule_combination, Obligation.rule_parts,
)



class Graph(dict):
    """Graph key -> PlainEvent | DerivedEvent, plus each event's register key in ``keys``."""

    def __init__(self, *args, keys: Mapping[str, str] | None = None) -> None:
        super().__init__(*args)
        self.keys_by_node: dict[str, str] = dict(keys or {})


def node(event_id: int | None) -> str:
    """The graph key of an event (its id as text)."""
    return str(event_id)


def spec_of(row) -> PlainEvent | DerivedEvent:
    """The engine's view of an event row (an Event or a row of GRAPH_COLUMNS)."""
    jurisdiction = row.jurisdiction if hasattr(row, "jurisdiction") else row.source.jurisdiction
    if row.derived_from_event_id is not None:
        return DerivedEvent(node(row.derived_from_event_id), row.derived_offset or 0,
                            row.derived_unit or "days", row.derived_calendar, jurisdiction, row.title)
    on = row.occurred_on if row.status == "occurred" else row.expected_on if row.status == "expected" else None
    return PlainEvent(row.status, on, row.precision if on else "day", jurisdiction, row.title)


def load_graph() -> Graph:
    """Every event of the register as the engine's graph (one SELECT)."""
    rows = list(db.session.execute(select(*GRAPH_COLUMNS).join(Source, Source.id == Event.source_id)))
    return Graph({node(row.id): spec_of(row) for row in rows}, keys={node(row.id): row.key for row in rows})


def resolve(graph: Mapping[str, PlainEvent | DerivedEvent], *, field_name: str = "derived_from_event_id",
            changed: str | None = None) -> dict[str, ResolvedEvent]:
    """Resolve the graph; a cycle or an out-of-range date is a ValidationFailed on ``field_name``.

    A cycle is named from the ``changed`` event when it is on it (the order rows come back in
    must not change the message).
    """
    try:
        return resolve_events(graph)
    except DerivationCycleError as exc:
        ring = list(exc.cycle[:-1])
        if changed in ring:
            at = ring.index(changed)
            ring = ring[at:] + ring[:at]
        # Graph keys are ids; a user reads titles.
        names = " -> ".join(repr(graph[k].title) if k in graph else k for k in ring + ring[:1])
        raise ValidationFailed({field_name: f"derived events would form a cycle: {names}"}) from None
    except DerivationError as exc:
        message = str(exc)
        for key, spec in graph.items():
            message = message.replace(repr(key), repr(spec.title or key))
        raise ValidationFailed({field_name: message}) from None


def resolved_graph() -> dict[str, ResolvedEvent]:
    """The register's events, resolved."""
    return resolve(load_graph())


def stored_parts_to_json(kind: str, parts: list[dict], roll: str, calendar: str | None,
                         key_of: Mapping[int, str] | None = None) -> dict:
    """A combination in its JSON form; ``anchor`` as graph keys, or as event keys with ``key_of``."""
    def anchor(value: object) -> str:
        return key_of[value] if key_of is not None else node(value)  # type: ignore[index]
    data: dict = {"rule": kind, "of": [{**p, "anchor": anchor(p["anchor"])} if "anchor" in p else dict(p)
                                       for p in parts]}
    if roll != "none":
        data["roll"] = roll
    if calendar:
        data["calendar"] = calendar
    return data


def expression_of(row) -> Expression:
    """The engine expression of an obligation (an Obligation or a row of EXPRESSION_COLUMNS).

    Anchors are graph keys (event ids as text).
    """
    roll = getattr(row, "rule_roll", None) or "none"
    if getattr(row, "rule_combination", None):
        return parse_deadline(stored_parts_to_json(row.rule_combination, row.rule_parts or [], roll,
                                                   row.rule_calendar))
    anchor = node(row.anchor_event_id) if row.rule == "relative" and row.anchor_event_id else None
    return RuleExpr(rule_of(row), anchor, roll)


def deadline_json(row, key_of: Mapping[int, str]) -> dict:
    """An obligation's rule in the JSON form of packs and the API, anchors as event keys.

    The same form ``tracker.deadlines.check_deadline`` reads; defaults are left
    out except a relative rule's unit, and a fixed rule keeps its precision.
    """
    data = expression_to_json(expression_of(row))
    for rule in [data, *data.get("of", [])]:
        if "anchor" in rule:
            rule["anchor"] = key_of[int(rule["anchor"])]
        if rule["rule"] == "fixed" and "precision" not in rule:
            rule["precision"] = "day"
    return data


def anchors_of(row) -> set[int]:
    """The ids of the events an obligation's rule counts from."""
    if getattr(row, "rule_combination", None):
        return {int(p["anchor"]) for p in row.rule_parts or [] if p.get("anchor") is not None}
    return {row.anchor_event_id} if row.rule == "relative" and row.anchor_event_id else set()


def outcome_for(row, resolved: Mapping[str, ResolvedEvent]) -> Outcome:
    """The due date and explanation of an obligation's rule against resolved events."""
    try:
        return evaluate(expression_of(row), resolved, completed_through=row.completed_through)
    except ValueError as exc:
        # Only reachable at the edges of the supported date range.
        raise ValidationFailed({"date": f"the deadline of '{row.title}' cannot be computed: {exc}"}) from None


def explain_with_chains(row, resolved: Mapping[str, ResolvedEvent] | None = None) -> str:
    """The engine's explanation of an obligation's rule, then each derived event it counts from, in words.

    ``1 month after Act takes effect = 2027-05-01, projected; Act takes effect: 90 days after Chip
    Security Act enacted (expected January 2027) = 2027-04-01, projected``.
    """
    resolved = resolved if resolved is not None else resolved_graph()
    words = outcome_for(row, resolved).explanation
    for event_id in sorted(anchors_of(row)):
        event = resolved.get(node(event_id))
        if event is not None and event.derivation is not None:
            words += f"; {event.title}: {describe_chain(node(event_id), resolved)}"
    return words


def due_of(row, resolved: Mapping[str, ResolvedEvent] | None = None) -> Due:
    """An obligation's due date (resolving the register's events when not given)."""
    return outcome_for(row, resolved if resolved is not None else resolved_graph()).due


def rows_reading(event_ids: Iterable[int]) -> list:
    """Every live obligation whose rule reads one of the events: anchor or a combination's part.

    Two SELECTs whatever the number of obligations; combinations are filtered
    here because their parts are JSON.
    """
    ids = set(event_ids)
    if not ids:
        return []
    live = Obligation.deleted_at.is_(None)
    rows = list(db.session.execute(select(*EXPRESSION_COLUMNS).where(
        live, Obligation.rule_combination.is_(None), Obligation.anchor_event_id.in_(ids))))
    combos = db.session.execute(select(*EXPRESSION_COLUMNS).where(live, Obligation.rule_combination.is_not(None)))
    rows.extend(row for row in combos if anchors_of(row) & ids)
    return rows


def step_words(event: ResolvedEvent, resolved: Mapping[str, ResolvedEvent]) -> str:
    """``Act takes effect 2027-03-03 (90 days after)``: one derived step of a chain."""
    spec = event.derivation
    assert spec is not None
    base = resolved[spec.base]
    phrase = offset_phrase(spec.offset, spec.unit, "", spec.calendar or base.jurisdiction or "US").strip()
    when = event.on.isoformat() if event.on is not None else str(event.state)
    return f"{event.title} {when} ({phrase})"


def chain_words(key: str, root: str, resolved: Mapping[str, ResolvedEvent]) -> str:
    """The derived steps from ``root`` (exclusive) down to ``key``: ``A 2027-03-03 (90 days after) -> B ...``."""
    chain = resolved[key].chain
    steps = chain[:chain.index(root)]
    return " -> ".join(step_words(resolved[k], resolved) for k in reversed(steps))


@dataclass(frozen=True)
class EventMove:
    """A derived event whose resolved status or date changes."""
    event_id: int
    key: str
    title: str
    before: ResolvedEvent | None
    after: ResolvedEvent

    def columns(self) -> dict:
        """The stored status and date columns of the derived event after the move."""
        status, on = self.after.status, self.after.on
        return {"id": self.event_id, "status": str(status), "precision": "day",
                "occurred_on": on if status == EventStatus.OCCURRED else None,
                "expected_on": on if status == EventStatus.EXPECTED else None}


@dataclass
class ChainPlan:
    """What changing one event does: derived events that move, and obligations that move."""
    before: dict[str, ResolvedEvent]
    resolved: dict[str, ResolvedEvent]
    moves: list[DueChange] = field(default_factory=list)
    events: list[EventMove] = field(default_factory=list)

    def event_lines(self) -> list[str]:
        """One line per moved derived event, for previews:
        ``Act takes effect (90 days after Chip Security Act enacted): projected 2027-04-01 -> firm 2027-03-03``."""
        return describe_moves(self.before, self.resolved) if self.events else []


def plan_event_move(event: Event, new_spec: PlainEvent | DerivedEvent, direct_reason: str,
                    root_phrase: str, *, graph: Graph | None = None) -> ChainPlan:
    """Everything that moves when ``event`` becomes ``new_spec``; writes nothing.

    ``direct_reason`` is the history reason of an obligation that counts from
    the event itself; one that counts from an event down the chain gets
    ``root_phrase -> Act takes effect 2027-03-03 (90 days after)``.
    """
    graph = graph if graph is not None else load_graph()
    keys = dict(getattr(graph, "keys_by_node", {}))
    graph = dict(graph)
    before = resolve(graph)
    key = node(event.id)
    graph[key] = new_spec
    after = resolve(graph, changed=key)
    affected = {k for k, r in after.items() if key in r.chain}
    plan = ChainPlan(before, after)
    for k in affected:
        new, old = after[k], before.get(k)
        if new.derivation is not None and (old is None or (old.status, old.on) != (new.status, new.on)):
            plan.events.append(EventMove(int(k), keys.get(k, ""), new.title, old, new))
    plan.events.sort(key=lambda m: len(m.after.chain))
    dues: dict = {}  # many obligations share a rule: compute each distinct one once
    reasons: dict[tuple[str, ...], str] = {}
    for row in rows_reading(int(k) for k in affected):
        try:
            expr = expression_of(row)
        except ValueError:
            expr = None
        key_of_rule = (expr, row.completed_through) if expr is not None else None
        if key_of_rule is None or key_of_rule not in dues:
            due = outcome_for(row, after).due
            if key_of_rule is not None:
                dues[key_of_rule] = due
        else:
            due = dues[key_of_rule]
        if (due.date, due.state, due.precision) == (row.due_date, row.due_state, row.due_precision):
            continue
        via = tuple(sorted(node(a) for a in anchors_of(row) if node(a) in affected and node(a) != key))
        reason = None
        if via:
            if via not in reasons:
                reasons[via] = "; ".join(f"{root_phrase} -> {chain_words(k, key, after)}" for k in via)
            reason = reasons[via]
        plan.moves.append(DueChange(row.id, row.key, row.title, row.due_date, row.due_state, row.due_precision,
                                    due, row.revision + 1, reason))
    return plan


def write_event_moves(moves: list[EventMove], actor: Actor, now: datetime) -> None:
    """Store moved derived events in one bulk UPDATE and audit them in one INSERT."""
    if not moves:
        return
    db.session.execute(update(Event), [{**m.columns(), "updated_at": now} for m in moves])
    entries = []
    for m in moves:
        old = {"status": str(m.before.status) if m.before else None,
               "on": m.before.on.isoformat() if m.before and m.before.on else None}
        new = {"status": str(m.after.status), "on": m.after.on.isoformat() if m.after.on else None}
        entries.append(audit.entry(actor, now, "update", audit.ENTITY_NAMES["Event"], m.event_id,
                                   audit.diff(old, new), m.key))
    audit.log_many(entries)
    moved = {m.event_id for m in moves}
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Event) and obj.id in moved:
            db.session.expire(obj)
