"""The obligation register: list with filters, detail, create, edit, status, delete."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tracker.fields import whole_number
from tracker.people import permissions
from tracker.people.auth import editor_required
from tracker.clock import local_today
from tracker.db import db
from tracker.deadlines import partial_from
from tracker.register.explanation import deadline_explanation
from tracker.errors import Conflict, ValidationFailed
from tracker.fields import without_forbidden
from tracker.forms import ConfirmForm, show_service_errors
from tracker.forms.errors import as_choices
from tracker.forms.register import ObligationForm, StatusForm
from tracker.models import AuditEntry, DeadlineHistory, Event, Obligation, Source, Team, User
from tracker.models.register import OBLIGATION_STATUSES
from tracker.models.vocabulary import STATUS_LABELS
from tracker.navigation import add_nav_item
from tracker.register.obligations import (
    ObligationInput,
    create_obligation,
    delete_obligation,
    set_status,
    update_obligation,
)
from tracker.register.queries import DUE_WINDOWS, SORTS, obligation_filter, page_of, team_todays
from tracker.views.common import actor, after_save, choice_arg, int_arg, load_or_404, refuse
from tracker.views.deadline_form import rule_fields
from tracker.work.operations import row_version
from tracker.work.policy import may_edit_obligation
from tracker.register.owners import members_by_team
from tracker.work.vocabulary import PRIORITIES, TAG_MAX, clean_tags, is_id

bp = Blueprint("obligations", __name__)
PER_PAGE = 50
SERVICE_FIELD_ALIASES = {"rule_precision": "rule_date", "date": "rule_date", "status": "status"}


def list_filters() -> dict:
    """The list page's filters from the query string (see filters_from)."""
    return filters_from(request.args, current_user)


def filters_from(args, user) -> dict:
    """The list page's filters from a query string; unknown values are ignored.

    Typed text loses the characters tracker.fields refuses (PostgreSQL refuses NUL
    in parameters) rather than failing the page. `owner` is 'me' (`user`),
    'none' or a user id.
    """
    def choice(name, allowed):
        value = args.get(name, "")
        return value if value in allowed else ""

    team = args.get("team", "")
    source = args.get("source", "")
    owner = args.get("owner", "")
    tag, _ = clean_tags([without_forbidden(args.get("tag", ""))[:TAG_MAX]])
    return {
        "team_id": int(team) if is_id(team) else None,
        "status": choice("status", ("active",) + OBLIGATION_STATUSES),
        "due_state": choice("due_state", ("firm", "projected", "undated", "void")),
        "jurisdiction": without_forbidden(args.get("jurisdiction", "")).strip().upper()[:10],
        "source_id": int(source) if is_id(source) else None,
        "window": choice("window", DUE_WINDOWS),
        "q": without_forbidden(args.get("q", ""))[:200],
        "owner": owner if owner in ("me", "none") or is_id(owner) else "",
        "priority": choice("priority", PRIORITIES),
        "tag": tag[0] if tag else "",
        "user": user,
        "sort": choice("sort", SORTS) or "due",
        "desc": args.get("desc") == "1",
    }


@bp.route("/obligations")
@login_required
def index():
    return render_list()


def render_list(bulk_errors: dict | None = None, refused: list | None = None, code: int = 200):
    """The list page (also after a refused bulk action, with the reasons)."""
    filters = list_filters()
    page = int_arg("page", 1, high=100000)
    team_today = team_todays()
    rows, total = page_of(obligation_filter(filters, team_today), page, PER_PAGE)
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    jurisdictions = sorted(set(db.session.scalars(select(Source.jurisdiction).distinct())))
    sources = db.session.execute(select(Source.id, Source.title).order_by(Source.title)).all()
    args = {name: value for name, value in request.args.items() if name not in ("page", "view")}
    people = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name, User.email)).all()
    return render_template("obligations/index.html", rows=rows, total=total, page=page, per_page=PER_PAGE,
                           filters=filters, teams=teams, jurisdictions=jurisdictions, sources=sources,
                           todays=team_today,
                           windows=DUE_WINDOWS, sorts=SORTS, args=args, title="Obligations",
                           people=people, members=members_by_team({row.team_id for row in rows}),
                           versions={row.id: row_version(row) for row in rows}, confirm=ConfirmForm(),
                           bulk_errors=bulk_errors or {}, refused=refused or [],
                           query_string=urlencode(args), current_view=int_arg("view")), code


