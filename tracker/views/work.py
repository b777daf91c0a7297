"""Managing the work from the pages: one-step owner/priority/tags, bulk actions, saved views."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Flask, abort, flash, g, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.fields import without_forbidden
from tracker.forms import ConfirmForm
from tracker.models import Obligation, User
from tracker.models.vocabulary import OBLIGATION_STATUSES
from tracker.views.common import actor, load_or_404
from tracker.work.operations import UNCHANGED, BulkRefused, WorkChange, bulk_change, change_work
from tracker.work.saved_views import delete_view, save_view, views_of
from tracker.work.policy import may_edit_obligation
from tracker.work.vocabulary import PRIORITIES, is_id
from tracker.people.permissions import viewer_may_write

bp = Blueprint("work", __name__)
BULK_ACTIONS = {"assign": "Assign to", "status": "Set status", "priority": "Set priority",
                "add_tags": "Add tags", "remove_tags": "Remove tags"}
MAX_SELECTED = 10_000


def owner_arg(name: str = "owner") -> str:
    """The owner filter from the query string: 'me', 'none' or a user id; anything else is ignored."""
    value = request.args.get(name, "")
    if value in ("me", "none") or is_id(value):
        return value
    return ""


def _owner_value(text: str) -> object:
    """The posted owner: '' keeps it, 'none' clears it, a number names a user."""
    if text == "":
        return UNCHANGED
    if text == "none":
        return None
    if is_id(text):
        return int(text)
    raise ValidationFailed({"owner": "choose a person from the list"})


def _tags(text: str) -> list[str]:
    return [part for part in without_forbidden(text or "").split(",") if part.strip()]


def change_from(form: MultiDict, action: str | None = None) -> WorkChange:
    """The change a posted form asks for (one-step panel or bulk bar)."""
    if action is None:  # the obligation's own panel: owner, priority and tags together
        priority = form.get("priority") or None
        return WorkChange(owner_id=_owner_value(form.get("owner", "")), priority=priority,
                          set_tags=_tags(form.get("tags", "")) if "tags" in form else None)
    if action == "assign":
        return WorkChange(owner_id=_owner_value(form.get("owner", "") or "none"))
    if action == "status":
        status = form.get("status", "")
        if status not in OBLIGATION_STATUSES:
            raise ValidationFailed({"status": "choose a status"})
        return WorkChange(status=status, note=without_forbidden(form.get("note", ""))[:2000])
    if action == "priority":
        return WorkChange(priority=form.get("priority") or "")
    if action == "add_tags":
        return WorkChange(add_tags=_tags(form.get("tags", "")) or [""])
    if action == "remove_tags":
        return WorkChange(remove_tags=_tags(form.get("tags", "")) or [""])
    raise ValidationFailed({"action": "choose what to do with the selected obligations"})


@bp.route("/obligations/<int:obligation_id>/work", methods=["POST"])
@login_required
def change_one(obligation_id: int):
    """Owner, priority and tags in one step (from the list's row or the obligation page)."""
    obligation = load_or_404(Obligation, obligation_id)
    if not may_edit_obligation(current_user, obligation):
        abort(403)  # roles per team: an editor of another team, or a viewer
    back = request.form.get("next", "")
    target = back if back.startswith("/obligations") and not back.startswith("//") else \
        url_for("obligations.detail", obligation_id=obligation.id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "warning")
        return redirect(target)
    try:
        change = change_from(request.form)
        if change.is_empty():
            flash("Nothing changed.", "info")
            return redirect(target)
        changed = change_work(obligation, change, current_user, actor())
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"obligation": str(exc)}
        for name, reason in errors.items():
            flash(f"Not changed: {name.replace('_', ' ')}: {reason}", "danger")
        return redirect(target)
    flash("Saved." if changed else "Nothing changed.", "success" if changed else "info")
    return redirect(target)


