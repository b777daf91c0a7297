"""Telling a team's admins by email that one of its channels was disabled, and why.

Queued in the transaction that disables the channel, through the normal
outbox (kind 'channel_disabled'), so it is sent, retried and shown like any
other email. The key names the channel and the moment it was disabled: at
most one email per admin per disabling; a channel enabled and disabled again
is a new disabling and a new email.
"""

from __future__ import annotations

from datetime import datetime

from flask import render_template
from sqlalchemy import select

from tracker.db import db
from tracker.mail.message import one_line
from tracker.mail.queue import insert_new, outbox_row
from tracker.mail.render import Rendered, base_url, message_id_for
from tracker.models import Channel, Team, User, team_members


def team_admins(team_id: int) -> list[User]:
    """The team's members with the admin role; when it has none, every active admin."""
    members = list(db.session.scalars(
        select(User).join(team_members, team_members.c.user_id == User.id)
        .where(team_members.c.team_id == team_id, User.role == "admin", User.active.is_(True)).order_by(User.id)))
    if members:
        return members
    return list(db.session.scalars(select(User).where(User.role == "admin", User.active.is_(True))
                                   .order_by(User.id)))


def disabled_key(channel: Channel, user: User) -> str:
    stamp = channel.disabled_at.strftime("%Y%m%dT%H%M%S%f") if channel.disabled_at else "unknown"
    return f"channel_disabled:{channel.id}:{stamp}:{user.id}"


def tell_admins(channel: Channel, now: datetime) -> int:
    """Queue the email to the team's admins about `channel` being disabled (caller's transaction); returns rows added."""
    team = db.session.get(Team, channel.team_id)
    url = f"{base_url()}/teams/{channel.team_id}/channels"
    rows = []
    for user in team_admins(channel.team_id):
        context = {"channel": channel, "team": team, "reason": one_line(channel.disabled_reason), "url": url,
                   "recipient": user}
        rendered = Rendered(
            subject=one_line(f"Channel disabled: {channel.label} of {team.name}")[:500],
            body_text=render_template("emails/channel_disabled.txt", **context),
            body_html=render_template("emails/channel_disabled.html", **context),
            ics=None, message_id=message_id_for("channel_disabled"), unsubscribe_url="")
        rows.append(outbox_row(disabled_key(channel, user), "channel_disabled", rendered, user, now,
                               team_id=channel.team_id))
    return insert_new(rows)

