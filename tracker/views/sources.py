"""Sources: list, detail (events in order, the obligations they drive), create, edit, delete."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tracker.people.auth import editor_required
from tracker.db import db
from tracker.errors import Conflict
from tracker.forms import ConfirmForm
from tracker.forms.register import SourceForm
from tracker.models import Event, Obligation, Source, obligation_events
from tracker.navigation import add_nav_item
from tracker.register.sources import create_source, delete_source, update_source
from tracker.register.queries import team_todays, undated_last
from tracker.views.common import actor, after_save, load_or_404, save_form

bp = Blueprint("sources", __name__)


@bp.route("/sources")
@login_required
def index():
    counts = (select(Event.source_id, func.count(Event.id).label("n")).group_by(Event.source_id).subquery())
    rows = db.session.execute(select(Source, func.coalesce(counts.c.n, 0))
                              .outerjoin(counts, counts.c.source_id == Source.id)
                              .order_by(Source.title)).all()
    return render_template("sources/index.html", rows=rows, title="Sources")


def _event_order(event: Event):
    return (event.on is None, event.on or event.created_at.date(), event.id)


@bp.route("/sources/<int:source_id>")
@login_required
def detail(source_id: int):
    source = load_or_404(Source, source_id)
    events = sorted(db.session.scalars(select(Event).where(Event.source_id == source.id)), key=_event_order)
    event_ids = [e.id for e in events]
    obligations = db.session.scalars(
        select(Obligation).where(Obligation.deleted_at.is_(None), Obligation.id.in_(
            select(obligation_events.c.obligation_id).where(obligation_events.c.event_id.in_(event_ids))))
        .options(joinedload(Obligation.team), joinedload(Obligation.owner))
        .order_by(*undated_last())).all() if event_ids else []
    return render_template("sources/detail.html", source=source, events=events, obligations=obligations,
                           todays=team_todays(), confirm=ConfirmForm(), title=source.title)


def _values(form: SourceForm) -> dict:
    return {name: getattr(form, name).data or "" for name in
            ("key", "title", "kind", "jurisdiction", "citation", "url", "summary")}


def _save(form: SourceForm, source: Source | None):
    def save() -> Source:
        values = _values(form)
        values["jurisdiction"] = values["jurisdiction"].strip().upper()
        if source is None:
            return create_source(actor(), **values)
        update_source(source, actor(), **{k: v.strip() if k != "summary" else v for k, v in values.items()})
        return source
    return save_form(form, save)


@bp.route("/sources/new", methods=["GET", "POST"])
@editor_required
def create():
    form = SourceForm()
    saved, status = _save(form, None)
    return after_save(saved, status, "Source “{saved.title}” created. Add its events next.", "sources.detail",
                      "source_id", "sources/form.html", form=form, source=None, title="New source")


@bp.route("/sources/<int:source_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(source_id: int):
    source = load_or_404(Source, source_id)
    form = SourceForm(obj=source)
    saved, status = _save(form, source)
    return after_save(saved, status, "Changes saved.", "sources.detail", "source_id", "sources/form.html",
                      form=form, source=source, title=f"Edit {source.title}")


@bp.route("/sources/<int:source_id>/delete", methods=["POST"])
@editor_required
def delete(source_id: int):
    source = load_or_404(Source, source_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("sources.detail", source_id=source.id))
    title = source.title
    try:
        delete_source(source, actor())
    except Conflict as exc:
        db.session.rollback()
        flash(f"Not deleted: {exc}.", "danger")
        return redirect(url_for("sources.detail", source_id=source_id))
    flash(f"Source “{title}” deleted.", "success")
    return redirect(url_for("sources.index"))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "Sources", "sources.index", order=20)
