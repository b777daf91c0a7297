"""The response link (no account): what is asked, by when and why, what was sent, and the form.

The form is parsed here, not by Flask's request.form, so each file goes into
a capped spool (tracker.vendors.uploads) while it streams in, and the body
may be larger than the app-wide MAX_CONTENT_LENGTH (up to ten 25 MB files).
No CSRF token: the secret in the URL is the authority, as for one-click
unsubscribe, and nobody without it can post here.
"""

from __future__ import annotations

from tracker.organization import organization
from tracker.vendors.mail.render import asking_party
from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import parse_form_data

from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.extensions import csrf
from tracker.mail.render import long_date
from tracker.deadlines import due_wording
from tracker.models import VendorAttestation, VendorContact, VendorEvidence, VendorLink, VendorRequest
from tracker.register.explanation import deadline_explanation
from tracker.register.queries import team_todays
from tracker.vendors.contact_feeds import contact_feed, find_contact
from tracker.vendors.links import find
from tracker.vendors.mail.render import read_contact_token
from tracker.vendors.post_limits import PostLimiter
from tracker.vendors.queries import REQUEST_STATUS_LABELS
from tracker.vendors.operations import update_contact
from tracker.vendors.submissions import CONFIRM_LABEL, accepts_answers, statement_for, submit
from tracker.vendors.uploads import BODY_LIMIT, MAX_FILES, Upload, capped_stream_factory

bp = Blueprint("respond", __name__)
# The text fields are short, but the multipart decoder checks this against its read buffer (64 KB
# slices) too, so it must be well above that.
FORM_MEMORY = 1024 * 1024
# The form's own fields (name, title, confirm) and up to MAX_FILES files, with room to spare.
MAX_FORM_PARTS = MAX_FILES + 10


def _open(token: str) -> VendorRequest:
    return _open_link(token).request


def _open_link(token: str) -> VendorLink:
    lookup = find(token)
    if lookup.state == "unknown":
        abort(404)
    if lookup.state == "gone":
        abort(Response(render_template("respond/gone.html", why=lookup.why, title="This link no longer works"),
                       status=410))
    return lookup.link


def submissions_of(vendor_request: VendorRequest) -> list[dict]:
    attestations = db.session.scalars(select(VendorAttestation).where(VendorAttestation.request_id == vendor_request.id)
                                      .order_by(VendorAttestation.signed_at.desc())).all()
    files = db.session.scalars(select(VendorEvidence).where(VendorEvidence.request_id == vendor_request.id)
                               .order_by(VendorEvidence.id)).all()
    return [{"attestation": a, "files": [f for f in files if f.submission_id == a.submission_id]}
            for a in attestations]


def _page(token: str, vendor_request: VendorRequest, errors: dict | None = None, typed: dict | None = None,
          code: int = 200):
    obligation = vendor_request.obligation
    today = team_todays().get(obligation.team_id)
    return render_template(
        "respond/page.html", token=token, req=vendor_request, obligation=obligation,
        vendor=vendor_request.vendor, explanation=deadline_explanation(obligation),
        due_text=due_wording(vendor_request.due_date, vendor_request.due_precision, long_date),
        overdue=today is not None and vendor_request.is_overdue(today), statement=statement_for(vendor_request),
        submissions=submissions_of(vendor_request), open_for_answers=accepts_answers(vendor_request),
        status_label=REQUEST_STATUS_LABELS[vendor_request.status], errors=errors or {}, typed=typed or {},
        confirm_label=CONFIRM_LABEL, max_files=MAX_FILES,
        asking=asking_party(vendor_request.vendor.team.name), org=organization(),
        title=f"Request: {obligation.title}"), code


@bp.route("/respond/<token>", methods=["GET"])
def page(token: str):
    return _page(token, _open(token))


