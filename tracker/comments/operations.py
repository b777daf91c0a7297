"""Comment use cases: add (with mentions), edit within 15 minutes, delete; each owns its transaction.

The audit trail of the obligation (or vendor request) records each of them.
Mentions of team members become work notices (emailed with that person's
other notices at the next pass); a mention of anyone else notifies no one,
and the caller is told who was not notified and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import joinedload

from tracker import audit
from tracker.audit import Actor
from tracker.channels.planning import enqueue_for_team, obligation_item
from tracker.clock import utcnow
from tracker.comments.render import BODY_MAX, mentioned_emails
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.fields import check_text, text_value
from tracker.mail.render import base_url
from tracker.models import Comment, Obligation, User, VendorRequest, WorkNotice
from tracker.register.queries import obligation_page_url
from tracker.txn import owns_transaction
from tracker.register.owners import team_member_ids
from tracker.work.policy import may_edit_obligation

EDIT_WINDOW = timedelta(minutes=15)


@dataclass
class Posted:
    comment: Comment
    notified: list[str] = field(default_factory=list)       # emails told
    not_notified: dict[str, str] = field(default_factory=dict)  # email -> why not


def obligation_of(target: Obligation | VendorRequest) -> Obligation:
    """The obligation a comment's target belongs to (itself, or the vendor request's)."""
    return target if isinstance(target, Obligation) else target.obligation


def page_url(target: Obligation | VendorRequest) -> str:
    if isinstance(target, Obligation):
        return obligation_page_url(target.id)
    return f"{base_url()}/vendor-requests/{target.id}"


def may_comment(user: User | None, target: Obligation | VendorRequest) -> bool:
    """Commenting follows the obligation's edit rule (tracker.work.policy)."""
    return may_edit_obligation(user, obligation_of(target))


def _checked_body(body: str) -> str:
    body = text_value(body or "").strip()
    problem = check_text(body, BODY_MAX) or (None if body else "write something")
    if problem:
        raise ValidationFailed({"body": problem})
    return body


def comments_of(target: Obligation | VendorRequest) -> list[Comment]:
    """The thread of a target, oldest first, authors loaded."""
    column = Comment.obligation_id if isinstance(target, Obligation) else Comment.vendor_request_id
    return list(db.session.scalars(select(Comment).where(column == target.id)
                                   .options(joinedload(Comment.author)).order_by(Comment.id)))


def _log(actor: Actor, target, comment: Comment, old: str | None, new: str | None, now: datetime,
         **more) -> None:
    """One audit entry on the obligation (or request), action 'comment': posted [None, text],
    edited [old, new], deleted [old, None]."""
    changes = {"comment_id": [None, comment.id], "comment": [old, new]}
    changes.update({name: [None, value] for name, value in more.items()})
    audit.log(actor, "comment", target, changes, at=now)


@owns_transaction
def add_comment(target: Obligation | VendorRequest, body: str, user: User, actor: Actor,
                now: datetime | None = None, commit: bool = True) -> Posted:
    """Post a comment; mentioned team members are told, others are listed as not notified."""
    if not may_comment(user, target):
        raise ValidationFailed({"body": "you may not comment here"})
    body = _checked_body(body)
    now = now or utcnow()
    obligation = obligation_of(target)
    comment = Comment(body=body, author_id=user.id, created_at=now,
                      obligation_id=target.id if isinstance(target, Obligation) else None,
                      vendor_request_id=None if isinstance(target, Obligation) else target.id)
    db.session.add(comment)
    db.session.flush()
    posted = Posted(comment)
    emails = mentioned_emails(body)
    if emails:
        members = team_member_ids(obligation.team_id)
        found = {u.email.lower(): u for u in db.session.scalars(
            select(User).where(func.lower(User.email).in_(emails)))}
        rows = []
        for email in emails:
            person = found.get(email)
            if person is None or person.id not in members or not person.active:
                posted.not_notified[email] = "not a member of the team"
            elif person.id == user.id:
                posted.not_notified[email] = "that is you"
            else:
                posted.notified.append(email)
                rows.append({"recipient_id": person.id, "kind": "mentioned", "obligation_id": obligation.id,
                             "vendor_request_id": None if isinstance(target, Obligation) else target.id,
                             "text": f"{actor.label} mentioned you on “{obligation.title}”",
                             "url": page_url(target), "created_at": now, "outbox_id": None})
        if rows:
            db.session.execute(insert(WorkNotice), rows)
    _log(actor, target, comment, None, body, now, **({"mentions": posted.notified} if posted.notified else {}))
    author = user.name or user.email
    enqueue_for_team(obligation.team_id, "comment.created", f"comment:{comment.id}",
                     [obligation_item(obligation, url=page_url(target), author=author,
                                      detail=f"{author}: {body[:200]}")], now=now)
    return posted


@owns_transaction
def edit_comment(comment: Comment, body: str, user: User, actor: Actor, now: datetime | None = None,
                 commit: bool = True) -> bool:
    """Change a comment's text: its author only, within 15 minutes of posting it."""
    now = now or utcnow()
    if comment.deleted_at is not None:
        raise ValidationFailed({"body": "this comment was deleted"})
    if comment.author_id != user.id:
        raise ValidationFailed({"body": "only its author may edit a comment"})
    if now - comment.created_at > EDIT_WINDOW:
        raise ValidationFailed({"body": "a comment can be edited for 15 minutes after posting it"})
    body = _checked_body(body)
    if body == comment.body:
        return False
    old, comment.body, comment.edited_at = comment.body, body, now
    _log(actor, target_of(comment), comment, old, body, now)
    return True


@owns_transaction
def delete_comment(comment: Comment, user: User, actor: Actor, now: datetime | None = None,
                   commit: bool = True) -> None:
    """Remove a comment's text, leaving "comment deleted" in the thread: its author or an editor of the obligation."""
    if comment.deleted_at is not None:
        return
    target = target_of(comment)
    if comment.author_id != user.id and not may_edit_obligation(user, obligation_of(target)):
        raise ValidationFailed({"comment": "you may not delete this comment"})
    now = now or utcnow()
    old, comment.body, comment.deleted_at = comment.body, "", now
    _log(actor, target, comment, old, None, now)


def target_of(comment: Comment) -> Obligation | VendorRequest:
    if comment.obligation_id is not None:
        return db.session.get(Obligation, comment.obligation_id)
    return db.session.get(VendorRequest, comment.vendor_request_id)


def editable(comment: Comment, user: User | None, now: datetime) -> bool:
    """Whether `user` may still edit `comment` (the page shows an edit form only then)."""
    return (user is not None and comment.deleted_at is None and comment.author_id == user.id
            and now - comment.created_at <= EDIT_WINDOW)
