"""The one explanation of a deadline in words, shown on the obligation page, the response page and vendor mail."""

from __future__ import annotations

from tracker.deadlines import Due, explain
from tracker.models import Obligation


def deadline_explanation(obligation: Obligation) -> str:
    """'180 days after Chip Security Act enacted (expected September 2026) = 2027-02-28, projected'."""
    anchor = obligation.anchor_event
    return explain(obligation.deadline_rule,
                   Due(obligation.due_date, obligation.due_state, obligation.due_precision),
                   anchor_title=anchor.title if anchor else None,
                   anchor=anchor.anchor(anchor.source.jurisdiction) if anchor else None)