@bp.route("/respond/<token>", methods=["POST"])
@csrf.exempt
def answer(token: str):
    link = _open_link(token)
    vendor_request = link.request
    wait = current_app.extensions["respond_post_limiter"].refusal(link.id, utcnow())
    if wait is not None:  # before the body is read: a flood through one link costs no parsing
        seconds = max(1, int(wait.total_seconds()) + 1)
        body, code = _page(token, vendor_request, {"request": f"Too many submissions through this link in a "
                                                              f"minute. Nothing was stored: wait {seconds} seconds "
                                                              "and send it again."}, code=429)
        return body, code, {"Retry-After": str(seconds)}
    if not accepts_answers(vendor_request):
        return _page(token, vendor_request, {"request": "This request was already answered. It can be answered "
                                                        "again only if the team rejects the answer."}, code=409)
    too_many_parts = {"files": f"at most {MAX_FILES} files per submission (and short text fields). Nothing was "
                                         "stored: send fewer files."}
    try:
        # max_form_parts: a body of 150,000 empty parts is refused after the first few, not parsed whole.
        _, form, files = parse_form_data(request.environ, stream_factory=capped_stream_factory,
                                         max_form_memory_size=FORM_MEMORY, max_content_length=BODY_LIMIT,
                                         silent=False, max_form_parts=MAX_FORM_PARTS)
    except RequestEntityTooLarge:
        if (request.content_length or 0) <= BODY_LIMIT:
            return _page(token, vendor_request, too_many_parts, code=413)
        return _page(token, vendor_request, {"files": f"The submission is larger than this form takes "
                                                      f"({BODY_LIMIT // (1024 * 1024)} MB in all, at most 25 MB a "
                                                      "file). Nothing was stored: send fewer or smaller files."},
                     code=413)
    except ValueError:
        return _page(token, vendor_request, {"files": "The form could not be read. Nothing was stored; try again."},
                     code=400)
    uploads = [Upload(f.filename or "", f.stream, getattr(f.stream, "received", 0))
               for f in files.getlist("files") if f.filename]
    typed = {"name": form.get("name", ""), "title": form.get("title", "")}
    try:
        submit(vendor_request, typed["name"], typed["title"], form.get("confirm") == "yes", uploads, link=link)
    except ValidationFailed as error:
        db.session.rollback()
        return _page(token, db.session.get(VendorRequest, vendor_request.id), error.errors, typed, code=400)
    finally:
        for f in files.getlist("files"):
            f.close()
    return redirect(url_for("respond.receipt", token=token), 303)


@bp.route("/respond/<token>/receipt")
def receipt(token: str):
    vendor_request = _open(token)
    submissions = submissions_of(vendor_request)
    if not submissions:
        return redirect(url_for("respond.page", token=token), 303)
    return render_template("respond/receipt.html", token=token, req=vendor_request, latest=submissions[0],
                           obligation=vendor_request.obligation, title="Received")


@bp.route("/feeds/v/<token>.ics", methods=["GET", "HEAD"])
def contact_calendar(token: str):
    contact = find_contact(token)
    if contact is None:
        abort(404)
    body, etag = contact_feed(contact)
    if request.if_none_match.contains(etag.strip('"')):
        return Response(status=304, headers={"ETag": etag})
    response = Response(b"" if request.method == "HEAD" else body, mimetype="text/calendar",
                        headers={"ETag": etag, "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"})
    return response


def _contact_from(token: str) -> VendorContact:
    contact_id = read_contact_token(token)
    contact = db.session.get(VendorContact, contact_id) if contact_id is not None else None
    if contact is None:
        abort(404)
    return contact


@bp.route("/unsubscribe/vendor/<token>", methods=["GET"])
def contact_unsubscribe(token: str):
    """Confirm page (a GET changes nothing: mail scanners follow links)."""
    return render_template("respond/unsubscribe.html", contact=_contact_from(token), done=False, title="Unsubscribe")


@bp.route("/unsubscribe/vendor/<token>", methods=["POST"])
@csrf.exempt  # RFC 8058 one-click POST; the signed token is the authority
def contact_unsubscribe_post(token: str):
    contact = _contact_from(token)
    update_contact(contact, Actor(user_id=None, label=f"{contact.email} (unsubscribe link)"), reminders_opt_out=True)
    return render_template("respond/unsubscribe.html", contact=contact, done=True, title="Unsubscribed")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.extensions["respond_post_limiter"] = PostLimiter()  # per app: each test app starts with none counted
