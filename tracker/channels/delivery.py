"""Sending channel deliveries: claim in a short committed transaction, POST outside any.

The claim, lease, give-back and retry schedule are the mail outbox's
(tracker.queue): a conditional UPDATE claims each row with a lease and is
committed before the first byte goes out; an outcome is written only while
our claim still holds. A process that dies holding a claim leaves rows whose
lease expires, and the next pass sends them. The request goes to the address the target check just approved
(Host and TLS SNI keep the name), so a DNS answer that changes between check
and connect cannot redirect it to a private address.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select, update

from tracker import queue
from tracker.audit import SYSTEM
from tracker.channels import notices, operations
from tracker.channels.signing import signed_headers
from tracker.channels.targets import TargetRefused, check_url
from tracker.clock import utcnow
from tracker.db import db
from tracker.http_limits import ACCEPT_ENCODING, Deadline, DeadlineExceeded, TooLarge, read_capped
from tracker.models import Channel, ChannelDelivery
from tracker.operations import metrics
from tracker.retry_after import retry_after

LEASE = timedelta(minutes=5)
CLAIM_BATCH = queue.CLAIM_BATCH
# Unsent rows of a batch are given back once half the lease has gone (see tracker.queue).
SEND_WITHIN = LEASE / 2
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# A wall-clock limit on one attempt, whatever the receiver does (a byte every few seconds included);
# TRACKER_DELIVERY_DEADLINE_SECONDS changes it. Of the answer only the first 64 KB are read (error text).
ATTEMPT_DEADLINE = 15.0
MAX_ANSWER_BYTES = 64 * 1024
MAX_ATTEMPTS = 8  # per delivery; a channel is disabled sooner by consecutive failures
DISABLE_AFTER = 5  # consecutive failed attempts on one channel
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
RETRY_AFTER_CAP = timedelta(hours=24)
USER_AGENT = "compliance-deadline-tracker-webhooks/1.0 (+https://www.standardwebhooks.com/)"
# Slack answers these when the webhook itself is gone or revoked: retrying cannot help.
SLACK_FATAL = ("invalid_token", "no_service", "no_service_id", "no_team", "team_disabled",
               "channel_is_archived", "action_prohibited")


@dataclass
class DeliveryResult(queue.PassCounts):
    delivered: int = 0
    disabled: int = 0


@dataclass(frozen=True)
class Outcome:
    """What one attempt amounted to."""

    ok: bool
    message: str = ""
    code: int | None = None
    disable: bool = False
    retry_after: timedelta | None = None


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour, with +-20% jitter."""
    return queue.backoff(attempts, rng, BACKOFF_BASE, BACKOFF_CAP)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as delay-seconds or an HTTP date, capped at a day."""
    return retry_after(value, now, RETRY_AFTER_CAP)


def classify(kind: str, response: httpx.Response, now: datetime, body: bytes = b"") -> Outcome:
    """Delivered, retry later, or give up on the channel, from the receiver's answer (`body`: its start)."""
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(ok=True, code=code)
    text = body[:2000].decode("utf-8", "replace")[:500].strip()
    if 300 <= code < 400:
        where = response.headers.get("location", "")
        return Outcome(ok=False, code=code, message=f"HTTP {code}: redirected to {where or '(no Location)'}; "
                                                     "redirects are not followed, give the channel its final URL")
    message = f"HTTP {code}" + (f": {text[:200]}" if text else "")
    if code == 410:
        return Outcome(ok=False, code=code, disable=True, message=f"{message} (the endpoint is gone)")
    if kind == "slack" and (code == 404 or text in SLACK_FATAL):
        return Outcome(ok=False, code=code, disable=True,
                       message=f"{message} (Slack says this webhook no longer exists or was revoked)")
    return Outcome(ok=False, code=code, message=message,
                   retry_after=parse_retry_after(response.headers.get("retry-after"), now))


_CLAIM_COLUMNS = (select(ChannelDelivery.id, ChannelDelivery.channel_id, ChannelDelivery.webhook_id,
                         ChannelDelivery.body, ChannelDelivery.attempts, Channel.kind, Channel.url,
                         Channel.secret_digest, Channel.secret_sealed)
                  .join(Channel, Channel.id == ChannelDelivery.channel_id))


def claim(now: datetime, worker: str, limit: int = CLAIM_BATCH, skip: set[int] | frozenset = frozenset()) -> list:
    """Claim up to `limit` due deliveries of active channels for `worker`; committed before returning.

    `skip`: deliveries this pass already tried (one attempt per delivery per pass, however long it took).
    """
    active = ChannelDelivery.channel_id.in_(select(Channel.id).where(Channel.status == "active"))
    if skip:
        active = active & ChannelDelivery.id.notin_(sorted(skip))
    return queue.claim(ChannelDelivery, _CLAIM_COLUMNS, now, worker, LEASE, limit, where=active)


def _finish(row_id: int, worker: str, values: dict) -> bool:
    """Record an outcome only if our claim still holds; the caller commits."""
    return queue.finish(ChannelDelivery, row_id, worker, values)


def _release(rows: list, worker: str) -> None:
    """Give claimed, unsent rows back at once (no attempt counted)."""
    queue.release(ChannelDelivery, rows, worker)


