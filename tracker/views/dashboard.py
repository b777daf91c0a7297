"""The landing page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from tracker.db import db
from tracker.queries import live_obligations, team_todays

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@login_required
def index():
    team_ids = [team.id for team in current_user.teams] or None
    rows = db.session.scalars(live_obligations(team_ids).limit(500)).all()
    scope = "Your teams" if team_ids else "All teams"
    return render_template("dashboard/index.html", rows=rows, todays=team_todays(), scope=scope,
                           title="Dashboard")
