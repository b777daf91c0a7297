"""The outbox page for admins: every message, its status and content; retry failed ones."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from tracker.audit import Actor
from tracker.errors import Conflict
from tracker.mail.outbox import retry_message
from tracker.people.auth import admin_required
from tracker.clock import utcnow
from tracker.db import db
from tracker.mail.grouping import rebuild
from tracker.mail.render import due_phrase
from tracker.mail.smtp import SmtpSettings
from tracker.models import MESSAGE_STATUSES, Obligation, OutboxItem, OutboxMessage
from tracker.navigation import add_nav_item
from tracker.jobs.reminder_pass import last_run
from tracker.views.common import int_arg, load_or_404

bp = Blueprint("outbox", __name__)
PAGE_SIZE = 100
MAX_PAGE = 100000  # beyond any outbox; keeps the OFFSET within what every database takes


@bp.route("/outbox")
@admin_required
def index():
    status = request.args.get("status", "")
    # A page that is not a plain number from 1 to MAX_PAGE ('0', '-3', '²', 10**30) is the first page.
    page = int_arg("page", 1, high=MAX_PAGE)
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if status in MESSAGE_STATUSES:
        query = query.where(OutboxMessage.status == status)
    messages = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    item_counts = dict(db.session.execute(
        select(OutboxItem.message_id, func.count()).where(OutboxItem.message_id.in_([m.id for m in messages]))
        .group_by(OutboxItem.message_id)).all()) if messages else {}
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    return render_template("outbox/index.html", messages=messages, counts=counts, status=status, page=page,
                           item_counts=item_counts,
                           page_size=PAGE_SIZE, last=last_run(),
                           smtp=SmtpSettings.from_config(current_app.config), title="Outbox")


@bp.route("/outbox/<int:message_id>")
@admin_required
def show(message_id: int):
    message = load_or_404(OutboxMessage, message_id)
    items = db.session.execute(
        select(OutboxItem, Obligation.title).join(Obligation, Obligation.id == OutboxItem.obligation_id)
        .where(OutboxItem.message_id == message.id).order_by(OutboxItem.id)).all()
    body_text, body_html, built = message.body_text, message.body_html, bool(message.mime)
    queued = [item for item, _ in items if item.status == "queued"]
    if not built and queued:
        # A big grouped email is built when it is sent; show what it would say now.
        _, preview = rebuild(message, queued, utcnow())
        body_text, body_html = preview.body_text, preview.body_html
    # Each deadline as the email words it ("Due in 7 days", "Overdue by 8 days"), not its codes.
    said = {item.id: due_phrase(item.kind, item.lead_days) if item.kind in ("reminder", "overdue")
            else "Its date changed" for item, _ in items}
    return render_template("outbox/show.html", message=message, items=items, title=message.subject,
                           body_text=body_text, body_html=body_html, built=built, said=said)


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@admin_required
def retry(message_id: int):
    """Put a failed message back in the queue, to go out at the next pass."""
    message = load_or_404(OutboxMessage, message_id)
    try:
        retry_message(message, Actor.of(current_user))
    except Conflict as refusal:
        flash(str(refusal), "warning")
    else:
        flash(f"Message to {message.recipient} queued again; it goes out at the next reminder pass.", "success")
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("outbox.index"))


def register(app) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "Outbox", "outbox.index", roles=("admin",), order=80)