def _attempt(client: httpx.Client, row, at: datetime) -> Outcome:
    from tracker.sealing import unseal

    try:
        target = check_url(row.kind, row.url, operations.allow_private())
    except TargetRefused as exc:
        return Outcome(ok=False, message=f"target refused at send time: {exc}")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}"}
    if row.kind == "webhook":
        secret = unseal(row.secret_digest or "", row.secret_sealed or "")
        if secret is None:
            return Outcome(ok=False, message="the signing secret cannot be decrypted (SECRET_KEY changed?)")
        headers.update(signed_headers(secret, row.webhook_id, row.body, at))
    extensions = {"sni_hostname": target.host} if target.url.startswith("https") else {}
    headers["Accept-Encoding"] = ACCEPT_ENCODING
    seconds = attempt_deadline()
    deadline = Deadline(seconds)
    try:
        with deadline, client.stream("POST", target.connect_url, content=row.body.encode(), headers=headers,
                                     extensions={**extensions, **deadline.extensions}) as response:
            body = read_capped(response, MAX_ANSWER_BYTES, deadline, truncate=True)
    except (DeadlineExceeded, httpx.TimeoutException) as exc:
        if deadline.expired or isinstance(exc, DeadlineExceeded):
            return Outcome(ok=False, message=f"timed out: no complete answer within {seconds:g} s")
        return Outcome(ok=False, message=f"timed out: {type(exc).__name__}")
    except TooLarge as exc:
        return Outcome(ok=False, message=f"unreadable answer: {exc}"[:500])
    except httpx.HTTPError as exc:
        if deadline.expired:
            return Outcome(ok=False, message=f"timed out: no complete answer within {seconds:g} s")
        return Outcome(ok=False, message=f"could not connect: {exc}"[:500])
    return classify(row.kind, response, at, body)


def attempt_deadline() -> float:
    """Seconds one attempt may take, start to end (TRACKER_DELIVERY_DEADLINE_SECONDS, default 15)."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("TRACKER_DELIVERY_DEADLINE_SECONDS"):
        return float(current_app.config["TRACKER_DELIVERY_DEADLINE_SECONDS"])
    return ATTEMPT_DEADLINE


def _record(row, worker: str, outcome: Outcome, at: datetime, rng, result: DeliveryResult) -> None:
    attempts = row.attempts + 1
    common = {"attempts": attempts, "response_code": outcome.code, "last_attempt_at": at}
    if outcome.ok:
        if _finish(row.id, worker, {"status": "delivered", "delivered_at": at, "last_error": "", **common}):
            db.session.execute(update(Channel).where(Channel.id == row.channel_id, Channel.consecutive_failures != 0)
                               .values(consecutive_failures=0).execution_options(synchronize_session=False))
            result.delivered += 1
            metrics.channel_delivery(row.kind, "delivered")
        db.session.commit()
        return
    result.errors.append(outcome.message)
    db.session.execute(update(Channel).where(Channel.id == row.channel_id)
                       .values(consecutive_failures=Channel.consecutive_failures + 1)
                       .execution_options(synchronize_session=False))
    failures = db.session.scalar(select(Channel.consecutive_failures).where(Channel.id == row.channel_id)) or 0
    disable = outcome.disable or failures >= DISABLE_AFTER
    if disable or attempts >= MAX_ATTEMPTS:
        _finish(row.id, worker, {"status": "failed", "last_error": outcome.message[:2000], **common})
        result.failed += 1
        metrics.channel_delivery(row.kind, "failed")
    else:
        delay = backoff(attempts, rng)
        if outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        _finish(row.id, worker, {"status": "pending", "last_error": outcome.message[:2000],
                                 "next_attempt_at": at + delay, **common})
        result.retried += 1
        metrics.channel_delivery(row.kind, "retried")
    if disable:
        channel = db.session.get(Channel, row.channel_id)
        reason = (outcome.message if outcome.disable
                  else f"{failures} consecutive failed deliveries; the last: {outcome.message}")
        if channel is not None and channel.status == "active":
            operations.disable_channel(channel, reason, SYSTEM, now=at, commit=False)
            db.session.flush()
            notices.tell_admins(channel, at)  # in the same transaction: once per disabling
            result.disabled += 1
    db.session.commit()


def make_client() -> httpx.Client:
    """The HTTP client deliveries use: no redirects, short timeouts, a descriptive User-Agent."""
    # No keep-alive: each attempt opens its own connection, whose socket the deadline can shut.
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False,
                        headers={"User-Agent": USER_AGENT}, limits=httpx.Limits(max_keepalive_connections=0))


def deliver_due(now: datetime | None = None, rng: random.Random | None = None,
                client: httpx.Client | None = None, max_deliveries: int | None = None) -> DeliveryResult:
    """Send every due delivery (the scheduler's pass, `send-deliveries`, or a test)."""
    now = now or utcnow()
    rng = rng or random.Random()
    run = queue.LeasedPass(now, max_deliveries, CLAIM_BATCH)
    result = DeliveryResult()
    own_client = client is None
    client = client or make_client()
    try:
        tried: set[int] = set()
        for rows in run.batches(lambda at, worker, limit: claim(at, worker, limit, tried)):
            for row in run.in_time(rows, SEND_WITHIN, _release):
                tried.add(row.id)
                if db.session.scalar(select(Channel.status).where(Channel.id == row.channel_id)) != "active":
                    _finish(row.id, run.worker, {"status": "pending"})  # disabled meanwhile: kept for later
                    db.session.commit()
                    continue
                at = run.clock()
                _record(row, run.worker, _attempt(client, row, at), at, rng, result)
    finally:
        if own_client:
            client.close()
    return result
