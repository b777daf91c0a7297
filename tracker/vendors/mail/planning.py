"""Vendor mail planned from the database state: requests, reminders, overdue notices, change notices,
and the receipts, rejections and reopenings queued by the services that cause them.

Items are (request, revision, kind, lead time, contact); a message is one
contact's items of one cause: every new request of a contact in one email,
every reminder and overdue notice due for a contact at one pass in one email
(most urgent first), and every request of a contact's company moved by one
change (one transaction, one `changed_at`) in one change notice with old and
new dates and why. `VendorRequest.next_reminder_at` (reset to PLAN_NOW by
every move and status change) says when a request must be looked at again.

Change notices follow the member planner's rule (tracker.mail.planning): a
batch is claimed first (its `next_reminder_at` becomes this pass's token),
then its history is read: everything committed up to that read, whatever the
pass's clock, back to the last pass however long ago (`changes_since`). A
move after the claim resets the column to PLAN_NOW, so the pass cannot store
its next send time over it and the request is planned again. No change notice
is claimed without being planned.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.mail.planning import CLAIM_LEASE, changes_since, release_claim
from tracker.mail.render import long_date
from tracker.mail.timing import Policy, due_now, next_send_after
from tracker.models import Event, Obligation, Vendor, VendorRequest, VendorRequestHistory
from tracker.models.vendors import REQUEST_OWED_STATUSES, TOLD_OF_CHANGES
from tracker.txn import begin_write
from tracker.vendors.mail.queue import ItemKey, present_keys, queue
from tracker.vendors.mail.render import Recipient, asking_party, outbox_values, request_line
from tracker.vendors.mail.notices import contacts_of, link_for, team_name_of

BATCH = 500


def _shim(request: VendorRequest, owed: bool):
    """The request as the team timing rules read an obligation."""
    return SimpleNamespace(due_date=request.due_date, due_state=request.due_state,
                           status="open" if owed else "done", deleted_at=None, revision=request.revision,
                           due_changed_at=request.due_changed_at)


class _Messages:
    """Items gathered for one pass, grouped per contact per cause."""

    def __init__(self):
        self.groups: dict[tuple, dict] = {}

    def add(self, contact: Recipient, cause: tuple, request: VendorRequest, key: str, notes: list[str],
            extra_keys: list[str] = (), urgency=None):
        group = self.groups.setdefault((contact.contact_id, cause), {
            "contact": contact, "cause": cause, "entries": [], "keys": [], "extra": []})
        group["entries"].append((urgency, request, notes))
        group["keys"].append(key)
        group["extra"].extend(extra_keys)


def _history(ids: list[int], since: datetime) -> dict[int, list[VendorRequestHistory]]:
    """The moves of these requests since `since`: everything committed up to this read.

    No upper bound at the pass's clock: a move recorded after the pass's `now`
    (a pass run with an earlier clock, or one that started before the move)
    is read here too, or its request would be settled without its notice.
    """
    found: dict[int, list] = defaultdict(list)
    for row in db.session.scalars(select(VendorRequestHistory).where(
            VendorRequestHistory.request_id.in_(ids), VendorRequestHistory.revision >= 1,
            VendorRequestHistory.changed_at > since)
            .order_by(VendorRequestHistory.revision)):
        found[row.request_id].append(row)
    return found


def _gather(requests: list[VendorRequest], now: datetime, since: datetime,
            messages: _Messages) -> dict[int, datetime | None]:
    history = _history([r.id for r in requests], since)
    next_times = {}
    for request in requests:
        vendor, obligation = request.vendor, request.obligation
        live = vendor.status == "active" and obligation.deleted_at is None
        owed = live and request.status in REQUEST_OWED_STATUSES
        policy = Policy.of(vendor.team)
        shim = _shim(request, owed)
        stale = owed and request.waits_on_stale_estimate(now.astimezone(policy.tz).date())
        due = due_now(shim, policy, now, stale=stale) if owed else None
        next_times[request.id] = next_send_after(shim, policy, now) if owed else None
        changes = history.get(request.id, []) if live and request.status in TOLD_OF_CHANGES else []
        for contact in contacts_of(vendor):
            cid = contact.contact_id
            remind_key = (str(ItemKey(f"vendor_{due.kind}", request.id, (request.revision, due.lead_days, cid)))
                          if due is not None and not _opted_out(vendor, cid) else None)
            change_keys = [(entry, str(ItemKey("vendor_change", request.id, (entry.revision, cid))))
                           for entry in changes]
            if owed and request.status == "open":
                # The request itself; what it says makes this pass's reminder and changes news no more.
                messages.add(contact, ("request",), request, str(ItemKey("vendor_request", request.id, (cid,))), [],
                             [k for k in [remind_key] if k] + [k for _, k in change_keys])
            if remind_key:
                days = (request.due_date - now.astimezone(policy.tz).date()).days
                note = (f"Overdue by {-days} day{'s' if days != -1 else ''}" if days < 0 else
                        "Due today" if days == 0 else f"Due in {days} day{'s' if days != 1 else ''}")
                messages.add(contact, ("reminder",), request, remind_key, [note], urgency=days)
            for entry, key in change_keys:
                old = long_date(entry.old_due_date) if entry.old_due_date else (entry.old_due_state or "none")
                new = long_date(entry.new_due_date) if entry.new_due_date else entry.new_due_state
                messages.add(contact, ("change", entry.changed_at), request, key,
                             [f"Was: {old} ({entry.old_due_state}). Now: {new} ({entry.new_due_state}).",
                              f"Why it moved: {entry.reason}"])
    return next_times


def _opted_out(vendor: Vendor, contact_id: int) -> bool:
    return any(c.id == contact_id and c.reminders_opt_out for c in vendor.contacts)


def _render_group(group: dict, now: datetime) -> tuple[dict, list[str]] | None:
    present = present_keys(group["keys"] + group["extra"])
    entries = [(u, r, n, k) for (u, r, n), k in zip(group["entries"], group["keys"]) if k not in present]
    if not entries:
        return None
    cause = group["cause"][0]
    entries.sort(key=lambda e: (e[0] if e[0] is not None else 0, e[1].due_date or now.date(), e[1].id))
    first = entries[0][1]
    team = team_name_of(first)
    lines = [request_line(r, link_for(r, now), notes) for _, r, notes, _ in entries]
    count = len(entries)
    if cause == "request":
        kind, subject = "vendor_request", (f"Request from {team}: {first.obligation.title}" if count == 1
                                           else f"{count} requests from {team}")
        heading, intro = "Please answer", (f"{asking_party(team)} asks {first.vendor.name} for the following. "
                                           "No account is needed.")
    elif cause == "reminder":
        overdue = any(e[0] is not None and e[0] < 0 for e in entries)
        kind = "vendor_overdue" if overdue else "vendor_reminder"
        subject = (f"{'Overdue' if overdue else 'Reminder'}: {first.obligation.title}" if count == 1
                   else f"{'Overdue and due' if overdue else 'Due'}: {count} requests from {team}")
        heading, intro = "A reminder", (f"{asking_party(team)} is still waiting for these answers from "
                                        f"{first.vendor.name}.")
    else:
        kind = "vendor_change"
        subject = (f"Deadline moved: {first.obligation.title}" if count == 1
                   else f"{count} deadlines moved for {first.vendor.name}")
        heading, intro = "A deadline moved", "The date by which we need your answer has changed."
    values = outbox_values(kind, group["contact"], subject, heading, intro, lines, now, team_name=team,
                           request_id=first.id)
    keys = [k for *_, k in entries] + [k for k in group["extra"] if k not in present]
    return values, keys


def _claim(now: datetime, last_id: int) -> tuple[list[int], datetime | None, int]:
    """Claim the next batch of due requests: (claimed ids, token, last id looked at).

    The claimed rows' `next_reminder_at` becomes a token a lease ahead (with a
    random sub-second part, so it is this pass's own): other passes skip them,
    a move meanwhile replaces it with PLAN_NOW, and a pass that dies leaves
    them due again once the lease is over.
    """
    begin_write()
    table = VendorRequest.__table__
    ids = list(db.session.scalars(select(table.c.id).where(table.c.next_reminder_at <= now, table.c.id > last_id)
                                  .order_by(table.c.id).limit(BATCH)))
    if not ids:
        db.session.commit()
        return [], None, last_id
    token = now + CLAIM_LEASE + timedelta(microseconds=secrets.randbelow(999_999) + 1)
    db.session.execute(update(table).where(table.c.id.in_(ids), table.c.next_reminder_at <= now)
                       .values(next_reminder_at=token))
    claimed = sorted(db.session.scalars(select(table.c.id).where(table.c.id.in_(ids),
                                                                 table.c.next_reminder_at == token)))
    db.session.commit()
    return claimed, token, ids[-1]


def _load(ids: list[int]) -> list[VendorRequest]:
    return list(db.session.scalars(
        select(VendorRequest).where(VendorRequest.id.in_(ids)).order_by(VendorRequest.id)
        .options(joinedload(VendorRequest.vendor).joinedload(Vendor.team),
                 joinedload(VendorRequest.vendor).selectinload(Vendor.contacts),
                 joinedload(VendorRequest.obligation).joinedload(Obligation.anchor_event).joinedload(Event.source))))


def _plan_batch(ids: list[int], token: datetime, now: datetime, since: datetime) -> int:
    added = 0
    messages = _Messages()
    next_times = _gather(_load(ids), now, since, messages)
    for group in messages.groups.values():
        rendered = _render_group(group, now)
        if rendered is not None:
            added += queue(*rendered)
    table = VendorRequest.__table__
    for request_id, next_at in next_times.items():
        # Only if still ours: a move since the claim reset the column, and the request is planned again.
        db.session.execute(update(table).where(table.c.id == request_id, table.c.next_reminder_at == token)
                           .values(next_reminder_at=next_at))
    db.session.commit()
    return added


def plan_vendor_mail(now: datetime) -> int:
    """Queue every vendor email due at `now`; returns how many messages were added.

    Reopens requests whose accepted evidence expired first, so their notices
    and reminders are part of the same pass. Each batch is claimed in one
    short transaction and planned in another.
    """
    from tracker.vendors.review import reopen_expired

    reopen_expired(now)
    db.session.commit()
    since = changes_since(now)
    added, last_id = 0, 0
    while True:
        ids, token, last_id = _claim(now, last_id)
        if token is None:
            return added
        if not ids:
            continue
        try:
            added += _plan_batch(ids, token, now, since)
        except BaseException:
            try:
                release_claim(VendorRequest, ids, token)
            except Exception:  # the database itself failed: the lease runs out instead
                pass
            raise
