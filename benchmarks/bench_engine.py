"""The pure parts: business-day arithmetic and pack validation (no database).

Run: .venv/bin/python benchmarks/bench_engine.py
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

import _support  # noqa: F401 (puts the project on sys.path)
from bench_import import build_pack

from tracker.deadlines import add_offset
from tracker.packs.validate import load_pack_text


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main() -> None:
    starts = [date(2024, 1, 1) + timedelta(days=i % 1500) for i in range(10_000)]

    def offsets():
        for i, start in enumerate(starts):
            add_offset(start, (i % 61) - 30 or 1, "business_days", "US-CA")

    offsets()  # warm the holiday cache once, as a running server would be
    best, median = best_of(5, offsets)
    print(f"10,000 business-day offsets (US-CA): best {best * 1000:.1f} ms, median {median * 1000:.1f} ms")
    text = build_pack(5_000)
    best, median = best_of(5, lambda: load_pack_text(text))
    print(f"Validating a 5,000-obligation pack: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms")


if __name__ == "__main__":
    main()