def _selection(form: MultiDict, user: User) -> dict[int, str | None]:
    """{obligation id: version shown} of the ticked rows, or every row of the filter ("all N matching")."""
    from tracker.register.queries import obligation_filter, team_todays
    from tracker.views.obligations import filters_from

    if form.get("scope") == "all":
        filters = filters_from(MultiDict(request.args), user)
        ids = list(db.session.scalars(obligation_filter(filters, team_todays()).with_only_columns(Obligation.id)
                                      .order_by(None).limit(MAX_SELECTED + 1)))
        expected = form.get("expected_total", "")
        if len(ids) > MAX_SELECTED:
            raise ValidationFailed({"scope": f"at most {MAX_SELECTED} obligations at once; narrow the filter"})
        if is_id(expected) and int(expected) != len(ids):
            raise ValidationFailed({"scope": f"the list changed: {expected} matched when it was shown, "
                                             f"{len(ids)} match now; reload and try again"})
        return {row_id: None for row_id in ids}
    selection: dict[int, str | None] = {}
    for value in form.getlist("row")[:MAX_SELECTED]:
        row_id, _, version = value.partition(":")
        if is_id(row_id):
            selection[int(row_id)] = version or None
    if not selection:
        raise ValidationFailed({"row": "select at least one obligation"})
    return selection


@bp.route("/obligations/bulk", methods=["POST"])
@login_required
def bulk():
    """Apply one change to the selected rows (or all matching); all or nothing."""
    from tracker.views.obligations import render_list

    if not ConfirmForm().validate_on_submit():
        return render_list(bulk_errors={"form": "The form expired; reload the list and try again."}, code=400)
    try:
        action = request.form.get("action", "")
        selection = _selection(request.form, current_user)
        changed = bulk_change(selection, change_from(request.form, action), current_user, actor())
    except ValidationFailed as exc:
        db.session.rollback()
        return render_list(bulk_errors=exc.errors, code=400)
    except BulkRefused as refused:
        db.session.rollback()
        return render_list(refused=refused.rows, code=409)
    flash(f"{changed} obligation{'s' if changed != 1 else ''} changed." if changed else
          "Nothing changed: the selected obligations already were that way.", "success" if changed else "info")
    return redirect(url_for("obligations.index", **request.args))


@bp.route("/views", methods=["POST"])
@login_required
@viewer_may_write
def save():
    """Keep the list's current filter under a name."""
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "warning")
        return redirect(url_for("obligations.index"))
    query = without_forbidden(request.form.get("query", ""))
    try:
        view = save_view(current_user, request.form.get("name", ""), query)
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        reason = next(iter(exc.errors.values())) if isinstance(exc, ValidationFailed) else str(exc)
        flash(f"View not saved: {reason}", "danger")
        return redirect(url_for("obligations.index") + (f"?{query}" if query else ""))
    flash(f"View “{view.name}” saved. Its link can be shared with the team.", "success")
    return redirect(url_for("work.open_view", view_id=view.id))


@bp.route("/views/<int:view_id>")
@login_required
def open_view(view_id: int):
    """A saved view's shareable link: the obligations list with its filter."""
    from tracker.models import SavedView

    view = load_or_404(SavedView, view_id)
    return redirect(url_for("obligations.index") + (f"?{view.query}" if view.query else "")
                    + ("&" if view.query else "?") + urlencode({"view": view.id}))


@bp.route("/views/<int:view_id>/delete", methods=["POST"])
@login_required
@viewer_may_write
def remove(view_id: int):
    from tracker.models import SavedView

    view = load_or_404(SavedView, view_id)
    if ConfirmForm().validate_on_submit():
        try:
            delete_view(view, current_user, actor())
            flash(f"View “{view.name}” deleted.", "success")
        except ValidationFailed as exc:
            db.session.rollback()
            flash(next(iter(exc.errors.values())), "danger")
    return redirect(url_for("obligations.index"))


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def saved_views():
        # Listed in the navigation: read once per page, only for a signed-in user.
        def mine():
            if "saved_views" not in g:
                g.saved_views = views_of(current_user) if current_user.is_authenticated else []
            return g.saved_views
        return {"my_saved_views": mine, "PRIORITIES": PRIORITIES, "BULK_ACTIONS": BULK_ACTIONS}
