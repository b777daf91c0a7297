"""What a report request names, checked: the scope exists, the as-of day is possible, the user may read it.

Every refusal is a ValidationFailed naming the field (team, source, vendor,
scope, format, as_of) or a ReportForbidden; the web page shows them on the
form, the API as 422/403 problems, the command line as a message and exit 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.fields import check_line
from tracker.models import AuditEntry, Obligation, Source, Team, User, Vendor
from tracker.reports.model import FORMATS, SCOPE_KINDS, Scope


class ReportForbidden(Exception):
    """The user may not read this scope."""


@dataclass(frozen=True)
class ReportRequest:
    """A checked request: the scope, the format, the as-of day and the instant the data is read at."""

    scope: Scope
    fmt: str
    as_of: date
    cutoff: datetime  # changes at or after this instant are undone
    historical: bool


def parse_as_of(text: str | None) -> date | None:
    """An as-of day from YYYY-MM-DD text; None for empty; ValidationFailed otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"as_of": f"'{text[:40]}' is not a date: use YYYY-MM-DD"}) from None


def may_read(user: User | None, scope: Scope) -> bool:
    """Whether `user` may read this scope: the same rule as reading the register.

    Every active user reads the whole register today; per-team roles narrow it here.
    The command line (no user) reads everything.
    """
    return user is None or bool(user.is_active)


def _find_scope(kind: str, ref: str) -> Scope:
    ref = (ref or "").strip()
    if kind not in SCOPE_KINDS:
        raise ValidationFailed({"scope": "choose a team, a source or a vendor"})
    if not ref:
        raise ValidationFailed({kind: f"name the {kind}"})
    if problem := check_line(ref, 300):  # a NUL or control character would reach the database
        raise ValidationFailed({kind: problem})
    if kind == "team":
        team = db.session.scalar(select(Team).where(Team.key == ref))
        if team is None:
            named = db.session.scalars(select(Team).where(Team.name == ref)).all()
            team = named[0] if len(named) == 1 else None
        if team is None:
            raise ValidationFailed({"team": f"no team with key or name '{ref[:100]}'"})
        return Scope("team", team.id, team.key, team.name)
    model = Source if kind == "source" else Vendor
    row = db.session.scalar(select(model).where(model.key == ref))
    if row is None:
        raise ValidationFailed({kind: f"no {kind} with key '{ref[:100]}'"})
    return Scope(kind, row.id, row.key, row.title if kind == "source" else row.name)


def register_started() -> date | None:
    """The day of the register's first record (a team, source, obligation or audit entry), None when empty."""
    firsts = [db.session.scalar(select(func.min(column))) for column in
              (Team.created_at, Source.created_at, Obligation.created_at, AuditEntry.at)]
    known = [value for value in firsts if value is not None]
    if not known:
        return None
    first = min(value if value.tzinfo else value.replace(tzinfo=timezone.utc) for value in known)
    return first.astimezone(timezone.utc).date()


def _scope_created(scope: Scope) -> datetime | None:
    model = {"team": Team, "source": Source, "vendor": Vendor}[scope.kind]
    value = db.session.scalar(select(model.created_at).where(model.id == scope.id))
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def check_request(kind: str, ref: str, fmt: str, as_of: date | None, user: User | None,
                  now: datetime | None = None) -> ReportRequest:
    """Resolve and check a report request; ValidationFailed or ReportForbidden when it cannot be made."""
    errors: dict[str, str] = {}
    if fmt not in FORMATS:
        errors["format"] = "choose pdf or xlsx"
    try:
        scope = _find_scope(kind, ref)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        scope = None
    now = now or utcnow()
    today = now.astimezone(timezone.utc).date()
    if as_of is not None:
        started = register_started()
        if as_of > today:
            errors["as_of"] = f"{as_of.isoformat()} is in the future: choose {today.isoformat()} or earlier"
        elif started is None or as_of < started:
            first = f"its first record is on {started.isoformat()}" if started else "it is empty"
            errors["as_of"] = f"the register did not exist yet on {as_of.isoformat()} ({first})"
        elif scope is not None:
            created = _scope_created(scope)
            if created is not None and created.astimezone(timezone.utc).date() > as_of:
                errors["as_of"] = (f"the {scope.kind} '{scope.key}' did not exist yet on {as_of.isoformat()} "
                                   f"(added {created.astimezone(timezone.utc).date().isoformat()})")
    if errors:
        raise ValidationFailed(errors)
    if not may_read(user, scope):
        raise ReportForbidden(f"you may not read the {scope.kind} '{scope.key}'")
    # The end of the day (UTC); for today that takes in everything recorded so far.
    day = today if as_of is None else as_of
    cutoff = datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone.utc)
    return ReportRequest(scope, fmt, day, cutoff, historical=day < today)


# The scope kinds and the words the form and the API use for them.
SCOPE_CHOICES = {"team": "Team", "source": "Regulation (source)", "vendor": "Vendor"}


def scope_options() -> dict[str, list[tuple[str, str]]]:
    """Every team, source and vendor as (key, name), for the Reports page's choices."""
    return {
        "team": [(t.key, t.name) for t in db.session.scalars(select(Team).order_by(Team.name, Team.id))],
        "source": [(s.key, s.title) for s in db.session.scalars(select(Source).order_by(Source.title, Source.id))],
        "vendor": [(v.key, v.name) for v in db.session.scalars(select(Vendor).order_by(Vendor.name, Vendor.id))],
    }
