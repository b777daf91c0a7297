"""Importing a validated regulation pack into the register, in one transaction.

Everything is matched by key (users by email), so importing the same pack
again changes nothing, and importing an edited pack updates rows in place:
an event whose status or date changed goes through the same recording service
as the UI (recompute, revision, history). Rows are created in bulk so a pack of
thousands of obligations imports in seconds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker import audit
from tracker.people.operations import set_team_role
from tracker.people import permissions
from tracker.people.permissions import TEAM_ROLES
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.register import causes
from tracker.errors import ValidationFailed
from tracker.register.chains import outcome_for, resolved_graph
from tracker.register.derived_events import Derivation, resolved_columns, set_derivation
from tracker.register.events import EventDate, record_event_change
from tracker.models import Event, Obligation, Source, Team, User, Vendor, team_members
from tracker.register.obligations import ObligationInput, update_obligation
from tracker.packs.watches import import_watches
from tracker.packs.import_vendors import import_vendor_scopes, import_vendors
from tracker.register.queries import event_date_values
from tracker.packs.validate import (
    EventSpec,
    ExistingKeys,
    ObligationSpec,
    Pack,
    PackInvalid,
    load_pack_text,
)


@dataclass
class ImportReport:
    """What an import did, per kind of row."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    moved_deadlines: int = 0
    # {team id: the pack rows that write or move that team's obligations}, checked against the importer's roles.
    written: dict = field(default_factory=dict)

    def wrote(self, team_ids, row: str) -> None:
        """Note that `row` writes (or moves the deadlines of) obligations of these teams."""
        for team_id in team_ids:
            self.written.setdefault(team_id, []).append(row)

    def lines(self) -> list[str]:
        kinds = ("teams", "users", "sources", "events", "obligations")
        rows = [
            f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind in kinds
        ]
        if any(counter["watches"] for counter in (self.created, self.updated, self.unchanged)):
            rows.append(f"watches: {self.created['watches']} created, {self.updated['watches']} updated, "
                        f"{self.unchanged['watches']} unchanged")
        if any(counter["vendors"] for counter in (self.created, self.updated, self.unchanged)):
            rows.append(f"vendors: {self.created['vendors']} created, {self.updated['vendors']} updated, "
                        f"{self.unchanged['vendors']} unchanged")
        if self.created["vendor requests"]:
            rows.append(f"vendor requests created: {self.created['vendor requests']}")
        rows.append(f"deadlines moved: {self.moved_deadlines}")
        return rows


@dataclass(frozen=True)
class ImportRun:
    """What every step of one import carries beside its rows: who imports, when, the report it
    fills, and the rows created so far (their audit entries are written in bulk at the end)."""

    actor: Actor
    now: datetime
    report: ImportReport
    pending: list = field(default_factory=list)


def existing_keys() -> ExistingKeys:
    """The keys already in the register, for validating references."""
    return ExistingKeys(
        teams=frozenset(db.session.scalars(select(Team.key))),
        sources=frozenset(db.session.scalars(select(Source.key))),
        events=frozenset(db.session.scalars(select(Event.key))),
        users=frozenset(db.session.scalars(select(User.email))),
        vendors=frozenset(db.session.scalars(select(Vendor.key))),
    )


def import_pack_text(text: str | bytes, actor: Actor, now: datetime | None = None) -> ImportReport:
    """Validate (PackInvalid lists every problem) and import; commits or writes nothing."""
    pack = load_pack_text(text, existing_keys())
    return import_pack(pack, actor, now)


def import_pack(pack: Pack, actor: Actor, now: datetime | None = None) -> ImportReport:
    """Import an already validated pack in one transaction."""
    run = ImportRun(actor, now or utcnow(), ImportReport())
    now, report = run.now, run.report
    try:
        # Every deadline this import moves (an event recorded, a rule changed) is one cause.
        causes.begin("pack", f"Pack {pack.name or 'import'} imported", actor=actor, now=now)
        teams = _import_teams(pack, run)
        sources = _import_sources(pack, run)
        events = _import_events(pack, sources, run)
        import_vendors(pack, teams, actor, now, report)
        _import_obligations(pack, teams, events, run)
        import_watches(pack, sources, actor, now, report)
        db.session.flush()
        audit.log_many([_created_entry(obj, actor, now) for obj in run.pending])
        import_vendor_scopes(pack, actor, now, report)
        _check_importer(actor, report)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _check_importer(actor: Actor, report: ImportReport) -> None:
    """A user's import may write only the obligations of teams they edit: otherwise it is refused
    whole, naming the rows (the command line, no user, may write every team)."""
    user = db.session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        return
    problems = []
    for team_id, rows in sorted(report.written.items()):
        if not permissions.may_edit_team(user, team_id):
            name = db.session.get(Team, team_id).name
            problems += [f"{row}: writes obligations of team '{name}', where you are not an editor" for row in rows]
    if problems:
        raise PackInvalid(problems)


