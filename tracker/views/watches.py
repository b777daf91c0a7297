"""Watch pages (add, edit, remove a source's watch; make an event of an observed stage) and
proposals (list, review with the deadline preview, accept, reject)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.forms import ConfirmForm, show_service_errors
from tracker.forms.watches import WHAT_CHOICES, WatchForm
from tracker.models import Event, Proposal, Source, Watch
from tracker.navigation import add_nav_item
from tracker.people.auth import editor_required
from tracker.people import permissions
from tracker.register.events import StalePreview
from tracker.views.common import actor, load_or_404
from tracker.watches import queries
from tracker.watches.operations import create_watch, delete_watch, make_event_of_stage, update_watch
from tracker.watches.proposals import accept_proposal, preview, reject_proposal
from tracker.watches.provenance import provenance_of
from tracker.watches.providers import ITEM_HELP, STAGES
from tracker.watches.wording import change_words, provider_label, reported, stage_words

bp = Blueprint("watches", __name__)
PROPOSAL_TABS = ("open", "accepted", "rejected", "superseded")


def _events_of(source: Source) -> list[Event]:
    return list(db.session.scalars(select(Event).where(Event.source_id == source.id).order_by(Event.title)))


def _posted_stages(provider: str) -> dict[str, int]:
    """The stage selects of the form: {stage: event id} for the stages given an event."""
    chosen = {}
    for stage in STAGES.get(provider, ()):
        value = request.form.get(f"stage-{stage}", "")
        if value.isdigit():
            chosen[stage] = int(value)
    return chosen


def _form_page(source: Source, form: WatchForm, watch: Watch | None, stages: dict, stage_errors: dict,
               code: int = 200):
    provider = (form.what.data or "congress:bill").split(":", 1)[0]
    form.item.description = ITEM_HELP.get(form.what.data or "", "")
    return render_template("watches/form.html", source=source, form=form, watch=watch,
                           stages=STAGES.get(provider, ()), chosen=stages, stage_errors=stage_errors,
                           events=_events_of(source), what_choices=WHAT_CHOICES,
                           title=f"{'Edit' if watch else 'New'} watch: {source.title}"), code


def _save(source: Source, form: WatchForm, watch: Watch | None):
    """(saved watch, None) or (None, (stages, stage errors, status))."""
    provider, _, kind = (form.what.data or "").partition(":")
    stages = _posted_stages(provider)
    if not form.validate_on_submit():
        return None, (stages, {}, 400)
    values = dict(provider=provider, item_kind=kind, item=form.item.data, stages=stages,
                  auto_apply=form.auto_apply.data)
    try:
        if watch is None:
            return create_watch(source, actor(), **values), None
        update_watch(watch, actor(), **values)
        return watch, None
    except (ValidationFailed, Conflict) as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "item": str(exc)}
        stage_errors = {k.split("/", 1)[1]: v for k, v in errors.items() if k.startswith("stages/")}
        other = {("what" if k in ("provider", "item_kind") else k): v for k, v in errors.items()
                 if not k.startswith("stages/")}
        db.session.rollback()
        if other:
            show_service_errors(form, ValidationFailed(other))
        return None, (stages, stage_errors, 409 if isinstance(exc, Conflict) else 400)


def _require_watch_editor(source_id: int) -> None:
    permissions.require(permissions.may_edit_watch(current_user, source_id),
                        "a watch moves the deadlines of every team its source drives: "
                        "you need the editor role in each of them")


@bp.route("/sources/<int:source_id>/watches/new", methods=["GET", "POST"])
@editor_required
def create(source_id: int):
    source = load_or_404(Source, source_id)
    _require_watch_editor(source.id)
    form = WatchForm()
    if request.method == "GET":
        form.what.data = request.args.get("what") if request.args.get("what") in ITEM_HELP else "congress:bill"
        return _form_page(source, form, None, {}, {})
    watch, problem = _save(source, form, None)
    if watch is not None:
        flash(f"Watching {provider_label(watch.provider)} {watch.item_kind} {watch.item}: "
              "it is polled at the next pass.", "success")
        return redirect(url_for("sources.detail", source_id=source.id) + "#watches")
    return _form_page(source, form, None, *problem)


@bp.route("/watches/<int:watch_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(watch_id: int):
    watch = load_or_404(Watch, watch_id)
    _require_watch_editor(watch.source_id)
    source = watch.source
    form = WatchForm()
    if request.method == "GET":
        form.what.data = f"{watch.provider}:{watch.item_kind}"
        form.item.data = watch.item
        form.auto_apply.data = watch.auto_apply
        return _form_page(source, form, watch, dict(watch.stages or {}), {})
    saved, problem = _save(source, form, watch)
    if saved is not None:
        flash("Watch saved.", "success")
        return redirect(url_for("sources.detail", source_id=source.id) + "#watches")
    return _form_page(source, form, watch, *problem)


@bp.route("/watches/<int:watch_id>/delete", methods=["POST"])
@editor_required
def delete(watch_id: int):
    watch = load_or_404(Watch, watch_id)
    _require_watch_editor(watch.source_id)
    source_id = watch.source_id
    if ConfirmForm().validate_on_submit():
        delete_watch(watch, actor())
        flash("Watch removed. Events recorded from it keep their dates.", "success")
    return redirect(url_for("sources.detail", source_id=source_id) + "#watches")


@bp.route("/watches/<int:watch_id>/stages/<stage>/event", methods=["POST"])
@editor_required
def make_event(watch_id: int, stage: str):
    watch = load_or_404(Watch, watch_id)
    _require_watch_editor(watch.source_id)
    source_id = watch.source_id
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("sources.detail", source_id=source_id))
    try:
        event = make_event_of_stage(watch, stage, actor())
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        flash(f"No event made: {exc}.", "danger")
        return redirect(url_for("sources.detail", source_id=source_id) + "#watches")
    flash(f"Event “{event.title}” added and mapped to '{stage_words(stage)}'.", "success")
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/proposals")
@login_required
def index():
    status = request.args.get("status", "open")
    if status not in PROPOSAL_TABS:
        status = "open"
    rows = list(db.session.scalars(queries.proposals_query(status).order_by(Proposal.id.desc()).limit(200)).unique())
    return render_template("watches/proposals.html", proposals=rows, status=status, tabs=PROPOSAL_TABS,
                           watches=queries.watch_overview(current_app.config), now=utcnow(),
                           title="Watches and proposals")


def _proposal_page(proposal: Proposal, code: int = 200, moves=None, token: str | None = None):
    if moves is None and proposal.status == "open":
        try:
            moves, token = preview(proposal)
        except ValidationFailed as exc:
            moves, token = [], None
            flash(f"This change cannot be recorded: {exc}.", "danger")
    return render_template("watches/proposal.html", proposal=proposal, moves=moves or [], token=token,
                           confirm=ConfirmForm(), title=f"Proposal: {proposal.event.title}"), code


@bp.route("/proposals/<int:proposal_id>")
@login_required
def detail(proposal_id: int):
    return _proposal_page(load_or_404(Proposal, proposal_id))


@bp.route("/proposals/<int:proposal_id>/accept", methods=["POST"])
@editor_required
def accept(proposal_id: int):
    proposal = load_or_404(Proposal, proposal_id)
    _require_watch_editor(proposal.source_id)  # accepting records the event: it moves those teams' deadlines
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("watches.detail", proposal_id=proposal_id))
    try:
        _, moves = accept_proposal(proposal_id, actor(), preview_token=request.form.get("preview", ""))
    except StalePreview as stale:
        flash("The deadlines changed since this page was shown. Check them again before accepting.", "warning")
        return _proposal_page(db.session.get(Proposal, proposal_id), 409, stale.moves, stale.fingerprint)
    except (Conflict, ValidationFailed) as exc:
        db.session.rollback()
        flash(f"Not accepted: {exc}.", "danger")
        return _proposal_page(load_or_404(Proposal, proposal_id), 409)
    except LookupError:
        abort(404)
    flash(f"Accepted: '{proposal.event.title}' recorded. {len(moves)} deadline{'s' if len(moves) != 1 else ''} "
          "moved.", "success")
    return redirect(url_for("events.detail", event_id=proposal.event_id))


@bp.route("/proposals/<int:proposal_id>/reject", methods=["POST"])
@editor_required
def reject(proposal_id: int):
    _require_watch_editor(load_or_404(Proposal, proposal_id).source_id)
    if ConfirmForm().validate_on_submit():
        try:
            reject_proposal(proposal_id, actor())
            flash("Rejected. This report will not be proposed again.", "success")
        except Conflict as exc:
            flash(f"Not rejected: {exc}.", "danger")
    return redirect(url_for("watches.index"))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        source_watches=queries.watches_of, unmapped_stages=queries.unmapped_stages,
        source_proposals=queries.source_proposals, open_proposals=queries.open_proposals,
        open_proposal_count=queries.open_proposal_count, event_provenance=provenance_of,
        provider_label=provider_label, stage_words=stage_words, change_words=change_words,
        reported=reported, may_edit_watch=lambda source_id: permissions.may_edit_watch(current_user, source_id))
    add_nav_item(app, "Watches and proposals", "watches.index", order=27)
