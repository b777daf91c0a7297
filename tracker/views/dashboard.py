"""The landing page: summary tiles and one ranked list of what needs action now."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from flask_login import current_user, login_required

from tracker.overview.priorities import UNASSIGNED, build_priorities
from tracker.register.queries import team_todays
from tracker.views.common import utc_today
from tracker.views.work import owner_arg

bp = Blueprint("dashboard", __name__)

SCOPES = {"me": "Assigned to me", "mine": "My teams", "all": "All teams"}


@bp.route("/")
@login_required
def index():
    my_team_ids = [team.id for team in current_user.teams]
    scope = request.args.get("scope", "mine" if my_team_ids else "all")
    if scope not in SCOPES or (scope == "mine" and not my_team_ids):
        scope = "all"
    team_ids = my_team_ids if scope == "mine" else None
    # The owner filter (tracker.views.work): mine, nobody's, or one person's, within the scope.
    owner = owner_arg()
    owner_id = current_user.id if scope == "me" or owner == "me" else (
        UNASSIGNED if owner == "none" else int(owner) if owner else None)
    team_today = team_todays()
    board = build_priorities(team_ids, owner_id, team_today, utc_today(), current_user.can_edit())
    scopes = {key: label for key, label in SCOPES.items() if key != "mine" or my_team_ids}
    return render_template("dashboard/index.html", board=board, todays=team_today, scope=scope, scopes=scopes,
                           has_teams=bool(my_team_ids), owner=owner, title="Dashboard")


def register(app: Flask) -> None:
    """The dashboard and its link in the Work menu."""
    from tracker.navigation import add_nav_item

    app.register_blueprint(bp)
    add_nav_item(app, "Dashboard", "dashboard.index", order=0, group="Work")
