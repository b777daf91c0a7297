"""Read queries of the vendor pages, the API, the dashboard and the obligation page.

Each runs a fixed number of statements whatever the number of vendors: the
matrix reads the vendors, the vendor-scoped obligations and their requests
once each, and joins them in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.db import db
from tracker.deadlines import due_date_note
from tracker.models import Obligation, ObligationVendorScope, Team, Vendor, VendorRequest
from tracker.models.vendors import REQUEST_OWED_STATUSES, REQUEST_STATUSES

REQUEST_STATUS_LABELS = {
    "open": "Open",
    "submitted": "Submitted",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "waived": "Waived",
    "not_applicable": "N/A",
}
# The matrix's state filter: a status, or "overdue" (derived, as for obligations).
MATRIX_STATES = REQUEST_STATUSES + ("overdue",)


def owed_overdue(todays: dict[int, date]):
    """A condition on VendorRequest joined to Obligation: still owed, due before the team's today,
    and not waiting on a stale estimate (tracker.register.estimates)."""
    from sqlalchemy import not_

    from tracker.register.estimates import LapsedByDay

    groups: dict[date, list[int]] = {}
    for team_id, today in todays.items():
        groups.setdefault(today, []).append(team_id)
    if not groups:
        return false()
    return and_(VendorRequest.status.in_(REQUEST_OWED_STATUSES), VendorRequest.due_date.is_not(None),
                or_(*(and_(Obligation.team_id.in_(ids), VendorRequest.due_date < today)
                      for today, ids in groups.items())),
                not_(and_(VendorRequest.due_state == "projected", LapsedByDay(todays).condition())))


def vendor_scoped_obligations(team_id: int | None = None, obligation_id: int | None = None) -> list[Obligation]:
    """Live vendor-scoped obligations, by due date then title, with their teams."""
    query = (select(Obligation).join(ObligationVendorScope, ObligationVendorScope.obligation_id == Obligation.id)
             .where(Obligation.deleted_at.is_(None)).options(joinedload(Obligation.team))
             .order_by(Obligation.due_date.is_(None), Obligation.due_date, Obligation.title, Obligation.id))
    if team_id is not None:
        query = query.where(Obligation.team_id == team_id)
    if obligation_id is not None:
        query = query.where(Obligation.id == obligation_id)
    return list(db.session.scalars(query))


def vendor_list(team_id: int | None = None, status: str = "", category: str = "", market: str = "",
                q: str = "", with_contacts: bool = False) -> list[Vendor]:
    """Vendors matching the list filters, by name (categories and markets filtered in memory:
    JSON containment differs between SQLite and PostgreSQL, and a register has hundreds of vendors)."""
    query = select(Vendor).options(joinedload(Vendor.team), joinedload(Vendor.owner)).order_by(Vendor.name, Vendor.id)
    if with_contacts:
        query = query.options(selectinload(Vendor.contacts))
    if team_id is not None:
        query = query.where(Vendor.team_id == team_id)
    if status:
        query = query.where(Vendor.status == status)
    if q:
        query = query.where(or_(Vendor.name.icontains(q, autoescape=True), Vendor.key.icontains(q, autoescape=True)))
    rows = list(db.session.scalars(query))
    if category:
        rows = [v for v in rows if category in (v.categories or [])]
    if market:
        rows = [v for v in rows if market in (v.markets or [])]
    return rows


def known_tags() -> tuple[list[str], list[str]]:
    """Every category and every market used by some vendor, sorted (for filter menus)."""
    categories, markets = set(), set()
    for cats, mkts in db.session.execute(select(Vendor.categories, Vendor.markets)):
        categories.update(cats or [])
        markets.update(mkts or [])
    return sorted(categories), sorted(markets)


@dataclass(frozen=True)
class Cell:
    """One request as the matrix shows it."""

    id: int
    status: str
    due_date: date | None
    due_state: str
    due_precision: str
    overdue_days: int

    @property
    def label(self) -> str:
        return REQUEST_STATUS_LABELS[self.status]

    @property
    def due_text(self) -> str:
        if self.due_date is None:
            return "no date yet"
        note = due_date_note(self.due_date, self.due_precision)
        return f"{self.due_date.isoformat()} ({note})" if note and not note.startswith("from ") else self.due_date.isoformat()

    @property
    def state(self) -> str:
        """The status, or 'overdue' when the vendor still owes it past its date."""
        return "overdue" if self.overdue_days > 0 else self.status


@dataclass
class Matrix:
    vendors: list[Vendor]
    obligations: list[Obligation]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)

    def cell(self, vendor_id: int, obligation_id: int) -> Cell | None:
        return self.cells.get((vendor_id, obligation_id))


def build_matrix(todays: dict[int, date], team_id: int | None = None, category: str = "", market: str = "",
                 obligation_id: int | None = None, state: str = "") -> Matrix:
    """Vendors (rows) x vendor-scoped obligations (columns), each cell the request if there is one.

    With a `state`, only vendors with at least one request in that state are kept.
    """
    obligations = vendor_scoped_obligations(obligation_id=obligation_id)
    vendors = vendor_list(team_id=team_id, category=category, market=market)
    matrix = Matrix(vendors=vendors, obligations=obligations)
    if not obligations or not vendors:
        matrix.vendors = [] if state else vendors
        return matrix
    team_of = {ob.id: ob.team_id for ob in obligations}
    query = select(VendorRequest.id, VendorRequest.vendor_id, VendorRequest.obligation_id, VendorRequest.status,
                   VendorRequest.due_date, VendorRequest.due_state, VendorRequest.due_precision)
    if obligation_id is not None:
        query = query.where(VendorRequest.obligation_id == obligation_id)
    vendor_ids = {v.id for v in vendors}
    for row in db.session.execute(query):
        if row.vendor_id not in vendor_ids or row.obligation_id not in team_of:
            continue
        today = todays.get(team_of[row.obligation_id])
        overdue = 0
        if (today is not None and row.due_date is not None and row.status in REQUEST_OWED_STATUSES
                and row.due_date < today):
            overdue = (today - row.due_date).days
        matrix.cells[(row.vendor_id, row.obligation_id)] = Cell(
            row.id, row.status, row.due_date, row.due_state, row.due_precision, overdue)
    if state:
        keep = {vendor_id for (vendor_id, _), cell in matrix.cells.items()
                if cell.state == state or (state != "overdue" and cell.status == state)}
        matrix.vendors = [v for v in vendors if v.id in keep]
    return matrix


@dataclass(frozen=True)
class Progress:
    """How far the collection of one vendor-scoped obligation has come."""

    total: int
    counts: dict[str, int]
    overdue: int

    def summary(self) -> str:
        """'12 of 40 accepted, 5 overdue' (requests not applicable are not counted)."""
        text = f"{self.counts.get('accepted', 0)} of {self.total} accepted"
        extras = [f"{self.counts[s]} {REQUEST_STATUS_LABELS[s].lower()}" for s in ("submitted", "rejected", "waived")
                  if self.counts.get(s)]
        extras.append(f"{self.overdue} overdue")
        return ", ".join([text] + extras)


def obligation_requests(obligation: Obligation) -> list[VendorRequest]:
    """The obligation's requests with their vendors, by vendor name."""
    return list(db.session.scalars(
        select(VendorRequest).join(Vendor, Vendor.id == VendorRequest.vendor_id)
        .where(VendorRequest.obligation_id == obligation.id)
        .options(joinedload(VendorRequest.vendor)).order_by(Vendor.name, Vendor.id)))


