"""GET /metrics: Prometheus text format, when TRACKER_METRICS=1, for allowed callers only."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from tracker.clock import utcnow
from tracker.operations import access
from tracker.operations.exposition import scrape

bp = Blueprint("metrics", __name__)


@bp.route("/metrics", methods=["GET"])
def metrics():
    """The metrics; 404 when turned off, 401 without the right bearer token, 403 from another address."""
    config = current_app.config
    if not config.get("TRACKER_METRICS"):
        abort(404)
    decision = access.decide(request.remote_addr, request.headers.get("Authorization"),
                             config.get("TRACKER_METRICS_TOKEN"), current_app.extensions["metrics_allow"],
                             bool(config.get("TRACKER_METRICS_ALLOW")))
    if decision.status == 401:
        return Response(decision.reason + "\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    if decision.status != 200:
        return Response(decision.reason + "\n", status=decision.status, mimetype="text/plain")
    return Response(scrape(utcnow()), mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def register(app: Flask) -> None:
    """Register the route; a bad TRACKER_METRICS_ALLOW stops the start with a message."""
    app.extensions["metrics_allow"] = access.parse_networks(app.config.get("TRACKER_METRICS_ALLOW")
                                                           or access.LOOPBACK)
    app.register_blueprint(bp)
