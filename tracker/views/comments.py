"""Comments on the obligation and vendor request pages: post, edit (15 minutes), delete."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker.clock import utcnow
from tracker.comments.operations import (
    add_comment, comments_of, delete_comment, edit_comment, editable, may_comment, target_of,
)
from tracker.comments.render import render_comment
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.forms import ConfirmForm
from tracker.models import Comment, Obligation, VendorRequest
from tracker.people import permissions
from tracker.views.common import actor, load_or_404

bp = Blueprint("comments", __name__)


def _back(target) -> str:
    if isinstance(target, Obligation):
        return url_for("obligations.detail", obligation_id=target.id) + "#comments"
    return url_for("vendor_requests.detail", request_id=target.id) + "#comments"


def _refused(exc: ValidationFailed) -> None:
    db.session.rollback()
    for reason in exc.errors.values():
        flash(f"Comment not saved: {reason}", "danger")


def _post(target):
    permissions.require(may_comment(current_user, target), "commenting needs the editor role in the obligation's team")
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "warning")
        return redirect(_back(target))
    try:
        posted = add_comment(target, request.form.get("body", ""), current_user, actor())
    except ValidationFailed as exc:
        _refused(exc)
        return redirect(_back(target))
    message = "Comment posted."
    if posted.notified:
        message += f" Notified: {', '.join(posted.notified)}."
    if posted.not_notified:
        message += " Not notified: " + "; ".join(f"{email} ({why})" for email, why in posted.not_notified.items()) + "."
    flash(message, "warning" if posted.not_notified else "success")
    return redirect(_back(target))


@bp.route("/obligations/<int:obligation_id>/comments", methods=["POST"])
@login_required
def on_obligation(obligation_id: int):
    return _post(load_or_404(Obligation, obligation_id))


@bp.route("/vendor-requests/<int:request_id>/comments", methods=["POST"])
@login_required
def on_vendor_request(request_id: int):
    return _post(load_or_404(VendorRequest, request_id))


@bp.route("/comments/<int:comment_id>/edit", methods=["POST"])
@login_required
def edit(comment_id: int):
    comment = load_or_404(Comment, comment_id)
    target = target_of(comment)
    if ConfirmForm().validate_on_submit():
        try:
            if edit_comment(comment, request.form.get("body", ""), current_user, actor()):
                flash("Comment edited.", "success")
        except ValidationFailed as exc:
            _refused(exc)
    return redirect(_back(target))


@bp.route("/comments/<int:comment_id>/delete", methods=["POST"])
@login_required
def delete(comment_id: int):
    comment = load_or_404(Comment, comment_id)
    target = target_of(comment)
    permissions.require(comment.author_id == current_user.id or may_comment(current_user, target),
                        "deleting another's comment needs the editor role in the obligation's team")
    if ConfirmForm().validate_on_submit():
        try:
            delete_comment(comment, current_user, actor())
            flash("Comment deleted.", "success")
        except ValidationFailed as exc:
            _refused(exc)
    return redirect(_back(target))


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def comment_helpers():
        return {"comment_thread": comments_of, "may_comment": lambda target: may_comment(current_user, target),
                "comment_editable": lambda comment: editable(comment, current_user, utcnow())}

    @app.template_filter("comment_html")
    def comment_html(text: str) -> Markup:
        # Safe by construction: markdown-it without raw HTML, then nh3 (tracker.comments.render).
        return Markup(render_comment(text))
