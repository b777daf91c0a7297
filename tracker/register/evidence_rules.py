"""When evidence counts, and when marking done needs it (no Flask; one query).

The register's own rule (`set_status` refuses "done" by it), applied as well by the
work domain's bulk actions; the evidence domain (tracker.evidence) adds and removes
the files and links it counts.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from tracker.db import db
from tracker.models import ObligationEvidence

DONE_NEEDS_EVIDENCE = "this team requires evidence before an obligation is marked done: add a file or a link first"


def current_evidence(obligation_id: int, today: date):
    """A condition-ready select of the obligation's evidence that is neither removed nor expired."""
    return select(ObligationEvidence.id).where(
        ObligationEvidence.obligation_id == obligation_id, ObligationEvidence.removed_at.is_(None),
        or_(ObligationEvidence.valid_until.is_(None), ObligationEvidence.valid_until >= today))


def done_refusal(obligation, today: date) -> str | None:
    """Why `obligation` may not be marked done yet (its team wants evidence and it has none), or None."""
    if not obligation.team.done_needs_evidence:
        return None
    if db.session.scalar(current_evidence(obligation.id, today).limit(1)) is not None:
        return None
    return DONE_NEEDS_EVIDENCE
