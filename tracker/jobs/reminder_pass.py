"""One reminder pass: plan (obligations, digests), then dispatch; recorded for /healthz."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from tracker.clock import utcnow
from tracker.db import db
from tracker.channels.planning import plan_channels
from tracker.mail.digest import plan_digests
from tracker.mail.dispatch import dispatch
from tracker.mail.smtp import SmtpSettings
from tracker.jobs.stale_notices import plan_stale_notices
from tracker.models import ReminderRun
from tracker.operations import metrics
from tracker.mail.planning import plan_obligations
from tracker.vendors.mail.planning import plan_vendor_mail
from tracker.vendors.mail.checks import VENDOR_MAIL_CHECK
from tracker.vendors.mail.progress import plan_progress
from tracker.evidence.operations import expire_evidence
from tracker.work.mail import plan_work_mail


# The domains' own last looks at the mail they queue (tracker.mail.dispatch.KindCheck).
MAIL_CHECKS = (VENDOR_MAIL_CHECK,)


@dataclass(frozen=True)
class PassReport:
    planned: int
    sent: int
    retried: int
    failed: int
    kept: int
    smtp_configured: bool
    cancelled: int = 0

    def summary(self) -> str:
        line = (f"planned {self.planned}, sent {self.sent}, retried {self.retried}, "
                f"failed {self.failed}")
        if self.cancelled:
            line += f", cancelled {self.cancelled} (no longer due)"
        if not self.smtp_configured:
            line += f"; no SMTP host configured: {self.kept} message(s) kept in the outbox"
        return line


@metrics.observe_reminder_pass
def run_pass(now: datetime | None = None, rng: random.Random | None = None) -> PassReport:
    """Plan everything due at `now`, send what the outbox holds, record the run."""
    now = now or utcnow()
    started = time.monotonic()
    # Expired evidence reopens done obligations and tells their owners: first, so the reopened ones
    # are planned in this pass and the owners' notices join their reminder email of the pass.
    expire_evidence(now)
    planned = plan_obligations(now) + plan_digests(now) + plan_stale_notices(now)
    planned += plan_vendor_mail(now) + plan_progress(now)  # contacts' mail and the team's vendor summaries
    # Assignments, mentions, expiries not joined into a reminder email above: one email per person.
    planned += plan_work_mail(now)
    plan_channels(now)  # the same pass plans the team channels, from the same state
    # Deliveries are sent by their own job (tracker.jobs.deliveries): the mail never waits for a receiver.
    settings = SmtpSettings.from_config(current_app.config)
    result = dispatch(now, settings, rng=rng, checks=MAIL_CHECKS)
    # `now` may be a given clock (--now); the pass still took real time.
    finished = now + timedelta(seconds=time.monotonic() - started)
    db.session.add(ReminderRun(started_at=now, finished_at=finished, planned=planned, sent=result.sent,
                               retried=result.retried, failed=result.failed, kept=result.kept))
    db.session.commit()
    return PassReport(planned, result.sent, result.retried, result.failed, result.kept, settings.configured,
                      result.cancelled)


def last_run() -> ReminderRun | None:
    """The most recent pass (by its clock), or None."""
    return db.session.scalar(select(ReminderRun).order_by(ReminderRun.started_at.desc(),
                                                          ReminderRun.id.desc()).limit(1))
