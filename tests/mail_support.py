"""A real SMTP server on loopback (aiosmtpd) for the mail tests, and helpers."""

from __future__ import annotations

import asyncio
import email
import os
import socket
import threading
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """aiosmtpd handler: keeps every accepted message; can refuse recipients on demand."""

    def __init__(self):
        self.messages: list = []
        self.refuse: dict[str, str] = {}  # address -> SMTP reply, e.g. "550 5.1.1 no such user"
        self.delay = 0.0  # seconds per message: a slow relay
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                          policy=policy.default)
        with self.lock:
            self.messages.append(parsed)
        return "250 Message accepted"


class SmtpServer:
    """Start/stop a loopback SMTP server on a fixed port (stop = the relay is down)."""

    def __init__(self):
        self.port = free_port()
        self.recorder = Recorder()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list:
        return self.recorder.messages

    def start(self) -> None:
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def configure(self, app) -> None:
        app.config.update(TRACKER_SMTP_HOST="127.0.0.1", TRACKER_SMTP_PORT=self.port,
                          TRACKER_MAIL_FROM="tracker@example.test")

    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for message in self.messages]


def match_snapshot(path: Path, actual: str) -> None:
    """Compare `actual` with the stored snapshot at `path`.

    A missing snapshot fails (a typo in a name, or a file not committed, must
    not pass by writing itself). UPDATE_MAIL_SNAPSHOTS=1 writes the snapshot
    instead, after an intended change: read the diff before committing.
    """
    if os.environ.get("UPDATE_MAIL_SNAPSHOTS") == "1":
        path.write_text(actual)
    elif not path.exists():
        pytest.fail(f"no snapshot {path.name}; run with UPDATE_MAIL_SNAPSHOTS=1 to write it, then review it")
    assert actual == path.read_text(), f"{path.name} differs from the rendered email"