def _created_entry(obj, actor: Actor, now: datetime) -> dict:
    values = audit.snapshot(obj, audit.column_names(type(obj)))
    changes = audit.diff({}, {k: v for k, v in values.items() if v is not None})
    return audit.entry(actor, now, "create", audit.ENTITY_NAMES[type(obj).__name__], obj.id, changes,
                       getattr(obj, "key", None) or getattr(obj, "email", ""))


def _count(report: ImportReport, kind: str, changed: bool) -> None:
    (report.updated if changed else report.unchanged)[kind] += 1


def _import_teams(pack: Pack, run: ImportRun) -> dict[str, Team]:
    teams = {t.key: t for t in db.session.scalars(select(Team).options(selectinload(Team.members)))}
    emails = {m.email for spec in pack.teams for m in spec.members}
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    roles = []
    for spec in pack.teams:
        team = teams.get(spec.key)
        if team is None:
            team = Team(key=spec.key, name=spec.name, timezone=spec.timezone, created_at=run.now, updated_at=run.now)
            db.session.add(team)
            teams[spec.key] = team
            run.pending.append(team)
            run.report.created["teams"] += 1
        else:
            changed = audit.update_fields(run.actor, team, {"name": spec.name, "timezone": spec.timezone}, run.now)
            _count(run.report, "teams", changed)
        for member in spec.members:
            user = users.get(member.email)
            if user is None:
                # New people get email but no password: an admin sets one later.
                user = User(email=member.email, name=member.name, role=member.role,
                            created_at=run.now, updated_at=run.now)
                db.session.add(user)
                users[member.email] = user
                run.pending.append(user)
                run.report.created["users"] += 1
            if user not in team.members:
                team.members.append(user)
                if team.id is not None:
                    audit.log(run.actor, "update", team, {"members": [None, f"+{user.email}"]}, at=run.now)
            roles.append((team, user, member.role))
    db.session.flush()
    for team, user, role in roles:  # a member's role in a pack is their role in that team
        set_team_role(user, team, role if role in TEAM_ROLES else "editor", run.actor, run.now, commit=False)
    return teams


def _import_sources(pack: Pack, run: ImportRun) -> dict[str, Source]:
    sources = {s.key: s for s in db.session.scalars(select(Source))}
    for spec in pack.sources:
        values = {"title": spec.title, "kind": spec.kind, "jurisdiction": spec.jurisdiction,
                  "citation": spec.citation, "url": spec.url, "summary": spec.summary}
        source = sources.get(spec.key)
        if source is None:
            source = Source(key=spec.key, created_at=run.now, updated_at=run.now, **values)
            db.session.add(source)
            sources[spec.key] = source
            run.pending.append(source)
            run.report.created["sources"] += 1
        else:
            _count(run.report, "sources", audit.update_fields(run.actor, source, values, run.now))
    return sources


def _event_date(spec: EventSpec) -> EventDate:
    return EventDate(status=spec.status, on=spec.date, precision=spec.precision if spec.date else "day")


def _derivation(spec: EventSpec, events: dict[str, Event]) -> Derivation | None:
    d = spec.derived
    return None if d is None else Derivation(events[d.base].id, d.offset, d.unit, d.calendar)


def _import_events(pack: Pack, sources, run: ImportRun) -> dict[str, Event]:
    db.session.flush()  # ids for the sources created above
    events = {e.key: e for e in db.session.scalars(select(Event).options(selectinload(Event.source)))}
    for index, spec in enumerate(pack.events):
        try:
            _import_event(index, spec, events, sources, run)
        except ValidationFailed as exc:
            # A cycle through events only in the register shows here; refuse the whole pack.
            raise PackInvalid([f"events[{index}].derived: {message}" for message in exc.errors.values()]) from None
    return events


