"""At most a few answers a minute through one response link (security review 2026-12, item 4).

A response link is a bearer secret posted to without an account or a CSRF
token; a leaked link (or a vendor's script gone wrong) could post without end,
each post up to 250 MB of uploads parsed and checked. The limit is counted per
link, in this process: it bounds the work one link can cause, and several
workers each allow it, which is still far below what a flood would need. A
person answering posts once or twice, so the limit never meets them.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

POSTS_PER_WINDOW = 10
WINDOW = timedelta(minutes=1)
# Keys kept before the ones with no post in the window are dropped (bounded memory).
PRUNE_ABOVE = 10_000


class PostLimiter:
    """A sliding window of post times per key; thread-safe (threaded servers share one)."""

    def __init__(self, limit: int = POSTS_PER_WINDOW, window: timedelta = WINDOW):
        self.limit, self.window = limit, window
        self._posts: dict[object, deque[datetime]] = {}
        self._lock = threading.Lock()

    def refusal(self, key: object, now: datetime) -> timedelta | None:
        """Count a post under `key` at `now`; the wait before the next one may go, or None to go ahead.

        A refused post is not counted, so a client that waits as told gets through.
        """
        with self._lock:
            posts = self._posts.setdefault(key, deque())
            while posts and posts[0] <= now - self.window:
                posts.popleft()
            if len(posts) >= self.limit:
                return posts[0] + self.window - now
            posts.append(now)
            if len(self._posts) > PRUNE_ABOVE:
                self._prune(now)
            return None

    def _prune(self, now: datetime) -> None:
        for stale in [key for key, posts in self._posts.items() if not posts or posts[-1] <= now - self.window]:
            del self._posts[stale]
