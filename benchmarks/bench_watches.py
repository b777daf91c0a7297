"""Polling N watches against the local regulator replay: total time, requests per watch, and
what a poll with nothing new writes.

    python benchmarks/bench_watches.py [COUNT]

COUNT watches (default 500), each on a source of its own, round-robin over five replayed
items (a one-page and a three-page Congress.gov bill, a Federal Register document and a
two-page docket, an Open States bill). The first pass observes and proposes; the second
polls the same data again and must write nothing but each watch's own poll bookkeeping
(the claim and the release of its lease, next try). Prints wall time, requests sent
against the pages the items need (target: equal), and the second pass's writes.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from _support import fresh_app

from tests.regulator_replay import RegulatorReplay

ITEMS = [("congress", "bill", "119-hr-3447", 1, "enacted"), ("congress", "bill", "118-hr-2670", 3, "enacted"),
         ("federal_register", "document", "2026-01234", 1, "effective"),
         ("federal_register", "docket", "BIS-2026-0001", 2, "effective"),
         ("openstates", "bill", "ca/20252026/SB 53", 1, "enacted")]
NOW = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)


def setup(count: int) -> int:
    from tracker.audit import SYSTEM
    from tracker.db import db
    from tracker.models import Event, Source
    from tracker.watches.operations import create_watch

    needed = 0
    for n in range(count):
        provider, kind, item, pages, stage = ITEMS[n % len(ITEMS)]
        source = Source(key=f"bench-{n}", title=f"Bench source {n}", kind="bill", jurisdiction="US")
        db.session.add(source)
        db.session.add(Event(key=f"bench-{n}-event", source=source, title=f"Bench {n} {stage}",
                             status="speculative"))
        db.session.flush()
        create_watch(source, SYSTEM, provider=provider, item_kind=kind, item=item,
                     stages={stage: f"bench-{n}-event"}, now=NOW, commit=False)
        needed += pages
    db.session.commit()
    return needed


def table_counts() -> dict[str, int]:
    from sqlalchemy import func, select

    from tracker.db import db
    from tracker.models import AuditEntry, DeadlineHistory, Event, OutboxMessage, Proposal, WatchObservation

    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (WatchObservation, Proposal, DeadlineHistory, OutboxMessage, AuditEntry, Event)}


class Statements:
    """SQL statements by their first word, and UPDATEs by table."""

    def __init__(self, engine):
        self.engine, self.kinds, self.updates = engine, Counter(), Counter()

    def _listen(self, conn, cursor, statement, *args):
        words = statement.split()
        self.kinds[words[0].upper()] += 1
        if words[0].upper() in ("UPDATE", "INSERT", "DELETE"):
            target = words[1] if words[0].upper() == "UPDATE" else words[2]
            self.updates[f"{words[0].upper()} {target}"] += 1

    def __enter__(self):
        import sqlalchemy as sa

        sa.event.listen(self.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc):
        import sqlalchemy as sa

        sa.event.remove(self.engine, "before_cursor_execute", self._listen)


def main(count: int = 500) -> None:
    from tracker.db import db
    from tracker.watches.polling import run_poll_pass

    with RegulatorReplay() as replay, fresh_app(SECRET_KEY="bench", **replay.config()):
        needed = setup(count)
        options = {"sleep": replay.sleep}
        replay.clear()
        started = time.perf_counter()
        first = run_poll_pass(NOW, due_only=False, http_options=options)
        elapsed = time.perf_counter() - started
        sent = replay.count()
        print(f"first pass, {count} watches: {elapsed:.2f} s ({elapsed / count * 1000:.1f} ms a watch); "
              f"requests {sent} for {needed} pages needed ({sent / count:.2f} per watch); "
              f"{sum(o.observed for o in first.outcomes)} observations, {len(first.proposed)} proposals, "
              f"{len(first.failed)} failed")
        before = table_counts()
        replay.clear()
        with Statements(db.engine) as statements:
            started = time.perf_counter()
            second = run_poll_pass(NOW + timedelta(hours=6), due_only=False, http_options=options)
            elapsed = time.perf_counter() - started
        after = table_counts()
        grown = {name: after[name] - before[name] for name in after if after[name] != before[name]}
        writes = {k: v for k, v in statements.updates.items()}
        print(f"second pass (nothing new): {elapsed:.2f} s ({elapsed / count * 1000:.1f} ms a watch); requests "
              f"{replay.count()} ({replay.count() / count:.2f} per watch); {len(second.proposed)} proposals; "
              f"rows added: {grown or 'none'}")
        print(f"  statements: {dict(statements.kinds)}; writes: {writes} "
              f"({sum(writes.values()) / count:.2f} per watch, all on the watch's own row: "
              f"{all(k.endswith('watches') for k in writes)})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
