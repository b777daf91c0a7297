"""Source events: list, detail, create, edit, delete, and recording what happened
through a preview of every deadline that will move (applied only on confirmation)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.people import permissions
from tracker.people.auth import editor_required
from tracker.db import db
from tracker.deadlines import parse_partial_date
from tracker.errors import Conflict, ValidationFailed
from tracker.register.events import (
    EventDate, StalePreview, derived_children, plan_event_change, preview_fingerprint, record_event,
)
from tracker.deadlines import describe_chain
from tracker.register.chains import node, resolved_graph, rows_reading
from tracker.register.derived_events import Derivation, set_derivation
from tracker.forms import ConfirmForm, show_service_errors
from tracker.forms.errors import as_choices
from tracker.forms.register import EventChangeForm, EventForm
from tracker.models import Event, Obligation, Source
from tracker.navigation import add_nav_item
from tracker.register.events import anchored_count, create_event, delete_event, update_event

from tracker.mail.audience import audience
from tracker.register.dependents import dependents
from tracker.register.queries import team_todays, undated_last
from tracker.views.common import actor, int_arg, load_or_404, refuse, utc_today

bp = Blueprint("events", __name__)


@bp.route("/events")
@login_required
def index():
    events = db.session.scalars(select(Event).options(joinedload(Event.source))).all()
    events.sort(key=lambda e: (e.on is None, e.on or e.created_at.date(), e.id))
    return render_template("events/index.html", events=events, title="Events")


def _event_date(status: str, text: str) -> EventDate:
    """Parse the posted status and date; a bad date is a field error."""
    text = (text or "").strip()
    if not text:
        return EventDate(status=status)
    try:
        partial = parse_partial_date(text)
    except ValueError as exc:
        raise ValidationFailed({"date": str(exc)}) from None
    return EventDate(status=status, on=partial.first, precision=partial.precision)


def _detail_page(event: Event, change_form: EventChangeForm | None = None, code: int = 200):
    deps = dependents(event.id)  # the one definition: direct, through derived events, and their requests
    reading = deps.obligation_ids
    anchored = db.session.scalars(
        select(Obligation).where(Obligation.id.in_(reading))
        .options(joinedload(Obligation.team), joinedload(Obligation.owner))
        .order_by(*undated_last())).all() if reading else []
    resolved = resolved_graph()
    chain = describe_chain(node(event.id), resolved) if event.is_derived else ""
    children = derived_children(event)
    if change_form is None:
        change_form = EventChangeForm()
        change_form.status.data = event.status
        change_form.date.data = event.partial_date.iso() if event.partial_date else ""
        # "Record what happened" / "Move the estimate" links (stale estimates) preselect the status.
        if request.args.get("status") in ("occurred", "expected"):
            change_form.status.data = request.args["status"]
            if request.args["status"] == "occurred":
                change_form.date.data = ""
    today = utc_today()
    stale = (event.status == "expected" and not event.is_derived and event.partial_date is not None
             and event.partial_date.last < today)
    # Record / move / withdraw is offered only to who may move every deadline that depends on it.
    may_record = current_user.can_edit() and permissions.may_move_deadlines(current_user, reading)
    return render_template("events/detail.html", event=event, anchored=anchored, todays=team_todays(),
                           deps=deps, stale=stale, may_record=may_record,
                           change_form=change_form, confirm=ConfirmForm(), title=event.title, chain=chain,
                           children=children, child_chains={c.id: describe_chain(node(c.id), resolved)
                                                            for c in children}), code


@bp.route("/events/<int:event_id>")
@login_required
def detail(event_id: int):
    return _detail_page(load_or_404(Event, event_id))


def _preview_or_errors(event: Event, form: EventChangeForm):
    """(change, moves) for a valid posted change, else None with errors on the form."""
    if not form.validate_on_submit():
        return None
    try:
        change = _event_date(form.status.data, form.date.data)
        return change, plan_event_change(event, change)
    except ValidationFailed as exc:
        show_service_errors(form, exc)
        return None


def _preview_page(event: Event, change: EventDate, moves, form: EventChangeForm, fingerprint: str,
                  code: int = 200, chain_lines: list[str] | None = None):
    form.fingerprint.data = fingerprint
    if chain_lines is None:  # a stale confirmation: plan again to show the chain as it is now
        chain_lines = plan_event_change(event, change).event_lines()
    return render_template("events/preview.html", event=event, change=change, moves=moves, form=form,
                           deps=dependents(event.id), told=audience(m.obligation_id for m in moves),
                           chain_lines=chain_lines, title=f"Preview: {event.title}"), code


@bp.route("/events/<int:event_id>/preview", methods=["POST"])
@editor_required
def preview(event_id: int):
    event = load_or_404(Event, event_id)
    form = EventChangeForm()
    result = _preview_or_errors(event, form)
    if result is None:
        return _detail_page(event, form, 400)
    change, plan = result
    _require_moves(plan.moves)
    return _preview_page(event, change, plan.moves, form, preview_fingerprint(event, plan.moves),
                         chain_lines=plan.event_lines())


@bp.route("/events/<int:event_id>/record", methods=["POST"])
@editor_required
def record(event_id: int):
    event = load_or_404(Event, event_id)
    form = EventChangeForm()
    if not form.validate_on_submit():
        return _detail_page(event, form, 400)
    try:
        change = _event_date(form.status.data, form.date.data)
        # Nothing is trusted from the preview page but the fingerprint of what it showed.
        recorded = record_event(event.id, change, actor(), preview=form.fingerprint.data or "",
                                permit=_require_moves)
    except ValidationFailed as exc:
        show_service_errors(form, exc)
        return _detail_page(load_or_404(Event, event_id), form, 400)
    except StalePreview as stale:
        flash("The deadlines changed since the preview. Check them below again before confirming.", "warning")
        return _preview_page(stale.event, stale.change, stale.moves, form, stale.fingerprint, 409)
    if recorded is None:
        abort(404)
    _, moved = recorded
    flash(f"Recorded. {len(moved)} deadline{'s' if len(moved) != 1 else ''} moved.", "success")
    return redirect(url_for("events.detail", event_id=event_id))


def _require_moves(moves) -> None:
    """403 naming the teams unless the user is editor in every team whose deadlines move."""
    permissions.require_deadline_moves(current_user, [move.obligation_id for move in moves])


def _fill_sources(form: EventForm, event: Event | None = None) -> None:
    form.source_id.choices = as_choices([(s.id, s.title) for s in db.session.scalars(select(Source).order_by(Source.title))])
    others = db.session.scalars(select(Event).options(joinedload(Event.source)).order_by(Event.title)).all()
    form.derived_from_event_id.choices = as_choices(
        [("", "— not derived: the event has its own date —")]
        + [(e.id, f"{e.source.title}: {e.title}") for e in others if event is None or e.id != event.id])


def _derivation(form: EventForm) -> Derivation | None:
    """The posted derivation, or None when the event is not derived."""
    if not form.derived_from_event_id.data:
        return None
    return Derivation(form.derived_from_event_id.data, form.derived_offset.data or 0,
                      form.derived_unit.data or "days", (form.derived_calendar.data or "").strip() or None)


@bp.route("/events/new", methods=["GET", "POST"])
@editor_required
def create():
    form = EventForm()
    _fill_sources(form)
    code = 200
    if request.method == "GET":
        form.source_id.data = int_arg("source")
        form.status.data = "expected"
    elif form.validate_on_submit():
        try:
            derived = _derivation(form)
            when = None if derived else _event_date(form.status.data, form.date.data)
            event = create_event(actor(), when, key=(form.key.data or "").strip(), title=form.title.data,
                                 description=form.description.data or "", source_id=form.source_id.data,
                                 derived=derived)
            flash(f"Event “{event.title}” added.", "success")
            return redirect(url_for("events.detail", event_id=event.id))
        except (ValidationFailed, Conflict) as exc:
            code = refuse(form, exc)
    else:
        code = 400
    return render_template("events/form.html", form=form, event=None, title="New event"), code


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(event_id: int):
    event = load_or_404(Event, event_id)
    form = EventForm(obj=event)
    _fill_sources(form, event)
    form.derived_unit.data = form.derived_unit.data or "days"  # a plain event stores no unit
    # Dates change only through the preview -> confirm flow on the event page.
    form.status.data = event.status
    code = 200
    if request.method == "POST":
        code = 400
        if form.validate_on_submit():
            try:
                update_event(event, actor(), key=(form.key.data or "").strip(), title=(form.title.data or "").strip(),
                             description=form.description.data or "", source_id=form.source_id.data, commit=False)
                moved = set_derivation(event, _derivation(form), actor(), commit=False)
                try:
                    _require_moves(moved)
                except permissions.NotAllowed:
                    db.session.rollback()
                    raise
                db.session.commit()
                flash("Changes saved." + (f" {len(moved)} deadline{'s' if len(moved) != 1 else ''} moved."
                                          if moved else ""), "success")
                return redirect(url_for("events.detail", event_id=event.id))
            except (ValidationFailed, Conflict) as exc:
                code = refuse(form, exc)
    return render_template("events/form.html", form=form, event=event, title=f"Edit {event.title}"), code


@bp.route("/events/<int:event_id>/delete", methods=["POST"])
@editor_required
def delete(event_id: int):
    event = load_or_404(Event, event_id)
    source_id = event.source_id
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("events.detail", event_id=event.id))
    try:
        delete_event(event, actor())
    except Conflict as exc:
        db.session.rollback()
        flash(f"Not deleted: {exc}.", "danger")
        return redirect(url_for("events.detail", event_id=event_id))
    flash("Event deleted.", "success")
    return redirect(url_for("sources.detail", source_id=source_id))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["anchored_count"] = anchored_count
    add_nav_item(app, "Events", "events.index", order=25)
