"""bench_load.py's SMTP sink (its own process): accepts every message and appends
"<receipt time> <Message-ID>" to a file, one line each, flushed at once.

Run: python benchmarks/_load_sink.py PORT FILE
"""

from __future__ import annotations

import re
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Recorder:
    def __init__(self, path: str):
        self.out = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        head = content.split(b"\r\n\r\n", 1)[0]
        match = MESSAGE_ID.search(head)
        ident = match.group(1).decode("ascii", "replace") if match else "-"
        with self.lock:
            self.out.write(f"{time.time():.6f} {ident}\n")
        return "250 Message accepted"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Recorder(path), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
