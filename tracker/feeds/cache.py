"""Small bounded in-process caches for rendered feeds and VEVENT fragments.

They live on the app (`app.extensions`), so two apps in one process (tests)
never share entries. Each web worker keeps its own; rendering is
deterministic, so every worker produces the same bytes and the same ETag.
What every worker shares is in the database: validators and bodies (see
tracker.feeds.render).

`warm_up` does a feed request's first-use work when a serving process starts
(mapper configuration, SQLAlchemy's compiled statements, the request pipeline,
the serializer), so the first fetch after a restart costs what later ones do.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable, Hashable, Iterator

from flask import Flask, current_app


FEED_ENTRIES = 512
FRAGMENT_ENTRIES = 100_000


class LRUCache:
    """A thread-safe least-recently-used mapping with a fixed number of entries."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        # No lock: each OrderedDict call is atomic under the GIL, and a render
        # makes thousands of these. An entry evicted in between is just a miss.
        value = self._data.get(key)
        if value is not None:
            try:
                self._data.move_to_end(key)
            except KeyError:
                pass
        return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class SingleFlight:
    """At most one thread of this process does the work for a key; the others wait for it.

    Many subscribers of one team fetch its feed soon after each write (every
    write changes some team's feed): without this each of them renders the
    same new content version. `hold(key)` gives the first thread the key at
    once; a later one waits (up to `wait` seconds, then works anyway: a stuck
    render never blocks a fetch for long) and, once in, finds the body the
    first one rendered. The entry is dropped when nobody holds or waits for it.
    """

    def __init__(self, wait: float = 10.0) -> None:
        self.wait = wait
        self._locks: dict[Hashable, list] = {}  # key -> [lock, holders and waiters]
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, key: Hashable, before_waiting: Callable[[], None] | None = None) -> Iterator[None]:
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        lock = entry[0]
        try:
            got = lock.acquire(blocking=False)
            if not got:
                if before_waiting is not None:
                    before_waiting()
                got = lock.acquire(timeout=self.wait)
            try:
                yield
            finally:
                if got:
                    lock.release()
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0 and self._locks.get(key) is entry:
                    del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


class FeedCaches:
    """Whole feeds keyed by content version; VEVENT fragments keyed by row version."""

    def __init__(self) -> None:
        self.feeds = LRUCache(FEED_ENTRIES)
        self.fragments = LRUCache(FRAGMENT_ENTRIES)
        self.plans = LRUCache(FRAGMENT_ENTRIES)
        self.renders = SingleFlight()

    def clear(self) -> None:
        self.feeds.clear()
        self.fragments.clear()
        self.plans.clear()


def init_app(app: Flask) -> None:
    app.extensions["feed_caches"] = FeedCaches()


def caches() -> FeedCaches:
    """The current app's feed caches."""
    return current_app.extensions["feed_caches"]
