"""What a report says, independent of how it is drawn (pure: no Flask, no database).

`assemble` fills these from the register; `pdf` and `xlsx` only lay them out,
so both formats say the same things in the same order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tracker.models.vocabulary import ACTIVE_STATUSES, OBLIGATION_STATUSES, STATUS_LABELS

FORMATS = ("pdf", "xlsx")
SCOPE_KINDS = ("team", "source", "vendor")
PRIORITIES = ("low", "normal", "high", "critical")
DEFAULT_PRIORITY = "normal"
DUE_STATES = ("firm", "projected", "undated", "void")
REQUEST_STATUSES = ("open", "submitted", "accepted", "rejected", "waived", "not_applicable")
# The appendix: what each due state means, in the words auditors read.
DUE_STATE_DEFINITIONS = {
    "firm": "The date is fixed: set by a rule on a known date, or counted from an event that has occurred.",
    "projected": "An estimate: counted from an event that is expected but has not occurred; it moves "
                 "when the event is recorded.",
    "undated": "No date yet: the deadline counts from an event whose date nobody can estimate.",
    "void": "No deadline: the event it counts from was withdrawn.",
}
TIMELINE_MONTHS = 12


def priority_of(obligation: Any) -> str:
    """An obligation's priority: its `priority` field when it has one, else "normal".

    The one place reports read priority, so the column can arrive later.
    """
    value = getattr(obligation, "priority", None)
    return value if value in PRIORITIES else DEFAULT_PRIORITY


def status_label(status: str) -> str:
    """'In progress' for in_progress; request statuses read the same way."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Scope:
    """What a report covers: one team, one source (and what hangs off its events) or one vendor."""

    kind: str
    id: int
    key: str
    name: str

    @property
    def label(self) -> str:
        noun = {"team": "Team", "source": "Regulation", "vendor": "Vendor"}[self.kind]
        return f"{noun}: {self.name}"


@dataclass(frozen=True)
class HistoryRow:
    """One move of a due date or due state, and why."""

    obligation_key: str
    obligation_title: str
    changed_at: datetime
    old_date: date | None
    old_state: str | None
    new_date: date | None
    new_state: str
    reason: str


@dataclass(frozen=True)
class StatusChange:
    """One change of an obligation's status, by whom."""

    obligation_key: str
    obligation_title: str
    at: datetime
    actor: str
    old: str | None
    new: str
    note: str = ""


@dataclass(frozen=True)
class EvidenceRow:
    """One piece of evidence for an obligation: a file (name, SHA-256) or a link."""

    obligation_id: int
    obligation_key: str
    obligation_title: str
    origin: str  # who supplied it: "Vendor: Acme", later "Team"
    filename: str
    sha256: str
    size: int | None
    added_at: datetime
    valid_until: date | None
    link: str
    vendor_id: int | None = None  # None: evidence of the team's own


@dataclass(frozen=True)
class Answer:
    """A vendor's attested submission for one request."""

    signed_at: datetime
    signer: str
    signer_title: str
    statement: str
    files: tuple[str, ...]


@dataclass
class RequestRow:
    """One vendor's copy of a vendor-scoped obligation, as it stood."""

    obligation_id: int
    obligation_key: str
    obligation_title: str
    vendor_key: str
    vendor_name: str
    due_date: date | None
    due_state: str
    status: str
    status_reason: str
    answers: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class VendorRow:
    """A vendor as it stood: its name and status reconstructed, the rest as today."""

    key: str
    name: str
    status: str
    country: str
    categories: tuple[str, ...]
    markets: tuple[str, ...]
    team: str
    owner: str


@dataclass
class ObligationRow:
    """An obligation as it stood, with its history, status changes and evidence."""

    id: int
    key: str
    title: str
    team: str
    owner: str
    priority: str
    due_date: date | None
    due_state: str
    due_precision: str
    status: str
    why: str
    history: list[HistoryRow] = field(default_factory=list)
    status_changes: list[StatusChange] = field(default_factory=list)
    evidence: list[EvidenceRow] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def overdue(self, day: date) -> bool:
        return self.active and self.due_date is not None and self.due_date < day and self.due_state != "void"

    @property
    def waiting_on_event(self) -> bool:
        """Still to do, with a date that depends on an event not yet occurred."""
        return self.active and self.due_state in ("projected", "undated")


@dataclass(frozen=True)
class Bar:
    """One month of the timeline: how many open deadlines fall in it, firm and projected."""

    label: str
    firm: int
    projected: int

    @property
    def total(self) -> int:
        return self.firm + self.projected


@dataclass
class Report:
    """Everything one report says, in the order both formats say it."""

    organization: str
    scope: Scope
    as_of: date
    historical: bool  # True: the register as it stood at the end of `as_of`, reconstructed
    generated_at: datetime
    generated_by: str
    obligations: list[ObligationRow]
    vendors: list[VendorRow] = field(default_factory=list)
    requests: list[RequestRow] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Compliance report, {self.scope.label}, as of {self.as_of.isoformat()}"

    @property
    def has_vendor_part(self) -> bool:
        return self.scope.kind == "vendor" or bool(self.requests)

    @property
    def metadata_time(self) -> datetime:
        """The documents' created/modified stamp: the as-of day, never the clock (reproducible files)."""
        return datetime(self.as_of.year, self.as_of.month, self.as_of.day)

    def summary(self) -> dict[str, list[tuple[str, int]]]:
        """Counts by status, by due state, overdue, waiting on an event, vendor requests by status."""
        statuses = Counter(row.status for row in self.obligations)
        states = Counter(row.due_state for row in self.obligations)
        requests = Counter(row.status for row in self.requests)
        return {
            "Obligations by status": [(status_label(s), statuses[s]) for s in OBLIGATION_STATUSES],
            "Obligations by due state": [(s.capitalize(), states[s]) for s in DUE_STATES],
            "Attention": [
                ("Obligations", len(self.obligations)),
                ("Overdue", sum(row.overdue(self.as_of) for row in self.obligations)),
                ("Waiting on an event", sum(row.waiting_on_event for row in self.obligations)),
            ],
            "Vendor requests by status": [(status_label(s), requests[s]) for s in REQUEST_STATUSES],
        }

    def timeline(self) -> tuple[int, list[Bar], int, int]:
        """(overdue, the next TIMELINE_MONTHS months' bars, later, undated) of the active obligations."""
        months: dict[tuple[int, int], list[int]] = {}
        start = self.as_of.replace(day=1)
        keys = []
        cursor = start
        for _ in range(TIMELINE_MONTHS):
            keys.append((cursor.year, cursor.month))
            months[keys[-1]] = [0, 0]
            cursor = (cursor + timedelta(days=32)).replace(day=1)
        overdue = later = undated = 0
        for row in self.obligations:
            if not row.active or row.due_state == "void":
                continue
            if row.due_date is None:
                undated += 1
            elif row.overdue(self.as_of):
                overdue += 1
            elif (row.due_date.year, row.due_date.month) in months:
                months[(row.due_date.year, row.due_date.month)][row.due_state != "firm"] += 1
            else:
                later += 1
        bars = [Bar(date(y, m, 1).strftime("%b %Y"), *months[(y, m)]) for y, m in keys]
        return overdue, bars, later, undated
