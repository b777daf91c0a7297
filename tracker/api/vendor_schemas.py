"""Request and response schemas of /api/v1/vendors, /api/v1/vendor-requests and vendor scopes.

Field rules come from tracker.fields (the same as the forms, the services and the packs).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from tracker.api.representations import Links, Out, TeamRef, UserRef
from tracker.api.schemas import Body, Cursor, Description, Id, Key, Name, Query, Search, Url, _line, patch_of
from tracker.fields import CATEGORY_MAX, LIST_ITEMS_MAX, check_category, check_country, check_jurisdiction
from tracker.models.vendors import CONTACT_ROLES, REQUEST_STATUSES, VENDOR_STATUSES


def _rule(check):
    def run(value: str) -> str:
        value = value.strip()
        if problem := check(value):
            raise ValueError(problem)
        return value
    return AfterValidator(run)


Category = Annotated[str, Field(min_length=1, max_length=CATEGORY_MAX, examples=["gpu_hardware"]),
                     _rule(check_category)]
Market = Annotated[str, Field(min_length=2, max_length=10, examples=["US-CA"]), _rule(check_jurisdiction)]
Country = Annotated[str, Field(max_length=2, examples=["US"], description="ISO 3166 alpha-2, or empty"),
                    _rule(check_country)]
VendorStatusName = Literal[VENDOR_STATUSES]  # type: ignore[valid-type]
RequestStatusName = Literal[REQUEST_STATUSES]  # type: ignore[valid-type]
ContactRole = Literal[CONTACT_ROLES]  # type: ignore[valid-type]
Categories = Annotated[list[Category], Field(max_length=LIST_ITEMS_MAX)]
Markets = Annotated[list[Market], Field(max_length=LIST_ITEMS_MAX)]


class ContactIn(Body):
    name: _line(300) = ""
    email: Annotated[str, Field(min_length=3, max_length=320, examples=["ana@acme.example"])]
    role: ContactRole = "primary"
    reminders_opt_out: bool = False


class VendorCreate(Body):
    key: Key
    name: Name
    website: Url = ""
    country: Country = ""
    categories: Categories = []
    markets: Markets = []
    status: VendorStatusName = "active"
    team_id: Id
    owner_id: Id | None = None
    notes: Description = ""
    contacts: Annotated[list[ContactIn], Field(max_length=50)] = []


VendorPatch = patch_of(VendorCreate,
                       "Only the fields given change; `contacts` replaces the list (matched by email).")

class VendorQuery(Query):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Cursor | None = None
    team: Annotated[_line(100), Field(description="Team key")] | None = None
    status: VendorStatusName | None = None
    category: _line(CATEGORY_MAX) | None = None
    market: _line(10) | None = None
    q: Search | None = None


class VendorRequestQuery(Query):
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    cursor: Cursor | None = None
    obligation: Annotated[_line(100), Field(description="Obligation key")] | None = None
    vendor: Annotated[_line(2000), Field(description="Vendor key, or several separated by commas")] | None = None
    status: RequestStatusName | None = None


class ScopeIn(Body):
    """Either `keys`, or `categories` (a vendor needs all) and/or `markets` (a vendor needs one)."""

    categories: Categories | None = None
    markets: Markets | None = None
    keys: Annotated[list[Key], Field(max_length=1000)] | None = None


# ---- responses ----

class ContactOut(Out):
    id: int
    name: str
    email: str
    role: ContactRole
    reminders_opt_out: bool


class VendorOut(Out):
    id: int
    key: str
    name: str
    website: str
    country: str
    categories: list[str]
    markets: list[str]
    status: VendorStatusName
    team: TeamRef
    owner: UserRef | None
    notes: str
    contacts: list[ContactOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    links: Links


class VendorPage(Out):
    items: list[VendorOut]
    next: str | None


class VendorRef(Out):
    key: str
    name: str


class ObligationRef(Out):
    key: str
    title: str


class EvidenceOut(Out):
    filename: str
    content_type: str
    size: int
    sha256: str
    valid_until: dt.date | None
    url: str


class AttestationOut(Out):
    signer_name: str
    signer_title: str
    statement: str
    signed_at: dt.datetime


class VendorRequestOut(Out):
    id: int
    vendor: VendorRef
    obligation: ObligationRef
    due_date: dt.date | None
    due_state: Literal["firm", "projected", "undated", "void"]
    due_precision: str
    revision: int
    status: RequestStatusName
    status_reason: str
    overdue: bool
    stale_estimate: bool
    submitted_at: dt.datetime | None
    evidence: list[EvidenceOut]
    attestation: AttestationOut | None
    links: Links


class VendorRequestPage(Out):
    items: list[VendorRequestOut]
    next: str | None


class ScopeOut(Out):
    obligation_id: int
    categories: list[str] | None
    markets: list[str] | None
    keys: list[str] | None
    description: str
    created: int = 0
    closed: int = 0
    reopened: int = 0
