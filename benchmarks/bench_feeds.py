"""Calendar feed benchmark: a team feed of 2,500 obligations.

Builds its own SQLite database in a temporary directory (real migrations),
seeds 2,500 synthetic obligations in one team, then prints:
- cold render vs the icalendar library alone building the same events (target <= 1.5x);
- an unconditional fetch of the unchanged feed by a fresh app (another worker, or after a
  restart: no in-memory cache), served from the stored body (target <= 5% of a cold render);
- a repeated unconditional fetch of the unchanged feed vs cold (target >= 50x faster);
- a conditional fetch answered 304, on a warm worker and on one whose caches are empty
  (another worker, or after a restart: answered from the stored validator, no rendering);
- the fetch after one obligation changed vs cold (target <= 10%).

Run: python benchmarks/bench_feeds.py [--obligations 2500]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date

from _support import feed_values, forget_feeds, fresh_app, icalendar_alone


def _timed(function, repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obligations", type=int, default=2500)
    args = parser.parse_args()

    from sqlalchemy import select

    from tracker import create_app
    from tracker.audit import SYSTEM
    from tracker.db import db
    from tracker.feeds import tokens
    from tracker.feeds.cache import caches
    from tracker.feeds.render import get_feed
    from tracker.feeds.scope import team_scope
    from tracker.models import Obligation, Team
    from tracker.register.obligations import set_status
    from tracker.register.synthetic import seed_synthetic

    with fresh_app(TRACKER_BASE_URL="https://tracker.example.test", SECRET_KEY="bench") as app:
        seed_synthetic(args.obligations, team_count=1, event_count=50, rng=random.Random(7))
        team = db.session.scalar(select(Team))
        path = "/" + tokens.feed_url(tokens.ensure_token(team, SYSTEM)).split("/", 3)[3]
        client = app.test_client()
        scope = team_scope(team)

        # The specs of one render, captured for the library-alone baseline (not timed).
        body, values = feed_values(scope)

        def cold_render():
            # Caches and stored bodies cleared outside the timing: the next get_feed renders.
            forget_feeds()
            return _timed(lambda: get_feed(scope), 1)

        def cold_fetch():
            forget_feeds()
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            return time.perf_counter() - start

        # Cold render and the library alone, interleaved in pairs: the machine is shared and
        # its speed drifts, so the ratio is the median of per-pair ratios.
        pairs = []
        for _ in range(7):
            cold_sample = cold_render()
            pairs.append((cold_sample, _timed(lambda: icalendar_alone(values), 1)))
        cold = statistics.median(c for c, _ in pairs)
        alone = statistics.median(a for _, a in pairs)
        cold_ratio = statistics.median(c / a for c, a in pairs)
        cold_http = statistics.median(cold_fetch() for _ in range(3))

        # A fresh app on the same database (no in-memory cache): the body stored by the last render.
        get_feed(scope)
        stored = []
        for _ in range(7):
            other = create_app(dict(app.config))
            with other.app_context():
                other_client = other.test_client()
                other_client.get("/feeds/" + "0" * 43 + ".ics")  # first use of its engine and connection
                start = time.perf_counter()
                response = other_client.get(path)
                stored.append(time.perf_counter() - start)
                assert response.data == body and len(caches().fragments) == 0  # nothing rendered
                db.session.remove()
                db.engine.dispose()
        from_store = statistics.median(stored)

        first = client.get(path)
        etag = first.headers["ETag"]
        warm = _timed(lambda: client.get(path), 50)
        conditional = _timed(lambda: client.get(path, headers={"If-None-Match": etag}), 50)
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

        def cold_conditional():
            # A worker that never rendered this feed (or one just restarted): empty caches.
            caches().clear()
            assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
            assert len(caches().plans) == 0 and len(caches().fragments) == 0  # nothing was rendered

        conditional_cold = _timed(cold_conditional, 20)

        # One changed obligation, each paired with a cold render measured right before it.
        ids = list(db.session.scalars(select(Obligation.id).where(
            Obligation.status == "open", Obligation.due_date >= date.today(), Obligation.rule != "recurring").limit(7)))
        changed = []
        for obligation_id in ids:
            cold_sample = cold_render()
            etag = client.get(path).headers["ETag"]  # warm the caches again
            set_status(db.session.get(Obligation, obligation_id), "in_progress", SYSTEM)
            start = time.perf_counter()
            response = client.get(path)
            changed.append((time.perf_counter() - start, cold_sample))
            assert response.status_code == 200 and response.headers["ETag"] != etag
        one_changed = statistics.median(c for c, _ in changed)
        changed_ratio = statistics.median(c / cold_sample for c, cold_sample in changed)

        print(f"feed: {args.obligations} obligations, {len(values)} VEVENTs, {len(body):,} bytes "
              f"({len(body) / 2**20:.2f} MiB, {len(body) / len(values):.0f} bytes per VEVENT)")
        print(f"cold render (caches, stored bodies cleared):{cold * 1000:8.1f} ms")
        print(f"cold fetch through the route:                {cold_http * 1000:8.1f} ms")
        print(f"icalendar alone, same events:                {alone * 1000:8.1f} ms")
        print(f"  ratio cold render / icalendar alone:       {cold_ratio:8.2f}x  (target <= 1.5x; median of 7 pairs)")
        print(f"unconditional fetch, fresh app (stored body):{from_store * 1000:8.2f} ms  "
              f"= {from_store / cold * 100:.1f}% of a cold render (target <= 5%)")
        print(f"repeated unconditional fetch (cached):       {warm * 1000:8.2f} ms")
        print(f"  cold render / cached fetch:                {cold / warm:8.0f}x  (target >= 50x)")
        print(f"conditional fetch (304), warm worker:        {conditional * 1000:8.2f} ms")
        print(f"conditional fetch (304), caches cleared:     {conditional_cold * 1000:8.2f} ms  (no rendering)")
        print(f"  cold render / cold-worker 304:             {cold / conditional_cold:8.0f}x")
        print(f"fetch after one obligation changed:          {one_changed * 1000:8.1f} ms")
        print(f"  one-changed / cold render:                 {changed_ratio * 100:8.1f}%  (target <= 10%; median of 7 pairs)")


if __name__ == "__main__":
    main()
