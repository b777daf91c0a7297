"""The vendor register: list (filters, search, CSV), detail, create, edit, offboard, contacts."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.fields import split_list
from tracker.forms import ConfirmForm
from tracker.forms.errors import as_choices
from tracker.forms.vendors import ContactForm, VendorForm
from tracker.models import AuditEntry, User, Vendor, VendorContact, VendorEvidence, VendorRequestHistory, VendorRequest
from tracker.models.vendors import VENDOR_STATUSES
from tracker.navigation import add_nav_item
from tracker.people import permissions
from tracker.people.auth import editor_required
from tracker.register.queries import team_todays
from tracker.vendors.contact_feeds import revoke_vendor_feeds
from tracker.vendors.exports import vendors_csv
from tracker.vendors.queries import REQUEST_STATUS_LABELS, known_tags, team_names, vendor_list, vendor_requests
from tracker.vendors.operations import (
    add_contact, create_vendor, offboard_vendor, remove_contact, update_contact, update_vendor,
)
from tracker.views.common import actor, after_save, choice_arg, int_arg, load_or_404, refuse, save_form

bp = Blueprint("vendors", __name__)
SERVICE_ALIASES = {"email": "email"}


def list_filters() -> dict:
    """The list's filters from the query string; unknown values are ignored."""
    categories, markets = known_tags()
    return {
        "team_id": int_arg("team"),
        "status": choice_arg("status", VENDOR_STATUSES),
        "category": choice_arg("category", categories),
        "market": choice_arg("market", markets),
        "q": "".join(ch for ch in request.args.get("q", "") if ch.isprintable())[:200].strip(),
    }, categories, markets


@bp.route("/vendors")
@login_required
def index():
    filters, categories, markets = list_filters()
    rows = vendor_list(**filters)
    args = {name: value for name, value in request.args.items() if value}
    return render_template("vendors/index.html", rows=rows, filters=filters, teams=team_names(),
                           categories=categories, markets=markets, statuses=VENDOR_STATUSES, args=args,
                           title="Vendors")


@bp.route("/vendors.csv")
@login_required
def download_csv():
    filters, _, _ = list_filters()
    body = vendors_csv(vendor_list(**filters, with_contacts=True), current_app.config["TRACKER_BASE_URL"])
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="vendors.csv"'})


@bp.route("/vendors/<int:vendor_id>")
@login_required
def detail(vendor_id: int):
    return _detail_page(load_or_404(Vendor, vendor_id))


def _detail_page(vendor: Vendor, contact_form: ContactForm | None = None, code: int = 200):
    requests = vendor_requests(vendor)
    request_ids = [r.id for r in requests]
    evidence = list(db.session.scalars(select(VendorEvidence).where(VendorEvidence.request_id.in_(request_ids))
                                       .order_by(VendorEvidence.uploaded_at.desc()))) if request_ids else []
    history = list(db.session.scalars(
        select(VendorRequestHistory).where(VendorRequestHistory.request_id.in_(request_ids))
        .order_by(VendorRequestHistory.id.desc()).limit(100))) if request_ids else []
    trail = list(db.session.scalars(
        select(AuditEntry).where(((AuditEntry.entity == "vendor") & (AuditEntry.entity_id == vendor.id))
                                 | ((AuditEntry.entity == "vendor_request") & AuditEntry.entity_id.in_(request_ids)))
        .order_by(AuditEntry.id.desc()).limit(100)))
    by_id = {r.id: r for r in requests}
    readable = {r.id for r in requests if permissions.may_read_answers(current_user, r)}
    evidence = [e for e in evidence if e.request_id in readable]
    trail = [a for a in trail if a.entity != "vendor_request" or a.entity_id in readable
             or "submission" not in (a.changes or {})]  # what was sent: the owning teams only
    return render_template("vendors/detail.html", vendor=vendor, requests=requests, evidence=evidence,
                           may_edit=permissions.may_edit_vendor(current_user, vendor),
                           history=history, trail=trail, by_id=by_id, todays=team_todays(),
                           labels=REQUEST_STATUS_LABELS, contact_form=contact_form or ContactForm(),
                           confirm=ConfirmForm(), title=vendor.name), code


def _fill_choices(form: VendorForm, current_owner_id: int | None = None) -> None:
    form.team_id.choices = as_choices([(t.id, t.name) for t in team_names()])
    people = db.session.scalars(select(User).where((User.active.is_(True)) | (User.id == current_owner_id))
                                .order_by(User.name, User.email))
    form.owner_id.choices = as_choices([("", "— no owner —")] + [(u.id, f"{u.name} <{u.email}>") for u in people])


def _values(form: VendorForm) -> dict:
    return {"key": form.key.data or "", "name": form.name.data or "", "website": form.website.data or "",
            "country": form.country.data or "", "categories": split_list(form.categories.data),
            "markets": split_list(form.markets.data), "status": form.status.data,
            "team_id": form.team_id.data, "owner_id": form.owner_id.data, "notes": form.notes.data or ""}


def _save(form: VendorForm, vendor: Vendor | None):
    def save() -> Vendor:
        if form.team_id.data is not None:
            _require_vendor_team(form.team_id.data)
        if vendor is None:
            return create_vendor(actor(), **_values(form))
        update_vendor(vendor, actor(), **_values(form))
        return vendor
    return save_form(form, save)