def progress_of(requests: list[VendorRequest], today: date) -> Progress:
    counts: dict[str, int] = {}
    for request in requests:
        counts[request.status] = counts.get(request.status, 0) + 1
    total = sum(n for status, n in counts.items() if status != "not_applicable")
    return Progress(total, counts, sum(1 for r in requests if r.is_overdue(today)))


def dashboard_counts(team_ids: list[int] | None, todays: dict[int, date]) -> dict[str, int]:
    """Requests overdue and awaiting review (submitted), of the given teams' obligations (None: all)."""
    base = (select(func.count(VendorRequest.id)).join(Obligation, Obligation.id == VendorRequest.obligation_id)
            .where(Obligation.deleted_at.is_(None)))
    if team_ids is not None:
        base = base.where(Obligation.team_id.in_(team_ids))
    return {"overdue": db.session.scalar(base.where(owed_overdue(todays))) or 0,
            "awaiting_review": db.session.scalar(base.where(VendorRequest.status == "submitted")) or 0}


def vendor_requests(vendor: Vendor) -> list[VendorRequest]:
    """A vendor's requests on live obligations, with their obligations and teams, by due date."""
    return list(db.session.scalars(
        select(VendorRequest).join(Obligation, Obligation.id == VendorRequest.obligation_id)
        .where(VendorRequest.vendor_id == vendor.id, Obligation.deleted_at.is_(None))
        .options(joinedload(VendorRequest.obligation).joinedload(Obligation.team))
        .order_by(VendorRequest.due_date.is_(None), VendorRequest.due_date, VendorRequest.id)))


def team_names() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def evidence_url(evidence_id: int) -> str:
    """Where API token holders download one evidence file (served as an attachment); the web page's
    signed-in users have /vendors/evidence/<id>."""
    from flask import current_app

    return f"{current_app.config['TRACKER_BASE_URL'].rstrip('/')}/api/v1/vendor-evidence/{evidence_id}"


def evidence_and_attestations(request_ids: list[int]) -> tuple[dict[int, list], dict[int, object]]:
    """Each request's evidence (oldest first) and newest attestation, in two statements."""
    from tracker.models import VendorAttestation, VendorEvidence

    if not request_ids:
        return {}, {}
    evidence: dict[int, list] = {}
    for row in db.session.scalars(select(VendorEvidence).where(VendorEvidence.request_id.in_(request_ids))
                                  .order_by(VendorEvidence.id)):
        evidence.setdefault(row.request_id, []).append(row)
    attestations: dict[int, object] = {}
    for row in db.session.scalars(select(VendorAttestation).where(VendorAttestation.request_id.in_(request_ids))
                                  .order_by(VendorAttestation.id)):
        attestations[row.request_id] = row
    return evidence, attestations
