"""Evidence on the obligation page: upload a file or add a link, download, remove; the team setting."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import validate_csrf
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import parse_form_data
from wtforms.validators import ValidationError as CSRFValidationError

from tracker.clock import local_today
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.extensions import csrf
from tracker.evidence.operations import add_file, add_link, remove_evidence, set_done_needs_evidence
from tracker.forms import ConfirmForm
from tracker.models import Obligation, ObligationEvidence, ObligationEvidenceChunk, Team
from tracker.people import permissions
from tracker.people.auth import admin_required, editor_required
from tracker.vendors.downloads import evidence_response
from tracker.vendors.uploads import MAX_FILE_BYTES, Upload, capped_stream_factory
from tracker.views.common import actor, load_or_404
from tracker.work.policy import may_edit_obligation

bp = Blueprint("evidence", __name__)
FORM_LIMIT = MAX_FILE_BYTES + 1024 * 1024
FORM_MEMORY = 64 * 1024


def valid_until_from(text: str) -> date | None:
    """The optional "valid until" day (YYYY-MM-DD); a field error otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"valid_until": f"'{text[:40]}' is not a date (YYYY-MM-DD)"}) from None


def _back(obligation_id: int):
    return redirect(url_for("obligations.detail", obligation_id=obligation_id) + "#evidence")


def _refused(errors: dict) -> None:
    db.session.rollback()
    for name, reason in errors.items():
        flash(f"Evidence not added: {name.replace('_', ' ')}: {reason}", "danger")


@bp.route("/obligations/<int:obligation_id>/evidence", methods=["POST"])
@csrf.exempt  # the global check would parse the body uncapped first; checked below on the capped parse
@editor_required
def add(obligation_id: int):
    """A file (multipart) or a link, with an optional title and "valid until"; nothing stored when refused."""
    obligation = load_or_404(Obligation, obligation_id)
    if not may_edit_obligation(current_user, obligation):
        abort(403)  # before reading any upload: roles per team
    try:
        _, form, files = parse_form_data(request.environ, stream_factory=capped_stream_factory,
                                         max_form_memory_size=FORM_MEMORY, max_content_length=FORM_LIMIT,
                                         silent=False)
    except RequestEntityTooLarge:
        _refused({"file": "larger than 25 MB; nothing was stored"})
        return _back(obligation_id)
    except ValueError:
        _refused({"file": "the form could not be read; nothing was stored"})
        return _back(obligation_id)
    try:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            try:
                validate_csrf(form.get("csrf_token", ""))
            except CSRFValidationError:
                raise ValidationFailed({"form": "the form expired; reload the page and try again"}) from None
        valid_until = valid_until_from(form.get("valid_until", ""))
        upload = files.get("file")
        if upload is not None and upload.filename:
            add_file(obligation, Upload(upload.filename, upload.stream, getattr(upload.stream, "received", 0)),
                     current_user, actor(), title=form.get("title", ""), valid_until=valid_until)
        else:
            add_link(obligation, form.get("url", ""), current_user, actor(), title=form.get("title", ""),
                     valid_until=valid_until)
        flash("Evidence added.", "success")
    except ValidationFailed as exc:
        _refused(exc.errors)
    finally:
        for f in files.values():
            f.close()
    return _back(obligation_id)


@bp.route("/obligations/evidence/<int:evidence_id>")
@login_required
def download(evidence_id: int):
    evidence = load_or_404(ObligationEvidence, evidence_id)
    if evidence.kind != "file" or evidence.removed_at is not None:
        abort(404)
    permissions.require(permissions.may_read_evidence(current_user, evidence),
                        "evidence files are readable by the members of the obligation's team")
    return evidence_response(evidence, ObligationEvidenceChunk)


@bp.route("/obligations/evidence/<int:evidence_id>/remove", methods=["POST"])
@editor_required
def remove(evidence_id: int):
    evidence = load_or_404(ObligationEvidence, evidence_id)
    if not may_edit_obligation(current_user, db.session.get(Obligation, evidence.obligation_id)):
        abort(403)  # before reading the form: roles per team
    if ConfirmForm().validate_on_submit():
        try:
            remove_evidence(evidence, current_user, actor())
            flash("Evidence removed.", "success")
        except ValidationFailed as exc:
            _refused(exc.errors)
    return _back(evidence.obligation_id)


@bp.route("/teams/<int:team_id>/evidence-rule", methods=["POST"])
@admin_required
def team_rule(team_id: int):
    team = load_or_404(Team, team_id)
    if ConfirmForm().validate_on_submit():
        set_done_needs_evidence(team, request.form.get("done_needs_evidence") == "1", actor())
        flash("Marking done now needs evidence." if team.done_needs_evidence else
              "Marking done no longer needs evidence.", "success")
    return redirect(url_for("teams.detail", team_id=team.id))


def evidence_of(obligation: Obligation) -> list[ObligationEvidence]:
    """The obligation's evidence not removed, newest first."""
    return list(db.session.scalars(select(ObligationEvidence).where(
        ObligationEvidence.obligation_id == obligation.id, ObligationEvidence.removed_at.is_(None))
        .order_by(ObligationEvidence.id.desc())))


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def evidence_helpers():
        return {"evidence_of": evidence_of,
                "evidence_today": lambda obligation: local_today(obligation.team.timezone)}
