"""Who is asking: the organization's name and reply-to address on vendor-facing pages and mail.

An admin sets them on /admin/organization; until then TRACKER_ORGANIZATION_NAME (default "our
organization") and TRACKER_ORGANIZATION_REPLY_TO (default: none) apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from tracker import audit
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.fields import normalize_email
from tracker.models.organization import OrganizationSettings

NAME_MAX = 200


@dataclass(frozen=True)
class Organization:
    name: str
    reply_to: str  # "" when nobody set one
    from_settings: bool = False


def organization() -> Organization:
    """The saved settings, else the configured defaults."""
    row = db.session.get(OrganizationSettings, 1)
    if row is not None:
        return Organization(row.name, row.reply_to, True)
    return Organization(current_app.config.get("TRACKER_ORGANIZATION_NAME") or "our organization",
                        current_app.config.get("TRACKER_ORGANIZATION_REPLY_TO") or "")


def save_organization(name: str, reply_to: str, actor: audit.Actor) -> Organization:
    """Check and store the name and reply-to address (audited); refuses with field errors."""
    errors = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = "this field is required"
    elif len(name) > NAME_MAX:
        errors["name"] = f"at most {NAME_MAX} characters"
    address = ""
    if (reply_to or "").strip():
        address, problem = normalize_email(reply_to)
        if problem:
            errors["reply_to"] = problem
    if errors:
        raise ValidationFailed(errors)
    row = db.session.get(OrganizationSettings, 1)
    if row is None:
        row = OrganizationSettings(id=1, name=name, reply_to=address, updated_at=utcnow())
        db.session.add(row)
        audit.log_created(actor, row)
    else:
        audit.update_fields(actor, row, {"name": name, "reply_to": address})
    db.session.commit()
    return Organization(row.name, row.reply_to, True)
