"""Queue depths and ages, read from the database when /metrics is scraped.

Counted per scrape, not kept in a process: any worker or scheduler may have
changed a queue, and the database is the one place that knows. A few aggregate
queries over the status indexes; nothing is locked.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from tracker.db import db
from tracker.models import ChannelDelivery, OutboxMessage, ReminderRun

# Rows still to send; the others are finished (sent, delivered, failed, cancelled).
WAITING = ("pending", "sending")


def _depths(model, statuses: tuple[str, ...], name: str, text: str) -> GaugeMetricFamily:
    counts = dict(db.session.execute(select(model.status, func.count()).group_by(model.status)).all())
    family = GaugeMetricFamily(name, text, labels=["status"])
    for status in statuses:
        family.add_metric([status], counts.get(status, 0))
    return family


def _oldest_due_age(model, now: datetime, name: str, text: str) -> GaugeMetricFamily:
    oldest = db.session.scalar(select(func.min(model.next_attempt_at)).where(
        model.status.in_(WAITING), model.next_attempt_at <= now))
    return GaugeMetricFamily(name, text, value=(now - oldest).total_seconds() if oldest else 0.0)


class QueueCollector:
    """A prometheus-client collector over the outbox, the channel deliveries and the last pass."""

    def __init__(self, now: datetime):
        self.now = now

    def collect(self):
        from tracker.models.outbox import MESSAGE_STATUSES

        yield _depths(OutboxMessage, MESSAGE_STATUSES, "tracker_outbox_messages",
                      "Emails in the outbox, by status")
        yield _oldest_due_age(OutboxMessage, self.now, "tracker_outbox_oldest_due_age_seconds",
                              "How long the oldest email due for sending has waited (0: none waiting)")
        yield _depths(ChannelDelivery, ("pending", "sending", "delivered", "failed"),
                      "tracker_channel_deliveries_queued", "Channel deliveries, by status")
        yield _oldest_due_age(ChannelDelivery, self.now, "tracker_channel_delivery_oldest_due_age_seconds",
                              "How long the oldest channel delivery due has waited (0: none waiting)")
        last = db.session.scalar(select(func.max(ReminderRun.finished_at)))
        yield GaugeMetricFamily("tracker_reminder_last_pass_age_seconds",
                                "Time since the last reminder pass finished (-1: none yet)",
                                value=max((self.now - last).total_seconds(), 0.0) if last else -1.0)
        db.session.rollback()  # end the read transaction the scrape opened
