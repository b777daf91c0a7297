"""The shapes of a validated regulation pack: limits, allowed values, typed specs, the error.

Everything the rest of the application reads after validation is defined here; the
checkers in the `check_*` modules build these specs, and `validate.py` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker.deadlines import RULES, DerivedEvent, EventStatus
from tracker.deadlines.expressions import COMBINATIONS
from tracker.fields import (  # noqa: F401 (the pack's limits are the services' limits)
    CITATION_MAX,
    EMAIL_MAX,
    JURISDICTION_MAX,
    KEY_MAX,
    LONG_TEXT_MAX,
    TIMEZONE_MAX,
    TITLE_MAX,
    URL_MAX,
    VALUE_SHOWN_MAX,
)
from tracker.models.vocabulary import ROLES, SOURCE_KINDS  # noqa: F401 (part of the pack vocabulary)

MAX_PACK_BYTES = 10 * 1024 * 1024

PACK_FORMAT = 1

DATE_TEXT_MAX = 100
RRULE_MAX = 1000
DETAIL_MAX = 200  # messages from other libraries are shortened to this

OFFSET_MAX_DAYS = 3650  # for "days" and "business_days"
OFFSET_MAX_MONTHS = 120

EVENT_STATUSES = tuple(status.value for status in EventStatus)
DEADLINE_RULES = tuple(RULES) + COMBINATIONS


@dataclass(frozen=True)
class ExistingKeys:
    """What the register already holds; pack references may point at these."""

    teams: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()  # normalized emails
    vendors: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MemberSpec:
    email: str
    name: str
    role: str


@dataclass(frozen=True)
class TeamSpec:
    key: str
    name: str
    timezone: str
    members: tuple[MemberSpec, ...]


@dataclass(frozen=True)
class WatchSpec:
    """A source's `watch`: one item of a regulator API, its stages mapped to event keys."""

    provider: str
    kind: str  # "bill", "document" or "docket"
    item: str  # normalised by the provider
    stages: tuple[tuple[str, str], ...]  # (stage, event key)
    auto_apply: bool = False


@dataclass(frozen=True)
class SourceSpec:
    key: str
    title: str
    kind: str
    jurisdiction: str
    citation: str
    url: str
    summary: str
    watch: WatchSpec | None = None


@dataclass(frozen=True)
class EventSpec:
    key: str
    source: str
    title: str
    status: str
    date: date | None  # first day of the window (PartialDate.first)
    precision: str  # the date's precision; "day" when there is no date
    description: str
    # A derived event ("derived": {"from", "offset", "unit", "calendar"}): its
    # date follows the event keyed `derived.base`; status and date are not given.
    derived: DerivedEvent | None = None


@dataclass(frozen=True)
class DeadlineSpec:
    rule: str
    date: date | None = None
    precision: str = "day"
    anchor: str | None = None
    offset: int = 0
    unit: str = "days"
    calendar: str | None = None
    rrule: str | None = None
    roll: str = "none"
    # earliest / latest: the parts in their JSON form (anchors are event keys).
    parts: tuple[dict, ...] | None = None

    @property
    def anchors(self) -> tuple[str, ...]:
        """Every event key the rule counts from."""
        if self.parts is not None:
            return tuple(p["anchor"] for p in self.parts if "anchor" in p)
        return (self.anchor,) if self.anchor else ()


@dataclass(frozen=True)
class ObligationSpec:
    key: str
    title: str
    team: str
    events: tuple[str, ...]
    deadline: DeadlineSpec
    owner: str | None
    description: str
    priority: str = "normal"
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContactSpec:
    name: str
    email: str
    role: str


@dataclass(frozen=True)
class VendorSpec:
    key: str
    name: str
    website: str
    country: str
    categories: tuple[str, ...]
    markets: tuple[str, ...]
    status: str
    team: str
    owner: str | None
    notes: str
    contacts: tuple[ContactSpec, ...]


@dataclass(frozen=True)
class VendorScopeSpec:
    """The `vendors` scope of an obligation (None: that list is not part of the scope)."""

    obligation: str
    categories: tuple[str, ...] | None
    markets: tuple[str, ...] | None
    keys: tuple[str, ...] | None


@dataclass(frozen=True)
class Pack:
    name: str
    teams: tuple[TeamSpec, ...]
    sources: tuple[SourceSpec, ...]
    events: tuple[EventSpec, ...]
    obligations: tuple[ObligationSpec, ...]
    vendors: tuple[VendorSpec, ...] = ()
    vendor_scopes: tuple[VendorScopeSpec, ...] = ()


class PackInvalid(Exception):
    """The pack has problems; `.errors` lists every one as `<path>: <reason>`."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))

    def __str__(self) -> str:
        return "\n".join(self.errors)
