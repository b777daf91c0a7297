"""A team's notification channels: list, add, events, test, deliveries, replay, delete (admins)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import select

from tracker.channels import operations
from tracker.channels.payloads import DEFAULT_EVENT_TYPES, EVENT_TYPES, KINDS
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.forms import ConfirmForm
from tracker.models import Channel, ChannelDelivery, Team
from tracker.people.auth import admin_required
from tracker.views.common import actor, load_or_404

bp = Blueprint("channels", __name__)


def _page(team: Team, errors: dict | None = None, values: dict | None = None, secret: str | None = None,
          created: Channel | None = None, code: int = 200):
    channels = db.session.scalars(select(Channel).where(Channel.team_id == team.id).order_by(Channel.id)).all()
    html = render_template("channels/index.html", team=team, channels=channels, errors=errors or {},
                           values=values or {"events": list(DEFAULT_EVENT_TYPES)}, kinds=KINDS, event_types=EVENT_TYPES,
                           secret=secret, created=created, confirm=ConfirmForm(), title=f"{team.name}: channels")
    response = make_response(html, code)
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/teams/<int:team_id>/channels", methods=["GET", "POST"])
@admin_required
def index(team_id: int):
    team = load_or_404(Team, team_id)
    if request.method == "GET":
        return _page(team)
    _confirmed()
    values = {"kind": request.form.get("kind", ""), "url": request.form.get("url", ""),
              "name": request.form.get("name", ""), "events": request.form.getlist("events")}
    try:
        channel, secret = operations.create_channel(team, values["kind"], values["url"], actor(),
                                                    event_types=values["events"], name=values["name"])
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(team, errors=exc.errors, values=values, code=400)
    flash(f"Channel “{channel.label}” added.", "success")
    return _page(team, secret=secret, created=channel)


def _channel(channel_id: int) -> Channel:
    return load_or_404(Channel, channel_id)


@bp.route("/channels/<int:channel_id>")
@admin_required
def deliveries(channel_id: int):
    channel = _channel(channel_id)
    rows = db.session.scalars(select(ChannelDelivery).where(ChannelDelivery.channel_id == channel.id)
                              .order_by(ChannelDelivery.id.desc()).limit(200)).all()
    return render_template("channels/deliveries.html", channel=channel, team=channel.team, deliveries=rows,
                           event_types=EVENT_TYPES, confirm=ConfirmForm(), title=f"{channel.label}: deliveries")


def _back(channel: Channel):
    return redirect(url_for("channels.deliveries", channel_id=channel.id))


def _confirmed() -> None:
    """A POST without the form's CSRF confirmation is refused (400)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _confirmed_channel(channel_id: int) -> Channel:
    """The channel a POST action is about, once the action is confirmed."""
    channel = _channel(channel_id)
    _confirmed()
    return channel


def _done(channel: Channel, message: str):
    flash(message, "success")
    return _back(channel)


def _refused(channel: Channel, message: str, code: int):
    """Nothing of the refused action is kept; the deliveries page says why."""
    db.session.rollback()
    flash(message, "danger")
    return _back(channel), code


@bp.route("/channels/<int:channel_id>/events", methods=["POST"])
@admin_required
def events(channel_id: int):
    channel = _confirmed_channel(channel_id)
    try:
        operations.update_channel(channel, actor(), event_types=request.form.getlist("events"))
    except ValidationFailed as exc:
        return _refused(channel, "; ".join(exc.errors.values()), 400)
    return _done(channel, "Event types saved.")


@bp.route("/channels/<int:channel_id>/test", methods=["POST"])
@admin_required
def test(channel_id: int):
    channel = _confirmed_channel(channel_id)
    if channel.status != "active":
        flash("The channel is disabled; enable it first.", "danger")
        return _back(channel)
    operations.send_test(channel, actor())
    # Queued only: the delivery job sends it within a minute; the web request never waits for a receiver.
    return _done(channel, "Test message queued: it is sent within a minute. Its outcome shows below.")


@bp.route("/channels/<int:channel_id>/enable", methods=["POST"])
@admin_required
def enable(channel_id: int):
    channel = _confirmed_channel(channel_id)
    operations.enable_channel(channel, actor())
    return _done(channel, "Channel enabled.")


@bp.route("/channels/<int:channel_id>/deliveries/<int:delivery_id>/replay", methods=["POST"])
@admin_required
def replay(channel_id: int, delivery_id: int):
    channel = _channel(channel_id)
    delivery = load_or_404(ChannelDelivery, delivery_id)
    if delivery.channel_id != channel.id:
        abort(404)
    _confirmed()
    try:
        operations.replay(delivery, actor())
    except Conflict as exc:
        return _refused(channel, str(exc), 409)
    return _done(channel, "Delivery queued again with the same webhook-id.")


@bp.route("/channels/<int:channel_id>/delete", methods=["POST"])
@admin_required
def delete(channel_id: int):
    channel = _confirmed_channel(channel_id)
    team_id = channel.team_id
    operations.delete_channel(channel, actor())
    flash("Channel deleted.", "success")
    return redirect(url_for("channels.index", team_id=team_id))


@bp.route("/channels")
@admin_required
def overview():
    """Every team with its channels: the Settings menu's way in (channels belong to a team)."""
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    channels = db.session.scalars(select(Channel).order_by(Channel.id)).all()
    by_team: dict[int, list[Channel]] = {}
    for channel in channels:
        by_team.setdefault(channel.team_id, []).append(channel)
    return render_template("channels/overview.html", teams=teams, by_team=by_team, title="Notification channels")


def register(app: Flask) -> None:
    from tracker.navigation import add_nav_item

    app.register_blueprint(bp)
    add_nav_item(app, "Notification channels", "channels.overview", roles=("admin",), order=45)
