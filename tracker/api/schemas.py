"""Request schemas: they validate every body and query, and they are the OpenAPI components.

Bodies are strict (JSON types only: "12" is not 12, unknown fields are refused).
Query strings are text by nature, so query models convert ("limit=20" is 20).
Text, keys, jurisdictions, URLs and time zones are checked by tracker.fields: the
same functions, and so the same words, as the forms, the services and the packs.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from tracker.deadlines import MAX_YEAR, MIN_YEAR, PRECISIONS, parse_partial_date
from tracker.models import OBLIGATION_STATUSES, SOURCE_KINDS
from tracker.work.vocabulary import PRIORITIES, TAG_MAX, TAGS_MAX
from tracker.fields import (
    CITATION_MAX, JURISDICTION_MAX, KEY_MAX, LONG_TEXT_MAX, TIMEZONE_MAX, TITLE_MAX, URL_MAX,
    check_jurisdiction, check_key, check_line, check_text, check_timezone, check_url,
)


def _line(max_length: int, required: bool = False):
    def check(value: str) -> str:
        problem = check_line(value, max_length, required)
        if problem:
            raise ValueError(problem)
        return value.strip()

    return Annotated[str, Field(min_length=1 if required else 0, max_length=max_length), AfterValidator(check)]


def _text(max_length: int):
    def check(value: str) -> str:
        problem = check_text(value, max_length)
        if problem:
            raise ValueError(problem)
        return value

    return Annotated[str, Field(max_length=max_length), AfterValidator(check)]


def _rule(check):
    """An AfterValidator running one rule of tracker.fields on the stripped value."""
    def run(value: str) -> str:
        value = value.strip()
        problem = check(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(run)


def _supported_year(value: dt.date) -> dt.date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"use a year between {MIN_YEAR} and {MAX_YEAR}")
    return value


def _partial_date(value: str) -> str:
    parse_partial_date(value)  # ValueError with a message fit for the client
    return value


Key = Annotated[str, Field(min_length=1, max_length=KEY_MAX, examples=["ca-vendor-cert"],
                           description="A stable identifier: letters, digits and . _ : -"),
                _rule(check_key)]
Title = _line(TITLE_MAX, required=True)
Name = _line(TITLE_MAX, required=True)
Description = _text(LONG_TEXT_MAX)
PartialDateText = Annotated[str, Field(pattern=r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?|-Q[1-4])?$",
                                       description="YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY",
                                       examples=["2026-07-01", "2026-07", "2026-Q3", "2026"]),
                            AfterValidator(_partial_date)]
Precision = Literal[PRECISIONS]  # type: ignore[valid-type]
EventStatusName = Literal["occurred", "expected", "speculative", "withdrawn"]
ObligationStatusName = Literal[OBLIGATION_STATUSES]  # type: ignore[valid-type]
DueStateName = Literal["firm", "projected", "undated", "void"]
PriorityName = Literal[PRIORITIES]  # type: ignore[valid-type]
TagText = Annotated[str, Field(min_length=1, max_length=TAG_MAX, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                               description="A short label: letters, digits and . _ - (stored lower-case)")]
TagList = Annotated[list[TagText], Field(max_length=TAGS_MAX)]
SourceKind = Literal[SOURCE_KINDS]  # type: ignore[valid-type]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Jurisdiction = Annotated[str, Field(min_length=2, max_length=JURISDICTION_MAX, examples=["US-CA"],
                                    description="US, US-CA, EU, DE ..."), _rule(check_jurisdiction)]
Url = Annotated[_line(URL_MAX), Field(description="An http:// or https:// address, or empty"), _rule(check_url)]
Calendar = Annotated[str, Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,10})?$", max_length=13)]
TimeZone = Annotated[str, Field(min_length=1, max_length=TIMEZONE_MAX, examples=["Europe/Berlin"],
                                description="IANA time zone name"), _rule(check_timezone)]
# Query text: no control characters either (PostgreSQL refuses NUL in a string outright).
Cursor = Annotated[_line(500), Field(description="Opaque: the `next` link of the previous page carries it")]
Search = Annotated[_line(200), Field(description="Words in the key or title (case-insensitive)")]


class Body(BaseModel):
    """A request body: strict JSON types, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


