"""Saved views: a named filter of the obligations list, kept per user."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select

from tracker.audit import Actor
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.fields import check_line, line_value
from tracker.models import SavedView, User
from tracker.txn import owns_transaction

NAME_MAX = 100
QUERY_MAX = 2000
VIEWS_PER_USER = 50
# What a view keeps: the list's filters and order, never the page or the view itself.
KEPT_ARGS = ("q", "team", "status", "due_state", "jurisdiction", "window", "owner", "priority", "tag",
             "sort", "desc")


def clean_query(query: str) -> str:
    """The list's query string reduced to its filters, in a stable order."""
    pairs = [(name, value) for name, value in parse_qsl(query or "", keep_blank_values=False)
             if name in KEPT_ARGS and value]
    return urlencode(sorted(pairs, key=lambda pair: KEPT_ARGS.index(pair[0])))


def views_of(user: User) -> list[SavedView]:
    """The user's saved views, by name."""
    return list(db.session.scalars(select(SavedView).where(SavedView.user_id == user.id)
                                   .order_by(SavedView.name, SavedView.id)))


@owns_transaction
def save_view(user: User, name: str, query: str, commit: bool = True) -> SavedView:
    """Keep `query` as the user's view `name` (a view of the same name is replaced)."""
    name = line_value(name)
    problem = check_line(name, NAME_MAX, required=True)
    query = clean_query(query)
    errors = {}
    if problem:
        errors["name"] = problem
    if len(query) > QUERY_MAX:
        errors["query"] = f"the filter is longer than {QUERY_MAX} characters"
    if errors:
        raise ValidationFailed(errors)
    view = db.session.scalar(select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name))
    if view is None:
        if len(views_of(user)) >= VIEWS_PER_USER:
            raise ValidationFailed({"name": f"at most {VIEWS_PER_USER} saved views; delete one first"})
        view = SavedView(user_id=user.id, name=name)
        db.session.add(view)
    view.query = query
    db.session.flush()
    return view


@owns_transaction
def delete_view(view: SavedView, user: User, actor: Actor, commit: bool = True) -> None:
    """Remove a view; only the person who saved it (or an admin) may."""
    if view.user_id != user.id and not user.is_admin():
        raise ValidationFailed({"view": "only the person who saved this view may delete it"})
    db.session.delete(view)
