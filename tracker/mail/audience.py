"""Who a change of some deadlines tells: one definition for the event page, the preview and the API.

The members of each team (and the owners) who take change notices, the
contacts of the vendors whose requests move, and the team channels that take
`deadline.changed` or `event.recorded`. It asks the mail's own rules
(tracker.mail.planning), so it lives in the mail, above the register that
says what depends on an event (tracker.register.dependents).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import select

from tracker.db import db
from tracker.mail.planning import members_by_team, recipients_of, wants
from tracker.models import Channel, Obligation, Team, Vendor, VendorContact, VendorRequest
from tracker.models.vendors import TOLD_OF_CHANGES


@dataclass
class Audience:
    """Who a change of some deadlines tells."""

    members: dict[str, list[str]] = field(default_factory=dict)   # team name -> people's names
    contacts: dict[str, list[str]] = field(default_factory=dict)  # vendor name -> contacts' names
    channels: list[str] = field(default_factory=list)             # "Procurement: Slack #compliance"

    def summary(self) -> str:
        parts = []
        for team, names in self.members.items():
            parts.append(f"{', '.join(names)} ({team})")
        contacts = sum(len(names) for names in self.contacts.values())
        if contacts:
            parts.append(f"{contacts} vendor contact{'s' if contacts != 1 else ''} "
                         f"({', '.join(self.contacts)})")
        if self.channels:
            parts.append(f"{len(self.channels)} channel{'s' if len(self.channels) != 1 else ''} "
                         f"({', '.join(self.channels)})")
        return "; ".join(parts) if parts else "nobody"

    def as_dict(self) -> dict:
        return {"members": self.members, "vendor_contacts": self.contacts, "channels": self.channels,
                "summary": self.summary()}


def audience(obligation_ids: Iterable[int]) -> Audience:
    """Who hears of a change of these deadlines (change notices, vendor change notices, channels)."""
    ids = sorted(set(obligation_ids))
    told = Audience()
    if not ids:
        return told
    obligations = list(db.session.scalars(select(Obligation).where(Obligation.id.in_(ids))))
    members = members_by_team()
    teams = {team.id: team for team in db.session.scalars(
        select(Team).where(Team.id.in_({ob.team_id for ob in obligations})).order_by(Team.name))}
    people: dict[int, dict[int, str]] = defaultdict(dict)
    for obligation in obligations:
        for user in recipients_of(obligation, members):
            if wants(user, "change"):
                people[obligation.team_id][user.id] = user.name or user.email
    for team_id in sorted(people, key=lambda t: teams[t].name):
        told.members[teams[team_id].name] = sorted(people[team_id].values())
    rows = db.session.execute(
        select(Vendor.name, VendorContact.name, VendorContact.email).select_from(VendorRequest)
        .join(Vendor, Vendor.id == VendorRequest.vendor_id)
        .join(VendorContact, VendorContact.vendor_id == Vendor.id)
        .where(VendorRequest.obligation_id.in_(ids), VendorRequest.status.in_(TOLD_OF_CHANGES),
               Vendor.status == "active")
        .distinct().order_by(Vendor.name, VendorContact.name)).all()
    for vendor_name, contact_name, email in rows:
        names = told.contacts.setdefault(vendor_name, [])
        if (contact_name or email) not in names:
            names.append(contact_name or email)
    for channel in db.session.scalars(select(Channel).where(Channel.team_id.in_(list(teams)),
                                                            Channel.status == "active").order_by(Channel.id)):
        if {"deadline.changed", "event.recorded"} & set(channel.event_types or []):
            told.channels.append(f"{teams[channel.team_id].name}: {channel.label}")
    return told
