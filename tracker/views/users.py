"""Users (admins only): list, create, change role, deactivate, set a password. Never deleted."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.people import operations as people
from tracker.people.auth import admin_required
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.forms.errors import as_choices
from tracker.forms.people import SetPasswordForm, UserCreateForm, UserEditForm
from tracker.models import Team, User
from tracker.navigation import add_nav_item
from tracker.views.common import actor, load_or_404, refuse

bp = Blueprint("users", __name__)


@bp.route("/users")
@admin_required
def index():
    users = db.session.scalars(select(User).options(selectinload(User.teams)).order_by(User.name, User.email)).all()
    return render_template("users/index.html", users=users, title="Users")


def _teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def create():
    form = UserCreateForm()
    teams = _teams()
    form.team_ids.choices = as_choices([(t.id, t.name) for t in teams])
    code = 200
    if request.method == "POST":
        code = 400
        if form.validate_on_submit():
            try:
                user = people.create_user(form.email.data or "", (form.name.data or "").strip(), form.role.data,
                                          actor(), password=form.password.data or None,
                                          teams=[t for t in teams if t.id in set(form.team_ids.data or [])])
                flash(f"User {user.email} created.", "success")
                return redirect(url_for("users.edit", user_id=user.id))
            except (ValidationFailed, Conflict) as exc:
                code = refuse(form, exc)
    return render_template("users/form.html", form=form, user=None, title="New user"), code


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit(user_id: int):
    user = load_or_404(User, user_id)
    form = UserEditForm(obj=user)
    teams = _teams()
    form.team_ids.choices = as_choices([(t.id, t.name) for t in teams])
    code = 200
    if request.method == "GET":
        form.team_ids.data = [t.id for t in user.teams]
    else:
        code = 400
        if form.validate_on_submit():
            try:
                people.update_user(user, actor(), commit=False, name=(form.name.data or "").strip(),
                                   role=form.role.data, active=bool(form.active.data))
                chosen = set(form.team_ids.data or [])
                for team in teams:
                    people.set_membership(team, user, team.id in chosen, actor(), commit=False)
                db.session.commit()
                flash("Changes saved.", "success")
                return redirect(url_for("users.edit", user_id=user.id))
            except (ValidationFailed, Conflict) as exc:
                code = refuse(form, exc)
    return render_template("users/form.html", form=form, user=user, password_form=SetPasswordForm(),
                           title=f"User {user.email}"), code


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@admin_required
def set_password(user_id: int):
    user = load_or_404(User, user_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            people.set_password(user, form.password.data, actor())
            flash(f"New password set for {user.email}.", "success")
            return redirect(url_for("users.edit", user_id=user.id))
        except ValidationFailed as exc:
            refuse(form, exc)
    edit_form = UserEditForm(obj=user, formdata=None)
    edit_form.team_ids.choices = as_choices([(t.id, t.name) for t in _teams()])
    edit_form.team_ids.data = [t.id for t in user.teams]
    return render_template("users/form.html", form=edit_form, user=user, password_form=form,
                           title=f"User {user.email}"), 400


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "Users", "users.index", roles=("admin",), order=50)
