"""/api/v1/vendors (CRUD, as for sources), /api/v1/vendor-requests (list, get) and an
obligation's vendor scope (/api/v1/obligations/<id>/vendor-scope)."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.api.core import (
    ApiProblem, api_user, created, id_page, load_row, locked_row, next_link, no_content, operation, respond,
)
from tracker.api.representations import Links, TeamRef, UserRef
from tracker.api.vendor_schemas import (
    AttestationOut, ContactOut, EvidenceOut, ObligationRef, ScopeIn, ScopeOut, VendorCreate, VendorOut,
    VendorPage, VendorPatch, VendorQuery, VendorRef, VendorRequestOut, VendorRequestPage, VendorRequestQuery,
)
from tracker.audit import Actor
from tracker.db import db
from tracker.models import Obligation, Team, Vendor, VendorRequest
from tracker.people import permissions
from tracker.register.queries import team_todays
from tracker.vendors.fanout import scope_of
from tracker.vendors.queries import evidence_and_attestations, evidence_url
from tracker.vendors.operations import add_contact, create_vendor, delete_vendor, remove_contact, update_contact, update_vendor
from tracker.vendors.requests import clear_scope, normalized_scope, scope_row, set_scope


def vendor_out(vendor: Vendor) -> VendorOut:
    return VendorOut(
        id=vendor.id, key=vendor.key, name=vendor.name, website=vendor.website, country=vendor.country,
        categories=list(vendor.categories or []), markets=list(vendor.markets or []), status=vendor.status,
        team=TeamRef(id=vendor.team.id, key=vendor.team.key, name=vendor.team.name),
        owner=UserRef(id=vendor.owner.id, email=vendor.owner.email, name=vendor.owner.name) if vendor.owner else None,
        notes=vendor.notes or "",
        contacts=[ContactOut(id=c.id, name=c.name, email=c.email, role=c.role, reminders_opt_out=c.reminders_opt_out)
                  for c in vendor.contacts],
        created_at=vendor.created_at, updated_at=vendor.updated_at,
        links=Links(self=url_for("api.get_vendor", vendor_id=vendor.id),
                    html=url_for("vendors.detail", vendor_id=vendor.id)))


def request_out(request: VendorRequest, evidence: list, attestation, todays: dict) -> VendorRequestOut:
    today = todays.get(request.obligation.team_id)
    return VendorRequestOut(
        id=request.id, vendor=VendorRef(key=request.vendor.key, name=request.vendor.name),
        obligation=ObligationRef(key=request.obligation.key, title=request.obligation.title),
        due_date=request.due_date, due_state=request.due_state, due_precision=request.due_precision,
        revision=request.revision, status=request.status, status_reason=request.status_reason or "",
        overdue=bool(today and request.is_overdue(today)),
        stale_estimate=bool(today and request.waits_on_stale_estimate(today)), submitted_at=request.submitted_at,
        evidence=[EvidenceOut(filename=e.filename, content_type=e.content_type, size=e.size, sha256=e.sha256,
                              valid_until=e.valid_until, url=evidence_url(e.id)) for e in evidence],
        attestation=AttestationOut(signer_name=attestation.signer_name, signer_title=attestation.signer_title,
                                   statement=attestation.statement, signed_at=attestation.signed_at)
        if attestation is not None else None,
        links=Links(self=url_for("api.get_vendor_request", request_id=request.id),
                    html=url_for("vendors.detail", vendor_id=request.vendor_id)))


def _require_vendor_team(team_id: int | None) -> None:
    permissions.require(team_id is None or permissions.may_edit_team(api_user(), team_id),
                        "vendors are managed by their team: this needs the editor role in that team")


def _require_obligation_editor(obligation: Obligation) -> None:
    permissions.require(permissions.may_edit_obligation(api_user(), obligation),
                        "this obligation belongs to another team: this needs the editor role in that team")


def _vendor(vendor_id: int) -> Vendor:
    return load_row(Vendor, vendor_id, "vendor")


def _locked_vendor(vendor_id: int) -> Vendor:
    return locked_row(Vendor, vendor_id, "vendor", vendor_out)


@operation("GET", "/vendors", summary="List vendors", tag="vendors", query=VendorQuery, response=VendorPage,
           errors=(422,))
def list_vendors(query: VendorQuery):
    stmt = select(Vendor).options(joinedload(Vendor.team), joinedload(Vendor.owner), selectinload(Vendor.contacts))
    if query.team is not None:
        stmt = stmt.join(Team, Team.id == Vendor.team_id).where(Team.key == query.team)
    if query.status is not None:
        stmt = stmt.where(Vendor.status == query.status)
    if query.q:
        stmt = stmt.where(or_(Vendor.name.icontains(query.q, autoescape=True),
                              Vendor.key.icontains(query.q, autoescape=True)))
    if query.category or query.market:
        # JSON containment differs per database: filter in memory, page by id.
        rows = [v for v in db.session.scalars(stmt.order_by(Vendor.id))
                if (not query.category or query.category in (v.categories or []))
                and (not query.market or query.market.upper() in (v.markets or []))]
        return respond(VendorPage(items=[vendor_out(v) for v in rows], next=None), etag=False)
    rows, cursor = id_page(stmt, Vendor, query.limit, query.cursor)
    return respond(VendorPage(items=[vendor_out(v) for v in rows], next=next_link(cursor)), etag=False)


@operation("POST", "/vendors", summary="Create a vendor", tag="vendors", role="editor", body=VendorCreate,
           response=VendorOut, status=201, errors=(409,),
           description="The vendor gains a request for every vendor-scoped obligation whose scope it is in.")
def create_vendor_view(body: VendorCreate):
    values = body.model_dump()
    _require_vendor_team(values.get("team_id"))
    vendor = create_vendor(Actor.of(api_user()), **values)
    return created(vendor_out(_vendor(vendor.id)))


@operation("GET", "/vendors/<int:vendor_id>", summary="Read a vendor", tag="vendors", response=VendorOut, etag=True)
def get_vendor(vendor_id: int):
    return respond(vendor_out(_vendor(vendor_id)))


def _replace_contacts(vendor: Vendor, wanted: list[dict], actor: Actor) -> None:
    by_email = {c.email: c for c in vendor.contacts}
    from tracker.fields import normalize_email

    kept = set()
    for index, item in enumerate(wanted):
        email, _ = normalize_email(item["email"])
        contact = by_email.get(email or "")
        try:
            if contact is None:
                add_contact(vendor, actor, commit=False, **item)
            else:
                update_contact(contact, actor, commit=False, **item)
        except Exception as exc:
            from tracker.errors import ValidationFailed

            if isinstance(exc, ValidationFailed):
                raise ValidationFailed({f"contacts/{index}/{k}": v for k, v in exc.errors.items()}) from None
            raise
        kept.add(email)
    for email, contact in by_email.items():
        if email not in kept:
            remove_contact(contact, actor, commit=False)


@operation("PATCH", "/vendors/<int:vendor_id>", summary="Edit a vendor", tag="vendors", role="editor",
           body=VendorPatch, response=VendorOut, etag=True, if_match=True, errors=(409,),
           description="Scopes are re-evaluated: a vendor leaving one keeps its request, not applicable.")
def update_vendor_view(vendor_id: int, body: VendorPatch):
    vendor = _locked_vendor(vendor_id)
    actor = Actor.of(api_user())
    values = body.model_dump(exclude_unset=True)
    _require_vendor_team(vendor.team_id)
    if values.get("team_id") is not None:
        _require_vendor_team(values["team_id"])
    contacts = values.pop("contacts", None)
    update_vendor(vendor, actor, commit=False, **values)
    if contacts is not None:
        _replace_contacts(vendor, contacts, actor)
    db.session.commit()
    return respond(vendor_out(_vendor(vendor_id)))


@operation("DELETE", "/vendors/<int:vendor_id>", summary="Delete a vendor", tag="vendors", role="editor",
           status=204, if_match=True, errors=(409,),
           description="Refused (409) once the vendor has requests: offboard it instead (PATCH status).")
def delete_vendor_view(vendor_id: int):
    vendor = _locked_vendor(vendor_id)
    _require_vendor_team(vendor.team_id)
    delete_vendor(vendor, Actor.of(api_user()))
    return no_content()


# ---- vendor requests ----

def _request_query():
    return select(VendorRequest).join(Obligation, Obligation.id == VendorRequest.obligation_id).where(
        Obligation.deleted_at.is_(None)).options(joinedload(VendorRequest.vendor), joinedload(VendorRequest.obligation))


def _requests_out(rows: list[VendorRequest]) -> list[VendorRequestOut]:
    evidence, attestations = evidence_and_attestations([r.id for r in rows])
    todays = team_todays()
    user = api_user()
    readable = {r.id for r in rows if permissions.may_read_answers(user, r)}  # answers: the owning teams only
    return [request_out(r, evidence.get(r.id, []) if r.id in readable else [],
                        attestations.get(r.id) if r.id in readable else None, todays) for r in rows]


@operation("GET", "/vendor-requests", summary="List vendor requests", tag="vendors", query=VendorRequestQuery,
           response=VendorRequestPage, errors=(422,))
def list_vendor_requests(query: VendorRequestQuery):
    stmt = _request_query()
    if query.obligation is not None:
        stmt = stmt.where(Obligation.key == query.obligation)
    if query.vendor is not None:
        keys = [k.strip() for k in query.vendor.split(",") if k.strip()]
        stmt = stmt.where(VendorRequest.vendor_id.in_(select(Vendor.id).where(Vendor.key.in_(keys))))
    if query.status is not None:
        stmt = stmt.where(VendorRequest.status == query.status)
    rows, cursor = id_page(stmt, VendorRequest, query.limit, query.cursor)
    return respond(VendorRequestPage(items=_requests_out(rows), next=next_link(cursor)), etag=False)


@operation("GET", "/vendor-requests/<int:request_id>", summary="Read a vendor request", tag="vendors",
           response=VendorRequestOut, etag=True)
def get_vendor_request(request_id: int):
    row = db.session.scalar(_request_query().where(VendorRequest.id == request_id))
    if row is None:
        raise ApiProblem(404, f"no vendor request {request_id}")
    return respond(_requests_out([row])[0])


# ---- vendor scope of an obligation ----

def _scope_out(obligation: Obligation, counts: dict | None = None) -> ScopeOut:
    row = scope_row(obligation)
    if row is None:
        raise ApiProblem(404, f"obligation {obligation.id} is not collected from vendors")
    scope = scope_of(row)
    return ScopeOut(obligation_id=obligation.id, categories=list(scope.categories) if scope.categories else None,
                    markets=list(scope.markets) if scope.markets else None,
                    keys=list(scope.keys) if scope.keys else None, description=scope.describe(), **(counts or {}))


def _obligation(obligation_id: int) -> Obligation:
    obligation = db.session.get(Obligation, obligation_id)
    if obligation is None or obligation.deleted_at is not None:
        raise ApiProblem(404, f"no obligation {obligation_id}")
    return obligation


@operation("GET", "/obligations/<int:obligation_id>/vendor-scope", summary="Read an obligation's vendor scope",
           tag="vendors", response=ScopeOut)
def get_vendor_scope(obligation_id: int):
    return respond(_scope_out(_obligation(obligation_id)), etag=False)


@operation("PUT", "/obligations/<int:obligation_id>/vendor-scope", summary="Collect an obligation from vendors",
           tag="vendors", role="editor", body=ScopeIn, response=ScopeOut, errors=(422,),
           description="Fans out one request per vendor in scope; the counts say what changed.")
def put_vendor_scope(obligation_id: int, body: ScopeIn):
    obligation = _obligation(obligation_id)
    _require_obligation_editor(obligation)
    counts = set_scope(obligation, normalized_scope(body.categories, body.markets, body.keys),
                       Actor.of(api_user()))
    return respond(_scope_out(obligation, counts), etag=False)


@operation("DELETE", "/obligations/<int:obligation_id>/vendor-scope", summary="Stop collecting from vendors",
           tag="vendors", role="editor", status=204,
           description="The requests are kept, marked not applicable.")
def delete_vendor_scope(obligation_id: int):
    obligation = _obligation(obligation_id)
    _require_obligation_editor(obligation)
    clear_scope(obligation, Actor.of(api_user()))
    return no_content()
