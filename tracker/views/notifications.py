"""Email preferences, one-click unsubscribe, and the team reminder policy form."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.audit import Actor
from tracker.people.auth import admin_required
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.extensions import csrf
from tracker.mail.render import KIND_LABELS, PREFERENCE_OF_KIND, read_unsubscribe_token, unsubscribe_token_expired
from tracker.models import Team, User
from tracker.navigation import add_account_link
from tracker.mail.preferences import EMAIL_FIELDS, GROUPING_FIELD, set_email_preferences, update_reminder_policy
from tracker.views.common import load_or_404
from tracker.people.permissions import viewer_may_write

bp = Blueprint("notifications", __name__)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PREFERENCE_LABELS = {
    "email_reminders": "Deadline reminders (before a deadline)",
    "email_overdue": "Overdue notices",
    "email_changes": "Change notices (a deadline moved or changed state)",
    "email_digest": "Weekly digest",
}


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
@viewer_may_write
def preferences():
    """Every signed-in user (viewers too) chooses which emails they get."""
    if request.method == "POST":
        wanted = {name: request.form.get(name) == "on" for name in EMAIL_FIELDS}
        user = current_user._get_current_object()
        changed = set_email_preferences(user, Actor.of(user), **wanted)
        flash("Email preferences saved." if changed else "Nothing changed.", "success" if changed else "info")
        return redirect(url_for("notifications.preferences"))
    teams = db.session.scalars(select(Team).order_by(Team.name)).all() if current_user.is_admin() else []
    return render_template("notifications/preferences.html", labels=PREFERENCE_LABELS, teams=teams,
                           grouping_field=GROUPING_FIELD,
                           title="Email preferences")


def _token_user(token: str) -> tuple[User, str]:
    found = read_unsubscribe_token(token)
    if found is None and unsubscribe_token_expired(token):
        abort(Response(render_template("notifications/unsubscribe_expired.html", title="Unsubscribe link expired"),
                       status=410))
    user = db.session.get(User, found[0]) if found else None
    if user is None:
        abort(404)
    return user, found[1]


@bp.route("/unsubscribe/<token>", methods=["GET"])
def unsubscribe(token: str):
    """Confirm page: a GET never changes anything (mail scanners follow links)."""
    user, kind = _token_user(token)
    return render_template("notifications/unsubscribe.html", user=user, kind_label=KIND_LABELS[kind],
                           token=token, done=False, title="Unsubscribe")


@bp.route("/unsubscribe/<token>", methods=["POST"])
@csrf.exempt  # RFC 8058 one-click POST from the mail client; the signed token is the authority
@viewer_may_write
def unsubscribe_post(token: str):
    user, kind = _token_user(token)
    set_email_preferences(user, Actor(user_id=user.id, label=f"{user.email} (unsubscribe link)"),
                          **{PREFERENCE_OF_KIND[kind]: False})
    return render_template("notifications/unsubscribe.html", user=user, kind_label=KIND_LABELS[kind],
                           token=token, done=True, title="Unsubscribed")


@bp.route("/teams/<int:team_id>/reminder-policy", methods=["GET", "POST"])
@admin_required
def team_policy(team_id: int):
    """Admins set a team's lead times, overdue interval, projected reminders and digest day."""
    team = load_or_404(Team, team_id)
    errors: dict[str, str] = {}
    form = {"lead_days": ", ".join(str(d) for d in team.lead_days),
            "overdue_every_days": str(team.overdue_every_days),
            "remind_projected": team.remind_projected,
            "digest_weekday": "" if team.digest_weekday is None else str(team.digest_weekday)}
    if request.method == "POST":
        form = {"lead_days": request.form.get("lead_days", ""),
                "overdue_every_days": request.form.get("overdue_every_days", ""),
                "remind_projected": request.form.get("remind_projected") == "on",
                "digest_weekday": request.form.get("digest_weekday", "")}
        try:
            changed = update_reminder_policy(team, Actor.of(current_user._get_current_object()), **form)
        except ValidationFailed as error:
            db.session.rollback()
            errors = error.errors
        else:
            flash(f"Reminder policy of {team.name} saved." if changed else "Nothing changed.",
                  "success" if changed else "info")
            return redirect(url_for("notifications.team_policy", team_id=team.id))
    status = 400 if errors else 200
    return render_template("notifications/team_policy.html", team=team, form=form, errors=errors,
                           weekdays=WEEKDAYS, title=f"Reminder policy: {team.name}"), status


def register(app) -> None:
    app.register_blueprint(bp)
    add_account_link(app, "Email preferences", "notifications.preferences",
                     "Choose which emails you get: reminders, overdue notices, change notices, digest.")