def _fill_choices(form: ObligationForm, current_owner_id: int | None = None,
                  current_team_id: int | None = None) -> None:
    # The teams this user may put an obligation in (and the one it is in): nothing offered that would be refused.
    edited = permissions.teams_edited_by(current_user)
    form.team_id.choices = as_choices([(t.id, t.name) for t in db.session.scalars(select(Team).order_by(Team.name))
                                       if edited is None or t.id in edited or t.id == current_team_id])
    # Active people, plus the current owner even if deactivated (so saving keeps them).
    people = db.session.scalars(select(User).where((User.active.is_(True)) | (User.id == current_owner_id))
                                .order_by(User.name, User.email))
    form.owner_id.choices = as_choices([("", "— no owner —")] + [(u.id, f"{u.name} <{u.email}>") for u in people])
    events = db.session.scalars(select(Event).options(joinedload(Event.source)).order_by(Event.title)).all()
    labels = [(e.id, f"{e.source.title}: {e.title} ({e.status}"
                     f"{' ' + e.partial_date.label() if e.partial_date else ''})") for e in events]
    form.anchor_event_id.choices = as_choices([("", "— choose an event —")] + labels)
    for number, entry in enumerate(form.parts.entries, start=1):
        entry.form.anchor_event_id.choices = as_choices([("", "— choose an event —")] + labels)
        # Each row's own words, so every label on the page is unique.
        for name, words in (("kind", "rule"), ("date", "fixed day"), ("anchor_event_id", "counted from"),
                            ("offset", "count"), ("unit", "in")):
            entry.form[name].label.text = f"Part {number}: {words}"
    form.event_ids.choices = as_choices(labels)


def _input_from(form: ObligationForm) -> ObligationInput:
    """Turn the posted form into the service's input; a bad deadline is a field error.

    The deadline goes through the engine's checker (tracker.views.deadline_form),
    the same one packs and the API use.
    """
    return ObligationInput(
        key=(form.key.data or "").strip(), title=(form.title.data or "").strip(),
        description=form.description.data or "", team_id=form.team_id.data, owner_id=form.owner_id.data,
        priority=form.priority.data or "normal",
        tags=[part for part in (form.tags.data or "").split(",") if part.strip()],
        event_ids=list(form.event_ids.data or []), **rule_fields(form),
    )


def _save(form: ObligationForm, obligation: Obligation | None):
    """Validate and save; returns (obligation, status) with errors left on the form."""
    if request.method == "POST":  # a team not offered (forced): 403 naming it, as the service would
        posted = whole_number(request.form.get("team_id", ""), 2**31 - 1)
        if posted is not None and posted not in {choice.value for choice in form.team_id.choices}:
            permissions.require_obligation_write(current_user, obligation, posted)
    if not form.validate_on_submit():
        if request.method == "POST":
            try:  # report a bad date together with the other field errors
                _input_from(form)
            except (ValidationFailed, TypeError, ValueError) as exc:
                if isinstance(exc, ValidationFailed):
                    show_service_errors(form, exc, SERVICE_FIELD_ALIASES)
        return None, 400 if request.method == "POST" else 200
    try:
        data = _input_from(form)
        # Editor of its team, and of the team it is created in or moved to (403 naming the team).
        permissions.require_obligation_write(current_user, obligation, data.team_id)
        if obligation is None:
            return create_obligation(data, actor()), 200
        update_obligation(obligation, data, actor())
        return obligation, 200
    except (ValidationFailed, Conflict) as exc:
        return None, refuse(form, exc, SERVICE_FIELD_ALIASES)


@bp.route("/obligations/new", methods=["GET", "POST"])
@editor_required
def create():
    form = ObligationForm()
    _fill_choices(form)
    if request.method == "GET":
        form.team_id.data = int_arg("team")
        form.anchor_event_id.data = int_arg("anchor")
        if form.anchor_event_id.data:
            form.rule.data = "relative"
    saved, status = _save(form, None)
    if saved is not None:
        flash(f"Obligation “{saved.title}” created, due {saved.due_date or 'date unknown'} ({saved.due_state}).",
              "success")
        return redirect(url_for("obligations.detail", obligation_id=saved.id))
    return render_template("obligations/form.html", form=form, obligation=None,
                           title="New obligation"), status