def patch_of(create: type[Body], doc: str | None = None, exclude: tuple[str, ...] = (), **fields: Any) -> type[Body]:
    """The PATCH body of a resource: each field of its create body, optional (None: unchanged).

    Declared once, so a field added to a create body can be edited too, with the same checks.
    `fields` add or replace fields (`name=(type, FieldInfo or default)`); `exclude` leaves some out.
    """
    derived: dict[str, Any] = {}
    for name, info in create.model_fields.items():
        if name not in exclude:
            checks = Field(description=info.description, examples=info.examples, discriminator=info.discriminator)
            derived[name] = (Optional[Annotated[(info.annotation, *info.metadata, checks)]], None)
    derived.update(fields)
    name = create.__name__.removesuffix("Create").removesuffix("In") + "Patch"  # VendorCreate -> VendorPatch
    return create_model(name, __base__=Body, __doc__=doc, __module__=create.__module__, **derived)


class Query(BaseModel):
    """Query string parameters: converted from text, unknown ones refused."""

    model_config = ConfigDict(extra="forbid")


# ---- deadline rules ----

Roll = Annotated[Literal["none", "following", "preceding"], Field(
    description="When the computed day is not a working day of the rule's calendar, move it to the "
                "next (following) or previous (preceding) working day")]
RollCalendar = Annotated[Calendar, Field(description="Holiday calendar for business days and the roll "
                                                     "(default: the anchor's jurisdiction, else US)")]


class FixedRule(Body):
    """A fixed date; an imprecise one ("2026-07") is due on the first day of its window."""

    rule: Literal["fixed"]
    date: PartialDateText
    precision: Precision | None = Field(None, description="Must agree with the form of `date` when given")
    roll: Roll = "none"
    calendar: RollCalendar | None = None


class RelativeRule(Body):
    """A signed offset counted from an anchor event (the anchor day is day 0); the anchor may be derived."""

    rule: Literal["relative"]
    anchor_event_id: Id
    offset: Annotated[int, Field(ge=-3650, le=3650)] = 0
    unit: Literal["days", "business_days", "months"] = "days"
    calendar: Calendar | None = Field(None, description="Holiday calendar for business days and the roll")
    roll: Roll = "none"


class RecurringRule(Body):
    """A first due date and an RFC 5545 RRULE subset (FREQ=YEARLY, MONTHLY...)."""

    rule: Literal["recurring"]
    date: Annotated[dt.date, Field(description="First due date, YYYY-MM-DD (years 1900-2200)"),
                    AfterValidator(_supported_year)]
    rrule: Annotated[_line(200, required=True), Field(examples=["FREQ=YEARLY"])]
    roll: Roll = "none"
    calendar: RollCalendar | None = None


PartIn = Annotated[Union[FixedRule, RelativeRule], Field(discriminator="rule")]
Parts = Annotated[list[PartIn], Field(min_length=2, max_length=20,
                                      description="2 to 20 fixed or relative rules (not recurring)")]


class EarliestRule(Body):
    """The earliest date among the parts that have one (void parts ignored).

    Firm only when every non-void part is firm; undated when no part has a
    date; void when every part is void; else projected.
    """

    rule: Literal["earliest"]
    of: Parts
    roll: Roll = "none"
    calendar: RollCalendar | None = None


class LatestRule(Body):
    """The latest date among the parts that have one ("whichever is later"); due state as for earliest."""

    rule: Literal["latest"]
    of: Parts
    roll: Roll = "none"
    calendar: RollCalendar | None = None


DeadlineIn = Annotated[Union[FixedRule, RelativeRule, RecurringRule, EarliestRule, LatestRule],
                       Field(discriminator="rule")]


# ---- obligations ----

class ObligationCreate(Body):
    key: Key
    title: Title
    description: Description = ""
    team_id: Id
    owner_id: Id | None = None
    owner: Annotated[str, Field(max_length=320, description="The owner's email (instead of owner_id); "
                                                            "a member of the team")] | None = None
    priority: PriorityName = "normal"
    tags: TagList = []
    event_ids: Annotated[list[Id], Field(max_length=100)] = []
    deadline: DeadlineIn


