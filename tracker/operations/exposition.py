"""One scrape: the counters of every process (multiprocess mode) or of this one, and the queue gauges."""

from __future__ import annotations

import os
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest, multiprocess

from tracker.operations import metrics
from tracker.operations.queue_gauges import QueueCollector


class _ThisProcess:
    """The module registry's metrics, offered to a scrape's registry."""

    def collect(self):
        return metrics.REGISTRY.collect()


def multiprocess_dir() -> str | None:
    """PROMETHEUS_MULTIPROC_DIR, the directory where every process keeps its values (or None)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def scrape(now: datetime) -> bytes:
    """The text exposition of every tracker metric."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(QueueCollector(now))
    return generate_latest(registry)
