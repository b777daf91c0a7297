"""The landing page: what needs attention now."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from tracker.register.dashboard import build_dashboard
from tracker.register.queries import team_todays
from tracker.views.common import utc_today
from tracker.views.work import owner_arg
from tracker.work.queries import owner_condition

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@login_required
def index():
    my_team_ids = [team.id for team in current_user.teams]
    scope = request.args.get("scope", "mine" if my_team_ids else "all")
    if scope != "mine" or not my_team_ids:
        scope = "all"
    team_ids = my_team_ids if scope == "mine" else None
    team_today = team_todays()
    owner = owner_arg()
    board = build_dashboard(team_ids, team_today, utc_today(), owner=owner,
                            owner_filter=owner_condition(owner, current_user) if owner else None)
    return render_template("dashboard/index.html", board=board, todays=team_today, scope=scope,
                           has_teams=bool(my_team_ids), owner=owner, title="Dashboard")