def _import_derived(spec: EventSpec, event: Event | None, events, sources, run: ImportRun) -> Event:
    db.session.flush()
    derivation = _derivation(spec, events)
    if event is None:
        columns = resolved_columns(derivation, spec.title, sources[spec.source].jurisdiction)
        event = Event(key=spec.key, source=sources[spec.source], title=spec.title, description=spec.description,
                      derived_from_event_id=derivation.from_event_id, derived_offset=derivation.offset,
                      derived_unit=derivation.unit, derived_calendar=derivation.calendar,
                      created_at=run.now, updated_at=run.now, **columns)
        db.session.add(event)
        run.pending.append(event)
        run.report.created["events"] += 1
        return event
    changed = audit.update_fields(run.actor, event, {"source_id": sources[spec.source].id, "title": spec.title,
                                                 "description": spec.description}, run.now)
    before = (event.derived_from_event_id, event.derived_offset, event.derived_unit, event.derived_calendar)
    if before != (derivation.from_event_id, derivation.offset, derivation.unit, derivation.calendar):
        db.session.flush()
        moves = set_derivation(event, derivation, run.actor, now=run.now, commit=False)
        run.report.moved_deadlines += len(moves)
        run.report.wrote(permissions.teams_of_obligations(m.obligation_id for m in moves), f"events ({spec.key})")
        changed = True
    _count(run.report, "events", changed)
    return event


def _import_event(index: int, spec: EventSpec, events, sources, run: ImportRun) -> None:
    event = events.get(spec.key)
    if spec.derived is not None:
        events[spec.key] = _import_derived(spec, event, events, sources, run)
        return
    if event is not None and event.is_derived:
        db.session.flush()
        set_derivation(event, None, run.actor, now=run.now, commit=False)  # stands on its own date from run.now on
    if event is None:
        when = _event_date(spec)
        event = Event(key=spec.key, source=sources[spec.source], title=spec.title,
                      description=spec.description, status=spec.status,
                      **event_date_values(spec.status, spec.date),
                      precision=when.precision, created_at=run.now, updated_at=run.now)
        db.session.add(event)
        events[spec.key] = event
        run.pending.append(event)
        run.report.created["events"] += 1
        return
    changed = audit.update_fields(run.actor, event, {"source_id": sources[spec.source].id, "title": spec.title,
                                                 "description": spec.description}, run.now)
    when = _event_date(spec)
    current = (event.status, event.on if event.status != "speculative" else None, event.precision)
    if current != (when.status, when.on, when.precision):
        db.session.flush()
        moves = record_event_change(event, when, run.actor, now=run.now, commit=False)
        run.report.moved_deadlines += len(moves)
        run.report.wrote(permissions.teams_of_obligations(m.obligation_id for m in moves), f"events[{index}] ({spec.key})")
        changed = True
    _count(run.report, "events", changed)


def _import_obligations(pack: Pack, teams, events, run: ImportRun) -> None:
    db.session.flush()  # ids for teams, users, sources and events created above
    existing = {o.key: o for o in db.session.scalars(
        select(Obligation).options(selectinload(Obligation.events)))}
    owners = {u.email: u for u in db.session.scalars(select(User))}
    _check_owners(pack, teams, owners, existing)
    resolved = resolved_graph() if pack.obligations else {}
    for index, spec in enumerate(pack.obligations):
        obligation = existing.get(spec.key)
        data = _input_for(spec, teams, events, owners)
        row = f"obligations[{index}] ({spec.key})"
        if obligation is None:
            run.report.wrote([data.team_id], row)
            run.pending.append(_new_obligation(spec, data, events, run.now, resolved))
            run.report.created["obligations"] += 1
            continue
        if _unchanged(obligation, data):
            run.report.unchanged["obligations"] += 1
            continue
        run.report.wrote({obligation.team_id, data.team_id}, row)
        move = update_obligation(obligation, data, run.actor, now=run.now, commit=False)
        run.report.updated["obligations"] += 1
        if move is not None:
            run.report.moved_deadlines += 1


