"""The navigation's search page: grouped results across the register and vendors."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from flask_login import login_required

from tracker.register.search import search

bp = Blueprint("search", __name__)


@bp.route("/search")
@login_required
def index():
    text = request.args.get("q", "")
    return render_template("search/index.html", results=search(text), title="Search")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
