"""The timeline page: events and deadlines by month as SVG, with a table of the same items."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup
from sqlalchemy import select

from tracker.db import db
from tracker.models import Team
from tracker.navigation import add_nav_item
from tracker.register.timeline import (add_months, default_range, load_items, month_count, month_start,
                                      open_deadline_span, render_svg, window_text)
from tracker.register.queries import team_todays
from tracker.views.common import int_arg, utc_today

bp = Blueprint("timeline", __name__)


@bp.route("/timeline")
@login_required
def index():
    today = utc_today()
    team_id = int_arg("team")
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    team = next((t for t in teams if t.id == team_id), None)
    default_start, default_months = default_range(today, *open_deadline_span(today, team.id if team else None))
    start = month_start(request.args.get("start"), default_start)
    months = month_count(request.args.get("months"), default_months)
    team_today = team_todays()
    markers, windows, capped = load_items(
        start, add_months(start, months), team.id if team else None, team_today,
        lambda event_id: url_for("events.detail", event_id=event_id),
        lambda obligation_id: url_for("obligations.detail", obligation_id=obligation_id))
    label = f"Timeline of {team.name}" if team else "Timeline of all teams"
    svg = Markup(render_svg(start, months, today, markers, windows, title=label))  # escaped inside
    return render_template("timeline/index.html", svg=svg, markers=markers, windows=windows, capped=capped,
                           teams=teams, team=team, start=start, months=months, today=today,
                           window_text=window_text, title="Timeline")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "Timeline", "timeline.index", order=30)