def _check_owners(pack: Pack, teams, owners, existing) -> None:
    """An owner must be a member of the obligation's team (memberships as this import leaves them);
    an owner already stored on the obligation stays allowed."""
    members = set(db.session.execute(select(team_members.c.team_id, team_members.c.user_id)).all())
    problems = []
    for index, spec in enumerate(pack.obligations):
        owner = owners.get(spec.owner) if spec.owner else None
        if owner is None:
            continue
        current = existing.get(spec.key)
        if (teams[spec.team].id, owner.id) not in members and (current is None or current.owner_id != owner.id):
            problems.append(f"obligations[{index}].owner: '{spec.owner}' is not a member of team '{spec.team}'")
    if problems:
        raise PackInvalid(problems)


def _unchanged(obligation: Obligation, data: ObligationInput) -> bool:
    """True when re-importing `data` would change nothing (the common case)."""
    fields = ("key", "title", "description", "team_id", "owner_id", "priority", "tags", "rule", "rule_date",
              "rule_precision", "anchor_event_id", "rule_offset", "rule_unit",
              "rule_calendar", "rule_rrule", "rule_roll", "rule_combination", "rule_parts")
    if data.rule != "relative":
        data.anchor_event_id = None
        if data.rule_roll == "none" and data.rule_combination is None:
            data.rule_calendar = None
    if data.rule != "recurring":
        data.rule_rrule = None
    if any(getattr(obligation, name) != getattr(data, name) for name in fields):
        return False
    wanted = set(data.event_ids) | ({data.anchor_event_id} if data.anchor_event_id else set())
    wanted |= {p["anchor"] for p in data.rule_parts or [] if "anchor" in p}
    return wanted == {event.id for event in obligation.events}


def _input_for(spec: ObligationSpec, teams, events, owners) -> ObligationInput:
    rule = spec.deadline
    owner = owners.get(spec.owner) if spec.owner else None
    if rule.parts is not None:
        parts = [{**p, "anchor": events[p["anchor"]].id} if "anchor" in p else dict(p) for p in rule.parts]
        return ObligationInput(
            key=spec.key, title=spec.title, description=spec.description,
            team_id=teams[spec.team].id, owner_id=owner.id if owner else None, rule="fixed",
            rule_combination=rule.rule, rule_parts=parts, rule_roll=rule.roll, rule_calendar=rule.calendar,
            event_ids=[events[key].id for key in spec.events], priority=spec.priority, tags=list(spec.tags))
    return ObligationInput(
        key=spec.key, title=spec.title, description=spec.description,
        team_id=teams[spec.team].id, owner_id=owner.id if owner else None, rule=rule.rule,
        rule_date=rule.date, rule_precision=rule.precision,
        anchor_event_id=events[rule.anchor].id if rule.anchor else None,
        rule_offset=rule.offset, rule_unit=rule.unit, rule_calendar=rule.calendar,
        rule_rrule=rule.rrule, event_ids=[events[key].id for key in spec.events], rule_roll=rule.roll,
        priority=spec.priority, tags=list(spec.tags),
    )


def _new_obligation(spec: ObligationSpec, data: ObligationInput, events, now, resolved) -> Obligation:
    linked = [events[key] for key in spec.events]
    for key in spec.deadline.anchors:
        if events[key] not in linked:
            linked.append(events[key])
    obligation = Obligation(
        key=data.key, title=data.title, description=data.description, team_id=data.team_id,
        owner_id=data.owner_id, rule=data.rule, rule_date=data.rule_date,
        rule_precision=data.rule_precision, anchor_event_id=data.anchor_event_id,
        rule_offset=data.rule_offset, rule_unit=data.rule_unit, rule_calendar=data.rule_calendar,
        rule_rrule=data.rule_rrule, rule_roll=data.rule_roll, rule_combination=data.rule_combination,
        rule_parts=data.rule_parts, revision=0, status="open", status_note="",
        priority=data.priority, tags=list(data.tags),
        created_at=now, updated_at=now, due_changed_at=now, status_changed_at=now,
    )
    obligation.completed_through = None
    due = outcome_for(obligation, resolved).due
    obligation.due_date, obligation.due_state, obligation.due_precision = due.date, due.state, due.precision
    obligation.events = linked
    db.session.add(obligation)
    return obligation
