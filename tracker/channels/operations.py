"""Channel use cases: create, update, enable, disable, delete, queue a delivery, test, replay.

Each owns its transaction (commit=False hands it to the caller) and writes the
audit log; neither the URL's secret parts nor the signing secret ever go into
the log. Planning calls `enqueue` to queue a notification; `delivery` sends.
"""

from __future__ import annotations

import os
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker import audit
from tracker.audit import Actor
from tracker.channels import payloads, signing
from tracker.channels.targets import TargetRefused, check_url
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.sealing import seal
from tracker.fields import check_line
from tracker.models import Channel, ChannelDelivery, Team
from tracker.txn import owns_transaction


def allow_private() -> bool:
    """TRACKER_WEBHOOK_ALLOW_PRIVATE=1 (the app config wins over the environment)."""
    value = current_app.config.get("TRACKER_WEBHOOK_ALLOW_PRIVATE")
    if value is None:
        value = os.environ.get("TRACKER_WEBHOOK_ALLOW_PRIVATE", "0")
    return str(value).strip().lower() in ("1", "true", "yes")


def parse_event_types(value: str | list[str] | None) -> list[str]:
    """Event types from 'a,b' or a list; none given means every type but the opt-in ones
    (comments). Unknown ones are refused."""
    if value is None:
        return list(payloads.DEFAULT_EVENT_TYPES)
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [name.strip() for name in names if name and name.strip()]
    if not names:
        return list(payloads.DEFAULT_EVENT_TYPES)
    unknown = [name for name in names if name not in payloads.EVENT_TYPES]
    if unknown:
        raise ValidationFailed({"event_types": f"unknown event type(s) {', '.join(unknown)}; known: "
                                               f"{', '.join(payloads.EVENT_TYPES)}"})
    return [name for name in payloads.EVENT_TYPES if name in names]


def check_target(kind: str, url: str) -> str:
    """The URL, stripped, when a channel of `kind` may use it; else ValidationFailed naming the field."""
    if kind not in payloads.KINDS:
        raise ValidationFailed({"kind": f"unknown kind '{kind}'; use one of {', '.join(payloads.KINDS)}"})
    try:
        return check_url(kind, url, allow_private()).url
    except TargetRefused as exc:
        raise ValidationFailed({"url": str(exc)}) from None


def _public_fields(channel: Channel) -> dict:
    # The URL is left out: a Slack or Teams webhook URL is itself a credential.
    return {"team_id": channel.team_id, "kind": channel.kind, "name": channel.name,
            "event_types": list(channel.event_types or []), "status": channel.status}


@owns_transaction
def create_channel(team: Team, kind: str, url: str, actor: Actor, event_types=None, name: str = "",
                   now: datetime | None = None, commit: bool = True) -> tuple[Channel, str | None]:
    """A new active channel and, for a webhook, its signing secret (shown once, stored sealed)."""
    now = now or utcnow()
    problem = check_line(name or "", 200)
    if problem:
        raise ValidationFailed({"name": problem})
    url = check_target(kind, url)
    types = parse_event_types(event_types)
    channel = Channel(team_id=team.id, kind=kind, name=(name or "").strip(), url=url, event_types=types,
                      status="active", created_at=now, updated_at=now)
    secret = None
    if kind == "webhook":
        secret = signing.new_secret()
        channel.secret_digest, channel.secret_sealed = seal(secret)
    db.session.add(channel)
    db.session.flush()
    audit.log(actor, "create", channel, audit.diff({}, _public_fields(channel)), at=now)
    return channel, secret


@owns_transaction
def update_channel(channel: Channel, actor: Actor, *, name: str | None = None, event_types=None,
                   url: str | None = None, now: datetime | None = None, commit: bool = True) -> bool:
    """Change the name, event types or URL; True when anything changed."""
    now = now or utcnow()
    before = _public_fields(channel)
    if name is not None:
        problem = check_line(name, 200)
        if problem:
            raise ValidationFailed({"name": problem})
        channel.name = name.strip()
    if event_types is not None:
        channel.event_types = parse_event_types(event_types)
    url_changed = False
    if url is not None and url.strip() != channel.url:
        channel.url, url_changed = check_target(channel.kind, url), True
    changes = audit.diff(before, _public_fields(channel))
    if url_changed:
        changes["url"] = ["***", "***"]
    if changes:
        channel.updated_at = now
        audit.log(actor, "update", channel, changes, at=now)
    return bool(changes)


