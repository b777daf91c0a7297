"""What depends on an event: one definition for the dashboard, the event page, the preview and the API.

A deadline depends on an event when its rule reads it: directly (its anchor,
or a part of an earliest/latest rule), or through derived events down the
event's chains ("takes effect 90 days after enactment"). The vendor requests
of those obligations follow them (they move with their obligation). Every live
(not deleted) obligation counts, whatever its status: recording the event
moves them all.

Who a change of those deadlines tells is tracker.mail.audience (it asks the
mail's own rules, which stand above the register).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import func, select

from tracker.db import db
from tracker.models import VendorRequest


@dataclass
class Dependents:
    """The deadlines and vendor requests that depend on one event."""

    event_id: int
    direct: list[int] = field(default_factory=list)  # obligation ids reading the event itself
    via: dict[str, list[int]] = field(default_factory=dict)  # derived event title -> obligation ids
    vendor_requests: int = 0

    @property
    def obligation_ids(self) -> list[int]:
        return self.direct + [ob_id for ids in self.via.values() for ob_id in ids]

    @property
    def total(self) -> int:
        return len(self.obligation_ids)

    def summary(self) -> str:
        """'5 deadlines (4 direct, 1 via 'Act takes effect'), 2 vendor requests'."""
        total = self.total
        text = f"{total} deadline{'s' if total != 1 else ''}"
        if self.via:
            parts = [f"{len(self.direct)} direct"] + [f"{len(ids)} via '{title}'" for title, ids in self.via.items()]
            text += f" ({', '.join(parts)})"
        if self.vendor_requests:
            text += f", {self.vendor_requests} vendor request{'s' if self.vendor_requests != 1 else ''}"
        return text

    def as_dict(self) -> dict:
        return {"deadlines": self.total, "direct": len(self.direct),
                "via": {title: len(ids) for title, ids in self.via.items()},
                "vendor_requests": self.vendor_requests, "summary": self.summary()}


def dependents_of(event_ids: Iterable[int]) -> dict[int, Dependents]:
    """What depends on each of `event_ids`: one read of the event graph, two of obligations, one count."""
    from tracker.register.chains import anchors_of, node, resolved_graph, rows_reading

    event_ids = list(dict.fromkeys(event_ids))
    if not event_ids:
        return {}
    resolved = resolved_graph()
    below: dict[int, set[int]] = {}
    for event_id in event_ids:
        key = node(event_id)
        below[event_id] = {int(k) for k, r in resolved.items() if key in r.chain and k != key}
    every = set(event_ids).union(*below.values())
    rows = rows_reading(every)
    found = {event_id: Dependents(event_id) for event_id in event_ids}
    for event_id in event_ids:
        deps = found[event_id]
        for row in sorted(rows, key=lambda r: (r.due_date is None, r.due_date, r.id)):
            anchors = anchors_of(row)
            if event_id in anchors:
                deps.direct.append(row.id)
                continue
            through = sorted(anchors & below[event_id])
            if through:
                title = resolved[node(through[0])].title
                deps.via.setdefault(title, []).append(row.id)
    ids = {ob_id for deps in found.values() for ob_id in deps.obligation_ids}
    if ids:
        counts = dict(db.session.execute(
            select(VendorRequest.obligation_id, func.count(VendorRequest.id))
            .where(VendorRequest.obligation_id.in_(sorted(ids)), VendorRequest.status != "not_applicable")
            .group_by(VendorRequest.obligation_id)).all())
        for deps in found.values():
            deps.vendor_requests = sum(counts.get(ob_id, 0) for ob_id in deps.obligation_ids)
    return found


def dependents(event_id: int) -> Dependents:
    return dependents_of([event_id])[event_id]
