"""Importing a regulation pack of 5,000 obligations, then re-importing it.

Target (issue 2): importing a pack of 5,000 obligations takes under 5 s.
Run: .venv/bin/python benchmarks/bench_import.py
"""

from __future__ import annotations

import json
import logging
import time

from _support import fresh_app

logging.disable(logging.INFO)


def build_pack(obligations: int) -> str:
    teams = [{"key": f"team-{t}", "name": f"Team {t}", "timezone": "America/New_York",
              "members": [{"email": f"member{t}-{m}@example.com", "name": f"Member {m}", "role": "editor"}
                          for m in range(5)]} for t in range(20)]
    sources = [{"key": f"src-{s}", "title": f"Source {s}", "kind": "bill", "jurisdiction": "US"} for s in range(20)]
    events = [{"key": f"ev-{e}", "source": f"src-{e % 20}", "title": f"Event {e}",
               "status": ("occurred", "expected", "speculative")[e % 3],
               **({"date": f"2026-{(e % 12) + 1:02d}-15"} if e % 3 != 2 else {})} for e in range(100)]
    rules = [
        lambda i: {"rule": "fixed", "date": f"2027-{(i % 12) + 1:02d}", "precision": "month"},
        lambda i: {"rule": "relative", "anchor": f"ev-{i % 100}", "offset": 180, "unit": "days"},
        lambda i: {"rule": "relative", "anchor": f"ev-{i % 100}", "offset": 30, "unit": "business_days"},
        lambda i: {"rule": "recurring", "date": "2027-07-01", "rrule": "FREQ=YEARLY"},
    ]
    items = [{"key": f"ob-{i}", "title": f"Obligation {i}", "team": f"team-{i % 20}",
              "events": [f"ev-{i % 100}", f"ev-{(i + 1) % 100}"], "deadline": rules[i % 4](i)}
             for i in range(obligations)]
    return json.dumps({"pack": "bench", "teams": teams, "sources": sources, "events": events,
                       "obligations": items})


def main() -> None:
    from tracker.audit import CLI
    from tracker.packs.importer import import_pack_text

    text = build_pack(5_000)
    print(f"Importing a pack of 5,000 obligations ({len(text) / 1e6:.1f} MB JSON, SQLite)")
    with fresh_app():
        started = time.perf_counter()
        report = import_pack_text(text, CLI)
        first = time.perf_counter() - started
        assert report.created["obligations"] == 5_000
        started = time.perf_counter()
        again = import_pack_text(text, CLI)
        second = time.perf_counter() - started
        assert again.unchanged["obligations"] == 5_000
    print(f"  first import (validate + insert):  {first:.2f} s (target < 5 s: {'met' if first < 5 else 'NOT met'})")
    print(f"  re-import, nothing changed:       {second:.2f} s")


if __name__ == "__main__":
    main()
