"""Channel deliveries (Slack, Teams, webhooks) as a job of their own, apart from the reminder mail.

A receiver that is slow holds only this job: each attempt has a wall-clock
deadline (tracker.channels.delivery), and the mail pass never waits for it.
Planning is from database state, so planning here and in the reminder pass
queues every delivery once.
"""

from __future__ import annotations

import random
from datetime import datetime

from flask import Flask

from tracker.jobs import run_in_app

DELIVERY_EVERY_SECONDS = 60


def delivery_pass(now: datetime | None = None, rng: random.Random | None = None):
    """Plan the team channels' deliveries due at `now`, then send what is due; returns the DeliveryResult."""
    from tracker.channels.delivery import deliver_due
    from tracker.channels.planning import plan_channels
    from tracker.clock import utcnow

    now = now or utcnow()
    plan_channels(now)
    return deliver_due(now, rng=rng)


def run_delivery_job(app: Flask) -> None:
    def work() -> str | None:
        result = delivery_pass()
        done = result.delivered + result.retried + result.failed
        return (f"delivered {result.delivered}, retried {result.retried}, failed {result.failed}"
                if done else None)

    run_in_app(app, "channel deliveries", work)
