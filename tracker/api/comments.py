"""/api/v1: comments on obligations and vendor requests (the pages' rules and rendering)."""

from __future__ import annotations

import datetime as dt

from tracker.api.core import ApiProblem, api_user, load_row, no_content, operation, respond, service_errors
from tracker.api.representations import Out
from tracker.api.schemas import Body, _text
from tracker.audit import Actor
from tracker.comments.operations import (
    add_comment, comments_of, delete_comment, edit_comment, may_comment, target_of,
)
from tracker.comments.render import BODY_MAX, render_comment
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import Comment, Obligation, VendorRequest
from tracker.people import permissions

TAG = "comments"


class CommentIn(Body):
    """Markdown (a subset; raw HTML is shown as text). Mention a team member with @ and their email."""

    body: _text(BODY_MAX)


class CommentOut(Out):
    id: int
    author: str | None
    body: str
    html: str
    created_at: dt.datetime
    edited_at: dt.datetime | None
    deleted: bool


class CommentList(Out):
    items: list[CommentOut]


class CommentPosted(Out):
    comment: CommentOut
    notified: list[str]
    not_notified: dict[str, str]


def comment_out(comment: Comment) -> CommentOut:
    deleted = comment.deleted_at is not None
    return CommentOut(id=comment.id, author=comment.author.email if comment.author else None,
                      body="" if deleted else comment.body, html="" if deleted else render_comment(comment.body),
                      created_at=comment.created_at, edited_at=comment.edited_at, deleted=deleted)


def _obligation(obligation_id: int) -> Obligation:
    return load_row(Obligation, obligation_id, "obligation", gone="deleted_at")


def _request(request_id: int) -> VendorRequest:
    return load_row(VendorRequest, request_id, "vendor request")


def _comment(comment_id: int) -> Comment:
    return load_row(Comment, comment_id, "comment")


def _post(target, body: CommentIn):
    user = api_user()
    permissions.require(may_comment(user, target), "commenting needs the editor role in the obligation's team")
    try:
        posted = add_comment(target, body.body, user, Actor.of(user))
    except ValidationFailed as exc:
        raise service_errors(exc.errors) from None
    return respond(CommentPosted(comment=comment_out(posted.comment), notified=posted.notified,
                                 not_notified=posted.not_notified), 201, etag=False)


@operation("GET", "/obligations/<int:obligation_id>/comments", summary="Comments on an obligation", tag=TAG,
           response=CommentList, description="Oldest first; a deleted comment stays with `deleted: true`.")
def obligation_comments(obligation_id: int):
    return respond(CommentList(items=[comment_out(c) for c in comments_of(_obligation(obligation_id))]), etag=False)


@operation("POST", "/obligations/<int:obligation_id>/comments", summary="Comment on an obligation", tag=TAG,
           role="editor", body=CommentIn, response=CommentPosted, status=201,
           description="Mentioned team members are told by email; `not_notified` names the others and why. "
                       "Channels that ask for `comment.created` get it.")
def comment_on_obligation(obligation_id: int, body: CommentIn):
    return _post(_obligation(obligation_id), body)


@operation("GET", "/vendor-requests/<int:request_id>/comments", summary="Comments on a vendor request", tag=TAG,
           response=CommentList)
def request_comments(request_id: int):
    return respond(CommentList(items=[comment_out(c) for c in comments_of(_request(request_id))]), etag=False)


@operation("POST", "/vendor-requests/<int:request_id>/comments", summary="Comment on a vendor request", tag=TAG,
           role="editor", body=CommentIn, response=CommentPosted, status=201)
def comment_on_request(request_id: int, body: CommentIn):
    return _post(_request(request_id), body)


@operation("PATCH", "/comments/<int:comment_id>", summary="Edit a comment", tag=TAG, role="editor",
           body=CommentIn, response=CommentOut, description="Its author only, within 15 minutes of posting it.")
def update_comment(comment_id: int, body: CommentIn):
    comment = _comment(comment_id)
    user = api_user()
    try:
        edit_comment(comment, body.body, user, Actor.of(user))
    except ValidationFailed as exc:
        raise service_errors(exc.errors) from None
    return respond(comment_out(db.session.get(Comment, comment_id)), etag=False)


@operation("DELETE", "/comments/<int:comment_id>", summary="Delete a comment", tag=TAG, role="editor", status=204,
           description="Its author or an editor of the obligation; the thread keeps a 'comment deleted' entry.")
def remove_comment(comment_id: int):
    comment = _comment(comment_id)
    user = api_user()
    target_of(comment)
    try:
        delete_comment(comment, user, Actor.of(user))
    except ValidationFailed as exc:
        raise ApiProblem(403, next(iter(exc.errors.values()))) from None
    return no_content()
