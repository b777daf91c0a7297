"""Calendar feeds: the token-authenticated .ics route and the subscribe page."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.audit import Actor
from tracker.db import db
from tracker.extensions import csrf
from tracker.feeds import cache, logfilter, refresh, tokens
from tracker.feeds.render import Validator, feed_for, feed_key, validator_for
from tracker.feeds.scope import scope_for
from tracker.process import serving_process
from tracker.models import Team
from tracker.people import permissions
from tracker.navigation import add_account_link, add_nav_item
from tracker.operations import metrics
from tracker.views.common import load_or_404

bp = Blueprint("feeds", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _not_modified(etag: str, last_modified) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match wins; If-Modified-Since only without it."""
    if "If-None-Match" in request.headers:
        candidates = request.if_none_match
        return candidates.star_tag or candidates.contains_weak(etag.strip('"'))
    since = request.if_modified_since
    return since is not None and last_modified <= since


@bp.route("/feeds/<token>.ics", methods=["GET"], provide_automatic_options=False)
def feed(token: str):
    """A team or personal feed; 404 for a wrong or revoked token, with nothing said.

    A conditional request is checked against the stored validator of the
    feed's current content version first, so a 304 costs a few aggregate
    queries and no rendering, on any worker.
    """
    row = tokens.find_active(token)
    scope = scope_for(row) if row is not None else None
    if scope is None:
        return Response("Not found\n", status=404, mimetype="text/plain")
    key = feed_key(scope, include_events=request.args.get("events", "") in ("1", "true", "yes"))
    validator = None
    if "If-None-Match" in request.headers or "If-Modified-Since" in request.headers:
        validator = validator_for(key)
    if validator is not None and _not_modified(validator.etag, validator.last_modified):
        metrics.feed_fetch("not_modified")
        response = Response(status=304)
    else:
        rendered = feed_for(key)
        validator = Validator(rendered.etag, rendered.last_modified)
        if _not_modified(rendered.etag, rendered.last_modified):
            response = Response(status=304)
        else:
            response = Response(rendered.body, content_type=CONTENT_TYPE)
            response.headers["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    response.headers.update({
        "ETag": validator.etag,
        # Revalidate every time (304s are cheap); never transform (no gzip).
        "Cache-Control": "private, no-cache, no-transform",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    })
    response.last_modified = validator.last_modified
    return response


def _links(row) -> dict | None:
    if row is None:
        return None
    url = tokens.feed_url(row)
    webcal = "webcal://" + url.split("://", 1)[1]
    return {"https": url, "webcal": webcal,
            "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")}


def _can_manage(team: Team) -> bool:
    return permissions.may_manage_team_feed(current_user, team.id)


@bp.route("/calendar")
@login_required
def subscribe():
    """The user's personal feed and their teams' feeds (every team for admins)."""
    teams = (db.session.scalars(select(Team).order_by(Team.name)).all() if current_user.is_admin()
             else current_user.teams)
    team_feeds = []
    for team in teams:
        manage = _can_manage(team)
        team_feeds.append({"team": team, "links": _links(tokens.active_token(team)), "manage": manage,
                           "departed": tokens.departures(team) if manage else []})
    return render_template("feeds/calendar.html", title="Calendar feeds",
                           personal=_links(tokens.active_token(current_user)), team_feeds=team_feeds)


@bp.route("/calendar/personal/regenerate", methods=["POST"])
@login_required
@permissions.viewer_may_write
def regenerate_personal():
    tokens.regenerate(current_user, Actor.of(current_user))
    flash("Your personal feed has a new address. Calendars subscribed to the old one must subscribe again.",
          "success")
    return redirect(url_for("feeds.subscribe") + "#personal")


@bp.route("/calendar/personal/revoke", methods=["POST"])
@login_required
@permissions.viewer_may_write
def revoke_personal():
    tokens.revoke(current_user, Actor.of(current_user))
    flash("Your personal feed is turned off; its address no longer works.", "success")
    return redirect(url_for("feeds.subscribe") + "#personal")


def _managed_team(team_id: int) -> Team:
    team = load_or_404(Team, team_id)
    if not _can_manage(team):
        abort(403)
    return team


@bp.route("/calendar/teams/<int:team_id>/regenerate", methods=["POST"])
@login_required
def regenerate_team(team_id: int):
    team = _managed_team(team_id)
    tokens.regenerate(team, Actor.of(current_user))
    flash(f"The {team.name} feed has a new address; the old one no longer works. Calendars subscribed to the "
          "old one must subscribe again with the new address.", "success")
    if request.form.get("back") == "team":
        return redirect(url_for("teams.detail", team_id=team.id) + "#team-feed")
    return redirect(url_for("feeds.subscribe") + f"#team-{team.id}")


@bp.route("/calendar/teams/<int:team_id>/revoke", methods=["POST"])
@login_required
def revoke_team(team_id: int):
    team = _managed_team(team_id)
    tokens.revoke(team, Actor.of(current_user))
    flash(f"The {team.name} feed is turned off; its address no longer works.", "success")
    return redirect(url_for("feeds.subscribe") + f"#team-{team.id}")


def register(app: Flask) -> None:
    """Register the blueprint, its nav item, caches and the token-redacting log filter."""
    app.register_blueprint(bp)
    csrf.exempt(feed)  # token-authenticated and GET-only
    cache.init_app(app)
    refresh.install(app, serving=serving_process(app))
    logfilter.install(app)
    add_nav_item(app, "Calendar feeds", "feeds.subscribe", order=80)
    add_account_link(app, "Calendar feeds", "feeds.subscribe",
                     "Subscribe to your deadlines in Google, Outlook, Apple or Thunderbird.")
