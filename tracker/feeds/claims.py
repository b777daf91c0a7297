"""One render of a feed's content version across the deployment (every worker, every process).

In a process, `SingleFlight` (tracker.feeds.cache) keeps threads from rendering
the same version twice. Between processes a row of `feed_render_claims` does:
whoever finds no stored body claims (scope, variant) for its version with a
conditional write, re-reads the stored body (another process may have stored it
in between) and renders only if it is still missing; a process that finds the
version claimed waits for the stored body instead. A claim lasts `LEASE`: a
claimant that died is taken over when it expires, and a waiter never waits
longer than that before rendering itself, so a lost claim costs one render,
never a failed fetch. Claiming is best effort like storing: a database error
means rendering without a claim.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from tracker.clock import utcnow
from tracker.db import db
from tracker.models.feeds import FeedRenderClaim
from tracker.txn import begin_write, insert_ignoring

LEASE = timedelta(seconds=15)  # renders take well under a second; a dead claimant holds waiters this long at most
# A waiter looks for the stored body this often (seconds), a little less often the longer it waits.
FIRST_POLL, LONGEST_POLL = 0.02, 0.25


def claim(scope_key: str, variant: str, version: str) -> str | None:
    """Claim the render of `version` for this process: the claim's id, or None if another holds it.

    Takes over a claim of another version (the content moved on) or one whose
    lease ran out (its process died). Commits.
    """
    now, token = utcnow(), uuid.uuid4().hex
    values = dict(version=version, claimed_by=token, expires_at=now + LEASE)
    try:
        begin_write()
        # RETURNING, not rowcount: psycopg reports no row count for INSERT ... ON CONFLICT DO NOTHING.
        taken = db.session.execute(
            update(FeedRenderClaim)
            .where(FeedRenderClaim.scope_key == scope_key, FeedRenderClaim.variant == variant,
                   or_(FeedRenderClaim.version != version, FeedRenderClaim.expires_at <= now))
            .values(**values).returning(FeedRenderClaim.claimed_by)).first()
        if taken is None:
            taken = db.session.execute(
                insert_ignoring(FeedRenderClaim.__table__, ["scope_key", "variant"])
                .values(scope_key=scope_key, variant=variant, **values)
                .returning(FeedRenderClaim.claimed_by)).first()
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        return token  # no claim could be written: render anyway
    return token if taken is not None else None


def release(scope_key: str, variant: str, token: str) -> None:
    """End our claim (in the caller's transaction; a claim that is not ours any more stays)."""
    db.session.execute(delete(FeedRenderClaim).where(
        FeedRenderClaim.scope_key == scope_key, FeedRenderClaim.variant == variant,
        FeedRenderClaim.claimed_by == token))


def release_now(scope_key: str, variant: str, token: str) -> None:
    """End our claim in a transaction of its own (best effort: an unreleased claim just expires)."""
    try:
        release(scope_key, variant, token)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()


def _held(scope_key: str, variant: str, version: str) -> bool:
    """Whether another process still holds a live claim on `version`."""
    row = db.session.execute(select(FeedRenderClaim.version, FeedRenderClaim.expires_at).where(
        FeedRenderClaim.scope_key == scope_key, FeedRenderClaim.variant == variant)).first()
    return row is not None and row.version == version and row.expires_at > utcnow()


def wait_for(scope_key: str, variant: str, version: str, stored):
    """Wait while another process renders `version`; what `stored()` returns once it is stored.

    None when the claim ended without a body (its process died or could not
    store) or after `LEASE` at most: the caller then renders itself. Each look
    is a transaction of its own, so the waiter holds no snapshot meanwhile.
    The wait is bounded by a count of real seconds, not by the app's clock
    (which tests may freeze).
    """
    pause, waited = FIRST_POLL, 0.0
    while waited < LEASE.total_seconds():
        db.session.commit()
        time.sleep(pause)
        waited += pause
        pause = min(pause * 1.5, LONGEST_POLL)
        try:
            found = stored()
            if found is not None:
                return found
            if not _held(scope_key, variant, version):
                return stored()
        except SQLAlchemyError:
            db.session.rollback()
            return None
    return None
