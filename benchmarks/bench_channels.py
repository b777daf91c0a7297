"""Signed webhook deliveries per second to a receiver on loopback (target: >= 50/s).

    python benchmarks/bench_channels.py [COUNT]
"""

from __future__ import annotations

import sys
import threading
import time

from _support import fresh_app
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@Request.application
def receiver(request: Request) -> Response:
    request.get_data()
    return Response("ok")


def main(count: int = 500) -> None:
    from tracker.audit import SYSTEM
    from tracker.channels import operations
    from tracker.channels.delivery import deliver_due
    from tracker.people import operations as people

    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with fresh_app(TRACKER_WEBHOOK_ALLOW_PRIVATE="1", SECRET_KEY="bench"):
            team = people.create_team("bench", "Bench", "UTC", SYSTEM)
            channel, _ = operations.create_channel(team, "webhook", f"http://127.0.0.1:{server.server_port}/hook",
                                                   SYSTEM)
            items = [{"title": "File the annual report", "due_date": "2027-01-15"}]
            for n in range(count):
                operations.enqueue(channel, "deadline.upcoming", f"bench-{n}", items, commit=False)
            from tracker.db import db
            db.session.commit()
            started = time.perf_counter()
            result = deliver_due()
            elapsed = time.perf_counter() - started
    finally:
        server.shutdown()
    rate = result.delivered / elapsed if elapsed else 0.0
    print(f"channels: {result.delivered} signed webhook deliveries in {elapsed:.2f} s = {rate:.0f}/s "
          f"(target >= 50/s){'' if rate >= 50 else '  BELOW TARGET'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
