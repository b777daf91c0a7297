"""Sign-in with the identity provider: start, callback, refusal page, sign-out there too; the group mapping page."""

from __future__ import annotations

import logging
import secrets

from flask import (Blueprint, Flask, current_app, flash, redirect, render_template, request, session,
                   url_for)
from sqlalchemy import select

from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.forms import ConfirmForm
from tracker.forms.errors import as_choices
from tracker.forms.signin import GroupMappingForm
from tracker.models import OidcGroupMapping, Team
from tracker.navigation import add_nav_item
from tracker.people.auth import admin_required, start_session
from tracker.signin import flow
from tracker.signin import operations as mappings
from tracker.signin.accounts import admin_contacts, sign_in_identity
from tracker.signin.errors import SigninRefused
from tracker.signin.provider import ProviderCache
from tracker.signin.settings import SIGNED_IN_HERE, oidc_settings, password_signin_allowed
from tracker.views.auth import _safe_next
from tracker.views.common import actor, load_or_404, refuse

bp = Blueprint("signin", __name__)
log = logging.getLogger("tracker.signin")
PENDING = "oidc_pending"  # the session key of a sign-in under way


def _cache() -> ProviderCache:
    return current_app.extensions["tracker_oidc_cache"]


def _settings():
    settings = oidc_settings(current_app.config)
    if settings is None:
        raise SigninRefused("not_configured", "Sign-in with an identity provider is not set up here.", status=404)
    return settings


def _refused(exc: SigninRefused, detail: str = ""):
    """The refusal page, with a reference that finds the log line (which holds no token)."""
    db.session.rollback()
    reference = secrets.token_hex(6)
    log.warning("sign-in with the identity provider refused: reference=%s reason=%s%s", reference, exc.reason,
                detail)
    contacts = admin_contacts() if exc.contact else []
    return render_template("signin/refused.html", message=exc.message, reference=reference, contacts=contacts,
                           title="Sign-in refused"), exc.status


@bp.route("/login/oidc/start")
def start():
    try:
        settings = _settings()
        metadata = _cache().metadata(settings, utcnow())
    except SigninRefused as exc:
        return _refused(exc)
    url, pending = flow.begin(settings, metadata, utcnow())
    pending["next"] = _safe_next(request.args.get("next"))
    session[PENDING] = pending
    return redirect(url, 303)


@bp.route("/login/oidc/callback")
def callback():
    pending = session.pop(PENDING, None)  # one use: a replayed callback finds nothing
    detail = ""
    try:
        settings = _settings()
        now = utcnow()
        metadata = _cache().metadata(settings, now)
        identity = flow.finish(settings, metadata, _cache(), pending, request.args, now)
        detail = f" subject={identity.subject!r} groups={list(identity.groups)!r}"
        user = sign_in_identity(identity, now)
        start_session(user)
    except SigninRefused as exc:
        return _refused(exc, detail)
    except Exception:  # a bug or a database hiccup: still a page, never a traceback to the person
        log.exception("sign-in with the identity provider failed")
        return _refused(SigninRefused("internal_error", "Sign-in could not be finished. Try again in a "
                                                        "few minutes.", status=503), detail)
    session[SIGNED_IN_HERE] = True
    return redirect(pending.get("next") or url_for("dashboard.index"), 303)


def provider_sign_out_page():
    """After our sign-out: a page that sends the browser on to the provider's end_session_endpoint,
    when this browser signed in through a provider that offers one; else None.

    A page, not a redirect: the sign-out form's redirect to another origin would be blocked by
    our Content-Security-Policy (form-action 'self'); a meta refresh is a plain navigation.
    """
    settings = oidc_settings(current_app.config)
    if settings is None:
        return None
    try:
        metadata = _cache().metadata(settings, utcnow())
    except SigninRefused:
        metadata = _cache().cached_metadata(settings)  # the provider is down: our sign-out still counts
    after = current_app.config["TRACKER_BASE_URL"].rstrip("/") + url_for("auth.login")
    url = flow.end_session_url(metadata, settings, after)
    if url is None:
        return None
    return render_template("signin/signed_out.html", provider_url=url, provider_name=settings.provider_name,
                           title="Signed out")


def _mapping_form(form: GroupMappingForm | None = None) -> GroupMappingForm:
    form = form or GroupMappingForm()
    form.team_ids.choices = as_choices([(team.id, team.name) for team in
                                        db.session.scalars(select(Team).order_by(Team.name))])
    return form


def _mapping_page(form: GroupMappingForm, code: int = 200):
    rows = db.session.scalars(select(OidcGroupMapping).order_by(OidcGroupMapping.group_name)).all()
    return render_template("signin/groups.html", form=form, rows=rows, delete_form=ConfirmForm(formdata=None),
                           settings=oidc_settings(current_app.config), title="Sign-in groups"), code


@bp.route("/admin/sign-in-groups", methods=["GET", "POST"])
@admin_required
def groups():
    form = _mapping_form()
    if request.method == "GET":
        return _mapping_page(form)
    if form.validate_on_submit():
        teams = {team.id: team.key for team in db.session.scalars(select(Team))}
        try:
            mappings.save_group_mapping(form.group.data, form.role.data,
                                        [teams[i] for i in form.team_ids.data or [] if i in teams], actor())
            flash(f"Group {form.group.data} mapped.", "success")
            return redirect(url_for("signin.groups"), 303)
        except (ValidationFailed, Conflict) as exc:
            return _mapping_page(form, refuse(form, exc))
    return _mapping_page(form, 400)


@bp.route("/admin/sign-in-groups/<int:mapping_id>/delete", methods=["POST"])
@admin_required
def delete_group(mapping_id: int):
    row = load_or_404(OidcGroupMapping, mapping_id)
    if ConfirmForm().validate_on_submit():
        name = row.group_name
        mappings.delete_group_mapping(row, actor())
        flash(f"Group {name} no longer gives access.", "success")
    return redirect(url_for("signin.groups"), 303)


def register(app: Flask) -> None:
    app.extensions["tracker_oidc_cache"] = ProviderCache()
    app.extensions["tracker_provider_sign_out"] = provider_sign_out_page
    app.register_blueprint(bp)
    if oidc_settings(app.config) is not None:
        add_nav_item(app, "Sign-in groups", "signin.groups", roles=("admin",), order=55, group="Settings")

    @app.context_processor
    def signin_options():
        settings = oidc_settings(app.config)
        return {"sso_provider_name": settings.provider_name if settings else None,
                "password_signin_on": bool(app.config.get("TRACKER_PASSWORD_SIGNIN", True)),
                "password_signin_allowed": lambda email: password_signin_allowed(app.config, email or "")}
