"""Teams: list and detail for everyone; create, edit and members for admins."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.feeds import tokens as feed_tokens
from tracker.people import operations as people
from tracker.people import permissions
from tracker.people.auth import admin_required
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.forms import ConfirmForm
from tracker.forms.errors import as_choices
from tracker.forms.people import MemberForm, TeamForm
from tracker.models import Obligation, Team, User
from tracker.navigation import add_nav_item
from tracker.register.queries import team_todays, undated_last
from tracker.views.common import actor, after_save, load_or_404, save_form

bp = Blueprint("teams", __name__)


@bp.route("/teams")
@login_required
def index():
    counts = (select(Obligation.team_id, func.count(Obligation.id).label("n"))
              .where(Obligation.deleted_at.is_(None)).group_by(Obligation.team_id).subquery())
    rows = db.session.execute(select(Team, func.coalesce(counts.c.n, 0))
                              .outerjoin(counts, counts.c.team_id == Team.id)
                              .options(selectinload(Team.members)).order_by(Team.name)).all()
    return render_template("teams/index.html", rows=rows, title="Teams")


def _member_form(team: Team) -> MemberForm:
    form = MemberForm()
    member_ids = {user.id for user in team.members}
    people_left = [u for u in db.session.scalars(select(User).order_by(User.name, User.email))
                   if u.id not in member_ids]
    form.user_id.choices = as_choices([(u.id, f"{u.name} <{u.email}>") for u in people_left])
    return form


def _detail_page(team: Team, member_form: MemberForm | None = None, code: int = 200):
    obligations = db.session.scalars(
        select(Obligation).where(Obligation.team_id == team.id, Obligation.deleted_at.is_(None))
        .options(joinedload(Obligation.team), joinedload(Obligation.owner))
        .order_by(*undated_last()).limit(50)).all()
    # Admins see who left since the team feed URL was issued: they still hold it.
    departed = feed_tokens.departures(team) if current_user.is_admin() else []
    return render_template("teams/detail.html", team=team, obligations=obligations, todays=team_todays(),
                           member_form=member_form or _member_form(team), confirm=ConfirmForm(),
                           roles=permissions.member_roles(team.id),
                           departed=departed, title=team.name), code


@bp.route("/teams/<int:team_id>")
@login_required
def detail(team_id: int):
    return _detail_page(load_or_404(Team, team_id))


def _save(form: TeamForm, team: Team | None):
    def save() -> Team:
        key, name = (form.key.data or "").strip(), (form.name.data or "").strip()
        zone = (form.timezone.data or "").strip()
        if team is None:
            return people.create_team(key, name, zone, actor())
        people.update_team(team, actor(), key=key, name=name, timezone=zone)
        return team
    return save_form(form, save)


@bp.route("/teams/new", methods=["GET", "POST"])
@admin_required
def create():
    form = TeamForm()
    if request.method == "GET":
        form.timezone.data = "UTC"
    saved, code = _save(form, None)
    return after_save(saved, code, "Team “{saved.name}” created. Add its members below.", "teams.detail", "team_id",
                      "teams/form.html", form=form, team=None, title="New team")


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(team_id: int):
    team = load_or_404(Team, team_id)
    form = TeamForm(obj=team)
    saved, code = _save(form, team)
    return after_save(saved, code, "Changes saved.", "teams.detail", "team_id", "teams/form.html",
                      form=form, team=team, title=f"Edit {team.name}")


@bp.route("/teams/<int:team_id>/members", methods=["POST"])
@admin_required
def add_member(team_id: int):
    team = load_or_404(Team, team_id)
    form = _member_form(team)
    if not form.validate_on_submit():
        return _detail_page(team, form, 400)
    user = load_or_404(User, form.user_id.data)
    people.set_membership(team, user, True, actor(), role=form.role.data or None)
    flash(f"{user.name} is now a member of {team.name}.", "success")
    return redirect(url_for("teams.detail", team_id=team.id))


@bp.route("/teams/<int:team_id>/members/<int:user_id>/role", methods=["POST"])
@admin_required
def member_role(team_id: int, user_id: int):
    """Make a member editor or viewer in this team (roles are per team)."""
    team = load_or_404(Team, team_id)
    user = load_or_404(User, user_id)
    role = request.form.get("role", "")
    if not ConfirmForm().validate_on_submit() or user not in team.members:
        abort(400)
    try:
        people.set_team_role(user, team, role, actor())
    except ValidationFailed as exc:
        db.session.rollback()
        flash(f"Not changed: {exc}.", "danger")
        return _detail_page(team, code=400)
    flash(f"{user.name} is now {role} in {team.name}.", "success")
    return redirect(url_for("teams.detail", team_id=team.id))


@bp.route("/teams/<int:team_id>/members/<int:user_id>/remove", methods=["POST"])
@admin_required
def remove_member(team_id: int, user_id: int):
    team = load_or_404(Team, team_id)
    user = load_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        people.set_membership(team, user, False, actor())
        flash(f"{user.name} was removed from {team.name}.", "success")
    return redirect(url_for("teams.detail", team_id=team.id))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "Teams", "teams.index", order=40)
