"""The dashboard's "Needs action" list: one ranked list of what to do next, each item once.

`rank` is pure (items in, ordered and de-duplicated items out). The `*_items` loaders read the
register, vendor requests and watch proposals, a fixed number of queries whatever the data size.
Items name their pages by endpoint and arguments; the template builds the URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Most urgent first. A deadline already missed comes before an estimate to fix, which comes before
# work waiting on us (a vendor's answer to review), chasing others, decisions, then what is next.
URGENCY = ("overdue", "stale", "review", "vendor_overdue", "proposal", "due_soon")
LIST_LIMIT = 12


@dataclass(frozen=True)
class Link:
    endpoint: str
    args: dict = field(default_factory=dict, hash=False, compare=False)
    anchor: str = ""


@dataclass(frozen=True)
class ActionItem:
    """One row: what it is, what to do next, and the one link that does it."""

    kind: str  # one of URGENCY
    key: tuple  # the thing itself, ("obligation", 12): no thing is listed twice
    order: tuple  # within its kind (due date first)
    title: str
    link: Link
    next_step: str  # in words: "Record what happened, or move the estimate"
    action: str  # the button: "Record what happened"
    action_link: Link
    facts: tuple[str, ...] = ()  # "159 days overdue", "Procurement", "Owner: Bea Buyer"
    also: tuple = ()  # keys this item stands for (deadlines folded into their stale event)


def rank(items: list[ActionItem], limit: int = LIST_LIMIT) -> tuple[list[ActionItem], int]:
    """Items by urgency, each thing once (also when another item stands for it); (first `limit`, total)."""
    ordered = sorted(items, key=lambda item: (URGENCY.index(item.kind), item.order, item.key))
    covered: set[tuple] = set()
    for item in ordered:
        covered.update(item.also)
    seen: set[tuple] = set()
    unique = []
    for item in ordered:
        if item.key in seen or (item.key in covered and not item.also):
            continue
        seen.add(item.key)
        unique.append(item)
    return unique[:limit], len(unique)


def days_words(days: int) -> str:
    return f"{days} day{'s' if days != 1 else ''}"


def stale_root(event, stale_event_ids: set[int]) -> int | None:
    """The id of the stale event `event` is or derives from (a derived event follows its base), else None."""
    hops = 0
    while event is not None and hops < 20:
        if event.id in stale_event_ids:
            return event.id
        event, hops = event.derived_from, hops + 1
    return None


# ---- Reading the data (not pure) ----

def obligation_items(rows, todays: dict[int, date], can_edit: bool, stale_event_ids: set[int]) -> list[ActionItem]:
    """Overdue and due-within-30-days obligations as items (rows: live, open or in progress)."""
    items = []
    for ob in rows:
        today = todays.get(ob.team_id)
        if ob.due_date is None or today is None:
            continue
        days = (ob.due_date - today).days
        facts = [ob.team.name, f"Owner: {ob.owner.name}" if ob.owner else "No owner"]
        if days < 0 and ob.due_state == "projected" and stale_root(ob.anchor_event, stale_event_ids):
            continue  # its estimate is out of date: listed under the event, which is what to fix
        if days < 0:
            kind, when = "overdue", f"{days_words(-days)} overdue"
            step = "finish it and mark it done, or mark it not applicable"
        elif days <= 30:
            kind, when = "due_soon", "due today" if days == 0 else f"due in {days_words(days)}"
            step = "assign an owner and start it" if ob.owner is None else "get it done before the date"
        else:
            continue
        if ob.due_state == "projected":
            when += " (estimated date)"
        page = Link("obligations.detail", {"obligation_id": ob.id})
        items.append(ActionItem(kind, ("obligation", ob.id), (ob.due_date, ob.id), ob.title, page, step,
                                "Update status" if can_edit else "Open",
                                Link("obligations.detail", {"obligation_id": ob.id}, "actions-h" if can_edit else ""),
                                (when, *facts)))
    return items


def stale_items(stale_events, past_estimate: dict[int, list[int]], can_edit: bool) -> list[ActionItem]:
    """Expected events whose estimate has passed: record what happened or move the estimate."""
    items = []
    for event, depending in stale_events:
        folded = past_estimate.get(event.id, [])
        # The one count of what depends on an event (tracker.register.dependents), as on the event
        # page and in the preview.
        facts = [event.source.title, f"Depends on it: {depending.summary()}."]
        if folded:
            facts.append(f"{len(folded)} already past an estimated date")
        page = Link("events.detail", {"event_id": event.id})
        items.append(ActionItem(
            "stale", ("event", event.id), (event.expected_on or date.max, event.id),
            f"{event.title}: expected {event.partial_date.label()}, not recorded", page,
            "record what happened, or move the estimate",
            "Record what happened" if can_edit else "Open", Link("events.detail", {"event_id": event.id},
                                                                  "record" if can_edit else ""),
            tuple(facts), also=tuple(("obligation", ob_id) for ob_id in folded)))
    return items


def request_items(reviews, overdue, todays: dict[int, date], can_edit: bool) -> list[ActionItem]:
    """Vendor answers awaiting review, and vendor requests past their date."""
    items = []
    for req in reviews:
        submitted = req.submitted_at.date() if req.submitted_at else date.max
        items.append(ActionItem(
            "review", ("request", req.id), (submitted, req.id),
            f"{req.vendor.name}: answer for “{req.obligation.title}”",
            Link("vendor_requests.detail", {"request_id": req.id}), "review the answer: accept it or ask for changes",
            "Review" if can_edit else "Open",
            Link("vendor_requests.detail", {"request_id": req.id}, "review-h" if can_edit else ""),
            (f"sent {submitted.isoformat()}" if req.submitted_at else "sent", req.obligation.team.name)))
    for req in overdue:
        today = todays.get(req.obligation.team_id)
        days = (today - req.due_date).days if today and req.due_date else 0
        items.append(ActionItem(
            "vendor_overdue", ("request", req.id), (req.due_date or date.max, req.id),
            f"{req.vendor.name}: “{req.obligation.title}”",
            Link("vendor_requests.detail", {"request_id": req.id}), "remind the vendor",
            "Remind" if can_edit else "Open", Link("vendor_requests.detail", {"request_id": req.id}),
            (f"{days_words(days)} overdue", req.obligation.team.name)))
    return items


def proposal_items(proposals, change_words) -> list[ActionItem]:
    """Open proposals from regulator watches: accept (record the event) or reject."""
    return [ActionItem(
        "proposal", ("proposal", p.id), (p.id,), f"Record “{p.event.title}” as {change_words(p.change_status, p.change_date)}",
        Link("watches.detail", {"proposal_id": p.id}), "check what the regulator reported, then accept or reject",
        "Decide", Link("watches.detail", {"proposal_id": p.id}),
        (f"{len(p.moves_preview or [])} deadline{'s' if len(p.moves_preview or []) != 1 else ''} would move",))
        for p in proposals]
