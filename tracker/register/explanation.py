"""The one explanation of a deadline in words, shown on the obligation page, the response page and vendor mail."""

from __future__ import annotations

from tracker.deadlines import Due, explain
from tracker.errors import ValidationFailed
from tracker.models import Obligation
from tracker.register.chains import explain_with_chains


def deadline_explanation(obligation: Obligation) -> str:
    """'180 days after Chip Security Act enacted (expected September 2026) = 2027-02-28, projected'.

    Through chains of derived events and earliest/latest combinations, the
    engine's words name the chain, the deciding part and any roll.
    """
    anchor = obligation.anchor_event
    derived_anchor = anchor is not None and obligation.rule == "relative" and anchor.is_derived
    if obligation.rule_combination or obligation.rule_roll != "none" or derived_anchor:
        try:
            return explain_with_chains(obligation)
        except ValidationFailed:
            pass
    return explain(obligation.deadline_rule,
                   Due(obligation.due_date, obligation.due_state, obligation.due_precision),
                   anchor_title=anchor.title if anchor else None,
                   anchor=anchor.anchor(anchor.source.jurisdiction) if anchor else None)
