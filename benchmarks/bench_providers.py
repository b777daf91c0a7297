"""Provider fetches against the local regulator replay: time per fetch and requests per item.

    python benchmarks/bench_providers.py [COUNT]

Fetches COUNT items round-robin over the three providers (a one-page and a three-page
Congress.gov bill, a Federal Register document and a two-page docket, an Open States
bill) and prints the wall time, fetches per second and requests sent per item against
the pages each item needs (target: equal). Run once with a connection pool per fetch
(how a provider works by default) and once with one shared httpx.Client.
"""

from __future__ import annotations

import sys
import time

import _support  # noqa: F401  (puts the repository on sys.path)
import httpx

from tests.regulator_replay import RegulatorReplay
from tracker.watches.providers import get_provider

ITEMS = [("congress", "bill", "119-hr-3447", 1), ("congress", "bill", "118-hr-2670", 3),
         ("federal_register", "document", "2026-01234", 1), ("federal_register", "docket", "BIS-2026-0001", 2),
         ("openstates", "bill", "ca/20252026/SB 53", 1)]


def run(replay: RegulatorReplay, count: int, client: httpx.Client | None) -> tuple[float, int, int, int]:
    options = {"client": client} if client else {}
    providers = {name: get_provider(name, replay.config(), **options) for name, *_ in ITEMS}
    replay.clear()
    needed = observed = 0
    started = time.perf_counter()
    for index in range(count):
        name, kind, item, pages = ITEMS[index % len(ITEMS)]
        observed += len(providers[name].fetch(kind, item))
        needed += pages
    return time.perf_counter() - started, replay.count(), needed, observed


def main(count: int = 500) -> None:
    with RegulatorReplay() as replay:
        run(replay, len(ITEMS), None)  # warm up imports and the server
        for label, client in (("pool per fetch", None), ("shared client", httpx.Client(timeout=10.0))):
            elapsed, sent, needed, observed = run(replay, count, client)
            print(f"{label:15s} {count} fetches: {elapsed:.2f} s, {count / elapsed:.0f} fetches/s, "
                  f"{elapsed / count * 1000:.1f} ms each; requests {sent} for {needed} pages needed "
                  f"({sent / count:.2f} per item); {observed} observations")
            if client:
                client.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