ObligationPatch = patch_of(ObligationCreate, "Only the fields given change; `owner_id: null` removes the owner.")

class StatusChange(Body):
    """Waiving needs a note; done on a recurring obligation moves it to the next occurrence."""

    status: ObligationStatusName
    note: _text(2000) = ""


class ObligationQuery(Query):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Cursor | None = None
    team: Annotated[_line(100), Field(description="Team key")] | None = None
    team_id: Id | None = None
    owner_id: Id | None = None
    owner: Annotated[str, Field(max_length=320, description="'me', 'none' (no owner) or an owner's email")] | None = None
    priority: PriorityName | None = None
    tag: TagText | None = None
    status: ObligationStatusName | None = None
    due_state: DueStateName | None = None
    due_before: Annotated[dt.date, Field(description="Due on or before this date")] | None = None
    due_after: Annotated[dt.date, Field(description="Due on or after this date")] | None = None
    q: Search | None = None


class CsvQuery(ObligationQuery):
    """The list's filters; every matching obligation (no pages)."""

    limit: Annotated[int, Field(ge=1, le=200, description="Ignored: the CSV has every row")] = 50


# ---- sources and events ----

class SourceCreate(Body):
    key: Key
    title: Title
    kind: SourceKind = "other"
    jurisdiction: Jurisdiction = "US"
    citation: _line(CITATION_MAX) = ""
    url: Url = ""
    summary: Description = ""


SourcePatch = patch_of(SourceCreate)

class SourceQuery(Query):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Cursor | None = None
    kind: SourceKind | None = None
    jurisdiction: _line(10) | None = None
    q: Search | None = None


class Derived(Body):
    """A derived event's date: `offset` `unit` after (negative: before) the event `from_event_id`.

    It takes that event's certainty (occurred: firm, expected: projected,
    speculative: undated, withdrawn: void); chains may be of any length, a cycle is refused.
    """

    from_event_id: Id
    offset: Annotated[int, Field(ge=-3650, le=3650)] = 0
    unit: Literal["days", "business_days", "months"] = "days"
    calendar: Calendar | None = Field(None, description="Holiday calendar for business days")


class EventCreate(Body):
    """`date` is the occurrence date when occurred, the estimate when expected.

    With `derived`, the event's date follows another event: give no `status` or `date`.
    """

    key: Key
    source_id: Id
    title: Title
    description: Description = ""
    status: EventStatusName | None = None
    date: PartialDateText | None = None
    precision: Precision | None = None
    derived: Derived | None = None


EventPatch = patch_of(
    EventCreate, """Text fields edit the event; status/date/precision record a change of its date,
    moving every anchored deadline (the same service as the UI).""",
    derived=(Optional[Derived], Field(None, description="Make the event's date follow another event (or change "
                                                        "how it follows): every deadline down the chain moves")))

class Occurrence(Body):
    """What happened: the date it occurred on (a partial date is allowed)."""

    date: PartialDateText
    precision: Precision | None = None


class EventQuery(Query):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Cursor | None = None
    source_id: Id | None = None
    status: EventStatusName | None = None
    q: Search | None = None


class OccurrenceQuery(Query):
    dry_run: Annotated[bool, Field(description="1: only preview the deadlines that would move")] = False


# ---- teams ----

LeadDays = Annotated[list[Annotated[int, Field(ge=0, le=365)]], Field(min_length=0, max_length=10)]


class TeamCreate(Body):
    key: Key
    name: Name
    timezone: TimeZone = "UTC"
    reminder_lead_days: LeadDays = [30, 7, 1, 0]
    overdue_every_days: Annotated[int, Field(ge=0, le=365)] = 7
    remind_projected: bool = True
    digest_weekday: Annotated[int, Field(ge=0, le=6, description="0 = Monday; null: no digest")] | None = 0


TeamPatch = patch_of(TeamCreate)

class TeamQuery(Query):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Cursor | None = None
