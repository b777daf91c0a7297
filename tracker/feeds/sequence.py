"""SEQUENCE numbers that never decrease, even across cancel and reopen.

The rule (docs/feeds.md): SEQUENCE = revision + flips, where `flips` counts how
often the obligation went from live to cancelled or back as the feeds saw it.
Due date and due state changes (void included) already bump the revision;
waiving, not-applicable and deletion do not, so without `flips` a cancellation
would carry the same SEQUENCE as the event it cancels, and a reopening after
"revision + 1 while cancelled" would go back down. Both numbers only grow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from tracker.db import db
from tracker.models import FeedSequence

CANCELLING_STATUSES = ("waived", "not_applicable")


def cancelled_since(row) -> datetime | None:
    """When the obligation stopped being live in calendars (earliest reason), or None.

    Reasons: deleted, waived or not applicable, or void (its anchor withdrawn).
    """
    moments = []
    if row.deleted_at is not None:
        moments.append(row.deleted_at)
    if row.status in CANCELLING_STATUSES:
        moments.append(row.status_changed_at)
    if row.due_state == "void":
        moments.append(row.due_changed_at)
    return min(moments) if moments else None


def stored_states(obligation_ids: Iterable[int] | None = None, query_ids=None) -> dict[int, tuple[bool, int]]:
    """{obligation id: (cancelled, flips)} for rows that have feed state.

    Pass a list of ids, or a select of ids (`query_ids`) to avoid long IN lists.
    """
    query = select(FeedSequence.obligation_id, FeedSequence.cancelled, FeedSequence.flips)
    if query_ids is not None:
        query = query.where(FeedSequence.obligation_id.in_(query_ids))
    else:
        query = query.where(FeedSequence.obligation_id.in_(list(obligation_ids or [])))
    return {oid: (cancelled, flips) for oid, cancelled, flips in db.session.execute(query)}


def flips_for(cancelled_now: bool, stored: tuple[bool, int] | None) -> int:
    """The flips count that applies now, given the last stored state (pure)."""
    was_cancelled, flips = stored or (False, 0)
    return flips + (1 if cancelled_now != was_cancelled else 0)


def record_flips(changes: dict[int, tuple[bool, tuple[bool, int] | None]]) -> None:
    """Persist {obligation id: (cancelled now, stored state)} for rows that flipped.

    Each update only applies if the stored state is still the one read
    (a conditional UPDATE), so two workers rendering at once count a flip once.
    """
    if not changes:
        return
    for obligation_id, (cancelled_now, stored) in changes.items():
        if stored is None:
            try:
                with db.session.begin_nested():
                    db.session.execute(insert(FeedSequence).values(
                        obligation_id=obligation_id, cancelled=cancelled_now, flips=1))
            except IntegrityError:
                pass  # another worker recorded the same flip first
        else:
            db.session.execute(
                update(FeedSequence)
                .where(FeedSequence.obligation_id == obligation_id,
                       FeedSequence.cancelled == stored[0], FeedSequence.flips == stored[1])
                .values(cancelled=cancelled_now, flips=stored[1] + 1)
            )
    db.session.commit()