@bp.route("/obligations/<int:obligation_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(obligation_id: int):
    obligation = load_or_404(Obligation, obligation_id)
    permissions.require_obligation_write(current_user, obligation)
    if obligation.deleted_at is not None:
        flash("This obligation was deleted and can no longer be edited.", "warning")
        return redirect(url_for("obligations.detail", obligation_id=obligation.id))
    # Only a GET starts from the stored values: a POST is exactly what was sent (a field left out
    # of it must not fall back to the model's value, e.g. a date where the form expects text).
    form = ObligationForm(obj=obligation if request.method == "GET" else None)
    _fill_choices(form, obligation.owner_id, obligation.team_id)
    if request.method == "GET":
        form.rule_date.data = (partial_from(obligation.rule_date, obligation.rule_precision).iso()
                               if obligation.rule_date else "")
        form.event_ids.data = [e.id for e in obligation.events]
        form.owner_id.data = obligation.owner_id
        form.tags.data = ", ".join(obligation.tags or [])
        fill_deadline(form, obligation)
    saved, status = _save(form, obligation)
    return after_save(saved, status, "Changes saved.", "obligations.detail", "obligation_id", "obligations/form.html",
                      form=form, obligation=obligation, title=f"Edit {obligation.title}")


def fill_deadline(form: ObligationForm, obligation: Obligation) -> None:
    """Show a stored rule in the form (a combination's parts in the part rows)."""
    form.rule.data = obligation.deadline_kind
    form.rule_roll.data = obligation.rule_roll or "none"
    for entry, part in zip(form.parts.entries, obligation.rule_parts or []):
        entry.form.kind.data = part["rule"]
        entry.form.date.data = part.get("date", "")
        entry.form.anchor_event_id.data = part.get("anchor")
        entry.form.offset.data = part.get("offset", 0)
        entry.form.unit.data = part.get("unit", "days")


def _explanation(obligation: Obligation) -> str:
    """How the due date follows from the rule: the engine's words, through chains and combinations."""
    return deadline_explanation(obligation)


def _detail_page(obligation_id: int, status_form: StatusForm | None = None, code: int = 200):
    load_or_404(Obligation, obligation_id)
    obligation = db.session.scalars(
        select(Obligation).where(Obligation.id == obligation_id)
        .options(joinedload(Obligation.team), joinedload(Obligation.owner),
                 joinedload(Obligation.anchor_event).joinedload(Event.source),
                 selectinload(Obligation.events).joinedload(Event.source))
        .execution_options(populate_existing=True)).one()
    history = db.session.scalars(select(DeadlineHistory).where(DeadlineHistory.obligation_id == obligation.id)
                                 .order_by(DeadlineHistory.id.desc())).all()
    trail = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "obligation",
                                                        AuditEntry.entity_id == obligation.id)
                               .order_by(AuditEntry.id.desc()).limit(100)).all()
    members = members_by_team({obligation.team_id})[obligation.team_id]
    return render_template("obligations/detail.html", obligation=obligation, history=history, trail=trail,
                           team_members=members, may_edit=may_edit_obligation(current_user, obligation),
                           explanation=_explanation(obligation), today=local_today(obligation.team.timezone),
                           status_form=status_form or StatusForm(), confirm=ConfirmForm(),
                           title=obligation.title), code


@bp.route("/obligations/<int:obligation_id>")
@login_required
def detail(obligation_id: int):
    return _detail_page(obligation_id)


@bp.route("/obligations/<int:obligation_id>/status", methods=["POST"])
@editor_required
def change_status(obligation_id: int):
    obligation = load_or_404(Obligation, obligation_id)
    permissions.require_obligation_write(current_user, obligation)
    form = StatusForm()
    if obligation.deleted_at is not None:
        form.form_errors.append("This obligation was deleted; its status can no longer change.")
    elif form.validate_on_submit():
        try:
            set_status(obligation, form.status.data, actor(), note=form.note.data or "")
            flash(f"Status is now “{STATUS_LABELS[form.status.data].lower()}”.", "success")
            return redirect(url_for("obligations.detail", obligation_id=obligation.id))
        except ValidationFailed as exc:
            refuse(form, exc)
    return _detail_page(obligation_id, form, 400)


@bp.route("/obligations/<int:obligation_id>/delete", methods=["POST"])
@editor_required
def delete(obligation_id: int):
    obligation = load_or_404(Obligation, obligation_id)
    permissions.require_obligation_write(current_user, obligation)
    if ConfirmForm().validate_on_submit():
        delete_obligation(obligation, actor())
        flash(f"Obligation “{obligation.title}” deleted. Its history is kept.", "success")
    return redirect(url_for("obligations.index"))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "Obligations", "obligations.index", order=10)