@bp.route("/vendors/new", methods=["GET", "POST"])
@editor_required
def create():
    form = VendorForm()
    _fill_choices(form)
    if request.method == "GET" and int_arg("team"):
        form.team_id.data = int_arg("team")
    saved, status = _save(form, None)
    if saved is not None:
        count = db.session.scalar(select(db.func.count(VendorRequest.id)).where(VendorRequest.vendor_id == saved.id))
        flash(f"Vendor “{saved.name}” created; {count} request{'s' if count != 1 else ''} from vendor-scoped "
              "obligations. Add its contacts next.", "success")
        return redirect(url_for("vendors.detail", vendor_id=saved.id))
    return render_template("vendors/form.html", form=form, vendor=None, title="New vendor"), status


@bp.route("/vendors/<int:vendor_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(vendor_id: int):
    vendor = _editable_vendor(vendor_id)
    form = VendorForm(obj=vendor if request.method == "GET" else None)
    _fill_choices(form, vendor.owner_id)
    if request.method == "GET":
        form.categories.data = ", ".join(vendor.categories or [])
        form.markets.data = ", ".join(vendor.markets or [])
        form.owner_id.data = vendor.owner_id
    saved, status = _save(form, vendor)
    return after_save(saved, status, "Changes saved.", "vendors.detail", "vendor_id", "vendors/form.html",
                      form=form, vendor=vendor, title=f"Edit {vendor.name}")


@bp.route("/vendors/<int:vendor_id>/offboard", methods=["POST"])
@editor_required
def offboard(vendor_id: int):
    vendor = _editable_vendor(vendor_id)
    if ConfirmForm().validate_on_submit() and offboard_vendor(vendor, actor()):
        flash(f"Vendor “{vendor.name}” offboarded. Its open requests are now not applicable; "
              "their history is kept.", "success")
    return redirect(url_for("vendors.detail", vendor_id=vendor.id))


@bp.route("/vendors/<int:vendor_id>/feeds/revoke", methods=["POST"])
@editor_required
def revoke_feeds(vendor_id: int):
    vendor = _editable_vendor(vendor_id)
    if ConfirmForm().validate_on_submit():
        count = revoke_vendor_feeds(vendor.id, actor(), "revoked by hand")
        db.session.commit()
        flash(f"{count} calendar feed{'s' if count != 1 else ''} revoked: they answer 404 now. Each contact gets "
              "a new one with their next request email.", "success")
    return redirect(url_for("vendors.detail", vendor_id=vendor.id))


@bp.route("/vendors/<int:vendor_id>/contacts", methods=["POST"])
@editor_required
def add_contact_view(vendor_id: int):
    vendor = _editable_vendor(vendor_id)
    form = ContactForm()
    if form.validate_on_submit():
        try:
            contact = add_contact(vendor, actor(), name=form.name.data, email=form.email.data,
                                  role=form.role.data, reminders_opt_out=form.reminders_opt_out.data)
            flash(f"Contact {contact.email} added.", "success")
            return redirect(url_for("vendors.detail", vendor_id=vendor.id) + "#contacts")
        except (ValidationFailed, Conflict) as exc:
            refuse(form, exc, SERVICE_ALIASES)
    return _detail_page(vendor, form, 400)


def _contact(vendor_id: int, contact_id: int) -> VendorContact:
    contact = load_or_404(VendorContact, contact_id)
    if contact.vendor_id != vendor_id:
        from flask import abort

        abort(404)
    _require_vendor_team(contact.vendor.team_id)
    return contact


def _editable_vendor(vendor_id: int) -> Vendor:
    """The vendor, once the user may edit it (an editor of its team); 404 or 403 otherwise."""
    vendor = load_or_404(Vendor, vendor_id)
    _require_vendor_team(vendor.team_id)
    return vendor


def _require_vendor_team(team_id: int) -> None:
    permissions.require(permissions.may_edit_team(current_user, team_id),
                        "vendors are managed by their team: you need the editor role in that team")


@bp.route("/vendors/<int:vendor_id>/contacts/<int:contact_id>/remove", methods=["POST"])
@editor_required
def remove_contact_view(vendor_id: int, contact_id: int):
    contact = _contact(vendor_id, contact_id)
    if ConfirmForm().validate_on_submit():
        email = contact.email
        remove_contact(contact, actor())
        flash(f"Contact {email} removed.", "success")
    return redirect(url_for("vendors.detail", vendor_id=vendor_id) + "#contacts")


@bp.route("/vendors/<int:vendor_id>/contacts/<int:contact_id>/role", methods=["POST"])
@editor_required
def contact_role(vendor_id: int, contact_id: int):
    contact = _contact(vendor_id, contact_id)
    if ConfirmForm().validate_on_submit():
        role = "secondary" if contact.role == "primary" else "primary"
        update_contact(contact, actor(), role=role)
        flash(f"{contact.email} is now a {role} contact.", "success")
    return redirect(url_for("vendors.detail", vendor_id=vendor_id) + "#contacts")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "Vendors", "vendors.index", order=25)
