"""API list performance: a page of obligations out of 10,000, on SQLite.

Prints the time to serve a page of 100 (median of repeated requests, first page
and a deep page reached by cursor) and the SQL statements per request for page
sizes 10, 100 and 200: the count must not grow with the page size (no N+1).

    python benchmarks/bench_api.py [--obligations 10000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _support import StatementCounter, fresh_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obligations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from tracker.people.api_tokens import create_token
    from tracker.audit import CLI
    from tracker.db import db
    from tracker.people.operations import create_user
    from tracker.register.synthetic import seed_synthetic

    with fresh_app() as app:
        seed_synthetic(args.obligations, rng=random.Random(2026))
        _, secret = create_token(create_user("bench@example.com", "Bench", "viewer", CLI), "bench", CLI)
        headers = {"Authorization": f"Bearer {secret}"}
        client = app.test_client()

        def get(url: str):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            return response

        # A cursor deep in the list (halfway, at most page 51 of 100-row pages).
        deep_page = min(50, args.obligations // 200)
        url = "/api/v1/obligations?limit=100"
        for _ in range(deep_page):
            url = get(url).get_json()["next"]
        deep_url = url

        timings = {}
        for label, target in (("first page", "/api/v1/obligations?limit=100"), (f"page {deep_page + 1}", deep_url),
                              ("filtered", "/api/v1/obligations?limit=100&due_state=firm&status=open")):
            get(target)  # warm up
            samples = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                get(target)
                samples.append((time.perf_counter() - start) * 1000)
            timings[label] = statistics.median(samples)

        counts = {}
        for size in (10, 100, 200):
            with StatementCounter(db.engine) as counter:
                page = get(f"/api/v1/obligations?limit={size}").get_json()
            assert len(page["items"]) == size
            counts[size] = counter.count

    print(f"obligations in the register: {args.obligations}")
    for label, ms in timings.items():
        verdict = "OK" if ms < 50 else "TOO SLOW"
        print(f"GET /api/v1/obligations?limit=100 ({label}): median {ms:.1f} ms over {args.repeat} requests "
              f"(target < 50 ms: {verdict})")
    print("SQL statements per request by page size: "
          + ", ".join(f"{size}: {count}" for size, count in counts.items()))
    print(f"statement ratio 200-row page / 10-row page: {counts[200] / counts[10]:.2f} (flat = 1.00)")


if __name__ == "__main__":
    main()