@owns_transaction
def enable_channel(channel: Channel, actor: Actor, now: datetime | None = None, commit: bool = True) -> None:
    """Turn a disabled channel back on; its failure count starts again from zero."""
    now = now or utcnow()
    if channel.status == "active":
        return
    audit.log(actor, "enable", channel, {"status": ["disabled", "active"]}, at=now)
    channel.status, channel.consecutive_failures, channel.disabled_at = "active", 0, None
    channel.updated_at = now


@owns_transaction
def disable_channel(channel: Channel, reason: str, actor: Actor, now: datetime | None = None,
                    commit: bool = True) -> None:
    """Stop sending to a channel and record why (shown on the team's channel page)."""
    now = now or utcnow()
    if channel.status == "disabled":
        return
    channel.status, channel.disabled_reason, channel.disabled_at = "disabled", reason[:2000], now
    channel.updated_at = now
    audit.log(actor, "disable", channel, {"status": ["active", "disabled"], "reason": [None, reason[:2000]]},
              at=now)


@owns_transaction
def delete_channel(channel: Channel, actor: Actor, now: datetime | None = None, commit: bool = True) -> None:
    """Delete a channel and its deliveries."""
    now = now or utcnow()
    audit.log(actor, "delete", channel, audit.diff(_public_fields(channel), {}), at=now)
    db.session.delete(channel)


def _team_summary(channel: Channel) -> dict:
    team = channel.team or db.session.get(Team, channel.team_id)
    return {"key": team.key, "name": team.name}


@owns_transaction
def enqueue(channel: Channel, event_type: str, unique_key: str, items: list[dict],
            now: datetime | None = None, commit: bool = True) -> ChannelDelivery | None:
    """Queue one notification for `channel`, at most once per `unique_key`.

    Returns the delivery (the existing one when `unique_key` was queued
    before), or None when the channel does not take `event_type`. The body
    is built now, so every attempt sends the same bytes.
    """
    now = now or utcnow()
    if event_type != payloads.TEST_EVENT and event_type not in (channel.event_types or []):
        return None
    if event_type not in payloads.EVENT_TYPES and event_type != payloads.TEST_EVENT:
        raise ValidationFailed({"event_type": f"unknown event type '{event_type}'"})
    query = select(ChannelDelivery).where(ChannelDelivery.channel_id == channel.id,
                                          ChannelDelivery.unique_key == unique_key)
    existing = db.session.scalar(query)
    if existing is not None:
        return existing
    delivery = ChannelDelivery(
        channel_id=channel.id, event_type=event_type, unique_key=unique_key[:200],
        webhook_id=signing.new_webhook_id(),
        body=payloads.build_body(channel.kind, event_type, items, _team_summary(channel), now),
        status="pending", attempts=0, next_attempt_at=now, created_at=now, last_error="")
    try:
        with db.session.begin_nested():  # a concurrent planner may have queued it meanwhile
            db.session.add(delivery)
    except IntegrityError:
        return db.session.scalar(query)
    return delivery


def send_test(channel: Channel, actor: Actor, now: datetime | None = None) -> ChannelDelivery:
    """Queue a test message to the channel (sent by the next delivery pass, or at once by the caller)."""
    now = now or utcnow()
    base = current_app.config.get("TRACKER_BASE_URL", "")
    items = [{"title": "Test message from the compliance deadline tracker", "url": base or None,
              "detail": f"sent by {actor.label}"}]
    delivery = enqueue(channel, payloads.TEST_EVENT, f"test:{signing.new_webhook_id()}", items, now=now,
                       commit=False)
    audit.log(actor, "test", channel, {"delivery": [None, delivery.webhook_id]}, at=now)
    db.session.commit()
    return delivery


@owns_transaction
def replay(delivery: ChannelDelivery, actor: Actor, now: datetime | None = None, commit: bool = True) -> None:
    """Send a delivery again, with the same webhook-id and body."""
    now = now or utcnow()
    channel = delivery.channel
    if channel.status != "active":
        raise Conflict("the channel is disabled; enable it before replaying a delivery", field="channel")
    if delivery.status == "sending":
        raise Conflict("this delivery is being sent right now", field="delivery")
    delivery.status, delivery.next_attempt_at = "pending", now
    audit.log(actor, "replay", channel, {"delivery": [None, delivery.webhook_id]}, at=now)
