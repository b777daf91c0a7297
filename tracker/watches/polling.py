"""Polling watches: claim a watch with a lease, fetch outside any transaction, store the result whole.

One poll of a watch runs at a time across processes: a watch is claimed like an
outbox row (a short transaction sets `claimed_by` and `lease_expires_at`), the
provider's HTTP runs with no transaction open, and the result is written in one
transaction that first checks the lease is still ours. A failure writes only the
watch's own error fields, so no poll leaves half a result; one watch's failure
never stops the others. The teams are told from what is stored (proposals not
yet marked told, tracker.watches.notify), before polling and after, so a notice
that a crashed pass owed goes with the next pass, polled watches or none.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from tracker.clock import utcnow
from tracker.db import db
from tracker.models import Watch
from tracker.operations import metrics
from tracker.txn import begin_write, claim_ids
from tracker.watches.notify import notify_untold
from tracker.watches.proposals import auto_apply
from tracker.watches.providers import Observation, ProviderError, ProviderSkipped, get_provider
from tracker.watches.store import StoredPoll, store_observations
from tracker.watches.wording import provider_label

log = logging.getLogger(__name__)

POLL_EVERY = timedelta(hours=6)
# Watches created together are spread over this window, so the regulators are
# not asked for everything in the same minute every six hours.
STAGGER_SECONDS = 3600
LEASE = timedelta(minutes=15)
FIRST_RETRY = timedelta(minutes=15)
CLAIM_BATCH = 10
# A pass stops claiming (and gives back what it has not polled) after this long, well inside the lease:
# a hanging provider costs each fetch at most its deadline (tracker.watches.providers.http), and the pass
# at most this; the watches left over are polled by the next pass.
PASS_DEADLINE_SECONDS = 600.0


def stagger(watch_id: int) -> timedelta:
    """A fixed offset per watch within STAGGER_SECONDS (Knuth's multiplicative hash)."""
    return timedelta(seconds=(watch_id * 2654435761) % STAGGER_SECONDS)


def retry_delay(failures: int, retry_after: float | None) -> timedelta:
    """15 min, 30 min, 1 h, ... at most the poll interval; never sooner than the provider asked."""
    delay = min(POLL_EVERY, FIRST_RETRY * 2 ** max(0, failures - 1))
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class WatchOutcome:
    """What one poll of one watch did."""

    watch_id: int
    name: str
    observed: int = 0
    proposed: list[int] = field(default_factory=list)
    applied: list[int] = field(default_factory=list)
    error: str = ""
    skipped: str = ""
    provider: str = ""

    @property
    def result(self) -> str:
        return "failed" if self.error else "skipped" if self.skipped else "ok"


@dataclass
class PollReport:
    outcomes: list[WatchOutcome] = field(default_factory=list)
    notice: str = ""
    notify_error: str = ""

    @property
    def failed(self) -> list[WatchOutcome]:
        return [o for o in self.outcomes if o.error]

    @property
    def proposed(self) -> list[int]:
        return [pid for o in self.outcomes for pid in o.proposed]

    def lines(self) -> list[str]:
        """One line per watch, then the totals."""
        out = []
        for o in self.outcomes:
            if o.error:
                out.append(f"FAILED {o.name}: {o.error}")
            elif o.skipped:
                out.append(f"skipped {o.name}: {o.skipped}")
            else:
                out.append(f"{o.name}: observed {o.observed} new, proposed {len(o.proposed)}, "
                           f"applied {len(o.applied)}")
        applied = sum(len(o.applied) for o in self.outcomes)
        out.append(f"{len(self.outcomes)} watch(es) polled: {sum(o.observed for o in self.outcomes)} observed, "
                   f"{len(self.proposed)} proposed, {applied} applied, {len(self.failed)} failed")
        if self.notice:
            out.append(self.notice)
        if self.notify_error:
            out.append(self.notify_error)
        return out


def claim_watches(now: datetime, token: str, *, due_only: bool, exclude: set[int],
                  limit: int = CLAIM_BATCH) -> list[int]:
    """Claim up to `limit` watches nobody else holds (due ones only, unless `due_only` is off)."""
    claimable = or_(Watch.lease_expires_at.is_(None), Watch.lease_expires_at < now)
    if due_only:
        claimable = claimable & (Watch.next_poll_at <= now)
    if exclude:
        claimable = claimable & Watch.id.notin_(exclude)
    try:
        begin_write()
        ids = claim_ids(Watch, claimable, (Watch.next_poll_at, Watch.id),
                        {"claimed_by": token, "lease_expires_at": now + LEASE}, limit)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ids


def _locked_watch(watch_id: int, token: str) -> Watch | None:
    """The watch under the write lock, if our lease on it still holds."""
    begin_write()
    watch = db.session.scalar(select(Watch).where(Watch.id == watch_id).with_for_update()
                              .execution_options(populate_existing=True))
    if watch is None or watch.claimed_by != token:
        db.session.rollback()
        return None
    return watch


def _give_back(ids: list[int], token: str) -> None:
    """Release claimed watches this pass will not poll (still due: the next pass takes them)."""
    db.session.execute(update(Watch).where(Watch.id.in_(ids), Watch.claimed_by == token)
                       .values(claimed_by=None, lease_expires_at=None).execution_options(synchronize_session=False))
    db.session.commit()


def _release(watch: Watch, now: datetime, next_poll: datetime) -> None:
    watch.last_polled_at = now
    watch.next_poll_at = next_poll
    watch.claimed_by = None
    watch.lease_expires_at = None


def record_failure(watch_id: int, token: str, now: datetime, reason: str, *, retry_after: float | None = None,
                   skipped: bool = False) -> None:
    """Write the watch's error (or notice) and its next try; nothing else."""
    try:
        watch = _locked_watch(watch_id, token)
        if watch is None:
            return
        if skipped:
            watch.status = "skipped"
            next_poll = now + POLL_EVERY
        else:
            watch.status = "failing"
            watch.failing_since = watch.failing_since or now
            watch.consecutive_failures = (watch.consecutive_failures or 0) + 1
            next_poll = now + retry_delay(watch.consecutive_failures, retry_after)
        watch.last_error = reason[:2000]
        watch.last_error_at = now
        _release(watch, now, next_poll)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


ProviderFactory = Callable[[str], object]


def poll_watch(watch_id: int, token: str, now: datetime, providers: ProviderFactory,
               auto_apply: Callable[[list[int]], list[int]]) -> WatchOutcome:
    """Poll one claimed watch: fetch, store whole (or record the failure), then auto-apply."""
    watch = db.session.get(Watch, watch_id, populate_existing=True)
    name = f"{watch.key} ({watch.source.title})"
    provider_name, kind, item = watch.provider, watch.item_kind, watch.item
    db.session.rollback()  # no transaction open while the provider is asked
    outcome = WatchOutcome(watch_id, name, provider=provider_name)
    try:
        fetched: list[Observation] = providers(provider_name).fetch(kind, item)
    except ProviderSkipped as exc:
        outcome.skipped = exc.reason
        record_failure(watch_id, token, now, exc.reason, skipped=True)
        return outcome
    except ProviderError as exc:
        outcome.error = exc.reason
        record_failure(watch_id, token, now, exc.reason, retry_after=exc.retry_after)
        return outcome
    except Exception as exc:  # noqa: BLE001 - a provider bug is this watch's failure, not the pass's
        log.exception("watch %s: provider %s failed unexpectedly", watch_id, provider_name)
        outcome.error = f"{provider_label(provider_name)}: unexpected error ({type(exc).__name__})"
        record_failure(watch_id, token, now, outcome.error)
        return outcome
    try:
        watch = _locked_watch(watch_id, token)
        if watch is None:
            outcome.error = "the watch was removed, or claimed by another poll meanwhile; nothing stored"
            return outcome
        stored: StoredPoll = store_observations(watch, fetched, now)
        _release(watch, now, now + POLL_EVERY + stagger(watch_id))
        watch.status = "ok"
        watch.last_success_at = now
        watch.failing_since = None
        watch.consecutive_failures = 0
        apply = watch.auto_apply
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - roll back the whole result, record why
        db.session.rollback()
        log.exception("watch %s: storing the poll failed", watch_id)
        outcome.error = f"storing the poll failed ({type(exc).__name__}); nothing was written"
        record_failure(watch_id, token, now, outcome.error)
        return outcome
    outcome.observed = stored.observed
    outcome.proposed = stored.proposed
    if apply and stored.applicable:
        outcome.applied = auto_apply(stored.applicable)
    return outcome


def provider_factory(config: Mapping, **http_options) -> ProviderFactory:
    """Providers built once per pass from the app's configuration."""
    built: dict[str, object] = {}

    def get(name: str):
        if name not in built:
            built[name] = get_provider(name, config, **http_options)
        return built[name]

    return get


def run_poll_pass(now: datetime | None = None, *, due_only: bool = True, config: Mapping | None = None,
                  http_options: Mapping | None = None, notify: bool = True,
                  providers: ProviderFactory | None = None) -> PollReport:
    """Poll the due watches (every watch once, when `due_only` is off), telling the teams before and after.

    Telling first sends what an earlier pass stored and never told (it died, or
    telling failed); telling after sends this pass's own proposals (and any
    another process stored meanwhile). `providers` (a name -> provider function)
    replaces the configured providers.
    """
    now = now or utcnow()
    token = worker_id()
    if providers is None:
        providers = provider_factory(config if config is not None else current_app.config,
                                     **dict(http_options or {}))
    report = PollReport()
    if notify:
        _tell_teams(report, now)
    done: set[int] = set()
    started = time.monotonic()
    while True:
        ids = claim_watches(now, token, due_only=due_only, exclude=done)
        if not ids:
            break
        for index, watch_id in enumerate(ids):
            if time.monotonic() - started > PASS_DEADLINE_SECONDS:
                _give_back(ids[index:], token)
                report.notice = (f"the pass stopped after {PASS_DEADLINE_SECONDS:g} s; "
                                 f"the remaining watches are polled by the next pass")
                break
            done.add(watch_id)
            report.outcomes.append(poll_watch(watch_id, token, now, providers,
                                              lambda ids: auto_apply(ids, now)))
            metrics.watch_poll(report.outcomes[-1].provider, report.outcomes[-1].result)
        if report.notice:
            break
    if notify:
        _tell_teams(report, now)
    return report


def _tell_teams(report: PollReport, now: datetime) -> None:
    """Queue the notices of every proposal not told yet; a failure is reported, never fatal to the pass."""
    try:
        notify_untold(now)
        report.notify_error = ""
    except Exception as exc:  # noqa: BLE001 - the proposals stay stored and untold; the next pass tells them
        db.session.rollback()
        log.exception("notifying the new proposals failed")
        report.notify_error = (f"the new proposals are stored, but notifying the teams failed "
                               f"({type(exc).__name__}); the next pass tries again")
