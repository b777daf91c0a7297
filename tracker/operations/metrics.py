"""The tracker's Prometheus metrics, and the small calls the rest of the code makes to move them.

Counters and histograms live in a registry of this module's own (never the client
library's global one), so building several apps in one process registers nothing
twice. With PROMETHEUS_MULTIPROC_DIR set in the environment of every gunicorn worker
and scheduler process (before they start), prometheus-client keeps each process's
values in files there and a scrape on any worker adds them up (see
docs/deployment.md); without it, a scrape shows the answering process only.

Queue depths and ages are not counted here: they are read from the database at
scrape time (tracker/operations/queue_gauges.py), so they are right whichever
process changed the queue.
"""

from __future__ import annotations

import functools
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

# The `_created` timestamp series double every scrape's size and no dashboard uses them.
disable_created_metrics()
REGISTRY = CollectorRegistry(auto_describe=True)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PASS_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 180.0, 600.0)

HTTP_REQUESTS = Counter("tracker_http_requests", "HTTP requests answered, by endpoint, method and status",
                        ["endpoint", "method", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("tracker_http_request_duration_seconds", "Time to answer an HTTP request, by endpoint",
                         ["endpoint"], buckets=LATENCY_BUCKETS, registry=REGISTRY)
DATABASE_BUSY = Counter("tracker_database_busy_responses", "Requests answered 503 because the database was "
                        "busy (lock or statement timeout, deadlock); nothing was changed", registry=REGISTRY)

REMINDER_PASSES = Counter("tracker_reminder_passes", "Reminder passes run, by result (ok, failed)",
                          ["result"], registry=REGISTRY)
REMINDER_PASS_SECONDS = Histogram("tracker_reminder_pass_duration_seconds", "Wall time of one reminder pass",
                                  buckets=PASS_BUCKETS, registry=REGISTRY)
REMINDER_PLANNED = Counter("tracker_reminder_items_planned", "Reminder items planned by passes", registry=REGISTRY)
REMINDER_SENT = Counter("tracker_reminder_messages_sent", "Emails sent by reminder passes", registry=REGISTRY)
REMINDER_RETRIED = Counter("tracker_reminder_messages_retried", "Emails whose sending failed and will be retried",
                           registry=REGISTRY)
REMINDER_FAILED = Counter("tracker_reminder_messages_failed", "Emails given up on after their last attempt",
                          registry=REGISTRY)

CHANNEL_DELIVERIES = Counter("tracker_channel_deliveries", "Channel delivery attempts, by kind (slack, teams, "
                             "webhook) and result (delivered, retried, failed)", ["kind", "result"],
                             registry=REGISTRY)

FEED_FETCHES = Counter("tracker_feed_fetches", "Calendar feed fetches, by how they were answered (not_modified, "
                       "cached: in this process's memory, stored: the stored body, rendered)", ["result"],
                       registry=REGISTRY)
FEED_RENDER_SECONDS = Histogram("tracker_feed_render_seconds", "Time to render one feed body",
                                buckets=LATENCY_BUCKETS, registry=REGISTRY)

WATCH_POLLS = Counter("tracker_watch_polls", "Regulator watch polls, by provider and result (ok, failed, skipped)",
                      ["provider", "result"], registry=REGISTRY)


def http_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """One answered request (endpoint names, never paths: a path may hold a feed token)."""
    HTTP_REQUESTS.labels(endpoint, method, str(status)).inc()
    HTTP_LATENCY.labels(endpoint).observe(seconds)


def database_busy() -> None:
    DATABASE_BUSY.inc()


def observe_reminder_pass(run_pass):
    """Wraps the reminder pass: its time, its result, and what its report counted.

    A decorator rather than calls inside the pass, so whoever runs it (the
    scheduler, `send-reminders`, a test) is counted, failures included.
    """

    @functools.wraps(run_pass)
    def observed(*args, **kwargs):
        started = time.perf_counter()
        try:
            report = run_pass(*args, **kwargs)
        except BaseException:
            REMINDER_PASSES.labels("failed").inc()
            REMINDER_PASS_SECONDS.observe(time.perf_counter() - started)
            raise
        REMINDER_PASSES.labels("ok").inc()
        REMINDER_PASS_SECONDS.observe(time.perf_counter() - started)
        REMINDER_PLANNED.inc(report.planned)
        REMINDER_SENT.inc(report.sent)
        REMINDER_RETRIED.inc(report.retried)
        REMINDER_FAILED.inc(report.failed)
        return report

    return observed


def channel_delivery(kind: str, result: str) -> None:
    CHANNEL_DELIVERIES.labels(kind, result).inc()


def feed_fetch(result: str) -> None:
    FEED_FETCHES.labels(result).inc()


def feed_rendered(seconds: float) -> None:
    FEED_RENDER_SECONDS.observe(seconds)


def watch_poll(provider: str, result: str) -> None:
    WATCH_POLLS.labels(provider, result).inc()
