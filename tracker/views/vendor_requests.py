"""A vendor request's page for the team: answer, evidence, review actions, response link, history."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.forms import ConfirmForm
from tracker.models import AuditEntry, VendorEvidence, VendorLink, VendorRequest, VendorRequestHistory
from tracker.people import permissions
from tracker.people.auth import editor_required
from tracker.register.explanation import deadline_explanation
from tracker.register.queries import team_todays
from tracker.vendors import review
from tracker.vendors.downloads import evidence_response
from tracker.vendors.links import effective_expiry, replace_and_resend, response_url, revoke_links
from tracker.vendors.queries import REQUEST_STATUS_LABELS
from tracker.views.common import actor, load_or_404
from tracker.views.evidence import valid_until_from
from tracker.views.respond import submissions_of

bp = Blueprint("vendor_requests", __name__)


def _page(vendor_request: VendorRequest, errors: dict | None = None, typed: dict | None = None, code: int = 200,
          new_url: str = ""):
    history = db.session.scalars(select(VendorRequestHistory).where(VendorRequestHistory.request_id == vendor_request.id)
                                 .order_by(VendorRequestHistory.id.desc())).all()
    trail = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "vendor_request",
                                                        AuditEntry.entity_id == vendor_request.id)
                               .order_by(AuditEntry.id.desc()).limit(100)).all()
    links = db.session.scalars(select(VendorLink).where(VendorLink.request_id == vendor_request.id)
                               .order_by(VendorLink.id.desc())).all()
    today = team_todays().get(vendor_request.obligation.team_id)
    readable = permissions.may_read_answers(current_user, vendor_request)
    if not readable:  # what was sent (names, hashes) is for the owning teams only
        trail = [entry for entry in trail if "submission" not in (entry.changes or {})]
    return render_template("vendors/request.html", req=vendor_request, obligation=vendor_request.obligation,
                           vendor=vendor_request.vendor, explanation=deadline_explanation(vendor_request.obligation),
                           submissions=submissions_of(vendor_request) if readable else [], history=history, trail=trail, links=links,
                           expiry_of=lambda link: effective_expiry(link, vendor_request), today=today,
                           labels=REQUEST_STATUS_LABELS, errors=errors or {}, typed=typed or {},
                           confirm=ConfirmForm(), new_url=new_url, title=vendor_request.obligation.title,
                           may_edit=permissions.may_edit_request(current_user, vendor_request)), code


@bp.route("/vendor-requests/<int:request_id>")
@login_required
def detail(request_id: int):
    return _page(load_or_404(VendorRequest, request_id))


@bp.route("/vendor-requests/<int:request_id>/review", methods=["POST"])
@editor_required
def review_action(request_id: int):
    vendor_request = load_or_404(VendorRequest, request_id)
    _require_request_editor(vendor_request)
    if not ConfirmForm().validate_on_submit():
        return _page(vendor_request, {"form": "The form expired. Reload the page and try again."}, code=400)
    action = request.form.get("action", "")
    reason = request.form.get("reason", "")
    typed = {"reason": reason, "valid_until": request.form.get("valid_until", ""), "action": action}
    why_not = review.allowed_actions(vendor_request).get(action)
    if why_not:  # a forced post of an action the page did not offer: a field message, nothing written
        message = f"{review.ACTION_LABELS[action]} is not possible: {why_not}."
        return _page(vendor_request, {"action": message}, typed, code=400)
    try:
        if action == "accept":
            review.accept(vendor_request, actor(), valid_until=valid_until_from(typed["valid_until"]), reason=reason)
        elif action == "reject":
            review.reject(vendor_request, actor(), reason)
        elif action in ("waive", "not_applicable"):
            review.close(vendor_request, review.REVIEW_ACTIONS[action], actor(), reason)
        elif action == "reopen":
            review.reopen(vendor_request, actor())
        else:
            raise ValidationFailed({"action": "choose accept, reject, waive, not applicable or reopen"})
    except ValidationFailed as error:
        db.session.rollback()
        return _page(db.session.get(VendorRequest, request_id), error.errors, typed, code=400)
    flash(f"Request {REQUEST_STATUS_LABELS[vendor_request.status].lower()}.", "success")
    return redirect(url_for("vendor_requests.detail", request_id=request_id), 303)


@bp.route("/vendor-requests/<int:request_id>/link", methods=["POST"])
@editor_required
def link_action(request_id: int):
    vendor_request = load_or_404(VendorRequest, request_id)
    _require_request_editor(vendor_request)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("vendor_requests.detail", request_id=request_id), 303)
    if request.form.get("action") == "revoke":
        count = revoke_links(vendor_request, actor())
        flash(f"{count} link{'s' if count != 1 else ''} revoked: they answer 410 now.", "success")
        return redirect(url_for("vendor_requests.detail", request_id=request_id), 303)
    token, queued = replace_and_resend(vendor_request, actor())
    flash(f"New link made; the old one answers 410. Sent to {queued} contact{'s' if queued != 1 else ''}.",
          "success")
    return _page(vendor_request, new_url=response_url(token))


@bp.route("/vendors/evidence/<int:evidence_id>")
@login_required
def download(evidence_id: int):
    evidence = load_or_404(VendorEvidence, evidence_id)
    require_evidence_reader(evidence)
    return evidence_response(evidence)


def _require_request_editor(vendor_request: VendorRequest) -> None:
    permissions.require(permissions.may_edit_request(current_user, vendor_request),
                        "this request belongs to another team: you need the editor role in the team "
                        "that collects it or manages the vendor")


def require_evidence_reader(evidence: VendorEvidence) -> None:
    """Evidence files are for the owning teams' members and admins (a 403 for everyone else)."""
    permissions.require(permissions.may_read_answers(current_user, evidence.request),
                        "evidence files are readable by the members of the team that collects them")


def _review_actions(request) -> dict[str, bool]:
    """Which review actions the request page offers (only those that can succeed)."""
    return {action: not why for action, why in review.allowed_actions(request).items()}


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    # The request page asks which review actions can succeed, and why not (tracker.vendors.review).
    app.jinja_env.globals["review_actions"] = _review_actions
    app.jinja_env.globals["review_reasons"] = review.allowed_actions
